"""The pool module's page: every pool (operator, commission, value, share price, APR), one pool's price and APR
history as charts and its withdrawal queue, and an address's positions (for the account page). The figures are
the ones `/v1/pools` gives: the same functions compute them, on the node's view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.modules import pool as api
from stakework.web.app import Body, PageError
from stakework.web.html import PageContext, dl, join, link, short, table, tag
from stakework.web.modules.common import PRICE_SCALE, apr_chart, apr_text, price_chart, queue_block, requests_text

HISTORY_EPOCHS = "256"


class PoolPage:
    """The pool module's web page (see the module docstring)."""

    title_key = "pool.title"

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
        m = ctx.m
        pools = api.pools(epochs=None, view=view)["data"]
        rows = [
            (
                link(f"/modules/pool/{p['id']}", m.t("pool.name", id=p["id"])),
                link(f"/accounts/{p['operator']}", tag("code", short(p["operator"]))),
                m.pct(int(p["commission_bps"]) / 10_000),
                m.swk(int(p["total_assets"])),
                f"{int(p['price']) / PRICE_SCALE:.9f}",
                apr_text(ctx, p),
                m.num(int(p["validators"])),
            )
            for p in pools
        ]
        headers = [
            m.t("pool.pool"),
            m.t("pool.operator"),
            m.t("pool.commission"),
            m.t("pool.value"),
            m.t("modules.price"),
            m.t("modules.apr"),
            m.t("pool.validators"),
        ]
        body = table(headers, rows, cls="data") if rows else tag("p", m.t("pool.none"))
        return m.t("pool.title"), body

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body:
        m = ctx.m
        try:
            p = api.pool(item, epochs=None, view=view)["data"]
            history = api.pool_history(item, epochs=HISTORY_EPOCHS, view=view)["data"]
            queue = api.pool_queue(item, limit=None, from_id=None, view=view)["data"]
        except ApiError as exc:
            raise PageError(exc.status, exc.message) from None
        facts = dl(
            [
                (m.t("pool.operator"), link(f"/accounts/{p['operator']}", tag("code", p["operator"]))),
                (m.t("pool.commission"), m.pct(int(p["commission_bps"]) / 10_000)),
                (m.t("pool.value"), m.swk(int(p["total_assets"]), 9)),
                (m.t("pool.shares"), m.num(int(p["total_shares"]))),
                (m.t("modules.price"), f"{int(p['price']) / PRICE_SCALE:.9f}"),
                (m.t("modules.apr"), apr_text(ctx, p)),
                (m.t("pool.buffer"), m.swk(int(p["buffer"]))),
                (m.t("pool.validators"), m.num(int(p["validators"]))),
                (m.t("pool.exiting"), m.num(int(p["exiting"]))),
            ],
            cls="facts",
        )
        per_year = int(p.get("epochs_per_year", "0")) or 1
        body = join(
            [
                facts,
                tag("h2", m.t("modules.price_history")),
                price_chart(ctx, history, m.t("modules.price_history")),
                tag("h2", m.t("modules.apr_history")),
                apr_chart(ctx, history, per_year, m.t("modules.apr_history")),
                tag("h2", m.t("queue.title")),
                queue_block(ctx, queue),
            ]
        )
        return m.t("pool.name", id=p["id"]), body

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]:
        m = ctx.m
        with view.lock:
            module = view.chain.head_state.modules.pool
            ids = sorted(module.pools) if module is not None else []
        out: list[tuple[object, object]] = []
        for i in ids:
            pos = api.pool_position(str(i), "0x" + address.hex(), view=view)["data"]
            if int(pos["shares"]) or pos["requests"]:
                text = m.t("pool.position", assets=m.swk(int(pos["assets"])), shares=m.num(int(pos["shares"])))
                if pos["requests"]:
                    text += " · " + requests_text(ctx, pos["requests"])
                out.append((link(f"/modules/pool/{i}", m.t("pool.name", id=i)), text))
        return out


PAGE = PoolPage()
