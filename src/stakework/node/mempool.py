"""The transaction pool: validated, signature-checked transactions waiting for a block, ordered by sender nonce
and bounded in size.

Admission: well-formed, not too large, signed by its sender for this chain, nonce not below the sender's
current nonce and not too far ahead, and the sender can pay amount + fee. A transaction with the same sender
and nonce as a pooled one replaces it only with a strictly higher fee. When the pool is full, the lowest-fee
transaction is evicted if the newcomer pays more; otherwise the newcomer is refused.

Selection for a block: for each sender, the run of consecutive nonces starting at its current nonce, while its
balance covers them; across senders, highest fee first (ties by arrival). Selected transactions have been
verified here once; block import still verifies every signature (the transition trusts nothing).
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from stakework.crypto import ed25519
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import Deposit as PoolDeposit
from stakework.modules.store import is_module_message
from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import SignedTransaction, Stake, Transfer, transaction_signing_message
from stakework.transition.modules import module_message_min_fee

MAX_TRANSACTION_BYTES = 4096
"""A transaction's encoded size limit (a stake with its BLS signature is about 300 bytes)."""


class MempoolError(StakeworkError):
    """A transaction the pool refuses; the message says why."""


@dataclass(frozen=True)
class _Entry:
    fee: int
    arrival: int
    tx: SignedTransaction
    tx_hash: bytes
    size: int


def _cost(tx: SignedTransaction) -> int:
    """What the transaction takes from the sender's account: fee, plus the amount of a transfer, a stake, a pool
    deposit or a liquid stake (other module messages move shares, not SWK)."""
    payload = tx.transaction.payload
    amount = payload.amount if isinstance(payload, Transfer | Stake | PoolDeposit | LiquidStake) else 0
    return amount + tx.transaction.fee


MAX_DROP_REASONS = 10_000


