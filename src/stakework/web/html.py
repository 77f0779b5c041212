"""Server-side HTML: escaped text by default (`Markup` is the only way to pass markup through), a few builders
(tables, links, forms) and the page layout every page shares (navigation, language switch, skip link).

No template engine: pages are Python functions returning `Markup`; every value that is not `Markup` is escaped
with `html.escape`, so data from the chain (or a query string) cannot inject markup."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from stakework.web.i18n import LANG_NAMES, Messages, available_languages

VOID = frozenset({"input", "meta", "link", "br", "img"})
"""Elements without content or end tag."""


class Markup(str):
    """A string that is HTML already (escaped or built here): `esc` passes it through unchanged."""

    __slots__ = ()


def esc(value: object) -> Markup:
    """`value` as HTML text: escaped, unless it is `Markup` already."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """Several pieces (each escaped unless `Markup`) as one."""
    return Markup(sep.join(esc(p) for p in parts))


def tag(element: str, /, *children: object, **attrs: object) -> Markup:
    """`<name attrs>children</name>`; attribute names use `_` for `-` (`aria_label`), `cls` for `class`;
    None and False attributes are left out, True ones are written bare."""
    parts = [element]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        attr = "class" if key == "cls" else key.rstrip("_").replace("_", "-")
        parts.append(attr if value is True else f'{attr}="{esc(value)}"')
    if element in VOID:
        return Markup(f"<{' '.join(parts)}>")
    return Markup(f"<{' '.join(parts)}>{join(children)}</{element}>")


def link(href: str, text: object, **attrs: object) -> Markup:
    """An `<a>` link."""
    return tag("a", text, href=href, **attrs)


def url(path: str, **query: object) -> str:
    """`path?query` with None values left out."""
    params = {k.rstrip("_"): str(v) for k, v in query.items() if v is not None}
    return f"{path}?{urlencode(params)}" if params else path


def table(
    headers: Sequence[object], rows: Iterable[Sequence[object]], *, cls: str = "", caption: object = None
) -> Markup:
    """A table; numeric-looking cells are right-aligned by the style sheet through `cls="num"` columns."""
    head = tag("thead", tag("tr", *(tag("th", h, scope="col") for h in headers)))
    body = tag("tbody", *(tag("tr", *(tag("td", c) for c in row)) for row in rows))
    return tag("table", tag("caption", caption) if caption is not None else "", head, body, cls=cls or None)


def dl(items: Iterable[tuple[object, object]], **attrs: object) -> Markup:
    """A definition list of (label, value) pairs."""
    return tag("dl", *(Markup(tag("dt", k) + tag("dd", v)) for k, v in items), **attrs)


def short(hex_text: str, keep: int = 10) -> str:
    """A long 0x string shortened for a table cell (`0x12ab…9f`)."""
    return hex_text if len(hex_text) <= keep + 6 else f"{hex_text[:keep]}…{hex_text[-4:]}"


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar: its path and its catalog key (or literal label)."""

    path: str
    label: str


@dataclass(frozen=True)
class PageContext:
    """What the layout needs from the request: language, path and query (for the language switch) and the
    navigation of this server (the node's pages, or the risk pages alone)."""

    m: Messages
    path: str
    query: dict[str, str]
    nav: tuple[NavItem, ...]


def lang_switch(ctx: PageContext) -> Markup:
    """Links to this same page in every language (the server remembers the choice in a cookie)."""
    items = []
    for code in available_languages():
        query = {**ctx.query, "lang": code}
        name = LANG_NAMES.get(code, code)
        if code == ctx.m.lang:
            items.append(tag("li", tag("span", name, aria_current="true", lang=code)))
        else:
            items.append(tag("li", link(f"{ctx.path}?{urlencode(query)}", name, lang=code, hreflang=code)))
    return tag("ul", *items, cls="langs", aria_label=ctx.m.t("layout.language"))


def layout(ctx: PageContext, title: str, body: Markup, *, scripts: Sequence[str] = ()) -> str:
    """The whole page: head (style sheet, deferred scripts from /static, no inline script), skip link, navigation,
    language switch, the page's body and the footer."""
    m = ctx.m
    nav_items = []
    for item in ctx.nav:
        label = m.t(item.label) if "." in item.label else item.label
        current = ctx.path == item.path or (item.path != "/" and ctx.path.startswith(item.path + "/"))
        nav_items.append(tag("li", link(item.path, label, aria_current="page" if current else None)))
    script_tags = join(Markup(f'<script src="{esc(s)}" defer></script>') for s in scripts)
    return "<!DOCTYPE html>\n" + tag(
        "html",
        tag(
            "head",
            Markup('<meta charset="utf-8">'),
            Markup('<meta name="viewport" content="width=device-width, initial-scale=1">'),
            tag("title", f"{title} · stakework"),
            Markup('<link rel="stylesheet" href="/static/app.css">'),
            Markup('<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'),
            script_tags,
        ),
        tag(
            "body",
            link("#main", m.t("layout.skip"), cls="skip"),
            tag(
                "header",
                link("/" if any(i.path == "/" for i in ctx.nav) else ctx.nav[0].path, "stakework", cls="brand"),
                tag("nav", tag("ul", *nav_items), aria_label=m.t("layout.navigation")),
                lang_switch(ctx),
            ),
            tag("main", tag("h1", title), body, id="main", tabindex="-1"),
            tag("footer", m.t("layout.footer")),
        ),
        lang=m.lang,
    )
