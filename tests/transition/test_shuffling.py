"""The vectorized swap-or-not shuffle equals the scalar spec function and the reference spec."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.spec.presets import MAINNET, MINIMAL
from stakework.transition.errors import TransitionError
from stakework.transition.shuffling import (
    compute_committee,
    compute_shuffled_index,
    compute_shuffled_indices,
    shuffle_indices,
    shuffle_permutation,
)
from support.pyspec_bridge import spec_module

SIZES = [0, 1, 2, 3, 5, 31, 100, 255, 256, 257, 511, 513, 1000]
PRESETS = [pytest.param(MINIMAL, id="minimal"), pytest.param(MAINNET, id="mainnet")]


def _seed(i: int) -> bytes:
    return hashlib.sha256(b"shuffle test seed" + i.to_bytes(4, "little")).digest()


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("n", SIZES)
def test_vectorized_equals_scalar_and_pyspec(preset, n):
    spec = spec_module(preset.PRESET_BASE)
    rounds = preset.SHUFFLE_ROUND_COUNT
    assert rounds == int(spec.SHUFFLE_ROUND_COUNT)
    for s in range(3):
        seed = _seed(1000 * n + s)
        vectorized = compute_shuffled_indices(np.arange(n), n, seed, rounds).tolist()
        whole_list = shuffle_permutation(n, seed, rounds).tolist()
        scalar = [compute_shuffled_index(i, n, seed, rounds) for i in range(n)]
        # (the reference divides by zero on an empty list; the shuffle of nothing is nothing)
        reference = [int(x) for x in spec.compute_shuffled_permutation(n, spec.Bytes32(seed))] if n else []
        assert vectorized == whole_list == scalar == reference
        assert sorted(vectorized) == list(range(n))  # a permutation


@pytest.mark.parametrize("preset", PRESETS)
def test_sparse_positions_match_whole_list(preset):
    """Few positions on a long list take the touched-buckets path; the values are the same."""
    n, rounds = 100_003, preset.SHUFFLE_ROUND_COUNT
    seed = _seed(7)
    positions = np.array([0, 1, 255, 256, 50_000, n - 2, n - 1, 77, 77])
    whole = compute_shuffled_indices(np.arange(n), n, seed, rounds)
    sparse = compute_shuffled_indices(positions, n, seed, rounds)
    assert sparse.tolist() == whole[positions].tolist()
    assert sparse.tolist() == [compute_shuffled_index(int(i), n, seed, rounds) for i in positions]


@given(n=st.integers(min_value=1, max_value=700), seed=st.binary(min_size=32, max_size=32), data=st.data())
def test_property_vectorized_equals_scalar(n, seed, data):
    rounds = data.draw(st.sampled_from([MINIMAL.SHUFFLE_ROUND_COUNT, MAINNET.SHUFFLE_ROUND_COUNT, 0, 1]))
    positions = data.draw(st.lists(st.integers(min_value=0, max_value=n - 1), min_size=1, max_size=20))
    got = compute_shuffled_indices(positions, n, seed, rounds).tolist()
    assert got == [compute_shuffled_index(i, n, seed, rounds) for i in positions]
    assert got == shuffle_permutation(n, seed, rounds)[positions].tolist()


@pytest.mark.parametrize("preset", PRESETS)
def test_committees_partition_the_shuffled_list(preset):
    spec = spec_module(preset.PRESET_BASE)
    rounds = preset.SHUFFLE_ROUND_COUNT
    indices = np.array(sorted(np.random.default_rng(3).choice(5000, size=777, replace=False)))
    seed = _seed(99)
    shuffled = shuffle_indices(indices, seed, rounds)
    count = 13
    parts = [compute_committee(indices, seed, k, count, rounds) for k in range(count)]
    assert np.concatenate(parts).tolist() == shuffled.tolist()
    ref_indices = [spec.ValidatorIndex(int(i)) for i in indices]
    for k in (0, 5, count - 1):
        ref = spec.compute_committee(ref_indices, spec.Bytes32(seed), k, count)
        assert parts[k].tolist() == [int(x) for x in ref]


def test_preconditions_raise():
    seed = _seed(0)
    with pytest.raises(TransitionError):
        compute_shuffled_index(5, 5, seed, 10)
    with pytest.raises(TransitionError):
        compute_shuffled_indices([0, 5], 5, seed, 10)
    with pytest.raises(TransitionError):
        compute_committee([1, 2, 3], seed, 3, 3, 10)
    assert shuffle_indices([], seed, 10).size == 0
    assert compute_committee([], seed, 0, 1, 10).size == 0
