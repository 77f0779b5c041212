"""Pure pool handlers: ``handle_<message>(state, host, sender, msg)``. Each validates everything first, then
moves money through the host, then mutates state, so a refused message changes nothing.

Costs: deposit, transfer, request and claim are O(1) in the number of delegators (dict lookups, one request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stakework.modules import queue
from stakework.modules.arith import BPS, Rounding
from stakework.modules.host import ModuleHost
from stakework.modules.keys import check_new_keys
from stakework.modules.pool import MODULE
from stakework.modules.pool.errors import (
    AboveMaximum,
    BelowMinimum,
    Insolvent,
    InsufficientShares,
    NotAuthorized,
    UnknownEntity,
)
from stakework.modules.pool.messages import (
    AddKeys,
    Claim,
    Deposit,
    PoolMessage,
    RegisterPool,
    RequestWithdrawal,
    SetCommission,
    TransferShares,
)
from stakework.modules.pool.state import QUEUE_HOLDER, Pool, PoolModuleState
from stakework.modules.queue import WithdrawalRequest
from stakework.modules.shares import BURN_ADDRESS


def get_pool(state: PoolModuleState, pool_id: int) -> Pool:
    pool = state.pools.get(pool_id)
    if pool is None:
        raise UnknownEntity(f"no pool {pool_id}")
    return pool


def _check_commission(bps: int) -> None:
    if not 0 <= bps <= BPS:
        raise AboveMaximum(f"commission must be 0..{BPS} basis points, got {bps}")


def _check_holder(address: bytes) -> None:
    if address in (BURN_ADDRESS, QUEUE_HOLDER):
        raise NotAuthorized("reserved address")


def handle_register_pool(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: RegisterPool) -> None:
    """A new pool, operated by ``sender``."""
    _check_commission(msg.commission_bps)
    _check_holder(sender)
    check_new_keys(host, MODULE, msg.keys, state.key_owner)
    pool_id = state.next_pool_id
    state.next_pool_id += 1
    state.pools[pool_id] = Pool(
        id=pool_id,
        operator=sender,
        commission_bps=msg.commission_bps,
        spare_keys=list(msg.keys),
    )
    for key in msg.keys:
        state.key_owner[key.pubkey] = pool_id


def handle_add_keys(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: AddKeys) -> None:
    pool = get_pool(state, msg.pool_id)
    if sender != pool.operator:
        raise NotAuthorized("only the pool's operator adds keys")
    check_new_keys(host, MODULE, msg.keys, state.key_owner)
    pool.spare_keys.extend(msg.keys)
    for key in msg.keys:
        state.key_owner[key.pubkey] = pool.id


def handle_set_commission(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: SetCommission) -> None:
    """The operator changes its commission; it applies from the next epoch's rewards."""
    pool = get_pool(state, msg.pool_id)
    if sender != pool.operator:
        raise NotAuthorized("only the pool's operator sets the commission")
    _check_commission(msg.commission_bps)
    pool.commission_bps = msg.commission_bps


def handle_deposit(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: Deposit) -> None:
    """``sender`` pays ``amount`` into the buffer for shares, rounded down (``ShareLedger.mint_for_deposit``)."""
    pool = get_pool(state, msg.pool_id)
    _check_holder(sender)
    if msg.amount < state.min_deposit:
        raise BelowMinimum(f"the minimum deposit is {state.min_deposit}, got {msg.amount}")
    if pool.ledger.total_shares and pool.ledger.total_assets == 0:
        raise Insolvent(f"pool {pool.id} has lost all its assets; it takes no deposits")
    if pool.ledger.preview_deposit(msg.amount) == 0:
        raise BelowMinimum(f"{msg.amount} buys no share of pool {pool.id}")
    host.debit(sender, msg.amount)
    host.credit(host.module_address(MODULE), msg.amount)
    pool.ledger.mint_for_deposit(sender, msg.amount)
    pool.buffer += msg.amount


def handle_transfer_shares(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: TransferShares) -> None:
    """Move pool shares (Lido ``StETH._transferShares``)."""
    pool = get_pool(state, msg.pool_id)
    _check_holder(msg.to)
    if msg.shares <= 0:
        raise BelowMinimum("transfer a positive number of shares")
    if msg.shares > pool.ledger.shares_of(sender):
        raise InsufficientShares(f"sender holds {pool.ledger.shares_of(sender)} shares")
    pool.ledger.transfer(sender, msg.to, msg.shares)


def handle_request_withdrawal(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: RequestWithdrawal) -> None:
    """Queue ``shares`` for withdrawal at the end of the FIFO queue.

    The payout is fixed now at ``amount = floor(shares * price)``; the shares move to the queue
    (:data:`QUEUE_HOLDER`) and keep sharing gains and losses until finalization, when the request is paid
    ``min(amount, floor(shares * price_then))`` (Lido ``WithdrawalQueueBase._calcBatch``/``_finalize``:
    requests are finalized at ``min(request rate, finalization share rate)``). So rewards after the request
    stay with the pool, and a slashing before payment makes the request share the loss pro rata.
    """
    pool = get_pool(state, msg.pool_id)
    if msg.shares <= 0:
        raise BelowMinimum("request a positive number of shares")
    if msg.shares > pool.ledger.shares_of(sender):
        raise InsufficientShares(f"sender holds {pool.ledger.shares_of(sender)} shares, {msg.shares} requested")
    amount = pool.ledger.convert_to_assets(msg.shares, Rounding.DOWN)
    if amount == 0:
        raise BelowMinimum("those shares are worth nothing")
    pool.ledger.transfer(sender, QUEUE_HOLDER, msg.shares)
    request_id = pool.next_request_id
    pool.next_request_id += 1
    pool.requests[request_id] = WithdrawalRequest(
        id=request_id, owner=sender, shares=msg.shares, amount=amount, epoch=host.epoch
    )
    pool.queued_assets += amount


def handle_claim(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: Claim) -> None:
    """Pay a finalized request to its owner (O(1)); the request is then gone."""
    pool = get_pool(state, msg.pool_id)
    queue.claim(pool, host, MODULE, sender, msg.request_id, f" in pool {pool.id}")


HANDLERS: dict[type[Any], Callable[[PoolModuleState, ModuleHost, bytes, Any], None]] = {
    RegisterPool: handle_register_pool,
    AddKeys: handle_add_keys,
    SetCommission: handle_set_commission,
    Deposit: handle_deposit,
    TransferShares: handle_transfer_shares,
    RequestWithdrawal: handle_request_withdrawal,
    Claim: handle_claim,
}
"""Message type -> handler: what block processing dispatches on."""


def dispatch(state: PoolModuleState, host: ModuleHost, sender: bytes, msg: PoolMessage) -> None:
    """Run the handler for ``msg``."""
    HANDLERS[type(msg)](state, host, sender, msg)
