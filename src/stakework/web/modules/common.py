"""Pieces the module pages share: a price history chart and table, a withdrawal queue table."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from stakework.web.charts import Series, line_chart
from stakework.web.html import Markup, PageContext, dl, join, link, short, table, tag

PRICE_SCALE = 10**9
"""Module prices are Gwei per 10^9 shares."""


def price_chart(ctx: PageContext, samples: list[dict[str, Any]], title: str) -> Markup:
    """The share price (SWK per share) per epoch as a chart."""
    m = ctx.m
    if not samples:
        return tag("p", m.t("modules.no_history"))
    xs = [float(s["epoch"]) for s in samples]
    ys = [int(s["price"]) / PRICE_SCALE for s in samples]
    return line_chart(
        [Series(title, xs, ys)],
        title=title,
        x_label=m.t("common.epoch"),
        y_label=m.t("modules.price"),
        fmt_x=lambda v: f"{v:,.0f}",
        fmt_y=lambda v: f"{v:.6f}",
    )


def apr_chart(ctx: PageContext, samples: list[dict[str, Any]], epochs_per_year: int, title: str) -> Markup:
    """The share price's growth from one sample to the next, annualised (simple), as a chart: what the APR
    figure averages."""
    m = ctx.m
    xs, ys = [], []
    for a, b in pairwise(samples):
        pa, pb = int(a["price"]), int(b["price"])
        span = int(b["epoch"]) - int(a["epoch"])
        if pa > 0 and span > 0:
            xs.append(float(b["epoch"]))
            ys.append((pb - pa) / pa * epochs_per_year / span * 100)
    if not xs:
        return tag("p", m.t("modules.no_history"))
    return line_chart(
        [Series(title, xs, ys)],
        title=title,
        x_label=m.t("common.epoch"),
        y_label="%",
        fmt_x=lambda v: f"{v:,.0f}",
        fmt_y=lambda v: f"{v:,.2f}",
    )


def apr_text(ctx: PageContext, data: dict[str, Any]) -> str:
    """The APR figure of a view (`apr_bps`), or a dash before two samples exist."""
    bps = data.get("apr_bps")
    return "—" if bps is None else ctx.m.pct(int(bps) / 10_000)


def queue_block(ctx: PageContext, queue: dict[str, Any]) -> Markup:
    """The withdrawal queue's summary and its open requests."""
    m = ctx.m
    summary = dl(
        [
            (m.t("queue.open"), m.num(int(queue.get("open_requests", 0)))),
            (m.t("queue.unfinalized"), m.num(int(queue.get("unfinalized", 0)))),
            (m.t("queue.queued_assets"), m.swk(int(queue.get("queued_assets", 0)))),
            (m.t("queue.reserved"), m.swk(int(queue.get("reserved", 0)))),
            (m.t("queue.next_id"), m.num(int(queue.get("next_request_id", 0)))),
        ],
        cls="facts",
    )
    rows = [
        (
            r["id"],
            link(f"/accounts/{r['owner']}", tag("code", short(r["owner"]))),
            m.swk(int(r["amount"])),
            m.num(int(r["epoch"])),
            m.t("common.yes") if r.get("finalized") else m.t("common.no"),
        )
        for r in queue.get("requests", [])
    ]
    if not rows:
        return join([summary, tag("p", m.t("queue.empty"))])
    headers = [m.t("queue.id"), m.t("queue.owner"), m.t("queue.amount"), m.t("common.epoch"), m.t("queue.finalized")]
    return join([summary, table(headers, rows, cls="data")])


def requests_text(ctx: PageContext, requests: list[dict[str, Any]]) -> str:
    """An address's open requests in one line (id: amount, finalized or not)."""
    m = ctx.m
    done, waiting = m.t("queue.finalized"), m.t("queue.waiting")
    return "; ".join(
        f"#{r['id']}: {m.swk(int(r['amount']))} ({done if r.get('finalized') else waiting})" for r in requests
    )
