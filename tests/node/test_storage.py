"""The chain database in one process: what it stores and returns, atomic imports, checkpoints that only move
forward, snapshots, forks, and the clear errors for missing, corrupt, foreign or locked databases."""

from __future__ import annotations

import random
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from storage_crash_writer import genesis, transfer_for

from stakework.node.storage import KEEP_SNAPSHOTS, ChainStore, StorageError
from stakework.node.storage.db import DB_FILENAME, anchor_root
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.state.root import hash_state
from stakework.transition.block.block import Attestation, SignedBeaconBlock
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import state_transition
from support.chain import attestations_for_slot, build_block

SLOTS = 4 * MINIMAL.SLOTS_PER_EPOCH + 1


@dataclass
class Chain:
    genesis: BeaconState
    blocks: list[SignedBeaconBlock]
    states: list[BeaconState]
    """states[i] is the post-state of blocks[i]."""

    def root(self, i: int) -> bytes:
        return self.blocks[i].message.hash_tree_root()


@pytest.fixture(scope="module")
def chain() -> Chain:
    """A real chain: SLOTS blocks, every validator attesting, one transfer per block."""
    g = genesis()
    state = g
    atts: list[Attestation] = []
    blocks: list[SignedBeaconBlock] = []
    states: list[BeaconState] = []
    for slot in range(1, SLOTS + 1):
        block = build_block(state, slot, attestations=atts, transactions=[transfer_for(state, slot)])
        state = state.copy()
        state_transition(state, block)
        atts = attestations_for_slot(state, block.message.hash_tree_root())
        blocks.append(block)
        states.append(state)
    return Chain(g, blocks, states)


def _import(store: ChainStore, chain: Chain, upto: int, start: int = 0) -> None:
    for i in range(start, upto):
        post = chain.states[i]
        store.import_block(
            chain.blocks[i],
            hash_state(post),
            head=chain.root(i),
            justified=post.current_justified_checkpoint,
            finalized=post.finalized_checkpoint,
            forkchoice_blob=msgspec.msgpack.encode(i),
        )


def _filled(tmp_path: Path, chain: Chain, upto: int = SLOTS) -> Path:
    data = tmp_path / "data"
    with ChainStore(data, genesis=chain.genesis) as store:
        _import(store, chain, upto)
    return data


