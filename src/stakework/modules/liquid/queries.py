"""Read-only liquid views for the API: balances, share price, wstSWK rate, APR, stake limit, queue, requests."""

from __future__ import annotations

import heapq

import msgspec

from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.liquid.handlers import current_stake_limit
from stakework.modules.liquid.state import WRAPPER, LiquidRequest, LiquidSample, LiquidState

PRICE_SCALE = 10**9


class QueueView(msgspec.Struct, kw_only=True):
    next_request_id: int
    next_to_finalize: int
    unfinalized: int
    queued_assets: int
    reserved_for_claims: int
    buffer: int


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
    history = state.history
    if len(history) < 2 or epochs <= 0:
        return None
    first = history[-min(epochs + 1, len(history))]
    last = history[-1]
    span = last.epoch - first.epoch
    if span <= 0 or 0 in (first.total_shares, last.total_shares, first.total_assets):
        return None
    num = last.total_assets * first.total_shares
    den = first.total_assets * last.total_shares
    sign = 1 if num >= den else -1
    return sign * mul_div(abs(num - den), BPS * epochs_per_year, den * span, Rounding.DOWN)


def stake_limit(state: LiquidState, epoch: int) -> int | None:
    """How much can be staked now (``None``: unlimited)."""
    return current_stake_limit(state, epoch)


def queue_state(state: LiquidState) -> QueueView:
    return QueueView(
        next_request_id=state.next_request_id,
        next_to_finalize=state.next_to_finalize,
        unfinalized=state.next_request_id - state.next_to_finalize,
        queued_assets=state.queued_assets,
        reserved_for_claims=state.reserved,
        buffer=state.buffer,
    )


def request(state: LiquidState, request_id: int) -> LiquidRequest | None:
    """One open request (``None`` once claimed or if it never existed)."""
    return state.requests.get(request_id)


def requests_of(state: LiquidState, owner: bytes) -> list[LiquidRequest]:
    """Open requests owned by ``owner`` (O(open requests); the API pages over it), by id."""
    return sorted((r for r in state.requests.values() if r.owner == owner), key=lambda r: r.id)


def open_requests(state: LiquidState, limit: int, first_id: int = 0) -> list[LiquidRequest]:
    """At most ``limit`` open (unclaimed) requests with ids from ``first_id``, by id."""
    return heapq.nsmallest(limit, (r for r in state.requests.values() if r.id >= first_id), key=lambda r: r.id)


def sample_price(sample: LiquidSample) -> int:
    """stSWK per 10**9 shares at a history sample, rounded down (``PRICE_SCALE`` when there were no shares), as
    :func:`st_per_wrapped` quotes it."""
    if sample.total_shares == 0:
        return PRICE_SCALE
    return mul_div(sample.total_assets, PRICE_SCALE, sample.total_shares, Rounding.DOWN)


def price_history(state: LiquidState, epochs: int) -> list[LiquidSample]:
    """The samples of the last ``epochs`` epochs, oldest first (all the history keeps when fewer)."""
    return state.history[-epochs:] if epochs > 0 else []


def wrapped_supply(state: LiquidState) -> int:
    """wstSWK in existence (the shares the wrapper holds)."""
    return state.ledger.shares_of(WRAPPER)
