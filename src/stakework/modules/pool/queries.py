"""Read-only pool views for the API: share price, APR over the last N epochs, queue state, a holder's position."""

from __future__ import annotations

import heapq

import msgspec

from stakework.modules.arith import Rounding
from stakework.modules.pool.handlers import get_pool
from stakework.modules.pool.state import PoolModuleState
from stakework.modules.queue import (
    PRICE_SCALE,
    PriceSample,
    QueueView,
    WithdrawalRequest,
    history_apr_bps,
    queue_view,
    sample_price,
)

__all__ = ["PRICE_SCALE", "QueueView", "sample_price"]


class PoolView(msgspec.Struct, kw_only=True):
    id: int
    operator: bytes
    commission_bps: int
    total_assets: int
    total_shares: int
    price: int
    buffer: int
    validators: int
    exiting: int


def share_price(state: PoolModuleState, pool_id: int) -> int:
    """Gwei per :data:`PRICE_SCALE` shares, rounded down (``PRICE_SCALE`` on an empty pool)."""
    return get_pool(state, pool_id).ledger.convert_to_assets(PRICE_SCALE, Rounding.DOWN)


def apr_bps(state: PoolModuleState, pool_id: int, epochs: int, epochs_per_year: int) -> int | None:
    """Simple annualised growth of the share price over (at most) the last ``epochs`` samples, in basis points.

    ``None`` when the history has fewer than two samples. Negative after losses. Integer math; the caller
    divides by 100 for a percentage.
    """
    return history_apr_bps(get_pool(state, pool_id).history, epochs, epochs_per_year)


def queue_state(state: PoolModuleState, pool_id: int) -> QueueView:
    return queue_view(get_pool(state, pool_id))


def pool_view(state: PoolModuleState, pool_id: int) -> PoolView:
    pool = get_pool(state, pool_id)
    return PoolView(
        id=pool.id,
        operator=pool.operator,
        commission_bps=pool.commission_bps,
        total_assets=pool.ledger.total_assets,
        total_shares=pool.ledger.total_shares,
        price=share_price(state, pool_id),
        buffer=pool.buffer,
        validators=len(pool.validators),
        exiting=sum(1 for v in pool.validators if v.exiting),
    )


def position(state: PoolModuleState, pool_id: int, holder: bytes) -> tuple[int, int]:
    """``(shares, assets)`` of ``holder`` in the pool (assets rounded down: what redeeming pays now)."""
    ledger = get_pool(state, pool_id).ledger
    return ledger.shares_of(holder), ledger.assets_of(holder)


def price_history(state: PoolModuleState, pool_id: int, epochs: int) -> list[PriceSample]:
    """The price samples of the last ``epochs`` epochs, oldest first (all the history keeps when fewer)."""
    history = get_pool(state, pool_id).history
    return history[-epochs:] if epochs > 0 else []


def requests_of(state: PoolModuleState, pool_id: int, owner: bytes) -> list[WithdrawalRequest]:
    """Open (unclaimed) requests of ``owner`` in the pool, by id (O(open requests))."""
    return sorted((r for r in get_pool(state, pool_id).requests.values() if r.owner == owner), key=lambda r: r.id)


def open_requests(state: PoolModuleState, pool_id: int, limit: int, first_id: int = 0) -> list[WithdrawalRequest]:
    """At most ``limit`` open (unclaimed) requests with ids from ``first_id``, by id."""
    requests = get_pool(state, pool_id).requests.values()
    return heapq.nsmallest(limit, (r for r in requests if r.id >= first_id), key=lambda r: r.id)
