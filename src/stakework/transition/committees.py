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
from stakework.transition.accessors import get_randao_mix
from stakework.transition.epoch_cache import active_validator_indices, epoch_view
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
    return committee_count_for(state.preset, int(active_validator_indices(state, epoch).size))


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


def _shuffle(p: Preset, epoch: int, seed: bytes, active: IndexArray) -> EpochShuffling:
    """The shuffling of `active` with `seed`, from the cache keyed by the seed and the exact active set (by
    digest: two registries whose active sets for an epoch are equal share it, e.g. a registry before and after
    an epoch's processing scheduled activations further ahead)."""
    key = (seed, p, hashlib.sha256(active.astype(np.uint32).tobytes()).digest())
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit.epoch == epoch:
            _cache.move_to_end(key)
            return hit
    shuffled = shuffle_indices(active, seed, p.SHUFFLE_ROUND_COUNT)
    shuffled.setflags(write=False)
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


def get_epoch_shuffling(state: BeaconState, epoch: int) -> EpochShuffling:
    """The committees of `epoch` as one shuffled list, from the per-epoch cache (`epoch_cache`: found by the
    set of validators active in the epoch and by the seed, so never another active set's or another seed's).

    Precondition: `epoch` is within the range whose seed the state holds (at most MIN_SEED_LOOKAHEAD ahead,
    as for the spec's get_beacon_committee).
    """
    p = state.preset
    seed = get_seed(state, epoch, DOMAIN_BEACON_ATTESTER)
    view = epoch_view(state, epoch)
    shuffling: EpochShuffling = view.memo(("shuffling", seed, p), lambda: _shuffle(p, epoch, seed, view.active))
    return shuffling


def get_beacon_committee(state: BeaconState, slot: int, index: int) -> IndexArray:
    """Spec: get_beacon_committee — the validators of committee `index` at `slot`, in committee order.

    Preconditions (spec): the slot's epoch is one whose seed the state holds; `index` is below
    get_committee_count_per_slot for that epoch (checked: TransitionError otherwise).
    """
    epoch = compute_epoch_at_slot(state.preset, slot)
    return get_epoch_shuffling(state, epoch).committee(slot, index)


@dataclass(frozen=True, eq=False)
class ProposerChoice:
    """A proposer sampled by compute_proposer_index, with the candidates it examined (in order, the winner last)
    and their effective balances then: the choice stands for any registry with the same active set and these
    balances at these candidates (the random values depend only on the seed)."""

    proposer: int
    examined: IndexArray
    balances: npt.NDArray[np.uint64]

    def holds_for(self, effective: npt.NDArray[np.uint64]) -> bool:
        return bool(np.array_equal(effective[self.examined], self.balances))


def _sample_proposer(p: Preset, arr: IndexArray, effective: npt.NDArray[np.uint64], seed: bytes) -> ProposerChoice:
    """Spec: compute_proposer_index's loop over `arr` (not empty), vectorized by batches: candidate `i` is
    `arr[compute_shuffled_index(i % total, total, seed)]`, accepted when
    `effective_balance * (2**16 - 1) >= MAX_EFFECTIVE_BALANCE_ELECTRA * r` with `r` the `i % 16`-th little-endian
    16-bit word of `hash(seed || uint_to_bytes(i // 16))`; the first accepted one in order wins."""
    total = int(arr.size)
    threshold = p.MAX_EFFECTIVE_BALANCE_ELECTRA
    # Both sides fit a uint64 below 2**63 for any real balance: compare vectorized; else exactly in Python ints.
    vector_ok = threshold * MAX_RANDOM_VALUE < 2**63
    examined: list[IndexArray] = []
    start, batch = 0, 64
    while True:
        i = np.arange(start, start + batch, dtype=np.int64)
        candidates = arr[compute_shuffled_indices(i % total, total, seed, p.SHUFFLE_ROUND_COUNT)]
        words = b"".join([sha256(seed + uint_to_bytes8(j)) for j in range(start // 16, (start + batch) // 16)])
        random_values = np.frombuffer(words, dtype="<u2").astype(np.uint64)
        balances = effective[candidates]
        if vector_ok and int(balances.max()) < 2**63 // MAX_RANDOM_VALUE:
            accepted = np.flatnonzero(balances * np.uint64(MAX_RANDOM_VALUE) >= np.uint64(threshold) * random_values)
            first = int(accepted[0]) if accepted.size else -1
        else:
            first = next(
                (k for k in range(batch) if int(balances[k]) * MAX_RANDOM_VALUE >= threshold * int(random_values[k])),
                -1,
            )
        if first >= 0:
            examined.append(candidates[: first + 1])
            seen = np.concatenate(examined)
            seen.setflags(write=False)
            kept = np.array(effective[seen], dtype=np.uint64)
            kept.setflags(write=False)
            return ProposerChoice(int(candidates[first]), seen, kept)
        examined.append(candidates)
        start += batch
        batch = min(2 * batch, 1024)


def compute_proposer_index(state: BeaconState, indices: npt.ArrayLike, seed: bytes) -> ValidatorIndex:
    """Spec: compute_proposer_index (Electra) — from `indices`, a candidate sampled by effective balance.

    Candidate `i` is `indices[compute_shuffled_index(i % total, total, seed)]`; it is accepted when
    `effective_balance * (2**16 - 1) >= MAX_EFFECTIVE_BALANCE_ELECTRA * r` with `r` the `i % 16`-th
    little-endian 16-bit word of `hash(seed || uint_to_bytes(i // 16))`. Candidates are drawn in batches (one
    vectorized shuffle of their positions and one vectorized test per batch); the first accepted one in order
    wins, as in the spec's loop. Precondition: `indices` is not empty (TransitionError otherwise).
    """
    arr = np.asarray(indices, dtype=np.int64).reshape(-1)
    if arr.size == 0:
        raise TransitionError("compute_proposer_index: no candidate validators (the spec asserts len(indices) > 0)")
    return ValidatorIndex(_sample_proposer(state.preset, arr, state.validators.effective_balance, seed).proposer)


def get_beacon_proposer_index(state: BeaconState) -> ValidatorIndex:
    """Spec: get_beacon_proposer_index — the proposer of `state.slot`, sampled from the current epoch's active
    validators with seed hash(get_seed(epoch, DOMAIN_BEACON_PROPOSER) || uint_to_bytes(slot)).

    Cached per epoch view (the active set) and seed; a cached choice is used only while the effective
    balances of the candidates it examined are unchanged. Precondition: at least one active validator
    (TransitionError otherwise).
    """
    p = state.preset
    epoch = state.current_epoch()
    seed = sha256(get_seed(state, epoch, DOMAIN_BEACON_PROPOSER) + uint_to_bytes8(state.slot))
    view = epoch_view(state, epoch)
    key = ("proposer", seed, p.SHUFFLE_ROUND_COUNT, p.MAX_EFFECTIVE_BALANCE_ELECTRA)
    effective = state.validators.effective_balance
    held = view.get(key)
    if isinstance(held, ProposerChoice) and held.holds_for(effective):
        return ValidatorIndex(held.proposer)
    active = view.active
    if active.size == 0:
        raise TransitionError("compute_proposer_index: no candidate validators (the spec asserts len(indices) > 0)")
    choice = _sample_proposer(p, active, effective, seed)
    view.put(key, choice)
    return ValidatorIndex(choice.proposer)
