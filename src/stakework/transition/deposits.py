"""Spec (Electra, EIP-6110 / EIP-7251): applying deposits to the registry."""

from __future__ import annotations

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto import bls
from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, DOMAIN_DEPOSIT
from stakework.spec.types import ValidatorIndex
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import PendingDeposit


def is_valid_deposit_signature(
    state: BeaconState, pubkey: bytes, withdrawal_credentials: bytes, amount: int, signature: bytes
) -> bool:
    """Spec: is_valid_deposit_signature — proof of possession over the DepositMessage, in the deposit domain of
    the genesis fork version (fork-agnostic, so deposits made for one fork stay valid)."""
    domain = compute_domain(DOMAIN_DEPOSIT, state.preset.GENESIS_FORK_VERSION)
    signing_root = compute_signing_root(deposit_message_root(pubkey, withdrawal_credentials, amount), domain)
    return bls.verify(pubkey, signing_root, signature)


def get_validator_effective_balance_from_deposit(state: BeaconState, withdrawal_credentials: bytes, amount: int) -> int:
    """Spec: get_validator_from_deposit's effective balance — amount rounded down to an increment, capped."""
    p = state.preset
    cap = (
        p.MAX_EFFECTIVE_BALANCE_ELECTRA
        if withdrawal_credentials[0] == COMPOUNDING_WITHDRAWAL_PREFIX
        else p.MIN_ACTIVATION_BALANCE
    )
    return min(amount - amount % p.EFFECTIVE_BALANCE_INCREMENT, cap)


def add_validator_to_registry(
    state: BeaconState, pubkey: bytes, withdrawal_credentials: bytes, amount: int
) -> ValidatorIndex:
    """Spec: add_validator_to_registry (new validators are appended: index reuse is not in Electra)."""
    effective = get_validator_effective_balance_from_deposit(state, withdrawal_credentials, amount)
    return state.validators.append(pubkey, withdrawal_credentials, effective, amount)


def apply_pending_deposit(state: BeaconState, deposit: PendingDeposit) -> None:
    """Spec: apply_pending_deposit — a top-up for a known pubkey, else a new validator if the signature holds
    (a deposit with an invalid signature is dropped, its amount lost, as in the spec)."""
    index = state.validators.index_of_pubkey(deposit.pubkey)
    if index is None:
        if is_valid_deposit_signature(
            state, deposit.pubkey, deposit.withdrawal_credentials, deposit.amount, deposit.signature
        ):
            add_validator_to_registry(state, deposit.pubkey, deposit.withdrawal_credentials, deposit.amount)
    else:
        state.validators.balances[index] += deposit.amount
