"""The node's reward history: every validator's balance at the start of each recent epoch, in memory for the API
and, when the node has a chain database, in it too (`node.storage.history`), so a restart keeps it."""

from __future__ import annotations

import logging
from collections import deque

import numpy as np
import numpy.typing as npt

from stakework.node.storage import ChainStore, StorageError
from stakework.node.storage.history import load_balances, save_balances

log = logging.getLogger("stakework.node")


class RewardHistory:
    """The newest `epochs` records (epoch, balances), oldest first, in `entries`; with `store`, loaded from it and
    each new record written to it."""

    def __init__(self, epochs: int, store: ChainStore | None = None) -> None:
        if epochs < 1:
            raise ValueError(f"a reward history keeps at least one epoch, not {epochs}")
        self.epochs = epochs
        self.store = store
        self.entries: deque[tuple[int, npt.NDArray[np.uint64]]] = deque(maxlen=epochs)
        if store is not None:
            self.entries.extend(load_balances(store, keep=epochs))

    @property
    def last_epoch(self) -> int | None:
        return self.entries[-1][0] if self.entries else None

    def record(self, epoch: int, balances: npt.NDArray[np.uint64]) -> bool:
        """Record the balances at the start of `epoch` unless an epoch at or after it is recorded already (a restart
        finds its last epoch recorded; a reorg may move the head back). True when recorded. A failure to write
        to the store is logged, never raised: the history is the node's convenience, not consensus."""
        last = self.last_epoch
        if last is not None and epoch <= last:
            return False
        column = balances.copy()
        self.entries.append((epoch, column))
        if self.store is not None:
            try:
                save_balances(self.store, epoch, column, keep=self.epochs)
            except StorageError as exc:
                log.warning("the reward history of epoch %d was not stored: %s", epoch, exc)
        return True
