"""The liquid staking module's page: stSWK (rebasing) and wstSWK (wrapped, non-rebasing), the pooled SWK, the
share price history (the rebases) and APR as charts, operators, the withdrawal queue, and an address's stSWK,
wstSWK and requests (for the account page). Figures as `/v1/liquid` gives them, from the same functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.modules import liquid as api
from stakework.web.app import Body, PageError
from stakework.web.html import PageContext, dl, join, link, short, table, tag
from stakework.web.modules.common import PRICE_SCALE, apr_chart, apr_text, price_chart, queue_block, requests_text

HISTORY_EPOCHS = "256"


class LiquidPage:
    """The liquid module's web page (see the module docstring)."""

    title_key = "liquid.title"

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
        m = ctx.m
        try:
            d = api.liquid(epochs=None, view=view)["data"]
            history = api.liquid_history(epochs=HISTORY_EPOCHS, view=view)["data"]
            queue = api.liquid_queue(limit=None, from_id=None, view=view)["data"]
        except ApiError as exc:
            raise PageError(exc.status, exc.message) from None
        limit = d.get("stake_limit")
        facts = dl(
            [
                (m.t("liquid.pooled"), m.swk(int(d["total_assets"]), 9)),
                (m.t("liquid.price"), f"{int(d['price']) / PRICE_SCALE:.9f}"),
                (m.t("liquid.wst_rate"), f"{int(d['wst_rate']) / PRICE_SCALE:.9f}"),
                (m.t("liquid.wrapped_supply"), m.swk(int(d["wrapped_supply"])).replace("SWK", "wstSWK")),
                (m.t("modules.apr"), apr_text(ctx, d)),
                (m.t("liquid.buffer"), m.swk(int(d["buffer"]))),
                (m.t("liquid.validators"), m.num(int(d["validators"]))),
                (m.t("liquid.fee"), m.pct(int(d["fee_bps"]) / 10_000)),
                (m.t("liquid.stake_limit"), m.t("liquid.unlimited") if limit is None else m.swk(int(limit))),
                (m.t("liquid.paused"), m.t("common.yes") if d.get("staking_paused") else m.t("common.no")),
            ],
            cls="facts",
        )
        operators = [
            (
                op["index"],
                link(f"/accounts/{op['address']}", tag("code", short(op["address"]))),
                m.t("common.yes") if op["active"] in ("True", "true", True) else m.t("common.no"),
                op["spare_keys"],
            )
            for op in d.get("operators", [])
        ]
        per_year = int(d.get("epochs_per_year", "0")) or 1
        body = join(
            [
                tag("p", m.t("liquid.intro")),
                facts,
                tag("h2", m.t("liquid.rebase_history")),
                price_chart(ctx, history, m.t("liquid.rebase_history")),
                tag("h2", m.t("modules.apr_history")),
                apr_chart(ctx, history, per_year, m.t("modules.apr_history")),
                tag("h2", m.t("liquid.operators")),
                table(
                    [m.t("liquid.operator"), m.t("liquid.address"), m.t("liquid.active"), m.t("liquid.spare_keys")],
                    operators,
                    cls="data",
                )
                if operators
                else tag("p", "—"),
                tag("h2", m.t("queue.title")),
                queue_block(ctx, queue),
            ]
        )
        return m.t("liquid.title"), body

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body:
        raise PageError(404, ctx.m.t("modules.no_item", item=item[:40]))

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]:
        m = ctx.m
        d = api.liquid_account("0x" + address.hex(), view=view)["data"]
        out: list[tuple[object, object]] = []
        if int(d["balance"]) or int(d["shares"]):
            out.append(("stSWK", m.swk(int(d["balance"]), 9).replace("SWK", "stSWK")))
        if int(d["wrapped"]):
            out.append(("wstSWK", m.swk(int(d["wrapped"]), 9).replace("SWK", "wstSWK")))
        if d["requests"]:
            out.append((m.t("queue.title"), requests_text(ctx, d["requests"])))
        return out


PAGE = LiquidPage()
