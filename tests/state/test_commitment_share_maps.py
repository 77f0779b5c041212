"""The share ledgers' holder tables in the state commitment: each table (a ShareMap) notes the holders written
through any of its mutators, and its tree (state/commitment.py: ShareTree) re-hashes only their buckets. The
incremental root always equals the root from scratch (and a plain computation of the documented shape) after
mints, burns, transfers, holders appearing and disappearing, direct writes through every mutator, tables replaced,
copies of the state (whose write logs are their own) and snapshot round trips."""

from __future__ import annotations

import contextlib
import copy
import pickle
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stakework.modules import registry
from stakework.modules.errors import ModuleError
from stakework.modules.pool.state import Pool
from stakework.modules.shares import BURN_ADDRESS, RecordMap, ShareLedger, ShareMap
from stakework.modules.store import ModuleStore, decode_store, encode_store, share_tables
from stakework.spec.presets import DEVNET
from stakework.state import commitment
from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import ShareTree, StateCommitment, commitment_of
from stakework.state.root import hash_state, hash_state_from_scratch
from stakework.state.snapshot import load_state, save_state
from stakework.transition.genesis import devnet_genesis
from support.roots import check_root, independent_root, plain_share_table_root

ADMIN = bytes(19) + b"\x01"


# Holders crowd a few buckets (first bytes from a small set) and share long prefixes (the rebuild's tie path).
HOLDER = st.builds(
    lambda a, b, tail: bytes([a, b]) + bytes(17) + bytes([tail]),
    st.sampled_from([0, 1, 0xFF]),
    st.sampled_from([0, 7]),
    st.integers(0, 5),
)
ODD_HOLDER = st.sampled_from([b"", b"\x01", b"\x01\x00", b"\x00" * 32])
SHARES = st.integers(0, 2**64 - 1)

TABLE_OPS = st.one_of(
    st.tuples(st.just("set"), HOLDER, SHARES),
    st.tuples(st.just("set_odd"), ODD_HOLDER, SHARES),
    st.tuples(st.just("del"), HOLDER, SHARES),
    st.tuples(st.just("pop"), HOLDER, SHARES),
    st.tuples(st.just("popitem"), HOLDER, SHARES),
    st.tuples(st.just("setdefault"), HOLDER, SHARES),
    st.tuples(st.just("update"), HOLDER, SHARES),
    st.tuples(st.just("ior"), HOLDER, SHARES),
    st.tuples(st.just("clear"), HOLDER, SHARES),
    st.tuples(st.just("root"), HOLDER, SHARES),
    st.tuples(st.just("copy_tree"), HOLDER, SHARES),
    st.tuples(st.just("rebuild_elsewhere"), HOLDER, SHARES),
)


def _mutate(table: dict[bytes, int], kind: str, holder: bytes, shares: int) -> None:
    if kind in ("set", "set_odd"):
        table[holder] = shares
    elif kind == "del" and holder in table:
        del table[holder]
    elif kind == "pop":
        table.pop(holder, None)
    elif kind == "popitem" and table:
        table.popitem()
    elif kind == "setdefault":
        table.setdefault(holder, shares)
    elif kind == "update":
        table.update({holder: shares, bytes(20): 1})
    elif kind == "ior":
        table |= {holder: shares}
    elif kind == "clear" and len(table) > 3:
        table.clear()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(HOLDER, SHARES, max_size=30), st.lists(TABLE_OPS, max_size=40))
def test_share_tree__random_writes_through_every_mutator__incremental_equals_rebuilt_and_plain(
    start: dict[bytes, int], ops: list[tuple[str, bytes, int]]
) -> None:
    table = ShareMap(start)
    tree = ShareTree()
    tree.update(table)
    assert tree.root() == plain_share_table_root(table)
    for kind, holder, shares in ops:
        if kind == "root":
            tree.update(table)
        elif kind == "copy_tree":  # a copy of the tree follows a copy of the table, with the pending holders
            tree.update(table)
            other = tree.copy()
            fresh = ShareMap(table)
            fresh.follow(other.token, table.pending())
            other.followed = fresh
            table, tree = fresh, other
        elif kind == "rebuild_elsewhere":  # another tree takes the table over: this one must rebuild, not trust it
            ShareTree().update(table)
        else:
            _mutate(table, kind, holder, shares)
    tree.update(table)
    fresh = ShareTree()
    fresh.update(dict(table))  # a plain dict: always hashed whole
    assert tree.root() == fresh.root() == plain_share_table_root(table)
    assert tree.count == len(table)


