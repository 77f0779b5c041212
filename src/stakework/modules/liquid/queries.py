"""Read-only liquid views for the API: balances, share price, wstSWK rate, APR, stake limit, queue, requests."""

from __future__ import annotations

import heapq

from stakework.modules.arith import Rounding
from stakework.modules.liquid.handlers import current_stake_limit
from stakework.modules.liquid.state import WRAPPER, LiquidState
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


def balance_of(state: LiquidState, holder: bytes) -> int:
    """stSWK balance: ``floor(shares * pooled / total_shares)`` (Lido ``StETH.balanceOf``)."""
    return state.ledger.assets_of(holder)


def shares_of(state: LiquidState, holder: bytes) -> int:
    return state.ledger.shares_of(holder)


def wrapped_of(state: LiquidState, holder: bytes) -> int:
    """wstSWK balance (a share count)."""
    return state.wrapped.get(holder, 0)


def st_per_wrapped(state: LiquidState) -> int:
    """stSWK for 10**9 wstSWK (Lido ``WstETH.stEthPerToken``), rounded down."""
    return state.ledger.convert_to_assets(PRICE_SCALE, Rounding.DOWN)


def total_pooled(state: LiquidState) -> int:
    return state.ledger.total_assets


def apr_bps(state: LiquidState, epochs: int, epochs_per_year: int) -> int | None:
    """Annualised (simple) growth of the share price over the last ``epochs`` samples, in basis points."""
    return history_apr_bps(state.history, epochs, epochs_per_year)


def stake_limit(state: LiquidState, epoch: int) -> int | None:
    """How much can be staked now (``None``: unlimited)."""
    return current_stake_limit(state, epoch)


def queue_state(state: LiquidState) -> QueueView:
    return queue_view(state)


def request(state: LiquidState, request_id: int) -> WithdrawalRequest | None:
    """One open request (``None`` once claimed or if it never existed)."""
    return state.requests.get(request_id)


def requests_of(state: LiquidState, owner: bytes) -> list[WithdrawalRequest]:
    """Open requests owned by ``owner`` (O(open requests); the API pages over it), by id."""
    return sorted((r for r in state.requests.values() if r.owner == owner), key=lambda r: r.id)


def open_requests(state: LiquidState, limit: int, first_id: int = 0) -> list[WithdrawalRequest]:
    """At most ``limit`` open (unclaimed) requests with ids from ``first_id``, by id."""
    return heapq.nsmallest(limit, (r for r in state.requests.values() if r.id >= first_id), key=lambda r: r.id)


def price_history(state: LiquidState, epochs: int) -> list[PriceSample]:
    """The samples of the last ``epochs`` epochs, oldest first (all the history keeps when fewer)."""
    return state.history[-epochs:] if epochs > 0 else []


def wrapped_supply(state: LiquidState) -> int:
    """wstSWK in existence (the shares the wrapper holds)."""
    return state.ledger.shares_of(WRAPPER)