# -- what goes in comes out ------------------------------------------------------------------------------------
def test_new_database__genesis_is_anchor_head_and_checkpoints(tmp_path: Path, chain: Chain) -> None:
    data = tmp_path / "fresh" / "dir"
    with ChainStore(data, genesis=chain.genesis) as store:
        root = anchor_root(chain.genesis)
        assert store.head().root == root and store.head().slot == 0
        assert store.finalized_checkpoint() == Checkpoint(0, root)
        assert store.justified_checkpoint() == Checkpoint(0, root)
        loaded = store.load_latest()
        assert loaded.anchor_root == root and loaded.blocks == [] and loaded.forkchoice_blob is None
        assert hash_state(loaded.anchor_state) == hash_state(chain.genesis)
        assert store.identity.genesis_validators_root == chain.genesis.genesis_validators_root
        assert store.identity.preset_name == "minimal"
    conn = sqlite3.connect(data / DB_FILENAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_open__removes_snapshot_temp_dirs_a_killed_writer_left(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain, upto=1)
    stale = data / ".snapshot-abc123"
    stale.mkdir()
    (stale / "state.swk").write_bytes(b"partial")
    ChainStore(data).close()
    assert not stale.exists()


def test_import__reopen__blocks_indexes_and_checkpoints_are_there(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain)
    with ChainStore(data) as store:
        assert store.block_count() == SLOTS
        assert store.head().root == chain.root(SLOTS - 1) and store.head().slot == SLOTS
        last = chain.states[-1]
        assert last.finalized_checkpoint.epoch >= 1
        assert store.finalized_checkpoint() == last.finalized_checkpoint
        assert store.justified_checkpoint() == last.current_justified_checkpoint
        assert store.forkchoice_blob() == msgspec.msgpack.encode(SLOTS - 1)
        for i, block in enumerate(chain.blocks):
            assert store.get_block(chain.root(i)) == block
            assert store.post_state_root(chain.root(i)) == hash_state(chain.states[i])
            tx = block.message.body.transactions[0].hash()
            loc = store.transaction_location(tx)
            assert loc is not None and (loc.block_root, loc.slot, loc.index) == (chain.root(i), i + 1, 0)
        assert [b.message.slot for b in store.blocks_by_range(5, 4)] == [5, 6, 7, 8]
        assert store.blocks_by_range(SLOTS + 1, 10) == []
        assert store.blocks_by_range(0, 0) == []
        assert store.get_block(b"\x01" * 32) is None
        assert store.transaction_location(b"\x01" * 32) is None
        assert store.integrity_check() == []


def test_load_latest__replay_reproduces_every_post_state(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain)
    with ChainStore(data) as store:
        loaded = store.load_latest()
        state = loaded.anchor_state
        assert [b.message.slot for b in loaded.blocks] == list(range(1, SLOTS + 1))
        for block in loaded.blocks:
            state_transition(state, block)
            assert hash_state(state) == store.post_state_root(block.message.hash_tree_root())
        assert hash_state(state) == hash_state(chain.states[-1])


def test_import__twice__idempotent_but_a_different_post_state_root_is_refused(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain, upto=3)
    with ChainStore(data) as store:
        _import(store, chain, 3)
        assert store.block_count() == 3
        with pytest.raises(StorageError, match="post-state root"):
            store.import_block(chain.blocks[1], b"\x07" * 32)


def test_import__unknown_parent__refused_and_nothing_stored(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain, upto=2)
    with ChainStore(data) as store, pytest.raises(StorageError, match=r"parent .* is not stored"):
        store.import_block(chain.blocks[5], hash_state(chain.states[5]))
    with ChainStore(data) as store:
        assert store.block_count() == 2


def test_import__failure_after_the_block_row__rolls_back_everything(tmp_path: Path, chain: Chain) -> None:
    """The head is checked after the block and its transactions are written, inside the same transaction: an
    unknown head aborts the import as a whole."""
    data = _filled(tmp_path, chain, upto=2)
    with ChainStore(data) as store:
        before = store.head()
        with pytest.raises(StorageError, match=r"head .* is not a stored block"):
            store.import_block(chain.blocks[2], hash_state(chain.states[2]), head=b"\x09" * 32)
        assert store.get_block(chain.root(2)) is None
        assert store.transaction_location(chain.blocks[2].message.body.transactions[0].hash()) is None
        assert store.head() == before
        _import(store, chain, 3, start=2)  # and the import succeeds afterwards
        assert store.head().slot == 3


def test_checkpoints__never_go_backwards__conflicts_refused(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain)
    with ChainStore(data) as store:
        fin = store.finalized_checkpoint()
        assert fin.epoch >= 1
        store.update_checkpoints(finalized=Checkpoint(0, b"\x00" * 32), justified=Checkpoint(0, b"\x05" * 32))
        assert store.finalized_checkpoint() == fin
        with pytest.raises(StorageError, match="conflicting"):
            store.update_checkpoints(finalized=Checkpoint(fin.epoch, b"\x05" * 32))
        assert store.finalized_checkpoint() == fin
        store.update_checkpoints(head=chain.root(3))  # the head may move back (a reorg)
        assert store.head().slot == 4


def test_save_finalized_state__keeps_the_newest_few__load_latest_starts_from_the_newest(
    tmp_path: Path, chain: Chain
) -> None:
    data = _filled(tmp_path, chain)
    with ChainStore(data) as store:
        for i in range(KEEP_SNAPSHOTS + 2):
            store.save_finalized_state(chain.states[i])
        kept = store.snapshots()
        assert [slot for _, slot, _ in kept] == [KEEP_SNAPSHOTS + 2 - k for k in range(KEEP_SNAPSHOTS)]
        loaded = store.load_latest()
        assert loaded.anchor_root == chain.root(KEEP_SNAPSHOTS + 1)
        assert loaded.blocks == chain.blocks[KEEP_SNAPSHOTS + 2 :]
        with pytest.raises(StorageError, match="not of the finalized checkpoint"):
            store.save_finalized_state(chain.states[9], Checkpoint(1, chain.root(8)))
        store.save_finalized_state(chain.states[9], Checkpoint(9, chain.root(9)))
        assert store.finalized_checkpoint() == Checkpoint(9, chain.root(9))


def test_load_latest__checkpoint_block_in_an_earlier_epoch__anchor_epoch_is_the_checkpoints(
    tmp_path: Path, chain: Chain
) -> None:
    data = _filled(tmp_path, chain)
    spe = MINIMAL.SLOTS_PER_EPOCH
    block = spe - 2  # the block at slot spe - 1, epoch 0: epoch 1's first slot had no block
    assert chain.states[block].current_epoch() == 0
    with ChainStore(data) as store:
        store.save_finalized_state(chain.states[block], Checkpoint(1, chain.root(block)))
        loaded = store.load_latest()
    assert loaded.anchor_root == chain.root(block) and loaded.anchor_epoch == 1


def test_forks__range_follows_the_head__load_latest_keeps_every_branch(tmp_path: Path, chain: Chain) -> None:
    g = chain.genesis
    fork_block = build_block(g, 2, transactions=[transfer_for(g, 1)])  # skips slot 1, same transfer as block 1
    fork_state = g.copy()
    state_transition(fork_state, fork_block)
    fork_root = fork_block.message.hash_tree_root()
    data = _filled(tmp_path, chain, upto=4)
    with ChainStore(data) as store:
        store.import_block(fork_block, hash_state(fork_state))
        assert [b.message.slot for b in store.blocks_by_range(0, 10)] == [1, 2, 3, 4]
        assert len(store.load_latest().blocks) == 5
        tx = fork_block.message.body.transactions[0].hash()
        assert [loc.block_root for loc in store.transaction_locations(tx)] == [chain.root(0), fork_root]
        store.update_checkpoints(head=fork_root)
        assert store.blocks_by_range(0, 10) == [fork_block]
        store.save_finalized_state(chain.states[0])  # finality on block 1: the fork is no longer descended
        assert [b.message.slot for b in store.load_latest().blocks] == [2, 3, 4]


def test_transactions_argument__must_match_the_body(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain, upto=0)
    with ChainStore(data) as store, pytest.raises(StorageError, match="1 transactions, 2 hashes"):
        store.import_block(chain.blocks[0], hash_state(chain.states[0]), transactions=[b"\x01" * 32] * 2)


# -- refusals with a clear message -----------------------------------------------------------------------------
def _refused(data: Path, match: str = "") -> StorageError:
    with pytest.raises(StorageError, match=match) as info:
        ChainStore(data).close()
    assert str(data / DB_FILENAME) in str(info.value)
    assert isinstance(info.value, StakeworkError)
    return info.value


def test_missing_database__without_genesis__refused_and_nothing_created(tmp_path: Path) -> None:
    _refused(tmp_path, "no chain database")
    with pytest.raises(StorageError, match="no chain database"):
        ChainStore.open_readonly(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_not_a_database__refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_text("hello, I am a text file\n" * 100)
    err = _refused(tmp_path, "not an SQLite database")
    assert "--data-dir" in str(err)
    with pytest.raises(StorageError, match="not an SQLite database"):
        ChainStore.open_readonly(tmp_path)


def test_other_sqlite_database__refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    _refused(tmp_path, "not a stakework chain database")


def test_wrong_schema_version__refused(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain, upto=1)
    conn = sqlite3.connect(data / DB_FILENAME)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    err = _refused(data, "schema version 99")
    assert "version 1" in str(err)
    with pytest.raises(StorageError, match="schema version 99"):
        ChainStore.open_readonly(data)


@pytest.mark.parametrize("other", ["fewer validators", "another preset"])
def test_database_of_another_chain__refused(tmp_path: Path, chain: Chain, other: str) -> None:
    data = _filled(tmp_path, chain, upto=1)
    foreign = devnet_genesis(MINIMAL, 32) if other == "fewer validators" else chain.genesis.copy()
    if other == "another preset":
        foreign.preset = MINIMAL.replace(PRESET_NAME="custom")
    with pytest.raises(StorageError, match="holds another chain") as info:
        ChainStore(data, genesis=foreign)
    assert str(data / DB_FILENAME) in str(info.value) and "--data-dir" in str(info.value)
    with ChainStore(data, genesis=chain.genesis) as store:  # its own chain still opens
        assert store.block_count() == 1


def test_second_writer__refused_while_the_first_is_open(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain, upto=1)
    with ChainStore(data) as store:
        with pytest.raises(StorageError, match="another node is using"):
            ChainStore(data)
        with ChainStore.open_readonly(data) as reader:
            assert reader.head() == store.head()
            with pytest.raises(StorageError, match="read-only"):
                reader.import_block(chain.blocks[1], hash_state(chain.states[1]))
            with pytest.raises(StorageError, match="read-only"):
                reader.save_finalized_state(chain.states[0])
    ChainStore(data).close()  # the lock is released on close


def test_truncated_file__refused(tmp_path: Path, chain: Chain) -> None:
    data = _filled(tmp_path, chain)
    path = data / DB_FILENAME
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(StorageError, match=r"corrupt|damaged") as info, ChainStore(data) as store:
        store.load_latest()
        store.blocks_by_range(0, SLOTS + 1)
    assert str(path) in str(info.value)


def test_damaged_block_and_snapshot_content__reported_when_read(tmp_path: Path, chain: Chain) -> None:
    """Damage inside a blob is invisible to SQLite's structural checks; the store's own checks catch it."""
    data = _filled(tmp_path, chain, upto=3)
    conn = sqlite3.connect(data / DB_FILENAME)
    conn.execute("UPDATE blocks SET data = ? WHERE root = ?", (msgspec.msgpack.encode(chain.blocks[0]), chain.root(1)))
    snap = bytearray(conn.execute("SELECT data FROM snapshots").fetchone()[0])
    snap[100] ^= 0xFF
    conn.execute("UPDATE snapshots SET data = ?", (bytes(snap),))
    conn.commit()
    conn.close()
    with ChainStore(data) as store:
        with pytest.raises(StorageError, match=r"stored block .* is damaged"):
            store.get_block(chain.root(1))
        with pytest.raises(StorageError, match=r"snapshot of block .* is damaged"):
            store.load_latest()


def test_overwritten_bytes_anywhere__an_error_naming_the_file_or_the_right_data(tmp_path: Path, chain: Chain) -> None:
    """Garbage written over a page in the middle of the file: opening or reading raises StorageError naming the
    file, or (when the page was unused) everything still reads back right. Never another exception, never wrong
    data."""
    source = _filled(tmp_path, chain)
    size = (source / DB_FILENAME).stat().st_size
    rng = random.Random(4)
    errors = 0
    for n in range(12):
        data = tmp_path / f"copy{n}"
        shutil.copytree(source, data)
        path = data / DB_FILENAME
        offset = rng.randrange(size // 8, size - 512)
        with path.open("r+b") as f:
            f.seek(offset)
            f.write(rng.randbytes(rng.choice([64, 512, 4096])))
        try:
            with ChainStore(data) as store:
                loaded = store.load_latest()
                assert [b.message.hash_tree_root() for b in loaded.blocks] == [chain.root(i) for i in range(SLOTS)]
                assert store.blocks_by_range(0, SLOTS + 1) == chain.blocks
                assert [store.post_state_root(chain.root(i)) for i in range(SLOTS)] == [
                    hash_state(s) for s in chain.states
                ]
        except StorageError as exc:
            assert str(path) in str(exc)
            errors += 1
    assert errors >= 6  # most pages of this small file hold data