def test_share_tree__one_holder_written__only_its_bucket_rehashed(monkeypatch: pytest.MonkeyPatch) -> None:
    table = ShareMap({i.to_bytes(2, "big") + bytes(18): i + 1 for i in range(0, 2**16, 7)})
    tree = ShareTree()
    tree.update(table)
    leaves: list[list[bytes]] = []
    real = commitment._bucket_leaf

    def counting(t: dict[bytes, int], holders: list[bytes]) -> bytes:
        leaves.append(list(holders))
        return real(t, holders)

    def refuse(self: ShareTree, t: dict[bytes, int]) -> set[int]:
        raise AssertionError("rebuilt the whole table")

    monkeypatch.setattr(commitment, "_bucket_leaf", counting)
    monkeypatch.setattr(ShareTree, "_rebuild", refuse)
    holder = (7).to_bytes(2, "big") + bytes(18)
    table[holder] += 5
    tree.update(table)
    assert leaves == [[holder]]
    tree.update(table)  # nothing written since: nothing hashed
    assert leaves == [[holder]] and tree.root() == plain_share_table_root(table)


@pytest.mark.parametrize(
    ("write", "noted"),
    [
        (lambda m: m.__setitem__(b"n", 1), {b"n"}),
        (lambda m: m.__delitem__(b"a"), {b"a"}),
        (lambda m: m.pop(b"a"), {b"a"}),
        (lambda m: m.pop(b"zz", None), set()),
        (lambda m: m.popitem(), {b"b"}),
        (lambda m: m.setdefault(b"n", 3), {b"n"}),
        (lambda m: m.setdefault(b"a", 3), set()),
        (lambda m: m.update({b"n": 1}, x=2), {b"n", "x"}),
        (lambda m: m.update([(b"n", 1)]), {b"n"}),
        (lambda m: m.__ior__({b"n": 1}), {b"n"}),
        (lambda m: m.clear(), {b"a", b"b"}),
    ],
)
def test_share_map__every_mutator__notes_the_holders_it_wrote(
    write: Callable[[ShareMap], object], noted: set[object]
) -> None:
    table = ShareMap({b"a": 1, b"b": 2})
    token = object()
    assert table.take_touched(token) is None  # the first tree to follow rebuilds
    write(table)
    assert table.take_touched(token) == noted
    assert table.take_touched(token) == set()


@pytest.mark.parametrize("followed", [False, True])
def test_share_map__update_ior_clear__write_the_table_as_a_dict_does(followed: bool) -> None:
    """Noting the holders is all a ShareMap adds: update, |= and clear leave the same contents as on a dict."""
    table, plain = ShareMap({b"a": 1, b"b": 2}), {b"a": 1, b"b": 2}
    if followed:
        table.take_touched(object())
    for write in (
        lambda m: m.update({b"n": 5}, x=2),
        lambda m: m.update([(b"a", 7)]),
        lambda m: m.__ior__({b"b": 0}),
    ):
        write(table)
        write(plain)
        assert table == plain
    table.clear()
    assert table == {} and len(table) == 0


def test_share_ledger__a_share_map_or_subclass_assigned__kept_as_given() -> None:
    """Only a plain dict is wrapped; a ShareMap (or a test's instrumented subclass) is the table itself."""

    class Counting(ShareMap):
        pass

    ledger = ShareLedger()
    for table in (ShareMap({b"a" * 20: 5}), Counting({b"b" * 20: 1})):
        ledger.shares = table
        assert ledger.shares is table
    ledger.total_shares = 6
    assert ledger.total_shares == 6


def test_share_map__followed_by_no_tree__notes_nothing_and_copies_follow_no_tree() -> None:
    table = ShareMap({b"a": 1})
    table[b"b"] = 2
    assert table.pending() == set()  # nobody follows: nothing to remember (a tree that starts rebuilds)
    token = object()
    table.take_touched(token)
    table[b"c"] = 3
    for other in (copy.copy(table), copy.deepcopy(table), pickle.loads(pickle.dumps(table))):
        assert type(other) is ShareMap and other == table
        assert not other.followed_by(token) and other.pending() == set()
    assert type(table.copy()) is dict


def test_share_ledger__plain_dict_given_decoded_or_assigned__becomes_a_share_map() -> None:
    ledger = ShareLedger(shares={b"a" * 20: 5})
    assert type(ledger.shares) is ShareMap
    ledger.shares = {b"b" * 20: 1}
    assert type(ledger.shares) is ShareMap
    store = ModuleStore({"liquid": registry.get("liquid").genesis(DEVNET, ADMIN)})  # type: ignore[union-attr]
    store.get("liquid").ledger = ledger
    again = decode_store(encode_store(store)).get("liquid").ledger
    assert type(again.shares) is ShareMap and again == ledger


