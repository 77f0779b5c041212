"""What the module store costs the chain, by the number of holders in it.

For a devnet state (64 validators) whose liquid module has H holders (stSWK in H accounts, a tenth of them also
holding wstSWK) and whose pool has H delegators, times: the state root (the module store is hashed with every
mapping sorted), a state copy (the store is copied through msgpack), and module transactions applied through
process_transaction (signatures verified once beforehand, as the node's mempool does). Baseline in the same
run: the same state with no modules (root and copy), and plain transfers through process_transaction.

    .venv/bin/python benchmarks/bench_modules.py [H ...]
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from collections.abc import Callable

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.liquid.messages import Transfer as LiquidTransfer
from stakework.modules.pool.messages import Deposit, RegisterPool
from stakework.modules.store import ModuleStore
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.transition.block.transaction import (
    Transaction,
    Transfer,
    least_fee,
    process_transaction,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import process_module_message

SWK = 10**9


def _median(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _holder(i: int) -> bytes:
    return hashlib.sha256(b"holder-%d" % i).digest()[:20]


def _state_with_holders(holders: int) -> BeaconState:
    state = devnet_genesis(DEVNET, 64, funded_accounts=2, modules=True)
    operator = devnet_account_key(1).address
    process_module_message(state, operator, RegisterPool(commission_bps=500))
    for i in range(holders):
        address = _holder(i)
        state.accounts.credit(address, 10 * SWK)
        process_module_message(state, address, LiquidStake(amount=2 * SWK))
        process_module_message(state, address, Deposit(pool_id=1, amount=2 * SWK))
    return state


def _throughput(state: BeaconState, payloads: list[object], n: int = 2000) -> float:
    key = devnet_account_key(0)
    work = state.copy()
    nonce = work.accounts.nonce(key.address)
    txs = [
        sign_transaction(
            work,
            Transaction(key.public_key, nonce + j, least_fee(p := payloads[j % len(payloads)]), p),  # type: ignore[arg-type]
            key,
        )
        for j in range(n)
    ]
    t0 = time.perf_counter()
    for tx in txs:
        process_transaction(work, tx, 0, verify_signature=False)
    return n / (time.perf_counter() - t0)


def main(sizes: list[int]) -> None:
    print(f"{'holders':>8} {'root ms':>9} {'(no modules)':>13} {'copy ms':>9} {'(no modules)':>13}")
    for holders in sizes:
        state = _state_with_holders(holders)
        bare = state.copy()
        bare.modules = ModuleStore()
        root, root0 = _median(lambda s=state: hash_state(s)), _median(lambda s=bare: hash_state(s))
        copy, copy0 = _median(state.copy), _median(bare.copy)
        print(f"{holders:>8} {root * 1e3:>9.2f} {root0 * 1e3:>13.2f} {copy * 1e3:>9.2f} {copy0 * 1e3:>13.2f}")
    state = _state_with_holders(1000)
    admin = devnet_account_key(0).address
    process_module_message(state, admin, LiquidStake(amount=100 * SWK))
    others = [_holder(i) for i in range(1000)]
    plain = _throughput(state, [Transfer(to, 1000) for to in others])
    liquid = _throughput(state, [LiquidTransfer(to=to, amount=1000) for to in others])
    deposits = _throughput(state, [Deposit(pool_id=1, amount=SWK)])
    print(f"plain transfers: {plain:,.0f}/s (baseline)")
    print(f"stSWK transfers: {liquid:,.0f}/s ({liquid / plain:.2f}x)")
    print(f"pool deposits:   {deposits:,.0f}/s ({deposits / plain:.2f}x)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1_000, 10_000, 100_000])
