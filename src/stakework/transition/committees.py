"""Spec: seeds, beacon committees and proposer selection (get_seed, get_committee_count_per_slot,
get_beacon_committee, compute_proposer_index, get_beacon_proposer_index), on the vectorized shuffle.

A whole epoch's committees are slices of one shuffled list of the active validators (`EpochShuffling`), computed
once and kept in a small cache keyed by the seed and the exact active set, so the committees of every slot of
an epoch cost one shuffle, not one per committee.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stakework.codec.hashing import sha256
from stakework.spec.constants import DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER
from stakework.spec.presets import Preset
from stakework.spec.types import ValidatorIndex
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import get_active_validator_indices, get_randao_mix
from stakework.transition.errors import TransitionError
from stakework.transition.misc import compute_epoch_at_slot
from stakework.transition.shuffling import compute_shuffled_indices, shuffle_indices

MAX_RANDOM_VALUE = 2**16 - 1
"""Spec (Electra): proposer sampling draws 16-bit random values."""

IndexArray = npt.NDArray[np.int64]


def uint_to_bytes8(value: int) -> bytes:
    """Spec: uint_to_bytes for a uint64 — 8 bytes, little-endian."""
    return int(value).to_bytes(8, "little")


def get_seed(state: BeaconState, epoch: int, domain_type: bytes) -> bytes:
    """Spec: get_seed — hash(domain_type || epoch || randao mix of epoch - MIN_SEED_LOOKAHEAD - 1).

    The mix is read at `epoch + EPOCHS_PER_HISTORICAL_VECTOR - MIN_SEED_LOOKAHEAD - 1` (modulo the vector
    length) so that early epochs do not underflow, exactly as the spec does.
    """
    p = state.preset
    mix = get_randao_mix(state, epoch + p.EPOCHS_PER_HISTORICAL_VECTOR - p.MIN_SEED_LOOKAHEAD - 1)
    return sha256(bytes(domain_type) + uint_to_bytes8(epoch) + mix)


def committee_count_for(preset: Preset, active_count: int) -> int:
    """Spec: get_committee_count_per_slot given the number of active validators."""
    return max(
        1,
        min(
            preset.MAX_COMMITTEES_PER_SLOT,
            active_count // preset.SLOTS_PER_EPOCH // preset.TARGET_COMMITTEE_SIZE,
        ),
    )


def get_committee_count_per_slot(state: BeaconState, epoch: int) -> int:
    """Spec: get_committee_count_per_slot."""
    return committee_count_for(state.preset, int(get_active_validator_indices(state, epoch).size))


@dataclass(frozen=True, eq=False)
class EpochShuffling:
    """The committees of one epoch: the active validators shuffled once with the attester seed.

    Committee `i` of the epoch's `committees_per_slot * SLOTS_PER_EPOCH` is
    `shuffled[n * i // count : n * (i + 1) // count]` (Spec: compute_committee over the whole list).
    """

    epoch: int
    seed: bytes
    active_indices: IndexArray
    shuffled: IndexArray
    committees_per_slot: int
    slots_per_epoch: int

    def committee(self, slot: int, index: int) -> IndexArray:
        """Spec: get_beacon_committee(slot, index) for a slot of this epoch. A read-only view."""
        if slot // self.slots_per_epoch != self.epoch:
            raise TransitionError(f"slot {slot} is not in epoch {self.epoch}")
        if not 0 <= index < self.committees_per_slot:
            raise TransitionError(
                f"committee index {index} is not below the committee count {self.committees_per_slot}"
            )
        count = self.committees_per_slot * self.slots_per_epoch
        k = (slot % self.slots_per_epoch) * self.committees_per_slot + index
        n = int(self.shuffled.size)
        return self.shuffled[n * k // count : n * (k + 1) // count]


_CACHE_SIZE = 8
_cache: OrderedDict[tuple[bytes, Preset, bytes], EpochShuffling] = OrderedDict()
_cache_lock = threading.Lock()


def get_epoch_shuffling(state: BeaconState, epoch: int) -> EpochShuffling:
    """The committees of `epoch` as one shuffled list (cached by seed and the exact active set).

    Precondition: `epoch` is within the range whose seed the state holds (at most MIN_SEED_LOOKAHEAD ahead,
    as for the spec's get_beacon_committee).
    """
    p = state.preset
    active = get_active_validator_indices(state, epoch).astype(np.int64, copy=False)
    seed = get_seed(state, epoch, DOMAIN_BEACON_ATTESTER)
    # The key holds the whole active set (by digest): two states with equal seeds but different registries
    # (test states, forks with the same RANDAO history) must not share committees.
    key = (seed, p, hashlib.sha256(active.astype(np.uint32).tobytes()).digest())
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    shuffled = shuffle_indices(active, seed, p.SHUFFLE_ROUND_COUNT)
    shuffled.setflags(write=False)
    active.setflags(write=False)
    result = EpochShuffling(
        epoch=epoch,
        seed=seed,
        active_indices=active,
        shuffled=shuffled,
        committees_per_slot=committee_count_for(p, int(active.size)),
        slots_per_epoch=p.SLOTS_PER_EPOCH,
    )
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def get_beacon_committee(state: BeaconState, slot: int, index: int) -> IndexArray:
    """Spec: get_beacon_committee — the validators of committee `index` at `slot`, in committee order.

    Preconditions (spec): the slot's epoch is one whose seed the state holds; `index` is below
    get_committee_count_per_slot for that epoch (checked: TransitionError otherwise).
    """
    epoch = compute_epoch_at_slot(state.preset, slot)
    return get_epoch_shuffling(state, epoch).committee(slot, index)


def compute_proposer_index(state: BeaconState, indices: npt.ArrayLike, seed: bytes) -> ValidatorIndex:
    """Spec: compute_proposer_index (Electra) — from `indices`, a candidate sampled by effective balance.

    Candidate `i` is `indices[compute_shuffled_index(i % total, total, seed)]`; it is accepted when
    `effective_balance * (2**16 - 1) >= MAX_EFFECTIVE_BALANCE_ELECTRA * r` with `r` the `i % 16`-th
    little-endian 16-bit word of `hash(seed || uint_to_bytes(i // 16))`. Candidates are drawn in batches of 64
    (one vectorized shuffle per batch, touching only the buckets it needs); the first accepted one in order
    wins, as in the spec's loop. Precondition: `indices` is not empty (TransitionError otherwise).
    """
    arr = np.asarray(indices, dtype=np.int64).reshape(-1)
    total = int(arr.size)
    if total == 0:
        raise TransitionError("compute_proposer_index: no candidate validators (the spec asserts len(indices) > 0)")
    p = state.preset
    effective = state.validators.effective_balance
    threshold = p.MAX_EFFECTIVE_BALANCE_ELECTRA
    batch = 64
    start = 0
    while True:
        i = np.arange(start, start + batch, dtype=np.int64)
        candidates = arr[compute_shuffled_indices(i % total, total, seed, p.SHUFFLE_ROUND_COUNT)]
        words = b"".join(sha256(seed + uint_to_bytes8(j)) for j in range(start // 16, (start + batch) // 16))
        random_values = np.frombuffer(words, dtype="<u2").astype(np.uint64)
        # effective_balance <= 2**64 / 2**16 in any sane preset; Python ints keep the comparison exact anyway.
        for k in range(batch):
            candidate = int(candidates[k])
            if int(effective[candidate]) * MAX_RANDOM_VALUE >= threshold * int(random_values[k]):
                return ValidatorIndex(candidate)
        start += batch


def get_beacon_proposer_index(state: BeaconState) -> ValidatorIndex:
    """Spec: get_beacon_proposer_index — the proposer of `state.slot`, sampled from the current epoch's active
    validators with seed hash(get_seed(epoch, DOMAIN_BEACON_PROPOSER) || uint_to_bytes(slot)).

    Precondition: at least one active validator (TransitionError otherwise).
    """
    epoch = state.current_epoch()
    seed = sha256(get_seed(state, epoch, DOMAIN_BEACON_PROPOSER) + uint_to_bytes8(state.slot))
    return compute_proposer_index(state, get_active_validator_indices(state, epoch), seed)
