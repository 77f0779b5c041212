"""The pool's epoch hook, per pool and in this order:

1. **Account** (:func:`account_balances`): read every validator's balance and what the chain paid from it into
   the module's account (``take_withdrawals``: that joins the buffer). A validator that reads 0 is gone
   (withdrawn, or penalised to nothing). ``balance + paid - last balance`` summed is the epoch's reward (or
   penalty); the pool's value moves by it, so the share price moves for every holder
   at once, slashing included (losses socialised pro rata). O(validators), never O(delegators).
2. **Commission** (:func:`take_commission`): on a positive net reward only, the operator gets shares worth
   ``commission_bps`` of it (Lido ``Lido._distributeFee``: one mint, O(1)).
3. **Finalize** (:func:`finalize_requests`): FIFO from the queue head while the buffer covers the head request's
   payout ``min(amount, floor(shares * price))``; the payout leaves the pool (``reserved``) and the shares burn.
4. **Exit** (:func:`request_exits`): if the queue still needs more than the buffer plus the exiting validators
   hold, ask the oldest validators to exit until it does not (they are past activation and the chain's minimum
   service period; the newest may still be pending and cannot exit yet); repeat the request for validators already
   exiting (the chain may not have been able to exit them yet: too young, or still pending activation).
5. **Stake** (:func:`stake_buffer`): stake ``MIN_ACTIVATION_BALANCE`` from the buffer per validator while the
   buffer, less what the queue still needs, holds a full validator and a key is available (a key the chain
   already knows is dropped, never staked: it would top up someone else's validator).
6. **Record** a price sample (bounded history).
"""

from __future__ import annotations

from stakework.modules import queue
from stakework.modules.arith import bps_of
from stakework.modules.host import ModuleHost
from stakework.modules.pool import MODULE
from stakework.modules.pool.state import QUEUE_HOLDER, Pool, PoolModuleState, PoolValidator
from stakework.modules.queue import PriceSample


def account_balances(pool: Pool, host: ModuleHost) -> int:
    """Step 1: returns the net reward (negative: penalty) of the pool's validators this epoch."""
    delta = 0
    kept: list[PoolValidator] = []
    for v in pool.validators:
        paid = host.take_withdrawals(v.pubkey)  # landed in the module's account: the buffer's
        balance = host.validator_balance(v.pubkey)
        pool.buffer += paid
        delta += balance + paid - v.last_balance
        if balance == 0:
            continue  # gone: withdrawn, or penalised to nothing
        v.last_balance = balance
        kept.append(v)
    pool.validators = kept
    if delta >= 0:
        pool.ledger.add_assets(delta)
    else:
        pool.ledger.remove_assets(-delta)
    return delta


def take_commission(pool: Pool, reward: int) -> int:
    """Step 2: mint the operator's commission on a positive reward; returns the shares minted."""
    if reward <= 0 or pool.commission_bps == 0:
        return 0
    minted = pool.ledger.mint_fee_shares(pool.operator, bps_of(reward, pool.commission_bps))
    pool.commission_paid_shares += minted
    return minted


def finalize_requests(pool: Pool) -> int:
    """Step 3: finalize FIFO while the buffer pays the head (the shared queue); returns how many."""
    return queue.finalize_requests(pool, QUEUE_HOLDER)


def request_exits(pool: Pool, host: ModuleHost) -> None:
    """Step 4: exit the oldest validators while the queue's need exceeds buffer + pending exits (the shared
    queue)."""
    queue.request_exits(pool, pool.validators, host, MODULE)


def stake_buffer(state: PoolModuleState, pool: Pool, host: ModuleHost) -> None:
    """Step 5: stake full validators from the buffer not needed by the queue."""
    amount = state.min_activation_balance
    while pool.buffer - pool.queued_assets >= amount and pool.spare_keys:
        key = pool.spare_keys.pop(0)
        if not host.stake(MODULE, key, amount):
            continue  # the chain knows the key already: dropped (it stays in key_owner, never reused)
        pool.buffer -= amount
        pool.validators.append(PoolValidator(pubkey=key.pubkey, last_balance=amount))


def record(state: PoolModuleState, pool: Pool, host: ModuleHost) -> None:
    """Step 6: a price sample; the history keeps the last ``history_length`` epochs."""
    pool.history.append(PriceSample(host.epoch, pool.ledger.total_assets, pool.ledger.total_shares))
    if len(pool.history) > state.history_length:
        del pool.history[: len(pool.history) - state.history_length]


def on_epoch(state: PoolModuleState, host: ModuleHost) -> None:
    """Run steps 1-6 for every pool."""
    for pool in state.pools.values():
        reward = account_balances(pool, host)
        take_commission(pool, reward)
        finalize_requests(pool)
        request_exits(pool, host)
        stake_buffer(state, pool, host)
        record(state, pool, host)
