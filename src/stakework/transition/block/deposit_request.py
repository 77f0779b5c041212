"""Spec: process_deposit_request (Electra, EIP-6110) — a deposit enters the pending-deposit queue."""

from __future__ import annotations

from stakework.spec.constants import UNSET_DEPOSIT_REQUESTS_START_INDEX
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import PendingDeposit
from stakework.transition.block.operations import DepositRequest


def process_deposit_request(state: BeaconState, deposit_request: DepositRequest) -> None:
    """Spec: process_deposit_request — record the first request's index, then queue the deposit at the
    current slot. Nothing is checked here: the signature is checked when the deposit is applied
    (apply_pending_deposit), and a deposit with a bad signature is then dropped, as in the spec."""
    if state.deposit_requests_start_index == UNSET_DEPOSIT_REQUESTS_START_INDEX:
        state.deposit_requests_start_index = deposit_request.index
    state.pending_deposits.append(
        PendingDeposit(
            pubkey=deposit_request.pubkey,
            withdrawal_credentials=deposit_request.withdrawal_credentials,
            amount=deposit_request.amount,
            signature=deposit_request.signature,
            slot=state.slot,
        )
    )
