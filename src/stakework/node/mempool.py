"""The transaction pool: validated, signature-checked transactions waiting for a block, ordered by sender nonce
and bounded in size.

Admission (`add`; the node's full admission path, `node.admission.admit`, runs the stateful checks of each
payload before it): well-formed on the wire (`check_wire_shape`), not too large, paying at least `least_fee`,
signed by its sender for this chain, nonce not below the sender's current nonce and at most `max_nonce_gap`
ahead, and the sender's balance covers the cost (amount + fee) of this and its other pending transactions, so a
sender without money is refused. A transaction with the same sender and nonce as a pooled one replaces it only
with a strictly higher fee (the balance check then counts the new one instead of the replaced one). When the
pool is full, the lowest-fee transaction is evicted if the newcomer pays more (among equal fees the latest
arrival goes first: the earlier keeps its place); otherwise the newcomer is refused. Eviction takes O(log n): a
min-heap by (fee, latest arrival) with lazy deletion, compacted when stale entries outnumber live ones.

Time: the pool knows the slot the node last pruned at (`prune(state, slot)`); no clock is read. A transaction
behind a nonce gap (a nonce of its sender below it missing from the pool: no block can take it) expires if it is
still behind a gap `gap_lifetime_slots` slots after it arrived so, or after the gap opened (a lower nonce dropped
or evicted), with a reason the API reports. Only such transactions are scheduled: the check costs nothing for the
others.

Selection for a block: for each sender, the run of consecutive nonces starting at its current nonce, while its
balance covers them; across senders, highest fee first (ties by arrival). Selected transactions have been
verified here once (`verified`: the pending hashes); block import still verifies every signature of a block it
did not build (the transition trusts nothing).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from stakework.crypto import ed25519
from stakework.modules.registry import message_spend
from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    InvalidTransaction,
    SignedTransaction,
    Stake,
    Transfer,
    chain_least_fee,
    check_wire_shape,
    transaction_signing_message,
)

MAX_TRANSACTION_BYTES = 4096
"""A transaction's encoded size limit (a stake with its BLS signature is about 300 bytes)."""
GAP_LIFETIME_SLOTS = 64
"""Slots a transaction may wait behind a nonce gap (a lower nonce of its sender missing from the pool) before it
expires: such a transaction cannot go into any block until the gap is filled, and without a bound a sender could
fill the pool with them for good."""


class MempoolError(StakeworkError):
    """A transaction the pool refuses; the message says why."""


@dataclass(frozen=True)
class _Entry:
    fee: int
    arrival: int
    tx: SignedTransaction
    tx_hash: bytes
    size: int
    cost: int


def transaction_cost(tx: SignedTransaction) -> int:
    """What the transaction takes from the sender's account: fee, plus the amount of a transfer or a stake, or
    what its module says a module message spends (a pool deposit, a liquid stake; most move shares, not SWK)."""
    payload = tx.transaction.payload
    amount = payload.amount if isinstance(payload, Transfer | Stake) else message_spend(payload)
    return amount + tx.transaction.fee


MAX_DROP_REASONS = 10_000


