"""The safety module's read-only API under `/v1/safety`: both vaults with their emission and APR, an account's
positions (shares, assets, rewards, cooldown), the slashing history and the parameters with their bounds (mounted
from the safety module's definition, `api_router`).

Every figure comes from the head state's safety module through `stakework.modules.safety.queries`; SWK amounts
are Gwei, stSWK amounts are the liquid module's shares, prices are assets per 10^9 stkSWK shares, all as decimal
strings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from stakework.api.errors import bad_request, not_found
from stakework.api.modules.common import _hex, epochs_per_year
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_bytes, parse_uint, to_json
from stakework.api.view import NodeView
from stakework.modules.arith import Rounding
from stakework.modules.safety import queries as safety_queries
from stakework.modules.safety.definition import stake_balance
from stakework.modules.safety.state import SLASH_HISTORY, VAULTS, SafetyState
from stakework.state.beacon_state import BeaconState

router = APIRouter(prefix="/v1", tags=["modules"])

SlashLimit = Query(None, description=f"Slashings to list, newest last (1..{SLASH_HISTORY}, default all kept).")


def _safety(state: BeaconState) -> SafetyState:
    safety: SafetyState | None = state.modules.get("safety")
    if safety is None:
        raise not_found("the safety module is not enabled on this chain")
    return safety


def _aprs(state: BeaconState, safety: SafetyState) -> dict[str, Any]:
    """Each vault's emission APR; the stSWK vault's assets (stSWK shares) valued in SWK at the liquid price."""
    per_year = epochs_per_year(state.preset)
    liquid = state.modules.get("liquid")
    stswk_value = (
        None if liquid is None else liquid.ledger.convert_to_assets(safety.stswk.ledger.total_assets, Rounding.DOWN)
    )
    out: dict[str, Any] = {}
    for name in VAULTS:
        value = stswk_value if name == "stswk" else None
        if name == "stswk" and value is None:
            out[name] = {"apr_bps": None, "emission_per_epoch": str(safety.params.stswk_emission_per_epoch)}
            continue
        out[name] = to_json(safety_queries.apr(safety, name, per_year, value))
    out["epochs_per_year"] = str(per_year)
    return out


@router.get("/safety", summary="Safety module")
def safety(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Governance executor, treasury, both vaults (assets, stkSWK shares, price per 10^9 shares, emission per
    epoch and whether the last one was paid, rewards emitted and claimed, the most one slashing may take now, the
    post-slash window), the emission APR of each vault, the authorised slashers, the number of slashings kept and
    every parameter with its bounds."""
    with view.lock:
        state = view.chain.head_state
        sm = _safety(state)
        epoch = int(state.current_epoch())
        data: dict[str, Any] = {
            "epoch": str(epoch),
            "governance": _hex(sm.governance),
            "treasury": _hex(sm.treasury),
            "vaults": {name: to_json(safety_queries.vault_view(sm, name, epoch)) for name in VAULTS},
            "apr": _aprs(state, sm),
            "slashers": [_hex(a) for a in sm.slashers],
            "slashings": str(len(sm.slash_history)),
            "parameters": to_json(safety_queries.parameters(sm)),
        }
    return {"data": data}


@router.get("/safety/apr", summary="Safety module APR")
def safety_apr(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Each vault's emission APR in basis points (`emission_per_epoch * epochs_per_year / assets`, simple; the
    stSWK vault's assets valued at the liquid module's price; null when the vault is empty) and whether the
    emission is being paid (`emitting`, `status`)."""
    with view.lock:
        state = view.chain.head_state
        data = _aprs(state, _safety(state))
    return {"data": data}


@router.get("/safety/accounts/{address}", summary="Safety module account")
def safety_account(address: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The address's position in each vault (stkSWK shares, what they redeem for now, claimable rewards in SWK,
    cooldown state and window, whether it may redeem now) and its stkSWK voting balance (both vaults' shares)."""
    addr = parse_bytes(address, 20, "address")
    with view.lock:
        state = view.chain.head_state
        sm = _safety(state)
        epoch = int(state.current_epoch())
        data = {
            "address": _hex(addr),
            "epoch": str(epoch),
            "stake_balance": str(stake_balance(sm, addr)),
            "vaults": {name: to_json(safety_queries.position(sm, name, addr, epoch)) for name in VAULTS},
        }
    return {"data": data}


@router.get("/safety/slashings", summary="Safety module slashing history")
def safety_slashings(limit: str | None = SlashLimit, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The last `limit` slashings of both vaults, oldest first: epoch, vault, amount taken, the cap, the vault's
    assets before, recipient, reason and who slashed."""
    n = SLASH_HISTORY if limit is None else parse_uint(limit, "limit")
    if not 1 <= n <= SLASH_HISTORY:
        raise bad_request(f"limit must be 1..{SLASH_HISTORY}, got {n}")
    with view.lock:
        sm = _safety(view.chain.head_state)
        rows = [to_json(r) for r in safety_queries.slash_history(sm, n)]
    return {"data": rows}
