"""What a node remembers beside its chain, in the same `chain.sqlite`, so that it survives a restart: the reward
history (every validator's balance at the start of each recent epoch) and the transaction index's refusals (why a
transaction was refused). Where included transactions went is the `transactions` table, written with each block.

Tables (added to a database of schema version 1 by the first writer that needs them, `CREATE TABLE IF NOT EXISTS`
in the writing transaction; a stakework that does not know them ignores them, so the version is unchanged):

- `reward_history (epoch, validators, balances)`: `balances` is the uint64 little-endian column of `validators`
  balances, zlib-compressed (level 1: balances share their high bytes, a column compresses to about a third);
- `rejected_transactions (seq, tx_hash, reason)`: the newest refusals, oldest first by `seq`.

Each write is one transaction (`ChainStore._write`): the reward history once per epoch, the refusals once per slot
(a node killed mid-slot forgets that slot's refusals, never anything else). Readers (`load_*`) accept a database
that has not got the tables yet (an older data directory): nothing was remembered then.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from stakework.node.storage.db import ChainStore
from stakework.node.storage.errors import StorageError

_TABLES = (
    "CREATE TABLE IF NOT EXISTS reward_history ("
    " epoch INTEGER PRIMARY KEY CHECK (epoch >= 0),"
    " validators INTEGER NOT NULL CHECK (validators >= 0),"
    " balances BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rejected_transactions ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " tx_hash BLOB NOT NULL UNIQUE CHECK (length(tx_hash) = 32),"
    " reason TEXT NOT NULL)",
)


def _ensure_tables(conn: sqlite3.Connection) -> None:
    for statement in _TABLES:
        conn.execute(statement)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


def save_balances(store: ChainStore, epoch: int, balances: npt.NDArray[np.uint64], *, keep: int) -> None:
    """Record the validators' balances at the start of `epoch` (replacing a record of the same epoch) and keep the
    newest `keep` epochs."""
    if keep < 1:
        raise StorageError(f"{store.path}: the reward history keeps at least one epoch, not {keep}")
    column = np.ascontiguousarray(balances, dtype="<u8")
    data = zlib.compress(column.tobytes(), 1)
    with store._write(f"record the balances of epoch {epoch}") as conn:
        _ensure_tables(conn)
        conn.execute(
            "INSERT OR REPLACE INTO reward_history (epoch, validators, balances) VALUES (?, ?, ?)",
            (int(epoch), int(column.size), data),
        )
        conn.execute(
            "DELETE FROM reward_history WHERE epoch NOT IN "
            "(SELECT epoch FROM reward_history ORDER BY epoch DESC LIMIT ?)",
            (keep,),
        )


def load_balances(store: ChainStore, *, keep: int) -> list[tuple[int, npt.NDArray[np.uint64]]]:
    """The newest `keep` recorded epochs as (epoch, balances), oldest first; StorageError if a record is damaged."""
    with store._read("read the reward history") as conn:
        if not _has_table(conn, "reward_history"):
            return []
        rows = conn.execute(
            "SELECT epoch, validators, balances FROM reward_history ORDER BY epoch DESC LIMIT ?", (keep,)
        ).fetchall()
    out = []
    for epoch, count, data in reversed(rows):
        try:
            raw = zlib.decompress(bytes(data))
        except zlib.error as exc:
            raise StorageError(f"{store.path}: the reward history of epoch {epoch} is damaged ({exc})") from None
        if len(raw) != 8 * int(count):
            raise StorageError(
                f"{store.path}: the reward history of epoch {epoch} is damaged ({len(raw)} bytes for {count} balances)"
            )
        out.append((int(epoch), np.frombuffer(raw, dtype="<u8").astype(np.uint64)))
    return out


def save_rejections(store: ChainStore, changes: Iterable[tuple[bytes, str | None]], *, keep: int) -> None:
    """Apply refusals in order: (hash, reason) records a refusal as the newest, (hash, None) forgets one (the
    transaction was admitted or included after all); then keep the newest `keep`. One transaction."""
    changes = list(changes)
    if not changes:
        return
    with store._write(f"record {len(changes)} transaction refusals") as conn:
        _ensure_tables(conn)
        for tx_hash, reason in changes:
            conn.execute("DELETE FROM rejected_transactions WHERE tx_hash = ?", (bytes(tx_hash),))
            if reason is not None:
                conn.execute(
                    "INSERT INTO rejected_transactions (tx_hash, reason) VALUES (?, ?)", (bytes(tx_hash), reason)
                )
        conn.execute(
            "DELETE FROM rejected_transactions WHERE seq NOT IN "
            "(SELECT seq FROM rejected_transactions ORDER BY seq DESC LIMIT ?)",
            (keep,),
        )


def load_rejections(store: ChainStore, *, keep: int) -> list[tuple[bytes, str]]:
    """The newest `keep` refusals as (hash, reason), oldest first, leaving out transactions a stored block
    includes (refused once, included later)."""
    with store._read("read the transaction refusals") as conn:
        if not _has_table(conn, "rejected_transactions"):
            return []
        rows = conn.execute(
            "SELECT tx_hash, reason FROM rejected_transactions "
            "WHERE tx_hash NOT IN (SELECT tx_hash FROM transactions) ORDER BY seq DESC LIMIT ?",
            (keep,),
        ).fetchall()
    return [(bytes(h), str(r)) for h, r in reversed(rows)]
