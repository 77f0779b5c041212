"""The web app's routes: the node's pages (mounted into the API app by `stakework.api.app.create_app`, same server
and port), or the risk pages alone (`create_web_app`, for `stakework web`).

Every HTML answer carries the security headers (`SECURITY_HEADERS`: a CSP with no inline script and
`frame-ancestors 'none'`); the language comes from `?lang=` (remembered in a cookie), the cookie, or
Accept-Language. Static files are served from the package (`stakework/web/static`), never from a CDN."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable
from importlib import resources
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from stakework import __version__
from stakework.web.html import Markup, NavItem, PageContext, layout, tag
from stakework.web.i18n import LANG_COOKIE, Messages, UnknownLanguageError, choose_language

log = logging.getLogger("stakework.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""No inline script, no other origin, not framed (clickjacking)."""
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
"""Swagger UI sets inline style attributes (never inline script): the API docs page allows those only."""
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".txt": "text/plain"}
NODE_NAV = (
    NavItem("/", "nav.overview"),
    NavItem("/blocks", "nav.blocks"),
    NavItem("/validators", "nav.validators"),
    NavItem("/accounts", "nav.accounts"),
    NavItem("/modules", "nav.modules"),
    NavItem("/actions", "nav.actions"),
    NavItem("/risk", "nav.risk"),
    NavItem("/docs", "nav.api"),
)
RISK_NAV = (NavItem("/risk", "nav.risk"), NavItem("/risk/explain", "nav.explain"))


class PageError(Exception):
    """A page that cannot be shown as asked (unknown block, malformed id...): its status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def page_context(request: Request, nav: tuple[NavItem, ...]) -> tuple[PageContext, str | None]:
    """The page's context and the language to remember (when `?lang=` chose it)."""
    query = dict(request.query_params)
    asked = query.pop("lang", None)
    lang = choose_language(asked, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    return PageContext(Messages(lang), request.url.path, query, nav), lang if asked is not None else None


def html_response(text: str, status: int = 200, *, remember: str | None = None, csp: str = CSP) -> HTMLResponse:
    """An HTML answer with the security headers (and the language cookie when the page was asked in one)."""
    response = HTMLResponse(text, status_code=status, headers={**SECURITY_HEADERS, "Content-Security-Policy": csp})
    response.headers["Cache-Control"] = "no-store"
    if remember is not None:
        response.set_cookie(LANG_COOKIE, remember, max_age=365 * 86400, samesite="strict", httponly=True)
    return response


Body = tuple[str, Markup] | tuple[str, Markup, tuple[str, ...]]
"""What a page function returns: its title and body (and the scripts it needs, from /static)."""


def render(request: Request, nav: tuple[NavItem, ...], build: Callable[[PageContext], Body]) -> Response:
    """Run a page function in the request's language; a PageError (or a refused id) is an error page with its
    status, never a traceback."""
    try:
        ctx, remember = page_context(request, nav)
    except UnknownLanguageError as exc:
        ctx, remember = PageContext(Messages("en"), request.url.path, {}, nav), None
        return html_response(layout(ctx, "400", tag("p", str(exc), cls="error")), 400)
    try:
        result = build(ctx)
    except PageError as exc:
        body = tag("p", exc.message, cls="error", role="alert")
        return html_response(
            layout(ctx, ctx.m.t("error.title", status=exc.status), body), exc.status, remember=remember
        )
    except Exception as exc:
        from stakework.api.errors import ApiError

        if isinstance(exc, ApiError):
            body = tag("p", exc.message, cls="error", role="alert")
            return html_response(
                layout(ctx, ctx.m.t("error.title", status=exc.status), body), exc.status, remember=remember
            )
        raise
    title, body = result[0], result[1]
    scripts: tuple[str, ...] = result[2] if len(result) > 2 else ()
    return html_response(layout(ctx, title, body, scripts=scripts), remember=remember)


def static_file(path: str) -> Response:
    """A file of `stakework/web/static` (no directory walk: each part must be a plain name)."""
    parts = path.split("/")
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return Response("not found", status_code=404, media_type="text/plain")
    node: Any = resources.files("stakework.web").joinpath("static")
    for p in parts:
        node = node.joinpath(p)
    if not node.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    suffix = "." + parts[-1].rsplit(".", 1)[-1]
    media = STATIC_TYPES.get(suffix) or mimetypes.guess_type(parts[-1])[0] or "application/octet-stream"
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(node.read_bytes(), media_type=media, headers=headers)


def _static_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/static/{path:path}")
    def static(path: str) -> Response:
        return static_file(path)

    return router


def _risk_router(nav: tuple[NavItem, ...]) -> APIRouter:
    from stakework.web.pages import risk

    router = APIRouter(include_in_schema=False)

    @router.get("/risk")
    def risk_page(request: Request) -> Response:
        return render(request, nav, lambda ctx: risk.risk_page(ctx, request.query_params))

    @router.get("/risk/explain")
    def explain_page(request: Request) -> Response:
        return render(request, nav, lambda ctx: risk.explain_page(ctx, request.query_params))

    return router


def docs_page(openapi_url: str = "/openapi.json") -> HTMLResponse:
    """Swagger UI for the API, every file served by the node (vendored swagger-ui-dist, see
    static/vendor/swagger-ui/VERSION), started by a static script (no inline script)."""
    text = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>stakework node API</title>'
        '<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">'
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js" defer></script>'
        '<script src="/static/swagger-init.js" defer></script></head>'
        f'<body><div id="swagger-ui" data-openapi="{openapi_url}"></div></body></html>'
    )
    return html_response(text, csp=DOCS_CSP)


