"""Spec: process_consolidation_request (Electra, EIP-7251) — switch a validator to compounding credentials,
or queue the consolidation of a source validator into a compounding target.

Requests that fail a check are ignored (no error), exactly as in the spec.
"""

from __future__ import annotations

from stakework.state.beacon_state import BeaconState
from stakework.state.containers import PendingConsolidation
from stakework.transition.block.helpers import (
    get_pending_balance_to_withdraw,
    has_compounding_withdrawal_credential,
    has_eth1_withdrawal_credential,
    has_execution_withdrawal_credential,
    has_exit_initiated,
    is_active_validator_at,
    withdrawal_address,
)
from stakework.transition.block.operations import ConsolidationRequest
from stakework.transition.churn import compute_consolidation_epoch_and_update_churn, get_consolidation_churn_limit
from stakework.transition.mutators import switch_to_compounding_validator


def is_valid_switch_to_compounding_request(state: BeaconState, consolidation_request: ConsolidationRequest) -> bool:
    """Spec: is_valid_switch_to_compounding_request — source == target, a known pubkey whose 0x01 credentials
    hold `source_address`, active and not exiting."""
    if consolidation_request.source_pubkey != consolidation_request.target_pubkey:
        return False
    index = state.validators.index_of_pubkey(consolidation_request.source_pubkey)
    if index is None:
        return False
    if withdrawal_address(state, index) != bytes(consolidation_request.source_address):
        return False
    if not has_eth1_withdrawal_credential(state, index):
        return False
    if not is_active_validator_at(state, index, state.current_epoch()):
        return False
    return not has_exit_initiated(state, index)


def process_consolidation_request(state: BeaconState, consolidation_request: ConsolidationRequest) -> None:
    """Spec: process_consolidation_request.

    A valid switch request turns the source's 0x01 credentials into 0x02 and queues its excess balance.
    Otherwise, for source != target, the request is ignored when: the consolidation queue is full; the
    consolidation churn is at most MIN_ACTIVATION_BALANCE; either pubkey is unknown; the source's credentials
    are not 0x01/0x02 with `source_address`; the target is not 0x02; either is inactive or exiting; the source
    has not been active SHARD_COMMITTEE_PERIOD epochs or has pending partial withdrawals. Else the source exits
    through the consolidation churn and a PendingConsolidation is queued.
    """
    p = state.preset
    v = state.validators
    if is_valid_switch_to_compounding_request(state, consolidation_request):
        index = v.index_of_pubkey(consolidation_request.source_pubkey)
        if index is not None:  # always: is_valid_switch_to_compounding_request found it
            switch_to_compounding_validator(state, index)
        return
    if consolidation_request.source_pubkey == consolidation_request.target_pubkey:
        return
    if len(state.pending_consolidations) == p.PENDING_CONSOLIDATIONS_LIMIT:
        return
    if get_consolidation_churn_limit(state) <= p.MIN_ACTIVATION_BALANCE:
        return
    source_index = v.index_of_pubkey(consolidation_request.source_pubkey)
    if source_index is None:
        return
    target_index = v.index_of_pubkey(consolidation_request.target_pubkey)
    if target_index is None:
        return
    if not (
        has_execution_withdrawal_credential(state, source_index)
        and withdrawal_address(state, source_index) == bytes(consolidation_request.source_address)
    ):
        return
    if not has_compounding_withdrawal_credential(state, target_index):
        return
    current_epoch = state.current_epoch()
    if not is_active_validator_at(state, source_index, current_epoch):
        return
    if not is_active_validator_at(state, target_index, current_epoch):
        return
    if has_exit_initiated(state, source_index) or has_exit_initiated(state, target_index):
        return
    if current_epoch < int(v.activation_epoch[source_index]) + p.SHARD_COMMITTEE_PERIOD:
        return
    if get_pending_balance_to_withdraw(state, source_index) > 0:
        return

    exit_epoch = compute_consolidation_epoch_and_update_churn(state, int(v.effective_balance[source_index]))
    v.exit_epoch[source_index] = exit_epoch
    v.withdrawable_epoch[source_index] = exit_epoch + p.MIN_VALIDATOR_WITHDRAWABILITY_DELAY
    state.pending_consolidations.append(PendingConsolidation(source_index=source_index, target_index=target_index))
