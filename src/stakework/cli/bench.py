"""`stakework bench epoch`: time process_epoch on a realistic state, against the reference spec when possible."""

from __future__ import annotations

import json
import statistics
import time

import typer

from stakework.cli.common import MAX_VALIDATORS, console, err_console, fail, parse_preset
from stakework.state.beacon_state import BeaconState

app = typer.Typer(help="Benchmarks: median timings on realistic states.", no_args_is_help=True)


BLOCK_BENCH_MAX = MAX_VALIDATORS
"""The most validators (and accounts) `bench block` builds: ~7 GiB at the peak, a few minutes of set-up."""


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
    validators: int = typer.Option(
        100_000, "--validators", "-n", min=16, max=MAX_VALIDATORS, help="Validators in the state (16 to 4,000,000)."
    ),
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


def _rss_mib() -> float:
    """This process's resident memory now (Linux /proc; the peak elsewhere)."""
    import resource

    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@app.command("block")
def block(
    validators: int = typer.Option(100_000, "--validators", "-n", help="Validators in the state (at least 1024)."),
    accounts: int = typer.Option(100_000, "--accounts", "-m", help="Funded accounts in the state."),
    runs: int = typer.Option(5, "--runs", "-r", help="Timed imports each way (the median is reported)."),
    transfers: int = typer.Option(512, "--transfers", help="Signed transfers in the block."),
    deposits: int = typer.Option(4, "--deposits", help="Deposits (stake transactions of new validators)."),
    exits: int = typer.Option(4, "--exits", help="Signed voluntary exits in the block."),
    cross_epoch: bool = typer.Option(
        False, "--cross-epoch", help="Put the block at an epoch's first slot: its import runs the epoch transition."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Median time to import a realistic block on a realistic state: a full slot of aggregate attestations with
    valid signatures, signed transfers between funded accounts, deposits and exits (stakework.bench.block).
    Each import works on a fresh copy of the state; the phases are timed on a step-by-step import."""
    import resource

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from stakework.bench.block import BenchError, build_block_workload, run_block_bench

    for name, value, least in (("--validators", validators, 1024), ("--accounts", accounts, 2), ("--runs", runs, 1)):
        if value < least:
            fail(f"{name} must be at least {least}, not {value}")
    for name, value in (("--validators", validators), ("--accounts", accounts)):
        if value > BLOCK_BENCH_MAX:
            fail(
                f"{name} must be at most {BLOCK_BENCH_MAX:,}, not {value:,}: 1,000,000 validators and 1,000,000 "
                "accounts already take ~1.7 GiB and two minutes to set up"
            )
    bar = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, object] = {}

    def progress(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total)
        bar.update(tasks[step], completed=done, total=total)  # type: ignore[arg-type]

    with bar:
        try:
            workload = build_block_workload(
                validators,
                accounts,
                transfers=transfers,
                deposits=deposits,
                exits=exits,
                cross_epoch=cross_epoch,
                progress=progress,
            )
            setup_rss_mib = _rss_mib()
            task = bar.add_task("imports", total=runs + 1)
            result = run_block_bench(workload, runs, on_run=lambda _: bar.advance(task))
        except BenchError as exc:
            bar.stop()
            fail(str(exc))
    medians = result.medians_ms()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, object] = {
        "validators": validators,
        "accounts": accounts,
        "runs": runs,
        "attesters": workload.attesters,
        "transfers": workload.transfers,
        "deposits": workload.deposits,
        "exits": workload.exits,
        "withdrawals": workload.withdrawals,
        "cross_epoch": cross_epoch,
        **{k: round(v, 3) for k, v in medians.items()},
        "setup_s": {k: round(v, 2) for k, v in workload.setup_seconds.items()},
        "setup_rss_mib": round(setup_rss_mib),
        "peak_rss_mib": round(peak_mib),
    }
    if as_json:
        typer.echo(json.dumps(out))
        return
    console.print(
        f"block import, {validators:,} validators, {accounts:,} accounts: {workload.attesters:,} attesters in one "
        f"aggregate, {workload.transfers} transfers, {workload.deposits} deposits, {workload.exits} exits, "
        f"{workload.withdrawals} withdrawals{', crossing an epoch' if cross_epoch else ''}; median of {runs}",
        highlight=False,
    )
    rows: list[tuple[str, float | None]] = [
        ("whole import, every signature checked", medians["median_ms"]),
        ("  transactions' signatures verified on admission (a node's path)", medians["mempool_verified_ms"]),
        ("  no signature checked", medians["no_signatures_ms"]),
        ("phases:", None),
        ("  state copy (before the import)", medians["state_copy_ms"]),
        ("  slots" + (" (the epoch transition)" if cross_epoch else ""), medians["slots_ms"]),
        ("  BLS signature checks (proposer, RANDAO, the aggregate, exits)", medians["bls_ms"]),
        ("  Ed25519 signature checks (the transactions)", medians["ed25519_ms"]),
        ("  header, withdrawals, RANDAO", medians["header_withdrawals_randao_ms"]),
        ("  attestations", medians["attestations_ms"]),
        ("  exits", medians["exits_ms"]),
        ("  transactions", medians["transactions_ms"]),
        ("  state root", medians["state_root_ms"]),
    ]
    for label, figure in rows:
        console.print(f"{label:<66}" + ("" if figure is None else f"{figure:9.2f} ms"), highlight=False)
    console.print(
        f"(min {medians['min_ms']:.1f}, max {medians['max_ms']:.1f} ms; memory: {setup_rss_mib:,.0f} MiB holding the "
        f"state and the block, {peak_mib:,.0f} MiB at the peak of the imports)",
        highlight=False,
    )
