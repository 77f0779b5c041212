"""`stakework spec-test PATH...`: run reference-spec vectors through stakework's epoch processing."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stakework.cli.common import console, fail


def spec_test(
    paths: list[Path] | None = typer.Argument(None, help="Vector files or directories (searched recursively)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list the vectors (or cases) that pass."),
    official: list[Path] | None = typer.Option(
        None,
        "--official",
        help="Run Ethereum's official consensus-spec-tests (Electra) found under DIR/<preset>/electra/ instead "
        "of vector files (repeatable).",
        metavar="DIR",
    ),
    preset: str | None = typer.Option(None, "--preset", help="With --official: only this preset (minimal or mainnet)."),
    runner: str | None = typer.Option(None, "--runner", help="With --official: only this runner (e.g. rewards)."),
    handler: str | None = typer.Option(None, "--handler", help="With --official: only this handler."),
    markdown: Path | None = typer.Option(
        None, "--markdown", help="With --official: write the runner/handler table to this file (docs/conformance.md)."
    ),
) -> None:
    """Run epoch-processing vectors (format: ../shared/vectors/README.md); print each failure with the first
    differing field and validator index, then `N passed, M failed`. Exit status 0 only when all pass.

    With `--official DIR`: run the official Electra cases (epoch_processing, rewards, the block operations
    stakework has); print failing cases with the first differing field, the skip count per skipped handler,
    then `N passed, M failed, K skipped`."""
    if official:
        if paths:
            fail("give either vector PATHs or --official DIR, not both")
        _official(official, preset, runner, handler, markdown, verbose)
        return
    if markdown is not None or preset is not None or runner is not None or handler is not None:
        fail("--preset, --runner, --handler and --markdown apply to --official only")
    if not paths:
        fail("give vector files or directories (PATH...), or --official DIR")
    from stakework.conformance.vectors import find_vectors, run_vector
    from stakework.state.snapshot import SnapshotError

    try:
        files = list(find_vectors(paths))
    except SnapshotError as exc:
        fail(str(exc))
    if not files:
        fail(f"no vector files (*.json, *.json.gz) under {', '.join(map(str, paths))}")
    passed = failed = 0
    with Progress(
        TextColumn("[bold]spec-test"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # no progress bar (nor its blank line) in pipes and logs
    ) as progress:
        task = progress.add_task("vectors", total=len(files))
        for path in files:
            result = run_vector(path)
            if result.passed:
                passed += 1
                if verbose:
                    progress.console.print(f"[green]PASS[/] {result.describe()}", highlight=False)
            else:
                failed += 1
                progress.console.print(f"[red]FAIL[/] {result.describe()}", highlight=False, soft_wrap=True)
            progress.advance(task)
    console.print(f"{passed} passed, {failed} failed", highlight=False)
    if failed:
        raise typer.Exit(1)


def _official(
    dirs: list[Path], preset: str | None, runner: str | None, handler: str | None, markdown: Path | None, verbose: bool
) -> None:
    """`spec-test --official`: run the official cases; exit 1 when any fails, 2 on a missing directory or a
    malformed case (reported with the others, then counted in an error message)."""
    import shlex

    from stakework.conformance.official import (
        CaseResult,
        OfficialCaseError,
        find_cases,
        markdown_report,
        run_case,
        skip_lines,
        summary_line,
    )

    try:
        cases = [c for d in dirs for c in find_cases(d, preset=preset, runner=runner, handler=handler)]
    except OfficialCaseError as exc:
        fail(str(exc))
    results: list[CaseResult] = []
    with Progress(
        TextColumn("[bold]spec-test --official"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # no progress bar (nor its blank line) in pipes and logs
    ) as progress:
        task = progress.add_task("cases", total=len(cases))
        for case in cases:
            result = run_case(case)
            results.append(result)
            if result.status == "failed":
                progress.console.print(f"[red]FAIL[/] {result.describe()}", highlight=False, soft_wrap=True)
            elif verbose and result.status == "passed":
                progress.console.print(f"[green]PASS[/] {result.case}", highlight=False)
            progress.advance(task)
    for line in skip_lines(results):
        console.print(line, highlight=False, soft_wrap=True)
    if markdown is not None:
        args = [a for d in dirs for a in ("--official", str(d))]
        for flag, value in (("--preset", preset), ("--runner", runner), ("--handler", handler)):
            args += [flag, value] if value else []
        command = " ".join(["stakework", "spec-test", *map(shlex.quote, args), "--markdown", str(markdown)])
        try:
            markdown.write_text(markdown_report(results, command=command), encoding="utf-8")
        except OSError as exc:
            fail(f"{markdown}: cannot write ({exc.strerror})")
        console.print(f"wrote {markdown}", highlight=False)
    console.print(summary_line(results), highlight=False)
    malformed = sum(r.malformed for r in results)
    if malformed:
        fail(f"{malformed} malformed case director{'y' if malformed == 1 else 'ies'} (the 'bad case' lines above)")
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)
