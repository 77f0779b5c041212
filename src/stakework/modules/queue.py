"""The FIFO withdrawal queue that the pool and the liquid module share (Lido ``WithdrawalQueueBase``).

A request fixes ``amount`` when it is made; its ``shares`` wait under the module's queue holder. Finalization
walks the queue in order while the buffer covers the head and pays ``min(amount, shares × price now)`` (Lido's
share-rate cap: a slashing before payment is shared, later rewards stay in the pool); a finalized request is
claimed by its owner once, in O(1).

Both modules keep the same fields (``requests``, ``next_request_id``, ``next_to_finalize``, ``buffer``,
``reserved``, ``queued_assets``, ``ledger``); the Protocols below name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from stakework.modules.arith import Rounding
from stakework.modules.errors import NotAuthorized, NotReady, UnknownEntity
from stakework.modules.host import ModuleHost
from stakework.modules.shares import ShareLedger


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