class Mempool:
    """Pending transactions by sender address and nonce."""

    def __init__(
        self,
        *,
        max_transactions: int = 100_000,
        max_nonce_gap: int = 64,
        gap_lifetime_slots: int = GAP_LIFETIME_SLOTS,
    ) -> None:
        self.max_transactions = max_transactions
        self.max_nonce_gap = max_nonce_gap
        self.gap_lifetime_slots = gap_lifetime_slots
        self._by_sender: dict[bytes, dict[int, _Entry]] = {}
        self._by_hash: dict[bytes, tuple[bytes, int]] = {}
        self._pending_cost: dict[bytes, int] = {}
        self._arrivals = itertools.count()
        self._cheapest: list[tuple[int, int, bytes]] = []
        """Min-heap of (fee, -arrival, hash): the eviction order. Entries of transactions gone are skipped."""
        self._expiry: deque[tuple[int, int, bytes]] = deque()
        """(slot at which to look again, arrival, hash) in slot order: the gap expiry schedule."""
        self.slot = 0
        """The slot the pool last heard of (`prune`), its only notion of time."""
        self.drop_reasons: OrderedDict[bytes, str] = OrderedDict()
        """Why recently removed transactions left the pool unincluded (bounded), for the API to report."""
        self.verified: set[bytes] = set()
        """Hashes of pending transactions whose signatures this pool verified (block import need not verify them
        again); a transaction leaves it when it leaves the pool."""

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self._by_hash

    def add(self, tx: SignedTransaction, state: BeaconState, *, signature_checked: bool = False) -> bytes:
        """Admit `tx` against `state` (the head state); returns its hash or raises MempoolError.
        `signature_checked`: the caller has verified the signature against this chain already."""
        try:
            check_wire_shape(tx)
        except InvalidTransaction as exc:
            raise MempoolError(str(exc)) from None
        encoded = msgspec.msgpack.encode(tx)
        if len(encoded) > MAX_TRANSACTION_BYTES:
            raise MempoolError(f"transaction is {len(encoded)} bytes, over the {MAX_TRANSACTION_BYTES}-byte limit")
        t = tx.transaction
        if t.fee < (least := chain_least_fee(state, t.payload)):
            raise MempoolError(
                f"{t.payload.__struct_config__.tag}: fee {t.fee} Gwei is below the {least} Gwei this transaction "
                "pays (MIN_TRANSACTION_FEE; a module message: a base fee, plus one per validator key, plus one for a "
                "new pool)"
            )
        tx_hash = hashlib.sha256(encoded).digest()  # tx.hash(), from the encoding made above
        if tx_hash in self._by_hash:
            raise MempoolError(f"transaction 0x{tx_hash.hex()} is already pending")
        if not signature_checked and not ed25519.verify(t.sender, transaction_signing_message(state, t), tx.signature):
            raise MempoolError("bad signature: the transaction is not signed by its sender for this chain")
        sender = ed25519.address_of(t.sender)
        balance = state.accounts.balance(sender)
        if balance == 0:
            raise MempoolError(
                f"the sender 0x{sender.hex()} has no balance: every transaction pays its fee from the sender's account"
            )
        account_nonce = state.accounts.nonce(sender)
        if t.nonce < account_nonce:
            raise MempoolError(f"nonce {t.nonce} is already used (the sender's next nonce is {account_nonce})")
        if t.nonce > account_nonce + self.max_nonce_gap:
            raise MempoolError(
                f"nonce {t.nonce} is too far ahead of the sender's next nonce {account_nonce} "
                f"(at most {self.max_nonce_gap} ahead)"
            )
        queue = self._by_sender.get(sender, {})
        existing = queue.get(t.nonce)
        cost = transaction_cost(tx)
        pending_cost = self._pending_cost.get(sender, 0) - (existing.cost if existing else 0)
        if balance < pending_cost + cost:
            raise MempoolError(
                f"insufficient balance for this and the sender's other pending transactions: needs "
                f"{pending_cost + cost} Gwei (amounts + fees), has {balance}"
            )
        if existing is not None:
            if t.fee <= existing.fee:
                raise MempoolError(f"nonce {t.nonce} is pending with fee {existing.fee}; a replacement must pay more")
            self._drop(sender, t.nonce)
            self._note(existing.tx_hash, f"replaced by 0x{tx_hash.hex()}, which pays a higher fee for the same nonce")
        elif len(self._by_hash) >= self.max_transactions:
            cheapest = self._peek_cheapest()
            if cheapest is None or cheapest.fee >= t.fee:
                raise MempoolError(f"the pool is full ({self.max_transactions}) and this fee does not outbid any")
            self.remove(cheapest.tx_hash, f"evicted from the full pool by a transaction paying a fee above {t.fee - 1}")
        entry = _Entry(t.fee, next(self._arrivals), tx, tx_hash, len(encoded), cost)
        self._by_sender.setdefault(sender, {})[t.nonce] = entry  # a drop may have removed the sender's queue
        self._by_hash[tx_hash] = (sender, t.nonce)
        self._pending_cost[sender] = self._pending_cost.get(sender, 0) + cost
        heapq.heappush(self._cheapest, (entry.fee, -entry.arrival, tx_hash))
        # equivalent mutant (cmp > to >=): t.nonce is in the queue now, and _first_gap returns a nonce missing from it
        if t.nonce > self._first_gap(state, sender):  # behind a gap: its expiry clock starts now
            self._expiry.append((self.slot + self.gap_lifetime_slots, entry.arrival, tx_hash))
        self.verified.add(tx_hash)
        return tx_hash

    def _live(self, tx_hash: bytes, arrival: int) -> _Entry | None:
        """The pending entry of `tx_hash` if it is the one that arrived as `arrival`."""
        where = self._by_hash.get(tx_hash)
        if where is None:
            return None
        entry = self._by_sender[where[0]][where[1]]
        return entry if entry.arrival == arrival else None

    def _peek_cheapest(self) -> _Entry | None:
        """The eviction candidate: lowest fee, latest arrival among equal fees (stale heap entries dropped)."""
        heap = self._cheapest
        # equivalent mutant (cmp > to >=|const 2 to|const 64 to): only times the stale-entry purge; the loop skips them
        # equivalent mutant (op * to //|op + to -): likewise only times the purge of stale entries (the loop skips them)
        if len(heap) > 2 * len(self._by_hash) + 64:  # mostly stale: rebuild from the live entries (amortised)
            heap[:] = [(e.fee, -e.arrival, e.tx_hash) for q in self._by_sender.values() for e in q.values()]
            heapq.heapify(heap)
        while heap:
            _, neg_arrival, tx_hash = heap[0]
            entry = self._live(tx_hash, -neg_arrival)
            if entry is not None:
                return entry
            heapq.heappop(heap)
        return None

    def _drop(self, sender: bytes, nonce: int) -> None:
        queue = self._by_sender.get(sender)
        # equivalent mutant (or to and): every caller passes a pending (sender, nonce), so both operands are false
        if not queue or nonce not in queue:
            return
        entry = queue.pop(nonce)
        self._by_hash.pop(entry.tx_hash, None)
        self.verified.discard(entry.tx_hash)
        self._pending_cost[sender] -= entry.cost
        if not queue:
            del self._by_sender[sender]
            del self._pending_cost[sender]

    def _note(self, tx_hash: bytes, reason: str) -> None:
        self.drop_reasons[tx_hash] = reason
        while len(self.drop_reasons) > MAX_DROP_REASONS:
            self.drop_reasons.popitem(last=False)

    def remove(self, tx_hash: bytes, reason: str | None = None) -> bool:
        """Drop one pending transaction (e.g. it no longer applies, `reason` says why); False if it was not
        pending. The sender's later nonces are now behind a gap: their expiry clock starts."""
        return self._remove(tx_hash, reason, schedule_later=True)

    def _remove(self, tx_hash: bytes, reason: str | None, *, schedule_later: bool) -> bool:
        where = self._by_hash.get(tx_hash)
        if where is None:
            return False
        sender, nonce = where
        self._drop(sender, nonce)
        if reason is not None:
            self._note(tx_hash, reason)
        if schedule_later:
            due = self.slot + self.gap_lifetime_slots
            for later in self._by_sender.get(sender, {}).values():  # at most max_nonce_gap + 1 of them
                # equivalent mutant (cmp > to >=): `nonce` has just left the queue, so no later entry has it
                if later.tx.transaction.nonce > nonce:
                    self._expiry.append((due, later.arrival, later.tx_hash))
        return True

    def select(self, state: BeaconState, limit: int) -> list[SignedTransaction]:
        """Up to `limit` transactions valid in sequence on `state` (see the module docstring)."""
        runs: dict[bytes, list[_Entry]] = {}
        for sender, queue in self._by_sender.items():
            nonce = state.accounts.nonce(sender)
            balance = state.accounts.balance(sender)
            run = []
            while nonce in queue and balance >= queue[nonce].cost:
                balance -= queue[nonce].cost
                run.append(queue[nonce])
                nonce += 1
            if run:
                runs[sender] = run
        heap = [(-run[0].fee, run[0].arrival, sender, 0) for sender, run in runs.items()]
        heapq.heapify(heap)
        out: list[SignedTransaction] = []
        while heap and len(out) < limit:
            _, _, sender, i = heapq.heappop(heap)
            run = runs[sender]
            out.append(run[i].tx)
            if i + 1 < len(run):
                heapq.heappush(heap, (-run[i + 1].fee, run[i + 1].arrival, sender, i + 1))
        return out

    def _first_gap(self, state: BeaconState, sender: bytes) -> int:
        """The sender's lowest nonce, from its next one on, missing from the pool: nonces above it are gapped."""
        queue = self._by_sender.get(sender, {})
        nonce = state.accounts.nonce(sender)
        while nonce in queue:
            nonce += 1
        return nonce

    def prune(self, state: BeaconState, slot: int | None = None) -> int:
        """At `slot` (default `state.slot`), with `state` the head state: drop transactions whose nonce the chain
        has used (included, or replaced by another) and those that waited `gap_lifetime_slots` behind a nonce
        gap (with the reason). Returns how many were dropped."""
        self.slot = max(self.slot, state.slot if slot is None else slot)
        dropped = 0
        for sender in list(self._by_sender):
            used = state.accounts.nonce(sender)
            for nonce in [n for n in self._by_sender.get(sender, {}) if n < used]:
                self._drop(sender, nonce)
                dropped += 1
        expiry = self._expiry
        first_gap: dict[bytes, int] = {}  # per sender, for this pass (what it drops lies above the gap: it stays)
        while expiry and expiry[0][0] <= self.slot:
            _, arrival, tx_hash = expiry.popleft()
            entry = self._live(tx_hash, arrival)
            if entry is None:
                continue
            sender, nonce = self._by_hash[tx_hash]
            if sender not in first_gap:
                first_gap[sender] = self._first_gap(state, sender)
            # equivalent mutant (cmp > to >=): a live nonce is in the queue, the gap is not (the pass adds nothing)
            if nonce > first_gap[sender]:  # the nonces above it are behind the gap too, and scheduled already
                self._remove(
                    tx_hash,
                    f"expired: nonce {nonce} waited {self.gap_lifetime_slots} slots behind a nonce gap (the sender's "
                    f"next nonce is {state.accounts.nonce(sender)}; send the missing nonces first)",
                    schedule_later=False,
                )
                dropped += 1
            # else executable now: off the schedule until a lower nonce is dropped (`remove` puts it back)
        return dropped

    def has_pending(self, sender: bytes) -> bool:
        """Whether the account `sender` (20-byte address) has transactions in the pool."""
        return bool(self._by_sender.get(sender))

    def pending(self) -> Iterable[SignedTransaction]:
        """Every pending transaction, each sender's in nonce order."""
        for queue in self._by_sender.values():
            for nonce in sorted(queue):
                yield queue[nonce].tx
