"""`stakework risk`: what staking a real coin is likely to earn or lose, by route, in tokens and in dollars.

    stakework risk --coin ETH --amount 32 --route liquid --days 365 [--paths N] [--price-csv F] [--json]
    stakework risk compare --coin ETH --amount 32 [--plot eth.png] [--html eth.html]
    stakework risk explain [--apy 0.2 --price-change -0.5] [--coin ETH]
    stakework risk sweep --coin ETH --amount 32 --route liquid --param total_staked=30e6,40e6 \\
        --param volatility=0.4,0.8 [--workers 2] [--ray-address auto]

Only parsing and rendering live here; the models are in `stakework.risk`. Taxes are out of scope: every figure
is before tax."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from stakework.cli.common import console, err_console, fail
from stakework.risk.errors import InputValueError
from stakework.spec.errors import StakeworkError

app = typer.Typer(
    help="Risk analyzer: what staking ETH, SOL, ATOM, ADA or POL earns and can lose, by route. Every figure is "
    "before tax (taxes are out of scope); claiming and re-staking fees are included where the chain's model has "
    "them. Expected values come with their Monte Carlo standard error (±).",
    invoke_without_command=True,
    no_args_is_help=True,
)

Coin = Annotated[str, typer.Option("--coin", help="ETH, SOL, ATOM, ADA or POL.")]
Amount = Annotated[float | None, typer.Option("--amount", help="Tokens to stake.")]
Days = Annotated[int | None, typer.Option("--days", help="Horizon in days (you ask to leave on that day).")]
Paths = Annotated[int | None, typer.Option("--paths", help="Monte Carlo paths (default 20,000).")]
Seed = Annotated[int | None, typer.Option("--seed", help="Seed for a reproducible run.")]
PriceCsv = Annotated[
    Path | None,
    typer.Option(
        "--price-csv",
        help="Bootstrap daily returns from a date,close CSV (its own volatility and drift: not with --volatility "
        "or --drift).",
    ),
]
Price = Annotated[float | None, typer.Option("--price", help="Starting price in USD.")]
Vol = Annotated[float | None, typer.Option("--volatility", help="Annual price volatility (GBM sigma), e.g. 0.6.")]
Drift = Annotated[float | None, typer.Option("--drift", help="Annual expected price return (GBM mu).")]
Staked = Annotated[float | None, typer.Option("--total-staked", help="Network-wide stake in tokens.")]
Compound = Annotated[
    int | None,
    typer.Option(
        "--compound-days",
        help="Add rewards to the stake every N days on every route (0: never; default: as each chain and product "
        "does).",
    ),
]
Sets = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override any preset field: chain.participation=0.95, routes.liquid.fee=0.1."),
]
Config = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file with tables chain, routes.<name>, price and run (see docs/risk.md)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print the numbers as JSON instead of a table.")]
Plot = Annotated[Path | None, typer.Option("--plot", help="Write a PNG chart (fan chart, histogram, routes).")]
Html = Annotated[Path | None, typer.Option("--html", help="Write an interactive HTML chart (plotly).")]
Csv = Annotated[
    Path | None, typer.Option("--csv", help="Write the summary here and sampled paths to <stem>.paths.csv.")
]
Parquet = Annotated[Path | None, typer.Option("--parquet", help="Same as --csv, as Parquet.")]
ExportPaths = Annotated[int, typer.Option("--export-paths", help="Paths written by --csv/--parquet.")]
Lang = Annotated[str, typer.Option("--lang", help="Language of tables, explanations and plots: en, zh-TW.")]
HazardThreshold = Annotated[
    float,
    typer.Option(
        "--hazard-threshold",
        help="A hazard loss counts as material above this share of the value (default 0.001 = 0.1%): "
        "P(hazard loss) and the main hazards use it.",
    ),
]

FiguresFile = Annotated[
    Path | None,
    typer.Option(
        "--figures",
        help="TOML or JSON file replacing built-in figures by name (see `stakework risk figures`), below "
        "--config and --set.",
    ),
]

DEFAULT_PATHS = 20_000
PROGRESS_WORK = 50_000_000
"""Runs of at least this many paths × days show a progress bar (about a second of work and up)."""


def _tree(
    *,
    config: Path | None,
    sets: list[str] | None,
    amount: float | None,
    days: int | None,
    paths: int | None,
    seed: int | None,
    compound_days: int | None,
    price_csv: Path | None,
    price: float | None,
    volatility: float | None,
    drift: float | None,
    total_staked: float | None,
) -> dict[str, Any]:
    """Defaults < config file < --set < explicit options."""
    from stakework.risk.config import load_config, merge, parse_assignments

    tree: dict[str, Any] = {"run": {"days": 365, "paths": DEFAULT_PATHS}}
    if config is not None:
        tree = merge(tree, load_config(config))
    if sets:
        tree = merge(tree, parse_assignments(sets))
    run = {k: v for k, v in (("amount", amount), ("days", days), ("paths", paths), ("seed", seed),
                             ("compound_days", compound_days)) if v is not None}  # fmt: skip
    price_tree = {k: v for k, v in (("price_usd", price), ("volatility", volatility), ("drift", drift),
                                    ("csv", str(price_csv) if price_csv else None)) if v is not None}  # fmt: skip
    extra: dict[str, Any] = {"run": run, "price": price_tree}
    if total_staked is not None:
        extra["chain"] = {"total_staked": total_staked}
    return merge(tree, extra)


def _pct(x: float) -> str:
    return f"{x:.2%}"


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _tok(x: float) -> str:
    return f"{x:,.4f}" if abs(x) < 1e5 else f"{x:,.0f}"


def _pm(value: str, se: str) -> str:
    """A Monte Carlo estimate with its standard error, compact enough for five route columns."""
    return f"{value} ±{se}"


def _pct_se(x: float) -> str:
    return f"{x * 100:.2g}" if x < 0.01 else f"{x * 100:.1f}"


def _rows(s: Any, m: Any) -> list[tuple[str, str]]:
    """(label, value) pairs for one route summary; every estimate with its standard error (± in the units of
    the value; for percentages, percentage points)."""
    return [
        (m.t("table.apr"), _pct(s.apr)),
        (m.t("table.apy"), _pct(s.apy)),
        (m.t("table.real_yield"), f"{s.real_yield:+.2%}"),
        (m.t("table.tokens_mean"), _pm(_tok(s.tokens_mean), f"{s.tokens_mean_se:.1g}")),
        (m.t("table.tokens_p05"), _tok(s.tokens_q[0])),
        (m.t("table.tokens_p50"), _tok(s.tokens_q[1])),
        (m.t("table.tokens_p95"), _tok(s.tokens_q[2])),
        (m.t("table.fiat_mean"), _pm(_money(s.fiat_mean), f"{s.fiat_mean_se:,.0f}" if s.fiat_mean_se >= 10
                                     else f"{s.fiat_mean_se:.2g}")),
        (m.t("table.fiat_p05"), _money(s.fiat_q[0])),
        (m.t("table.fiat_p50"), _money(s.fiat_q[1])),
        (m.t("table.fiat_p95"), _money(s.fiat_q[2])),
        (m.t("table.fiat_return"), _pm(f"{s.fiat_return_mean:+.1%}", _pct_se(s.fiat_return_mean_se))),
        (m.t("table.p_below_hold"), _pm(f"{s.p_below_hold:.1%}", _pct_se(s.p_below_hold_se))),
        (m.t("table.p_fiat_loss"), _pm(f"{s.p_fiat_loss:.1%}", _pct_se(s.p_fiat_loss_se))),
        (m.t("table.exit_mean"), _pm(f"{s.exit_days_mean:.1f}", f"{s.exit_days_mean_se:.1f}")),
        (m.t("table.exit_max"), f"{s.exit_days_max:.1f}"),
        (m.t("table.hazard_share"), _pm(f"{s.hazard_loss_share:.2%}", _pct_se(s.hazard_loss_share_se))),
        (m.t("table.p_hazard", threshold=f"{s.hazard_threshold * 100:g}%"),
         _pm(f"{s.p_hazard:.2%}", _pct_se(s.p_hazard_se))),
    ]  # fmt: skip


def _check_outputs(outputs: dict[str, Path | None]) -> None:
    """Refuse, before any work, an output path whose folder does not exist or that is a folder itself."""
    from stakework.risk.report.export import OutputPathError

    for option, path in outputs.items():
        if path is None:
            continue
        folder = path.parent
        if not folder.is_dir():
            raise OutputPathError(
                f"{option} {str(path)!r}: folder {str(folder)!r} does not exist; create it first or choose another path"
            )
        if path.is_dir():
            raise OutputPathError(f"{option} {str(path)!r} is a folder; give a file name")


def _execute(
    coin: str,
    route_names: list[str] | None,
    tree: dict[str, Any],
    *,
    as_json: bool,
    plot: Path | None,
    html: Path | None,
    csv_out: Path | None,
    parquet_out: Path | None,
    export_paths: int,
    lang: str,
    hazard_threshold: float,
) -> None:
    from stakework.risk.i18n import Messages
    from stakework.risk.report.summary import run_metadata, summarize, within_noise
    from stakework.risk.scenario import build_scenario

    messages = Messages(lang)
    if not (0.0 <= hazard_threshold < 1.0):
        raise InputValueError(f"--hazard-threshold must be a share between 0 and 1, got {hazard_threshold:g}")
    _check_outputs({"--plot": plot, "--html": html, "--csv": csv_out, "--parquet": parquet_out})
    scenario = build_scenario(coin, tree, route_names)
    if scenario.work >= PROGRESS_WORK:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task(messages.t("notice.simulating", paths=f"{scenario.config.paths:,}"),
                                total=scenario.config.paths)  # fmt: skip
            result = scenario.run(progress=lambda done, _total: bar.advance(task, done))
    else:
        result = scenario.run()
    summaries = summarize(result, hazard_threshold)
    ties = within_noise(result)
    chain = result.chain
    notices = [
        messages.t("notice.skipped_route", route=messages.t(f"route.{name}"), min=f"{minimum:g}", coin=chain.coin)
        for name, minimum in scenario.skipped
    ]

    if not as_json:
        _print_table(result, summaries, ties, messages, compare=route_names is None)
    written, file_notices = _write_outputs(
        result, summaries, messages, plot=plot, html=html, csv_out=csv_out, parquet_out=parquet_out,
        export_paths=export_paths,
    )  # fmt: skip
    notices += file_notices

    if as_json:
        payload = {
            "run": run_metadata(result),
            "routes": [s.as_dict() for s in summaries],
            "within_noise": [t.as_dict() for t in ties],
            "files": [str(p) for p in written],
            "notices": notices,
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        for n in notices:
            err_console.print(n, highlight=False)
        return
    for n in notices:
        console.print(n, style="yellow", highlight=False)
    for p in written:
        console.print(messages.t("notice.wrote", path=p), style="green", highlight=False)


def _write_outputs(
    result: Any,
    summaries: list[Any],
    messages: Any,
    *,
    plot: Path | None,
    html: Path | None,
    csv_out: Path | None,
    parquet_out: Path | None,
    export_paths: int,
) -> tuple[list[Path], list[str]]:
    """Write the requested files; a file that cannot be written is a clear error (OutputPathError)."""
    from stakework.risk.report.export import OutputPathError

    written: list[Path] = []
    notices: list[str] = []
    current: Path | None = None
    try:
        if plot is not None:
            from stakework.risk.report.plots import render_png

            current = plot
            notices += render_png(result, summaries, plot, messages)
            written.append(plot)
        if html is not None:
            from stakework.risk.report.plots import render_html

            current = html
            notices += render_html(result, summaries, html, messages)
            written.append(html)
        if csv_out is not None:
            from stakework.risk.report.export import write_csv

            current = csv_out
            written += write_csv(result, summaries, csv_out, export_paths)
        if parquet_out is not None:
            from stakework.risk.report.export import write_parquet

            current = parquet_out
            written += write_parquet(result, summaries, parquet_out, export_paths)
    except OSError as exc:
        raise OutputPathError(f"cannot write {str(current)!r}: {exc.strerror or exc}") from None
    return written, notices


def _print_table(result: Any, summaries: list[Any], ties: list[Any], messages: Any, *, compare: bool) -> None:
    """The table, the starting value, the footnote and which routes are within noise of each other."""
    from stakework.risk.report.summary import NOISE_SIGMAS

    cfg = result.config
    chain = result.chain
    title = messages.t(
        "table.compare_title" if compare else "table.title", chain=chain.name, amount=f"{cfg.amount:g}",
        coin=chain.coin, days=cfg.days, paths=f"{cfg.paths:,}", price=_money(result.price0),
        model=result.price_source,
    )  # fmt: skip
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column(messages.t("table.metric"), style="bold", no_wrap=True)
    for s in summaries:
        table.add_column(messages.t(f"route_short.{s.route}"), justify="right")
    per_route = [_rows(s, messages) for s in summaries]
    for i, (label, _) in enumerate(per_route[0]):
        table.add_row(label, *(rows[i][1] for rows in per_route))
    console.print(table)
    console.print(
        messages.t(
            "table.start_value", value=_money(result.initial_fiat), hold=_money(float(result.hold_final.mean()))
        ),
        highlight=False,
    )
    for s in summaries:
        if s.restakes:
            console.print(
                messages.t(
                    "table.restakes", route=messages.t(f"route_short.{s.route}"), n=s.restakes,
                    fees=_tok(s.restake_fees_paid), coin=chain.coin,
                ),
                highlight=False,
            )  # fmt: skip
    inflation = summaries[0].supply_inflation
    console.print(messages.t("table.inflation", coin=chain.coin, inflation=_pct(inflation)), highlight=False)
    for s in summaries:
        if s.hazards_dominant:
            console.print(
                messages.t(
                    "table.main_hazards", route=messages.t(f"route_short.{s.route}"),
                    threshold=f"{s.hazard_threshold * 100:g}%",
                    hazards=", ".join(f"{name} {p:.2%}" for name, p in s.hazards_dominant[:3]),
                ),
                highlight=False,
            )  # fmt: skip
    if ties:
        pairs = ", ".join(
            f"{messages.t(f'route_short.{t.a}')}–{messages.t(f'route_short.{t.b}')} "
            f"({t.difference:+,.0f} ± {t.difference_se:,.0f})"
            for t in ties
        )
        console.print(messages.t("table.within_noise", pairs=pairs, sigmas=f"{NOISE_SIGMAS:g}"), highlight=False)
    console.print(
        messages.t("table.footnote", days=cfg.days, as_of=chain.as_of, seed=result.seed), style="dim", highlight=False
    )


@app.callback(invoke_without_command=True)
def risk(
    ctx: typer.Context,
    coin: Coin = "ETH",
    amount: Amount = None,
    route: Annotated[str, typer.Option("--route", help="solo, pool, liquid, exchange or hold.")] = "pool",
    days: Days = None,
    paths: Paths = None,
    seed: Seed = None,
    price_csv: PriceCsv = None,
    price: Price = None,
    volatility: Vol = None,
    drift: Drift = None,
    total_staked: Staked = None,
    compound_days: Compound = None,
    sets: Sets = None,
    config: Config = None,
    figures: FiguresFile = None,
    as_json: Json = False,
    plot: Plot = None,
    html: Html = None,
    csv: Csv = None,
    parquet: Parquet = None,
    export_paths: ExportPaths = 200,
    lang: Lang = "en",
    hazard_threshold: HazardThreshold = 0.001,
) -> None:
    """One route against holding: APR/APY and real yield, expected (± standard error) and 5/50/95% outcomes in
    tokens and USD, the chance of ending below holding or at a dollar loss, time to exit and the hazards' share.
    Before tax: taxes are out of scope."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        tree = _tree(config=config, sets=sets, amount=amount, days=days, paths=paths, seed=seed,
                     compound_days=compound_days, price_csv=price_csv, price=price, volatility=volatility,
                     drift=drift, total_staked=total_staked)  # fmt: skip
        with _use_figures(figures):
            _execute(coin, [route], tree, as_json=as_json, plot=plot, html=html, csv_out=csv, parquet_out=parquet,
                     export_paths=export_paths, lang=lang, hazard_threshold=hazard_threshold)  # fmt: skip
    except StakeworkError as exc:
        fail(str(exc))


