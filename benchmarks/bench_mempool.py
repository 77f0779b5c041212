"""The mempool when full: the cost of an admission that evicts, and of a slot's prune (issue #12 item 5).

Fills a pool to its bound with transfers from many senders (consecutive nonces, fees spread over 50 values),
then times admissions that each evict the cheapest transaction (a heap with lazy deletion: O(log n)), and the
prune a slot runs (used nonces, then the gap-expiry schedule). Signatures are taken as checked
(`signature_checked=True`): their cost, ~40 µs each, is the same with any pool and is measured by
bench_transfers.py.

    .venv/bin/python benchmarks/bench_mempool.py [SENDERS] [PER_SENDER]
"""

from __future__ import annotations

import sys
import time

from stakework.crypto.ed25519 import devnet_account_key
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET
from stakework.transition.block.transaction import SignedTransaction, Transaction, Transfer
from stakework.transition.genesis import devnet_genesis

NEWCOMERS = 1000


def _tx(key_index: int, nonce: int, fee: int) -> SignedTransaction:
    key = devnet_account_key(key_index)
    return SignedTransaction(Transaction(key.public_key, nonce, fee, Transfer(b"\x01" * 20, 10**6)), b"\x00" * 64)


def main(senders: int = 1600, per_sender: int = 63) -> None:
    state = devnet_genesis(DEVNET, 8, funded_accounts=senders + NEWCOMERS, account_balance=10**12)
    pool = Mempool(max_transactions=senders * per_sender)
    start = time.perf_counter()
    for nonce in range(per_sender):
        for i in range(senders):
            pool.add(_tx(i, nonce, 1000 + (7 * i + nonce) % 50), state, signature_checked=True)
    fill = time.perf_counter() - start
    newcomers = [_tx(senders + j, 0, 5000) for j in range(NEWCOMERS)]
    start = time.perf_counter()
    for tx in newcomers:
        pool.add(tx, state, signature_checked=True)
    evict = (time.perf_counter() - start) / NEWCOMERS
    start = time.perf_counter()
    pool.prune(state, 1)
    prune = time.perf_counter() - start
    start = time.perf_counter()
    expired = pool.prune(state, 1 + pool.gap_lifetime_slots)
    sweep = time.perf_counter() - start
    print(f"pool of {len(pool):,} ({senders:,} senders x {per_sender} nonces), filled in {fill:.1f} s")
    print(f"  admission that evicts : {evict * 1e6:8.0f} µs each ({NEWCOMERS:,} newcomers)")
    print(f"  prune, a slot         : {prune * 1e3:8.1f} ms")
    print(f"  prune, gap expiry due : {sweep * 1e3:8.1f} ms ({expired:,} expired behind the gaps evictions opened)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
