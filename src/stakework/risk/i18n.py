"""Message catalogs: every word the risk analyzer shows comes from `stakework/risk/locale/<lang>.toml`.

Adding a language is adding a file; a key missing from a catalog falls back to English."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from stakework.risk.errors import SimError

DEFAULT_LANG = "en"


def catalog_languages(package: str) -> list[str]:
    """Languages with a catalog file in `package`'s `locale/` folder (the risk analyzer's, the web app's)."""
    files = resources.files(package).joinpath("locale")
    return sorted(p.name.removesuffix(".toml") for p in files.iterdir() if p.name.endswith(".toml"))


@cache
def load_catalog(package: str, lang: str) -> dict[str, str]:
    """`package`'s `locale/<lang>.toml` flattened to dotted keys (`[table] apr = ...` → `table.apr`)."""
    data = resources.files(package).joinpath("locale", f"{lang}.toml").read_text(encoding="utf-8")
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = str(value)

    walk("", tomllib.loads(data))
    return flat


def available_languages() -> list[str]:
    """Languages with a risk-analyzer catalog."""
    return catalog_languages("stakework.risk")


def _catalog(lang: str) -> dict[str, str]:
    return load_catalog("stakework.risk", lang)


class Messages:
    """Translated strings for one language: `t("table.apr")`, `t("explain.tokens", amount=32)`."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        langs = available_languages()
        match = {code.lower(): code for code in langs}.get(lang.strip().lower().replace("_", "-"))
        if match is None:
            raise SimError(f"unknown language {lang!r}; available: {', '.join(langs)}")
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
