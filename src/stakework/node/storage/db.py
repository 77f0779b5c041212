"""The node's chain database: one SQLite file, `chain.sqlite`, in the data directory.

What it holds (schema version `SCHEMA_VERSION`):

- `meta`: the application tag, the schema version and the chain identity (genesis validators root, preset name,
  genesis block root and time);
- `blocks`: every imported block (root, slot, parent root, post-state root, msgpack of the signed block);
- `transactions`: where each transaction was included (block root, position, transaction hash);
- `checkpoints`: head (block root and slot), justified and finalized checkpoints;
- `forkchoice`: the latest fork-choice state, an opaque blob the node passes with each import;
- `snapshots`: binary state snapshots (`stakework.state.snapshot` format) at finalized checkpoints, the newest
  `KEEP_SNAPSHOTS` kept.

Durability: WAL journal, `synchronous=FULL` (every commit is fsynced before it returns), foreign keys on. Each
write (`import_block`, `update_checkpoints`, `save_finalized_state`) is one `BEGIN IMMEDIATE` ... `COMMIT`
transaction, so a process killed at any instant leaves the database either before or after it, never in
between. The finalized and justified checkpoints only move forward.

A restarting node calls `load_latest()`: the newest snapshot's state, the stored blocks descending from it in
slot order (replaying them rebuilds every post-state up to the head), the checkpoints and the fork-choice blob.
One writer at a time holds a lock on the data directory; `ChainStore.open_readonly` (for `stakework status`)
reads a consistent view while a node writes.

Every stored block is checked against its root when read, and every snapshot against its checksum and state
root, so damage that SQLite's structural checks miss is still reported as a StorageError naming the file.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import msgspec

from stakework.node.storage.errors import StorageError
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import BeaconBlockHeader, Checkpoint
from stakework.state.root import hash_state
from stakework.state.snapshot import SnapshotError, load_binary, save_binary
from stakework.transition.block.block import SignedBeaconBlock, header_root

try:  # POSIX: one writer per data directory
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; the lock is skipped there
    fcntl = None  # type: ignore[assignment]

DB_FILENAME = "chain.sqlite"
LOCK_FILENAME = "chain.lock"
SCHEMA_VERSION = 1
APPLICATION = "stakework chain database"
KEEP_SNAPSHOTS = 3
"""Snapshots kept: the newest at the finalized checkpoint and a couple before it, in case the newest is damaged
and has to be deleted by hand."""
BUSY_TIMEOUT_MS = 30_000
WAL_SIZE_LIMIT = 64 * 2**20
"""After a checkpoint the WAL file is cut back to this size (a snapshot of a big state passes through it)."""
MAX_INTEGER = 2**63 - 1
"""SQLite integers are signed 64-bit; slots and epochs beyond are refused."""
ZERO32 = b"\x00" * 32
_SQLITE_MAGIC = b"SQLite format 3\x00"
_TEMP_PREFIX = ".snapshot-"

CORRUPT_ADVICE = (
    "The chain database is unusable: stop the node and move this file (with its -wal and -shm files) away, "
    "or start with a new --data-dir"
)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blocks (
    root BLOB PRIMARY KEY CHECK (length(root) = 32),
    slot INTEGER NOT NULL CHECK (slot >= 0),
    parent_root BLOB NOT NULL CHECK (length(parent_root) = 32),
    post_state_root BLOB NOT NULL CHECK (length(post_state_root) = 32),
    data BLOB NOT NULL
);
CREATE INDEX blocks_slot ON blocks (slot);
CREATE INDEX blocks_post_state_root ON blocks (post_state_root);
CREATE TABLE transactions (
    block_root BLOB NOT NULL REFERENCES blocks (root) ON DELETE CASCADE,
    idx INTEGER NOT NULL CHECK (idx >= 0),
    tx_hash BLOB NOT NULL CHECK (length(tx_hash) = 32),
    PRIMARY KEY (block_root, idx)
);
CREATE INDEX transactions_hash ON transactions (tx_hash);
CREATE TABLE checkpoints (
    kind TEXT PRIMARY KEY CHECK (kind IN ('head', 'justified', 'finalized')),
    epoch INTEGER NOT NULL CHECK (epoch >= 0),
    slot INTEGER,
    root BLOB NOT NULL CHECK (length(root) = 32)
);
CREATE TABLE forkchoice (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    head_root BLOB,
    data BLOB NOT NULL
);
CREATE TABLE snapshots (
    block_root BLOB PRIMARY KEY CHECK (length(block_root) = 32),
    slot INTEGER NOT NULL,
    block_slot INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    state_root BLOB NOT NULL CHECK (length(state_root) = 32),
    data BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class ChainIdentity:
    """Which chain a database belongs to. Two databases are of the same chain when the genesis validators root
    and the preset name agree."""

    genesis_validators_root: bytes
    preset_name: str
    genesis_root: bytes
    """The root of the genesis (anchor) block: informative, not compared."""
    genesis_time: int


@dataclass(frozen=True)
class Head:
    """The head block the node last recorded."""

    root: bytes
    slot: int


@dataclass(frozen=True)
class TxLocation:
    """Where a transaction was included: the block, its slot, and the transaction's index in the block body."""

    block_root: bytes
    slot: int
    index: int