def test_share_tree__holder_or_shares_out_of_range__refused_with_the_reason() -> None:
    for table, reason in (
        (ShareMap({b"a" * 20: -1}), "not an unsigned 64-bit integer"),
        (ShareMap({b"a" * 20: 2**64}), "not an unsigned 64-bit integer"),
        (ShareMap({b"a" * 256: 1}), "at most 255 bytes"),
    ):
        with pytest.raises(ValueError, match=reason):
            ShareTree().update(table)
    table = ShareMap({b"a" * 20: 1})
    tree = ShareTree()
    tree.update(table)
    table[b"b" * 20] = -5
    with pytest.raises(ValueError, match="not an unsigned 64-bit integer"):
        tree.update(table)


# -- the state root -----------------------------------------------------------------------------------------------
PEOPLE = [bytes([i, 7 * i % 3]) + bytes(17) + bytes([i]) for i in range(1, 7)]


def _state() -> BeaconState:
    state = devnet_genesis(DEVNET, 16, funded_accounts=0)
    state.modules = ModuleStore({m.name: m.genesis(DEVNET, ADMIN) for m in registry.modules()})
    pools = state.modules.get("pool")
    pools.pools[1] = Pool(id=1, operator=ADMIN, commission_bps=500)
    pools.next_pool_id = 2
    return state


def _ledgers(state: BeaconState) -> list[ShareLedger]:
    store = state.modules
    return [
        store.get("liquid").ledger,
        *(pool.ledger for pool in store.get("pool").pools.values()),
        store.get("safety").swk.ledger,
        store.get("amm").lp,
    ]


STATE_OPS = st.tuples(
    st.sampled_from(
        [
            "mint",
            "withdraw",
            "burn",
            "transfer",
            "transfer_all",
            "fee",
            "direct",
            "direct_del",
            "replace_plain",
            "replace_subclass",
            "new_pool",
            "copy",
            "copy_keep_writing_source",
            "reload_store",
            "snapshot",
            "scratch",
            "other_tree",
        ]
    ),
    st.integers(0, 3),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(1, 10**12),
)


class _Instrumented(dict[bytes, int]):
    """A dict subclass that is not a ShareMap (a test's instrumented table): kept as given, hashed whole."""


def _apply(state: BeaconState, op: tuple[str, int, int, int, int], tmp: Path) -> BeaconState:
    kind, which, a, b, amount = op
    ledgers = _ledgers(state)
    ledger = ledgers[which % len(ledgers)]
    sender, other = PEOPLE[a], PEOPLE[b]
    with contextlib.suppress(ModuleError):
        if kind == "mint":
            ledger.mint_for_deposit(sender, amount + ledger.dead_shares)
        elif kind == "withdraw":
            ledger.burn_for_withdrawal(sender, min(amount, ledger.shares_of(sender)) or 1)
        elif kind == "burn":
            ledger.burn(sender, min(amount, ledger.shares_of(sender)))
        elif kind == "transfer":
            ledger.transfer(sender, other, min(amount, ledger.shares_of(sender)))
        elif kind == "transfer_all":  # the sender disappears, the recipient may appear
            ledger.transfer(sender, other, ledger.shares_of(sender))
        elif kind == "fee":
            ledger.mint_fee_shares(other, amount % (ledger.total_assets + 1))
    if kind == "direct":  # a write through a reference no ledger method made
        ledger.shares[other] = ledger.shares.get(other, 0) + amount
    elif kind == "direct_del":
        ledger.shares.pop(sender, None)
    elif kind == "replace_plain":
        ledger.shares = dict(reversed(list(ledger.shares.items())))
    elif kind == "replace_subclass":
        ledger.shares = _Instrumented(ledger.shares)
    elif kind == "new_pool":
        pools = state.modules.get("pool")
        shares = {p: amount + i for i, p in enumerate(PEOPLE[: a + 1])}
        pool_id = pools.next_pool_id
        pools.pools[pool_id] = Pool(
            id=pool_id, operator=ADMIN, commission_bps=0, ledger=ShareLedger(shares={BURN_ADDRESS: 10**6, **shares})
        )
        pools.next_pool_id += 1
    elif kind == "copy":  # carry on with the copy; the source must keep its own root
        source, before = state, hash_state(state)
        state = state.copy()
        _mutate_some(state)
        assert check_root(source) == before
    elif kind == "copy_keep_writing_source":  # the source written after the copy: the copy must not see it
        copied = state.copy()
        before = independent_root(copied)
        _mutate_some(state)
        assert check_root(copied) == before
    elif kind == "reload_store":
        state.modules = decode_store(encode_store(state.modules))
    elif kind == "snapshot":  # binary or JSON: the tables come back as ShareMaps, every tree rebuilt
        path = tmp / f"state-{a}{'.swk' if b % 2 else '.json'}"
        save_state(state, path)
        state = load_state(path)
    elif kind == "scratch":  # a tree that follows nothing: the state's own tree stays incremental
        hash_state_from_scratch(state)
    elif kind == "other_tree":  # another tree takes the tables (and registry, ledger) over: the cached one must notice
        StateCommitment().update(state)
    return state


