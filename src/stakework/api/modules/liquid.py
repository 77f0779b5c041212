"""The liquid module's read-only API under `/v1/liquid`: the token's view, price history, withdrawal queue,
accounts and requests (mounted from the liquid module's definition, `api_router`).

Every figure comes from the head state's liquid module through `stakework.modules.liquid.queries`; amounts are
Gwei, prices are stSWK per 10^9 shares, all as decimal strings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from stakework.api.errors import not_found
from stakework.api.modules.common import (
    APR_EPOCHS,
    HISTORY_EPOCHS,
    EpochsQuery,
    FromQuery,
    LimitQuery,
    _apr,
    _epochs,
    _first_id,
    _hex,
    _limit,
    _queue_summary,
    _sample,
    epochs_per_year,
)
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_bytes, parse_uint, to_json
from stakework.api.view import NodeView
from stakework.modules.liquid import queries as liquid_queries
from stakework.modules.liquid.state import LiquidState
from stakework.modules.queue import WithdrawalRequest
from stakework.state.beacon_state import BeaconState

router = APIRouter(prefix="/v1", tags=["modules"])


def _liquid(state: BeaconState) -> LiquidState:
    liquid: LiquidState | None = state.modules.get("liquid")
    if liquid is None:
        raise not_found("the liquid module is not enabled on this chain")
    return liquid


def _liquid_request(r: WithdrawalRequest) -> dict[str, Any]:
    data: dict[str, Any] = to_json(r)
    return data


@router.get("/liquid", summary="Liquid staking")
def liquid(epochs: str | None = EpochsQuery, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Pooled SWK behind stSWK (`total_assets`), shares, price (stSWK per 10^9 shares, which is also the wstSWK
    rate: SWK per 10^9 wstSWK), wstSWK supply, buffer, reserved, unrecognised reward (above the rebase limit, to be
    recognised later), validators, operators, fee split, the stake limit now (null: unlimited), the APR over the
    last `epochs` epochs (default 32) and the queue summary."""
    n = _epochs(epochs, APR_EPOCHS)
    with view.lock:
        state = view.chain.head_state
        lq = _liquid(state)
        price = liquid_queries.st_per_wrapped(lq)
        limit = liquid_queries.stake_limit(lq, int(state.current_epoch()))
        data: dict[str, Any] = {
            "admin": _hex(lq.admin),
            "treasury": _hex(lq.treasury),
            "total_assets": str(liquid_queries.total_pooled(lq)),
            "total_shares": str(lq.ledger.total_shares),
            "price": str(price),
            "wst_rate": str(price),
            "wrapped_supply": str(liquid_queries.wrapped_supply(lq)),
            "buffer": str(lq.buffer),
            "reserved": str(lq.reserved),
            "unrecognised": str(lq.unrecognised),
            "validators": str(len(lq.validators)),
            "exiting": str(sum(1 for v in lq.validators if v.exiting)),
            "operators": [
                {
                    "index": str(i),
                    "address": _hex(op.address),
                    "active": str(op.active),
                    "spare_keys": str(len(op.spare_keys)),
                }
                for i, op in enumerate(lq.operators)
            ],
            "fee_bps": str(lq.fee_bps),
            "treasury_share_bps": str(lq.treasury_share_bps),
            "max_positive_rebase": str(lq.max_positive_rebase),
            "stake_limit": str(limit) if limit is not None else None,
            "max_stake_limit": str(lq.max_stake_limit),
            "stake_limit_increase_per_epoch": str(lq.stake_limit_increase_per_epoch),
            "staking_paused": lq.staking_paused,
            "min_request": str(lq.min_request),
            "max_request": str(lq.max_request),
            **_apr(liquid_queries.apr_bps(lq, n, epochs_per_year(state.preset)), n, state.preset),
            "queue": _queue_summary(liquid_queries.queue_state(lq), lq.reserved),
        }
    return {"data": data}


@router.get("/liquid/history", summary="Liquid price history")
def liquid_history(epochs: str | None = EpochsQuery, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The samples (one per epoch) of the last `epochs` epochs (default 64; at most what the module keeps), oldest
    first; `price` is stSWK per 10^9 shares."""
    n = _epochs(epochs, HISTORY_EPOCHS)
    with view.lock:
        lq = _liquid(view.chain.head_state)
        rows = [_sample(s, liquid_queries.sample_price(s)) for s in liquid_queries.price_history(lq, n)]
    return {"data": rows}


@router.get("/liquid/queue", summary="Liquid withdrawal queue")
def liquid_queue(
    limit: str | None = LimitQuery, from_id: str | None = FromQuery, view: NodeView = Depends(get_view)
) -> dict[str, Any]:
    """The queue summary and the open (unclaimed) requests by id, at most `limit`, from id `from`."""
    k, first = _limit(limit), _first_id(from_id)
    with view.lock:
        lq = _liquid(view.chain.head_state)
        data = _queue_summary(liquid_queries.queue_state(lq), lq.reserved)
        data["open_requests"] = str(len(lq.requests))
        data["requests"] = [_liquid_request(r) for r in liquid_queries.open_requests(lq, k, first)]
    return {"data": data}


@router.get("/liquid/accounts/{address}", summary="Liquid account")
def liquid_account(address: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """stSWK balance (rounded down), shares, wstSWK balance and the address's open withdrawal requests."""
    addr = parse_bytes(address, 20, "address")
    with view.lock:
        lq = _liquid(view.chain.head_state)
        data = {
            "address": _hex(addr),
            "balance": str(liquid_queries.balance_of(lq, addr)),
            "shares": str(liquid_queries.shares_of(lq, addr)),
            "wrapped": str(liquid_queries.wrapped_of(lq, addr)),
            "requests": [_liquid_request(r) for r in liquid_queries.requests_of(lq, addr)],
        }
    return {"data": data}


@router.get("/liquid/requests/{request_id}", summary="Liquid withdrawal request")
def liquid_request(request_id: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """One open withdrawal request (404 once claimed, or if it never existed)."""
    i = parse_uint(request_id, "request id")
    with view.lock:
        lq = _liquid(view.chain.head_state)
        r = liquid_queries.request(lq, i)
        if r is None:
            if 1 <= i < lq.next_request_id:
                raise not_found(f"liquid withdrawal request {i} was claimed (only open requests are kept)")
            raise not_found(f"no liquid withdrawal request {i} (the next id is {lq.next_request_id})")
        data = _liquid_request(r)
    return {"data": data}
