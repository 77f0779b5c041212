"""Spec: process_block_header and process_randao."""

from __future__ import annotations

import numpy as np

from stakework.codec.hashing import pack_uint64, sha256
from stakework.codec.ssz import compute_signing_root
from stakework.crypto import bls
from stakework.spec.constants import DOMAIN_RANDAO
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import BeaconBlockHeader
from stakework.transition.accessors import get_randao_mix
from stakework.transition.block.block import BeaconBlock, BeaconBlockBody, header_root
from stakework.transition.errors import InvalidOperation
from stakework.transition.signing import get_domain

ZERO32 = b"\x00" * 32


def process_block_header(
    state: BeaconState, block: BeaconBlock, proposer_index: int, *, body_root: bytes | None = None
) -> None:
    """Spec: process_block_header — slot, proposer and parent checks; caches the header with a zero state root
    (filled in by the next process_slot). `body_root` overrides the body's own root: only for running
    Ethereum's cases, whose bodies have a different (SSZ) root."""
    if block.slot != state.slot:
        raise InvalidOperation(f"process_block_header: block slot {block.slot} is not the state's slot {state.slot}")
    if block.slot <= state.latest_block_header.slot:
        raise InvalidOperation("process_block_header: block is not newer than the latest block header")
    if block.proposer_index != proposer_index:
        raise InvalidOperation(
            f"process_block_header: proposer {block.proposer_index} is not the slot's proposer {proposer_index}"
        )
    if block.parent_root != header_root(state.latest_block_header):
        raise InvalidOperation("process_block_header: parent root does not match the latest block header")
    root = block.body.hash_tree_root() if body_root is None else body_root
    state.latest_block_header = BeaconBlockHeader(block.slot, block.proposer_index, block.parent_root, ZERO32, root)
    if state.validators.slashed[block.proposer_index]:
        raise InvalidOperation(f"process_block_header: proposer {block.proposer_index} is slashed")


def randao_signing_root(state: BeaconState, epoch: int) -> bytes:
    """The root a proposer signs for its RANDAO reveal: compute_signing_root(epoch as uint64, DOMAIN_RANDAO)."""
    return compute_signing_root(pack_uint64(epoch), get_domain(state, DOMAIN_RANDAO, epoch))


def process_randao(
    state: BeaconState,
    body: BeaconBlockBody,
    proposer_index: int,
    *,
    verify_signature: bool = True,
    signature_batch: bls.SignatureBatch | None = None,
) -> None:
    """Spec: process_randao — verify the reveal, mix its hash into the current epoch's RANDAO mix.
    `signature_batch`: the reveal's signature is added to it instead of checked here (the caller verifies it)."""
    epoch = state.current_epoch()
    if verify_signature:
        pubkey = state.validators.pubkey[proposer_index].tobytes()
        if signature_batch is not None:
            signature_batch.add([pubkey], randao_signing_root(state, epoch), body.randao_reveal)
        elif not bls.verify(pubkey, randao_signing_root(state, epoch), body.randao_reveal):
            raise InvalidOperation("process_randao: the RANDAO reveal is not the proposer's signature of the epoch")
    mix = np.frombuffer(get_randao_mix(state, epoch), dtype=np.uint8) ^ np.frombuffer(
        sha256(body.randao_reveal), dtype=np.uint8
    )
    state.randao_mixes[epoch % state.preset.EPOCHS_PER_HISTORICAL_VECTOR] = mix
