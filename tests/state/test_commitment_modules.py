"""The module store's part of the state commitment: one part per enabled module (and the withdrawals not taken),
each committed as its summary (each share ledger's holder table replaced by its own tree's root) and re-encoded
canonically only when the summary's plain encoding changed. The incremental root always equals the root from
scratch after module handlers (which reach into other modules through host services), epoch hooks (every module),
direct writes and copies; the root never depends on insertion order; an unchanged module is not re-encoded.
The holder tables' trees: tests/state/test_commitment_share_maps.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stakework.modules import registry
from stakework.modules.errors import ModuleError
from stakework.modules.governance.messages import CastVote, Delegate
from stakework.modules.governance.state import Checkpoint, Proposal, Receipt, Status
from stakework.modules.lending.messages import Borrow, Repay, SetCollateral, SetEmode, Supply, Withdraw
from stakework.modules.lending.state import UserConfig
from stakework.modules.liquid.messages import Stake, TransferShares, Wrap
from stakework.modules.safety.messages import ClaimRewards, Cooldown, Transfer
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.shares import ShareLedger
from stakework.modules.store import ModuleStore, decode_store, encode_store, store_parts
from stakework.node.storage.db import ChainStore
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import DEVNET
from stakework.state import commitment
from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import modules_root
from stakework.state.proofs import sha256
from stakework.state.root import hash_state, prove_holder
from stakework.state.snapshot import load_state, save_state
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import process_module_epoch, process_module_message
from support.roots import check_root, plain_share_table_root

ADMIN = bytes(19) + b"\x01"
HOLDERS = [bytes([i]) * 20 for i in range(1, 7)]


def _state() -> BeaconState:
    state = devnet_genesis(DEVNET, 16, funded_accounts=0)
    state.modules = ModuleStore({m.name: m.genesis(DEVNET, ADMIN) for m in registry.modules()})
    for holder in HOLDERS:
        state.accounts.credit(holder, 10**12)
    return state


def _check(state: BeaconState) -> None:
    check_root(state)


def _apply(state: BeaconState, op: tuple[str, int, int]) -> BeaconState:
    kind, a, b = op
    sender, other = HOLDERS[a % len(HOLDERS)], HOLDERS[b % len(HOLDERS)]
    messages = {
        "stake": Stake(amount=10**9 + a * 10**6),
        "transfer_shares": TransferShares(to=other, shares=1 + b * 1000),
        "wrap": Wrap(amount=1 + b * 1000),
        "lend.supply": Supply(amount=10**9 + a * 10**6),
        "lend.borrow": Borrow(amount=10**6 + b * 10**5),
        "lend.repay": Repay(amount=10**5 + b),
        "lend.withdraw": Withdraw(amount=10**6 + b),
        "safety.stake": SafetyStake(amount=10**9 + a * 10**6),
        "safety.cooldown": Cooldown(),
        "safety.transfer": Transfer(to=other, shares=1 + b * 1000),
        "safety.claim": ClaimRewards(),
        "gov.delegate": Delegate(to=other),
        "lend.set_emode": SetEmode(enabled=bool(b % 2)),
        "lend.set_collateral": SetCollateral(market="swk" if a % 2 else "stswk", enabled=bool(b % 2)),
    }
    if kind in messages:
        with contextlib.suppress(ModuleError, StakeworkError):  # refused: nothing changed, the roots must agree
            process_module_message(state, sender, messages[kind])
    elif kind == "epoch":
        state.slot += DEVNET.SLOTS_PER_EPOCH
        process_module_epoch(state)
    elif kind == "direct":  # a write through a reference no handler made
        pool = state.modules.get("pool")
        pool.key_owner[bytes([a]) * 48] = b
    elif kind == "withdrawn":
        state.modules.withdrawn[bytes([a]) * 48] = b + 1
    elif kind == "direct_maps":  # writes to the per-user maps no handler made (set, delete, pop, update)
        lending, governance, safety = (state.modules.get(n) for n in ("lending", "governance", "safety"))
        lending.stswk.supply[sender] = a + b
        lending.swk.debt.pop(other, None)
        governance.balances[other] = governance.balances.get(other, 0) + 1
        governance.latest_proposal.update({sender: b})
        vault = safety.stswk if a % 2 else safety.swk
        vault.user_index[other] = a
        vault.accrued.setdefault(sender, b + 1)
        if sender in vault.cooldowns:
            del vault.cooldowns[sender]
        else:
            vault.cooldowns[sender] = a
    elif kind == "direct_records":  # writes to the record tables no handler made (set, replace, delete)
        lending, governance = state.modules.get("lending"), state.modules.get("governance")
        lending.users[sender] = UserConfig(emode=bool(a % 2), collateral_off=("swk",) * (b % 2))
        lending.users.pop(other, None)
        governance.delegates.update({other: sender} if a != b else {})
        cps = governance.checkpoints.get(sender, ())
        governance.checkpoints[sender] = (*cps, Checkpoint(len(cps) + 100, a + b))
        if a == b:
            governance.checkpoints.pop(sender)
        proposal = governance.proposals.setdefault(1, _proposal(1))
        proposal.receipts[sender] = Receipt(a % 3, b + 1)
        if b == 0:
            proposal.receipts.clear()
    elif kind == "replace":  # a module's state replaced by an equal copy built in another insertion order
        liquid = state.modules.get("liquid")
        liquid.ledger.shares = dict(reversed(list(liquid.ledger.shares.items())))
        market = state.modules.get("lending").swk
        market.supply = dict(reversed(list(market.supply.items())))
        vault = state.modules.get("safety").swk
        vault.accrued = dict(reversed(list(vault.accrued.items())))
    elif kind == "copy":
        return state.copy()
    elif kind == "reload":
        state.modules = decode_store(encode_store(state.modules))
    return state


def _proposal(pid: int, start: int = 0, end: int = 10**6) -> Proposal:
    """A proposal written into governance's state directly (active from `start` to `end`)."""
    return Proposal(
        id=pid,
        proposer=HOLDERS[0],
        actions=[],
        description="",
        created=0,
        start=start,
        end=end,
        quorum_bps=400,
        queue_deadline=end + 10,
        status=Status.ACTIVE,
    )


