"""The node's transaction index: where recent transactions went into blocks, why refused ones were refused, and
which ones this node admitted and still waits to see included. The API reads it; admission (`admit_indexed`)
is the one path for the API and for gossip."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stakework.node.admission import admit, admit_many
from stakework.node.mempool import Mempool, MempoolError
from stakework.node.storage import ChainStore, StorageError
from stakework.node.storage.history import load_rejections, save_rejections
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.block import SignedBeaconBlock
from stakework.transition.block.transaction import SignedTransaction

log = logging.getLogger("stakework.node")
UNINCLUDED = "dropped from the pool unincluded (replaced by a higher fee for the same nonce, or evicted)"


@dataclass(frozen=True)
class TxRecord:
    """Where a transaction went into a block."""

    block_root: bytes
    slot: int
    index: int


class TransactionIndex:
    """Bounded (`max_records` per table, oldest forgotten first). With a chain database (`attach`), the refusals
    are kept in it too (written once per slot by `flush`) and read back on start; where included transactions
    went is the database's `transactions` table already (`ChainStore.transaction_location`)."""

    def __init__(self, max_records: int = 200_000) -> None:
        self.max_records = max_records
        self.transactions: OrderedDict[bytes, TxRecord] = OrderedDict()
        self.rejected: OrderedDict[bytes, str] = OrderedDict()
        self.submitted: OrderedDict[bytes, None] = OrderedDict()
        """Hashes admitted here and still pending (to tell when one leaves the pool unincluded)."""
        self.included = 0
        self.admitted = 0
        self.store: ChainStore | None = None
        self._unsaved: dict[bytes, str | None] = {}
        """Refusals recorded (a reason) or forgotten (None) since the last `flush`, in order."""

    def attach(self, store: ChainStore) -> None:
        """Keep the refusals in `store` from now on, and read back those it holds (a restart)."""
        self.store = store
        for tx_hash, reason in load_rejections(store, keep=self.max_records):
            if tx_hash not in self.transactions:
                self.rejected[tx_hash] = reason
        while len(self.rejected) > self.max_records:
            self.rejected.popitem(last=False)

    def _note(self, tx_hash: bytes, reason: str | None) -> None:
        if self.store is not None:
            self._unsaved.pop(tx_hash, None)
            self._unsaved[tx_hash] = reason

    def _forget_rejection(self, tx_hash: bytes) -> None:
        if self.rejected.pop(tx_hash, None) is not None:
            self._note(tx_hash, None)

    def flush(self) -> None:
        """Write the refusals recorded or forgotten since the last flush (one transaction; the node calls it
        once per slot). A failure is logged, not raised: the index is the node's memory, not consensus."""
        if self.store is None or not self._unsaved:
            return
        changes, self._unsaved = list(self._unsaved.items()), {}
        try:
            save_rejections(self.store, changes, keep=self.max_records)
        except StorageError as exc:
            log.warning("%d transaction refusals were not stored: %s", len(changes), exc)

    def index_blocks(self, blocks: Mapping[bytes, SignedBeaconBlock]) -> list[tuple[bytes, TxRecord]]:
        """Index the transactions of blocks not seen before; returns the new ones."""
        new = []
        for root, signed in list(blocks.items()):
            body = signed.message.body
            if not body.transactions:
                continue
            first = body.transactions[0].hash()
            if first in self.transactions:
                continue
            for i, tx in enumerate(body.transactions):
                record = TxRecord(root, signed.message.slot, i)
                h = first if i == 0 else tx.hash()
                self.transactions[h] = record
                self._forget_rejection(h)
                new.append((h, record))
        while len(self.transactions) > self.max_records:
            self.transactions.popitem(last=False)
        self.included += len(new)
        return new

    def reject(self, tx_hash: bytes, reason: str) -> None:
        self.rejected.pop(tx_hash, None)  # the newest reason, at the newest place
        self.rejected[tx_hash] = reason
        self._note(tx_hash, reason)
        while len(self.rejected) > self.max_records:
            self.rejected.popitem(last=False)

    def left_unincluded(self, mempool: Mempool) -> list[tuple[bytes, str]]:
        """Admitted transactions that left the pool without being included, with the reason (now recorded)."""
        out = []
        for h in [h for h in self.submitted if h not in mempool]:
            del self.submitted[h]
            if h not in self.transactions:
                reason = mempool.drop_reasons.pop(h, None) or UNINCLUDED
                self.reject(h, reason)
                out.append((h, reason))
        return out

    def admit(self, mempool: Mempool, tx: SignedTransaction, head: BeaconState) -> bytes:
        """`node.admission.admit` with the bookkeeping: a refusal is recorded under the transaction's hash (when it
        has one and is not known otherwise) and re-raised; an admission is noted as pending."""
        try:
            tx_hash = admit(mempool, tx, head)
        except MempoolError as exc:
            self._refused(mempool, tx, exc)
            raise
        self._admitted(tx_hash)
        return tx_hash

    def admit_many(
        self, mempool: Mempool, txs: Sequence[SignedTransaction], head: BeaconState, *, threads: int | None = None
    ) -> list[bytes | MempoolError]:
        """`node.admission.admit_many` (the signatures verified together, over `threads` threads) with `admit`'s
        bookkeeping for each: its hash, or its refusal (recorded, returned, not raised)."""
        results = admit_many(mempool, txs, head, threads=threads)
        for tx, result in zip(txs, results, strict=True):
            if isinstance(result, MempoolError):
                self._refused(mempool, tx, result)
            else:
                self._admitted(result)
        return results

    def _refused(self, mempool: Mempool, tx: SignedTransaction, exc: MempoolError) -> None:
        try:
            refused = tx.hash()
        except (OverflowError, ValueError, TypeError):  # not encodable: no hash to report it under
            return
        if refused not in self.transactions and refused not in mempool:
            self.reject(refused, str(exc))

    def _admitted(self, tx_hash: bytes) -> None:
        self._forget_rejection(tx_hash)
        self.submitted[tx_hash] = None
        while len(self.submitted) > self.max_records:
            self.submitted.popitem(last=False)
        self.admitted += 1
