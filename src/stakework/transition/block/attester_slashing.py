"""Spec: process_attester_slashing — two slashable attestations (double vote or surround vote)."""

from __future__ import annotations

from stakework.state.beacon_state import BeaconState
from stakework.transition.block.attestation import is_valid_indexed_attestation
from stakework.transition.block.block import AttestationData, AttesterSlashing
from stakework.transition.block.helpers import is_slashable_validator
from stakework.transition.errors import InvalidOperation
from stakework.transition.mutators import slash_validator


def is_slashable_attestation_data(data_1: AttestationData, data_2: AttestationData) -> bool:
    """Spec: is_slashable_attestation_data — Casper FFG: a double vote or a surround vote."""
    double_vote = data_1 != data_2 and data_1.target.epoch == data_2.target.epoch
    surround_vote = data_1.source.epoch < data_2.source.epoch and data_2.target.epoch < data_1.target.epoch
    return double_vote or surround_vote


def process_attester_slashing(state: BeaconState, attester_slashing: AttesterSlashing) -> None:
    """Spec: process_attester_slashing — slashes every slashable validator in both attestations."""
    a1 = attester_slashing.attestation_1
    a2 = attester_slashing.attestation_2
    if not is_slashable_attestation_data(a1.data, a2.data):
        raise InvalidOperation("process_attester_slashing: the attestations are neither a double nor a surround vote")
    if not is_valid_indexed_attestation(state, a1):
        raise InvalidOperation("process_attester_slashing: attestation_1 is not a valid indexed attestation")
    if not is_valid_indexed_attestation(state, a2):
        raise InvalidOperation("process_attester_slashing: attestation_2 is not a valid indexed attestation")
    slashed_any = False
    epoch = state.current_epoch()
    for index in sorted(set(a1.attesting_indices) & set(a2.attesting_indices)):
        if is_slashable_validator(state, index, epoch):
            slash_validator(state, index)
            slashed_any = True
    if not slashed_any:
        raise InvalidOperation("process_attester_slashing: no validator in both attestations is slashable")