OPS = st.tuples(
    st.sampled_from(
        [
            "stake",
            "transfer_shares",
            "wrap",
            "lend.supply",
            "lend.borrow",
            "lend.repay",
            "lend.withdraw",
            "safety.stake",
            "safety.cooldown",
            "safety.transfer",
            "safety.claim",
            "epoch",
            "direct",
            "direct_maps",
            "gov.delegate",
            "lend.set_emode",
            "lend.set_collateral",
            "direct_records",
            "withdrawn",
            "replace",
            "copy",
            "reload",
        ]
    ),
    st.integers(0, 5),
    st.integers(0, 5),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=12))
def test_root__random_module_operations__incremental_equals_from_scratch(ops: list[tuple[str, int, int]]) -> None:
    state = _state()
    _check(state)
    for op in ops:
        state = _apply(state, op)
        _check(state)


def test_root__one_module_changed_in_place__root_changes_and_equals_from_scratch() -> None:
    state = _state()
    before = hash_state(state)
    process_module_message(state, HOLDERS[0], Stake(amount=5 * 10**9))
    after = hash_state(state)
    assert after != before and after == check_root(state)
    state.modules.get("liquid").ledger.shares[HOLDERS[0]] += 1  # a direct write to a holder's entry
    assert check_root(state) not in (before, after)


def test_root__equal_stores_built_in_other_insertion_orders__same_root() -> None:
    a, b = _state(), _state()
    shares = {bytes([i]) * 20: 10 + i for i in range(40)}
    a.modules.get("liquid").ledger = ShareLedger(shares=dict(shares), total_shares=sum(shares.values()))
    b.modules.get("liquid").ledger = ShareLedger(
        shares=dict(reversed(list(shares.items()))), total_shares=sum(shares.values())
    )
    a.modules.withdrawn.update({b"\x01" * 48: 1, b"\x02" * 48: 2})
    b.modules.withdrawn.update({b"\x02" * 48: 2, b"\x01" * 48: 1})
    hash_state(b)  # b's cache first sees another content, then the same content in another order
    b.modules.get("liquid").ledger.shares[b"\x09" * 20] += 1
    hash_state(b)
    b.modules.get("liquid").ledger.shares[b"\x09" * 20] -= 1
    assert hash_state(a) == hash_state(b) == check_root(a) == check_root(b)


