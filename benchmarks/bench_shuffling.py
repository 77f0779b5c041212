"""Shuffle 1,000,000 validator indices with the mainnet round count (90): the vectorized whole-list
swap-or-not against the spec's per-index `compute_shuffled_index`, timed on a sample and scaled up.

    .venv/bin/python benchmarks/bench_shuffling.py [--count N] [--sample K] [--runs R] [--json]

Both figures come from the same run on the same machine; the vectorized result is checked against the scalar
function on the sample, so the comparison is between two computations of the same values.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time

import numpy as np

from stakework.spec.presets import MAINNET
from stakework.transition.shuffling import compute_shuffled_index, compute_shuffled_indices, shuffle_indices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="indices to shuffle")
    parser.add_argument("--sample", type=int, default=500, help="indices timed with the scalar spec function")
    parser.add_argument("--runs", type=int, default=3, help="vectorized runs (the median is reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    n, rounds = args.count, MAINNET.SHUFFLE_ROUND_COUNT
    seed = hashlib.sha256(b"stakework shuffle benchmark").digest()
    indices = np.arange(n, dtype=np.int64)

    times = []
    shuffled = indices
    for _ in range(args.runs):
        start = time.perf_counter()
        shuffled = shuffle_indices(indices, seed, rounds)
        times.append(time.perf_counter() - start)
    vectorized_ms = statistics.median(times) * 1000

    # the other vectorization: every position tracked through the rounds at once (used for partial lists)
    times = []
    positions = indices
    for _ in range(args.runs):
        start = time.perf_counter()
        positions = compute_shuffled_indices(indices, n, seed, rounds)
        times.append(time.perf_counter() - start)
    positions_ms = statistics.median(times) * 1000
    if not np.array_equal(positions, shuffled):
        raise SystemExit("mismatch: the two vectorized shuffles differ")

    sample = np.linspace(0, n - 1, num=min(args.sample, n), dtype=np.int64)
    start = time.perf_counter()
    scalar = [compute_shuffled_index(int(i), n, seed, rounds) for i in sample]
    per_index = (time.perf_counter() - start) / len(sample)
    scalar_ms = per_index * n * 1000
    if scalar != shuffled[sample].tolist():
        raise SystemExit("mismatch: the vectorized shuffle differs from compute_shuffled_index")

    result = {
        "count": n,
        "rounds": rounds,
        "vectorized_ms": round(vectorized_ms, 1),
        "vectorized_positions_ms": round(positions_ms, 1),
        "scalar_per_index_us": round(per_index * 1e6, 1),
        "scalar_extrapolated_ms": round(scalar_ms, 1),
        "scalar_sample": len(sample),
        "speedup": round(scalar_ms / vectorized_ms, 1),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"shuffle {n:,} indices, {rounds} rounds")
    print(f"  vectorized, list swaps (median of {args.runs}):   {vectorized_ms:10.1f} ms  (shuffle_indices)")
    print(f"  vectorized, positions (median of {args.runs}):    {positions_ms:10.1f} ms  (compute_shuffled_indices)")
    print(
        f"  scalar compute_shuffled_index:               {scalar_ms:10.1f} ms "
        f"({per_index * 1e6:.1f} us/index x {n:,}, timed on {len(sample)} indices)"
    )
    print(f"  ratio scalar / list swaps:                   {scalar_ms / vectorized_ms:10.1f}x")


if __name__ == "__main__":
    main()
