"""The per-epoch caches (transition/epoch_cache.py and the shuffling and proposer memos in committees.py) give
exactly the uncached results after random registry writes, copies, slashings, exits and epoch transitions, and
they are used: a second call on an unchanged registry computes nothing. The decoded-key table gives the
aggregate verification the uncached result for any registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stakework.bench.workloads import realistic_state
from stakework.crypto import bls
from stakework.spec.arith import exact_sum
from stakework.spec.constants import DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER
from stakework.spec.presets import MINIMAL
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state import BeaconState, Registry
from stakework.transition import accessors, committees, epoch_cache, pubkey_cache
from stakework.transition.mutators import initiate_validator_exit, slash_validator
from stakework.transition.shuffling import compute_shuffled_index, shuffle_indices
from stakework.transition.state_transition import process_slots

N = 96


def uncached_active(state: BeaconState, epoch: int) -> np.ndarray:
    v = state.validators
    e = np.uint64(epoch)
    return np.flatnonzero((v.activation_epoch <= e) & (e < v.exit_epoch))


def uncached_proposer(state: BeaconState) -> int:
    """Spec: get_beacon_proposer_index with compute_proposer_index's loop written out index by index."""
    p = state.preset
    epoch = state.current_epoch()
    seed = committees.sha256(
        committees.get_seed(state, epoch, DOMAIN_BEACON_PROPOSER) + committees.uint_to_bytes8(state.slot)
    )
    indices = uncached_active(state, epoch)
    total = len(indices)
    i = 0
    while True:
        candidate = int(indices[compute_shuffled_index(i % total, total, seed, p.SHUFFLE_ROUND_COUNT)])
        random_bytes = committees.sha256(seed + committees.uint_to_bytes8(i // 16))
        offset = i % 16 * 2
        random_value = int.from_bytes(random_bytes[offset : offset + 2], "little")
        effective = int(state.validators.effective_balance[candidate])
        if effective * (2**16 - 1) >= p.MAX_EFFECTIVE_BALANCE_ELECTRA * random_value:
            return candidate
        i += 1


def check_equal_to_uncached(state: BeaconState) -> None:
    p = state.preset
    current = state.current_epoch()
    assert int(committees.get_beacon_proposer_index(state)) == uncached_proposer(state)
    expected_total = max(
        p.EFFECTIVE_BALANCE_INCREMENT, exact_sum(state.validators.effective_balance[uncached_active(state, current)])
    )
    assert accessors.get_total_active_balance(state) == expected_total
    for epoch in (current, current + 1):
        active = uncached_active(state, epoch)
        assert np.array_equal(epoch_cache.active_validator_indices(state, epoch), active)
        shuffling = committees.get_epoch_shuffling(state, epoch)
        seed = committees.get_seed(state, epoch, DOMAIN_BEACON_ATTESTER)
        assert np.array_equal(shuffling.shuffled, shuffle_indices(active, seed, p.SHUFFLE_ROUND_COUNT))
        assert shuffling.committees_per_slot == committees.committee_count_for(p, len(active))


operation = st.one_of(
    st.tuples(st.just("effective_balance"), st.integers(0, N - 1), st.sampled_from([0, 1, 16, 31, 32, 2048])),
    st.tuples(st.just("exit_epoch"), st.integers(0, N - 1), st.integers(0, 3)),
    st.tuples(st.just("activation_epoch"), st.integers(0, N - 1), st.integers(0, 3)),
    st.tuples(st.just("exit"), st.integers(0, N - 1), st.just(0)),
    st.tuples(st.just("slash"), st.integers(0, N - 1), st.just(0)),
    st.tuples(st.just("copy"), st.just(0), st.just(0)),
    st.tuples(st.just("slot"), st.integers(1, 3), st.just(0)),
    st.tuples(st.just("epoch"), st.just(0), st.just(0)),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=12))
def test_epoch_caches__random_mutations_copies_slashings_exits_epochs__equal_uncached(ops):
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    process_slots(state, state.slot + 1)  # the first slot of epoch 2001
    others: list[BeaconState] = []
    check_equal_to_uncached(state)
    for kind, a, b in ops:
        v = state.validators
        current = state.current_epoch()
        active = v.activation_epoch[a] <= current < v.exit_epoch[a]
        if kind == "effective_balance":
            v.effective_balance[a] = b * 10**9
        elif kind == "exit_epoch":
            v.exit_epoch[a] = current + b if b else FAR_FUTURE_EPOCH
        elif kind == "activation_epoch":
            v.activation_epoch[a] = current + b - 1
        elif kind == "exit" and active:
            initiate_validator_exit(state, a)
        elif kind == "slash" and active and not v.slashed[a]:
            slash_validator(state, a)
        elif kind == "copy":
            # The copy goes on and the original is kept: they diverge, and each must still see its own results.
            others.append(state)
            state = state.copy()
            v = state.validators
            v.effective_balance[0] = 2048 * 10**9 if v.effective_balance[0] != 2048 * 10**9 else 32 * 10**9
        elif kind == "slot":
            state.slot += a  # stays inside the epoch's seeds: get_seed reads mixes of older epochs
        elif kind == "epoch":
            epoch_start = (current + 1) * MINIMAL.SLOTS_PER_EPOCH
            process_slots(state, epoch_start)
        if len(uncached_active(state, state.current_epoch())) == 0:
            return  # a registry with nobody active has no proposer (the spec asserts)
        check_equal_to_uncached(state)
    for other in others:
        if len(uncached_active(other, other.current_epoch())):
            check_equal_to_uncached(other)


def test_epoch_caches__copy_then_mutate__original_keeps_its_proposer_and_total():
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    proposer = int(committees.get_beacon_proposer_index(state))
    total = accessors.get_total_active_balance(state)
    copy = state.copy()
    copy.validators.effective_balance[proposer] = 0  # the copy's proposer can no longer be drawn first
    copy.validators.exit_epoch[1] = copy.current_epoch()  # and validator 1 leaves the copy's active set
    assert int(committees.get_beacon_proposer_index(copy)) == uncached_proposer(copy) != proposer
    assert accessors.get_total_active_balance(copy) < total
    assert int(committees.get_beacon_proposer_index(state)) == proposer
    assert accessors.get_total_active_balance(state) == total


def test_proposer_index__second_call_on_unchanged_registry__shuffles_nothing(monkeypatch):
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    epoch_cache.clear()
    first = committees.get_beacon_proposer_index(state)
    calls = []
    real = committees.compute_shuffled_indices
    monkeypatch.setattr(
        committees, "compute_shuffled_indices", lambda *args: calls.append(args) or real(*args), raising=True
    )
    assert committees.get_beacon_proposer_index(state.copy()) == first
    assert calls == []
    state.validators.effective_balance[int(first)] = 0  # a candidate it examined changed: recomputed
    assert int(committees.get_beacon_proposer_index(state)) == uncached_proposer(state) != int(first)
    assert calls


def test_total_active_balance__second_call_on_unchanged_registry__sums_nothing(monkeypatch):
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    total = accessors.get_total_active_balance(state)
    sums = []
    monkeypatch.setattr(accessors, "is_active_validator", lambda *args: sums.append(args) or np.zeros(0, bool))
    monkeypatch.setattr(epoch_cache, "exact_sum", lambda values: sums.append(values) or 0)
    assert accessors.get_total_active_balance(state.copy()) == total
    assert sums == []


def key_state(secret_offset: int, n: int = 6, bad: dict[int, bytes] | None = None) -> BeaconState:
    """A registry whose validator i has the secret key i + secret_offset (or the raw key `bad[i]`)."""
    reg = Registry()
    for i in range(n):
        key = (bad or {}).get(i) or bytes(
            bls.SecretKey.from_bytes((i + secret_offset).to_bytes(32, "big")).public_key()
        )
        reg.append(key, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9, activation_epoch=0)
    return BeaconState(preset=MINIMAL, validators=reg)


def sum_signature(secrets: list[int], message: bytes) -> bytes:
    return bytes(bls.SecretKey.from_bytes((sum(secrets) % bls_order).to_bytes(32, "big")).sign(message))


bls_order = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001


@pytest.mark.parametrize("first", ["a", "b"])
def test_pubkey_cache__two_registries_same_indices_other_keys__each_verifies_only_its_own(first):
    pubkey_cache.clear()
    states = {"a": key_state(1), "b": key_state(101)}
    indices = np.array([0, 2, 3], dtype=np.int64)
    message = b"\x11" * 32
    signatures = {"a": sum_signature([1, 3, 4], message), "b": sum_signature([101, 103, 104], message)}
    order = [first, "b" if first == "a" else "a"] * 2
    for name in order:
        for signer in ("a", "b"):
            keys = pubkey_cache.validated_keys(states[name], indices)
            assert keys is not None
            got = bls.fast_aggregate_verify_keys(keys, message, signatures[signer])
            raw = [states[name].validators.pubkey[i].tobytes() for i in indices]
            assert got == bls.fast_aggregate_verify(raw, message, signatures[signer]) == (name == signer)


@pytest.mark.parametrize("bad_key", [b"\xc0" + bytes(47), b"\x8a" + bytes(47), b"\xff" * 48])
def test_pubkey_cache__key_failing_key_validate__aggregate_invalid_like_uncached(bad_key):
    pubkey_cache.clear()
    good, bad = key_state(1), key_state(1, bad={2: bad_key})
    message = b"\x22" * 32
    signature = sum_signature([1, 3], message)
    for state, expected in ((good, True), (bad, False), (good, True)):
        keys = pubkey_cache.validated_keys(state, np.array([0, 2], dtype=np.int64))
        uncached = bls.fast_aggregate_verify([state.validators.pubkey[i].tobytes() for i in (0, 2)], message, signature)
        assert (keys is not None and bls.fast_aggregate_verify_keys(keys, message, signature)) == uncached == expected


def test_pubkey_cache__second_lookup__decodes_nothing(monkeypatch):
    pubkey_cache.clear()
    state = key_state(1)
    first = pubkey_cache.validated_keys(state, np.arange(6, dtype=np.int64))
    decoded = []
    monkeypatch.setattr(bls, "validated_key", decoded.append)
    assert pubkey_cache.validated_keys(state.copy(), np.arange(6, dtype=np.int64)) == first
    assert decoded == []


def test_proposer_index__after_an_exit_in_the_block__reused_not_recomputed(monkeypatch):
    """An exit lands at compute_activation_exit_epoch, after the current epoch: the active set, so the cached
    proposer and total, still hold (the next block's proposer must not be recomputed because of it)."""
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    proposer = int(committees.get_beacon_proposer_index(state))
    total = accessors.get_total_active_balance(state)
    active = uncached_active(state, state.current_epoch())
    leaving = int(next(i for i in active if i != proposer and state.validators.exit_epoch[i] == FAR_FUTURE_EPOCH))
    initiate_validator_exit(state, leaving)
    calls = []
    real = committees.compute_shuffled_indices
    monkeypatch.setattr(committees, "compute_shuffled_indices", lambda *args: calls.append(args) or real(*args))
    assert int(committees.get_beacon_proposer_index(state)) == proposer == uncached_proposer(state)
    assert accessors.get_total_active_balance(state) == total
    assert calls == []
