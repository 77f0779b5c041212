"""Block import and attestation verification at 10,000 validators (mainnet-like committees, minimal-size
epochs are not used: the `mainnet` preset, 32 slots per epoch).

Builds a chain of real signed blocks, each carrying the previous slot's attestations from every committee
member (one aggregate per slot, Electra style), and times `state_transition` on them: the whole import, and
the part spent verifying aggregate signatures. Baseline measured in the same run: one BLS `FastAggregateVerify`
over a committee's keys, the unit of attestation-verification work.

    .venv/bin/python benchmarks/bench_block_import.py [VALIDATORS] [SLOTS]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from stakework.crypto import bls
from stakework.spec.presets import MAINNET
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import state_transition
from support.chain import attestations_for_slot, build_block


def main(validators: int = 10_000, slots: int = 8) -> None:
    t0 = time.perf_counter()
    state = devnet_genesis(MAINNET, validators)
    print(f"genesis of {validators:,} validators: {time.perf_counter() - t0:.1f} s (key derivation)")
    blocks = []
    work = state.copy()
    atts: list = []
    t0 = time.perf_counter()
    for slot in range(1, slots + 1):
        block = build_block(work, slot, attestations=atts)
        state_transition(work, block, verify_signatures=False)
        blocks.append(block)
        atts = attestations_for_slot(work, block.message.hash_tree_root())
    print(f"built {slots} blocks with attestations: {time.perf_counter() - t0:.1f} s (signing)")

    import_times, verify_counts = [], []
    replay = state.copy()
    for block in blocks:
        t1 = time.perf_counter()
        state_transition(replay, block)
        import_times.append(time.perf_counter() - t1)
        verify_counts.append(
            sum(bin(b).count("1") for a in block.message.body.attestations for b in a.aggregation_bits)
        )
    no_sig = state.copy()
    plain = []
    for block in blocks:
        t1 = time.perf_counter()
        state_transition(no_sig, block, verify_signatures=False)
        plain.append(time.perf_counter() - t1)

    attesters = sum(verify_counts)
    verify_s = sum(import_times) - sum(plain)
    committee = [bls.devnet_secret_key(i).public_key() for i in range(128)]
    sig = bls.aggregate([bls.devnet_secret_key(i).sign(b"\x01" * 32) for i in range(128)])
    t1 = time.perf_counter()
    for _ in range(20):
        bls.fast_aggregate_verify(committee, b"\x01" * 32, sig)
    fav_ms = (time.perf_counter() - t1) / 20 * 1000
    print(
        f"block import (median of {slots}): {statistics.median(import_times) * 1000:.1f} ms with signatures, "
        f"{statistics.median(plain) * 1000:.1f} ms without"
    )
    print(
        f"attestations: {attesters:,} attester votes verified in {verify_s:.2f} s "
        f"({attesters / max(verify_s, 1e-9):,.0f} votes/s, aggregated per slot)"
    )
    print(f"baseline: FastAggregateVerify over a 128-key committee {fav_ms:.2f} ms")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
