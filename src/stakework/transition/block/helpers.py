"""Spec predicates and accessors for one validator, as block operations use them (scalar counterparts of the
vectorized ones in `transition.accessors`)."""

from __future__ import annotations

from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState


def is_active_validator_at(state: BeaconState, index: int, epoch: int) -> bool:
    """Spec: is_active_validator — activation_epoch <= epoch < exit_epoch."""
    v = state.validators
    return int(v.activation_epoch[index]) <= epoch < int(v.exit_epoch[index])


def has_exit_initiated(state: BeaconState, index: int) -> bool:
    """`validator.exit_epoch != FAR_FUTURE_EPOCH`."""
    return int(state.validators.exit_epoch[index]) != FAR_FUTURE_EPOCH


def credential_prefix(state: BeaconState, index: int) -> int:
    """First byte of the validator's withdrawal credentials."""
    return int(state.validators.withdrawal_credentials[index, 0])


def has_eth1_withdrawal_credential(state: BeaconState, index: int) -> bool:
    """Spec: has_eth1_withdrawal_credential — 0x01."""
    return credential_prefix(state, index) == ETH1_ADDRESS_WITHDRAWAL_PREFIX


def has_compounding_withdrawal_credential(state: BeaconState, index: int) -> bool:
    """Spec: has_compounding_withdrawal_credential (EIP-7251) — 0x02."""
    return credential_prefix(state, index) == COMPOUNDING_WITHDRAWAL_PREFIX


def has_execution_withdrawal_credential(state: BeaconState, index: int) -> bool:
    """Spec: has_execution_withdrawal_credential (EIP-7251) — 0x01 or 0x02."""
    return credential_prefix(state, index) in (ETH1_ADDRESS_WITHDRAWAL_PREFIX, COMPOUNDING_WITHDRAWAL_PREFIX)


def withdrawal_address(state: BeaconState, index: int) -> bytes:
    """The 20-byte address in execution withdrawal credentials (`withdrawal_credentials[12:]`)."""
    return state.validators.withdrawal_credentials[index, 12:].tobytes()


def get_pending_balance_to_withdraw(state: BeaconState, validator_index: int) -> int:
    """Spec: get_pending_balance_to_withdraw (EIP-7251) — the sum of the validator's queued partial
    withdrawals."""
    return sum(w.amount for w in state.pending_partial_withdrawals if w.validator_index == validator_index)


def is_slashable_validator(state: BeaconState, index: int, epoch: int) -> bool:
    """Spec: is_slashable_validator — not slashed, and activation_epoch <= epoch < withdrawable_epoch."""
    v = state.validators
    return (not bool(v.slashed[index])) and int(v.activation_epoch[index]) <= epoch < int(v.withdrawable_epoch[index])
