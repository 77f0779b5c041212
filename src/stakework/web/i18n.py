"""The web app's words and number formats: `stakework/web/locale/<lang>.toml`, one catalog per language (English
and Traditional Chinese as used in Taiwan), loaded the way the risk analyzer's are (`stakework.risk.i18n`).

The language of a page: `?lang=` if given (then remembered in a cookie), else the cookie, else the browser's
Accept-Language, else English. A key missing from a catalog falls back to English."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stakework.risk.i18n import catalog_languages, load_catalog

DEFAULT_LANG = "en"
LANG_COOKIE = "stakework_lang"
LANG_NAMES = {"en": "English", "zh-TW": "繁體中文"}
"""Each language's own name (what the switcher shows)."""
GWEI = 10**9


class UnknownLanguageError(ValueError):
    """A `?lang=` naming no catalog."""


def available_languages() -> list[str]:
    """Languages with a web catalog."""
    return catalog_languages("stakework.web")


def _catalog(lang: str) -> dict[str, str]:
    return load_catalog("stakework.web", lang)


def match_language(value: str | None) -> str | None:
    """The catalog a language tag names (`zh-tw`, `zh_TW`, `zh-Hant-TW`, `en-GB` → `zh-TW`, `en`), or None."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    langs = {code.lower(): code for code in available_languages()}
    if tag in langs:
        return langs[tag]
    if tag.startswith("zh") and ("tw" in tag or "hant" in tag or "hk" in tag):
        return langs.get("zh-tw")
    return langs.get(tag.split("-")[0])


def choose_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    """`?lang=` (must name a catalog), else the cookie, else the first Accept-Language that matches, else
    English."""
    if query is not None:
        lang = match_language(query)
        if lang is None:
            raise UnknownLanguageError(
                f"unknown language {query[:20]!r}; available: {', '.join(available_languages())}"
            )
        return lang
    lang = match_language(cookie)
    if lang is not None:
        return lang
    for part in (accept or "").split(","):
        lang = match_language(part.split(";")[0])
        if lang is not None:
            return lang
    return DEFAULT_LANG


class Messages:
    """Translated strings and number formats for one language: `t("nav.overview")`, `num(1234)`, `swk(gwei)`."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        match = match_language(lang)
        if match is None:
            raise UnknownLanguageError(f"unknown language {lang!r}; available: {', '.join(available_languages())}")
        self.lang = match
        self._messages = _catalog(match)
        self._fallback = _catalog(DEFAULT_LANG)

    def t(self, key: str, **values: Any) -> str:
        """The message for `key` with `values` filled in (str.format); English if this catalog lacks it."""
        template = self._messages.get(key) or self._fallback.get(key)
        if template is None:
            raise KeyError(f"no message {key!r} in any catalog")
        return template.format(**values) if values else template

    def keys(self) -> set[str]:
        """Keys this catalog defines itself."""
        return set(self._messages)

    # Taiwan writes numbers as English does (1,234.5); dates as 2026/12/07 and times on the 24-hour clock.
    def num(self, value: float, digits: int = 0) -> str:
        """A number with thousands separators and `digits` decimals."""
        return f"{value:,.{digits}f}"

    def swk(self, gwei: int, digits: int = 4) -> str:
        """An amount of base units (Gwei) as SWK, exact integer part, `digits` decimals rounded down."""
        sign = "-" if gwei < 0 else ""
        whole, frac = divmod(abs(int(gwei)), GWEI)
        shown = f"{whole:,}"
        if digits > 0:
            shown += "." + f"{frac:09d}"[:digits]
        return f"{sign}{shown} SWK"

    def pct(self, value: float, digits: int = 2) -> str:
        """A fraction as a percentage."""
        return f"{value * 100:,.{digits}f} %" if self.lang == "en" else f"{value * 100:,.{digits}f}%"

    def date(self, when: dt.datetime) -> str:
        """A date and time in the page's language (UTC)."""
        if self.lang == "zh-TW":
            return when.strftime("%Y/%m/%d %H:%M:%S") + " (UTC)"
        return when.strftime("%Y-%m-%d %H:%M:%S UTC")
