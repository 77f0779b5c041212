"""The safety module's page: both vaults (staked, stkSWK price, emission and APR, what a slashing may take now,
the post-slash window), the slashing history, and an address's stkSWK positions (for the account page). Figures
as `/v1/safety` gives them, from the same functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.modules import safety as api
from stakework.web.app import Body, PageError
from stakework.web.html import PageContext, dl, join, link, short, table, tag
from stakework.web.modules.common import PRICE_SCALE

VAULT_ASSET = {"swk": "SWK", "stswk": "stSWK shares"}


class SafetyPage:
    """The safety module's web page (see the module docstring)."""

    title_key = "safety.title"

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
        m = ctx.m
        try:
            d = api.safety(view=view)["data"]
            slashings = api.safety_slashings(limit=None, view=view)["data"]
        except ApiError as exc:
            raise PageError(exc.status, exc.message) from None
        parts: list[object] = [tag("p", m.t("safety.intro"))]
        for name, v in d["vaults"].items():
            asset = VAULT_ASSET.get(name, name)
            apr = d["apr"][name].get("apr_bps")
            parts += [
                tag("h2", m.t("safety.vault", vault=name)),
                dl(
                    [
                        (m.t("safety.staked"), m.swk(int(v["total_assets"]), 9).replace("SWK", asset)),
                        (m.t("safety.price"), f"{int(v['price']) / PRICE_SCALE:.9f}"),
                        (m.t("safety.emission"), m.swk(int(v["emission_per_epoch"])) + f" ({v['emission_status']})"),
                        (m.t("modules.apr"), "—" if apr is None else m.pct(int(apr) / 10_000)),
                        (m.t("safety.slashable"), m.swk(int(v["max_slashable"]), 9).replace("SWK", asset)),
                        (
                            m.t("safety.post_slash"),
                            m.t("safety.until", epoch=v["post_slash_until"])
                            if v["in_post_slash"]
                            else m.t("common.no"),
                        ),
                    ],
                    cls="facts",
                ),
            ]
        rows = [
            (
                r["epoch"],
                r["vault"],
                r["amount"],
                r["cap"],
                link(f"/accounts/{r['recipient']}", short(r["recipient"])),
                r["reason"],
            )
            for r in slashings
        ]
        parts += [
            tag("h2", m.t("safety.slashings")),
            table(
                [
                    m.t("common.epoch"),
                    m.t("safety.vault_col"),
                    m.t("safety.amount"),
                    m.t("safety.cap"),
                    m.t("safety.recipient"),
                    m.t("safety.reason"),
                ],
                rows,
                cls="data",
            )
            if rows
            else tag("p", "—"),
        ]
        return m.t("safety.title"), join(parts)

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body:
        raise PageError(404, ctx.m.t("modules.no_item", item=item[:40]))

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]:
        m = ctx.m
        d = api.safety_account("0x" + address.hex(), view=view)["data"]
        out: list[tuple[object, object]] = []
        for name, pos in d["vaults"].items():
            if int(pos["shares"]):
                text = m.t(
                    "safety.position",
                    shares=m.swk(int(pos["shares"]), 9).replace("SWK", "stkSWK"),
                    rewards=m.swk(int(pos["rewards"]), 9),
                    cooldown=pos["cooldown"],
                )
                out.append((m.t("safety.vault", vault=name), text))
        return out


PAGE = SafetyPage()
