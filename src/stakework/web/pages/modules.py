"""One page per enabled module, found from the module's own definition: a new module gets its page without
editing the app's core.

For each module the chain runs (`ModuleStore.enabled()`), the page is the object named by the module's definition
(`ModuleDef.web_page`, an import string `package.module:NAME`, in `stakework.modules.registry`), else by convention
`stakework.web.modules.<name>:PAGE`. A page object has `title_key`, `page(ctx, view, query)`,
`item(ctx, view, item, query)` and `positions(ctx, view, address)` (rows for the account page)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Protocol

from stakework.modules import registry
from stakework.web.app import Body, PageError
from stakework.web.html import Markup, PageContext, join, link, tag


class ModulePage(Protocol):
    """What a module's web page provides."""

    title_key: str

    def page(self, ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body: ...

    def item(self, ctx: PageContext, view: Any, item: str, query: Mapping[str, str]) -> Body: ...

    def positions(self, ctx: PageContext, view: Any, address: bytes) -> list[tuple[object, object]]: ...


def _import(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr or "PAGE")


def page_target(name: str) -> str:
    """The import string of module `name`'s page: its definition's `web_page` (`stakework.modules.registry`),
    else `stakework.web.modules.<name>:PAGE`."""
    definition = registry.get(name)
    if definition is not None and definition.web_page:
        return definition.web_page
    return f"stakework.web.modules.{name}:PAGE"


def find_page(name: str) -> ModulePage | None:
    """Module `name`'s page object, None when it has none."""
    if not name.isidentifier():
        return None
    try:
        page: ModulePage = _import(page_target(name))
    except (ImportError, AttributeError):
        return None
    return page


def enabled_modules(view: Any) -> list[str]:
    """Names of the modules the head state runs."""
    with view.lock:
        names: list[str] = list(view.chain.head_state.modules.enabled())
    return names


def module_pages(view: Any) -> dict[str, ModulePage]:
    """Enabled module name → its page (modules without one are left out)."""
    out = {}
    for name in enabled_modules(view):
        page = find_page(name)
        if page is not None:
            out[name] = page
    return out


def modules_page(ctx: PageContext, view: Any) -> Body:
    """The list of enabled modules, each linking to its page."""
    m = ctx.m
    names = enabled_modules(view)
    pages = module_pages(view)
    if not names:
        return m.t("modules.title"), tag("p", m.t("modules.none"))
    items = [
        tag("li", link(f"/modules/{n}", m.t(pages[n].title_key)) if n in pages else Markup(tag("span", n)))
        for n in names
    ]
    return m.t("modules.title"), join([tag("ul", *items, cls="modules")])


def _page(view: Any, name: str, ctx: PageContext) -> ModulePage:
    if name not in enabled_modules(view):
        raise PageError(404, ctx.m.t("modules.not_enabled", name=name[:40]))
    page = find_page(name)
    if page is None:
        raise PageError(404, ctx.m.t("modules.no_page", name=name[:40]))
    return page


def module_page(ctx: PageContext, view: Any, name: str, query: Mapping[str, str]) -> Body:
    """Module `name`'s own page."""
    return _page(view, name, ctx).page(ctx, view, query)


def module_item_page(ctx: PageContext, view: Any, name: str, item: str, query: Mapping[str, str]) -> Body:
    """A page within module `name` (a pool by id...)."""
    return _page(view, name, ctx).item(ctx, view, item, query)


def positions(ctx: PageContext, view: Any, address: bytes) -> list[tuple[str, list[tuple[object, object]]]]:
    """(module title, rows) of the address's positions in every enabled module with a page."""
    out = []
    for page in module_pages(view).values():
        rows = page.positions(ctx, view, address)
        if rows:
            out.append((ctx.m.t(page.title_key), rows))
    return out
