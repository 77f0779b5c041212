"""Spec: process_proposer_slashing — two different signed headers for the same slot by the same proposer."""

from __future__ import annotations

from stakework.codec.ssz import compute_signing_root
from stakework.crypto import bls
from stakework.spec.constants import DOMAIN_BEACON_PROPOSER
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.block import ProposerSlashing, header_root
from stakework.transition.block.helpers import is_slashable_validator
from stakework.transition.errors import InvalidOperation
from stakework.transition.misc import compute_epoch_at_slot
from stakework.transition.mutators import slash_validator
from stakework.transition.signing import get_domain


def process_proposer_slashing(state: BeaconState, proposer_slashing: ProposerSlashing) -> None:
    """Spec: process_proposer_slashing."""
    h1 = proposer_slashing.signed_header_1.message
    h2 = proposer_slashing.signed_header_2.message
    if h1.slot != h2.slot:
        raise InvalidOperation("process_proposer_slashing: the headers are for different slots")
    if h1.proposer_index != h2.proposer_index:
        raise InvalidOperation("process_proposer_slashing: the headers have different proposers")
    if h1 == h2:
        raise InvalidOperation("process_proposer_slashing: the headers are identical")
    if not 0 <= h1.proposer_index < len(state.validators):
        raise InvalidOperation(f"process_proposer_slashing: unknown validator {h1.proposer_index}")
    if not is_slashable_validator(state, h1.proposer_index, state.current_epoch()):
        raise InvalidOperation(f"process_proposer_slashing: validator {h1.proposer_index} is not slashable")
    pubkey = state.validators.pubkey[h1.proposer_index].tobytes()
    for signed in (proposer_slashing.signed_header_1, proposer_slashing.signed_header_2):
        domain = get_domain(state, DOMAIN_BEACON_PROPOSER, compute_epoch_at_slot(state.preset, signed.message.slot))
        if not bls.verify(pubkey, compute_signing_root(header_root(signed.message), domain), signed.signature):
            raise InvalidOperation("process_proposer_slashing: a header signature is invalid")
    slash_validator(state, h1.proposer_index)
