"""The FIFO withdrawal queue that the pool and the liquid module share (Lido ``WithdrawalQueueBase``).

A request fixes ``amount`` when it is made; its ``shares`` wait under the module's queue holder. Finalization
walks the queue in order while the buffer covers the head and pays ``min(amount, shares × price now)`` (Lido's
share-rate cap: a slashing before payment is shared, later rewards stay in the pool); a finalized request is
claimed by its owner once, in O(1).

Both modules keep the same fields (``requests``, ``next_request_id``, ``next_to_finalize``, ``buffer``,
``reserved``, ``queued_assets``, ``ledger``, ``history``); the Protocols below name them, and the request, the
price sample, the queue summary and the price quote they share are defined here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

import msgspec

from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.errors import NotAuthorized, NotReady, UnknownEntity
from stakework.modules.host import ModuleHost
from stakework.modules.shares import ShareLedger

PRICE_SCALE = 10**9
"""Prices are quoted as Gwei per 10**9 shares (one SWK's worth of shares at the 1:1 start)."""


class WithdrawalRequest(msgspec.Struct, kw_only=True):
    """One queued withdrawal (Lido ``WithdrawalRequestStatus``). ``amount`` is fixed at request time; ``paid`` is
    set at finalization."""

    id: int
    owner: bytes
    shares: int
    amount: int
    epoch: int
    finalized: bool = False
    paid: int = 0


class PriceSample(msgspec.Struct, array_like=True):
    """The ledger's totals at the end of one epoch (one per epoch, a bounded history)."""

    epoch: int
    total_assets: int
    total_shares: int


class QueueView(msgspec.Struct, kw_only=True):
    """The queue's summary for the API."""

    next_request_id: int
    next_to_finalize: int
    unfinalized: int
    queued_assets: int
    reserved_for_claims: int
    buffer: int


class QueuedRequest(Protocol):
    id: int
    owner: bytes
    shares: int
    amount: int
    finalized: bool
    paid: int


R = TypeVar("R", bound=QueuedRequest)


class QueueOwner(Protocol[R]):
    ledger: ShareLedger
    buffer: int
    reserved: int
    queued_assets: int
    next_request_id: int
    next_to_finalize: int
    requests: dict[int, R]


def finalize_requests(owner: QueueOwner[R], queue_holder: bytes) -> int:
    """Finalize FIFO while the buffer pays the head; returns how many were finalized."""
    count = 0
    while owner.next_to_finalize < owner.next_request_id:
        request = owner.requests[owner.next_to_finalize]
        payout = min(request.amount, owner.ledger.convert_to_assets(request.shares, Rounding.DOWN))
        if payout > owner.buffer:
            break
        owner.ledger.burn(queue_holder, request.shares)
        owner.ledger.remove_assets(payout)
        owner.buffer -= payout
        owner.reserved += payout
        owner.queued_assets -= request.amount
        request.finalized = True
        request.paid = payout
        owner.next_to_finalize += 1
        count += 1
    return count


class ExitingValidator(Protocol):
    pubkey: bytes
    last_balance: int
    exiting: bool


def request_exits(owner: QueueOwner[R], validators: Sequence[ExitingValidator], host: ModuleHost, module: str) -> None:
    """Exit the oldest validators while the queue's need exceeds buffer + pending exits (the newest may still be
    pending activation, which the chain cannot exit); ask again for validators already exiting, since the chain
    may not have accepted the request yet."""
    incoming = sum(v.last_balance for v in validators if v.exiting)
    need = owner.queued_assets - owner.buffer - incoming
    for v in validators:
        if v.exiting:
            host.request_exit(module, v.pubkey)
        elif need > 0:
            host.request_exit(module, v.pubkey)
            v.exiting = True
            need -= v.last_balance


def claim(owner: QueueOwner[R], host: ModuleHost, module: str, sender: bytes, request_id: int, where: str = "") -> None:
    """Pay a finalized request to its owner (Lido ``claimWithdrawal``); the request is then gone. `where`
    completes the error messages (e.g. " in pool 3")."""
    request = owner.requests.get(request_id)
    if request is None:
        raise UnknownEntity(f"no open request {request_id}{where}")
    if request.owner != sender:
        raise NotAuthorized("only the request's owner claims it")
    if not request.finalized:
        raise NotReady(f"request {request.id} is not finalized yet (queue head: {owner.next_to_finalize})")
    host.debit(host.module_address(module), request.paid)
    host.credit(sender, request.paid)
    owner.reserved -= request.paid
    del owner.requests[request.id]


def queue_view(owner: QueueOwner[R]) -> QueueView:
    """The queue's summary: ids, unfinalized count, what it still needs and what awaits claims."""
    return QueueView(
        next_request_id=owner.next_request_id,
        next_to_finalize=owner.next_to_finalize,
        unfinalized=owner.next_request_id - owner.next_to_finalize,
        queued_assets=owner.queued_assets,
        reserved_for_claims=owner.reserved,
        buffer=owner.buffer,
    )


def sample_price(sample: PriceSample) -> int:
    """The share price at a history sample: Gwei per :data:`PRICE_SCALE` shares, rounded down (``PRICE_SCALE``
    when there were no shares), as ``ledger.convert_to_assets(PRICE_SCALE, Rounding.DOWN)`` quotes it now."""
    if sample.total_shares == 0:
        return PRICE_SCALE
    return mul_div(sample.total_assets, PRICE_SCALE, sample.total_shares, Rounding.DOWN)


def history_apr_bps(history: Sequence[PriceSample], epochs: int, epochs_per_year: int) -> int | None:
    """Simple annualised growth of the share price over (at most) the last ``epochs`` samples, in basis points.

    ``None`` when the history has fewer than two samples. Negative after losses. Integer math; the caller
    divides by 100 for a percentage.
    """
    # equivalent mutant (const 2 to 1|cmp <= to <|const 0 to -1): one sample, or no window, gives span 0: None
    if len(history) < 2 or epochs <= 0:
        return None
    first = history[-min(epochs + 1, len(history))]
    last = history[-1]
    span = last.epoch - first.epoch
    if span <= 0 or 0 in (first.total_shares, last.total_shares, first.total_assets):
        return None
    # growth = (A1/S1) / (A0/S0) - 1, annualised linearly.
    num = last.total_assets * first.total_shares
    den = first.total_assets * last.total_shares
    sign = 1 if num >= den else -1  # equivalent mutant (cmp >= to >): at num == den the result is 0 either way
    return sign * mul_div(abs(num - den), BPS * epochs_per_year, den * span, Rounding.DOWN)
