"""The FastAPI app factory: routes, beacon-API error bodies, and the guard in front of them (Host check, token
before the body, body size and time limits)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stakework import __version__
from stakework.api.errors import ApiError
from stakework.api.modules import module_routers
from stakework.api.routes import beacon, debug, events, metrics, modules, node, proof, stakework, validator
from stakework.api.routes.events import MAX_SUBSCRIBERS, STREAM_WRITE_SECONDS
from stakework.api.view import NodeView

log = logging.getLogger("stakework.api")
MAX_BODY_BYTES = 1 << 20
"""Request bodies above this size get 413 (a batch of 1000 transfers is about 500 KB of JSON)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _error(status: int, message: str, headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    return JSONResponse({"code": status, "message": message, **extra}, status_code=status, headers=headers)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_POSTS = ("/eth/v1/beacon/rewards/",)
"""POST paths that only read (the beacon-API takes their id lists as a body): no token, a smaller body limit."""
PUBLIC_BODY_BYTES = 128 * 1024
"""Body limit of the public POSTs (1024 ids as 0x pubkeys are about 100 KB)."""
BODY_SECONDS = 10.0
"""Time a client has to send a whole request body (then 408): a slow body cannot hold a connection."""
BODY_BUDGET = 64 << 20
"""Request bodies all requests together may hold at once (then 503): even with the token, 512 connections times a
1 MiB body would be 512 MiB."""
IN_FLIGHT = 4
"""Requests computing their answer at once (route handlers are CPU-bound under the GIL: more in parallel would
take the slot loop's share of the interpreter, not serve more); the others wait at the door."""
CLOSE = {"Connection": "close"}
"""On a refusal: the rest of the request is not read, so the connection cannot be reused."""
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})


class _BodyTooLarge(Exception):
    pass


class _BodiesBusy(Exception):
    pass


