"""Spec: process_pending_deposits (Electra, EIP-6110 / EIP-7251: deposits enter through a balance churn)."""

from __future__ import annotations

from stakework.spec.types import FAR_FUTURE_EPOCH, GENESIS_SLOT
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import PendingDeposit
from stakework.transition.churn import get_activation_exit_churn_limit
from stakework.transition.deposits import apply_pending_deposit
from stakework.transition.epoch.context import EpochContext
from stakework.transition.misc import compute_start_slot_at_epoch


def process_pending_deposits(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_pending_deposits. Walks the queue head (at most MAX_PENDING_DEPOSITS_PER_EPOCH entries):
    stops at a deposit that is not finalized yet or does not fit in the churn; deposits to exited validators are
    postponed to the back of the queue, deposits to withdrawn ones are credited without using churn. Unused churn
    carries over only when the limit was hit."""
    p = state.preset
    v = state.validators
    next_epoch = ctx.next_epoch
    available_for_processing = state.deposit_balance_to_consume + get_activation_exit_churn_limit(
        state, ctx.total_active_balance
    )
    processed_amount = 0
    next_deposit_index = 0
    deposits_to_postpone: list[PendingDeposit] = []
    is_churn_limit_reached = False
    finalized_slot = compute_start_slot_at_epoch(p, state.finalized_checkpoint.epoch)

    for deposit in state.pending_deposits:
        # Deposit requests wait until the legacy (eth1 bridge) deposits before them are applied.
        if deposit.slot > GENESIS_SLOT and state.eth1_deposit_index < state.deposit_requests_start_index:
            break
        if deposit.slot > finalized_slot:
            break
        if next_deposit_index >= p.MAX_PENDING_DEPOSITS_PER_EPOCH:
            break

        is_validator_exited = False
        is_validator_withdrawn = False
        index = v.index_of_pubkey(deposit.pubkey)
        if index is not None:
            is_validator_exited = int(v.exit_epoch[index]) < FAR_FUTURE_EPOCH
            is_validator_withdrawn = int(v.withdrawable_epoch[index]) < next_epoch

        if is_validator_withdrawn:
            # The balance will never become active: credit it without consuming churn.
            apply_pending_deposit(state, deposit)
        elif is_validator_exited:
            deposits_to_postpone.append(deposit)
        else:
            is_churn_limit_reached = processed_amount + deposit.amount > available_for_processing
            if is_churn_limit_reached:
                break
            processed_amount += deposit.amount
            apply_pending_deposit(state, deposit)
        next_deposit_index += 1

    state.pending_deposits = state.pending_deposits[next_deposit_index:] + deposits_to_postpone
    if is_churn_limit_reached:
        state.deposit_balance_to_consume = available_for_processing - processed_amount
    else:
        state.deposit_balance_to_consume = 0
