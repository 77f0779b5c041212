"""Registry copies and whole-column replacement (state/registry.py): a column attribute assigned a new array
(`registry.balances = array`) is written into the registry's own column, so copies (and copies of copies) and
appends keep it, it gets a new version, and the state commitment re-hashes it. Random sequences of in-place,
slice, mask and ufunc writes, replacements, appends and copies written on every side keep, after each step: every
registry equal to a plain model of its columns, the incremental root equal to the roots from scratch of the state
and of an independent reconstruction, equal versions meaning equal contents, and the per-epoch caches equal to
their cache-free computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stakework.bench.workloads import realistic_state
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.fields import COLUMN_FIELDS
from stakework.state.registry import RegistryError
from stakework.state.root import hash_state
from stakework.transition import accessors, epoch_cache
from support.roots import check_root

N = 40
WRITABLE = [f.name for f in COLUMN_FIELDS if not f.append_only]
WAYS = ["index", "negative", "slice", "mask", "fancy", "iadd", "ufunc_out", "ufunc_at", "replace", "replace_same"]

_BASE: list[BeaconState] = []


def _base() -> BeaconState:
    if not _BASE:
        state = realistic_state(N, preset=MINIMAL, epoch=2000)
        for i in range(12):
            state.accounts.credit(bytes([i, 3 * i]) + bytes(18), 10**9 + i)
        _BASE.append(state)
    return _BASE[0].copy()


def _model(state: BeaconState) -> dict[str, np.ndarray]:
    return {name: np.array(column) for name, column in state.validators.columns()}


def _limit(name: str, dtype: np.dtype) -> int:
    """The largest value a snapshot takes in column `name` (the roots are checked against a JSON round trip, which
    refuses states no rule produces): effective balances up to the Electra maximum, balances small enough that
    their total fits in 64 bits; any value of the dtype elsewhere."""
    if name == "effective_balance":
        return MINIMAL.MAX_EFFECTIVE_BALANCE_ELECTRA
    if name == "balances":
        return 2**48 - 1
    return int(np.iinfo(dtype).max) if dtype != np.bool_ else 1


def _value(name: str, dtype: np.dtype, b: int) -> object:
    if dtype == np.bool_:
        return bool(b % 2)
    return dtype.type(b % (_limit(name, dtype) + 1))


def _write(state: BeaconState, model: dict[str, np.ndarray], way: str, name: str, a: int, b: int) -> None:
    """Write column `name` of `state` by `way`, and the same into `model`."""
    v = state.validators
    column = getattr(v, name)
    want = model[name]
    n = len(column)
    i = a % n
    value = _value(name, column.dtype, b)
    if way == "index":
        column[i] = value
        want[i] = value
    elif way == "negative":
        column[i - n] = value
        want[i - n] = value
    elif way == "slice":
        column[i : i + 5] = value
        want[i : i + 5] = value
    elif way == "mask":
        mask = np.arange(n) % 3 == a % 3
        column[mask] = value
        want[mask] = value
    elif way == "fancy":
        rows = np.array([i, (i * 7 + 1) % n])
        column[rows] = value
        want[rows] = value
    elif way == "iadd":  # `v.<name> += 1`: written in place, then the attribute assigned its own view back
        if column.dtype != np.bool_ and int(want.max()) >= _limit(name, column.dtype):
            return  # (past what a snapshot holds)
        if column.dtype == np.bool_:
            setattr(v, name, column.__ior__(False))
        else:
            setattr(v, name, column.__iadd__(column.dtype.type(1)))
            want += want.dtype.type(1)
    elif way == "ufunc_out":
        np.maximum(column, value, out=column)
        np.maximum(want, value, out=want)
    elif way == "ufunc_at":
        if column.dtype != np.bool_ and int(want[i].max()) + 2 <= _limit(name, column.dtype):
            np.add.at(column, [i, i], column.dtype.type(1))
            np.add.at(want, [i, i], column.dtype.type(1))
    elif way in ("replace", "replace_same"):  # an attribute assigned whole: a new array, or the same content
        before = v.versions((name,))
        new = np.array(want)
        if way == "replace":
            new[i] = value
            new[(i * 5 + 2) % n] = value
        setattr(v, name, new)
        new[(i + 1) % n] = value  # the array given stays the caller's: writing it later does not reach the registry
        if way == "replace":
            want[i] = value
            want[(i * 5 + 2) % n] = value
        assert v.versions((name,)) not in (None, before)


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("write"),
            st.sampled_from(WAYS),
            st.sampled_from(WRITABLE),
            st.integers(0, 10**6),
            st.integers(0, 2**64 - 1),
        ),
        st.tuples(st.just("append"), st.just(""), st.just(""), st.integers(0, 10**6), st.integers(0, 2**40)),
        st.tuples(st.just("copy"), st.just(""), st.just(""), st.integers(0, 10**6), st.just(0)),
        st.tuples(st.just("hash"), st.just(""), st.just(""), st.integers(0, 10**6), st.just(0)),
        st.tuples(st.just("drop"), st.just(""), st.just(""), st.integers(0, 10**6), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def _check_caches(state: BeaconState) -> None:
    v = state.validators
    for epoch in (state.current_epoch(), state.current_epoch() + 1):
        e = np.uint64(epoch)
        active = np.flatnonzero((v.activation_epoch <= e) & (e < v.exit_epoch))
        assert np.array_equal(epoch_cache.active_validator_indices(state, epoch), active)
    active = np.flatnonzero(
        (v.activation_epoch <= np.uint64(state.current_epoch())) & (np.uint64(state.current_epoch()) < v.exit_epoch)
    )
    total = max(state.preset.EFFECTIVE_BALANCE_INCREMENT, sum(int(x) for x in v.effective_balance[active]))
    assert accessors.get_total_active_balance(state) == total


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_registry__random_writes_replacements_appends_and_copies__columns_roots_versions_and_caches_right(
    ops: list[tuple[str, str, str, int, int]],
) -> None:
    state = _base()
    hash_state(state)
    states, models = [state], [_model(state)]
    seen: dict[tuple[str, int], bytes] = {}  # (column, version) -> the content first seen under it
    for kind, way, name, a, b in ops:
        k = a % len(states)
        state, model = states[k], models[k]
        touched = [k]
        if kind == "write":
            _write(state, model, way, name, a, b)
        elif kind == "append":
            state.validators.append(bytes([a % 256]) * 48, b"\x01" + bytes(31), 32 * 10**9, b, activation_epoch=a % 4)
            new_row = _model(state)
            for column, values in model.items():
                model[column] = np.concatenate([values, new_row[column][-1:]])
        elif kind == "copy":  # writes on both sides afterwards: neither may see the other's
            states.append(state.copy())
            models.append({column: values.copy() for column, values in model.items()})
            touched.append(len(states) - 1)
        elif kind == "drop" and len(states) > 1:
            del states[k], models[k]
            touched = []
        for j in touched:
            if kind != "hash" and (a + j) % 3:  # not every step: roots are also checked after several writes
                continue
            check_root(states[j])
            _check_caches(states[j])
        for s, m in zip(states, models, strict=True):
            for column, values in m.items():
                assert np.array_equal(getattr(s.validators, column), values), column
                versions = s.validators.versions((column,))
                assert versions is not None
                content = np.ascontiguousarray(values).tobytes()
                assert seen.setdefault((column, versions[0]), content) == content, (
                    f"{column}: one version, two contents"
                )
    for s in states:
        check_root(s)
        _check_caches(s)


def test_copy__a_column_replaced_before_the_copy__the_copy_and_its_root_keep_it() -> None:
    state = _base()
    hash_state(state)
    balances = np.array(state.validators.balances)
    balances[5] += 7
    state.validators.balances = balances
    copy = state.copy()
    twice = copy.copy()
    for s in (state, copy, twice):
        assert np.array_equal(s.validators.balances, balances)
    assert check_root(state) == check_root(copy) == check_root(twice)


def test_append__after_a_column_replaced__the_replaced_rows_kept() -> None:
    state = _base()
    exit_epoch = np.array(state.validators.exit_epoch)
    exit_epoch[3] = 2001
    state.validators.exit_epoch = exit_epoch
    state.validators.append(b"\x07" * 48, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9)
    assert int(state.validators.exit_epoch[3]) == 2001 and len(state.validators.exit_epoch) == N + 1
    check_root(state)


def test_replace__the_active_set_changes__the_epoch_caches_see_it() -> None:
    state = _base()
    epoch = state.current_epoch()
    before = epoch_cache.active_validator_indices(state, epoch)
    total = accessors.get_total_active_balance(state)
    exit_epoch = np.array(state.validators.exit_epoch)
    exit_epoch[int(before[0])] = epoch  # the first active validator leaves in this epoch
    state.validators.exit_epoch = exit_epoch
    after = epoch_cache.active_validator_indices(state, epoch)
    assert int(before[0]) not in after.tolist() and len(after) == len(before) - 1
    gone = int(state.validators.effective_balance[int(before[0])])
    assert accessors.get_total_active_balance(state) == max(state.preset.EFFECTIVE_BALANCE_INCREMENT, total - gone)


def test_replace__wrong_shape_dtype_or_the_pubkey_column__refused_with_the_reason() -> None:
    v = _base().validators
    with pytest.raises(RegistryError, match=r"'balances'.*shape \(39,\), expected \(40,\)"):
        v.balances = np.zeros(N - 1, dtype=np.uint64)
    with pytest.raises(RegistryError, match=r"'slashed' holds bool, cannot take these uint64"):
        v.slashed = np.zeros(N, dtype=np.uint64)
    with pytest.raises(RegistryError, match=r"'balances' holds uint64, cannot take these int64"):
        v.balances = np.full(N, -1, dtype=np.int64)
    with pytest.raises(RegistryError, match=r"'pubkey' is append-only"):
        v.pubkey = np.zeros((N, 48), dtype=np.uint8)
    version = v.versions(("balances",))
    v.balances = np.arange(N, dtype=np.int64)  # non-negative integers of another type: taken
    assert v.balances.dtype == np.uint64 and int(v.balances[7]) == 7 and v.versions(("balances",)) != version
