"""`stakework spec-test PATH...`: run reference-spec vectors through stakework's epoch processing."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stakework.cli.common import console, fail


def spec_test(
    paths: list[Path] = typer.Argument(..., help="Vector files or directories (searched recursively)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list the vectors that pass."),
) -> None:
    """Run epoch-processing vectors (format: ../shared/vectors/README.md); print each failure with the first
    differing field and validator index, then `N passed, M failed`. Exit status 0 only when all pass."""
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
