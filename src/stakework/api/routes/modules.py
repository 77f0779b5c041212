"""Read-only views of the staking modules under `/v1/`: the enabled modules and their accounts, pools (view,
price history, withdrawal queue, positions) and the liquid token (view, history, queue, accounts, requests).

Every figure comes from the head state's module store through the modules' `queries.py`; amounts are Gwei,
prices are Gwei per 10^9 shares (one SWK's worth of shares at the 1:1 start), all as decimal strings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from stakework.api.errors import bad_request, not_found
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_bytes, parse_uint, to_json
from stakework.api.view import NodeView
from stakework.modules.liquid import queries as liquid_queries
from stakework.modules.liquid.state import LiquidState
from stakework.modules.pool import queries as pool_queries
from stakework.modules.pool.state import Pool, PoolModuleState
from stakework.modules.queue import PriceSample, WithdrawalRequest
from stakework.modules.store import MODULES
from stakework.spec.presets import Preset
from stakework.state.beacon_state import BeaconState
from stakework.transition.modules import module_address, module_withdrawal_credentials

router = APIRouter(prefix="/v1", tags=["modules"])
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


# -- the module list ----------------------------------------------------------------------------------------------


@router.get("/modules", summary="Enabled modules")
def modules(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The modules this chain runs, each with its account (address and balance: buffer plus payouts awaiting
    claims) and the 0x02 withdrawal credentials its validators carry. An empty list when none is enabled."""
    with view.lock:
        state = view.chain.head_state
        rows = [
            {
                "name": m.name,
                "address": _hex(module_address(m.name)),
                "withdrawal_credentials": _hex(module_withdrawal_credentials(m.name)),
                "balance": str(state.accounts.balance(module_address(m.name))),
            }
            for m in MODULES
            if m.get(state.modules) is not None
        ]
    return {"data": rows}


# -- pools --------------------------------------------------------------------------------------------------------


def _pool_state(state: BeaconState) -> PoolModuleState:
    pools = state.modules.pool
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


def _sample(sample: PriceSample, price: int) -> dict[str, str]:
    return {
        "epoch": str(sample.epoch),
        "total_assets": str(sample.total_assets),
        "total_shares": str(sample.total_shares),
        "price": str(price),
    }


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


# -- liquid -------------------------------------------------------------------------------------------------------


def _liquid(state: BeaconState) -> LiquidState:
    liquid = state.modules.liquid
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
