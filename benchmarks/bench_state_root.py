"""The incremental state commitment at mainnet size: V validators and A funded accounts.

Times, on `realistic_state(V)` (mainnet preset) with A accounts (random addresses and balances):
- the root built from scratch (the baseline: no cache; what every root cost before the commitment was
  incremental, in kind if not in constant);
- the root after a block-sized change: a full slot of attestations' participation flags (V / 32 validators),
  the proposer's reward, 16 withdrawals, T transfers between accounts (each: debit, credit, nonce, and the
  proposer's fee account);
- the root after `process_epoch` (every balance, both participation columns and more change);
- a full rebuild from a snapshot: load a binary snapshot (read, checksum, checks, the root built whole);
- the cache's memory (layers, shadows, the account buckets) and the process's peak RSS;
- the module store at H holders (`--holders`, a list): the liquid module's share ledger with H holders and a pool
  with H / 10, on the same state: the store's part of the root as the code before the per-module commitment
  computed it (the whole store canonically encoded: every mapping sorted in Python, on every root) against
  `ModuleTree` (each ledger's holder table a `ShareTree` that re-hashes the buckets of the holders written; the
  rest of a part re-encoded canonically only when its plain encoding changed): the first root (every table's tree
  built), after a block that moves one holder's shares, after one that gives a new holder shares, after a block
  that touches no module, a state copy and its root, and after an epoch (`process_epoch` and the modules' epoch
  hooks).

    .venv/bin/python benchmarks/bench_state_root.py [--validators 1000000] [--accounts 1000000]
        [--transfers 1000] [--runs 7] [--holders 100000,1000000] [--module-runs 3]
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from stakework.bench.workloads import realistic_state
from stakework.modules import registry
from stakework.modules.pool.state import Pool
from stakework.modules.shares import BURN_ADDRESS, ShareLedger
from stakework.modules.store import ModuleStore, canonical_store_bytes
from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import StateCommitment, commitment_of
from stakework.state.proofs import verify_account, verify_validator
from stakework.state.root import hash_state, hash_state_from_scratch, prove_account, prove_validator
from stakework.state.snapshot import load_state, save_state
from stakework.transition.epoch import process_epoch
from stakework.transition.modules import process_module_epoch

print = functools.partial(print, flush=True)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _fund(state: BeaconState, count: int, rng: np.random.Generator) -> list[bytes]:
    raw = rng.bytes(20 * count)
    addresses = [raw[i : i + 20] for i in range(0, len(raw), 20)]
    balances = rng.integers(10**9, 10**12, size=count).tolist()
    for address, balance in zip(addresses, balances, strict=True):
        state.accounts.credit(address, balance)
    return addresses


def _block_change(state: BeaconState, addresses: list[bytes], transfers: int, rng: np.random.Generator) -> None:
    v = state.validators
    n = len(v)
    voters = rng.choice(n, size=max(1, n // 32), replace=False)
    v.current_epoch_participation[voters] |= np.uint8(7)
    proposer = int(rng.integers(n))
    v.balances[proposer] += np.uint64(1_000_000)
    swept = rng.integers(n, size=16)
    v.balances[swept] -= np.minimum(v.balances[swept], np.uint64(10_000_000))
    fee_account = addresses[0]
    picks = rng.integers(len(addresses), size=(transfers, 2)).tolist()
    for a, b in picks:
        sender, receiver = addresses[a], addresses[b]
        state.accounts.debit(sender, 1_000)
        state.accounts.credit(receiver, 900)
        state.accounts.credit(fee_account, 100)
        state.accounts.increment_nonce(sender)
    state.slot += 1
    state.state_roots[state.slot % state.preset.SLOTS_PER_HISTORICAL_ROOT] = np.frombuffer(rng.bytes(32), np.uint8)


def _flat_root(state: BeaconState) -> bytes:
    """The state root as stakework computed it before the commitment (state/root.py until issue #16): one
    SHA-256 over every field's canonical encoding, the whole state on every block. Timed as a second baseline."""
    import msgspec

    from stakework.codec.hashing import CanonicalHasher
    from stakework.modules.store import canonical_store_bytes
    from stakework.state.beacon_state import ARRAY_FIELDS, BYTES_FIELDS, CHECKPOINT_FIELDS, QUEUE_FIELDS, SCALAR_FIELDS

    h = CanonicalHasher(b"stakework/state/v1")
    h.raw("preset", state.preset.PRESET_NAME.encode())
    for name in BYTES_FIELDS:
        h.raw(name, getattr(state, name))
    for name in SCALAR_FIELDS:
        h.int(name, getattr(state, name))
    h.raw("latest_block_header", msgspec.msgpack.encode(state.latest_block_header))
    h.int("validator_count", len(state.validators))
    for name, column in state.validators.columns():
        h.array(f"validators.{name}", column)
    for name in ARRAY_FIELDS:
        h.array(name, getattr(state, name))
    h.array("justification_bits", np.array(state.justification_bits, dtype=np.bool_))
    for name in CHECKPOINT_FIELDS:
        cp = getattr(state, name)
        h.int(f"{name}.epoch", cp.epoch)
        h.raw(f"{name}.root", cp.root)
    for name in QUEUE_FIELDS:
        h.raw(name, msgspec.msgpack.encode(getattr(state, name)))
    h.int("account_count", len(state.accounts))
    for address, account in state.accounts.items():
        h.raw("account.address", address)
        h.int("account.balance", account.balance)
        h.int("account.nonce", account.nonce)
    if not state.modules.is_empty():
        h.raw("modules", canonical_store_bytes(state.modules))
    return h.digest()


def _ledger(holders: int, rng: np.random.Generator) -> tuple[ShareLedger, list[bytes]]:
    raw = rng.bytes(20 * holders)
    addresses = [raw[i : i + 20] for i in range(0, len(raw), 20)]
    shares = dict(zip(addresses, rng.integers(10**6, 10**12, size=holders).tolist(), strict=True))
    shares[BURN_ADDRESS] = 10**6
    total = sum(shares.values())
    return ShareLedger(shares=shares, total_shares=total, total_assets=total + total // 20), addresses


def _module_store(state: BeaconState, holders: int, rng: np.random.Generator) -> tuple[ModuleStore, list[bytes]]:
    """Every module enabled at genesis; the liquid ledger with `holders` holders, a pool with holders / 10."""
    admin = b"\x01" * 20
    store = ModuleStore({m.name: m.genesis(state.preset, admin) for m in registry.modules()})
    liquid = store.get("liquid")
    liquid.ledger, addresses = _ledger(holders, rng)
    pools = store.get("pool")
    ledger, _ = _ledger(max(1, holders // 10), rng)
    pools.pools[1] = Pool(id=1, operator=admin, commission_bps=500, ledger=ledger)
    pools.next_pool_id = 2
    return store, addresses


def _old_modules_root(store: ModuleStore) -> bytes:
    """The store's part of the root before the per-module commitment: its whole canonical encoding, hashed."""
    import hashlib

    return hashlib.sha256(canonical_store_bytes(store)).digest()


def _bench_modules(
    state: BeaconState, holders: int, runs: int, addresses: list[bytes], rng: np.random.Generator
) -> None:
    store, owners = _module_store(state, holders, rng)
    state.modules = store
    ledger = store.get("liquid").ledger
    t0 = time.perf_counter()
    hash_state(state)
    print(
        f"{holders:,} module holders (+ {holders // 10:,} in a pool): "
        f"first root with them {_ms(time.perf_counter() - t0)}"
    )
    tree = commitment_of(state).modules

    def touch() -> None:
        a, b = rng.integers(len(owners), size=2).tolist()
        ledger.transfer(owners[a], owners[b], 1)

    def newcomer() -> None:
        a = int(rng.integers(len(owners)))
        ledger.transfer(owners[a], rng.bytes(20), 1)

    old, part, part_new, part_idle, whole = [], [], [], [], []
    for _ in range(runs):
        touch()
        t0 = time.perf_counter()
        _old_modules_root(store)
        old.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tree.update(store)
        part.append(time.perf_counter() - t0)
        newcomer()
        t0 = time.perf_counter()
        tree.update(store)
        part_new.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tree.update(store)
        part_idle.append(time.perf_counter() - t0)
        _block_change(state, addresses, 200, rng)
        touch()
        t0 = time.perf_counter()
        hash_state(state)
        whole.append(time.perf_counter() - t0)
    med = statistics.median
    print(
        f"  one holder moved: the store's part before (whole store, canonical) median {_ms(med(old))} "
        f"(min {_ms(min(old))}); now {_ms(med(part))} (min {_ms(min(part))}); a new holder: {_ms(med(part_new))}; "
        f"no module touched: {_ms(med(part_idle))}; whole root after a block (200 transfers) + one holder: "
        f"{_ms(med(whole))}"
    )
    t0 = time.perf_counter()
    store.copy()
    store_copied = time.perf_counter() - t0
    t0 = time.perf_counter()
    copy = state.copy()
    copied = time.perf_counter() - t0
    copy.modules.get("liquid").ledger.transfer(owners[0], owners[1], 1)
    t0 = time.perf_counter()
    hash_state(copy)
    print(
        f"  state copy: {_ms(copied)}, of which the module store's copy ~{_ms(store_copied)}; "
        f"the copy's root after one holder moved (its trees follow the copy's tables): {_ms(time.perf_counter() - t0)}"
    )
    del copy
    epoch_new, epoch_old = [], []
    for _ in range(max(1, runs // 2)):
        state.slot += state.preset.SLOTS_PER_EPOCH
        process_epoch(state)
        process_module_epoch(state)
        t0 = time.perf_counter()
        hash_state(state)
        epoch_new.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _old_modules_root(store)
        epoch_old.append(time.perf_counter() - t0)
    check = hash_state_from_scratch(state) == hash_state(state)
    print(
        f"  after an epoch (process_epoch + the modules' hooks): whole root median {_ms(med(epoch_new))}, of which "
        f"the old store part alone would be {_ms(med(epoch_old))}; equals the root from scratch: {check}"
    )
    state.modules = ModuleStore()


def _cache_bytes(cache: StateCommitment) -> int:
    total = sum(map(len, cache.accounts.buckets)) + sum(layer.nbytes for layer in cache.accounts.layers)
    for tree in cache.columns.values():
        total += tree.shadow.nbytes + sum(layer.nbytes for layer in tree.layers)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validators", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--transfers", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--holders", default="100000,1000000", help="module holders to time, comma-separated")
    parser.add_argument("--module-runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(16)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0 = time.perf_counter()
    state = realistic_state(args.validators)
    addresses = _fund(state, args.accounts, rng)
    print(
        f"state: {args.validators:,} validators, {len(state.accounts):,} accounts "
        f"(built in {time.perf_counter() - t0:.1f} s)"
    )

    t0 = time.perf_counter()
    _flat_root(state)
    print(f"baseline, the previous flat root (every field hashed on every block): {_ms(time.perf_counter() - t0)}")
    t0 = time.perf_counter()
    scratch = hash_state_from_scratch(state)
    baseline = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert hash_state(state) == scratch
    first = time.perf_counter() - t0
    print(f"baseline, root from scratch (no cache): {_ms(baseline)}; first hash_state (builds the cache): {_ms(first)}")
    t0 = time.perf_counter()
    hash_state(state)
    print(f"root again, nothing changed: {_ms(time.perf_counter() - t0)}")

    block_times = []
    for _ in range(args.runs):
        _block_change(state, addresses, args.transfers, rng)
        t0 = time.perf_counter()
        hash_state(state)
        block_times.append(time.perf_counter() - t0)
    check = hash_state_from_scratch(state) == hash_state(state)
    print(
        f"root after a block ({len(state.validators) // 32:,} participation flags, {args.transfers:,} transfers): "
        f"median {_ms(statistics.median(block_times))} (min {_ms(min(block_times))}, max {_ms(max(block_times))}); "
        f"equals the root from scratch: {check}"
    )

    cache, state._root_cache = state._root_cache, None
    t0 = time.perf_counter()
    state.copy()
    bare_copy = time.perf_counter() - t0
    state._root_cache = cache
    t0 = time.perf_counter()
    copy = state.copy()
    copy_time = time.perf_counter() - t0
    print(f"state copy without the cache (baseline): {_ms(bare_copy)}")
    _block_change(copy, addresses, args.transfers, rng)
    t0 = time.perf_counter()
    hash_state(copy)
    print(
        f"state copy with its cache: {_ms(copy_time)}; root of the copy after a block: {_ms(time.perf_counter() - t0)}"
    )
    del copy

    epoch_times = []
    for _ in range(max(1, args.runs // 2)):
        process_epoch(state)
        t0 = time.perf_counter()
        hash_state(state)
        epoch_times.append(time.perf_counter() - t0)
    check = hash_state_from_scratch(state) == hash_state(state)
    print(
        f"root after process_epoch: median {_ms(statistics.median(epoch_times))} (min {_ms(min(epoch_times))}, "
        f"max {_ms(max(epoch_times))}); equals the root from scratch: {check}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.swk"
        save_state(state, path)
        t0 = time.perf_counter()
        loaded = load_state(path)
        load_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        hash_state(loaded)
        again = time.perf_counter() - t0
        print(
            f"full rebuild from a snapshot (load_state: read, checksum, checks, root built whole): {load_time:.2f} s; "
            f"the next root: {_ms(again)}; snapshot {path.stat().st_size / 1e6:.0f} MB"
        )
        del loaded
    root = hash_state(state)
    index = 123_456 % len(state.validators)
    t0 = time.perf_counter()
    account_proof = prove_account(state, addresses[1])
    t1 = time.perf_counter()
    verify_account(account_proof, root, addresses[1])
    t2 = time.perf_counter()
    validator_proof = prove_validator(state, index)
    t3 = time.perf_counter()
    verify_validator(validator_proof, root, index)
    t4 = time.perf_counter()
    for label, proof, made, checked in (
        ("account", account_proof, t1 - t0, t2 - t1),
        ("validator", validator_proof, t3 - t2, t4 - t3),
    ):
        size = sum(len(leaf) for _, leaf in proof.field_leaves) + sum(
            len(p.chunk) + sum(len(h) for level in p.branch for h in level) for p in proof.paths
        )
        print(
            f"{label} proof: {size / 1000:.1f} kB of hashes and chunks; made in {_ms(made)}, verified in {_ms(checked)}"
        )
    cache = commitment_of(state)
    print(
        f"commitment cache: {_cache_bytes(cache) / 2**20:.0f} MiB; peak RSS of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB"
    )
    for holders in [int(h) for h in args.holders.split(",") if h]:
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        _bench_modules(state, holders, args.module_runs, addresses, rng)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