HOLDER_TABLES = {
    "ShareLedger": {"shares"},
    "lending Market": {"supply", "debt"},
    "GovernanceState": {"balances", "latest_proposal"},
    "safety Vault": {"user_index", "accrued", "cooldowns"},
    "LiquidState": {"wrapped"},
}
"""The maps committed as holder tables (state/proofs.py, docs/consensus.md), by the struct holding them."""
RECORD_TABLES = {"GovernanceState": {"delegates", "checkpoints"}, "Proposal": {"receipts"}, "LendingState": {"users"}}
"""The maps committed as record tables (values: the record's canonical msgpack, length-prefixed)."""


def _plain_record_table_root(table: dict[bytes, Any]) -> bytes:
    """A record table's root as state/proofs.py describes it, computed plainly from the table's builtins: entries
    len(holder) (1 byte) || holder || len(value) (4 LE) || value, the value its builtins with every mapping sorted
    by key, msgpack-encoded; buckets and tree as an integer table's."""
    buckets: dict[int, list[bytes]] = {}
    for holder in table:
        buckets.setdefault(int.from_bytes(holder[:2].ljust(2, b"\x00"), "big"), []).append(holder)
    layer = [bytes(32)] * 2**16
    for bucket, holders in buckets.items():
        entries = []
        for h in sorted(holders):
            body = msgspec.msgpack.encode(_plain_summary(table[h]))
            entries.append(bytes([len(h)]) + h + len(body).to_bytes(4, "little") + body)
        layer[bucket] = sha256(b"".join(entries))
    while len(layer) > 1:
        layer = [sha256(b"".join(layer[i : i + 16])) for i in range(0, len(layer), 16)]
    return sha256(layer[0] + len(table).to_bytes(8, "little"))


def _plain_summary(obj: Any) -> Any:
    """The part's builtins with each holder table (a share ledger's ``shares``, lending's ``supply`` and ``debt``,
    governance's ``balances`` and ``latest_proposal``, a safety vault's ``user_index``, ``accrued`` and
    ``cooldowns``, liquid's ``wrapped``) replaced by its root, every mapping sorted by key."""
    if isinstance(obj, dict):
        tables, records = set().union(*HOLDER_TABLES.values()), set().union(*RECORD_TABLES.values())
        obj = {
            k: plain_share_table_root(v)
            if k in tables and isinstance(v, dict)
            else _plain_record_table_root(v)
            if k in records and isinstance(v, dict)
            else v
            for k, v in obj.items()
        }
        return [(k, _plain_summary(obj[k])) for k in sorted(obj)]
    if isinstance(obj, list):
        return [_plain_summary(x) for x in obj]
    return obj


