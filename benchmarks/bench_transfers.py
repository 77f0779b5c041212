"""Signed transfers committed per second through block production and import (DESIGN target: ≥ 5,000/s).

Pre-signs N transfers from many devnet accounts, then times the node's path for them: mempool admission
(signature, nonce, balance checks), block production (selection, the state root by applying the block),
and block import (the full state transition; signatures the mempool verified are not verified twice).
Baseline measured in the same run: one bare Ed25519 verification per transaction, the floor for a path that
verifies each signature once.

    .venv/bin/python benchmarks/bench_transfers.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from stakework.crypto import ed25519
from stakework.crypto.bls import devnet_secret_key
from stakework.crypto.ed25519 import devnet_account_key
from stakework.crypto.slashing_protection import SlashingProtection
from stakework.node.chain import Chain
from stakework.node.mempool import Mempool
from stakework.node.validator import ValidatorClient
from stakework.spec.presets import DEVNET
from stakework.transition.block.transaction import Transaction, Transfer, sign_transaction, transaction_signing_message
from stakework.transition.genesis import devnet_genesis


def main(n: int = 20_000, accounts: int = 200, validators: int = 64) -> None:
    genesis = devnet_genesis(DEVNET, validators, funded_accounts=accounts)
    keys = [devnet_account_key(i) for i in range(accounts)]
    txs = []
    for j in range(n):
        k = keys[j % accounts]
        to = keys[(j + 1) % accounts].address
        txs.append(sign_transaction(genesis, Transaction(k.public_key, j // accounts, 1000, Transfer(to, 10**6)), k))

    t0 = time.perf_counter()
    for tx in txs:
        ed25519.verify(tx.transaction.sender, transaction_signing_message(genesis, tx.transaction), tx.signature)
    verify_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        protection = SlashingProtection(Path(tmp) / "sp.sqlite", genesis.genesis_validators_root)
        client = ValidatorClient({i: devnet_secret_key(i) for i in range(validators)}, protection)
        chain = Chain(genesis)
        pool = Mempool(max_transactions=n + 1, max_nonce_gap=n)
        t0 = time.perf_counter()
        for tx in txs:
            pool.add(tx, genesis)
        admit_s = time.perf_counter() - t0
        committed = 0
        produce_s = import_s = 0.0
        slot = 0
        while committed < n:
            slot += 1
            state = chain.state_at_slot(slot)
            t1 = time.perf_counter()
            block = client.propose(state, [], pool.select(state, state.preset.MAX_TRANSACTIONS_PER_BLOCK))
            t2 = time.perf_counter()
            assert block is not None
            chain.import_block(block, current_slot=slot, verified_transactions=pool.verified)
            t3 = time.perf_counter()
            pool.prune(chain.head_state)
            produce_s += t2 - t1
            import_s += t3 - t2
            committed += len(block.message.body.transactions)
        protection.close()
    total = admit_s + produce_s + import_s
    print(f"{n:,} transfers in {slot} blocks ({accounts} senders, {validators} validators, devnet preset)")
    print(f"  mempool admission : {admit_s:6.2f} s  ({n / admit_s:8,.0f}/s)")
    print(f"  block production  : {produce_s:6.2f} s  ({n / produce_s:8,.0f}/s)")
    print(f"  block import      : {import_s:6.2f} s  ({n / import_s:8,.0f}/s)")
    print(f"  end to end        : {total:6.2f} s  ({n / total:8,.0f} committed/s)")
    print(
        f"  baseline: one Ed25519 verify per tx {verify_s:5.2f} s ({n / verify_s:,.0f}/s); "
        f"the node path costs {total / verify_s:.1f}× that"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
