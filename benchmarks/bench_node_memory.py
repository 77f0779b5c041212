"""A node's memory at mainnet size (issue #16: under 3 GiB with 1,000,000 validators and 1,000,000 accounts).

The state is the one `stakework bench block` builds (`stakework.bench.block.build_block_workload`: a mainnet
registry mid-life with real BLS keys, `--accounts` funded accounts, the pubkey index built), at the last slot of
an epoch. A node is then opened on it as `stakework devnet` opens one (`node/devnet.py`): a `ChainStore` in a
temporary data directory created with the state as its genesis (its snapshot written), the anchor state loaded
back from the store, a `Chain` on it with the store attached. The original state object is dropped, as it is
in a node started from a snapshot or from genesis (`open_devnet_dir` then keeps the anchor read back as its
genesis state, not the one it built).

Then `--blocks` blocks are imported through the node's own path, one a slot: `Chain.tick`, the proposer's working
copy (`Chain.state_at_slot`, as `propose_step` makes it), the slot's aggregate gossiped into the pool
(`Chain.on_attestation`), and `Chain.import_block` (a copy of the parent's post-state, `state_transition` with
every BLS signature checked, the transactions' Ed25519 signatures taken as verified on admission, the fork
choice, the store). Each block carries a full slot of attestations for the previous slot (every committee, 98% of
the members, one aggregate signed with the sum of their keys, as the block benchmark does), so justification and
finality advance every epoch once the chain has its own checkpoints, and `--transfers` signed transfers between
funded accounts.

Reported: the process's RSS (VmRSS) and peak (VmHWM) after each phase, the number of states the chain can give
(one per block since finality) and how many of them it holds in memory (`node/state_cache.py` rebuilds the
others from blocks), and where the memory goes: each component of the head state (registry columns, pubkey
index, account ledger, state commitment, ring buffers), the bytes the states in memory hold *in all*, counting
each shared buffer once (what copy-on-write saves), and the process-wide caches (decoded public keys, epoch
views, shufflings). `--max-rss-gib` stops the imports early (and says so) rather than let a regression exhaust a
shared machine.

    .venv/bin/python benchmarks/bench_node_memory.py [--validators 1000000] [--accounts 1000000]
        [--blocks 96] [--transfers 128] [--recent 2] [--max-rss-gib 12] [--json]

Defaults are small (a quick run); the issue's figure is `--validators 1000000 --accounts 1000000`.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stakework.bench.block import (
    GWEI,
    _account_address,
    _account_key,
    _full_slot_attestation,
    bench_secret_key,
    build_block_workload,
)
from stakework.node.chain import Chain
from stakework.node.state_cache import StateCache
from stakework.node.storage import ChainStore
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.transition import committees, epoch_cache, pubkey_cache
from stakework.transition.block.block import BeaconBlock, BeaconBlockBody, SignedBeaconBlock, header_root
from stakework.transition.block.header import randao_signing_root
from stakework.transition.block.transaction import (
    SignedTransaction,
    Transaction,
    Transfer,
    chain_least_fee,
    sign_transaction,
)
from stakework.transition.block.withdrawals import get_expected_withdrawals
from stakework.transition.committees import get_beacon_proposer_index
from stakework.transition.state_transition import block_signing_root, process_block

print = functools.partial(print, flush=True)

GIB = 1 << 30
MIB = 1 << 20
TARGET = 3 * GIB
"""Issue #16: a node holding 1,000,000 validators and 1,000,000 accounts stays under 3 GiB."""


