"""The liquid module's epoch hook. No oracle: it reads the consensus balances of its own validators.

1. **Account**: read every validator and what the chain paid from it into the module's account (that joins the
   buffer; a validator that reads 0 is gone: withdrawn, or penalised to nothing). The net change (balance + paid
   - last balance) is split: a loss passes through in full (mass slashing is felt at once, Lido: negative rebases are
   not smoothed); a gain joins ``unrecognised`` and at most ``max_positive_rebase`` (1e-9 of the pooled SWK) of
   it is recognised this epoch (Lido ``OracleReportSanityChecker`` / ``PositiveTokenRebaseLimiter``: the rest
   stays for later reports). This bounds what a sandwich around a big reward or donation can take.
2. **Fee**: on the recognised positive rebase, ``fee_bps`` is minted as shares in one mint (Lido
   ``_distributeFee``), then split: ``treasury_share_bps`` to the treasury, the rest to operators in proportion
   to their active validators (O(operators)).
3. **Finalize** FIFO while the buffer pays the head: ``paid = min(amount, floor(shares * price))``, the discount
   when a loss came after the request (Lido ``WithdrawalQueueBase._finalize`` with the share-rate cap).
4. **Exit** validators while the queue's need exceeds buffer + pending exits (oldest first: the newest may still
   be pending activation, which the chain cannot exit); repeat the request
   for validators already exiting until the chain has exited them.
5. **Stake** full validators from the buffer not needed by the queue, the operator with the fewest active
   validators first (Lido's ``NodeOperatorsRegistry`` allocation by fewest active keys).
6. **Record** a price sample (bounded history).
"""

from __future__ import annotations

from stakework.modules import queue
from stakework.modules.arith import BPS, Rounding, bps_of, mul_div
from stakework.modules.host import ModuleHost
from stakework.modules.liquid import MODULE
from stakework.modules.liquid.state import (
    QUEUE_HOLDER,
    REBASE_PRECISION,
    LiquidState,
    LiquidValidator,
)


def account_balances(state: LiquidState, host: ModuleHost) -> int:
    """Step 1: returns the positive rebase recognised this epoch (0 after a loss)."""
    delta = 0
    kept: list[LiquidValidator] = []
    for v in state.validators:
        paid = host.take_withdrawals(v.pubkey)  # landed in the module's account: the buffer's
        balance = host.validator_balance(v.pubkey)
        state.buffer += paid
        delta += balance + paid - v.last_balance
        if balance == 0:
            state.operators[v.operator].active -= 1  # gone: withdrawn, or penalised to nothing
            continue
        v.last_balance = balance
        kept.append(v)
    state.validators = kept
    if delta < 0:
        # The seen-but-unrecognised reward is real money still held; it can only exceed what is left if the
        # loss took everything recognised.
        actual = state.buffer + sum(v.last_balance for v in state.validators)
        state.unrecognised = min(state.unrecognised, actual)
        state.ledger.set_total_assets(actual - state.unrecognised)
        return 0
    state.unrecognised += delta
    limit = mul_div(state.ledger.total_assets, state.max_positive_rebase, REBASE_PRECISION, Rounding.DOWN)
    if state.ledger.total_shares == 0:
        limit = state.unrecognised  # nobody to sandwich: recognise everything
    recognised = min(state.unrecognised, limit)
    state.unrecognised -= recognised
    state.ledger.add_assets(recognised)
    return recognised


def distribute_fee(state: LiquidState, reward: int) -> None:
    """Step 2: mint the fee as shares to the treasury, then move the operators' part to them."""
    if reward <= 0 or state.fee_bps == 0:
        return
    minted = state.ledger.mint_fee_shares(state.treasury, bps_of(reward, state.fee_bps))
    operators_part = minted - mul_div(minted, state.treasury_share_bps, BPS, Rounding.DOWN)
    active = sum(op.active for op in state.operators)
    if operators_part == 0 or active == 0:
        return
    for op in state.operators:
        if op.active:
            state.ledger.transfer(state.treasury, op.address, mul_div(operators_part, op.active, active, Rounding.DOWN))


def finalize_requests(state: LiquidState) -> None:
    """Step 3: FIFO finalization while the buffer covers the head's payout (the shared queue)."""
    queue.finalize_requests(state, QUEUE_HOLDER)


def request_exits(state: LiquidState, host: ModuleHost) -> None:
    """Step 4: exit the oldest validators while the queue's need exceeds buffer + pending exits (the shared
    queue)."""
    queue.request_exits(state, state.validators, host, MODULE)


def stake_buffer(state: LiquidState, host: ModuleHost) -> None:
    """Step 5: stake full validators, the operator with the fewest active validators (and a spare key) first."""
    amount = state.min_activation_balance
    while state.buffer - state.queued_assets >= amount:
        candidates = [i for i, op in enumerate(state.operators) if op.spare_keys]
        if not candidates:
            return
        index = min(candidates, key=lambda i: (state.operators[i].active, i))
        op = state.operators[index]
        key = op.spare_keys.pop(0)
        if not host.stake(MODULE, key, amount):
            continue  # the chain knows the key already: dropped, never staked
        state.buffer -= amount
        op.active += 1
        state.validators.append(LiquidValidator(pubkey=key.pubkey, operator=index, last_balance=amount))


def record(state: LiquidState, host: ModuleHost) -> None:
    state.history.append(queue.PriceSample(host.epoch, state.ledger.total_assets, state.ledger.total_shares))
    if len(state.history) > state.history_length:
        del state.history[: len(state.history) - state.history_length]


def on_epoch(state: LiquidState, host: ModuleHost) -> None:
    """Run steps 1-6."""
    reward = account_balances(state, host)
    distribute_fee(state, reward)
    finalize_requests(state)
    request_exits(state, host)
    stake_buffer(state, host)
    record(state, host)
