"""Block import at mainnet size, with the unit costs beside it (issue #16).

Runs `stakework bench block`'s workload (`stakework.bench.block`: a realistic state with real BLS keys and M funded
accounts, a block with a full slot's aggregate attestation, signed transfers, deposits, exits and withdrawals) and
prints its per-phase medians, then measures in the same run the baselines that say what the signature phases are
made of: one `FastAggregateVerify` over as many keys as the block's aggregate has (keys decoded and cached, as a
node has them), the block's aggregate checked as the import checks it (from the committees' kept sums) with its
committees seen for the first time and seen before, one over a 128-key committee, and one Ed25519 verification.

    .venv/bin/python benchmarks/bench_block_import.py [VALIDATORS] [ACCOUNTS] [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from stakework.bench.block import bench_secret_key, build_block_workload, run_block_bench
from stakework.crypto import bls, ed25519
from stakework.transition import pubkey_cache
from stakework.transition.block.attestation import is_valid_attestation_signature
from stakework.transition.state_transition import process_slots


def _median_ms(fn: object, times: int) -> float:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def main(validators: int = 100_000, accounts: int = 100_000, runs: int = 5) -> None:
    t0 = time.perf_counter()
    workload = build_block_workload(validators, accounts)
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in workload.setup_seconds.items())
    print(f"set-up {time.perf_counter() - t0:.1f} s: {steps}")
    result = run_block_bench(workload, runs)
    medians = result.medians_ms()
    print(
        f"block import, {validators:,} validators, {accounts:,} accounts ({workload.attesters:,} attesters, "
        f"{workload.transfers} transfers, {workload.deposits} deposits, {workload.exits} exits, "
        f"{workload.withdrawals} withdrawals), median of {runs}; load average {os.getloadavg()[0]:.1f}"
    )
    for key, value in medians.items():
        print(f"  {key:<30} {value:10.2f}")

    pubkeys = [workload.pre_state.validators.pubkey[i].tobytes() for i in range(workload.attesters)]
    message = b"\x01" * 32
    total = sum(range(1, workload.attesters + 1)) % (0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001)
    signature = bls.SecretKey.from_bytes(total.to_bytes(32, "big")).sign(message)
    assert bls.fast_aggregate_verify(pubkeys, message, signature)  # decodes and caches the keys
    fav_ms = _median_ms(lambda: bls.fast_aggregate_verify(pubkeys, message, signature), 5)
    state = workload.pre_state.copy()
    process_slots(state, workload.block.message.slot, state_root=workload.pre_state_root)
    attestation = workload.block.message.body.attestations[0]

    def first_seen() -> None:
        pubkey_cache.clear_committee_sums()
        assert is_valid_attestation_signature(state, attestation)

    first_ms = _median_ms(first_seen, 5)
    again_ms = _median_ms(lambda: is_valid_attestation_signature(state, attestation), 5)
    committee = pubkeys[:128]
    signature128 = bls.SecretKey.from_bytes(sum(range(1, 129)).to_bytes(32, "big")).sign(message)
    fav128_ms = _median_ms(lambda: bls.fast_aggregate_verify(committee, message, signature128), 20)
    one = bench_secret_key(0)
    sig1 = one.sign(message)
    verify_ms = _median_ms(lambda: bls.verify(one.public_key(), message, sig1), 20)
    key = ed25519.AccountKey.from_seed(b"\x07" * 32)
    ed_sig = key.sign(b"x" * 150)
    ed_ms = _median_ms(lambda: ed25519.verify(key.public_key, b"x" * 150, ed_sig), 200)
    print(f"baseline: FastAggregateVerify over {workload.attesters:,} cached keys {fav_ms:.2f} ms")
    print(
        f"the block's aggregate as the import checks it: committees seen for the first time {first_ms:.2f} ms, "
        f"seen before (kept committee sums) {again_ms:.2f} ms"
    )
    print(
        f"baseline: FastAggregateVerify over a 128-key committee {fav128_ms:.2f} ms; one BLS Verify {verify_ms:.2f} ms"
    )
    print(f"baseline: one Ed25519 verification {ed_ms * 1000:.0f} µs")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
