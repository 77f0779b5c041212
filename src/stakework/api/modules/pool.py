"""The pool module's read-only API under `/v1/pools`: every pool's view, price history, withdrawal queue and a
holder's position (mounted from the pool module's definition, `api_router`).

Every figure comes from the head state's pool module through `stakework.modules.pool.queries`; amounts are Gwei,
prices are Gwei per 10^9 shares (one SWK's worth of shares at the 1:1 start), all as decimal strings.
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
from stakework.modules.pool import queries as pool_queries
from stakework.modules.pool.state import Pool, PoolModuleState
from stakework.modules.queue import WithdrawalRequest
from stakework.state.beacon_state import BeaconState

router = APIRouter(prefix="/v1", tags=["modules"])


def _pool_state(state: BeaconState) -> PoolModuleState:
    pools: PoolModuleState | None = state.modules.get("pool")
    if pools is None:
        raise not_found("the pool module is not enabled on this chain")
    return pools


def _pool(state: BeaconState, pool_id: str) -> tuple[PoolModuleState, Pool]:
    i = parse_uint(pool_id, "pool id")
    pools = _pool_state(state)
    pool = pools.pools.get(i)
    if pool is None:
        raise not_found(f"no pool {i} on this chain")
    return pools, pool


def _pool_request(r: WithdrawalRequest) -> dict[str, Any]:
    data: dict[str, Any] = to_json(r)
    return data


def _pool_view(state: BeaconState, pools: PoolModuleState, pool: Pool, epochs: int) -> dict[str, Any]:
    data: dict[str, Any] = to_json(pool_queries.pool_view(pools, pool.id))
    data["reserved"] = str(pool.reserved)
    data["spare_keys"] = str(len(pool.spare_keys))
    data.update(_apr(pool_queries.apr_bps(pools, pool.id, epochs, epochs_per_year(state.preset)), epochs, state.preset))
    data["queue"] = _queue_summary(pool_queries.queue_state(pools, pool.id), pool.reserved)
    return data


@router.get("/pools", summary="Pools")
def pools(epochs: str | None = EpochsQuery, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Every pool's view (as `/v1/pools/{pool_id}`), by id."""
    n = _epochs(epochs, APR_EPOCHS)
    with view.lock:
        state = view.chain.head_state
        module = _pool_state(state)
        rows = [_pool_view(state, module, module.pools[i], n) for i in sorted(module.pools)]
    return {"data": rows}


@router.get("/pools/{pool_id}", summary="Pool")
def pool(pool_id: str, epochs: str | None = EpochsQuery, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Operator, commission, value (`total_assets`), shares, price (Gwei per 10^9 shares), buffer, reserved
    (finalized payouts awaiting claims), validators (staked, exiting included), exiting, spare keys, the APR over
    the last `epochs` epochs (default 32; null until two samples exist) and the queue summary."""
    n = _epochs(epochs, APR_EPOCHS)
    with view.lock:
        state = view.chain.head_state
        module, p = _pool(state, pool_id)
        data = _pool_view(state, module, p, n)
    return {"data": data}


@router.get("/pools/{pool_id}/history", summary="Pool price history")
def pool_history(pool_id: str, epochs: str | None = EpochsQuery, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The price samples (one per epoch) of the last `epochs` epochs (default 64; at most what the pool keeps),
    oldest first."""
    n = _epochs(epochs, HISTORY_EPOCHS)
    with view.lock:
        module, p = _pool(view.chain.head_state, pool_id)
        rows = [_sample(s, pool_queries.sample_price(s)) for s in pool_queries.price_history(module, p.id, n)]
    return {"data": rows}


@router.get("/pools/{pool_id}/queue", summary="Pool withdrawal queue")
def pool_queue(
    pool_id: str,
    limit: str | None = LimitQuery,
    from_id: str | None = FromQuery,
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """The queue summary and the open (unclaimed) requests by id, at most `limit`, from id `from`."""
    k, first = _limit(limit), _first_id(from_id)
    with view.lock:
        module, p = _pool(view.chain.head_state, pool_id)
        data = _queue_summary(pool_queries.queue_state(module, p.id), p.reserved)
        data["open_requests"] = str(len(p.requests))
        data["requests"] = [_pool_request(r) for r in pool_queries.open_requests(module, p.id, k, first)]
    return {"data": data}


@router.get("/pools/{pool_id}/positions/{address}", summary="Position in a pool")
def pool_position(pool_id: str, address: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The address's shares, what they redeem for now (rounded down), and its open withdrawal requests."""
    addr = parse_bytes(address, 20, "address")
    with view.lock:
        module, p = _pool(view.chain.head_state, pool_id)
        shares, assets = pool_queries.position(module, p.id, addr)
        requests = [_pool_request(r) for r in pool_queries.requests_of(module, p.id, addr)]
    return {
        "data": {
            "pool_id": str(p.id),
            "address": _hex(addr),
            "shares": str(shares),
            "assets": str(assets),
            "requests": requests,
        }
    }
