"""Official `operations` cases for the block-level handlers: Ethereum's SSZ operations (decoded with the
reference's types) converted to stakework's block messages and run through stakework's functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stakework.state.beacon_state import BeaconState
from stakework.state.containers import BeaconBlockHeader, Checkpoint
from stakework.transition.block.attestation import process_attestation
from stakework.transition.block.attester_slashing import process_attester_slashing
from stakework.transition.block.block import (
    Attestation,
    AttestationData,
    AttesterSlashing,
    BeaconBlock,
    BeaconBlockBody,
    IndexedAttestation,
    ProposerSlashing,
    SignedBeaconBlockHeader,
    pack_bits,
)
from stakework.transition.block.header import process_block_header
from stakework.transition.block.proposer_slashing import process_proposer_slashing
from stakework.transition.committees import get_beacon_proposer_index

Apply = Callable[[BeaconState], None]


def checkpoint(cp: Any) -> Checkpoint:
    return Checkpoint(int(cp.epoch), bytes(cp.root))


def attestation_data(data: Any) -> AttestationData:
    return AttestationData(
        slot=int(data.slot),
        index=int(data.index),
        beacon_block_root=bytes(data.beacon_block_root),
        source=checkpoint(data.source),
        target=checkpoint(data.target),
    )


def attestation(att: Any) -> Attestation:
    """Spec Attestation (Electra) → stakework's: bitfields re-packed without SSZ's length bit."""
    bits = [bool(b) for b in att.aggregation_bits]
    return Attestation(
        aggregation_bits=pack_bits(bits),
        aggregation_bits_length=len(bits),
        data=attestation_data(att.data),
        signature=bytes(att.signature),
        committee_bits=pack_bits([bool(b) for b in att.committee_bits]),
    )


def indexed_attestation(att: Any) -> IndexedAttestation:
    return IndexedAttestation([int(i) for i in att.attesting_indices], attestation_data(att.data), bytes(att.signature))


def signed_header(signed: Any) -> SignedBeaconBlockHeader:
    h = signed.message
    header = BeaconBlockHeader(
        int(h.slot), int(h.proposer_index), bytes(h.parent_root), bytes(h.state_root), bytes(h.body_root)
    )
    return SignedBeaconBlockHeader(header, bytes(signed.signature))


def run_attestation(op: Any) -> Apply:
    converted = attestation(op)
    return lambda state: process_attestation(state, converted)


def run_attester_slashing(op: Any) -> Apply:
    converted = AttesterSlashing(indexed_attestation(op.attestation_1), indexed_attestation(op.attestation_2))
    return lambda state: process_attester_slashing(state, converted)


def run_proposer_slashing(op: Any) -> Apply:
    converted = ProposerSlashing(signed_header(op.signed_header_1), signed_header(op.signed_header_2))
    return lambda state: process_proposer_slashing(state, converted)


def run_block_header(block: Any) -> Apply:
    """Spec process_block_header on the case's block: its header fields are converted; its (Ethereum) body is
    represented by its SSZ root, which is all the header step reads."""
    body_root = bytes(block.body.hash_tree_root())
    stub = BeaconBlock(
        int(block.slot),
        int(block.proposer_index),
        bytes(block.parent_root),
        bytes(block.state_root),
        BeaconBlockBody(randao_reveal=b"\x00" * 96),
    )

    def apply(state: BeaconState) -> None:
        process_block_header(state, stub, int(get_beacon_proposer_index(state)), body_root=body_root)

    return apply