def _status() -> dict[str, int]:
    """VmRSS and VmHWM of this process in bytes (from /proc; ru_maxrss where /proc is missing)."""
    out: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    if "VmHWM" not in out:
        out["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out.setdefault("VmRSS", out["VmHWM"])
    return out


def _gib(n: int) -> str:
    return f"{n / GIB:.2f} GiB"


def _mib(n: int) -> str:
    return f"{n / MIB:,.1f} MiB"


# -- what the states hold, each shared buffer counted once ---------------------------------------------------


class Tally:
    """Bytes by component, each object (numpy buffer, dict, tuple) counted once however many states hold it."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.bytes: dict[str, int] = {}

    def add(self, component: str, n: int) -> None:
        self.bytes[component] = self.bytes.get(component, 0) + n

    def array(self, component: str, a: Any) -> None:
        if not isinstance(a, np.ndarray):
            return
        while isinstance(a.base, np.ndarray):
            a = a.base
        if id(a) in self.seen:
            return
        self.seen.add(id(a))
        self.add(component, a.nbytes)

    def obj(self, component: str, o: Any, per_item: int = 0) -> None:
        """A container: its own size (sys.getsizeof) plus `per_item` bytes for each item it holds."""
        if o is None or id(o) in self.seen:
            return
        self.seen.add(id(o))
        self.add(component, sys.getsizeof(o) + per_item * len(o))

    def total(self) -> int:
        return sum(self.bytes.values())


def _ledger_entry_bytes(mapping: dict[bytes, Any]) -> int:
    """Average bytes of one ledger entry's objects (the address, the (balance, nonce) tuple, the ints), from a
    sample: the entries are immutable and shared by the ledgers that hold the same mapping."""
    sample = list(zip(range(256), mapping.items(), strict=False))
    if not sample:
        return 0
    total = 0
    for _, (key, entry) in sample:
        total += sys.getsizeof(key)
        if entry is not None:
            total += sys.getsizeof(entry) + sum(sys.getsizeof(x) for x in entry if x > 256)
    return total // len(sample)


def tally_states(states: Iterable[BeaconState]) -> Tally:
    """What `states` hold in all, by component, each shared buffer counted once."""
    t = Tally()
    for state in states:
        reg = state.validators
        for buf in reg._buffers.values():
            t.array("registry columns", buf)
        index = reg._pubkey_index
        if index is not None and id(index) not in t.seen:
            # The keys (bytes) and values (ints) are shared by every copy of the index.
            first = "registry pubkey index" not in t.bytes
            t.obj("registry pubkey index", index, per_item=(sys.getsizeof(b"\x00" * 48) + 28) if first else 0)
        for name in ("block_roots", "state_roots", "randao_mixes", "slashings"):
            t.array("ring buffers (roots, mixes, slashings)", getattr(state, name))
        ledger = state.accounts
        if id(ledger._base) not in t.seen:
            t.obj("account ledger", ledger._base, per_item=_ledger_entry_bytes(ledger._base))
        t.obj("account ledger", ledger._over, per_item=_ledger_entry_bytes(ledger._over))
        t.obj("account ledger", ledger._touched)
        cache = state._root_cache
        if cache is not None:
            for tree in cache.columns.values():
                for layer in tree.layers:
                    t.array("commitment: registry and ring-buffer trees", layer)
                t.array("commitment: registry and ring-buffer trees", tree.shadow)
            acc = cache.accounts
            for arr in acc.layers:
                t.array("commitment: account tree", arr)
            if id(acc.buckets) not in t.seen:  # the bucket list, and each bucket's bytes (shared by copies) once
                t.obj("commitment: account tree", acc.buckets)
                fresh = [b for b in acc.buckets if id(b) not in t.seen]
                t.seen.update(map(id, fresh))
                t.add("commitment: account tree", sum(map(sys.getsizeof, fresh)))
    return t


def tally_caches() -> Tally:
    """The process-wide caches: decoded public keys, epoch views, shufflings."""
    t = Tally()
    table = pubkey_cache._table
    for arr in (table.raw, table.decoded, table.invalid, table.verified, table.points):
        t.array("pubkey table (decoded keys)", arr)
    decoded = int(table.decoded.sum())
    if decoded:
        point = next((p for p in table.points[: decoded * 2] if p is not None), None)
        t.add("pubkey table (decoded keys)", decoded * (sys.getsizeof(point) if point is not None else 0))
    t.add("pubkey table: committee sums", len(table.sums) * (sys.getsizeof(b"") + 8 * 512 + 200))
    for view in list(epoch_cache._views):
        for value in vars(view).values() if hasattr(view, "__dict__") else ():
            t.array("epoch views", value)
        for slot in getattr(view, "__slots__", ()):
            t.array("epoch views", getattr(view, slot, None))
    for shuffling in list(committees._cache.values()):
        for value in vars(shuffling).values() if hasattr(shuffling, "__dict__") else ():
            t.array("shufflings", value)
        for slot in getattr(shuffling, "__slots__", ()):
            t.array("shufflings", getattr(shuffling, slot, None))
    return t


# -- the run ---------------------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    rss: int
    peak: int
    states: int
    """Block roots whose post-state the chain can give (len(chain.states))."""
    held: int
    """Of them, the states in memory (the rest are rebuilt from blocks when read: node/state_cache.py)."""
    seconds: float


@dataclass
class Run:
    validators: int
    accounts: int
    phases: list[Phase] = field(default_factory=list)
    blocks: int = 0
    stopped: str | None = None
    finalized_epoch: int = 0
    max_states: int = 0
    max_held: int = 0
    rebuilt: int = 0
    components: dict[str, dict[str, int]] = field(default_factory=dict)

    def phase(self, name: str, chain: Chain | None, t0: float) -> Phase:
        gc.collect()
        s = _status()
        known = len(chain.states) if chain is not None else 0
        held = len(_held(chain)) if chain is not None else 0
        self.max_states, self.max_held = max(self.max_states, known), max(self.max_held, held)
        p = Phase(name, s["VmRSS"], s["VmHWM"], known, held, time.perf_counter() - t0)
        self.phases.append(p)
        print(
            f"{name:<40} RSS {_gib(p.rss):>10}  peak {_gib(p.peak):>10}  states {known:>3}, in memory {held:>3}  "
            f"({p.seconds:.1f} s)"
        )
        return p


def _held(chain: Chain) -> list[BeaconState]:
    """The chain's states in memory (all of them if `Chain.states` is a plain dict)."""
    states = chain.states
    if isinstance(states, StateCache):
        return states.held_states()
    return list(states.values())


def _transfers(
    state: BeaconState, keys: list[Any], nonces: list[int], count: int, accounts: int, rng: Any
) -> list[SignedTransaction]:
    out = []
    for _ in range(count):
        s = int(rng.integers(0, len(keys)))
        to = int(rng.integers(0, accounts))
        to_address = keys[to].address if to < len(keys) else _account_address(to)
        payload = Transfer(to_address, int(rng.integers(1, GWEI)))
        tx = Transaction(keys[s].public_key, nonces[s], chain_least_fee(state, payload), payload)
        out.append(sign_transaction(state, tx, keys[s]))
        nonces[s] += 1
    return out


def _propose(chain: Chain, slot: int, txs: list[SignedTransaction]) -> tuple[SignedBeaconBlock, list[Any]]:
    """The block at `slot` on the head: the previous slot's full aggregate, `txs`, the withdrawals owed; built on
    the proposer's working copy as `propose_step` builds one (`Chain.state_at_slot`)."""
    state = chain.state_at_slot(slot)
    attestation, _ = _full_slot_attestation(state, slot - 1)
    proposer = int(get_beacon_proposer_index(state))
    body = BeaconBlockBody(
        randao_reveal=bench_secret_key(proposer).sign(randao_signing_root(state, state.current_epoch())),
        attestations=[attestation],
        transactions=txs,
        withdrawals=get_expected_withdrawals(state).withdrawals,
    )
    parent = header_root(state.latest_block_header)
    work = state.copy()
    process_block(work, BeaconBlock(slot, proposer, parent, b"\x00" * 32, body), verify_signatures=False)
    block = BeaconBlock(slot, proposer, parent, hash_state(work), body)
    signed = SignedBeaconBlock(block, bench_secret_key(proposer).sign(block_signing_root(state, block)))
    return signed, [attestation]


def run(
    validators: int,
    accounts: int,
    blocks: int,
    transfers: int,
    max_rss: int,
    data_dir: Path,
    recent: int | None = None,
) -> Run:
    result = Run(validators, accounts)
    t0 = time.perf_counter()
    senders = min(transfers if transfers else 1, accounts)
    # cross_epoch=False: the state is advanced to the first slot of an epoch (a checkpoint, as an anchor is)
    workload = build_block_workload(validators, accounts, transfers=senders, deposits=0, exits=0, cross_epoch=False)
    state = workload.pre_state
    del workload
    result.phase("state built (bench block's set-up)", None, t0)

    t0 = time.perf_counter()
    store = ChainStore(data_dir, genesis=state)
    stored = store.load_latest()
    chain = Chain(stored.anchor_state, anchor_epoch=stored.anchor_epoch)
    chain.store = store
    if recent is not None and isinstance(chain.states, StateCache):
        chain.states.recent_limit = recent
    del stored
    result.phase("node opened (store + chain, state kept)", chain, t0)
    del state
    t0 = time.perf_counter()
    result.phase("built state dropped (node from snapshot)", chain, t0)

    keys = [_account_key(i) for i in range(senders)]
    nonces = [0] * senders
    rng = np.random.default_rng(16)
    spe = chain.preset.SLOTS_PER_EPOCH
    first = chain.head_state.slot + 1
    t0 = time.perf_counter()
    for slot in range(first, first + blocks):
        chain.tick(slot)
        txs = _transfers(chain.head_state, keys, nonces, transfers, accounts, rng)
        signed, attestations = _propose(chain, slot, txs)
        for attestation in attestations:
            chain.on_attestation(attestation)
        chain.import_block(signed, current_slot=slot, verified_transactions=frozenset(tx.hash() for tx in txs))
        result.blocks += 1
        result.finalized_epoch = chain.forkchoice.finalized_checkpoint.epoch
        done = slot - first + 1
        boundary = slot % spe == 0
        if boundary or done == blocks or done % 8 == 0:
            label = f"block {done}/{blocks} (slot {slot}{', epoch start' if boundary else ''})"
            p = result.phase(f"{label}, finalized {result.finalized_epoch}", chain, t0)
            t0 = time.perf_counter()
            if p.rss > max_rss:
                result.stopped = f"RSS {_gib(p.rss)} passed --max-rss-gib {_gib(max_rss)} after {done} blocks"
                print(f"stopped: {result.stopped}")
                break
        else:
            result.max_states = max(result.max_states, len(chain.states))
            result.max_held = max(result.max_held, len(_held(chain)))

    print()
    print(
        f"chain: {len(chain.states)} states known (at most {result.max_states}), head slot {chain.head_state.slot}, "
        f"justified epoch {chain.forkchoice.justified_checkpoint.epoch}, finalized epoch {result.finalized_epoch}"
    )
    held = _held(chain)
    result.rebuilt = getattr(chain.states, "rebuilt", 0)
    print(f"states in memory: {len(held)} (at most {result.max_held}); rebuilt from blocks: {result.rebuilt}")
    head = tally_states([chain.head_state])
    every = tally_states(held)
    caches = tally_caches()
    names = sorted(set(head.bytes) | set(every.bytes), key=lambda k: -every.bytes.get(k, 0))
    print(f"{'component':<46} {'head state':>12} {f'{len(held)} states in memory':>20}")
    for name in names:
        print(f"{name:<46} {_mib(head.bytes.get(name, 0)):>12} {_mib(every.bytes.get(name, 0)):>20}")
    print(f"{'total (each shared buffer once)':<46} {_mib(head.total()):>12} {_mib(every.total()):>20}")
    n = max(len(held), 1)
    print(
        f"a state alone would be {_mib(head.total())}; {n} states unshared {_mib(head.total() * n)}; "
        f"held {_mib(every.total())} ({every.total() / max(head.total() * n, 1):.0%})"
    )
    for name, value in sorted(caches.bytes.items(), key=lambda kv: -kv[1]):
        print(f"{name:<46} {_mib(value):>12}")
    result.components = {"head": head.bytes, "states": every.bytes, "caches": caches.bytes}
    store.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validators", type=int, default=16_384)
    parser.add_argument("--accounts", type=int, default=16_384)
    parser.add_argument("--blocks", type=int, default=24, help="blocks imported, one a slot (96: three epochs)")
    parser.add_argument("--transfers", type=int, default=128, help="signed transfers in each block")
    parser.add_argument(
        "--recent", type=int, default=None, help="recent states the chain holds (default: node/state_cache.py's)"
    )
    parser.add_argument("--max-rss-gib", type=float, default=12.0, help="stop importing once RSS passes this")
    parser.add_argument("--json", action="store_true", help="also print one JSON object at the end")
    args = parser.parse_args(argv)
    if args.blocks < 1 or args.transfers < 0:
        parser.error("--blocks must be at least 1 and --transfers at least 0")
    with tempfile.TemporaryDirectory(prefix="stakework-node-memory-") as tmp:
        result = run(
            args.validators,
            args.accounts,
            args.blocks,
            args.transfers,
            int(args.max_rss_gib * GIB),
            Path(tmp),
            args.recent,
        )
    peak = max(p.peak for p in result.phases)
    node = [p for p in result.phases if p.states]
    print()
    print(
        f"peak RSS {_gib(peak)}: {peak / TARGET:.2f} of the 3 GiB target "
        f"({'met' if peak < TARGET else 'NOT met'}); last RSS {_gib(result.phases[-1].rss)}"
        + (f"; {result.stopped}" if result.stopped else "")
    )
    if args.json:
        out = {
            "validators": result.validators,
            "accounts": result.accounts,
            "blocks": result.blocks,
            "finalized_epoch": result.finalized_epoch,
            "max_states": result.max_states,
            "max_held": result.max_held,
            "rebuilt": result.rebuilt,
            "peak_rss_bytes": peak,
            "node_peak_rss_bytes": max((p.peak for p in node), default=peak),
            "target_ratio": peak / TARGET,
            "stopped": result.stopped,
            "phases": [vars(p) for p in result.phases],
            "components": result.components,
        }
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
