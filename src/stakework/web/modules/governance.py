"""The governance module's page: its settings, the proposals with their status, changes, tally and timelock eta,
and an address's voting power (for the account page). Figures as `/v1/governance` gives them, from the same
functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.modules import governance as api
from stakework.web.app import Body, PageError
from stakework.web.html import PageContext, dl, join, table, tag


class GovernancePage:
    """The governance module's web page (see the module docstring)."""

    title_key = "governance.title"

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
        m = ctx.m
        try:
            d = api.governance(view=view)["data"]
            proposals = api.governance_proposals(limit=None, from_id=None, view=view)["data"]
        except ApiError as exc:
            raise PageError(exc.status, exc.message) from None
        facts = dl(
            [
                (m.t("governance.power"), m.swk(int(d["total_power"]), 9).replace("SWK", "stkSWK")),
                (m.t("governance.threshold"), m.pct(int(d["proposal_threshold_bps"]) / 10_000)),
                (m.t("governance.quorum"), m.pct(int(d["quorum_bps"]) / 10_000)),
                (m.t("governance.epochs"), f"{d['voting_delay']} / {d['voting_period']} / {d['timelock_delay']}"),
            ],
            cls="facts",
        )
        rows = [
            (
                p["id"],
                p["status"],
                ", ".join(f"{a['module']}.{a['name']} = {a['value']}" for a in p["actions"]),
                m.swk(int(p["for_votes"]), 9).replace(" SWK", ""),
                m.swk(int(p["against_votes"]), 9).replace(" SWK", ""),
                "—" if p["eta"] == "0" else p["eta"],
            )
            for p in proposals
        ]
        body = join(
            [
                tag("p", m.t("governance.intro")),
                facts,
                tag("h2", m.t("governance.proposals")),
                table(
                    [
                        m.t("governance.id"),
                        m.t("governance.status"),
                        m.t("governance.changes"),
                        m.t("governance.for"),
                        m.t("governance.against"),
                        m.t("governance.eta"),
                    ],
                    rows,
                    cls="data",
                )
                if rows
                else tag("p", "—"),
            ]
        )
        return m.t("governance.title"), body

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body:
        raise PageError(404, ctx.m.t("modules.no_item", item=item[:40]))

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]:
        m = ctx.m
        d = api.governance_account("0x" + address.hex(), view=view)["data"]
        if not int(d["votes"]) and not int(d["balance"]):
            return []
        return [(m.t("governance.votes"), m.swk(int(d["votes"]), 9).replace("SWK", "stkSWK"))]


PAGE = GovernancePage()