def _mutate_some(state: BeaconState) -> None:
    ledger = state.modules.get("liquid").ledger
    ledger.shares[PEOPLE[0]] = ledger.shares.get(PEOPLE[0], 0) + 3
    ledger.shares.pop(PEOPLE[1], None)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(STATE_OPS, min_size=1, max_size=14))
def test_root__random_share_movements_copies_and_snapshots__incremental_equals_from_scratch(
    tmp_path: Path, ops: list[tuple[str, int, int, int, int]]
) -> None:
    state = _state()
    check_root(state)
    for op in ops:
        state = _apply(state, op, tmp_path)
        check_root(state)


def test_root__copy_written__source_root_unchanged_and_copy_follows_its_own_tables() -> None:
    state = _state()
    ledger = state.modules.get("liquid").ledger
    ledger.mint_for_deposit(PEOPLE[0], 5 * 10**9)
    root = hash_state(state)
    ledger.transfer(PEOPLE[0], PEOPLE[1], 10)  # pending in the source's log when the copy is made
    copied = state.copy()
    copied_table = copied.modules.get("liquid").ledger.shares
    assert copied_table is not ledger.shares and copied_table == ledger.shares
    assert commitment_of(copied).modules.tables[id(copied_table)][1].followed is copied_table
    copied.modules.get("liquid").ledger.transfer(PEOPLE[1], PEOPLE[2], 5)
    check_root(copied)
    assert check_root(state) != root
    assert hash_state(state) != hash_state(copied)
    ledger.transfer(PEOPLE[1], PEOPLE[2], 5)  # the same move in the source: the same content, the same root
    assert hash_state(state) == hash_state(copied)


def test_root__ledger_grown_to_many_holders_then_one_moved__equals_from_scratch(tmp_path: Path) -> None:
    state = _state()
    ledger = state.modules.get("liquid").ledger
    ledger.mint_for_deposit(PEOPLE[0], 10**15)
    for i in range(5000):  # holders sharing their first 12 bytes (int addresses): the rebuild's tie path
        ledger.transfer(PEOPLE[0], i.to_bytes(20, "big"), 1 + i)
    path = tmp_path / "s.swk"
    save_state(state, path)
    loaded = load_state(path)  # rebuilt from the snapshot
    assert hash_state(loaded) == hash_state(state)
    for s in (state, loaded):
        s.modules.get("liquid").ledger.transfer((7).to_bytes(20, "big"), b"\xee" * 20, 8)
        check_root(s)
    assert hash_state(loaded) == hash_state(state)


def _mutables(value: object, out: dict[int, object]) -> dict[int, object]:
    """Every mutable object reachable from `value` (structs, dicts, lists), by id."""
    if isinstance(value, msgspec.Struct):
        out[id(value)] = value
        for name in value.__struct_fields__:
            _mutables(getattr(value, name), out)
    elif isinstance(value, dict):
        out[id(value)] = value
        for item in value.values():
            _mutables(item, out)
    elif isinstance(value, list):
        out[id(value)] = value
        for item in value:
            _mutables(item, out)
    return out


def test_store_copy__every_module_with_holders__equal_deep_and_the_same_as_a_snapshot_round_trip() -> None:
    state = _state()
    for ledger in _ledgers(state):
        ledger.mint_for_deposit(PEOPLE[0], 5 * 10**9)
        ledger.transfer(PEOPLE[0], PEOPLE[1], 10)
    state.modules.get("pool").key_owner[b"\x01" * 48] = 1
    state.modules.withdrawn[b"\x02" * 48] = 3
    store = state.modules
    copied = store.copy()
    assert copied == store == decode_store(encode_store(store))
    assert encode_store(copied) == encode_store(store)
    for name in store.enabled():
        theirs, ours = _mutables(store.get(name), {}), _mutables(copied.get(name), {})
        assert not set(theirs) & set(ours), f"{name}: the copy shares a mutable object with the store"
    assert copied.withdrawn == store.withdrawn and copied.withdrawn is not store.withdrawn
    assert all(type(t) is ShareMap for t in (ledger.shares for ledger in _ledgers(state)))
    tables = [t for name in copied.enabled() for t in share_tables(copied.get(name))]
    assert tables and all(type(t) in (ShareMap, RecordMap) for t in tables)  # record tables: RecordMap
