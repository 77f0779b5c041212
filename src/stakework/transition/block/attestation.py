"""Spec: process_attestation (Electra, EIP-7549 multi-committee aggregates), get_attesting_indices,
is_valid_indexed_attestation, get_attestation_participation_flag_indices."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from stakework.codec.ssz import compute_signing_root
from stakework.crypto import bls
from stakework.spec.arith import integer_squareroot
from stakework.spec.constants import (
    DOMAIN_BEACON_ATTESTER,
    PARTICIPATION_FLAG_WEIGHTS,
    PROPOSER_WEIGHT,
    TIMELY_HEAD_FLAG_INDEX,
    TIMELY_SOURCE_FLAG_INDEX,
    TIMELY_TARGET_FLAG_INDEX,
    WEIGHT_DENOMINATOR,
)
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import (
    get_base_reward_per_increment,
    get_block_root,
    get_block_root_at_slot,
    get_total_active_balance,
)
from stakework.transition.block.block import Attestation, AttestationData, IndexedAttestation, unpack_bits
from stakework.transition.committees import get_beacon_proposer_index, get_epoch_shuffling
from stakework.transition.errors import InvalidOperation
from stakework.transition.misc import compute_epoch_at_slot
from stakework.transition.pubkey_cache import aggregate_key, validated_keys
from stakework.transition.signing import get_domain


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidOperation(f"process_attestation: {message}")


def get_committee_indices(state: BeaconState, attestation: Attestation) -> list[int]:
    """Spec: get_committee_indices — the set bits of committee_bits."""
    bits = unpack_bits(attestation.committee_bits, state.preset.MAX_COMMITTEES_PER_SLOT)
    return [int(i) for i in np.flatnonzero(bits)]


def _committee_bits(
    state: BeaconState, attestation: Attestation
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]]:
    """Each selected committee, in order, with its part of the aggregation bits (get_attesting_indices' loop).
    Raises InvalidOperation for bitfields that do not fit the committees."""
    data = attestation.data
    shuffling = get_epoch_shuffling(state, compute_epoch_at_slot(state.preset, data.slot))
    bits = unpack_bits(attestation.aggregation_bits, attestation.aggregation_bits_length)
    _need(len(bits) == attestation.aggregation_bits_length, "aggregation_bits shorter than its length")
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]] = []
    offset = 0
    for committee_index in get_committee_indices(state, attestation):
        _need(committee_index < shuffling.committees_per_slot, f"committee {committee_index} does not exist")
        committee = shuffling.committee(data.slot, committee_index)
        part = bits[offset : offset + len(committee)]
        _need(len(part) == len(committee), "aggregation_bits shorter than the committees")
        _need(bool(part.any()), f"no attester set in committee {committee_index}")
        parts.append((committee, part))
        offset += len(committee)
    _need(offset == attestation.aggregation_bits_length, "aggregation_bits length differs from the committees'")
    return parts


def _attesting(
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]], *, sort: bool = True
) -> npt.NDArray[np.int64]:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    # The committees of one slot are disjoint slices of one permutation and each committee index is chosen once,
    # so the members are already unique: sorting them is the spec's sorted set. Unsorted, the same set (what the
    # participation writes need: their result does not depend on the order).
    members = np.concatenate([committee[part] for committee, part in parts])
    return np.sort(members) if sort else members


def get_attesting_indices(state: BeaconState, attestation: Attestation) -> npt.NDArray[np.int64]:
    """Spec: get_attesting_indices — sorted unique validator indices whose aggregation bit is set, over the
    selected committees in order. Raises InvalidOperation for bitfields that do not fit the committees."""
    return _attesting(_committee_bits(state, attestation))


def is_valid_indexed_attestation(
    state: BeaconState, indexed: IndexedAttestation, signature_batch: bls.SignatureBatch | None = None
) -> bool:
    """Spec: is_valid_indexed_attestation — non-empty, sorted, unique indices and a valid aggregate signature.
    `signature_batch`: the signature is added to it instead of checked here (True then means: valid if the batch
    verifies)."""
    indices = indexed.attesting_indices
    if not indices:
        return False
    try:  # uint64 on the wire: an index past int64 (or below 0) is out of range, not a crash
        wide = np.asarray(indices, dtype=np.uint64)
    except (OverflowError, ValueError, TypeError):
        return False
    if wide.ndim != 1 or int(wide.max()) >= len(state.validators):
        return False
    return _is_valid_indexed(state, wide.astype(np.int64), indexed.data, indexed.signature, signature_batch)


def _is_valid_indexed(
    state: BeaconState,
    arr: npt.NDArray[np.int64],
    data: AttestationData,
    signature: bytes,
    signature_batch: bls.SignatureBatch | None,
    committees: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]] | None = None,
) -> bool:
    """is_valid_indexed_attestation on the indices as a numpy array (process_attestation's own, never a list).
    `committees`: the committees and bits `arr` is made of, when known (the aggregate key is then found from
    committee sums)."""
    if arr.size == 0:
        return False
    if not bool(np.all(arr[1:] > arr[:-1])) or int(arr[-1]) >= len(state.validators):  # sorted and unique
        return False
    domain = get_domain(state, DOMAIN_BEACON_ATTESTER, data.target.epoch)
    signing_root = compute_signing_root(data.hash_tree_root(), domain)
    # The keys decoded once per validator (pubkey_cache), summed without decoding: the same as
    # bls.fast_aggregate_verify on their encodings (a key failing KeyValidate makes it False).
    if committees is not None:
        aggregate = aggregate_key(state, arr, committees)
    else:
        keys = validated_keys(state, arr)
        aggregate = None if keys is None else bls.aggregate_keys(keys)
    if signature_batch is not None:
        signature_batch.add_aggregate(aggregate, signing_root, signature)
        return True
    return aggregate is not None and bls.verify_aggregate_key(aggregate, signing_root, signature)


def is_valid_attestation_signature(state: BeaconState, attestation: Attestation) -> bool:
    """Spec: is_valid_indexed_attestation(state, get_indexed_attestation(state, attestation)), as process_attestation
    checks it: the aggregate key from the committees' kept sums (pubkey_cache.aggregate_key). Raises
    InvalidOperation for bitfields that do not fit the committees (get_attesting_indices)."""
    parts = _committee_bits(state, attestation)
    return _is_valid_indexed(state, _attesting(parts), attestation.data, attestation.signature, None, parts)


def get_attestation_participation_flag_indices(
    state: BeaconState, data: AttestationData, inclusion_delay: int
) -> list[int]:
    """Spec: get_attestation_participation_flag_indices. The source must match (else the attestation is
    invalid); target and head add their flags when they match and are timely."""
    p = state.preset
    if data.target.epoch == state.current_epoch():
        justified = state.current_justified_checkpoint
    else:
        justified = state.previous_justified_checkpoint
    is_matching_source = data.source == justified
    is_matching_target = is_matching_source and data.target.root == get_block_root(state, data.target.epoch)
    is_matching_head = is_matching_target and data.beacon_block_root == get_block_root_at_slot(state, data.slot)
    _need(is_matching_source, "source does not match the justified checkpoint")
    flags = []
    if is_matching_source and inclusion_delay <= integer_squareroot(p.SLOTS_PER_EPOCH):
        flags.append(TIMELY_SOURCE_FLAG_INDEX)
    if is_matching_target:
        flags.append(TIMELY_TARGET_FLAG_INDEX)
    if is_matching_head and inclusion_delay == p.MIN_ATTESTATION_INCLUSION_DELAY:
        flags.append(TIMELY_HEAD_FLAG_INDEX)
    return flags


def process_attestation(
    state: BeaconState,
    attestation: Attestation,
    *,
    verify_signature: bool = True,
    total_active_balance: int | None = None,
    proposer_index: int | None = None,
    signature_batch: bls.SignatureBatch | None = None,
) -> None:
    """Spec: process_attestation (Electra). Sets the participation flags the attestation earns on validators
    that did not have them yet, and pays the proposer base_reward × weight for each newly set flag, divided by
    (64 − 8) × 64 / 8 (PROPOSER_WEIGHT's share)."""
    p = state.preset
    data = attestation.data
    _need(
        data.target.epoch in (state.previous_epoch(), state.current_epoch()), "target epoch is not current or previous"
    )
    _need(data.target.epoch == compute_epoch_at_slot(p, data.slot), "target epoch does not match the slot")
    _need(data.slot + p.MIN_ATTESTATION_INCLUSION_DELAY <= state.slot, "included too early")
    _need(data.index == 0, "data.index must be 0 (Electra)")
    parts = _committee_bits(state, attestation)
    attesting = _attesting(parts, sort=False)
    flags = get_attestation_participation_flag_indices(state, data, state.slot - data.slot)
    if verify_signature:
        # Spec: is_valid_indexed_attestation(state, get_indexed_attestation(state, attestation)), on the array;
        # the aggregate key found from the committees' kept sums (pubkey_cache.aggregate_key).
        _need(
            _is_valid_indexed(state, np.sort(attesting), data, attestation.signature, signature_batch, parts),
            "invalid aggregate signature",
        )

    v = state.validators
    participation = (
        v.current_epoch_participation if data.target.epoch == state.current_epoch() else v.previous_epoch_participation
    )
    total = get_total_active_balance(state) if total_active_balance is None else total_active_balance
    base_reward_per_increment = get_base_reward_per_increment(state, total)
    increments = v.effective_balance[attesting] // np.uint64(p.EFFECTIVE_BALANCE_INCREMENT)
    proposer_reward_numerator = 0
    current = participation[attesting]
    for flag_index in flags:
        bit = np.uint8(1 << flag_index)
        new = (current & bit) == 0
        if new.any():
            current = np.where(new, current | bit, current)
            weight = PARTICIPATION_FLAG_WEIGHTS[flag_index]
            proposer_reward_numerator += int(increments[new].sum(dtype=np.uint64)) * base_reward_per_increment * weight
    participation[attesting] = current
    proposer_reward_denominator = (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT) * WEIGHT_DENOMINATOR // PROPOSER_WEIGHT
    proposer = get_beacon_proposer_index(state) if proposer_index is None else proposer_index
    v.balances[proposer] += proposer_reward_numerator // proposer_reward_denominator
