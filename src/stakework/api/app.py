"""The FastAPI app factory: routes, beacon-API error bodies, the body size limit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stakework import __version__
from stakework.api.errors import ApiError
from stakework.api.routes import beacon, events, metrics, modules, node, stakework, validator
from stakework.api.view import NodeView

log = logging.getLogger("stakework.api")
MAX_BODY_BYTES = 1 << 20
"""Request bodies above this size get 413 (a batch of 1000 transfers is about 500 KB of JSON)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": status, "message": message, **extra}, status_code=status)


class BodyLimit:
    """ASGI middleware: 413 for a body larger than `limit` bytes (by Content-Length, or counted while reading a
    chunked body, which is buffered up to the limit and replayed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.limit:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(413, f"request body over the {self.limit}-byte limit")
        await response(scope, receive, send)


def create_app(view: NodeView, token: str, *, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The API for one node. `token`: the bearer token state-changing requests must carry."""
    app = FastAPI(
        title="stakework node API",
        version=__version__,
        description="Beacon-API subset (Ethereum's paths and JSON shapes) and stakework's /v1 endpoints. "
        "POST requests need `Authorization: Bearer <token>` (the data directory's api-token file).",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.view = view
    app.state.token = token
    for module in (node, beacon, validator, stakework, modules, events, metrics):
        app.include_router(module.router)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        extra = {"failures": exc.failures} if exc.failures is not None else {}
        return _error(exc.status, exc.message, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(x) for x in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error(400, "malformed request: " + "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error serving %s %s", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); this is a bug, please report it")

    app.add_middleware(BodyLimit, limit=max_body_bytes)
    return app
