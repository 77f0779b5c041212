"""Blocks and the consensus messages they carry (Spec: AttestationData, Attestation (Electra, EIP-7549),
IndexedAttestation, ProposerSlashing, AttesterSlashing, BeaconBlockHeader, BeaconBlockBody, BeaconBlock),
as immutable msgspec structs with the spec's field names.

Roots that are signed (attestation data, block headers) are SSZ hash_tree_roots, as in Ethereum, so the same
keys and signing tools work. The block body is stakework's own (no execution payload, native transactions):
# [Differs from Electra: body_root is stakework's canonical hash of its own body, not an SSZ root.]
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from stakework.codec.hashing import CanonicalHasher
from stakework.codec.ssz import attestation_data_root, block_header_root
from stakework.spec.types import U64, Bytes32, Bytes96
from stakework.state.containers import BeaconBlockHeader, Checkpoint
from stakework.transition.block.operations import SignedVoluntaryExit, Withdrawal
from stakework.transition.block.transaction import SignedTransaction

ZERO32 = b"\x00" * 32


class AttestationData(msgspec.Struct, frozen=True):
    """Spec: AttestationData. Electra: `index` is always 0 (the committees are in `committee_bits`)."""

    slot: U64
    index: U64
    beacon_block_root: Bytes32
    source: Checkpoint
    target: Checkpoint

    def hash_tree_root(self) -> bytes:
        return attestation_data_root(
            self.slot,
            self.index,
            self.beacon_block_root,
            (self.source.epoch, self.source.root),
            (self.target.epoch, self.target.root),
        )


def pack_bits(bits: npt.ArrayLike) -> bytes:
    """Booleans → bytes, little-endian bit order within each byte (SSZ bitfield packing, no length bit)."""
    return np.packbits(np.asarray(bits, dtype=np.bool_), bitorder="little").tobytes()


def unpack_bits(data: bytes, count: int) -> npt.NDArray[np.bool_]:
    """The first `count` bits of `data` (SSZ packing order)."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")[:count]
    return bits.astype(np.bool_)


class Attestation(msgspec.Struct, frozen=True):
    """Spec: Attestation (Electra, EIP-7549). `aggregation_bits` spans the selected committees in order; it is
    packed (`pack_bits`) with its bit count in `aggregation_bits_length`. `committee_bits` packs
    MAX_COMMITTEES_PER_SLOT bits."""

    aggregation_bits: bytes
    aggregation_bits_length: U64
    data: AttestationData
    signature: Bytes96
    committee_bits: bytes


class IndexedAttestation(msgspec.Struct, frozen=True):
    """Spec: IndexedAttestation — sorted, unique validator indices."""

    attesting_indices: list[U64]
    data: AttestationData
    signature: Bytes96


class SignedBeaconBlockHeader(msgspec.Struct, frozen=True):
    message: BeaconBlockHeader
    signature: Bytes96


def header_root(header: BeaconBlockHeader) -> bytes:
    """Spec: hash_tree_root(BeaconBlockHeader)."""
    return block_header_root(
        header.slot, header.proposer_index, header.parent_root, header.state_root, header.body_root
    )


class ProposerSlashing(msgspec.Struct, frozen=True):
    signed_header_1: SignedBeaconBlockHeader
    signed_header_2: SignedBeaconBlockHeader


class AttesterSlashing(msgspec.Struct, frozen=True):
    attestation_1: IndexedAttestation
    attestation_2: IndexedAttestation


class BeaconBlockBody(msgspec.Struct, frozen=True):
    """stakework's block body: Ethereum's consensus operations plus native transactions and the withdrawals
    the sweep pays (no eth1 data, no execution payload, no sync aggregate)."""

    randao_reveal: Bytes96
    graffiti: Bytes32 = ZERO32
    proposer_slashings: list[ProposerSlashing] = msgspec.field(default_factory=list)
    attester_slashings: list[AttesterSlashing] = msgspec.field(default_factory=list)
    attestations: list[Attestation] = msgspec.field(default_factory=list)
    voluntary_exits: list[SignedVoluntaryExit] = msgspec.field(default_factory=list)
    transactions: list[SignedTransaction] = msgspec.field(default_factory=list)
    withdrawals: list[Withdrawal] = msgspec.field(default_factory=list)

    def hash_tree_root(self) -> bytes:
        """The body root: canonical hash of the msgpack encoding (deterministic for a given body)."""
        h = CanonicalHasher(b"stakework/block-body/v1")
        h.raw("body", msgspec.msgpack.encode(self))
        return h.digest()


class BeaconBlock(msgspec.Struct, frozen=True):
    slot: U64
    proposer_index: U64
    parent_root: Bytes32
    state_root: Bytes32
    body: BeaconBlockBody

    def header(self) -> BeaconBlockHeader:
        return BeaconBlockHeader(
            self.slot, self.proposer_index, self.parent_root, self.state_root, self.body.hash_tree_root()
        )

    def hash_tree_root(self) -> bytes:
        """The block root: the SSZ root of its header (Spec: hash_tree_root(block) equals it)."""
        return header_root(self.header())


class SignedBeaconBlock(msgspec.Struct, frozen=True):
    message: BeaconBlock
    signature: Bytes96