def test_module_root__the_documented_shape_computed_plainly__pinned() -> None:
    """The module store's field root: a part per enabled module in registry order, then `withdrawn`; a part's
    leaf sha256(b"swk:module" || len(name) || name || sha256(canonical summary)), the summary being the part's
    builtins with each share ledger's holder table replaced by its bucket tree's root (state/proofs.py); a binary
    Merkle root over the leaves mixed with their count. Pinned: a change to the shape changes every chain's roots."""
    state = _state()
    for holder in HOLDERS[:3]:
        process_module_message(state, holder, Stake(amount=3 * 10**9))
    store = state.modules
    store.get("liquid").ledger.shares[b"\x00\x01"] = 5  # a holder of another width: the tree's other path
    store.withdrawn[b"\x05" * 48] = 7
    for holder in HOLDERS[3:]:  # every other holder table holds someone
        process_module_message(state, holder, Supply(amount=2 * 10**9))
        process_module_message(state, holder, Borrow(amount=10**8))
        process_module_message(state, holder, SafetyStake(amount=2 * 10**9))
        process_module_message(state, holder, Cooldown())
    state.slot += DEVNET.SLOTS_PER_EPOCH
    process_module_epoch(state)
    governance, liquid = store.get("governance"), store.get("liquid")
    process_module_message(state, HOLDERS[3], Delegate(to=HOLDERS[4]))
    process_module_message(state, HOLDERS[4], SetEmode(enabled=True))
    process_module_message(state, HOLDERS[5], SetCollateral(market="stswk", enabled=False))
    governance.proposals[1] = _proposal(1)
    governance.proposals[1].receipts.update({HOLDERS[1]: Receipt(1, 7), HOLDERS[2]: Receipt(0, 3)})
    governance.latest_proposal[HOLDERS[0]] = 3
    liquid.wrapped[HOLDERS[0]] = 9
    store.get("safety").stswk.accrued[HOLDERS[1]] = 11
    for module, fields in (
        (store.get("lending").swk, HOLDER_TABLES["lending Market"]),
        (governance, HOLDER_TABLES["GovernanceState"]),
        (store.get("safety").swk, {"user_index", "cooldowns"}),
        (liquid, HOLDER_TABLES["LiquidState"]),
        (governance, RECORD_TABLES["GovernanceState"]),
        (store.get("lending"), RECORD_TABLES["LendingState"]),
    ):
        assert all(getattr(module, name) for name in fields), fields  # the pinned root covers filled tables
    leaves = []
    for name, value in store_parts(store):
        canonical = msgspec.msgpack.encode(_plain_summary(msgspec.to_builtins(value, builtin_types=(bytes,))))
        leaves.append(sha256(b"swk:module" + bytes([len(name)]) + name.encode() + sha256(canonical)))
    width = 1
    while width < len(leaves):
        width *= 2
    layer = leaves + [bytes(32)] * (width - len(leaves))
    while len(layer) > 1:
        layer = [sha256(layer[i] + layer[i + 1]) for i in range(0, len(layer), 2)]
    expected = sha256(layer[0] + len(leaves).to_bytes(8, "little"))
    assert commitment.ModuleTree().update(store) == expected
    assert [name for name, _ in store_parts(store)] == [*(m.name for m in registry.modules()), "withdrawn"]
    assert modules_root([]) == sha256(bytes(32) + bytes(8))
    assert expected.hex() == "d99a1f0bb01f2ccb4d0de9afdca21be42ab65edb871ab157546e5b1564f52246"


