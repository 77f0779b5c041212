"""The risk analyzer in the browser: the same engine as `stakework risk` (`build_scenario`, `Scenario.run`,
`summarize`) and the same words (the analyzer's own catalogs), a results table, a value-over-time chart per route
(median and 5–95 % band), the seed example (20 % APY, the price halves) one click away, and the proof-of-work vs
proof-of-stake comparison.

A run is a GET form: the page's address is the run (bookmark it, share it); the seed makes it reproducible, and the
table's cells carry the exact values (`data-value`) the CLI's `--json` gives for the same seed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from stakework.risk.chains import CHAINS, get_chain
from stakework.risk.i18n import Messages as RiskMessages
from stakework.risk.report.explain import PowReference, security_table, walkthrough
from stakework.risk.report.summary import summarize
from stakework.risk.routes import routes_for
from stakework.risk.scenario import build_scenario
from stakework.spec.errors import StakeworkError
from stakework.web.app import Body, PageError
from stakework.web.charts import Series, line_chart
from stakework.web.html import Markup, PageContext, join, link, table, tag, url

DEFAULT_PATHS = 5_000
MAX_PATHS = 50_000
"""A page's run is bounded (a request holds one of the server's few places while it computes)."""
MAX_DAYS = 3_650
MAX_WORK = 20_000_000
"""Paths × days a page's run may take (about a second on a 2-core machine): the node's server has few places for
requests, and the slot loop shares the machine. Larger runs: `stakework risk`."""
DEFAULT_SEED = 1
SEED_EXAMPLE = {"coin": "ETH", "amount": "32", "apy": "0.2", "price_change": "-0.5"}
"""The seed example: 32 ETH at 20 % APY while the price halves (`stakework risk explain`'s defaults)."""
COMPARE = "compare"

METRICS: tuple[tuple[str, str, str], ...] = (
    ("apr", "table.apr", "pct"),
    ("apy", "table.apy", "pct"),
    ("real_yield", "table.real_yield", "pct"),
    ("tokens_mean", "table.tokens_mean", "tok"),
    ("tokens_q.0", "table.tokens_p05", "tok"),
    ("tokens_q.1", "table.tokens_p50", "tok"),
    ("tokens_q.2", "table.tokens_p95", "tok"),
    ("fiat_mean", "table.fiat_mean", "usd"),
    ("fiat_q.0", "table.fiat_p05", "usd"),
    ("fiat_q.1", "table.fiat_p50", "usd"),
    ("fiat_q.2", "table.fiat_p95", "usd"),
    ("fiat_return_mean", "table.fiat_return", "pct1"),
    ("p_below_hold", "table.p_below_hold", "pct1"),
    ("p_fiat_loss", "table.p_fiat_loss", "pct1"),
    ("exit_days_mean", "table.exit_mean", "days"),
    ("exit_days_max", "table.exit_max", "days"),
    ("hazard_loss_share", "table.hazard_share", "pct"),
)
"""The table's rows: the summary field (`name.i` for a quantile), its label in the analyzer's catalog, its format."""


def _metric(summary: Any, field: str) -> float:
    name, _, index = field.partition(".")
    value = getattr(summary, name)
    return float(value[int(index)] if index else value)


def _format(value: float, kind: str) -> str:
    if kind == "pct":
        return f"{value:.2%}"
    if kind == "pct1":
        return f"{value:+.1%}" if value < 0 else f"{value:.1%}"
    if kind == "tok":
        return f"{value:,.4f}" if abs(value) < 1e5 else f"{value:,.0f}"
    if kind == "usd":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{value:.1f}"


def _number(query: Mapping[str, str], name: str, *, lo: float, hi: float) -> float | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise PageError(400, f"{name}: expected a number, got {text[:40]!r}") from None
    if not lo <= value <= hi:
        raise PageError(400, f"{name} must be from {lo:g} to {hi:g}, got {value:g}")
    return value


def _tree(query: Mapping[str, str]) -> dict[str, Any]:
    """The scenario tree `stakework risk` builds from its options, from the form's fields."""
    amount = _number(query, "amount", lo=1e-9, hi=1e15)
    days = _number(query, "days", lo=1, hi=MAX_DAYS)
    paths = _number(query, "paths", lo=100, hi=MAX_PATHS)
    seed = _number(query, "seed", lo=0, hi=2**63 - 1)
    run: dict[str, Any] = {
        "amount": amount,
        "days": int(days) if days is not None else 365,
        "paths": int(paths) if paths is not None else DEFAULT_PATHS,
        "seed": int(seed) if seed is not None else DEFAULT_SEED,
    }
    if run["paths"] * run["days"] > MAX_WORK:
        raise PageError(
            400,
            f"{run['paths']:,} paths × {run['days']:,} days is more than a page runs ({MAX_WORK:,} path-days): "
            "take fewer paths or days, or run `stakework risk` for a larger run",
        )
    price: dict[str, Any] = {}
    for key, name, lo, hi in (
        ("price_usd", "price", 1e-12, 1e12),
        ("volatility", "volatility", 0.0, 10.0),
        ("drift", "drift", -5.0, 5.0),
    ):
        value = _number(query, name, lo=lo, hi=hi)
        if value is not None:
            price[key] = value
    return {"run": run, "price": price}


def _form(ctx: PageContext, query: Mapping[str, str], routes: list[str], rm: RiskMessages) -> Markup:
    m = ctx.m
    coin = query.get("coin", "ETH").upper()
    route = query.get("route", COMPARE)

    def field(name: str, label: str, value: str, **attrs: object) -> Markup:
        return tag(
            "p",
            tag("label", label, for_=f"f-{name}"),
            tag("input", id=f"f-{name}", name=name, value=query.get(name, value), **attrs),
        )

    coins = [tag("option", c, value=c, selected=c == coin) for c in CHAINS]
    route_opts = [tag("option", m.t("risk.compare_all"), value=COMPARE, selected=route == COMPARE)]
    route_opts += [tag("option", rm.t(f"route.{r}"), value=r, selected=r == route) for r in routes if r != "hold"]
    return tag(
        "form",
        tag("p", tag("label", m.t("risk.coin"), for_="f-coin"), tag("select", *coins, id="f-coin", name="coin")),
        field("amount", m.t("risk.amount"), "32", inputmode="decimal", required=True),
        tag(
            "p", tag("label", m.t("risk.route"), for_="f-route"), tag("select", *route_opts, id="f-route", name="route")
        ),
        field("days", m.t("risk.days"), "365", inputmode="numeric"),
        field("paths", m.t("risk.paths"), str(DEFAULT_PATHS), inputmode="numeric"),
        field("seed", m.t("risk.seed"), str(DEFAULT_SEED), inputmode="numeric"),
        field("price", m.t("risk.price"), "", inputmode="decimal", placeholder=m.t("risk.preset")),
        field("volatility", m.t("risk.volatility"), "", inputmode="decimal", placeholder=m.t("risk.preset")),
        field("drift", m.t("risk.drift"), "", inputmode="decimal", placeholder=m.t("risk.preset")),
        tag("p", tag("button", m.t("risk.run"), type="submit", id="run")),
        action="/risk",
        method="get",
        cls="risk-form",
    )


def risk_page(ctx: PageContext, query: Mapping[str, str]) -> Body:
    """The form; with an amount, the run's table and charts."""
    m = ctx.m
    rm = RiskMessages(m.lang)
    coin = query.get("coin", "ETH")
    try:
        chain = get_chain(coin)
    except StakeworkError as exc:
        raise PageError(400, str(exc)) from None
    routes = list(routes_for(chain, None))
    parts = [
        tag("p", m.t("risk.intro")),
        tag("p", link(url("/risk/explain", **SEED_EXAMPLE), m.t("risk.seed_example"), id="seed-example", cls="button")),
        _form(ctx, query, routes, rm),
    ]
    if query.get("amount"):
        parts.append(_results(ctx, rm, coin, query))
    return m.t("risk.title"), join(parts)


def _results(ctx: PageContext, rm: RiskMessages, coin: str, query: Mapping[str, str]) -> Markup:
    m = ctx.m
    route = query.get("route", COMPARE)
    tree = _tree(query)
    try:
        scenario = build_scenario(coin, tree, None if route == COMPARE else [route])
        result = scenario.run()
    except StakeworkError as exc:
        raise PageError(400, str(exc)) from None
    summaries = summarize(result)
    cfg = result.config
    chain = result.chain
    title = rm.t(
        "table.compare_title" if route == COMPARE else "table.title",
        chain=chain.name,
        amount=f"{cfg.amount:g}",
        coin=chain.coin,
        days=cfg.days,
        paths=f"{cfg.paths:,}",
        price=_format(result.price0, "usd"),
        model=result.price_source,
    )
    head = [rm.t("table.metric"), *(rm.t(f"route_short.{s.route}") for s in summaries)]
    rows = []
    for field, key, kind in METRICS:
        cells: list[object] = [rm.t(key)]
        for s in summaries:
            value = _metric(s, field)
            cells.append(
                Markup(tag("span", _format(value, kind), data_route=s.route, data_metric=field, data_value=repr(value)))
            )
        rows.append(cells)
    notes = [
        rm.t(
            "table.start_value",
            value=_format(result.initial_fiat, "usd"),
            hold=_format(float(result.hold_final.mean()), "usd"),
        ),
        rm.t("table.inflation", coin=chain.coin, inflation=f"{summaries[0].supply_inflation:.2%}"),
        *(
            rm.t("notice.skipped_route", route=rm.t(f"route.{n}"), min=f"{v:g}", coin=chain.coin)
            for n, v in scenario.skipped
        ),
        rm.t("table.footnote", days=cfg.days, as_of=chain.as_of, seed=result.seed),
    ]
    grid = [float(d) for d in result.grid]
    series = []
    for name, rr in result.routes.items():
        fan = np.asarray(rr.fan, dtype=float)
        if fan.size == 0:
            continue
        q05, q50, q95 = np.percentile(fan, [5, 50, 95], axis=0)
        series.append(Series(rm.t(f"route_short.{name}"), grid, q50.tolist(), (q05.tolist(), q95.tolist())))
    chart = line_chart(
        series,
        title=rm.t("plot.compare_title"),
        x_label=rm.t("plot.days"),
        y_label=rm.t("plot.value_usd"),
        fmt_x=lambda v: f"{v:,.0f}",
        fmt_y=lambda v: f"{v:,.0f}",
    )
    return tag(
        "section",
        tag("h2", title),
        table(head, rows, cls="data risk-table"),
        tag("ul", *(tag("li", n) for n in notes), cls="notes"),
        tag("h2", rm.t("plot.compare_title")),
        chart,
        id="results",
        aria_label=m.t("risk.results"),
    )


def explain_page(ctx: PageContext, query: Mapping[str, str]) -> Body:
    """The arithmetic with the user's numbers (default: the seed example), then proof of work vs proof of stake:
    the same text as `stakework risk explain`."""
    m = ctx.m
    rm = RiskMessages(m.lang)
    apy = _number(query, "apy", lo=-0.99, hi=100)
    change = _number(query, "price_change", lo=-1, hi=100)
    amount = _number(query, "amount", lo=1e-9, hi=1e15)
    apy = apy if apy is not None else float(SEED_EXAMPLE["apy"])
    change = change if change is not None else float(SEED_EXAMPLE["price_change"])
    amount = amount if amount is not None else float(SEED_EXAMPLE["amount"])
    coin = query.get("coin", "ETH")
    try:
        chain = get_chain(coin)
        w = walkthrough(amount, apy, change, chain.price_usd)
    except StakeworkError as exc:
        raise PageError(400, str(exc)) from None

    def usd(x: float) -> str:
        return _format(x, "usd")

    result = (
        rm.t("explain.gain", pct=f"{w.fiat_return:.1%}")
        if w.fiat_return >= 0
        else rm.t("explain.loss", pct=f"{-w.fiat_return:.1%}")
    )
    lines = [
        rm.t(
            "explain.tokens",
            amount=f"{amount:g}",
            coin=chain.coin,
            apy=f"{apy:.1%}",
            growth=f"{w.growth:g}",
            tokens=f"{w.tokens:,.4g}",
        ),
        rm.t(
            "explain.price",
            price0=usd(w.price0),
            change=f"{change:+.1%}",
            price_factor=f"{w.price_factor:g}",
            price1=usd(w.price1),
        ),
        rm.t(
            "explain.fiat",
            growth=f"{w.growth:g}",
            price_factor=f"{w.price_factor:g}",
            ratio=f"{w.ratio:.4g}",
            start=usd(w.start_fiat),
            end=usd(w.end_fiat),
            result=result,
        ),
        rm.t("explain.breakeven", apy=f"{apy:.1%}", breakeven=f"{w.breakeven_drop:.1%}"),
        rm.t("explain.vs_hold", hold=usd(w.hold_fiat), extra=usd(w.extra_vs_hold), growth=f"{w.growth:g}"),
    ]
    form = tag(
        "form",
        tag("label", "APY", for_="e-apy"),
        tag("input", id="e-apy", name="apy", value=f"{apy:g}", inputmode="decimal"),
        tag("label", m.t("risk.price_change"), for_="e-change"),
        tag("input", id="e-change", name="price_change", value=f"{change:g}", inputmode="decimal"),
        tag("label", m.t("risk.amount"), for_="e-amount"),
        tag("input", id="e-amount", name="amount", value=f"{amount:g}", inputmode="decimal"),
        tag("input", type="hidden", name="coin", value=chain.coin),
        tag("button", m.t("risk.recompute"), type="submit"),
        action="/risk/explain",
        method="get",
        cls="search",
    )
    ref = PowReference()
    keys = ("consensus", "mechanism", "energy_tx", "energy_year", "attack_halt", "attack_control")
    chains = [chain if c.coin == chain.coin else c for c in CHAINS.values()]
    rows = [
        (
            f"{r.name} ({r.coin})",
            rm.t(f"explain.{r.proof}"),
            f"{r.energy_per_tx_kwh:,.4g}",
            f"{r.energy_per_year_gwh:,.4g}",
            f"{r.attack_halt_usd:,.3g}",
            f"{r.attack_control_usd:,.3g}",
        )
        for r in security_table(chains, ref)
    ]
    body = join(
        [
            form,
            tag("ul", *(tag("li", line) for line in lines), cls="walkthrough", id="walkthrough"),
            tag("h2", rm.t("explain.pow_title", as_of=ref.as_of)),
            table([rm.t(f"explain.{k}") for k in keys], rows, cls="data"),
            tag("p", rm.t("explain.attack_note"), cls="note"),
            tag("p", rm.t("explain.coin_age"), cls="note"),
        ]
    )
    return rm.t("explain.title"), body
