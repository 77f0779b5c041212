"""`Registry.copy()` at mainnet size (issue #16): its time, and the memory two copies hold.

On `realistic_state(V)` (mainnet preset) with the pubkey index built (as a node has it: deposits look keys up),
times `Registry.copy()` R times and reports the median (and range); then the first append on a fresh copy (a fork
that takes its own pubkey buffer and index overlay), and the memory two live copies of the registry add (tracemalloc:
numpy's buffers and the dicts are traced).

    .venv/bin/python benchmarks/bench_registry_copy.py [--validators 1000000] [--runs 15]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

from stakework.bench.workloads import realistic_state

MIB = 1 << 20


def _ms(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1e3:.2f} ms (min {min(xs) * 1e3:.2f}, max {max(xs) * 1e3:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--validators", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    state = realistic_state(args.validators)
    reg = state.validators
    reg.index_of_pubkey(b"\0" * 48)  # build the index, as a node's deposits do
    reg.copy()  # warm-up

    copies = []
    for _ in range(args.runs):
        gc.collect()
        t = time.perf_counter()
        c = reg.copy()
        copies.append(time.perf_counter() - t)
        del c
    print(f"Registry.copy() at {args.validators:,} validators: {_ms(copies)}")

    appends = []
    for i in range(args.runs):
        c = reg.copy()
        gc.collect()
        t = time.perf_counter()
        c.append(bytes([1, i % 256]) + b"\xee" * 46, b"\x01" + bytes(31), 32 * 10**9, 32 * 10**9)
        appends.append(time.perf_counter() - t)
        del c
    print(f"first append on a copy: {_ms(appends)}")

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    two = [reg.copy(), reg.copy()]
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"memory of two copies (tracemalloc): {held / MIB:.1f} MiB ({held / MIB / 2:.1f} MiB each)")
    del two


if __name__ == "__main__":
    main()
