"""`stakework bench epoch`: time process_epoch on a realistic state, against the reference spec when possible."""

from __future__ import annotations

import json
import statistics
import time

import typer

from stakework.cli.common import console, fail, parse_preset
from stakework.state.beacon_state import BeaconState

app = typer.Typer(help="Benchmarks: median timings on realistic states.", no_args_is_help=True)


def _time_reference(state: BeaconState, runs: int) -> float | None:
    """Median ms of the reference spec's process_epoch on the same state, or None when it is not installed."""
    try:
        from stakework.conformance.pyspec_bridge import run_pyspec_epoch, spec_for, to_pyspec
    except ImportError:
        return None
    spec = spec_for(state.preset)
    times = []
    for _ in range(runs):
        ps = to_pyspec(state)
        t0 = time.perf_counter()
        run_pyspec_epoch(spec, ps)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


@app.command("epoch")
def epoch(
    validators: int = typer.Option(100_000, "--validators", "-n", min=16, help="Validators in the state."),
    runs: int = typer.Option(7, "--runs", "-r", min=1, help="Timed runs (the median is reported)."),
    preset: str = typer.Option("mainnet", "--preset", "-p", help="Preset of the state."),
    reference_max: int = typer.Option(
        2048, "--reference-max", min=0, help="Also time the reference spec when N is at most this (0: never)."
    ),
    reference_runs: int = typer.Option(1, "--reference-runs", min=1, help="Timed runs of the reference spec."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Median time of process_epoch on a realistic state (mixed participation, slashed, exiting, compounding
    validators, pending deposits and consolidations); each run on a fresh copy."""
    from stakework.bench.workloads import realistic_state
    from stakework.transition.epoch import process_epoch

    p = parse_preset(preset)
    if validators < 16:
        fail("--validators must be at least 16")
    t0 = time.perf_counter()
    state = realistic_state(validators, preset=p)
    state.validators.index_of_pubkey(b"\x00" * 48)  # build the pubkey index once, as a node keeps it
    build_s = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        work = state.copy()
        t1 = time.perf_counter()
        process_epoch(work)
        times.append(time.perf_counter() - t1)
    median_ms = statistics.median(times) * 1000
    reference_ms = _time_reference(state, reference_runs) if 0 < validators <= reference_max else None
    result: dict[str, object] = {
        "validators": validators,
        "preset": p.PRESET_NAME,
        "runs": runs,
        "median_ms": round(median_ms, 3),
        "min_ms": round(min(times) * 1000, 3),
        "max_ms": round(max(times) * 1000, 3),
        "state_build_s": round(build_s, 3),
    }
    if reference_ms is not None:
        result["reference_ms"] = round(reference_ms, 1)
        result["speedup"] = round(reference_ms / median_ms, 1)
    if as_json:
        typer.echo(json.dumps(result))
        return
    console.print(
        f"process_epoch, {validators:,} validators ({p.PRESET_NAME}): median {median_ms:.2f} ms over {runs} runs "
        f"(min {min(times) * 1000:.2f}, max {max(times) * 1000:.2f})",
        highlight=False,
    )
    if reference_ms is not None:
        console.print(
            f"reference spec on the same state: {reference_ms:.0f} ms — {reference_ms / median_ms:,.0f}× faster"
        )
    elif validators <= reference_max:
        console.print("reference spec: not installed (pip install -e '.[dev]'), not timed")
