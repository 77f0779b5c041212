"""Crash-safe storage for the node: one SQLite database (`chain.sqlite`) in the data directory holding blocks,
their post-state roots and transactions, the head/justified/finalized checkpoints, the fork-choice state and
state snapshots at finalized checkpoints. See `docs/storage.md`."""

from stakework.node.storage.db import (
    DB_FILENAME,
    KEEP_SNAPSHOTS,
    SCHEMA_VERSION,
    ChainIdentity,
    ChainStore,
    Head,
    StoredChain,
    TxLocation,
)
from stakework.node.storage.errors import StorageError

__all__ = [
    "DB_FILENAME",
    "KEEP_SNAPSHOTS",
    "SCHEMA_VERSION",
    "ChainIdentity",
    "ChainStore",
    "Head",
    "StorageError",
    "StoredChain",
    "TxLocation",
]
