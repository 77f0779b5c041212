"""Registry column versions (state/registry.py) and the per-epoch caches' O(1) hits built on them
(transition/epoch_cache.py): equal versions always mean equal columns, whatever wrote them (index, slice, mask
and fancy assignment, in-place operators, ufuncs with `out=`, `ufunc.at`, appends, a view kept from before an
append, copies, from_columns, a replaced attribute), and a cache found by version never serves what a write
changed: its results equal the cache-free computation after every write."""

from __future__ import annotations

import numpy as np
from blspy import G1Element
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.transition.test_epoch_caches import check_equal_to_uncached, uncached_active

from stakework.bench.workloads import realistic_state
from stakework.crypto import bls
from stakework.spec.presets import MINIMAL
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state import BeaconState, Registry
from stakework.transition import accessors, committees, epoch_cache, pubkey_cache

N = 64
WATCHED = ("activation_epoch", "exit_epoch", "effective_balance", "slashed", "pubkey", "balances")


def write(reg: Registry, kept: dict[str, np.ndarray], how: str, column: str, row: int, value: int) -> None:
    """Write `value` into `column` of `reg` at `row` (or around it) by the channel `how`."""
    col = getattr(reg, column)
    n = len(reg)
    v = np.asarray(value).astype(col.dtype)
    if how == "index":
        col[row] = v
    elif how == "negative_index":
        col[row - n] = v
    elif how == "slice":
        col[row : row + 3] = v
    elif how == "mask":
        col[np.arange(n) % 7 == row % 7] = v
    elif how == "fancy":
        col[np.array([row, (row * 5) % n])] = v
    elif how == "iadd":
        col += np.asarray(1).astype(col.dtype) if col.dtype != np.bool_ else True
    elif how == "ufunc_out":
        np.maximum(col, v, out=col)
    elif how == "ufunc_at":
        if col.dtype != np.bool_:
            np.add.at(col, [row, row], np.asarray(1).astype(col.dtype))
    elif how == "old_view":
        old = kept.get(column)
        if old is not None and len(old) > row:
            old[row] = v  # a view handed out before an append still writes into this registry's column


def snapshot(reg: Registry) -> dict[str, bytes]:
    return {name: np.ascontiguousarray(getattr(reg, name)).tobytes() for name in WATCHED}


how = st.sampled_from(
    ["index", "negative_index", "slice", "mask", "fancy", "iadd", "ufunc_out", "ufunc_at", "old_view"]
)
op = st.one_of(
    st.tuples(
        st.just("write"),
        how,
        st.sampled_from(["activation_epoch", "exit_epoch", "effective_balance", "slashed", "balances"]),
        st.integers(0, N - 1),
        st.integers(0, 5),
    ),
    st.tuples(st.just("append"), st.just(""), st.just(""), st.integers(0, 255), st.just(0)),
    st.tuples(st.just("copy"), st.just(""), st.just(""), st.just(0), st.just(0)),
    st.tuples(st.just("switch"), st.just(""), st.just(""), st.integers(0, 7), st.just(0)),
    st.tuples(st.just("rebuild"), st.just(""), st.just(""), st.just(0), st.just(0)),
    st.tuples(
        st.just("replace"), st.just(""), st.sampled_from(["exit_epoch", "effective_balance"]), st.just(0), st.just(0)
    ),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=30))
def test_registry_versions__any_write_channel_copies_appends__equal_versions_mean_equal_columns(ops):
    base = realistic_state(N, preset=MINIMAL, epoch=2000).validators
    registries = [base]
    reg = base
    kept: dict[str, np.ndarray] = {name: getattr(reg, name) for name in WATCHED}
    seen: dict[tuple[str, int], bytes] = {}

    def check(r: Registry) -> None:
        contents = snapshot(r)
        for name in WATCHED:
            versions = r.versions((name,))
            if versions is None:
                continue
            earlier = seen.setdefault((name, versions[0]), contents[name])
            assert earlier == contents[name], f"{name}: one version, two contents"

    for kind, channel, column, a, b in ops:
        if kind == "write":
            write(reg, kept, channel, column, a % len(reg), b)
        elif kind == "append":
            reg.append(bytes([a]) * 48, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9, activation_epoch=a % 4)
        elif kind == "copy":
            reg = reg.copy()
            registries.append(reg)
        elif kind == "switch":
            reg = registries[a % len(registries)]
        elif kind == "rebuild":
            reg = Registry.from_columns(dict(reg.columns()))
            registries.append(reg)
        elif kind == "replace":
            # An attribute replaced by another array: its writes carry no version, so none is given.
            setattr(reg, column, np.array(getattr(reg, column)))
            assert reg.versions((column,)) is None
        for r in registries:
            check(r)


def uncached_total(state: BeaconState) -> int:
    active = uncached_active(state, state.current_epoch())
    return max(state.preset.EFFECTIVE_BALANCE_INCREMENT, int(state.validators.effective_balance[active].sum()))


cache_op = st.one_of(
    st.tuples(
        st.just("write"),
        how,
        st.sampled_from(["activation_epoch", "exit_epoch", "effective_balance"]),
        st.integers(0, N - 1),
        st.integers(0, 3),
    ),
    st.tuples(st.just("append"), st.just(""), st.just(""), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("copy"), st.just(""), st.just(""), st.just(0), st.just(0)),
    st.tuples(st.just("switch"), st.just(""), st.just(""), st.integers(0, 7), st.just(0)),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cache_op, min_size=1, max_size=16))
