"""The API's window on a running node, shared between the slot loop and the HTTP server's thread.

The slot loop holds `lock` while it mutates the chain and the mempool (`run_devnet(lock=...)`) and calls
`on_slot` after each slot; request handlers take the lock briefly and copy what they return. The view also keeps
what the chain does not: an index of recent transactions by hash, the reasons transactions were rejected, a
bounded per-epoch balance history (reward history), the event subscribers and the metrics counters.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.api.errors import ApiError
from stakework.node.chain import Chain, GenesisInfo
from stakework.node.mempool import Mempool, MempoolError
from stakework.node.metrics import BLOCK_IMPORT_BUCKETS, Histogram, time_imports
from stakework.node.rewards import RewardHistory
from stakework.node.storage import ChainStore
from stakework.node.txindex import TransactionIndex, TxRecord
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import SignedTransaction

HISTORY_BYTES = 128 * 2**20
"""Memory the per-epoch balance history may use (fewer epochs are kept for large registries)."""
TOPICS = frozenset({"head", "block", "finalized_checkpoint", "transaction"})


class _Subscriber:
    """One SSE client: its topics and its queue on the server's event loop (written thread-safely)."""

    def __init__(self, topics: frozenset[str], loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.topics = topics
        self.loop = loop
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(limit)

    def offer(self, item: tuple[str, dict[str, Any]]) -> None:
        """Queue an event; a client too slow to keep `limit` events drops the newest (it will see the next)."""
        if not self.queue.full():
            self.queue.put_nowait(item)


BATCH_VERIFY_THREADS = 2
"""Threads a submitted batch's signatures are verified on: libsodium releases the GIL, and with two free cores the
benchmark's path at a million accounts commits 11,953 transfers/s against 8,861 on one thread; on a loaded machine a
second thread gains nothing and costs ~5 % (docs/performance.md, transfers)."""


API_REPLAY_BURST = 64
"""Block replays the API may spend at once on states the node does not hold (a rebuild costs at most an epoch of
them: 31 on mainnet's 32-slot epochs)."""
API_REPLAYS_PER_MINUTE = 64
"""...and per minute after that, for every client together: at a million validators a replay costs 10-30 ms, so
old-state reads take at most ~2 s of CPU a minute, and the slot loop (which waits for the view's lock) at most as
long. A read over the budget gets 503 with Retry-After (see `NodeView.read_state`)."""


class ReplayBudget:
    """A token bucket of block replays (`burst` at most, `per_minute` coming back), by `clock`."""

    def __init__(self, burst: int, per_minute: float, clock: Callable[[], float]) -> None:
        if burst < 1 or per_minute <= 0:
            raise ValueError(
                f"a replay budget needs a burst of at least 1 and a positive rate, not {burst}, {per_minute}"
            )
        self.burst = burst
        self.per_second = per_minute / 60.0
        self.clock = clock
        self.tokens = float(burst)
        self._at = clock()
        self.spent = 0
        """Replays granted so far."""
        self.refused = 0
        """Reads refused for want of budget."""

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self._at) * self.per_second)
        self._at = now

    def take(self, replays: int) -> float:
        """Spend `replays` (at most `burst` are asked for: a larger cost is capped); returns 0 when granted, else
        the seconds until they would be."""
        need = min(replays, self.burst)
        self._refill()
        if self.tokens >= need:
            self.tokens -= need
            self.spent += replays
            return 0.0
        self.refused += 1
        return (need - self.tokens) / self.per_second