class Mempool:
    """Pending transactions by sender address and nonce."""

    def __init__(self, *, max_transactions: int = 100_000, max_nonce_gap: int = 64) -> None:
        self.max_transactions = max_transactions
        self.max_nonce_gap = max_nonce_gap
        self._by_sender: dict[bytes, dict[int, _Entry]] = {}
        self._by_hash: dict[bytes, tuple[bytes, int]] = {}
        self._pending_cost: dict[bytes, int] = {}
        self._arrivals = itertools.count()
        self.drop_reasons: OrderedDict[bytes, str] = OrderedDict()
        """Why recently removed transactions left the pool unincluded (bounded), for the API to report."""
        self.verified: set[bytes] = set()
        """Hashes of transactions whose signatures this pool verified (block import need not verify them again);
        bounded: cleared of transactions no longer pending when the chain moves on."""

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self._by_hash

    def add(self, tx: SignedTransaction, state: BeaconState) -> bytes:
        """Admit `tx` against `state` (the head state); returns its hash or raises MempoolError."""
        encoded = msgspec.msgpack.encode(tx)
        if len(encoded) > MAX_TRANSACTION_BYTES:
            raise MempoolError(f"transaction is {len(encoded)} bytes, over the {MAX_TRANSACTION_BYTES}-byte limit")
        t = tx.transaction
        if len(t.sender) != 32 or t.fee < 0 or t.nonce < 0:
            raise MempoolError("malformed transaction: sender must be 32 bytes, fee and nonce non-negative")
        if is_module_message(t.payload) and t.fee < (least := module_message_min_fee(t.payload)):
            raise MempoolError(
                f"{t.payload.__struct_config__.tag}: fee {t.fee} Gwei is below the {least} Gwei this message pays "
                "(a base fee, plus one per validator key, plus one for a new pool)"
            )
        tx_hash = tx.hash()
        if tx_hash in self._by_hash:
            raise MempoolError(f"transaction 0x{tx_hash.hex()} is already pending")
        if not ed25519.verify(t.sender, transaction_signing_message(state, t), tx.signature):
            raise MempoolError("bad signature: the transaction is not signed by its sender for this chain")
        sender = ed25519.address_of(t.sender)
        account_nonce = state.accounts.nonce(sender)
        if t.nonce < account_nonce:
            raise MempoolError(f"nonce {t.nonce} is already used (the sender's next nonce is {account_nonce})")
        if t.nonce > account_nonce + self.max_nonce_gap:
            raise MempoolError(f"nonce {t.nonce} is too far ahead of the sender's next nonce {account_nonce}")
        queue = self._by_sender.setdefault(sender, {})
        replaced = queue.get(t.nonce)
        pending_cost = self._pending_cost.get(sender, 0) - (_cost(replaced.tx) if replaced else 0)
        if state.accounts.balance(sender) < pending_cost + _cost(tx):
            raise MempoolError("insufficient balance for this and the sender's other pending transactions")
        existing = queue.get(t.nonce)
        if existing is not None:
            if t.fee <= existing.fee:
                raise MempoolError(f"nonce {t.nonce} is pending with fee {existing.fee}; a replacement must pay more")
            self._drop(sender, t.nonce)
        elif len(self._by_hash) >= self.max_transactions:
            cheapest = min((e for q in self._by_sender.values() for e in q.values()), key=lambda e: (e.fee, -e.arrival))
            if cheapest.fee >= t.fee:
                raise MempoolError(f"the pool is full ({self.max_transactions}) and this fee does not outbid any")
            s, n = self._by_hash[cheapest.tx_hash]
            self._drop(s, n)
        queue = self._by_sender.setdefault(sender, {})  # a drop may have removed the sender's (emptied) queue
        queue[t.nonce] = _Entry(t.fee, next(self._arrivals), tx, tx_hash, len(encoded))
        self._by_hash[tx_hash] = (sender, t.nonce)
        self._pending_cost[sender] = self._pending_cost.get(sender, 0) + _cost(tx)
        self.verified.add(tx_hash)
        return tx_hash

    def _drop(self, sender: bytes, nonce: int) -> None:
        queue = self._by_sender.get(sender)
        if not queue or nonce not in queue:
            return
        entry = queue.pop(nonce)
        self._by_hash.pop(entry.tx_hash, None)
        self._pending_cost[sender] -= _cost(entry.tx)
        if not queue:
            del self._by_sender[sender]
            del self._pending_cost[sender]

    def remove(self, tx_hash: bytes, reason: str | None = None) -> bool:
        """Drop one pending transaction (e.g. it no longer applies, `reason` says why); False if it was not
        pending."""
        where = self._by_hash.get(tx_hash)
        if where is None:
            return False
        self._drop(*where)
        if reason is not None:
            self.drop_reasons[tx_hash] = reason
            while len(self.drop_reasons) > MAX_DROP_REASONS:
                self.drop_reasons.popitem(last=False)
        return True

    def select(self, state: BeaconState, limit: int) -> list[SignedTransaction]:
        """Up to `limit` transactions valid in sequence on `state` (see the module docstring)."""
        runs: dict[bytes, list[_Entry]] = {}
        for sender, queue in self._by_sender.items():
            nonce = state.accounts.nonce(sender)
            balance = state.accounts.balance(sender)
            run = []
            while nonce in queue and balance >= _cost(queue[nonce].tx):
                balance -= _cost(queue[nonce].tx)
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

    def prune(self, state: BeaconState) -> int:
        """Drop transactions whose nonce the chain has used (included, or replaced by another). Returns how many.
        Signature verifications of transactions no longer pending are forgotten."""
        self.verified.intersection_update(self._by_hash)
        dropped = 0
        for sender in list(self._by_sender):
            used = state.accounts.nonce(sender)
            for nonce in [n for n in self._by_sender.get(sender, {}) if n < used]:
                self._drop(sender, nonce)
                dropped += 1
        return dropped

    def has_pending(self, sender: bytes) -> bool:
        """Whether the account `sender` (20-byte address) has transactions in the pool."""
        return bool(self._by_sender.get(sender))

    def pending(self) -> Iterable[SignedTransaction]:
        for queue in self._by_sender.values():
            for nonce in sorted(queue):
                yield queue[nonce].tx