@app.command()
def compare(
    coin: Coin = "ETH",
    amount: Amount = None,
    days: Days = None,
    paths: Paths = None,
    seed: Seed = None,
    price_csv: PriceCsv = None,
    price: Price = None,
    volatility: Vol = None,
    drift: Drift = None,
    total_staked: Staked = None,
    compound_days: Compound = None,
    sets: Sets = None,
    config: Config = None,
    figures: FiguresFile = None,
    as_json: Json = False,
    plot: Plot = None,
    html: Html = None,
    csv: Csv = None,
    parquet: Parquet = None,
    export_paths: ExportPaths = 200,
    lang: Lang = "en",
    hazard_threshold: HazardThreshold = 0.001,
) -> None:
    """Every route side by side on the same price paths; says which are within noise of each other. Before tax:
    taxes are out of scope."""
    try:
        tree = _tree(config=config, sets=sets, amount=amount, days=days, paths=paths, seed=seed,
                     compound_days=compound_days, price_csv=price_csv, price=price, volatility=volatility,
                     drift=drift, total_staked=total_staked)  # fmt: skip
        with _use_figures(figures):
            _execute(coin, None, tree, as_json=as_json, plot=plot, html=html, csv_out=csv, parquet_out=parquet,
                     export_paths=export_paths, lang=lang, hazard_threshold=hazard_threshold)  # fmt: skip
    except StakeworkError as exc:
        fail(str(exc))


