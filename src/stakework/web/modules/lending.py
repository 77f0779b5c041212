"""The lending module's page: both markets (supplied, borrowed, cash, usage, rates, price, deficit), e-mode's
parameters, the oracle, the bad-debt record, and an address's lending position with its health factor (for the
account page). Figures as `/v1/lending` gives them, from the same functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.modules import lending as api
from stakework.web.app import Body, PageError
from stakework.web.html import PageContext, dl, join, link, short, table, tag

WAD = 10**18
ASSET = {"swk": "SWK", "stswk": "stSWK shares"}


def _amount(ctx: PageContext, market: str, units: str | int) -> str:
    return ctx.m.swk(int(units), 9).replace("SWK", ASSET.get(market, market))


class LendingPage:
    """The lending module's web page (see the module docstring)."""

    title_key = "lending.title"

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
        m = ctx.m
        try:
            d = api.lending(view=view)["data"]
            bad = api.lending_bad_debt(limit=None, view=view)["data"]
        except ApiError as exc:
            raise PageError(exc.status, exc.message) from None
        parts: list[object] = [tag("p", m.t("lending.intro"))]
        for name, mk in d["markets"].items():
            parts += [
                tag("h2", m.t("lending.market", market=name)),
                dl(
                    [
                        (m.t("lending.supplied"), _amount(ctx, name, mk["total_supply"])),
                        (m.t("lending.borrowed"), _amount(ctx, name, mk["total_debt"])),
                        (m.t("lending.cash"), _amount(ctx, name, mk["cash"])),
                        (m.t("lending.usage"), m.pct(int(mk["usage_bps"]) / 10_000)),
                        (m.t("lending.borrow_apr"), m.pct(int(mk["borrow_apr_bps"]) / 10_000)),
                        (m.t("lending.supply_apr"), m.pct(int(mk["supply_apr_bps"]) / 10_000)),
                        (m.t("lending.price"), f"{int(mk['price']) / WAD:.6f}"),
                        (
                            m.t("lending.risk"),
                            f"{int(mk['ltv_bps']) / 100:.2f}% / {int(mk['liquidation_threshold_bps']) / 100:.2f}% / "
                            f"{int(mk['liquidation_bonus_bps']) / 100:.2f}%",
                        ),
                        (m.t("lending.deficit"), _amount(ctx, name, mk["deficit"])),
                    ],
                    cls="facts",
                ),
            ]
        e, o = d["emode"], d["oracle"]
        parts += [
            tag("h2", m.t("lending.emode_oracle")),
            dl(
                [
                    (
                        m.t("lending.emode"),
                        f"{int(e['ltv_bps']) / 100:.2f}% / {int(e['liquidation_threshold_bps']) / 100:.2f}% / "
                        f"{int(e['liquidation_bonus_bps']) / 100:.2f}%",
                    ),
                    (m.t("lending.oracle"), f"{int(o['price']) / WAD:.6f} ({o['source']})"),
                    (
                        m.t("lending.cover"),
                        m.t("common.yes") if d["cover"]["authorised"] else m.t("common.no"),
                    ),
                ],
                cls="facts",
            ),
        ]
        rows = [
            (
                r["epoch"],
                link(f"/accounts/{r['borrower']}", short(r["borrower"])),
                r["market"],
                _amount(ctx, r["market"], r["amount"]),
                _amount(ctx, r["market"], r["covered"]),
            )
            for r in bad["records"]
        ]
        parts += [
            tag("h2", m.t("lending.bad_debts")),
            table(
                [
                    m.t("common.epoch"),
                    m.t("lending.borrower"),
                    m.t("lending.market_col"),
                    m.t("lending.written_off"),
                    m.t("lending.covered"),
                ],
                rows,
                cls="data",
            )
            if rows
            else tag("p", "—"),
        ]
        return m.t("lending.title"), join(parts)

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body:
        raise PageError(404, ctx.m.t("modules.no_item", item=item[:40]))

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]:
        m = ctx.m
        d = api.lending_account("0x" + address.hex(), view=view)["data"]
        out: list[tuple[object, object]] = []
        for name, p in d["markets"].items():
            if int(p["supplied"]) or int(p["borrowed"]):
                text = m.t(
                    "lending.position",
                    supplied=_amount(ctx, name, p["supplied"]),
                    borrowed=_amount(ctx, name, p["borrowed"]),
                )
                out.append((m.t("lending.market", market=name), text))
        if out:
            hf = d["health_factor"]
            out.append((m.t("lending.health"), "—" if hf is None else f"{int(hf) / WAD:.4f}"))
        return out


PAGE = LendingPage()