def node_router() -> APIRouter:
    """The node's pages (the view is the API app's `app.state.view`): overview, blocks, transactions,
    validators, accounts, one page per enabled module, the risk analyzer, and the API docs."""
    from stakework.web.pages import accounts, actions, chain, modules, overview, validators

    nav = NODE_NAV
    router = APIRouter(include_in_schema=False)
    router.include_router(_static_router())
    router.include_router(_risk_router(nav))

    def view(request: Request) -> Any:
        return request.app.state.view

    @router.get("/docs")
    def docs() -> HTMLResponse:
        return docs_page()

    @router.get("/")
    def overview_page(request: Request) -> Response:
        return render(request, nav, lambda ctx: overview.overview_page(ctx, view(request)))

    @router.get("/blocks")
    def blocks_page(request: Request) -> Response:
        return render(request, nav, lambda ctx: chain.blocks_page(ctx, view(request), request.query_params))

    @router.get("/blocks/{block_id}")
    def block_page(block_id: str, request: Request) -> Response:
        return render(request, nav, lambda ctx: chain.block_page(ctx, view(request), block_id))

    @router.get("/tx")
    def tx_search(request: Request) -> Response:
        wanted = request.query_params.get("hash", "").strip()
        return RedirectResponse(f"/tx/{wanted}" if wanted else "/blocks", status_code=303)

    @router.get("/tx/{tx_hash}")
    def tx_page(tx_hash: str, request: Request) -> Response:
        return render(request, nav, lambda ctx: chain.transaction_page(ctx, view(request), tx_hash))

    @router.get("/validators")
    def validators_page(request: Request) -> Response:
        found = validators.search_redirect(view(request), request.query_params)
        if found is not None:
            return RedirectResponse(found, status_code=303)
        return render(request, nav, lambda ctx: validators.validators_page(ctx, view(request), request.query_params))

    @router.get("/validators/{index}")
    def validator_page(index: str, request: Request) -> Response:
        return render(request, nav, lambda ctx: validators.validator_page(ctx, view(request), index))

    @router.get("/accounts")
    def accounts_page(request: Request) -> Response:
        wanted = request.query_params.get("address", "").strip()
        if wanted:
            return RedirectResponse(f"/accounts/{wanted}", status_code=303)
        return render(request, nav, lambda ctx: accounts.accounts_page(ctx, view(request)))

    @router.get("/accounts/{address}")
    def account_page(address: str, request: Request) -> Response:
        return render(request, nav, lambda ctx: accounts.account_page(ctx, view(request), address))

    @router.get("/actions")
    def actions_page(request: Request) -> Response:
        return render(request, nav, lambda ctx: actions.actions_page(ctx, view(request)))

    @router.get("/modules")
    def modules_page(request: Request) -> Response:
        return render(request, nav, lambda ctx: modules.modules_page(ctx, view(request)))

    @router.get("/modules/{name}")
    def module_page(name: str, request: Request) -> Response:
        return render(request, nav, lambda ctx: modules.module_page(ctx, view(request), name, request.query_params))

    @router.get("/modules/{name}/{item}")
    def module_item_page(name: str, item: str, request: Request) -> Response:
        return render(
            request, nav, lambda ctx: modules.module_item_page(ctx, view(request), name, item, request.query_params)
        )

    return router


def create_web_app() -> FastAPI:
    """The risk analyzer's pages alone, no node (`stakework web`): `/` leads to `/risk`."""
    app = FastAPI(title="stakework web", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(_static_router())
    app.include_router(_risk_router(RISK_NAV))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/risk", status_code=307)

    return app
