"""The fees module's page: the fee settings this chain charges (Gwei), each with the bounds governance may set it
within (the fees module's Params)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.modules.fees import MODULE
from stakework.modules.fees.definition import PARAMS
from stakework.web.app import Body, PageError
from stakework.web.html import PageContext, dl, join, tag


class FeesPage:
    """The fees module's web page (see the module docstring)."""

    title_key = "fees.title"

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
        m = ctx.m
        with view.lock:
            settings = view.chain.head_state.modules.get(MODULE)
        if settings is None:
            raise PageError(404, m.t("modules.no_item", item=MODULE))
        facts = dl(
            [
                (p.name, f"{getattr(settings, p.name):,} Gwei ({m.t('fees.bounds')} {p.minimum:,}..{p.maximum:,})")
                for p in PARAMS
            ],
            cls="facts",
        )
        return m.t("fees.title"), join([tag("p", m.t("fees.intro")), facts])

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body:
        raise PageError(404, ctx.m.t("modules.no_item", item=item[:40]))

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]:
        return []


PAGE = FeesPage()