def test_epoch_caches__writes_by_any_channel_between_reads__equal_uncached(ops):
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    states = [state]
    kept = {name: getattr(state.validators, name) for name in WATCHED}
    check_equal_to_uncached(state)
    for kind, channel, column, a, b in ops:
        v = state.validators
        current = state.current_epoch()
        if kind == "write":
            # Epoch values around the current epoch (so the active sets change), balances in whole increments.
            value = {
                "activation_epoch": current + b - 2,
                "exit_epoch": current + b if b else FAR_FUTURE_EPOCH,
                "effective_balance": b * 16 * 10**9,
            }[column]
            write(v, kept, channel, column, a, value)
        elif kind == "append":
            v.append(bytes([a + 1]) * 48, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9, activation_epoch=current - a)
        elif kind == "copy":
            state = state.copy()
            states.append(state)
        elif kind == "switch":
            state = states[a % len(states)]
        for s in states:
            if len(uncached_active(s, s.current_epoch())) == 0:
                return  # nobody active: no proposer (the spec asserts)
            check_equal_to_uncached(s)
            assert accessors.get_total_active_balance(s) == uncached_total(s)


def test_epoch_view__unchanged_registry_and_its_copies__found_without_computing_a_mask(monkeypatch):
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    epoch_cache.clear()
    epoch = state.current_epoch()
    first = epoch_cache.epoch_view(state, epoch)
    masks = []
    real = epoch_cache.active_mask
    monkeypatch.setattr(epoch_cache, "active_mask", lambda *args: masks.append(args) or real(*args))
    copy = state.copy()
    assert epoch_cache.epoch_view(state, epoch) is first
    assert epoch_cache.epoch_view(copy, epoch) is first
    assert committees.get_beacon_proposer_index(copy) == committees.get_beacon_proposer_index(state)
    copy.validators.balances[0] += 1  # a column the view does not read
    assert epoch_cache.epoch_view(copy, epoch) is first
    assert masks == []
    copy.validators.exit_epoch[0] = copy.validators.exit_epoch[0]  # a write of the same value: compared again
    assert epoch_cache.epoch_view(copy, epoch) is first
    assert len(masks) == 1
    assert epoch_cache.epoch_view(copy, epoch) is first  # and found by its new version from then on
    assert len(masks) == 1


def test_total_active_balance__unchanged_balances__not_compared_again(monkeypatch):
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    epoch_cache.clear()
    total = accessors.get_total_active_balance(state)
    compares = []
    real = np.array_equal
    monkeypatch.setattr(epoch_cache.np, "array_equal", lambda *args: compares.append(args) or real(*args))
    assert accessors.get_total_active_balance(state.copy()) == total
    assert compares == []
    state.validators.effective_balance[3] = 0
    assert accessors.get_total_active_balance(state) == uncached_total(state)
    assert compares


def test_epoch_view__attribute_replaced__compares_contents_and_sees_the_new_column():
    state = realistic_state(N, preset=MINIMAL, epoch=2000)
    epoch = state.current_epoch()
    before = epoch_cache.active_validator_indices(state, epoch)
    replaced = np.array(state.validators.exit_epoch)
    replaced[int(before[0])] = epoch  # the first active validator is gone in this epoch
    state.validators.exit_epoch = replaced  # type: ignore[misc]
    assert state.validators.versions(("exit_epoch",)) is None
    assert np.array_equal(epoch_cache.active_validator_indices(state, epoch), uncached_active(state, epoch))
    assert int(before[0]) not in set(epoch_cache.active_validator_indices(state, epoch).tolist())


def _keyed_registry(offset: int, n: int = 5) -> BeaconState:
    reg = Registry()
    for i in range(n):
        key = bytes(bls.SecretKey.from_bytes((i + offset).to_bytes(32, "big")).public_key())
        reg.append(key, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9, activation_epoch=0)
    return BeaconState(preset=MINIMAL, validators=reg)


key_op = st.one_of(
    st.tuples(st.just("lookup"), st.lists(st.integers(0, 40), min_size=1, max_size=6)),
    st.tuples(st.just("append"), st.integers(1, 10**6)),
    st.tuples(st.just("copy"), st.just(0)),
    st.tuples(st.just("switch"), st.integers(0, 7)),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(key_op, min_size=1, max_size=14))
def test_pubkey_cache__registries_copies_appends_interleaved__keys_always_the_registrys_own(ops):
    """Registries holding other keys at the same indices, their copies and appends (each append a new pubkey
    version): the decoded keys a lookup returns always sum to the sum of that registry's own encodings."""
    pubkey_cache.clear()
    states = [_keyed_registry(1), _keyed_registry(1001)]
    state = states[0]
    for kind, arg in ops:
        if kind == "lookup":
            n = len(state.validators)
            indices = np.array(sorted({i % n for i in arg}), dtype=np.int64)
            keys = pubkey_cache.validated_keys(state, indices)
            assert keys is not None
            expected = G1Element()
            for i in indices:
                expected = expected + G1Element.from_bytes(state.validators.pubkey[int(i)].tobytes())
            assert bls.aggregate_keys(keys).compress() == bytes(expected)
        elif kind == "append":
            key = bytes(bls.SecretKey.from_bytes(arg.to_bytes(32, "big")).public_key())
            state.validators.append(key, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9, activation_epoch=0)
        elif kind == "copy":
            state = state.copy()
            states.append(state)
        else:
            state = states[arg % len(states)]
