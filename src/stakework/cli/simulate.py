"""`stakework simulate`: the chain's epoch transition with a participation model and scheduled events."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stakework.cli.common import fail, parse_preset, wide_console
from stakework.spec.types import GWEI_PER_SWK


def _swk(gwei: float, digits: int = 3) -> str:
    if math.isnan(gwei):  # an empty group
        return "-"
    return f"{gwei / GWEI_PER_SWK:,.{digits}f}"


def simulate(
    preset: str = typer.Option("devnet", "--preset", "-p", help="mainnet, minimal, devnet, or a TOML/YAML file."),
    validators: int = typer.Option(256, "--validators", "-n", min=1, help="Genesis validators (ignored with --state)."),
    state_file: Path | None = typer.Option(None, "--state", help="Start from this snapshot instead of a genesis."),
    epochs: int = typer.Option(64, "--epochs", "-e", min=1, help="Epochs to run."),
    online: float = typer.Option(1.0, "--online", help="Fraction of validators that run at all."),
    miss_rate: float = typer.Option(0.02, "--miss-rate", help="Chance an online validator misses an epoch."),
    slash: list[str] = typer.Option(["16@6"], "--slash", help="COUNT@EPOCH: slash validators (repeatable)."),
    offline: list[str] = typer.Option(["0.4@20-44"], "--offline", help="FRACTION@START-END offline window."),
    exits: list[str] = typer.Option(["8@30"], "--exit", help="COUNT@EPOCH voluntary exits (repeatable)."),
    deposits: list[str] = typer.Option(["8@4"], "--deposit", help="COUNT@EPOCH new validators' deposits."),
    no_events: bool = typer.Option(False, "--no-events", help="Drop the default events (a quiet chain)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the participation model and event choices."),
    every: int = typer.Option(4, "--every", min=1, help="Show every k-th epoch in the table (and the last)."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write every epoch's record to this CSV file."),
    plot: Path | None = typer.Option(None, "--plot", help="Plot balances, finality and statuses to this PNG."),
) -> None:
    """Run the chain's epoch processing without a network: N validators from a devnet genesis, a participation
    model, and events (by default: 16 validators slashed at epoch 6, 40% offline from epoch 20 to 44 — an
    inactivity leak — 8 exits at 30, 8 deposits at 4). Shows finality, rewards and penalties per epoch."""
    from stakework.sim.exact import Event, Scenario, run_scenario
    from stakework.state.snapshot import load_state
    from stakework.transition.genesis import devnet_genesis

    if no_events:
        slash, offline, exits, deposits = [], [], [], []
    events = (
        [Event.parse("slash", s) for s in slash]
        + [Event.parse("offline", s) for s in offline]
        + [Event.parse("exit", s) for s in exits]
        + [Event.parse("deposit", s) for s in deposits]
    )
    scenario = Scenario(epochs=epochs, online=online, miss_rate=miss_rate, seed=seed, events=tuple(events))
    state = load_state(state_file) if state_file is not None else devnet_genesis(parse_preset(preset), validators)
    p = state.preset
    console = wide_console()
    console.print(
        f"[bold]stakework simulate[/]: {len(state.validators)} validators, preset {p.PRESET_NAME}, "
        f"{epochs} epochs from epoch {state.current_epoch()}",
        highlight=False,
    )
    with Progress(
        TextColumn("[bold]epochs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("finalized {task.fields[fin]}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # no progress bar (nor its blank line) in pipes and logs
    ) as bar:
        task = bar.add_task("run", total=epochs, fin="-")
        records = run_scenario(
            state, scenario, on_epoch=lambda r: bar.update(task, advance=1, fin=str(r.finalized_epoch))
        )

    table = Table(title="per epoch (amounts in SWK)", header_style="bold", pad_edge=False, padding=(0, 1))
    for col in (
        "epoch",
        "just",
        "final",
        "tgt%",
        "active SWK",
        "reward",
        "penalty",
        "slash",
        "act",
        "pend",
        "exit",
        "gone",
        "slsh",
    ):
        table.add_column(col, justify="right", no_wrap=True)
    for r in records:
        if r.epoch % every and r is not records[-1]:
            continue
        table.add_row(
            str(r.epoch),
            str(r.justified_epoch),
            str(r.finalized_epoch),
            f"{100 * r.target_participation:.0f}",
            _swk(r.total_active_balance, 0),
            _swk(r.rewards),
            _swk(r.penalties),
            _swk(r.slashing_penalties),
            str(r.active),
            str(r.pending),
            str(r.exiting),
            str(r.exited),
            str(r.slashed),
        )
    console.print(table)
    console.print(
        "just/final: justified and finalized epoch; tgt%: balance voting for the target; reward/penalty: "
        "attestation rewards and penalties (incl. inactivity); slash: slashing penalties; act/pend/exit/gone/slsh: "
        "active, pending, exiting, exited and slashed validators.",
        style="dim",
        highlight=False,
    )
    last = records[-1]
    console.print(
        f"finalized epoch {last.finalized_epoch} at epoch {last.epoch}; mean balance: online "
        f"{_swk(last.mean_balance_online)}, offline {_swk(last.mean_balance_offline)}, "
        f"slashed {_swk(last.mean_balance_slashed)} SWK",
        highlight=False,
    )
    if csv_out is not None:
        try:
            with csv_out.open("w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=[fl.name for fl in dataclasses.fields(records[0])])
                writer.writeheader()
                writer.writerows(dataclasses.asdict(r) for r in records)
        except OSError as exc:
            fail(f"cannot write {csv_out}: {exc.strerror}")
        console.print(f"wrote {csv_out}")
    if plot is not None:
        from stakework.cli.plots import plot_simulation

        try:
            plot_simulation(records, plot, title=f"{len(state.validators)} validators, preset {p.PRESET_NAME}")
        except OSError as exc:
            fail(f"cannot write {plot}: {exc.strerror}")
        console.print(f"wrote {plot}")
