"""Fork choice at scale: one epoch of attestations from 1,000,000 validators applied to a tree of a few hundred
blocks (mainnet's 32 slots per epoch, forks at about one slot in six), then `get_head()`; against the plain
spec-text reference (tests/reference/forkchoice_reference.py) on a smaller validator count in the same run.

    .venv/bin/python benchmarks/bench_forkchoice.py [--validators N] [--blocks B] [--reference-validators K]
        [--runs R] [--json]

Reported: the time to apply the epoch's attestations (one `on_attestation` call per committee, 64 committees
per slot), the first `get_head()` after them (every validator's vote moves: the full delta computation), a
`get_head()` with nothing new, and `get_head()` of the proto-array and of the reference on K validators. The
two implementations are checked to agree on the head at K validators. The reference recomputes every weight
from every latest message, so its time grows linearly with validators; the extrapolated figure at N says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from stakework.forkchoice import ForkChoice
from stakework.state.containers import Checkpoint

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import reference.forkchoice_reference as ref

SLOTS_PER_EPOCH = 32
COMMITTEES_PER_SLOT = 64
GWEI = 10**9


def root_of(n: int) -> bytes:
    return hashlib.sha256(n.to_bytes(8, "little")).digest()


def build_tree(blocks: int, seed: int) -> tuple[list[tuple[bytes, bytes, int, Checkpoint, Checkpoint]], int]:
    """A canonical chain with a block in 9 slots out of 10 and a fork block in about one slot in six (a child of
    one of the last three canonical blocks). Each block carries the canonical checkpoints of the previous epoch
    (justified) and the one before (finalized). Returns the blocks in arrival order and the last slot."""
    rng = np.random.default_rng(seed)
    genesis = root_of(0)
    canonical: list[tuple[bytes, int]] = [(genesis, 0)]
    checkpoint_at: dict[int, bytes] = {0: genesis}  # epoch -> canonical checkpoint root
    out: list[tuple[bytes, bytes, int, Checkpoint, Checkpoint]] = []
    slot = 0
    counter = 1
    while len(out) < blocks:
        slot += 1
        epoch = slot // SLOTS_PER_EPOCH
        if slot % SLOTS_PER_EPOCH == 0:
            checkpoint_at[epoch] = canonical[-1][0]  # empty start slot: the last block before it
        justified = Checkpoint(max(0, epoch - 1), checkpoint_at[max(0, epoch - 1)])
        finalized = Checkpoint(max(0, epoch - 2), checkpoint_at[max(0, epoch - 2)])
        if rng.random() < 1 / 6 and len(canonical) > 1:
            parent = canonical[-int(rng.integers(1, min(3, len(canonical)) + 1))][0]
            out.append((root_of(counter), parent, slot, justified, finalized))
            counter += 1
        if rng.random() < 0.9:
            root = root_of(counter)
            counter += 1
            out.append((root, canonical[-1][0], slot, justified, finalized))
            canonical.append((root, slot))
            if slot % SLOTS_PER_EPOCH == 0:
                checkpoint_at[epoch] = root
    return out[:blocks], slot


def new_fork_choice(validators: int, blocks: list[tuple[bytes, bytes, int, Checkpoint, Checkpoint]]) -> ForkChoice:
    balances = np.full(validators, 32 * GWEI, dtype=np.uint64)
    balances[::10] = 2048 * GWEI
    genesis = Checkpoint(0, root_of(0))
    fc = ForkChoice(root_of(0), 0, genesis, genesis, balances, SLOTS_PER_EPOCH)
    for root, parent, slot, justified, finalized in blocks:
        fc.on_block(root, parent, slot, justified, finalized, current_slot=slot, timely=False)
    return fc


def epoch_votes(
    validators: int, blocks: list[tuple[bytes, bytes, int, Checkpoint, Checkpoint]], last_slot: int, seed: int
) -> list[tuple[np.ndarray[Any, np.dtype[np.int64]], bytes]]:
    """One epoch of committees: validators shuffled into 32 x 64 committees; each votes for the newest block at
    or before its slot among the last epoch's blocks (a random fork block for one committee in ten)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(validators).astype(np.int64)
    committees = np.array_split(order, SLOTS_PER_EPOCH * COMMITTEES_PER_SLOT)
    first_slot = last_slot - SLOTS_PER_EPOCH + 1
    recent = [b for b in blocks if b[2] >= first_slot - 4]
    votes = []
    for k, committee in enumerate(committees):
        slot = first_slot + k // COMMITTEES_PER_SLOT
        candidates = [b for b in recent if b[2] <= slot] or recent
        block = candidates[-1] if rng.random() >= 0.1 else candidates[int(rng.integers(0, len(candidates)))]
        votes.append((committee, block[0]))
    return votes


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validators", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=320, help="blocks in the tree")
    parser.add_argument("--reference-validators", type=int, default=1_000, help="validators for the reference")
    parser.add_argument("--runs", type=int, default=3, help="runs of the proto-array measurements (median)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    blocks, last_slot = build_tree(args.blocks, seed=1)
    target_epoch = last_slot // SLOTS_PER_EPOCH
    votes = epoch_votes(args.validators, blocks, last_slot, seed=2)

    attest_s, head_s, idle_s = [], [], []
    head = b""
    for _ in range(args.runs):
        fc = new_fork_choice(args.validators, blocks)
        fc.on_tick(last_slot + 1)
        t, _ = timed(lambda fc=fc: [fc.on_attestation(c, r, target_epoch) for c, r in votes])
        attest_s.append(t)
        t, head = timed(fc.get_head)
        head_s.append(t)
        t, _ = timed(fc.get_head)
        idle_s.append(t)

    # The same history on K validators: proto-array and reference.
    k = args.reference_validators
    small_votes = epoch_votes(k, blocks, last_slot, seed=2)
    fc = new_fork_choice(k, blocks)
    fc.on_tick(last_slot + 1)
    genesis = Checkpoint(0, root_of(0))
    balances = [2048 * GWEI if i % 10 == 0 else 32 * GWEI for i in range(k)]
    store = ref.get_forkchoice_store(root_of(0), 0, genesis, genesis, balances, SLOTS_PER_EPOCH)
    for root, parent, slot, justified, finalized in blocks:
        ref.on_block(store, root, parent, slot, justified, finalized, justified, finalized, slot, False)
    ref.on_tick(store, last_slot + 1)
    small_s = []
    for c, r in small_votes:
        fc.on_attestation(c, r, target_epoch)
        ref.on_attestation(store, c.tolist(), r, target_epoch)
    for _ in range(args.runs):
        fresh = new_fork_choice(k, blocks)
        fresh.on_tick(last_slot + 1)
        for c, r in small_votes:
            fresh.on_attestation(c, r, target_epoch)
        t, small_head = timed(fresh.get_head)
        small_s.append(t)
    ref_s, ref_head = timed(lambda: ref.get_head(store))
    if ref_head != small_head or fc.get_head() != small_head:
        raise SystemExit("the proto-array and the reference disagree on the head")

    result = {
        "validators": args.validators,
        "blocks": args.blocks + 1,
        "justified_epoch": fc.justified_checkpoint.epoch,
        "attestations_ms": 1e3 * statistics.median(attest_s),
        "committees": len(votes),
        "get_head_after_epoch_ms": 1e3 * statistics.median(head_s),
        "get_head_idle_ms": 1e3 * statistics.median(idle_s),
        "reference_validators": k,
        "proto_array_get_head_at_reference_ms": 1e3 * statistics.median(small_s),
        "reference_get_head_ms": 1e3 * ref_s,
        "ratio_at_reference_size": ref_s / statistics.median(small_s),
        "reference_extrapolated_to_validators_s": ref_s * args.validators / k,
        "ratio_extrapolated": (ref_s * args.validators / k) / statistics.median(head_s),
        "head_agrees": True,
        "head": head.hex()[:16],
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"tree: {result['blocks']} blocks, {last_slot} slots; justified epoch {result['justified_epoch']}")
    print(
        f"{args.validators:,} validators, {len(votes)} committees: on_attestation total "
        f"{result['attestations_ms']:.1f} ms; get_head after the epoch {result['get_head_after_epoch_ms']:.1f} ms; "
        f"get_head with nothing new {result['get_head_idle_ms']:.2f} ms"
    )
    print(
        f"{k:,} validators: reference get_head {result['reference_get_head_ms']:.0f} ms, proto-array "
        f"{result['proto_array_get_head_at_reference_ms']:.2f} ms (x{result['ratio_at_reference_size']:,.0f}); "
        f"reference extrapolated to {args.validators:,}: {result['reference_extrapolated_to_validators_s']:.0f} s "
        f"(x{result['ratio_extrapolated']:,.0f})"
    )


if __name__ == "__main__":
    main()