class SlotGate:
    """The slot loop's priority over the API (issue #12, item 6): the context manager the slot loop holds while
    a slot runs (`run_devnet(lock=gate)`): it takes the view's lock, and meanwhile requests wait at the API's
    door (`idle()`, awaited on the server's event loop, costs nothing while waiting) instead of competing with
    the slot for the interpreter. Requests already in a handler finish (they wait for the lock if they need it)."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self._guard = threading.Lock()
        self._busy = False
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def __enter__(self) -> SlotGate:
        with self._guard:
            self._busy = True
        self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()
        with self._guard:
            self._busy = False
            waiting, self._waiting = self._waiting, []
        for loop, future in waiting:
            with contextlib.suppress(RuntimeError):  # a loop closed meanwhile
                loop.call_soon_threadsafe(_resolve, future)

    @property
    def busy(self) -> bool:
        """Whether a slot is running."""
        return self._busy

    async def idle(self) -> None:
        """Return once no slot is running."""
        loop = asyncio.get_running_loop()
        with self._guard:
            if not self._busy:
                return
            future: asyncio.Future[None] = loop.create_future()
            self._waiting.append((loop, future))
        await future


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def allowed_hosts(bind_host: str | None) -> frozenset[str] | None:
    """Host header values (without the port) a server bound to `bind_host` accepts: for a loopback address the
    loopback names and the address itself (a DNS-rebinding page's Host is its own domain); None (no check)
    otherwise, since a public address may be reached by any name."""
    if bind_host is None:
        return None
    from stakework.api.server import is_loopback

    if not is_loopback(bind_host):
        return None
    name = f"[{bind_host}]" if ":" in bind_host else bind_host
    return LOOPBACK_NAMES | {name.lower()}


def host_name(value: str) -> str:
    """A Host header without its port, lowercase (`[::1]:5052` → `[::1]`, `localhost:80` → `localhost`)."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[: end + 1] if end > 0 else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """Outermost ASGI middleware, before any route reads anything (issue #12, item 6 and 7):

    - the Host header of a server bound to loopback must name loopback or the bind address (DNS rebinding): 421;
    - a state-changing request (any method but GET, HEAD, OPTIONS; except the read-only POSTs of PUBLIC_POSTS)
      must carry the bearer token: 401 before a single body byte is read;
    - the body is read here, counted while it streams (Content-Length is checked first but not trusted): 413
      past `limit` (`public_limit` for the public POSTs); within `body_seconds` of the request: 408; and 503 when
      the bodies of all requests together would pass `body_budget`;
    - then the request waits for one of `in_flight` places and, with a `gate`, for the running slot to end: the
      slot loop competes with at most `in_flight` handlers for the interpreter, however many clients there are.
    The route gets the buffered body replayed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        limit: int,
        public_limit: int = PUBLIC_BODY_BYTES,
        body_seconds: float = BODY_SECONDS,
        hosts: frozenset[str] | None = None,
        gate: SlotGate | None = None,
        in_flight: int = IN_FLIGHT,
        body_budget: int = BODY_BUDGET,
    ) -> None:
        self.app = app
        self.body_budget = body_budget
        self.buffered = 0
        """Bytes of request bodies held now (all requests: the event loop is one thread)."""
        self.gate = gate
        self.in_flight = asyncio.Semaphore(in_flight)
        self.token = token.encode()
        self.limit = limit
        self.public_limit = min(public_limit, limit)
        self.body_seconds = body_seconds
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for key, value in scope.get("headers") or []:
            headers.setdefault(key.lower(), value)
        refusal = self._check_host(headers)
        method = scope.get("method", "GET")
        if refusal is None and method not in SAFE_METHODS:
            public = str(scope.get("path", "")).startswith(PUBLIC_POSTS)
            refusal = self._check_token(headers) if not public else None
            if refusal is None:
                limit = self.public_limit if public else self.limit
                held = [0]
                try:
                    body = await self._read_body(headers, receive, limit, held)
                except _BodyTooLarge:
                    refusal = _error(413, f"request body over the {limit}-byte limit", CLOSE)
                except _BodiesBusy:
                    message = f"{self.body_budget >> 20} MiB of request bodies are in progress (the limit): retry later"
                    refusal = _error(503, message, {**CLOSE, "Retry-After": "5"})
                except TimeoutError:
                    refusal = _error(408, f"request body not received within {self.body_seconds:g} s", CLOSE)
                else:
                    receive = _replay(body, receive)
                try:
                    await (
                        refusal(scope, receive, send) if refusal is not None else self._admitted(scope, receive, send)
                    )
                finally:
                    self.buffered -= held[0]
                return
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._admitted(scope, receive, send)

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the route once one of `in_flight` places is free and no slot is running; the place is given back
        when the response starts (its body is rendered by then: a client slow to read it holds no place)."""
        await self.in_flight.acquire()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                self.in_flight.release()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                give_back()
            await send(message)

        try:
            if self.gate is not None:
                await self.gate.idle()
            await self.app(scope, receive, sending)
        finally:
            give_back()

    def _check_host(self, headers: dict[bytes, bytes]) -> JSONResponse | None:
        if self.hosts is None or b"host" not in headers:
            return None
        given = headers[b"host"].decode("latin-1")
        if host_name(given) in self.hosts:
            return None
        return _error(
            421,
            f"Host {given[:100]!r} is not this node: the API is bound to loopback and answers only to "
            f"{', '.join(sorted(self.hosts))} (a web page under another name is refused: DNS rebinding)",
            CLOSE,
        )

    def _check_token(self, headers: dict[bytes, bytes]) -> JSONResponse | None:
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() == b"bearer" and secrets.compare_digest(given.strip(), self.token):
            return None
        return _error(
            401,
            "missing or wrong bearer token: send Authorization: Bearer <token> (DATA/api-token)",
            {"WWW-Authenticate": "Bearer", "Connection": "close"},
        )

    async def _read_body(self, headers: dict[bytes, bytes], receive: Receive, limit: int, held: list[int]) -> bytes:
        """The whole body (413 past `limit`, 408 past `body_seconds`); its bytes count against `body_budget`
        (`held[0]`: this request's share, given back by the caller when the request is done)."""
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise _BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        async with asyncio.timeout(self.body_seconds):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise _BodyTooLarge
                if self.buffered + len(chunk) > self.body_budget:
                    raise _BodiesBusy
                self.buffered += len(chunk)
                held[0] += len(chunk)
                chunks.append(chunk)
                if not message.get("more_body"):
                    break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives `body` once, then defers to `receive` (which reports the disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def create_app(
    view: NodeView,
    token: str,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_seconds: float = BODY_SECONDS,
    bind_host: str | None = "127.0.0.1",
    max_subscribers: int = MAX_SUBSCRIBERS,
    stream_write_seconds: float = STREAM_WRITE_SECONDS,
    gate: SlotGate | None = None,
    body_budget: int = BODY_BUDGET,
) -> FastAPI:
    """The API for one node. `token`: the bearer token state-changing requests must carry; `bind_host`: the
    address the server listens on (loopback: Host headers are checked; None: no check); `max_subscribers`: event
    streams served at once; `stream_write_seconds`: how long an event stream may wait on a client that does not
    read before it is closed; `gate`: the slot loop's SlotGate (requests wait while a slot runs)."""
    app = FastAPI(
        title="stakework node API",
        version=__version__,
        description="Beacon-API subset (Ethereum's paths and JSON shapes) and stakework's /v1 endpoints. "
        "POST requests need `Authorization: Bearer <token>` (the data directory's api-token file).",
        docs_url=None,  # the web app serves /docs from vendored files (no CDN)
        redoc_url=None,
    )
    app.state.view = view
    app.state.token = token
    app.state.max_subscribers = max_subscribers
    app.state.stream_write_seconds = stream_write_seconds
    for module in (node, beacon, debug, validator, stakework, modules, events, metrics, proof):
        app.include_router(module.router)
    for router in module_routers():  # each registered module's own routes, from its definition's `api_router`
        app.include_router(router)
    from stakework.web.app import node_router  # the web app: same server and port (issue #18)

    app.include_router(node_router())

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.failures is not None:
            return _error(exc.status, exc.message, exc.headers, failures=exc.failures)
        return _error(exc.status, exc.message, exc.headers)

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

    app.add_middleware(
        Guard,
        token=token,
        limit=max_body_bytes,
        body_seconds=body_seconds,
        hosts=allowed_hosts(bind_host),
        gate=gate,
        body_budget=body_budget,
    )
    return app