@dataclass(frozen=True)
class StoredChain:
    """What a restarting node needs: replay `blocks` (in order) on `anchor_state` to rebuild every post-state."""

    anchor_state: BeaconState
    """The state of the newest snapshot (the post-state of block `anchor_root`)."""
    anchor_root: bytes
    anchor_epoch: int
    """The epoch of the finalized checkpoint the snapshot was stored for (the block may sit in an earlier epoch
    when the checkpoint epoch's first slots were missed); a restarting fork choice is anchored at
    (anchor_epoch, anchor_root)."""
    blocks: list[SignedBeaconBlock]
    """The stored blocks descending from the anchor, in slot order (every parent before its children)."""
    head: Head
    justified: Checkpoint
    finalized: Checkpoint
    forkchoice_blob: bytes | None


def anchor_root(state: BeaconState) -> bytes:
    """The root of the block whose post-state (possibly advanced through empty slots) `state` is: its latest
    block header with the state root filled in, as `process_slot` does. For a genesis state, the genesis block
    root."""
    h = state.latest_block_header
    if h.state_root == ZERO32:
        h = BeaconBlockHeader(h.slot, h.proposer_index, h.parent_root, hash_state(state), h.body_root)
    return header_root(h)


def _check_root(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise StorageError(f"{what} must be 32 bytes, got {value!r:.80}")
    return bytes(value)


def _check_uint(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
        raise StorageError(f"{what} must be an integer from 0 to 2**63-1, not {value!r:.80}")
    return value


def _short(root: bytes) -> str:
    return "0x" + root.hex()[:16]


class ChainStore:
    """The chain database in `data_dir` (the file `data_dir/chain.sqlite`), opened for writing.

    With `genesis`, a missing database (and directory) is created for the chain of that state, which becomes the
    first snapshot and the head/justified/finalized anchor; an existing one must belong to the same chain.
    Without `genesis`, the database must already exist. Raises StorageError when the file is missing, corrupt,
    of another schema version or chain, or locked by another node.

    The connection may be used from one thread at a time (calls are serialized by a lock), so a node may run
    the writes in a worker thread.
    """

    path: Path
    data_dir: Path
    readonly: bool
    identity: ChainIdentity
    _genesis_slot: int

    def __init__(self, data_dir: Path | str, *, genesis: BeaconState | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_FILENAME
        self.readonly = False
        self._mutex = threading.RLock()
        self._batch_depth = 0
        self._conn: sqlite3.Connection | None = None
        self._lock_file: IO[bytes] | None = None
        try:
            self._open_writer(genesis)
        except BaseException:
            self.close()
            raise

    @classmethod
    def open_readonly(cls, data_dir: Path | str, *, check: bool = True) -> ChainStore:
        """Open an existing database read-only (SQLite `mode=ro`): safe while a node writes it, never changes
        the database (SQLite may create its empty -wal/-shm companions when no node has it open) and takes no
        lock. Each read sees one committed state. `check=False` skips SQLite's quick check (which reads the whole
        file)."""
        self = cls.__new__(cls)
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_FILENAME
        self.readonly = True
        self._mutex = threading.RLock()
        self._batch_depth = 0
        self._conn = None
        self._lock_file = None
        try:
            if not self.path.is_file():
                raise StorageError(f"{self.path}: no chain database here; is {self.data_dir} the --data-dir of a node?")
            self._check_header()
            self._conn = self._connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
            with self._guard("open"):
                if check:
                    self._quick_check()
                self._read_meta(genesis=None)
        except BaseException:
            self.close()
            raise
        return self

    # -- opening ---------------------------------------------------------------------------------------------
    def _fail(self, what: str, advice: str = CORRUPT_ADVICE) -> StorageError:
        return StorageError(f"{self.path}: {what}. {advice}")

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Turn SQLite errors into StorageError naming the file."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise StorageError(
                    f"{self.path}: {doing}: the database stayed locked by another process for "
                    f"{BUSY_TIMEOUT_MS // 1000} s ({text}); is another node using {self.data_dir}?"
                ) from None
            if any(word in text for word in ("malformed", "not a database", "corrupt", "decode")):
                raise self._fail(f"{doing}: the file is corrupt ({text})") from None
            raise StorageError(f"{self.path}: {doing} failed ({text})") from None
        except sqlite3.DatabaseError as exc:
            raise self._fail(f"{doing}: the file is corrupt or not a chain database ({exc})") from None

    def _check_header(self) -> None:
        try:
            with self.path.open("rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot read ({exc.strerror})") from None
        if head and head != _SQLITE_MAGIC:
            raise self._fail("is not an SQLite database (bad header)")

    def _connect(self, target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                target, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, uri=uri, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot open the database ({exc})") from None
        self._conn = conn
        with self._guard("open"):
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _quick_check(self) -> None:
        rows = [str(r[0]) for r in self._db().execute("PRAGMA quick_check(5)")]
        if rows != ["ok"]:
            raise self._fail(f"the file is corrupt (SQLite quick_check: {'; '.join(rows) or 'no answer'})")

    def _take_lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        lock_path = self.data_dir / LOCK_FILENAME
        try:
            f = lock_path.open("ab")
        except OSError as exc:
            raise StorageError(f"{lock_path}: cannot open the lock file ({exc.strerror})") from None
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise StorageError(
                f"{self.path}: another node is using {self.data_dir} (it holds {lock_path}); stop it first, "
                "or give this node its own --data-dir"
            ) from None
        self._lock_file = f

    def _open_writer(self, genesis: BeaconState | None) -> None:
        if genesis is None and not self.path.exists():
            raise StorageError(f"{self.path}: no chain database here; start a node with this --data-dir to create one")
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{self.data_dir}: cannot create the data directory ({exc.strerror})") from None
        self._take_lock()
        self._check_header()
        conn = self._connect(self.path)
        with self._guard("open"):
            self._quick_check()
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise StorageError(f"{self.path}: cannot switch to WAL journal mode (got {mode!r})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._read_meta(genesis=genesis)
                conn.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        for stale in self.data_dir.glob(_TEMP_PREFIX + "*"):  # left by a snapshot write that was killed
            shutil.rmtree(stale, ignore_errors=True)

    def _read_meta(self, *, genesis: BeaconState | None) -> None:
        """Check the metadata (creating the schema for `genesis` in an empty database; the caller holds a write
        transaction then) and set `identity`."""
        conn = self._db()
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            if genesis is None or self.readonly:
                raise self._fail("the database is empty (no chain in it)")
            self._create(genesis)
            tables.add("meta")
        if "meta" not in tables:
            raise self._fail("is not a stakework chain database (no metadata table)")
        meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}
        if meta.get("application") != APPLICATION:
            raise self._fail(f"is not a stakework chain database (application {meta.get('application')!r})")
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise StorageError(
                f"{self.path}: written with chain-database schema version {meta.get('schema_version')}, this "
                f"stakework reads version {SCHEMA_VERSION}. Run the stakework version that wrote it, or move the "
                "file away (or start with a new --data-dir) to begin a new database"
            )
        try:
            identity = ChainIdentity(
                bytes.fromhex(meta["genesis_validators_root"]),
                meta["preset"],
                bytes.fromhex(meta["genesis_root"]),
                int(meta["genesis_time"]),
            )
            self._genesis_slot = int(meta["genesis_slot"])
        except (KeyError, ValueError) as exc:
            raise self._fail(f"has malformed chain metadata ({exc})") from None
        if genesis is not None and (
            identity.genesis_validators_root != genesis.genesis_validators_root
            or identity.preset_name != genesis.preset.PRESET_NAME
        ):
            raise StorageError(
                f"{self.path}: holds another chain (genesis validators root "
                f"{_short(identity.genesis_validators_root)}, preset {identity.preset_name}), not this one "
                f"(genesis validators root {_short(genesis.genesis_validators_root)}, preset "
                f"{genesis.preset.PRESET_NAME}). Use a separate --data-dir for each chain, or move this one away"
            )
        self.identity = identity

    def _create(self, genesis: BeaconState) -> None:
        conn = self._db()
        for statement in _SCHEMA.split(";"):  # not executescript: it would commit the open transaction
            if statement.strip():
                conn.execute(statement)
        root = anchor_root(genesis)
        conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [
                ("application", APPLICATION),
                ("schema_version", str(SCHEMA_VERSION)),
                ("genesis_validators_root", genesis.genesis_validators_root.hex()),
                ("preset", genesis.preset.PRESET_NAME),
                ("genesis_root", root.hex()),
                ("genesis_time", str(genesis.genesis_time)),
                ("genesis_slot", str(genesis.latest_block_header.slot)),
            ],
        )
        self._insert_snapshot(genesis, root, self._encode_snapshot(genesis), genesis.current_epoch())
        anchor = Checkpoint(genesis.current_epoch(), root)
        conn.execute(
            "INSERT INTO checkpoints (kind, epoch, slot, root) VALUES ('head', ?, ?, ?)",
            (genesis.current_epoch(), genesis.latest_block_header.slot, root),
        )
        for kind in ("justified", "finalized"):
            conn.execute(
                "INSERT INTO checkpoints (kind, epoch, slot, root) VALUES (?, ?, NULL, ?)",
                (kind, anchor.epoch, anchor.root),
            )

    def close(self) -> None:
        """Close the connection and release the data-directory lock. Idempotent."""
        with self._mutex:
            if self._conn is not None:
                with suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None
            if self._lock_file is not None:
                with suppress(OSError):
                    self._lock_file.close()
                self._lock_file = None

    def __enter__(self) -> ChainStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError(f"{self.path}: the database is closed")
        return self._conn

    # -- transactions ----------------------------------------------------------------------------------------
    @contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction, committed (and fsynced) on success, rolled back on any exception."""
        if self.readonly:
            raise StorageError(f"{self.path}: opened read-only; cannot {doing}")
        with self._mutex, self._guard(doing):
            conn = self._db()
            if self._batch_depth:  # inside `batch()` (this thread holds the mutex): part of its transaction
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def batch(self, doing: str) -> Iterator[None]:
        """Every write inside is one transaction, committed (one fsync) at the end; an exception rolls all of
        them back (let a write's exception out of the batch: a caught one leaves that write half done). Sync
        imports a range of blocks so: one commit per range instead of one per block. Other threads wait for the
        batch to end (it holds the connection's lock)."""
        with self._write(doing):
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    @contextmanager
    def _read(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query inside sees the same committed state."""
        with self._mutex, self._guard(doing):
            conn = self._db()
            if self._batch_depth:  # inside `batch()`: its transaction is open
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                with suppress(sqlite3.Error):
                    conn.execute("COMMIT")

    # -- snapshots -------------------------------------------------------------------------------------------
    def _encode_snapshot(self, state: BeaconState) -> bytes:
        """The binary snapshot of `state` (written by `save_binary` into a private temporary directory of the
        data directory, read back, removed)."""
        try:
            with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX, dir=self.data_dir) as tmp:
                path = Path(tmp) / "state.swk"
                save_binary(state, path)
                return path.read_bytes()
        except (OSError, SnapshotError) as exc:
            raise StorageError(f"{self.path}: cannot write a state snapshot ({exc})") from None

    def _decode_snapshot(self, block_root: bytes, state_root: bytes, data: bytes) -> BeaconState:
        where = f"{self.path} (snapshot of block {_short(block_root)})"
        try:
            state = load_binary(where, raw=bytes(data))
        except SnapshotError as exc:
            raise self._fail(f"snapshot of block {_short(block_root)} is damaged ({exc})") from None
        if hash_state(state) != state_root:
            raise self._fail(f"snapshot of block {_short(block_root)} does not match its recorded state root")
        return state

    def _insert_snapshot(self, state: BeaconState, root: bytes, data: bytes, epoch: int) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO snapshots (block_root, slot, block_slot, epoch, state_root, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (root, state.slot, state.latest_block_header.slot, epoch, hash_state(state), data),
        )

    def save_finalized_state(self, state: BeaconState, checkpoint: Checkpoint | None = None) -> bytes:
        """Store a snapshot of `state`, the post-state of a finalized block (the node calls this when finality
        advances), keep the newest `KEEP_SNAPSHOTS` and return the block root. With `checkpoint` (whose root must
        be that block), the stored finalized checkpoint also advances to it, in the same transaction."""
        root = anchor_root(state)
        epoch = int(state.current_epoch())
        if checkpoint is not None:
            _check_uint(checkpoint.epoch, "checkpoint epoch")
            if checkpoint.root != root:
                raise StorageError(
                    f"{self.path}: the state given is of block {_short(root)}, not of the finalized checkpoint's "
                    f"block {_short(checkpoint.root)}"
                )
            epoch = int(checkpoint.epoch)
        data = self._encode_snapshot(state)
        with self._write("save a finalized state") as conn:
            self._insert_snapshot(state, root, data, epoch)
            conn.execute(
                "DELETE FROM snapshots WHERE block_root NOT IN "
                "(SELECT block_root FROM snapshots ORDER BY slot DESC, epoch DESC, block_root LIMIT ?)",
                (KEEP_SNAPSHOTS,),
            )
            if checkpoint is not None:
                self._advance(conn, "finalized", checkpoint)
        return root

    def snapshot_data(self, block_root: bytes) -> tuple[int, bytes] | None:
        """The kept snapshot of block `block_root`'s post-state: its checkpoint epoch and the binary snapshot
        (what `state.snapshot.load_binary` reads; not checked here). None when no snapshot of it is kept."""
        with self._read("read a snapshot") as conn:
            row = conn.execute(
                "SELECT epoch, data FROM snapshots WHERE block_root = ?", (bytes(block_root),)
            ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def snapshots(self) -> list[tuple[bytes, int, int]]:
        """The stored snapshots as (block root, state slot, checkpoint epoch), newest first."""
        with self._read("list snapshots") as conn:
            rows = conn.execute(
                "SELECT block_root, slot, epoch FROM snapshots ORDER BY slot DESC, epoch DESC, block_root"
            )
            return [(bytes(r), int(s), int(e)) for r, s, e in rows]

    # -- blocks and checkpoints ------------------------------------------------------------------------------
    def _known(self, conn: sqlite3.Connection, root: bytes) -> int | None:
        """The slot of a stored block, snapshot anchor or the genesis block with this root; None if unknown."""
        row = conn.execute("SELECT slot FROM blocks WHERE root = ?", (root,)).fetchone()
        if row is None:
            row = conn.execute("SELECT block_slot FROM snapshots WHERE block_root = ?", (root,)).fetchone()
        if row is None and root == self.identity.genesis_root:
            return self._genesis_slot
        return None if row is None else int(row[0])

    def _advance(self, conn: sqlite3.Connection, kind: str, checkpoint: Checkpoint) -> None:
        """Move the justified or finalized checkpoint forward; an older one is ignored (they never go back), and a
        different one at the same epoch is refused (two conflicting checkpoints: a bug or a safety failure). A
        zero root (what a state holds before its first justification) stands for the genesis block."""
        epoch = _check_uint(checkpoint.epoch, f"{kind} epoch")
        root = _check_root(checkpoint.root, f"{kind} root")
        if root == ZERO32:
            root = self.identity.genesis_root
        row = conn.execute("SELECT epoch, root FROM checkpoints WHERE kind = ?", (kind,)).fetchone()
        if row is not None:
            stored_epoch, stored_root = int(row[0]), bytes(row[1])
            if epoch < stored_epoch or (epoch == stored_epoch and root == stored_root):
                return
            if epoch == stored_epoch:
                raise StorageError(
                    f"{self.path}: {kind} checkpoint at epoch {epoch} is already {_short(stored_root)}, "
                    f"refusing a conflicting one ({_short(root)})"
                )
        conn.execute(
            "INSERT OR REPLACE INTO checkpoints (kind, epoch, slot, root) VALUES (?, ?, NULL, ?)", (kind, epoch, root)
        )

    def _set_head(self, conn: sqlite3.Connection, root: bytes) -> None:
        root = _check_root(root, "head root")
        slot = self._known(conn, root)
        if slot is None:
            raise StorageError(f"{self.path}: head {_short(root)} is not a stored block; import it first")
        conn.execute(
            "INSERT OR REPLACE INTO checkpoints (kind, epoch, slot, root) VALUES ('head', 0, ?, ?)", (slot, root)
        )

    def _update(
        self,
        conn: sqlite3.Connection,
        head: bytes | None,
        justified: Checkpoint | None,
        finalized: Checkpoint | None,
        forkchoice_blob: bytes | None,
    ) -> None:
        if head is not None:
            self._set_head(conn, head)
        if justified is not None:
            self._advance(conn, "justified", justified)
        if finalized is not None:
            self._advance(conn, "finalized", finalized)
        if forkchoice_blob is not None:
            if not isinstance(forkchoice_blob, bytes | bytearray | memoryview):
                raise StorageError(f"{self.path}: the fork-choice state must be bytes")
            conn.execute(
                "INSERT OR REPLACE INTO forkchoice (id, head_root, data) VALUES (1, ?, ?)",
                (head, bytes(forkchoice_blob)),
            )

    def import_block(
        self,
        signed_block: SignedBeaconBlock,
        post_state_root: bytes,
        *,
        forkchoice_blob: bytes | None = None,
        head: bytes | None = None,
        justified: Checkpoint | None = None,
        finalized: Checkpoint | None = None,
        transactions: Sequence[bytes] | None = None,
    ) -> bytes:
        """Record a validated block with its post-state root, where its transactions are, and (optionally) the
        new head root, checkpoints and fork-choice state, all in one transaction. Returns the block root.

        The parent must be stored (a block, a snapshot anchor or genesis). Importing a stored block again only
        applies the updates. `transactions` are the hashes of the block's transactions in body order (computed
        from the body when not given)."""
        block = signed_block.message
        _check_uint(block.slot, "block slot")
        post_state_root = _check_root(post_state_root, "post-state root")
        parent = _check_root(block.parent_root, "parent root")
        root = block.hash_tree_root()
        body_txs = block.body.transactions
        if transactions is None:
            hashes = [tx.hash() for tx in body_txs]
        else:
            hashes = [_check_root(h, "transaction hash") for h in transactions]
            if len(hashes) != len(body_txs):
                raise StorageError(
                    f"{self.path}: block {_short(root)} has {len(body_txs)} transactions, {len(hashes)} hashes given"
                )
        data = msgspec.msgpack.encode(signed_block)
        with self._write(f"import block {_short(root)} at slot {block.slot}") as conn:
            row = conn.execute("SELECT post_state_root FROM blocks WHERE root = ?", (root,)).fetchone()
            if row is not None:
                if bytes(row[0]) != post_state_root:
                    raise StorageError(
                        f"{self.path}: block {_short(root)} is stored with post-state root {_short(bytes(row[0]))}, "
                        f"not {_short(post_state_root)}"
                    )
            else:
                if self._known(conn, parent) is None:
                    raise StorageError(
                        f"{self.path}: block {_short(root)} at slot {block.slot}: its parent {_short(parent)} is "
                        "not stored; import the parent first"
                    )
                conn.execute(
                    "INSERT INTO blocks (root, slot, parent_root, post_state_root, data) VALUES (?, ?, ?, ?, ?)",
                    (root, block.slot, parent, post_state_root, data),
                )
                conn.executemany(
                    "INSERT INTO transactions (block_root, idx, tx_hash) VALUES (?, ?, ?)",
                    [(root, i, h) for i, h in enumerate(hashes)],
                )
            self._update(conn, head, justified, finalized, forkchoice_blob)
        return root

    def update_checkpoints(
        self,
        *,
        head: bytes | None = None,
        justified: Checkpoint | None = None,
        finalized: Checkpoint | None = None,
        forkchoice_blob: bytes | None = None,
    ) -> None:
        """Record a new head, checkpoints or fork-choice state without a block (after a tick or attestations),
        in one transaction. Checkpoints only move forward."""
        with self._write("update the checkpoints") as conn:
            self._update(conn, head, justified, finalized, forkchoice_blob)

    # -- reading ---------------------------------------------------------------------------------------------
    def _decode_block(self, root: bytes, data: bytes) -> SignedBeaconBlock:
        try:
            signed = msgspec.msgpack.decode(data, type=SignedBeaconBlock)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise self._fail(f"stored block {_short(root)} is damaged ({exc})") from None
        if signed.message.hash_tree_root() != root:
            raise self._fail(f"stored block {_short(root)} is damaged (its content does not hash to its root)")
        return signed

    def get_block(self, root: bytes) -> SignedBeaconBlock | None:
        """The stored block with this root, or None."""
        with self._read("read a block") as conn:
            row = conn.execute("SELECT data FROM blocks WHERE root = ?", (bytes(root),)).fetchone()
        return None if row is None else self._decode_block(bytes(root), bytes(row[0]))

    def post_state_root(self, root: bytes) -> bytes | None:
        """The post-state root recorded for a stored block, or None."""
        with self._read("read a post-state root") as conn:
            row = conn.execute("SELECT post_state_root FROM blocks WHERE root = ?", (bytes(root),)).fetchone()
        return None if row is None else bytes(row[0])

    def block_count(self) -> int:
        """How many blocks are stored (every fork)."""
        with self._read("count blocks") as conn:
            return int(conn.execute("SELECT count(*) FROM blocks").fetchone()[0])

    def _head(self, conn: sqlite3.Connection) -> Head:
        row = conn.execute("SELECT slot, root FROM checkpoints WHERE kind = 'head'").fetchone()
        if row is None or row[0] is None:
            raise self._fail("has no head recorded")
        return Head(bytes(row[1]), int(row[0]))

    def _checkpoint(self, conn: sqlite3.Connection, kind: str) -> Checkpoint:
        row = conn.execute("SELECT epoch, root FROM checkpoints WHERE kind = ?", (kind,)).fetchone()
        if row is None:
            raise self._fail(f"has no {kind} checkpoint recorded")
        return Checkpoint(int(row[0]), bytes(row[1]))

    def head(self) -> Head:
        """The head block root and slot last recorded."""
        with self._read("read the head") as conn:
            return self._head(conn)

    def justified_checkpoint(self) -> Checkpoint:
        """The justified checkpoint last recorded."""
        with self._read("read the justified checkpoint") as conn:
            return self._checkpoint(conn, "justified")

    def finalized_checkpoint(self) -> Checkpoint:
        """The finalized checkpoint last recorded (never older than any recorded before)."""
        with self._read("read the finalized checkpoint") as conn:
            return self._checkpoint(conn, "finalized")

    def blocks_by_range(self, start_slot: int, count: int) -> list[SignedBeaconBlock]:
        """The blocks of the head's chain with `start_slot <= slot < start_slot + count`, in slot order."""
        start = _check_uint(start_slot, "start slot")
        count = _check_uint(count, "count")
        end = start + count
        with self._read("read blocks by range") as conn:
            head = self._head(conn)
            parents = {
                bytes(r): (bytes(p), int(s))
                for r, p, s in conn.execute("SELECT root, parent_root, slot FROM blocks WHERE slot >= ?", (start,))
            }
            chosen: list[bytes] = []
            root = head.root
            while root in parents:
                parent, slot = parents[root]
                if slot < end:
                    chosen.append(root)
                root = parent
            chosen.reverse()
            rows = [conn.execute("SELECT data FROM blocks WHERE root = ?", (r,)).fetchone() for r in chosen]
        return [self._decode_block(r, bytes(row[0])) for r, row in zip(chosen, rows, strict=True)]

    def transaction_locations(self, tx_hash: bytes) -> list[TxLocation]:
        """Every stored block that includes the transaction (several when it is in blocks of competing forks),
        in slot order."""
        with self._read("look up a transaction") as conn:
            rows = conn.execute(
                "SELECT t.block_root, b.slot, t.idx FROM transactions t JOIN blocks b ON b.root = t.block_root "
                "WHERE t.tx_hash = ? ORDER BY b.slot, t.block_root",
                (bytes(tx_hash),),
            ).fetchall()
        return [TxLocation(bytes(r), int(s), int(i)) for r, s, i in rows]

    def transaction_location(self, tx_hash: bytes) -> TxLocation | None:
        """The earliest stored block that includes the transaction, or None."""
        found = self.transaction_locations(tx_hash)
        return found[0] if found else None

    def forkchoice_blob(self) -> bytes | None:
        """The fork-choice state last passed to `import_block` or `update_checkpoints`."""
        with self._read("read the fork-choice state") as conn:
            row = conn.execute("SELECT data FROM forkchoice WHERE id = 1").fetchone()
        return None if row is None else bytes(row[0])

    def load_latest(self) -> StoredChain:
        """What a restarting node replays: the newest snapshot's state and the stored blocks descending from its
        block, in slot order, with the checkpoints and fork-choice state. Raises StorageError if anything read
        is damaged."""
        with self._read("load the chain") as conn:
            snap = conn.execute(
                "SELECT block_root, block_slot, state_root, data, epoch FROM snapshots "
                "ORDER BY slot DESC, epoch DESC, block_root LIMIT 1"
            ).fetchone()
            if snap is None:
                raise self._fail("has no state snapshot to start from")
            anchor, block_slot = bytes(snap[0]), int(snap[1])
            state = self._decode_snapshot(anchor, bytes(snap[2]), bytes(snap[3]))
            anchor_epoch = max(int(snap[4]), state.current_epoch())
            kept: set[bytes] = {anchor}
            rows: list[tuple[bytes, bytes]] = []
            for r, p, d in conn.execute(
                "SELECT root, parent_root, data FROM blocks WHERE slot > ? ORDER BY slot, root", (block_slot,)
            ):
                if bytes(p) in kept:
                    kept.add(bytes(r))
                    rows.append((bytes(r), bytes(d)))
            head = self._head(conn)
            justified = self._checkpoint(conn, "justified")
            finalized = self._checkpoint(conn, "finalized")
            fc = conn.execute("SELECT data FROM forkchoice WHERE id = 1").fetchone()
        blocks = [self._decode_block(r, d) for r, d in rows]
        return StoredChain(
            state, anchor, anchor_epoch, blocks, head, justified, finalized, None if fc is None else bytes(fc[0])
        )

    def integrity_check(self) -> list[str]:
        """SQLite's full `PRAGMA integrity_check`: the problems found, empty when the file is sound."""
        with self._mutex, self._guard("check the database"):
            rows = [str(r[0]) for r in self._db().execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows
