"""Spec: process_voluntary_exit (phase0, with Deneb's EIP-7044 fixed domain and Electra's EIP-7251
pending-withdrawal check)."""

from __future__ import annotations

from stakework.codec.ssz import compute_domain, compute_signing_root
from stakework.crypto import bls
from stakework.spec.constants import DOMAIN_VOLUNTARY_EXIT
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.helpers import (
    get_pending_balance_to_withdraw,
    has_exit_initiated,
    is_active_validator_at,
)
from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
from stakework.transition.errors import InvalidOperation
from stakework.transition.mutators import initiate_validator_exit


def voluntary_exit_signing_root(
    state: BeaconState, voluntary_exit: VoluntaryExit, domain_fork_version: bytes | None = None
) -> bytes:
    """The root a validator signs to exit: compute_signing_root(exit, domain) with
    domain = compute_domain(DOMAIN_VOLUNTARY_EXIT, GENESIS_FORK_VERSION, genesis_validators_root).

    `domain_fork_version` overrides the fixed version; it exists only to run Ethereum's own test cases, which
    are signed with Ethereum's CAPELLA_FORK_VERSION. Chains never set it.
    """
    # [Differs from Electra: the spec (Deneb, EIP-7044) pins the voluntary-exit domain to CAPELLA_FORK_VERSION
    # so that a signed exit stays valid forever across forks; stakework has no Capella fork, so it pins the
    # domain to the one version every stakework chain has from its start, GENESIS_FORK_VERSION. Same rule
    # (one fixed version), different constant.]
    version = state.preset.GENESIS_FORK_VERSION if domain_fork_version is None else domain_fork_version
    domain = compute_domain(DOMAIN_VOLUNTARY_EXIT, version, state.genesis_validators_root)
    return compute_signing_root(voluntary_exit.hash_tree_root(), domain)


def process_voluntary_exit(
    state: BeaconState,
    signed_voluntary_exit: SignedVoluntaryExit,
    *,
    domain_fork_version: bytes | None = None,
    total_active_balance: int | None = None,
    verify_signature: bool = True,
) -> None:
    """Spec: process_voluntary_exit — checks, in the spec's order, then initiate_validator_exit.

    Raises InvalidOperation naming the first failing check: the validator index exists (the spec fails on the
    list lookup), the validator is active, its exit is not initiated, the exit's epoch has been reached, it has
    been active SHARD_COMMITTEE_PERIOD epochs, it has no pending partial withdrawals (Electra), and the
    signature verifies. `domain_fork_version`: see voluntary_exit_signing_root (official test cases only).
    `total_active_balance`: get_total_active_balance(state) when the caller has it (a block's operations cannot
    change it: an exit they initiate lands at compute_activation_exit_epoch or later, after the current epoch,
    and they change no effective balance). `verify_signature=False`: the caller checked the signature already
    (a block imported without signature checks, as state_transition's `verify_signatures=False`).
    """
    voluntary_exit = signed_voluntary_exit.message
    index = voluntary_exit.validator_index
    if not 0 <= index < len(state.validators):
        raise InvalidOperation(
            f"process_voluntary_exit: validator index {index} does not exist ({len(state.validators)} validators)"
        )
    current_epoch = state.current_epoch()
    if not is_active_validator_at(state, index, current_epoch):
        raise InvalidOperation(f"process_voluntary_exit: validator {index} is not active (is_active_validator)")
    if has_exit_initiated(state, index):
        raise InvalidOperation(
            f"process_voluntary_exit: validator {index} has already initiated its exit (exit_epoch != FAR_FUTURE_EPOCH)"
        )
    if current_epoch < voluntary_exit.epoch:
        raise InvalidOperation(
            f"process_voluntary_exit: exit epoch {voluntary_exit.epoch} is in the future "
            f"(current epoch {current_epoch})"
        )
    activation_epoch = int(state.validators.activation_epoch[index])
    if current_epoch < activation_epoch + state.preset.SHARD_COMMITTEE_PERIOD:
        raise InvalidOperation(
            f"process_voluntary_exit: validator {index} has not been active SHARD_COMMITTEE_PERIOD "
            f"({state.preset.SHARD_COMMITTEE_PERIOD}) epochs (activated at {activation_epoch})"
        )
    pending = get_pending_balance_to_withdraw(state, index)
    if pending != 0:
        raise InvalidOperation(
            f"process_voluntary_exit: validator {index} has {pending} Gwei of pending partial withdrawals "
            "(get_pending_balance_to_withdraw != 0)"
        )
    pubkey = state.validators.pubkey[index].tobytes()
    if verify_signature and not bls.verify(
        pubkey, voluntary_exit_signing_root(state, voluntary_exit, domain_fork_version), signed_voluntary_exit.signature
    ):
        raise InvalidOperation(f"process_voluntary_exit: invalid signature for validator {index} (bls.Verify)")
    initiate_validator_exit(state, index, total_active_balance)