def test_root__an_unchanged_module__not_encoded_canonically_again(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _state()
    hash_state(state)
    encoded: list[object] = []
    real = commitment.canonical_summary_bytes

    def counting(summary: object) -> bytes:
        encoded.append(summary)
        return real(summary)

    monkeypatch.setattr(commitment, "canonical_summary_bytes", counting)
    hash_state(state)
    assert encoded == []
    state.modules.get("liquid").ledger.shares[HOLDERS[1]] = 5
    hash_state(state)
    assert len(encoded) == 1 and isinstance(encoded[0], dict) and "ledger" in encoded[0]  # the liquid part only
    copy = state.copy()
    hash_state(copy)
    assert len(encoded) == 1  # the copy's cache came with it


USERS = [bytes([i, 7 * i % 256]) + bytes(18) for i in range(1, 41)]
"""Users of distinct first two bytes: each is alone in its bucket of every holder table."""


@contextlib.contextmanager
def _watched(monkeypatch: pytest.MonkeyPatch, leaf: str) -> Iterator[tuple[list[list[bytes]], list[Any]]]:
    """While inside: the holders of every bucket hashed through `commitment.<leaf>` (`_bucket_leaf`: integer
    tables, `_record_leaf`: record tables), and every summary encoded canonically; a holder table rebuilt whole
    fails the test."""
    hashed: list[list[bytes]] = []
    encoded: list[Any] = []
    real_leaf = getattr(commitment, leaf)
    real_encode = commitment.canonical_summary_bytes

    def counting(table: dict[bytes, Any], holders: list[bytes]) -> bytes:
        hashed.append(list(holders))
        return bytes(real_leaf(table, holders))

    def refuse(self: commitment.ShareTree, table: dict[bytes, Any]) -> set[int]:
        raise AssertionError(f"a holder table of {len(table)} holders was rebuilt whole")

    def encoding(summary: Any) -> bytes:
        encoded.append(summary)
        return real_encode(summary)

    with monkeypatch.context() as m:
        m.setattr(commitment, leaf, counting)
        m.setattr(commitment.ShareTree, "_rebuild", refuse)
        m.setattr(commitment, "canonical_summary_bytes", encoding)
        yield hashed, encoded


def _crowded_state() -> BeaconState:
    """Every user supplied and borrowed in lending's SWK market and staked in safety's SWK vault (so is in
    governance's balances); hashed once: every holder table has its tree."""
    state = _state()
    for user in USERS:
        state.accounts.credit(user, 10**12)
        process_module_message(state, user, Supply(amount=5 * 10**9))
        process_module_message(state, user, Borrow(amount=10**9))
        process_module_message(state, user, SafetyStake(amount=2 * 10**9))
    hash_state(state)
    return state


@pytest.mark.parametrize(
    ("message", "tables"),
    [
        (Supply(amount=3 * 10**9), 1),  # lending.swk.supply
        (Borrow(amount=10**8), 1),  # lending.swk.debt
        (Cooldown(), 1),  # safety.swk.cooldowns
        (SafetyStake(amount=10**9), 3),  # safety.swk.ledger.shares, safety.swk.user_index, governance.balances
    ],
    ids=["lend.supply", "lend.borrow", "safety.cooldown", "safety.stake"],
)
@pytest.mark.parametrize("on", ["the state", "a copy"])
def test_root__one_lending_or_safety_or_governance_user_changed__only_that_users_buckets_rehashed(
    monkeypatch: pytest.MonkeyPatch, message: object, tables: int, on: str
) -> None:
    """On a copy too: its trees follow the copy's tables (paired with the source's in the summary's order)."""
    state = _crowded_state()
    if on == "a copy":
        state = state.copy()
    with _watched(monkeypatch, "_bucket_leaf") as (hashed, encoded):
        process_module_message(state, USERS[7], message)
        root = hash_state(state)
    assert hashed == [[USERS[7]]] * tables  # one bucket (the user's, alone in it) per table the message wrote
    tables_seen = set().union(*HOLDER_TABLES.values(), *RECORD_TABLES.values())
    assert encoded and not [path for summary in encoded for path in _maps_named(summary, tables_seen, "")]
    assert root == check_root(state)


def _maps_named(summary: Any, names: set[str], path: str) -> list[str]:
    """Paths in a part summary where a field named in `names` is still a mapping (not a table's root)."""
    if isinstance(summary, dict):
        found = [f"{path}.{k}" for k, v in summary.items() if k in names and isinstance(v, dict)]
        return found + [p for k, v in summary.items() for p in _maps_named(v, names, f"{path}.{k}")]
    if isinstance(summary, list):
        return [p for i, v in enumerate(summary) for p in _maps_named(v, names, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize(
    ("message", "records"),
    [
        (Delegate(to=USERS[8]), [[USERS[7]], [USERS[7]], [USERS[8]]]),  # delegates; both delegatees' checkpoints
        (SetEmode(enabled=True), [[USERS[7]]]),  # lending.users
        (SetCollateral(market="stswk", enabled=False), [[USERS[7]]]),  # lending.users
        (CastVote(proposal_id=1, support=1), [[USERS[7]]]),  # the proposal's receipts
        (SafetyStake(amount=10**9), [[USERS[7]]]),  # governance.checkpoints (its balance changed)
    ],
    ids=["gov.delegate", "lend.set_emode", "lend.set_collateral", "gov.vote", "safety.stake"],
)
@pytest.mark.parametrize("on", ["the state", "a copy"])
def test_root__one_governance_or_lending_record_changed__only_that_users_record_buckets_rehashed(
    monkeypatch: pytest.MonkeyPatch, message: object, records: list[list[bytes]], on: str
) -> None:
    """Governance's delegates, checkpoints and receipts and lending's user settings are record tables: a message
    that changes one user's record re-hashes that user's bucket (the tables of 40 users are not rebuilt, and no
    record table is left in a module's summary, re-encoded whole)."""
    state = _crowded_state()
    governance = state.modules.get("governance")
    governance.proposals[1] = _proposal(1, start=0)
    governance.proposals[1].receipts.update({user: Receipt(0, 1) for user in USERS[10:]})
    for user in USERS[10:]:
        state.modules.get("lending").users[user] = UserConfig(emode=True)
    state.slot += DEVNET.SLOTS_PER_EPOCH  # the proposal is active
    hash_state(state)
    if on == "a copy":
        state = state.copy()
    with _watched(monkeypatch, "_record_leaf") as (hashed, encoded):
        process_module_message(state, USERS[7], message)
        root = hash_state(state)
    assert sorted(hashed) == sorted(records)
    names = set().union(*RECORD_TABLES.values())
    assert encoded and not [path for summary in encoded for path in _maps_named(summary, names, "")]
    assert root == check_root(state)


def test_prove_holder__a_record_table__refused_naming_the_tables_proofs_cover() -> None:
    """Holder proofs read integer entries (proofs.verify_holder): a record table is not offered (table_paths) and
    asking for one is refused with the tables that can be proved."""
    state = _state()
    process_module_message(state, HOLDERS[0], SafetyStake(amount=10**9))  # a checkpoint for HOLDERS[0]
    hash_state(state)
    governance = state.modules.get("governance")
    assert [steps for steps, _ in commitment.table_paths(governance)] == [
        [("key", "balances")],
        [("key", "latest_proposal")],
    ]
    with pytest.raises(KeyError, match=r"is a record table .*holder proofs cover the integer tables only"):
        prove_holder(state, "governance", [("key", "checkpoints")], HOLDERS[0])
    assert prove_holder(state, "governance", [("key", "balances")], HOLDERS[0]).module is not None


def test_root__one_governance_proposer_noted__only_its_bucket_rehashed(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _crowded_state()
    governance = state.modules.get("governance")
    for i, user in enumerate(USERS):
        governance.latest_proposal[user] = i + 1
    hash_state(state)
    hashed: list[list[bytes]] = []
    real = commitment._bucket_leaf

    def counting(table: dict[bytes, int], holders: list[bytes]) -> bytes:
        hashed.append(list(holders))
        return real(table, holders)

    monkeypatch.setattr(commitment, "_bucket_leaf", counting)
    governance.latest_proposal[USERS[3]] = 99
    governance.balances[USERS[4]] += 1
    assert hash_state(state) == check_root(state)
    assert sorted(hashed) == sorted([[USERS[3]], [USERS[4]]])


@pytest.mark.parametrize("how", ["binary snapshot", "json snapshot", "chain database"])
def test_root__filled_holder_tables_stored_and_reopened__same_root_and_same_roots_after_the_same_messages(
    tmp_path: Path, how: str
) -> None:
    """A stored state's root is recomputed when it is read (load_binary and load_json compare it with the stored
    one, the chain database with the root it recorded): a node restarting from its own stored state finds the root
    it stored, and goes on to the same roots."""
    state = _crowded_state()
    state.modules.get("governance").latest_proposal[USERS[0]] = 1
    state.modules.get("liquid").wrapped[USERS[1]] = 5
    if how == "chain database":
        ChainStore(tmp_path / "data", genesis=state).close()
        reopened = ChainStore(tmp_path / "data").load_latest().anchor_state
    else:
        path = tmp_path / ("s.swk" if how == "binary snapshot" else "s.json")
        save_state(state, path)
        reopened = load_state(path)
    assert hash_state(reopened) == hash_state(state)
    for s in (state, reopened):
        process_module_message(s, USERS[2], Supply(amount=10**9))
        process_module_message(s, USERS[3], Cooldown())
        s.slot += DEVNET.SLOTS_PER_EPOCH
        process_module_epoch(s)
    assert check_root(reopened) == check_root(state)


def test_reopen__data_directory_written_under_another_state_commitment__refused_naming_the_commitment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data directory (or snapshot) written by a stakework that committed the state otherwise (as before the
    modules' per-user maps were holder tables) records roots this build does not compute: refused with that
    reason and what to do, not called corrupted."""
    from stakework.node.storage import db
    from stakework.node.storage.errors import StorageError
    from stakework.state import snapshot
    from stakework.state.snapshot import SnapshotError

    state = _crowded_state()
    with monkeypatch.context() as m:  # the other commitment: another root for the same state
        other = lambda s: sha256(b"another commitment" + hash_state(s))  # noqa: E731
        m.setattr(snapshot, "hash_state", other)
        m.setattr(db, "hash_state", other)
        ChainStore(tmp_path / "data", genesis=state).close()
        save_state(state, tmp_path / "s.swk")
    with pytest.raises(StorageError, match=r"state commitment differs.*start with a new --data-dir"):
        ChainStore(tmp_path / "data").load_latest()
    with pytest.raises(SnapshotError, match="its checksum holds, so it was written by a stakework whose state commit"):
        load_state(tmp_path / "s.swk")