class NodeView:
    """Thread-safe access to one node's chain and mempool for the API (see the module docstring)."""

    def __init__(
        self,
        chain: Chain,
        mempool: Mempool,
        genesis: GenesisInfo | BeaconState,
        *,
        data_dir: Path | None = None,
        seconds_per_slot: float = 1.0,
        history_epochs: int = 256,
        max_tx_records: int = 200_000,
        lock: threading.RLock | None = None,
        clock: Callable[[], float] = time.time,
        verify_threads: int = BATCH_VERIFY_THREADS,
        replay_budget: ReplayBudget | None = None,
    ) -> None:
        if verify_threads < 1:
            raise ValueError(f"verify_threads must be at least 1, not {verify_threads}")
        self.verify_threads = verify_threads
        """Threads a submitted batch's Ed25519 signatures are verified on (`submit_many`)."""
        self.lock = lock if lock is not None else threading.RLock()
        self.chain = chain
        self.mempool = mempool
        self.genesis = genesis if isinstance(genesis, GenesisInfo) else GenesisInfo.of(genesis)
        """What the API needs of the genesis state, not the state (issue #16: it goes with finality)."""
        self.replay_budget = (
            replay_budget
            if replay_budget is not None
            else ReplayBudget(API_REPLAY_BURST, API_REPLAYS_PER_MINUTE, time.monotonic)
        )
        """What API reads of states the chain does not hold may cost (`read_state`)."""
        self._built: weakref.WeakValueDictionary[bytes, BeaconState] = weakref.WeakValueDictionary()
        """States rebuilt for API reads, while a request still uses them (a second read of one is free then)."""
        self.data_dir = data_dir
        self.seconds_per_slot = seconds_per_slot
        self.clock = clock
        self.started = clock()
        self.max_tx_records = max_tx_records
        self.index = TransactionIndex(max_tx_records)
        """Where transactions went, why refused ones were refused (`node.txindex`; kept in the chain database)."""
        if chain.store is not None:
            self.index.attach(chain.store)
        self.transactions = self.index.transactions
        self.rejected = self.index.rejected
        validators = max(1, len(chain.head_state.validators))
        self.history_epochs = max(8, min(history_epochs, HISTORY_BYTES // (8 * validators)))
        self.rewards = RewardHistory(self.history_epochs, chain.store)
        """The reward history (`node.rewards`; kept in the chain database, so a restart keeps it)."""
        self.balance_history: deque[tuple[int, npt.NDArray[np.uint64]]] = self.rewards.entries
        self.block_import = Histogram(BLOCK_IMPORT_BUCKETS)
        self.peers = 0
        self._subscribers: list[_Subscriber] = []
        self._sub_lock = threading.Lock()
        self._last_head = chain.head_root
        self._last_finalized = chain.forkchoice.finalized_checkpoint.epoch
        self._state_roots: dict[bytes, bytes] = {}
        self._wrap_import()
        self._index_blocks()
        self._record_balances()

    # -- called by the node -------------------------------------------------------------------------------
    def _wrap_import(self) -> None:
        """Time every block import (for the histogram; `node.metrics.time_imports`)."""
        time_imports(self.chain, self.block_import)

    def _index_blocks(self) -> list[tuple[bytes, TxRecord]]:
        """Index transactions of blocks not seen before; returns the new ones."""
        return self.index.index_blocks(self.chain.blocks)

    @property
    def transactions_included(self) -> int:
        return self.index.included

    @property
    def transactions_submitted(self) -> int:
        return self.index.admitted

    def _record_balances(self) -> None:
        head = self.chain.head_state
        self.rewards.record(head.current_epoch(), head.validators.balances)

    def on_slot(self, slot: int) -> None:
        """After each slot (called by the slot loop, outside or inside the lock): index new transactions,
        record balances at epoch starts, publish events."""
        events: list[tuple[str, dict[str, Any]]] = []
        with self.lock:
            chain = self.chain
            head_root = chain.head_root
            head = chain.states[head_root]
            spe = head.preset.SLOTS_PER_EPOCH
            for h, record in self._index_blocks():
                events.append(("transaction", self._tx_event(h, "included", record)))
            for h, reason in self.index.left_unincluded(self.mempool):
                events.append(("transaction", {"hash": _hex(h), "status": "rejected", "reason": reason}))
            self.index.flush()
            if head_root != self._last_head:
                self._last_head = head_root
                block = chain.blocks.get(head_root)
                state_root = block.message.state_root if block is not None else b"\x00" * 32
                events.append(
                    ("block", {"slot": str(head.slot), "block": _hex(head_root), "execution_optimistic": False})
                )
                events.append(
                    (
                        "head",
                        {
                            "slot": str(head.slot),
                            "block": _hex(head_root),
                            "state": _hex(state_root),
                            "epoch_transition": head.slot % spe == 0,
                            "previous_duty_dependent_root": _hex(_dependent_root(head, head.current_epoch() - 1)),
                            "current_duty_dependent_root": _hex(_dependent_root(head, head.current_epoch())),
                            "execution_optimistic": False,
                        },
                    )
                )
            finalized = chain.forkchoice.finalized_checkpoint
            if finalized.epoch > self._last_finalized:
                self._last_finalized = finalized.epoch
                fblock = chain.blocks.get(finalized.root)
                events.append(
                    (
                        "finalized_checkpoint",
                        {
                            "block": _hex(finalized.root),
                            "state": _hex(fblock.message.state_root if fblock else b"\x00" * 32),
                            "epoch": str(finalized.epoch),
                            "execution_optimistic": False,
                        },
                    )
                )
            self._record_balances()
        for topic, data in events:
            self.publish(topic, data)

    # -- transactions ---------------------------------------------------------------------------------------
    def submit(self, tx: SignedTransaction) -> bytes:
        """Admit a transaction into the mempool against the head state (`node.admission.admit`: every rule, one
        path); MempoolError (recorded) when refused, with the rule's reason."""
        with self.lock:
            tx_hash = self.index.admit(self.mempool, tx, self.chain.head_state)
        self.publish("transaction", {"hash": _hex(tx_hash), "status": "pending"})
        return tx_hash

    def submit_many(self, txs: Sequence[SignedTransaction]) -> list[bytes | MempoolError]:
        """`submit` for a batch, in order, with the same rules and refusals (`node.admission.admit_many`): the
        signatures are verified together over `verify_threads` threads. For each, its hash or its refusal."""
        with self.lock:
            results = self.index.admit_many(self.mempool, txs, self.chain.head_state, threads=self.verify_threads)
        for result in results:
            if not isinstance(result, MempoolError):
                self.publish("transaction", {"hash": _hex(result), "status": "pending"})
        return results

    def _reject(self, tx_hash: bytes, reason: str) -> None:
        self.index.reject(tx_hash, reason)

    def _tx_event(self, tx_hash: bytes, status: str, record: TxRecord) -> dict[str, Any]:
        return {
            "hash": _hex(tx_hash),
            "status": status,
            "slot": str(record.slot),
            "block": _hex(record.block_root),
            "index": str(record.index),
        }

    def transaction_status(self, tx_hash: bytes) -> dict[str, Any] | None:
        """`{"hash", "status", ...}` for a known transaction: pending, included, finalized (block at or below the
        finalized checkpoint's epoch start) or rejected with the reason; None when unknown."""
        with self.lock:
            record = self.transactions.get(tx_hash)
            finalized = self.chain.forkchoice.finalized_checkpoint
            spe = self.genesis.preset.SLOTS_PER_EPOCH
            if record is None and tx_hash in self.mempool:
                return {"hash": _hex(tx_hash), "status": "pending"}
            reason = self.rejected.get(tx_hash)
        if record is None and self.data_dir is not None and reason is None:
            record = self._stored_location(tx_hash)
        if record is not None:
            status = "finalized" if record.slot <= finalized.epoch * spe else "included"
            return self._tx_event(tx_hash, status, record)
        if reason is not None:
            return {"hash": _hex(tx_hash), "status": "rejected", "reason": reason}
        return None

    def _stored_location(self, tx_hash: bytes) -> TxRecord | None:
        """Older transactions: look them up in the data directory (a read-only connection of this thread)."""
        assert self.data_dir is not None
        try:
            store = ChainStore.open_readonly(self.data_dir, check=False)
        except Exception:  # the store may not exist (memory-only node) or be busy: unknown then
            return None
        try:
            loc = store.transaction_location(tx_hash)
        finally:
            store.close()
        return TxRecord(loc.block_root, loc.slot, loc.index) if loc is not None else None

    # -- events ---------------------------------------------------------------------------------------------
    def subscribe(self, topics: frozenset[str], loop: asyncio.AbstractEventLoop, limit: int = 1024) -> _Subscriber:
        """Register an SSE client on `loop`."""
        sub = _Subscriber(topics, loop, limit)
        with self._sub_lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: _Subscriber) -> None:
        """Forget an SSE client."""
        with self._sub_lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Send an event to every subscriber of `topic` (from any thread)."""
        with self._sub_lock:
            subs = [s for s in self._subscribers if topic in s.topics]
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, (topic, data))
            except RuntimeError:  # the client's loop is closed
                self.unsubscribe(sub)

    @property
    def subscriber_count(self) -> int:
        with self._sub_lock:
            return len(self._subscribers)

    # -- helpers --------------------------------------------------------------------------------------------
    def current_slot(self) -> int:
        """The wall-clock slot."""
        elapsed = self.clock() - self.genesis.genesis_time
        return max(0, int(elapsed // self.seconds_per_slot)) if self.seconds_per_slot > 0 else 0

    def genesis_root(self) -> bytes:
        """The genesis block root."""
        return self.genesis.root

    def read_state(self, root: bytes) -> BeaconState:
        """The post-state of block `root` (known to the chain) for an API read; call with the lock held.

        A state the chain holds (the head and its parent, the finalized and justified states, each epoch's first
        block's) is served as it is. Any other is rebuilt by replaying blocks (up to an epoch of them) within the
        API's replay budget (`replay_budget`, shared by every client), and not kept in the chain's cache, where it
        would evict the head or its parent; over the budget the read is refused: ApiError 503 with Retry-After,
        naming the states that are served at once."""
        cache = self.chain.cache
        state = cache.peek(root) or self._built.get(root)
        if state is not None:
            return state
        cost = cache.replays(root)
        wait = self.replay_budget.take(cost)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                503,
                f"the state of block 0x{root.hex()} is not held in memory and rebuilding it means replaying {cost} "
                f"block{'s' if cost != 1 else ''}, over this node's budget for such reads "
                f"({self.replay_budget.burst} replays, {round(self.replay_budget.per_second * 60)} more a minute): "
                f"retry in {seconds} s, or ask for a state the node holds: head or finalized (always), justified or "
                "an epoch's first slot (unless that slot had no block)",
                headers={"Retry-After": str(seconds)},
            )
        state = cache.build(root)
        self._built[root] = state
        return state

    def state_root_of(self, block_root: bytes, state: BeaconState) -> bytes:
        """The state root of the post-state of `block_root` (from the block, or hashed once for the anchor)."""
        block = self.chain.blocks.get(block_root)
        if block is not None:
            return block.message.state_root
        if block_root == self.genesis.root:
            return self.genesis.state_root
        cached = self._state_roots.get(block_root)
        if cached is None:
            from stakework.state.root import hash_state

            cached = hash_state(state)
            self._state_roots[block_root] = cached
        return cached


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _dependent_root(state: BeaconState, epoch: int) -> bytes:
    """Spec (beacon-API): the block root at the last slot of the epoch before `epoch` (duties depend on it)."""
    from stakework.transition.accessors import get_block_root_at_slot

    spe = state.preset.SLOTS_PER_EPOCH
    slot = max(0, epoch * spe - 1)
    if slot >= state.slot or state.slot - slot > state.preset.SLOTS_PER_HISTORICAL_ROOT:
        return state.latest_block_header.parent_root if slot >= state.slot else b"\x00" * 32
    return bytes(get_block_root_at_slot(state, slot))
