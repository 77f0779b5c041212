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
            # An attribute assigned another array: written into the registry's column, under a new version.
            before = reg.versions((column,))
            setattr(reg, column, np.array(getattr(reg, column)))
            assert reg.versions((column,)) not in (None, before)
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
    version = state.validators.versions(("exit_epoch",))
    state.validators.exit_epoch = replaced  # type: ignore[misc]
    assert state.validators.versions(("exit_epoch",)) not in (None, version)
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


INVALID_KEY = b"\xc0" + bytes(47)  # the point at infinity: decodes, fails KeyValidate


def _own_sum(state: BeaconState, indices: np.ndarray) -> bytes | None:
    """The sum of the registry's own encodings at `indices`, or None if one fails KeyValidate."""
    total = G1Element()
    for i in indices:
        raw = state.validators.pubkey[int(i)].tobytes()
        if not bls.key_validate(raw):
            return None
        total = total + G1Element.from_bytes(raw)
    return bytes(total)


aggregate_op = st.one_of(
    st.tuples(st.just("aggregate"), st.integers(0, 2**30), st.integers(0, 3)),
    st.tuples(st.just("append"), st.integers(1, 10**6), st.integers(0, 9)),
    st.tuples(st.just("copy"), st.just(0), st.just(0)),
    st.tuples(st.just("switch"), st.integers(0, 7), st.just(0)),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(aggregate_op, min_size=1, max_size=14), st.integers(0, 23))
def test_aggregate_key__committee_sums_through_copies_appends_other_registries__the_attesters_own_sum(ops, bad):
    """Kept committee sums minus the absent members always give the sum of the attesters' own keys (None when
    an attester's key fails KeyValidate), whatever registry (other keys at the same indices, an invalid key
    attesting or absent), copy or append comes between lookups; the same committees come back often (warm)."""
    pubkey_cache.clear()
    first = _keyed_registry(1, 24)
    other = Registry()
    for i in range(24):
        key = INVALID_KEY if i == bad else bytes(bls.SecretKey.from_bytes((i + 501).to_bytes(32, "big")).public_key())
        other.append(key, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9, activation_epoch=0)
    states = [first, BeaconState(preset=MINIMAL, validators=other)]
    state = states[0]
    for kind, a, b in ops:
        if kind == "aggregate":
            rng = np.random.default_rng(a)
            n = len(state.validators)
            order = np.array([*range(0, 24, 3), *range(1, 24, 3), *range(2, 24, 3), *range(24, n)], dtype=np.int64)
            committees = np.array_split(order, 3)[: b + 1]  # the same few committees, again and again
            parts = []
            for committee in committees:
                bits = rng.random(committee.size) < 0.9
                bits[int(rng.integers(committee.size))] = True
                parts.append((committee, bits))
            attesting = np.sort(np.concatenate([c[p] for c, p in parts]))
            for s in (state, *states, state):  # the same committees in every registry, in turn
                if len(s.validators) >= n:
                    got = pubkey_cache.aggregate_key(s, attesting, parts)
                    expected = _own_sum(s, attesting)
                    assert (None if got is None else got.compress()) == expected
        elif kind == "append":
            key = bytes(bls.SecretKey.from_bytes(a.to_bytes(32, "big")).public_key()) if b else INVALID_KEY
            state.validators.append(key, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9, activation_epoch=0)
        elif kind == "copy":
            state = state.copy()
            states.append(state)
        else:
            state = states[a % len(states)]


def test_aggregate_key__committee_seen_before__sums_only_the_absent_members(monkeypatch):
    pubkey_cache.clear()
    state = _keyed_registry(1, 12)
    committee = np.arange(12, dtype=np.int64)
    bits = np.ones(12, dtype=np.bool_)
    bits[[3, 7]] = False
    attesting = committee[bits]
    first = pubkey_cache.aggregate_key(state, attesting, [(committee, bits)])
    sizes = []
    real = bls.aggregate_keys
    monkeypatch.setattr(bls, "aggregate_keys", lambda keys: sizes.append(len(list(keys))) or real(keys))
    again = pubkey_cache.aggregate_key(state.copy(), attesting, [(committee, bits)])
    assert again == first and again.compress() == _own_sum(state, attesting)
    assert max(sizes) <= 2  # the two absent members (and the empty start), never the whole committee


def test_aggregate_key__committee_summed_in_one_registry_then_another_with_other_keys__the_others_own_sum():
    pubkey_cache.clear()
    a, b = _keyed_registry(1, 8), _keyed_registry(501, 8)
    committee = np.arange(8, dtype=np.int64)
    bits = np.ones(8, dtype=np.bool_)
    bits[5] = False
    attesting = committee[bits]
    for state in (a, b, a, b.copy()):
        got = pubkey_cache.aggregate_key(state, attesting, [(committee, bits)])
        assert got is not None and got.compress() == _own_sum(state, attesting)
