"""Spec: process_withdrawal_request (Electra, EIP-7002) — a full exit or a partial withdrawal asked for by the
address in the validator's withdrawal credentials.

Requests that fail a check are ignored (no error), exactly as in the spec: they come from the execution layer,
where the request was already paid for, so the block stays valid.
"""

from __future__ import annotations

from stakework.spec.constants import FULL_EXIT_REQUEST_AMOUNT
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import PendingPartialWithdrawal
from stakework.transition.block.helpers import (
    get_pending_balance_to_withdraw,
    has_compounding_withdrawal_credential,
    has_execution_withdrawal_credential,
    has_exit_initiated,
    is_active_validator_at,
    withdrawal_address,
)
from stakework.transition.block.operations import WithdrawalRequest
from stakework.transition.churn import compute_exit_epoch_and_update_churn
from stakework.transition.mutators import initiate_validator_exit


def process_withdrawal_request(state: BeaconState, withdrawal_request: WithdrawalRequest) -> None:
    """Spec: process_withdrawal_request.

    Ignored when: the partial-withdrawal queue is full (partial requests only); the pubkey is unknown; the
    credentials are not 0x01/0x02 or their address is not `source_address`; the validator is not active, is
    already exiting, or has not been active SHARD_COMMITTEE_PERIOD epochs. Then a full exit (amount 0) starts
    the exit if nothing is queued for the validator; a partial one (0x02 only, effective balance at least
    MIN_ACTIVATION_BALANCE, balance above it plus what is already queued) queues
    min(excess, amount) through the exit churn.
    """
    p = state.preset
    amount = withdrawal_request.amount
    is_full_exit_request = amount == FULL_EXIT_REQUEST_AMOUNT
    if len(state.pending_partial_withdrawals) == p.PENDING_PARTIAL_WITHDRAWALS_LIMIT and not is_full_exit_request:
        return
    index = state.validators.index_of_pubkey(withdrawal_request.validator_pubkey)
    if index is None:
        return
    if not (
        has_execution_withdrawal_credential(state, index)
        and withdrawal_address(state, index) == bytes(withdrawal_request.source_address)
    ):
        return
    current_epoch = state.current_epoch()
    if not is_active_validator_at(state, index, current_epoch):
        return
    if has_exit_initiated(state, index):
        return
    if current_epoch < int(state.validators.activation_epoch[index]) + p.SHARD_COMMITTEE_PERIOD:
        return

    pending_balance_to_withdraw = get_pending_balance_to_withdraw(state, index)
    if is_full_exit_request:
        if pending_balance_to_withdraw == 0:
            initiate_validator_exit(state, index)
        return

    balance = int(state.validators.balances[index])
    has_sufficient_effective_balance = int(state.validators.effective_balance[index]) >= p.MIN_ACTIVATION_BALANCE
    has_excess_balance = balance > p.MIN_ACTIVATION_BALANCE + pending_balance_to_withdraw
    if has_compounding_withdrawal_credential(state, index) and has_sufficient_effective_balance and has_excess_balance:
        to_withdraw = min(balance - p.MIN_ACTIVATION_BALANCE - pending_balance_to_withdraw, amount)
        exit_queue_epoch = compute_exit_epoch_and_update_churn(state, to_withdraw)
        state.pending_partial_withdrawals.append(
            PendingPartialWithdrawal(
                validator_index=index,
                amount=to_withdraw,
                withdrawable_epoch=exit_queue_epoch + p.MIN_VALIDATOR_WITHDRAWABILITY_DELAY,
            )
        )
