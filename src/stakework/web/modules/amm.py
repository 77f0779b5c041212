"""The AMM's page: the SWK/stSWK pool (balances, price, A, fees, D and the virtual price), the oracle's spot and
time-weighted prices with the recent end-of-epoch prices as a chart, and an address's LP position (for the account
page). Figures as `/v1/amm` gives them, from the same functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.modules import amm as api
from stakework.web.app import Body, PageError
from stakework.web.html import PageContext, dl, join, tag
from stakework.web.modules.common import price_chart

PRICE = 10**18
"""AMM prices are SWK per stSWK share times 10^18."""
SAMPLES = "256"


def _price(value: str | None) -> str:
    return "—" if value is None else f"{int(value) / PRICE:.9f}"


class AmmPage:
    """The AMM's web page (see the module docstring)."""

    title_key = "amm.title"

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
        m = ctx.m
        try:
            d = api.amm(view=view)["data"]
            oracle = api.amm_oracle(samples=SAMPLES, view=view)["data"]
        except ApiError as exc:
            raise PageError(exc.status, exc.message) from None
        empty = not int(d["lp_supply"]) or not int(d["spot_price"])  # the API's 0: no liquidity, no price
        ramp = m.t("amm.ramping", a=d["future_a"], epoch=d["future_a_epoch"]) if d["ramping"] else ""
        facts = dl(
            [
                (m.t("amm.swk"), m.swk(int(d["swk_balance"]), 9)),
                (m.t("amm.stswk"), m.swk(int(d["stswk_balance"]), 9).replace("SWK", "stSWK shares")),
                (m.t("amm.rate"), _price(d["rate"])),
                (m.t("amm.spot"), m.t("amm.empty") if empty else _price(d["spot_price"])),
                (m.t("amm.twap", window=d["twap_window"]), _price(d["twap_price"])),
                (m.t("amm.a"), f"{d['a']} {ramp}".strip()),
                (m.t("amm.fee"), m.pct(int(d["fee"]) / 10**10, 4)),
                (m.t("amm.admin_fee"), m.pct(int(d["admin_fee"]) / 10**10)),
                (m.t("amm.virtual_price"), m.t("amm.empty") if not int(d["lp_supply"]) else _price(d["virtual_price"])),
                (m.t("amm.swaps"), m.num(int(d["swaps"]))),
            ],
            cls="facts",
        )
        samples = [{"epoch": s["epoch"], "price": str(int(s["price"]) // 10**9)} for s in oracle["samples"]]
        return m.t("amm.title"), join(
            [
                tag("p", m.t("amm.intro")),
                facts,
                tag("h2", m.t("amm.history")),
                price_chart(ctx, samples, m.t("amm.spot")),
            ]
        )

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body:
        raise PageError(404, ctx.m.t("modules.no_item", item=item[:40]))

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]:
        m = ctx.m
        d = api.amm_account("0x" + address.hex(), view=view)["data"]
        if not int(d["shares"]):
            return []
        text = m.t(
            "amm.position",
            shares=m.swk(int(d["shares"]), 9).replace("SWK", "LP"),
            swk=m.swk(int(d["swk"]), 9),
            stswk=m.swk(int(d["stswk"]), 9).replace("SWK", "stSWK shares"),
        )
        return [(m.t("amm.title"), text)]


PAGE = AmmPage()
"""Module pages by convention: `stakework.web.modules.<module name>:PAGE` (see `stakework.web.pages.modules`)."""