def _use_figures(path: Path | None) -> Any:
    """The replacements of `--figures` in effect for the run (built-in figures when None)."""
    from contextlib import nullcontext

    from stakework.risk.figures import load_figures, use_figures

    return nullcontext() if path is None else use_figures(load_figures(path))


@app.command()
def figures(
    as_json: Json = False,
    figures_file: Annotated[
        Path | None, typer.Option("--figures", help="Show the values in effect with this file's replacements.")
    ] = None,
) -> None:
    """Every built-in market and chain figure with its unit, source and date (most are approximate public
    figures of November 2025): what to check, and replace with --figures FILE, before relying on a result."""
    from stakework.risk.figures import figure_records

    try:
        with _use_figures(figures_file):
            records = figure_records()
    except StakeworkError as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        return
    console.print(
        "Built-in figures: name = value unit  [date] source — meaning  (* replaced by --figures)",
        markup=False,
        highlight=False,
    )
    for r in records:
        shown = f"{r['value']:g}" if isinstance(r["value"], float) else str(r["value"])
        mark = " *" if r["value"] != r["builtin"] else ""
        console.print(
            f"{r['name']} = {shown}{mark} {r['unit']}  [{r['date']}] {r['source']} — {r['meaning']}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def explain(
    coin: Coin = "ETH",
    amount: Annotated[float, typer.Option("--amount", help="Tokens staked.")] = 32.0,
    apy: Annotated[float, typer.Option("--apy", help="Yearly staking yield, e.g. 0.2 for 20%.")] = 0.20,
    price_change: Annotated[
        float, typer.Option("--price-change", help="Price change over the period, e.g. -0.5 for a halving.")
    ] = -0.50,
    price: Price = None,
    sets: Sets = None,
    config: Config = None,
    lang: Lang = "en",
) -> None:
    """Walk through the arithmetic with your numbers, then compare proof of work and proof of stake."""
    from stakework.risk.chains import CHAINS, get_chain
    from stakework.risk.config import load_config, merge, parse_assignments
    from stakework.risk.i18n import Messages
    from stakework.risk.report.explain import PowReference, security_table, walkthrough

    try:
        m = Messages(lang)
        tree: dict[str, Any] = load_config(config) if config else {}
        if sets:
            tree = merge(tree, parse_assignments(sets))
        over = dict(tree.get("chain", {}))
        if price is not None:
            over["price_usd"] = price
        chain = get_chain(coin, over)
        w = walkthrough(amount, apy, price_change, chain.price_usd)
    except StakeworkError as exc:
        fail(str(exc))
    console.print(m.t("explain.title"), style="bold", highlight=False)
    result = (m.t("explain.gain", pct=f"{w.fiat_return:.1%}") if w.fiat_return >= 0
              else m.t("explain.loss", pct=f"{-w.fiat_return:.1%}"))  # fmt: skip
    lines = [
        m.t("explain.tokens", amount=f"{amount:g}", coin=chain.coin, apy=f"{apy:.1%}", growth=f"{w.growth:g}",
            tokens=f"{w.tokens:,.4g}"),
        m.t("explain.price", price0=_money(w.price0), change=f"{price_change:+.1%}", price_factor=f"{w.price_factor:g}",
            price1=_money(w.price1)),
        m.t("explain.fiat", growth=f"{w.growth:g}", price_factor=f"{w.price_factor:g}", ratio=f"{w.ratio:.4g}",
            start=_money(w.start_fiat), end=_money(w.end_fiat), result=result),
        m.t("explain.breakeven", apy=f"{apy:.1%}", breakeven=f"{w.breakeven_drop:.1%}"),
        m.t("explain.vs_hold", hold=_money(w.hold_fiat), extra=_money(w.extra_vs_hold), growth=f"{w.growth:g}"),
    ]  # fmt: skip
    for line in lines:
        console.print(line, highlight=False)
    chains = [chain if c.coin == chain.coin else c for c in CHAINS.values()]
    ref = PowReference()
    table = Table(title=m.t("explain.pow_title", as_of=ref.as_of), title_justify="left")
    for key in ("consensus", "mechanism", "energy_tx", "energy_year", "attack_halt", "attack_control"):
        table.add_column(m.t(f"explain.{key}"), justify="left" if key in ("consensus", "mechanism") else "right")
    for row in security_table(chains, ref):
        style = "bold" if row.coin == chain.coin else None
        table.add_row(
            f"{row.name} ({row.coin})", m.t(f"explain.{row.proof}"), f"{row.energy_per_tx_kwh:,.4g}",
            f"{row.energy_per_year_gwh:,.4g}", f"{row.attack_halt_usd:,.3g}", f"{row.attack_control_usd:,.3g}",
            style=style,
        )  # fmt: skip
    console.print(table)
    console.print(m.t("explain.attack_note"), style="dim", highlight=False)
    console.print(m.t("explain.coin_age"), highlight=False)


