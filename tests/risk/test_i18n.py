"""Message catalogs: same keys and placeholders in every language, English fallback."""

from __future__ import annotations

import string

import pytest

from stakework.risk.errors import SimError
from stakework.risk.i18n import Messages, available_languages


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogs__every_language__has_every_english_key_with_the_same_placeholders() -> None:
    en = Messages("en")
    assert set(available_languages()) >= {"en", "zh-TW"}
    for lang in available_languages():
        m = Messages(lang)
        assert m.keys() == en.keys(), lang
        for key in sorted(en.keys()):
            assert _fields(m.t(key)) == _fields(en.t(key)), (lang, key)


def test_zh_tw__route_names__are_traditional_chinese() -> None:
    m = Messages("zh-tw")
    assert m.lang == "zh-TW"
    assert m.t("route.liquid") == "流動質押代幣"
    assert "美元" in m.t("table.fiat_mean")


def test_unknown_language__lists_available() -> None:
    with pytest.raises(SimError, match="en, zh-TW"):
        Messages("fr")


def test_zh_tw__wording__as_used_in_taiwan() -> None:
    m = Messages("zh-TW")
    text = " ".join(m.t(k) for k in sorted(m.keys()))
    assert m.t("route.solo") == "自行架設驗證者"
    assert "資料截至" in m.t("table.footnote") and "數據" not in text
    assert "最終性" in m.t("explain.attack_note") and "最終確定" not in text
    assert "各種質押方式比較" in m.t("table.compare_title")
    assert "條路徑" in m.t("plot.suptitle")
