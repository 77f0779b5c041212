"""The web app's building blocks: escaping, chart ticks and labels, amounts and language choice."""

from __future__ import annotations

import pytest

from stakework.web.charts import Series, line_chart, nice_ticks
from stakework.web.html import Markup, esc, tag
from stakework.web.i18n import Messages, UnknownLanguageError, choose_language


def test_esc__markup_characters__escaped_and_markup_passes_through() -> None:
    assert esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert esc(Markup("<b>ok</b>")) == "<b>ok</b>"
    assert tag("td", "<i>", title='"q"') == '<td title="&quot;q&quot;">&lt;i&gt;</td>'
    assert tag("input", name="n", required=True, disabled=False) == '<input name="n" required>'


def test_nice_ticks__short_integer_axis__whole_numbers_only() -> None:
    assert nice_ticks(0, 3, 6, min_step=1.0) == [0, 1, 2, 3]
    ticks = nice_ticks(0.99, 1.01)
    assert ticks[0] <= 0.99 and ticks[-1] >= 1.01 and len(ticks) <= 6


def test_line_chart__label_with_markup__escaped_in_the_svg() -> None:
    svg = line_chart([Series("<x>", [0, 1, 2], [1.0, 2.0, 3.0])], title="t<", x_label="d", y_label="v")
    assert "<x>" not in svg and "&lt;x&gt;" in svg and "<title>t&lt;</title>" in svg


def test_line_chart__no_points__a_placeholder_not_an_error() -> None:
    assert "<svg" in line_chart([Series("a", [], [])], title="t", x_label="x", y_label="y")


def test_swk__base_units__exact_integer_part_decimals_rounded_down() -> None:
    m = Messages("en")
    assert m.swk(32 * 10**9 + 999_999_999, 4) == "32.9999 SWK"
    assert m.swk(-1_500_000_000, 2) == "-1.50 SWK"
    assert m.swk(12_345 * 10**9, 0) == "12,345 SWK"


def test_choose_language__query_then_cookie_then_accept_language() -> None:
    assert choose_language("zh-TW", "en", "en") == "zh-TW"
    assert choose_language(None, "zh-TW", "en") == "zh-TW"
    assert choose_language(None, None, "fr-FR, zh-TW;q=0.8") == "zh-TW"
    assert choose_language(None, "xx", "fr") == "en"
    with pytest.raises(UnknownLanguageError, match="available: en, zh-TW"):
        choose_language("fr", None, None)


def test_actions__module_enabled__its_forms_described_from_the_message_classes() -> None:
    import json
    import re
    import threading
    from types import SimpleNamespace

    from stakework.spec.presets import DEVNET
    from stakework.web.html import NavItem, PageContext
    from stakework.web.pages.actions import actions_page

    def forms(enabled: list[str]) -> dict[str, list[list[str]]]:
        state = SimpleNamespace(modules=SimpleNamespace(enabled=lambda: enabled), preset=DEVNET)
        view = SimpleNamespace(lock=threading.RLock(), chain=SimpleNamespace(head_state=state))
        ctx = PageContext(Messages("en"), "/actions", {}, (NavItem("/actions", "nav.actions"),))
        _, body, _ = actions_page(ctx, view)
        return {
            tag: json.loads(fields.replace("&quot;", '"'))
            for tag, fields in re.findall(r'data-tag="([\w.]+)" data-fields="([^"]+)"', body)
        }

    assert set(forms([])) == {"transfer"}
    described = forms(["liquid", "pool", "governance"])
    assert described["transfer"] == [["to", "bytes20"], ["amount", "swk"]]
    assert described["pool.deposit"] == [["pool_id", "uint"], ["amount", "swk"]]
    assert described["gov.vote"] == [["proposal_id", "uint"], ["support", "uint"]]
    assert "liquid.stake" in described and "liquid.claim" in described


PAGE_FOR_TEST = object()
"""A module page object a test definition names (`tests/web/test_web_units.py:PAGE_FOR_TEST`)."""


def test_module_page__definition_names_a_page__that_object_is_the_modules_page(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from stakework.modules import registry
    from stakework.web.modules.pool import PAGE as POOL_PAGE
    from stakework.web.pages import modules

    definition = registry.get("pool")
    assert definition is not None and definition.web_page == "stakework.web.modules.pool:PAGE"
    assert modules.find_page("pool") is POOL_PAGE
    monkeypatch.setattr(
        registry,
        "get",
        lambda name: SimpleNamespace(web_page="test_web_units:PAGE_FOR_TEST") if name == "new" else None,
    )
    assert modules.find_page("new") is PAGE_FOR_TEST  # a new module's page: named by its definition, no app edit
    assert modules.find_page("missing") is None
