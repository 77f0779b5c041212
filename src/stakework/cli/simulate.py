"""`stakework simulate`: the chain's epoch transition with a participation model and scheduled events."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stakework.cli.common import MAX_VALIDATORS, fail, parse_preset, wide_console
from stakework.spec.types import GWEI_PER_SWK

MAX_EPOCHS = 1_000_000
"""The most epochs `simulate` runs (Ethereum's 225 a day: about 12 years); a typo past it would run for days."""


def _check_target(flag: str, target: Path | None) -> None:
    """Refuse an output file that cannot be written before the run (which can take minutes), not after it."""
    if target is None:
        return
    if target.is_dir():
        fail(f"{flag} {target}: a folder; give a file name")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        fail(f"{flag} {target}: no folder {folder}; create it first")


def _swk(gwei: float, digits: int = 3) -> str:
    if math.isnan(gwei):  # an empty group
        return "-"
    return f"{gwei / GWEI_PER_SWK:,.{digits}f}"


def simulate(
    ctx: typer.Context,
    preset: str = typer.Option("devnet", "--preset", "-p", help="mainnet, minimal, devnet, or a TOML/YAML file."),
    validators: int = typer.Option(
        256,
        "--validators",
        "-n",
        min=1,
        max=MAX_VALIDATORS,
        help="Genesis validators, at most 4,000,000 (ignored with --state).",
    ),
    state_file: Path | None = typer.Option(None, "--state", help="Start from this snapshot instead of a genesis."),
    epochs: int = typer.Option(
        64, "--epochs", "-e", min=1, max=MAX_EPOCHS, help="Epochs to run (at most 1,000,000: ~12 years of Ethereum's)."
    ),
    online: float = typer.Option(1.0, "--online", help="Fraction of validators that run at all."),
    miss_rate: float = typer.Option(0.02, "--miss-rate", help="Chance an online validator misses an epoch."),
    slash: list[str] = typer.Option(["16@6"], "--slash", help="COUNT@EPOCH: slash validators (repeatable)."),
    offline: list[str] = typer.Option(["0.4@20-44"], "--offline", help="FRACTION@START-END offline window."),
    exits: list[str] = typer.Option(["8@30"], "--exit", help="COUNT@EPOCH voluntary exits (repeatable)."),
    deposits: list[str] = typer.Option(["8@4"], "--deposit", help="COUNT@EPOCH new validators' deposits."),
    no_events: bool = typer.Option(False, "--no-events", help="Drop the default events (a quiet chain)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the participation model and event choices."),
    every: int = typer.Option(
        4, "--every", min=1, help="Show every k-th epoch in the table (and every epoch with an event, and the last)."
    ),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write every epoch's record to this CSV file."),
    plot: Path | None = typer.Option(None, "--plot", help="Plot balances, finality and statuses to this PNG."),
    scenario_name: str | None = typer.Option(
        None,
        "--scenario",
        help="A module scenario instead of the events: pool-slashing (a pool's validators slashed, its share price "
        "and withdrawal queue), mass-exit (most stSWK asks to leave the liquid module at once) or systemic (a "
        "slashing of the liquid module's validators spreads: stSWK sold on the AMM, the pool depegs, leveraged "
        "positions are liquidated, bad debt, the safety module slashed to cover it).",
    ),
    settings: list[str] = typer.Option(
        [], "--set", help="KEY=VALUE: a setting of the --scenario (repeatable), e.g. --set slash_epoch=20."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="With --scenario systemic: print the run's summary as one JSON object instead of text."
    ),
) -> None:
    """Run the chain's epoch processing without a network: N validators from a devnet genesis, a participation
    model, and events (by default: 16 validators slashed at epoch 6, 40% offline from epoch 20 to 44 — an
    inactivity leak — 8 exits at 30, 8 deposits at 4). Shows finality, rewards and penalties per epoch.

    With --scenario, runs a staking-module scenario on the devnet chain instead (docs/modules.md, "Scenarios"):
    the pool or liquid module with its users, the withdrawal sweep and the module invariants checked every
    epoch; --validators, --epochs, --miss-rate and --seed apply, --set changes the scenario's own settings.
    docs/systemic.md describes --scenario systemic."""
    for flag, target in (("--csv", csv_out), ("--plot", plot)):
        _check_target(flag, target)
    if scenario_name is not None:
        _module_scenario(
            ctx, scenario_name, settings, validators, epochs, miss_rate, seed, every, csv_out, plot, as_json
        )
        return
    if settings:
        fail("--set applies to a --scenario; the default run takes --slash, --offline, --exit and --deposit")
    if as_json:
        fail("--json applies to --scenario systemic; the default run prints a table (--csv writes every epoch)")
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
    start_validators = len(state.validators)  # the run adds the deposited ones to the state
    console = wide_console()
    console.print(
        f"[bold]stakework simulate[/]: {start_validators} validators, preset {p.PRESET_NAME}, "
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
    table.add_column("event", justify="left", no_wrap=True)
    notes = _event_notes(events, records)
    for r in records:
        if r.epoch % every and r.epoch not in notes and r is not records[-1]:
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
            notes.get(r.epoch, ""),
        )
    console.print(table)
    console.print(
        "just/final: justified and finalized epoch; tgt%: balance voting for the target; reward/penalty: "
        "attestation rewards and penalties (incl. inactivity); slash: slashing penalties; act/pend/exit/gone/slsh: "
        "active, pending, exiting, exited and slashed validators. Rows: "
        + ("every epoch." if every == 1 else f"multiples of {every} (--every), every epoch with an event, the last."),
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
            plot_simulation(records, plot, title=_plot_title(start_validators, len(state.validators), p.PRESET_NAME))
        except OSError as exc:
            fail(f"cannot write {plot}: {exc.strerror}")
        console.print(f"wrote {plot}")


def _event_notes(events: list[Any], records: list[Any]) -> dict[int, str]:
    """Epoch -> what happened then (the scheduled events, and slashing penalties the chain applied on its own,
    such as the correlation penalty halfway to withdrawability): the table always shows these epochs."""
    notes: dict[int, list[str]] = {}
    for ev in events:
        if ev.kind == "offline":
            notes.setdefault(ev.epoch, []).append(f"{100 * ev.fraction:g}% offline")
            notes.setdefault(ev.end_epoch, []).append("back online")
        else:
            label = {"slash": "slashed", "exit": "exit(s)", "deposit": "deposit(s)"}[ev.kind]
            notes.setdefault(ev.epoch, []).append(f"{ev.count} {label}")
    for r in records:
        if r.slashing_penalties and not any(n.endswith("slashed") for n in notes.get(r.epoch, [])):
            notes.setdefault(r.epoch, []).append("slashing penalty")
    return {epoch: ", ".join(parts) for epoch, parts in notes.items()}


def _plot_title(start: int, end: int, preset_name: str) -> str:
    """The same count as the table's header (the validators at the start), and the deposits the run added."""
    added = f" (+{end - start} deposited during the run)" if end > start else ""
    return f"{start} validators{added}, preset {preset_name}"


# -- module scenarios (--scenario) -----------------------------------------------------------------------------

_DEFAULT_RUN_ONLY = ("preset", "state_file", "online", "slash", "offline", "exits", "deposits", "no_events")
_SCENARIO_OPTIONS = {"validators": "--validators", "epochs": "--epochs", "miss_rate": "--miss-rate"}


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the user gave option ``name`` (not its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _price(value: int) -> str:
    """A share price in Gwei per 10**9 shares, as SWK per share-SWK."""
    return f"{value / GWEI_PER_SWK:.6f}"


PRICE_SCALE = 10**18
"""The systemic scenario's prices: SWK per stSWK share times 10**18."""


def _price18(value: int, digits: int = 4) -> str:
    return f"{value / PRICE_SCALE:.{digits}f}" if value else "-"


def _record_price(record: Any) -> str:
    """The progress bar's price: a pool or liquid share price, or the systemic scenario's AMM price."""
    if hasattr(record, "amm_price"):
        return _price18(record.amm_price)
    return _price(record.price)


def _module_scenario(
    ctx: typer.Context,
    name: str,
    settings: list[str],
    validators: int,
    epochs: int,
    miss_rate: float,
    seed: int,
    every: int,
    csv_out: Path | None,
    plot: Path | None,
    as_json: bool = False,
) -> None:
    from stakework.sim.driver import ScenarioError
    from stakework.sim.scenarios import SCENARIOS, run_module_scenario, scenario_config, total_epochs

    if name not in SCENARIOS:
        fail(f"--scenario {name!r}: no such scenario; choose one of {', '.join(SCENARIOS)}")
    for option in _DEFAULT_RUN_ONLY:
        if _given(ctx, option):
            flag = next(p.opts[0] for p in ctx.command.params if p.name == option)
            fail(f"{flag} applies to the default run, not to --scenario (scenarios run on the devnet preset)")
    overrides: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"--set {item!r}: expected KEY=VALUE, e.g. --set slash_epoch=20")
        if key.strip() in overrides:
            fail(f"--set {key.strip()} given twice ({overrides[key.strip()]} and {value.strip()}): give it once")
        overrides[key.strip()] = value.strip()
    fixed: dict[str, object] = {"seed": seed}
    for option, flag in _SCENARIO_OPTIONS.items():
        if _given(ctx, option):
            if option in overrides:
                fail(f"{flag} and --set {option}=... both given; give one")
            fixed[option] = {"validators": validators, "epochs": epochs, "miss_rate": miss_rate}[option]
    if as_json and name != "systemic":
        fail(f"--json applies to --scenario systemic; {name} prints a table (--csv writes every epoch)")
    try:
        config = scenario_config(name, overrides, **fixed)
    except ScenarioError as exc:
        fail(str(exc))
    n = total_epochs(config)
    console = wide_console()
    if as_json:  # stdout carries the JSON object alone
        console = Console(file=sys.stderr, quiet=True)
    console.print(
        f"[bold]stakework simulate --scenario {name}[/]: {config.validators} genesis validators, preset devnet, "
        f"{n} epochs, seed {config.seed}",
        highlight=False,
    )
    with Progress(
        TextColumn("[bold]epochs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("price {task.fields[price]}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("run", total=n, price="-")
        try:
            result = run_module_scenario(config, on_epoch=lambda r: bar.update(task, advance=1, price=_record_price(r)))
        except ScenarioError as exc:
            fail(str(exc))
    records = result.records
    if as_json:
        typer.echo(json.dumps(result.summary()))
    elif name == "pool-slashing":
        _show_pool_slashing(console, result, every)
    elif name == "mass-exit":
        _show_mass_exit(console, result, every)
    else:
        _show_systemic(console, result, every)
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
        try:
            if name == "pool-slashing":
                _plot_pool_slashing(result, plot)
            elif name == "mass-exit":
                _plot_mass_exit(result, plot)
            else:
                _plot_systemic(result, plot)
        except OSError as exc:
            fail(f"cannot write {plot}: {exc.strerror}")
        console.print(f"wrote {plot}")


def _shown(records: list[Any], every: int, notable: set[int]) -> list[Any]:
    """Every k-th epoch, the notable epochs and the last."""
    return [r for r in records if r.epoch % every == 0 or r.epoch in notable or r is records[-1]]


def _show_pool_slashing(console: Console, result: Any, every: int) -> None:
    records = result.records
    cfg = result.config
    corr_epochs = {r.epoch for r in records if r.correlation_penalty}
    notable = {cfg.request_epoch, cfg.slash_epoch, cfg.slash_epoch - 1} | corr_epochs
    notable |= {e - 1 for e in corr_epochs}
    if result.request_finalized_epoch is not None:
        notable.add(result.request_finalized_epoch)
    table = Table(title="pool, per epoch (amounts in SWK)", header_style="bold", pad_edge=False, padding=(0, 1))
    for col in (
        "epoch",
        "price",
        "assets",
        "buffer",
        "pend",
        "act",
        "exit",
        "slsh",
        "gone",
        "delegator",
        "request",
        "paid",
        "slashed",
        "corr.",
    ):
        table.add_column(col, justify="right", no_wrap=True)
    for r in _shown(records, every, notable):
        table.add_row(
            str(r.epoch),
            _price(r.price),
            _swk(r.total_assets),
            _swk(r.buffer),
            str(r.pending),
            str(r.active),
            str(r.exiting),
            str(r.slashed),
            str(r.withdrawn),
            _swk(r.delegator_value),
            _swk(r.request_value) if r.request_amount else "-",
            _swk(r.request_paid) if r.request_paid else "-",
            _swk(r.slashing_penalty) if r.slashing_penalty else "",
            _swk(r.correlation_penalty) if r.correlation_penalty else "",
        )
    console.print(table)
    console.print(
        "price: SWK per pool share (1.000000 at the start); assets: the pool's value (buffer + validators); "
        "pend/act/exit/slsh/gone: the pool's validators pending, active, exiting, slashed and withdrawn; "
        "delegator: delegator 1's position; request: delegator 0's early request at today's price (then what it "
        "was paid); slashed / corr.: the pool's loss to the initial slashing penalty and to the correlation "
        "penalty.",
        style="dim",
        highlight=False,
    )
    by_epoch = {r.epoch: r for r in records}
    before = by_epoch.get(cfg.slash_epoch - 1)
    at = by_epoch.get(cfg.slash_epoch)
    lines = []
    if not result.slashed_pubkeys:
        lines.append(f"slashing at epoch {cfg.slash_epoch}: none of the pool's validators was active yet, none slashed")
    elif before is not None and at is not None:
        lines.append(
            f"slashing at epoch {cfg.slash_epoch}: {len(result.slashed_pubkeys)} of the pool's validators; price "
            f"{_price(before.price)} -> {_price(at.price)} (initial penalty {_swk(at.slashing_penalty)} SWK)"
        )
    for e in sorted(corr_epochs):
        r, prev = by_epoch[e], by_epoch.get(e - 1)
        if prev is not None:
            drop = 100 * (prev.price - r.price) / prev.price
            lines.append(
                f"correlation penalty at epoch {e}: {_swk(r.correlation_penalty)} SWK from the pool; price "
                f"{_price(prev.price)} -> {_price(r.price)} ({drop:.2f}% down)"
            )
    if result.request_amount:
        if result.request_finalized_epoch is None:
            lines.append(
                f"request #{result.request_id} of {_swk(result.request_amount)} SWK (epoch {cfg.request_epoch}) is "
                f"not finalized yet at epoch {records[-1].epoch}"
            )
        else:
            cut = 100 * (result.request_amount - result.request_paid) / result.request_amount
            lines.append(
                f"request #{result.request_id}: {_swk(result.request_amount)} SWK fixed at epoch "
                f"{cfg.request_epoch}, paid {_swk(result.request_paid)} SWK at epoch "
                f"{result.request_finalized_epoch} ({cut:.2f}% discount: it shared the slashing loss)"
            )
    last = records[-1]
    lines.append(
        f"the pool's account received {_swk(last.received)} SWK (deposits and withdrawals), paid "
        f"{_swk(last.paid)} SWK in claims, holds {_swk(last.module_account)} SWK"
    )
    for line in lines:
        console.print(line, highlight=False)


def _show_mass_exit(console: Console, result: Any, every: int) -> None:
    records = result.records
    cfg = result.config
    notable = {cfg.request_epoch}
    if result.last_finalized_epoch is not None:
        notable.add(result.last_finalized_epoch)
    table = Table(
        title="liquid module, per epoch (amounts in SWK)", header_style="bold", pad_edge=False, padding=(0, 1)
    )
    for col in (
        "epoch",
        "price",
        "pooled",
        "buffer",
        "reqs",
        "open",
        "queued",
        "final",
        "paid",
        "pend",
        "act",
        "exit",
        "exits",
        "gone",
        "queue end",
    ):
        table.add_column(col, justify="right", no_wrap=True)
    for r in _shown(records, every, notable):
        table.add_row(
            str(r.epoch),
            _price(r.price),
            _swk(r.pooled),
            _swk(r.buffer),
            str(r.requests),
            str(r.unfinalized),
            _swk(r.queued),
            str(r.finalized),
            _swk(r.finalized_amount),
            str(r.pending),
            str(r.active),
            str(r.exiting),
            str(r.exiting_now),
            str(r.withdrawn),
            str(r.earliest_exit_epoch),
        )
    console.print(table)
    console.print(
        "price: SWK per stSWK share (wstSWK rate, 1.000000 at the start); pooled: SWK behind stSWK; reqs/open: "
        "withdrawal requests made and not yet finalized; queued: what the open requests were promised; final/paid: "
        "requests finalized and what they were paid; pend/act/exit/gone: the module's validators pending, active, "
        "exiting and withdrawn; exits: exits taking effect this epoch (the churn); queue end: the chain's exit "
        "queue reaches this epoch.",
        style="dim",
        highlight=False,
    )
    asked = sum(result.amount.values())
    before = next((r for r in records if r.epoch == cfg.request_epoch - 1), None)
    share = f" ({100 * asked / before.pooled:.0f}% of all stSWK)" if before is not None and before.pooled else ""
    console.print(
        f"{len(result.request_ids)} requests for {_swk(asked)} SWK at epoch {cfg.request_epoch}{share}",
        highlight=False,
    )
    if result.exit_epochs:
        churn = records[-1].exit_churn
        console.print(
            f"the module's validators exited from epoch {result.exit_epochs[0]} to {result.exit_epochs[-1]} "
            f"({len(result.exit_epochs)} exits; exit churn {_swk(churn, 0)} SWK an epoch)",
            highlight=False,
        )
    last = records[-1]
    if result.last_finalized_epoch is not None:
        console.print(
            f"the last request was finalized at epoch {result.last_finalized_epoch}, "
            f"{result.last_finalized_epoch - cfg.request_epoch} epochs after the requests; paid "
            f"{_swk(sum(result.paid.values()))} SWK of {_swk(asked)} SWK promised",
            highlight=False,
        )
    else:
        console.print(
            f"{last.unfinalized} requests ({_swk(last.queued)} SWK) still unfinalized at epoch {last.epoch}",
            highlight=False,
        )
    console.print(
        f"the module's account received {_swk(last.received)} SWK (stakes and withdrawals), paid "
        f"{_swk(last.paid)} SWK in claims, holds {_swk(last.module_account)} SWK",
        highlight=False,
    )


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_pool_slashing(result: Any, out: Path) -> None:
    """Three panels: the share price (the slashing, its close-up, and the correlation penalty marked with the
    drops); the early request (fixed amount, value, payment) and a delegator's position; the pool's validators by
    status."""
    plt = _pyplot()
    records = result.records
    cfg = result.config
    epochs = [r.epoch for r in records]
    price = [r.price / GWEI_PER_SWK for r in records]
    by_epoch = {r.epoch: r for r in records}
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(9, 11), sharex=True, height_ratios=(3, 2, 2))
    ax1.plot(epochs, price, color="tab:blue", lw=1.6, label="pool share price")
    ax1.axvline(cfg.slash_epoch, color="tab:red", ls="--", lw=0.9, label=f"slashing (epoch {cfg.slash_epoch})")
    if cfg.request_epoch in by_epoch:
        ax1.axvline(
            cfg.request_epoch, color="tab:orange", ls="--", lw=0.9, label=f"request (epoch {cfg.request_epoch})"
        )
    for r in records:
        prev = by_epoch.get(r.epoch - 1)
        if r.correlation_penalty and prev is not None:
            ax1.axvline(r.epoch, color="tab:purple", ls=":", lw=1.2, label=f"correlation penalty (epoch {r.epoch})")
            ax1.annotate(
                f"{100 * (r.price - prev.price) / prev.price:+.2f}%",
                (r.epoch, r.price / GWEI_PER_SWK),
                xytext=(8, 10),
                textcoords="offset points",
                color="tab:purple",
            )
    ax1.set_ylabel("SWK per share")
    ax1.legend(loc="lower left", fontsize=8)
    ax1.grid(alpha=0.3)
    lo, hi = cfg.slash_epoch - 4, cfg.slash_epoch + 4
    window = [(r.epoch, r.price / GWEI_PER_SWK) for r in records if lo <= r.epoch <= hi]
    before, at = by_epoch.get(cfg.slash_epoch - 1), by_epoch.get(cfg.slash_epoch)
    if len(window) > 2 and before is not None and at is not None:
        inset = ax1.inset_axes((0.6, 0.35, 0.37, 0.5))
        inset.plot([e for e, _ in window], [x for _, x in window], color="tab:blue", marker=".")
        inset.axvline(cfg.slash_epoch, color="tab:red", ls="--", lw=0.9)
        inset.set_title(f"close-up: slashing {100 * (at.price - before.price) / before.price:+.4f}%", fontsize=8)
        inset.tick_params(labelsize=7)
        inset.ticklabel_format(axis="y", useOffset=False)
        inset.grid(alpha=0.3)
    ax2.plot(
        epochs,
        [r.delegator_value / GWEI_PER_SWK * cfg.request_bps / 10_000 for r in records],
        color="tab:blue",
        ls=":",
        lw=1.6,
        label=f"delegator 1's position × {cfg.request_bps / 100:g}% (same deposit, never withdraws)",
    )
    if result.request_amount:
        shown = [r for r in records if r.request_amount]
        ax2.plot(
            [r.epoch for r in shown],
            [r.request_amount / GWEI_PER_SWK for r in shown],
            color="tab:grey",
            ls="--",
            label="request: amount fixed at request time",
        )
        ax2.plot(
            [r.epoch for r in shown],
            [r.request_value / GWEI_PER_SWK for r in shown],
            color="tab:orange",
            label="request: its shares' value, then what it was paid",
        )
        if result.request_finalized_epoch is not None:
            ax2.scatter(
                [result.request_finalized_epoch],
                [result.request_paid / GWEI_PER_SWK],
                color="tab:orange",
                zorder=5,
                label=f"paid {result.request_paid / GWEI_PER_SWK:.3f} SWK at epoch {result.request_finalized_epoch}",
            )
    ax2.set_ylabel("SWK")
    ax2.legend(loc="lower left", fontsize=8)
    ax2.grid(alpha=0.3)
    for attr, label, color in (
        ("pending", "pending", "tab:grey"),
        ("active", "active", "tab:green"),
        ("exiting", "exiting", "tab:orange"),
        ("slashed", "slashed", "tab:red"),
        ("withdrawn", "withdrawn", "tab:brown"),
    ):
        ax3.step(epochs, [getattr(r, attr) for r in records], where="post", label=label, color=color)
    ax3.set_ylabel("pool validators")
    ax3.set_xlabel("epoch")
    ax3.legend(loc="upper left", fontsize=8)
    ax3.grid(alpha=0.3)
    fig.suptitle(
        f"stakework simulate --scenario pool-slashing — {len(result.slashed_pubkeys)} of the pool's validators "
        f"slashed, commission {cfg.commission_bps / 100:g}%"
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _plot_mass_exit(result: Any, out: Path) -> None:
    """Two panels: the stSWK price; the queue (queued and finalized SWK, buffer) with the module's validators
    (active, exiting, withdrawn) and the exits per epoch."""
    plt = _pyplot()
    records = result.records
    cfg = result.config
    epochs = [r.epoch for r in records]
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(9, 10), sharex=True, height_ratios=(2, 3, 2))
    ax1.plot(epochs, [r.price / GWEI_PER_SWK for r in records], color="tab:blue", label="stSWK share price")
    ax1.axvline(cfg.request_epoch, color="tab:red", ls="--", lw=0.9, label=f"requests (epoch {cfg.request_epoch})")
    if result.last_finalized_epoch is not None:
        ax1.axvline(
            result.last_finalized_epoch,
            color="tab:green",
            ls=":",
            lw=1.2,
            label=f"last request finalized (epoch {result.last_finalized_epoch})",
        )
    ax1.set_ylabel("SWK per share")
    ax1.legend(loc="upper left", fontsize=8)
    ax1.grid(alpha=0.3)
    for attr, label, color in (
        ("queued", "queued (unfinalized, promised)", "tab:red"),
        ("finalized_amount", "finalized (paid)", "tab:green"),
        ("buffer", "buffer", "tab:grey"),
        ("pooled", "pooled SWK", "tab:blue"),
    ):
        ax2.plot(epochs, [getattr(r, attr) / GWEI_PER_SWK for r in records], label=label, color=color)
    ax2.set_ylabel("SWK")
    ax2.legend(loc="center right", fontsize=8)
    ax2.grid(alpha=0.3)
    for attr, label, color in (
        ("active", "active", "tab:green"),
        ("exiting", "exiting", "tab:orange"),
        ("withdrawn", "withdrawn", "tab:brown"),
    ):
        ax3.step(epochs, [getattr(r, attr) for r in records], where="post", label=label, color=color)
    ax3.bar(epochs, [r.exiting_now for r in records], color="tab:red", alpha=0.5, label="exits this epoch (churn)")
    ax3.set_ylabel("module validators")
    ax3.set_xlabel("epoch")
    ax3.legend(loc="center right", fontsize=8)
    ax3.grid(alpha=0.3)
    fig.suptitle(
        f"stakework simulate --scenario mass-exit — {cfg.stakers} stakers, {cfg.request_bps / 100:g}% of them "
        f"request at epoch {cfg.request_epoch}"
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


# -- systemic ---------------------------------------------------------------------------------------------------


def _show_systemic(console: Console, result: Any, every: int) -> None:
    records = result.records
    cfg = result.config
    events = result.events
    notable = {cfg.slash_epoch, cfg.slash_epoch - 1, *events.values()}
    notable |= {r.epoch for r in records if r.liquidations or r.correlation_penalty}
    table = Table(
        title="systemic, per epoch (amounts in SWK; prices in SWK per stSWK share)",
        header_style="bold",
        pad_edge=False,
        padding=(0, 1),
    )
    for col in (
        "epoch",
        "rate",
        "amm",
        "twap",
        "oracle",
        "disc%",
        "sold",
        "liq",
        "repaid",
        "min HF",
        "open",
        "debt",
        "bad debt",
        "covered",
        "safety",
    ):
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    table.add_column("event", justify="left", no_wrap=True)
    labels: dict[int, list[str]] = {}
    for label, epoch in events.items():
        labels.setdefault(epoch, []).append(label.replace("_", " "))
    for r in _shown(records, every, notable):
        discount = 100 * (r.share_price - r.amm_price) / r.share_price if r.amm_price and r.share_price else 0.0
        table.add_row(
            str(r.epoch),
            _price18(r.share_price),
            _price18(r.amm_price),
            _price18(r.amm_twap),
            _price18(r.oracle_price),
            f"{discount:.2f}",
            _swk(r.sold, 1) if r.sold else "",
            str(r.liquidations) if r.liquidations else "",
            _swk(r.repaid, 1) if r.repaid else "",
            _price18(r.min_health, 3),
            str(r.open_positions),
            _swk(r.debt, 0),
            _swk(r.bad_debt, 2),
            _swk(r.covered, 2),
            _swk(r.safety_assets, 1),
            ", ".join(labels.get(r.epoch, [])),
        )
    console.print(table)
    console.print(
        "rate: stSWK's exchange rate (its redemption value); amm/twap: the pool's spot and time-weighted price; "
        "oracle: the lending module's price of the collateral; disc%: the pool's discount to the rate; sold: stSWK "
        "the holders sold on the AMM; liq/repaid: liquidations and the SWK debt they repaid; min HF: the lowest "
        "health factor of the looped positions, open: positions with debt; bad debt / covered: written off and "
        "covered by the safety module so far; safety: SWK in its vault.",
        style="dim",
        highlight=False,
    )
    s = result.summary()
    order = " -> ".join(f"{k.replace('_', ' ')} (epoch {v})" for k, v in sorted(events.items(), key=lambda kv: kv[1]))
    console.print(f"chain of events: {order or 'nothing happened'}", highlight=False)
    console.print(
        f"stSWK rate {s['share_price_before']:.4f} -> {s['share_price_end']:.4f} SWK; the AMM's lowest price "
        f"{s['min_amm_price']:.4f} at epoch {s['min_amm_price_epoch']} (largest discount to the rate "
        f"{100 * s['max_discount']:.2f}%); {s['sold_stswk']:,.1f} stSWK sold by {s['sellers']} holders",
        highlight=False,
    )
    console.print(
        f"{s['liquidations']} liquidations repaid {s['liquidated_debt']:,.3f} SWK for {s['seized_stswk']:,.3f} "
        f"stSWK; lowest health factor {s['min_health_factor']:.3f}; bad debt {s['bad_debt']:,.3f} SWK, the "
        f"safety module slashed {s['safety_module_slashed']:,.3f} SWK (cap {s['safety_module_cap']:,.3f}), "
        f"{s['uncovered']:,.3f} SWK uncovered",
        highlight=False,
    )


def _plot_systemic(result: Any, out: Path) -> None:
    """Four panels: prices (exchange rate, AMM spot and time-weighted, lending oracle); health factors; liquidations;
    bad debt against the safety module's cover."""
    plt = _pyplot()
    records = result.records
    cfg = result.config
    epochs = [r.epoch for r in records]
    fig, (ax1, ax2, ax3, ax4) = plt.subplots(4, 1, figsize=(9, 13), sharex=True, height_ratios=(3, 2, 2, 2))
    for attr, label, color, style, width in (
        ("share_price", "stSWK exchange rate (redemption value)", "tab:blue", "-", 1.5),
        ("amm_price", "AMM spot price", "tab:red", "-", 1.5),
        ("amm_twap", "AMM time-weighted price", "tab:orange", "--", 2.5),
        ("oracle_price", "lending oracle (min of rate and TWAP, bounded)", "tab:purple", ":", 1.8),
    ):
        shown = [(r.epoch, getattr(r, attr) / PRICE_SCALE) for r in records if getattr(r, attr)]
        ax1.plot([e for e, _ in shown], [x for _, x in shown], color=color, ls=style, lw=width, label=label)
    events = result.events
    if "slashing" in events:
        ax1.axvline(events["slashing"], color="black", ls="--", lw=0.8, label=f"slashing (epoch {events['slashing']})")
    if "correlation_penalty" in events:
        e = events["correlation_penalty"]
        ax1.axvline(e, color="tab:brown", ls="--", lw=0.8, label=f"correlation penalty (epoch {e})")
    low = min((r for r in records if r.amm_price), key=lambda r: r.amm_price, default=None)
    if low is not None:
        ax1.annotate(
            f"{low.amm_price / PRICE_SCALE:.4f}",
            (low.epoch, low.amm_price / PRICE_SCALE),
            xytext=(-48, -14),
            textcoords="offset points",
            color="tab:red",
        )
    ax1.set_ylabel("SWK per stSWK share")
    ax1.legend(loc="lower left", fontsize=8)
    ax1.grid(alpha=0.3)
    shown = [(r.epoch, r.min_health / PRICE_SCALE) for r in records if r.min_health]
    ax2.plot([e for e, _ in shown], [x for _, x in shown], color="tab:green", label="lowest health factor")
    ax2.axhline(1.0, color="tab:red", ls="--", lw=0.9, label="liquidation (health factor 1)")
    ax2b = ax2.twinx()
    ax2b.step(epochs, [r.open_positions for r in records], where="post", color="tab:grey", lw=1, alpha=0.7)
    ax2b.set_ylabel("open positions (grey)")
    ax2.set_ylabel("health factor")
    ax2.legend(loc="lower left", fontsize=8)
    ax2.grid(alpha=0.3)
    ax3.bar(epochs, [r.liquidations for r in records], color="tab:red", alpha=0.6, label="liquidations")
    ax3.set_ylabel("liquidations")
    ax3.yaxis.get_major_locator().set_params(integer=True)
    ax3b = ax3.twinx()
    total = 0
    repaid = []
    for r in records:
        total += r.repaid
        repaid.append(total / GWEI_PER_SWK)
    ax3b.plot(epochs, repaid, color="tab:brown", label="SWK debt repaid (cumulative)")
    ax3b.set_ylabel("SWK repaid (brown)")
    ax3.legend(loc="upper left", fontsize=8)
    ax3.grid(alpha=0.3)
    for attr, label, color, width in (
        ("bad_debt", "bad debt written off", "tab:red", 4.0),
        ("covered", "covered by the safety module", "tab:green", 1.6),
        ("deficit", "uncovered", "tab:orange", 1.2),
    ):
        ax4.plot(epochs, [getattr(r, attr) / GWEI_PER_SWK for r in records], label=label, color=color, lw=width)
    ax4b = ax4.twinx()
    ax4b.plot(epochs, [r.safety_assets / GWEI_PER_SWK for r in records], color="tab:blue", ls=":", lw=1.2)
    ax4b.set_ylabel("safety module's SWK vault (dotted)")
    ax4.set_ylabel("SWK")
    ax4.set_xlabel("epoch")
    ax4.legend(loc="upper left", fontsize=8)
    ax4.grid(alpha=0.3)
    fig.suptitle(
        f"stakework simulate --scenario systemic\n{result.liquid_slashed} of the liquid module's validators "
        f"(and {result.slashed_validators - result.liquid_slashed} others) slashed at epoch {cfg.slash_epoch}, "
        f"{cfg.borrowers} looped positions",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
