"""Building real signed blocks for tests: devnet keys sign the RANDAO reveal, the block and every committee
member's attestation (INSECURE keys, deterministic)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stakework.codec.ssz import compute_signing_root
from stakework.crypto import bls
from stakework.crypto.bls import devnet_secret_key
from stakework.spec.constants import DOMAIN_BEACON_ATTESTER
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.state.root import hash_state
from stakework.transition.accessors import get_block_root
from stakework.transition.block.block import (
    Attestation,
    AttestationData,
    BeaconBlock,
    BeaconBlockBody,
    SignedBeaconBlock,
    header_root,
    pack_bits,
)
from stakework.transition.block.header import randao_signing_root
from stakework.transition.block.transaction import SignedTransaction
from stakework.transition.block.withdrawals import get_expected_withdrawals
from stakework.transition.committees import get_beacon_proposer_index, get_epoch_shuffling
from stakework.transition.signing import get_domain
from stakework.transition.state_transition import block_signing_root, process_block, process_slots

_KEYS: dict[int, bls.SecretKey] = {}


def key(index: int) -> bls.SecretKey:
    if index not in _KEYS:
        _KEYS[index] = devnet_secret_key(index)
    return _KEYS[index]


def attestations_for_slot(
    state: BeaconState, head_root: bytes, *, online: np.ndarray | None = None
) -> list[Attestation]:
    """One aggregate attestation (Electra: all the slot's committees in one) by the committees of `state.slot`,
    voting for `head_root` (the block at that slot, whose post-state is `state`), signed by every committee
    member that is `online`."""
    p = state.preset
    slot = state.slot
    epoch = slot // p.SLOTS_PER_EPOCH
    shuffling = get_epoch_shuffling(state, epoch)
    start = epoch * p.SLOTS_PER_EPOCH
    data = AttestationData(
        slot=slot,
        index=0,
        beacon_block_root=head_root,
        source=state.current_justified_checkpoint,
        target=Checkpoint(epoch, head_root if start == slot else get_block_root(state, epoch)),
    )
    bits: list[bool] = []
    committee_bits = [False] * p.MAX_COMMITTEES_PER_SLOT
    signatures = []
    signing_root = compute_signing_root(data.hash_tree_root(), get_domain(state, DOMAIN_BEACON_ATTESTER, epoch))
    for index in range(shuffling.committees_per_slot):
        committee = shuffling.committee(slot, index)
        member_bits = [bool(online is None or online[i]) for i in committee]
        if not any(member_bits):
            continue
        committee_bits[index] = True
        bits.extend(member_bits)
        signatures += [key(int(i)).sign(signing_root) for i, b in zip(committee, member_bits, strict=True) if b]
    if not signatures:
        return []
    return [Attestation(pack_bits(bits), len(bits), data, bls.aggregate(signatures), pack_bits(committee_bits))]


def build_block(
    state: BeaconState,
    slot: int,
    *,
    attestations: Sequence[Attestation] = (),
    transactions: Sequence[SignedTransaction] = (),
    **body_fields: object,
) -> SignedBeaconBlock:
    """A valid signed block for `slot` on top of `state` (not modified), with the correct state root."""
    work = state.copy()
    if slot > work.slot:
        process_slots(work, slot)
    proposer = int(get_beacon_proposer_index(work))
    body = BeaconBlockBody(
        randao_reveal=key(proposer).sign(randao_signing_root(work, work.current_epoch())),
        attestations=list(attestations),
        transactions=list(transactions),
        withdrawals=get_expected_withdrawals(work).withdrawals,
        **body_fields,  # type: ignore[arg-type]
    )
    block = BeaconBlock(slot, proposer, header_root(work.latest_block_header), b"\x00" * 32, body)
    process_block(work, block)
    block = BeaconBlock(slot, proposer, block.parent_root, hash_state(work), body)
    return SignedBeaconBlock(block, key(proposer).sign(block_signing_root(work, block)))
