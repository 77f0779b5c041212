"""What the module routers share: query parsing (epochs, limit, from), the APR's basis, the queue summary and a
price sample's JSON shape. Amounts are Gwei, prices Gwei per 10^9 shares, all as decimal strings."""

from __future__ import annotations

from typing import Any

from fastapi import Query

from stakework.api.errors import bad_request
from stakework.api.schemas.encoding import parse_uint, to_json
from stakework.modules.queue import PriceSample
from stakework.spec.presets import Preset

APR_EPOCHS = 32
"""Default look-back of `apr_bps`."""
HISTORY_EPOCHS = 64
"""Default length of `/history`."""
QUEUE_LIMIT = 100
MAX_QUEUE_LIMIT = 1000
DAYS_PER_YEAR = 365

EpochsQuery = Query(None, description="Epochs to look back (a positive integer).")
LimitQuery = Query(None, description=f"Requests to list (1..{MAX_QUEUE_LIMIT}, default {QUEUE_LIMIT}).")
FromQuery = Query(None, alias="from", description="List requests from this id on (default: the oldest open).")


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _epochs(text: str | None, default: int) -> int:
    if text is None:
        return default
    n = parse_uint(text, "epochs")
    if n == 0:
        raise bad_request("epochs must be at least 1")
    return n


def _limit(text: str | None) -> int:
    if text is None:
        return QUEUE_LIMIT
    n = parse_uint(text, "limit")
    if not 1 <= n <= MAX_QUEUE_LIMIT:
        raise bad_request(f"limit must be 1..{MAX_QUEUE_LIMIT}, got {n}")
    return n


def _first_id(text: str | None) -> int:
    return 0 if text is None else parse_uint(text, "from (request id)")


def epochs_per_year(preset: Preset) -> int:
    """Epochs in a 365-day year at the chain's nominal slot duration (the APR's basis; a devnet run with faster
    slots still quotes the APR its reward rules give per nominal year)."""
    return DAYS_PER_YEAR * 86_400_000 // (preset.SLOT_DURATION_MS * preset.SLOTS_PER_EPOCH)


def _apr(apr_bps: int | None, epochs: int, preset: Preset) -> dict[str, Any]:
    return {
        "apr_bps": str(apr_bps) if apr_bps is not None else None,
        "apr_epochs": str(epochs),
        "epochs_per_year": str(epochs_per_year(preset)),
    }


def _queue_summary(summary: object, reserved: int) -> dict[str, Any]:
    data: dict[str, Any] = to_json(summary)
    data["reserved"] = str(reserved)
    return data


def _sample(sample: PriceSample, price: int) -> dict[str, str]:
    return {
        "epoch": str(sample.epoch),
        "total_assets": str(sample.total_assets),
        "total_shares": str(sample.total_shares),
        "price": str(price),
    }