@app.command()
def sweep(
    coin: Coin = "ETH",
    amount: Amount = None,
    route: Annotated[str, typer.Option("--route", help="Route to sweep.")] = "pool",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="name=v1,v2,... (chain field, or dotted: routes.liquid.fee=0.05,0.1)."),
    ] = None,
    days: Days = None,
    paths: Annotated[int, typer.Option("--paths", help="Paths per cell.")] = 5_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed shared by all cells.")] = 0,
    price_csv: PriceCsv = None,
    sets: Sets = None,
    config: Config = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Local processes (default: CPU count).")] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="Run the cells on Ray: auto (the cluster this machine joined with `ray start`), "
            "ray://HEAD:10001, or local (a one-machine Ray started for the sweep).",
        ),
    ] = None,
    as_json: Json = False,
    lang: Lang = "en",
) -> None:
    """Run one route over a grid of parameters (e.g. total staked × volatility), in processes or on Ray."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from stakework.risk.i18n import Messages
    from stakework.risk.sweep import make_tasks, parse_param, run_sweep

    try:
        m = Messages(lang)
        tree = _tree(config=config, sets=sets, amount=amount, days=days, paths=paths, seed=seed,
                     compound_days=None, price_csv=price_csv, price=None, volatility=None, drift=None,
                     total_staked=None)  # fmt: skip
        params = dict(parse_param(p) for p in (param or []))
        tasks = make_tasks(coin, route.strip().lower(), tree, params)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err_console, transient=as_json,
        ) as progress:  # fmt: skip
            bar = progress.add_task(m.t("sweep.running", n=len(tasks)), total=len(tasks))
            results = run_sweep(tasks, workers=workers, ray_address=ray_address,
                                on_done=lambda _r: progress.advance(bar))  # fmt: skip
    except StakeworkError as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps({"coin": coin.upper(), "route": route, "cells": results}, indent=2) + "\n")
        return
    keys = list(params)
    shown = [k.removeprefix("chain.") for k in keys]
    table = Table(
        title=m.t("sweep.title", params=" × ".join(shown), route=m.t(f"route.{route.strip().lower()}"),
                  coin=coin.upper(), days=tree["run"]["days"], paths=f"{paths:,}"),
        title_justify="left",
    )  # fmt: skip
    for name in shown:
        table.add_column(name, justify="right", no_wrap=True)
    for col in ("table.apr", "sweep.median", "sweep.p_loss", "sweep.p_below"):
        table.add_column(m.t(col), justify="right")
    for r in results:
        s = r["summary"]
        table.add_row(*(f"{r['params'][k]:g}" for k in keys), _pct(s["apr"]), _money(s["fiat_q"]["p50"]),
                      _pm(f"{s['p_fiat_loss']:.1%}", _pct_se(s["p_fiat_loss_se"])),
                      _pm(f"{s['p_below_hold']:.1%}", _pct_se(s["p_below_hold_se"])))  # fmt: skip
    console.print(table)
