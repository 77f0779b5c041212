"""Signed transfers committed per second through block production and import (issue #16 target: ≥ 10,000/s with
1,000,000 funded accounts).

Pre-signs N transfers from S sender accounts (real Ed25519 keys) to random accounts among M funded ones, then
times the node's path for them: mempool admission (`node.admission.admit_many`, the batch path: shape, fee,
signature, nonce, balance and payload checks, the batch's signatures verified on `--verify-threads` threads), block
production (selection, applying the transactions, the state root), and block import (the full state transition;
signatures the mempool verified are not verified twice) — the same `Chain`, `Mempool` and `ValidatorClient` a
devnet runs. The state copies a node makes (the head state advanced to the slot; the parent's post-state before
an import) are inside the timings, and printed apart. Baseline measured in the same run: one bare Ed25519
verification per transaction, the floor for a path that verifies each signature once (in one thread). The CPU
time the process used (all its threads) is printed beside the wall-clock times: on a machine shared with other
work it tells how much of a core the run got.

    .venv/bin/python benchmarks/bench_transfers.py [N] [--accounts M] [--senders S] [--validators V]
        [--verify-threads T] [--admit-batch B]

`--verify-threads 1` verifies one signature after another in the calling thread (the path of a single `admit`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import tempfile
import time
from pathlib import Path

from stakework.crypto import ed25519
from stakework.crypto.bls import devnet_secret_key
from stakework.crypto.ed25519 import AccountKey
from stakework.crypto.slashing_protection import SlashingProtection
from stakework.node.admission import admit_many
from stakework.node.chain import Chain
from stakework.node.mempool import Mempool
from stakework.node.validator import ValidatorClient
from stakework.spec.presets import DEVNET
from stakework.state.root import hash_state
from stakework.transition.block.transaction import Transaction, Transfer, sign_transaction, transaction_signing_message
from stakework.transition.genesis import devnet_genesis


def _address(i: int) -> bytes:
    return hashlib.sha256(b"bench transfers account " + i.to_bytes(8, "little")).digest()[-20:]


def main(
    n: int,
    accounts: int,
    senders: int,
    validators: int,
    governed_fees: bool = False,
    verify_threads: int = ed25519.VERIFY_THREADS,
    admit_batch: int = 1024,
) -> None:
    t0 = time.perf_counter()
    genesis = devnet_genesis(DEVNET, validators, modules=governed_fees)
    if governed_fees:  # governance moved a module fee off the preset's: the fee settings are a preset of their own
        genesis.modules.get("fees").MODULE_MIN_FEE += 1
    keys = [
        AccountKey.from_seed(hashlib.sha256(b"bench transfers key " + i.to_bytes(8, "little")).digest())
        for i in range(senders)
    ]
    for k in keys:
        genesis.accounts.credit(k.address, 10**18)
    for i in range(accounts - senders):
        genesis.accounts.credit(_address(i), 10**12)
    txs = []
    for j in range(n):
        k = keys[j % senders]
        to = _address((j * 7919) % max(1, accounts - senders))
        txs.append(sign_transaction(genesis, Transaction(k.public_key, j // senders, 1000, Transfer(to, 10**6)), k))
    setup_s = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    for tx in txs:
        ed25519.verify(tx.transaction.sender, transaction_signing_message(genesis, tx.transaction), tx.signature)
    verify_s, verify_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    hash_state(genesis)
    root_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    genesis.copy()  # as the node copies a state: hashed, with its commitment's cache
    copy_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        protection = SlashingProtection(Path(tmp) / "sp.sqlite", genesis.genesis_validators_root)
        client = ValidatorClient({i: devnet_secret_key(i) for i in range(validators)}, protection)
        chain = Chain(genesis)
        pool = Mempool(max_transactions=n + 1, max_nonce_gap=n)
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, n, admit_batch):
            for result in admit_many(pool, txs[i : i + admit_batch], genesis, threads=verify_threads):
                if not isinstance(result, bytes):
                    raise SystemExit(f"admission refused a transfer: {result}")
        admit_s, admit_cpu = time.perf_counter() - t0, time.process_time() - c0
        c0 = time.process_time()
        committed = 0
        advance_s = produce_s = import_s = 0.0
        slot = 0
        while committed < n:
            slot += 1
            t1 = time.perf_counter()
            state = chain.state_at_slot(slot)
            t2 = time.perf_counter()
            block = client.propose(state, [], pool.select(state, state.preset.MAX_TRANSACTIONS_PER_BLOCK))
            t3 = time.perf_counter()
            if block is None:
                raise SystemExit(f"slot {slot}: no block proposed")
            chain.import_block(block, current_slot=slot, verified_transactions=pool.verified)
            pool.prune(chain.head_state)
            t4 = time.perf_counter()
            advance_s += t2 - t1
            produce_s += t3 - t2
            import_s += t4 - t3
            committed += len(block.message.body.transactions)
        protection.close()
        blocks_cpu = time.process_time() - c0
    total = admit_s + advance_s + produce_s + import_s
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{n:,} transfers in {slot} blocks ({senders:,} senders, {accounts:,} funded accounts, {validators} "
        f"validators, devnet preset{', governed fees' if governed_fees else ''}); set-up {setup_s:.1f} s; "
        f"admission in batches of {admit_batch}, signatures on {verify_threads} thread(s); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  mempool admission      : {admit_s:6.2f} s  ({n / admit_s:8,.0f}/s; CPU {admit_cpu:.2f} s, all threads: "
        f"{admit_cpu / admit_s:.2f} of a core)"
    )
    print(f"  head state to the slot : {advance_s:6.2f} s  (state copies: one takes {copy_s * 1000:.1f} ms here)")
    print(f"  block production       : {produce_s:6.2f} s  ({n / produce_s:8,.0f}/s)")
    print(f"  block import           : {import_s:6.2f} s  ({n / import_s:8,.0f}/s)")
    print(f"  end to end             : {total:6.2f} s  ({n / total:8,.0f} committed/s)")
    cpu = admit_cpu + blocks_cpu
    print(
        f"  CPU time               : {cpu:6.2f} s  ({cpu / n * 1e6:.0f} µs a transfer: admission "
        f"{admit_cpu / n * 1e6:.0f}, the blocks {blocks_cpu / n * 1e6:.0f}); this process got {cpu / total:.2f} of a "
        "core on average"
    )
    print(
        f"  baseline: one Ed25519 verify per tx {verify_s:5.2f} s ({n / verify_s:,.0f}/s; CPU "
        f"{verify_cpu / n * 1e6:.0f} µs a transfer); "
        f"the node path costs {total / verify_s:.1f}× that"
    )
    print(f"  one state root {root_s * 1000:.0f} ms; peak memory {rss:,.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000, help="transfers to commit")
    parser.add_argument("--accounts", type=int, default=1_000_000, help="funded accounts in the state")
    parser.add_argument("--senders", type=int, default=2_000, help="accounts that send")
    parser.add_argument("--validators", type=int, default=64)
    parser.add_argument(
        "--governed-fees", action="store_true", help="a chain whose governance set a module fee (the fees module)"
    )
    parser.add_argument(
        "--verify-threads",
        type=int,
        default=ed25519.VERIFY_THREADS,
        help="threads a batch's signatures are verified on at admission (1: one after another)",
    )
    parser.add_argument("--admit-batch", type=int, default=1024, help="transactions per admission batch")
    args = parser.parse_args()
    if not 0 < args.senders <= args.accounts:
        parser.error("--senders must be from 1 to --accounts")
    if args.verify_threads < 1 or args.admit_batch < 1:
        parser.error("--verify-threads and --admit-batch must be at least 1")
    main(
        args.n,
        args.accounts,
        args.senders,
        args.validators,
        args.governed_fees,
        args.verify_threads,
        args.admit_batch,
    )
