"""`stakework genesis`: write a devnet genesis snapshot."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from stakework.cli.common import MAX_VALIDATORS, console, fail, parse_preset
from stakework.spec.types import GWEI_PER_SWK

SNAPSHOT_EXTENSIONS = (".json", ".json.gz", ".swk")
"""What `--out` may end with: the format follows the name (readable JSON, gzipped JSON, or binary)."""


def check_snapshot_name(out: Path) -> None:
    """Refuse an output name whose extension says no format (`g.txt` would otherwise get binary silently)."""
    if not out.name.endswith(SNAPSHOT_EXTENSIONS):  # as save_state reads it (case-sensitive)
        fail(
            f"--out {out}: the extension picks the format; use one of {', '.join(SNAPSHOT_EXTENSIONS)} "
            "(.json and .json.gz readable, .swk binary)"
        )


def genesis(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Snapshot to write: .json / .json.gz (readable) or .swk (binary)."
    ),
    preset: str = typer.Option("devnet", "--preset", "-p", help="mainnet, minimal, devnet, or a TOML/YAML file."),
    validators: int = typer.Option(
        64, "--validators", "-n", min=1, max=MAX_VALIDATORS, help="Number of genesis validators (at most 4,000,000)."
    ),
    balance: float = typer.Option(
        0, "--balance", help="Balance per validator in SWK (default: MIN_ACTIVATION_BALANCE)."
    ),
    compounding_every: int = typer.Option(
        0, "--compounding-every", min=0, help="Give every k-th validator 0x02 credentials."
    ),
    genesis_time: int = typer.Option(0, "--genesis-time", min=0, help="Unix time of slot 0."),
) -> None:
    """Make a genesis state with deterministic devnet keys.

    INSECURE: validator i's secret key is derived from i alone (stakework.crypto.bls.devnet_secret_key); anyone
    can sign for these validators. For devnets, tests and benchmarks only.
    """
    from stakework.state.snapshot import save_state
    from stakework.transition.genesis import devnet_genesis

    check_snapshot_name(out)
    p = parse_preset(preset)
    if balance < 0:
        fail("--balance must not be negative")
    amount = round(balance * GWEI_PER_SWK) if balance else None
    if amount is not None and amount < p.MIN_DEPOSIT_AMOUNT:
        fail(f"--balance {balance} SWK is below MIN_DEPOSIT_AMOUNT ({p.MIN_DEPOSIT_AMOUNT / GWEI_PER_SWK:g} SWK)")
    with Progress(
        TextColumn("[bold]keys"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # no progress bar (nor its blank line) in pipes and logs
    ) as bar:
        task = bar.add_task("keys", total=validators)
        state = devnet_genesis(
            p,
            validators,
            balance=amount,
            compounding_every=compounding_every,
            genesis_time=genesis_time,
            progress=lambda i: bar.update(task, completed=i + 1) if (i + 1) % 256 == 0 or i + 1 == validators else None,
        )
    try:
        save_state(state, out)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    console.print(
        f"wrote genesis of {validators} validators (preset {p.PRESET_NAME}) to {out}\n"
        "[yellow]INSECURE devnet keys: anyone can derive them.[/]",
        highlight=False,
    )
