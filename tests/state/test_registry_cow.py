"""What `Registry.copy` shares (state/registry.py): the append-only `pubkey` column's buffer and the pubkey index's
base. A registry and its copies (and copies of copies) each behave as a registry of their own whatever is appended
to which side: each one's pubkey column holds its own appends, and `index_of_pubkey` answers the lowest index
holding a key in that registry's column (Spec: `validator_pubkeys.index`), across the index's base, its overlay
and folds of the overlay into a new base; a fork never sees another fork's appends."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from stakework.state import registry as registry_module
from stakework.state.registry import Registry

CREDENTIALS = b"\x01" + bytes(31)


def _key(i: int) -> bytes:
    return i.to_bytes(48, "little")


def _append(reg: Registry, key: bytes) -> int:
    return int(reg.append(key, CREDENTIALS, 32 * 10**9, 32 * 10**9))


def _registry(keys: list[int]) -> Registry:
    reg = Registry()
    for k in keys:
        _append(reg, _key(k))
    return reg


def _scan(reg: Registry, key: bytes) -> int | None:
    """The reference: the first row of the pubkey column holding `key` (Spec: `validator_pubkeys.index`)."""
    for i, row in enumerate(reg.pubkey):
        if row.tobytes() == key:
            return i
    return None


def _keys(reg: Registry) -> list[bytes]:
    return [row.tobytes() for row in reg.pubkey]


@pytest.fixture
def small_overlay(monkeypatch: pytest.MonkeyPatch) -> int:
    """Folds after 4 overlay entries (for a base under 128 keys), so tests reach them with a few appends."""
    monkeypatch.setattr(registry_module, "PUBKEY_OVERLAY_MIN", 4)
    return 4


# -- the pubkey column -------------------------------------------------------------------------------------------


def test_copy__pubkey_buffer__shared_until_an_append() -> None:
    reg = _registry(list(range(10)))
    copy = reg.copy()
    assert np.shares_memory(reg.pubkey, copy.pubkey)
    _append(copy, _key(100))
    assert not np.shares_memory(reg.pubkey, copy.pubkey)
    assert _keys(copy) == [_key(i) for i in [*range(10), 100]] and _keys(reg) == [_key(i) for i in range(10)]


def test_copy__source_and_copy_append_different_validators__neither_sees_the_other() -> None:
    reg = _registry(list(range(10)))  # grown by appends: its buffers have spare rows, so row 10 could be written
    assert reg.capacity > len(reg)
    copy = reg.copy()
    assert _append(reg, _key(100)) == 10
    assert _append(copy, _key(200)) == 10
    assert reg.pubkey[10].tobytes() == _key(100) and copy.pubkey[10].tobytes() == _key(200)
    assert reg.index_of_pubkey(_key(200)) is None and copy.index_of_pubkey(_key(100)) is None
    assert reg.index_of_pubkey(_key(100)) == 10 and copy.index_of_pubkey(_key(200)) == 10


def test_copy__two_forks_append_after_the_copy__each_keeps_its_own_rows() -> None:
    reg = _registry(list(range(10)))
    reg.index_of_pubkey(_key(0))  # the index built before the copies: its base is shared
    left, right = reg.copy(), reg.copy()
    for i in range(5):
        _append(left, _key(100 + i))
        _append(right, _key(200 + i))
    assert _keys(left)[10:] == [_key(100 + i) for i in range(5)]
    assert _keys(right)[10:] == [_key(200 + i) for i in range(5)]
    assert len(reg) == 10
    for i in range(5):
        assert left.index_of_pubkey(_key(100 + i)) == 10 + i and right.index_of_pubkey(_key(100 + i)) is None
        assert right.index_of_pubkey(_key(200 + i)) == 10 + i and left.index_of_pubkey(_key(200 + i)) is None
        assert reg.index_of_pubkey(_key(100 + i)) is None and reg.index_of_pubkey(_key(200 + i)) is None


def test_copy__copy_of_a_copy__three_generations_each_see_only_their_own_line() -> None:
    reg = _registry(list(range(4)))
    reg.index_of_pubkey(_key(0))
    child = reg.copy()
    _append(child, _key(10))
    grandchild = child.copy()
    _append(grandchild, _key(20))
    _append(child, _key(11))
    _append(reg, _key(1))  # a duplicate of row 1
    assert _keys(reg) == [_key(i) for i in [0, 1, 2, 3, 1]]
    assert _keys(child) == [_key(i) for i in [0, 1, 2, 3, 10, 11]]
    assert _keys(grandchild) == [_key(i) for i in [0, 1, 2, 3, 10, 20]]
    assert [grandchild.index_of_pubkey(_key(k)) for k in (10, 11, 20, 1)] == [4, None, 5, 1]
    assert [child.index_of_pubkey(_key(k)) for k in (10, 11, 20, 1)] == [4, 5, None, 1]
    assert [reg.index_of_pubkey(_key(k)) for k in (10, 11, 20, 1)] == [None, None, None, 1]


def test_copy__empty_registry__copy_appends_its_own_first_row() -> None:
    reg = Registry()
    copy = reg.copy()
    _append(copy, _key(1))
    _append(reg, _key(2))
    assert _keys(copy) == [_key(1)] and _keys(reg) == [_key(2)]


def test_copy__pubkey_column__cannot_be_made_writable_on_either_side() -> None:
    reg = _registry(list(range(3)))
    copy = reg.copy()
    for r in (reg, copy):
        with pytest.raises(ValueError):
            r.pubkey.flags.writeable = True
        with pytest.raises(ValueError):
            r.pubkey[0] = 7
    assert _keys(reg) == _keys(copy) == [_key(i) for i in range(3)]


def test_copy__first_append_on_a_copy__writes_into_the_room_without_growing() -> None:
    reg = Registry.from_columns({name: np.asarray(col) for name, col in _registry(list(range(50))).columns()})
    assert reg.capacity == 50
    copy = reg.copy()
    capacity = copy.capacity
    assert capacity >= 50 + registry_module.copy_room(50)
    for i in range(registry_module.copy_room(50)):
        _append(copy, _key(1000 + i))
    assert copy.capacity == capacity and len(copy) == 50 + registry_module.copy_room(50)
    assert copy.pubkey.base is not None and len(copy.pubkey.base) == capacity  # the own buffer is as large
    assert reg.equals(Registry.from_columns({name: np.asarray(col) for name, col in reg.columns()}))
    assert len(reg) == 50


# -- the pubkey index: lowest index across base, overlay and folds -------------------------------------------------


def test_index_of_pubkey__duplicates_in_base_and_overlay__lowest_index_wins() -> None:
    reg = _registry([5, 6, 5, 7])  # a duplicate inside what becomes the base
    assert reg.index_of_pubkey(_key(5)) == 0
    copy = reg.copy()
    _append(copy, _key(6))  # a duplicate of a base key: the base's index stays
    _append(copy, _key(9))
    _append(copy, _key(9))  # a duplicate inside the overlay: the first stays
    assert [copy.index_of_pubkey(_key(k)) for k in (5, 6, 7, 9)] == [0, 1, 3, 5]
    assert [copy.index_of_pubkey(_key(k)) for k in (5, 6, 7, 9)] == [_scan(copy, _key(k)) for k in (5, 6, 7, 9)]
    assert reg.index_of_pubkey(_key(9)) is None


def test_index_of_pubkey__overlay_at_the_bound__folds_on_the_next_new_key(small_overlay: int) -> None:
    reg = _registry(list(range(8)))
    reg.index_of_pubkey(_key(0))
    base = reg._pubkey_index
    assert base is not None and registry_module.pubkey_overlay_limit(len(base)) == small_overlay
    before = dict(base)
    early = reg.copy()  # holds the base as it is now
    for i in range(small_overlay):
        _append(reg, _key(100 + i))
        _append(reg, _key(3))  # in the base: never in the overlay, never counted
    assert reg._pubkey_index is base and len(reg._pubkey_overlay) == small_overlay  # at the bound: not folded
    _append(reg, _key(100))  # a duplicate of an overlay key: not new, no fold
    assert reg._pubkey_index is base
    _append(reg, _key(200))  # one more new key: folded into a new base
    assert reg._pubkey_index is not base and reg._pubkey_overlay == {}
    assert base == before  # the shared base was not written: `early` still reads it
    assert early.index_of_pubkey(_key(100)) is None and early.index_of_pubkey(_key(200)) is None
    assert reg.index_of_pubkey(_key(100)) == 8 and reg.index_of_pubkey(_key(3)) == 3
    assert reg.index_of_pubkey(_key(200)) == len(reg) - 1
    _append(reg, _key(200))  # after the fold: a duplicate of a key now in the base
    _append(reg, _key(101))
    for k in [*range(8), 100, 101, 102, 103, 200, 999]:
        assert reg.index_of_pubkey(_key(k)) == _scan(reg, _key(k))


def test_index_of_pubkey__same_key_at_different_indices_in_two_forks__each_its_own(small_overlay: int) -> None:
    reg = _registry(list(range(8)))
    reg.index_of_pubkey(_key(0))
    left, right = reg.copy(), reg.copy()
    _append(left, _key(500))
    for i in range(small_overlay + 2):  # right folds its overlay meanwhile
        _append(right, _key(300 + i))
    _append(right, _key(500))
    assert left.index_of_pubkey(_key(500)) == 8
    assert right.index_of_pubkey(_key(500)) == 8 + small_overlay + 2
    assert left.index_of_pubkey(_key(300)) is None and reg.index_of_pubkey(_key(500)) is None


def test_invalidate_pubkey_index__on_a_copy__rebuilt_from_its_column_and_others_keep_theirs() -> None:
    reg = _registry([1, 2, 3])
    reg.index_of_pubkey(_key(1))
    copy = reg.copy()
    _append(copy, _key(4))
    _append(reg, _key(5))
    copy.invalidate_pubkey_index()
    assert copy._pubkey_index is None and copy._pubkey_overlay == {}
    assert [copy.index_of_pubkey(_key(k)) for k in (1, 4, 5)] == [0, 3, None]  # rebuilt from the column
    assert [reg.index_of_pubkey(_key(k)) for k in (1, 4, 5)] == [0, None, 3]
    _append(copy, _key(4))
    _append(copy, _key(6))
    assert copy.index_of_pubkey(_key(4)) == 3 and copy.index_of_pubkey(_key(6)) == 5


def test_index_of_pubkey__built_on_a_copy_after_appends__not_on_the_source() -> None:
    reg = _registry([1, 2])
    copy = reg.copy()  # no index yet: each builds its own, from its own column
    _append(copy, _key(3))
    _append(reg, _key(4))
    assert copy.index_of_pubkey(_key(3)) == 2 and copy.index_of_pubkey(_key(4)) is None
    assert reg.index_of_pubkey(_key(4)) == 2 and reg.index_of_pubkey(_key(3)) is None


# -- random sequences of appends, copies and forks against a plain model ----------------------------------------

POOL = [_key(i) for i in range(12)]
"""A small pool of keys, so random appends repeat keys (in the base, in the overlay, across folds)."""


class RegistryLines(RuleBasedStateMachine):
    """Registries made by appends and copies (of copies), each with a plain model: the list of its keys."""

    def __init__(self) -> None:
        super().__init__()
        self.regs: list[Registry] = []
        self.models: list[list[bytes]] = []

    @initialize(keys=st.lists(st.sampled_from(POOL), max_size=10), build=st.booleans())
    def start(self, keys: list[bytes], build: bool) -> None:
        reg = Registry()
        for key in keys:
            _append(reg, key)
        if build:
            reg.index_of_pubkey(POOL[0])
        self.regs, self.models = [reg], [list(keys)]

    def _pick(self, i: int) -> int:
        return i % len(self.regs)

    @rule(i=st.integers(0, 63), key=st.sampled_from(POOL))
    def append(self, i: int, key: bytes) -> None:
        i = self._pick(i)
        assert _append(self.regs[i], key) == len(self.models[i])
        self.models[i].append(key)

    @rule(i=st.integers(0, 63), key=st.sampled_from(POOL), count=st.integers(1, 8))
    def append_many(self, i: int, key: bytes, count: int) -> None:  # distinct new keys, to reach the folds
        i = self._pick(i)
        for j in range(count):
            fresh = _key(1000 + len(self.models[i]) * 8 + j)
            _append(self.regs[i], fresh)
            self.models[i].append(fresh)
        _append(self.regs[i], key)
        self.models[i].append(key)

    @rule(i=st.integers(0, 63))
    def copy(self, i: int) -> None:
        if len(self.regs) < 8:
            i = self._pick(i)
            self.regs.append(self.regs[i].copy())
            self.models.append(list(self.models[i]))

    @rule(i=st.integers(0, 63))
    def fork(self, i: int) -> None:  # two copies of one registry, then each appends a different key
        if len(self.regs) < 7:
            i = self._pick(i)
            a, b = self.regs[i].copy(), self.regs[i].copy()
            self.regs += [a, b]
            self.models += [list(self.models[i]), list(self.models[i])]
            for reg, model, key in ((a, self.models[-2], POOL[-1]), (b, self.models[-1], POOL[-2])):
                _append(reg, key)
                model.append(key)

    @rule(i=st.integers(0, 63))
    def invalidate(self, i: int) -> None:
        self.regs[self._pick(i)].invalidate_pubkey_index()

    @rule(i=st.integers(0, 63), key=st.sampled_from([*POOL, _key(999)]))
    def lookup(self, i: int, key: bytes) -> None:  # builds the index if the registry has none
        i = self._pick(i)
        assert self.regs[i].index_of_pubkey(key) == _scan(self.regs[i], key)

    @invariant()
    def each_column_is_its_model(self) -> None:
        for reg, model in zip(self.regs, self.models, strict=True):
            assert len(reg) == len(model) and _keys(reg) == model

    @invariant()
    def each_built_index_answers_the_scan(self) -> None:
        for reg, model in zip(self.regs, self.models, strict=True):
            if reg._pubkey_index is None:
                continue  # (not built: a lookup would build it from the column, which the other invariant checks)
            for key in {*model, POOL[0], _key(999)}:
                want = model.index(key) if key in model else None
                assert reg.index_of_pubkey(key) == want


def test_registry_lines__random_appends_copies_and_forks__each_index_is_the_linear_scan(
    small_overlay: int,
) -> None:
    run_state_machine_as_test(RegistryLines, settings=settings(deadline=None))
