"""Serving the API from a node process: the token file and uvicorn in a background thread, with explicit limits
(connections, header and keep-alive timeouts, handler threads) so that a flood of clients costs bounded memory and
leaves the slot loop its share of the interpreter (issue #12, item 6)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from stakework.api.app import SlotGate
from stakework.api.client import ADDRESS_FILE
from stakework.api.errors import ApiError
from stakework.api.view import NodeView
from stakework.crypto.keystore import write_private_file
from stakework.node.chain import Chain, GenesisInfo
from stakework.node.mempool import Mempool
from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState

T = TypeVar("T")
TOKEN_FILE = "api-token"
log = logging.getLogger("stakework.api")
LIMIT_CONCURRENCY = 512
"""Connections served at once (event streams included); uvicorn answers 503 beyond."""
HEADER_SECONDS = 10.0
"""A connection must send a complete request head within this long of opening (or of its last response)."""
KEEP_ALIVE_SECONDS = 5
"""An idle keep-alive connection is closed after this long."""
MAX_HEAD_BYTES = 16 * 1024
"""A request head (line and headers) still incomplete past this many bytes is refused with 400 (h11's limit on a
buffered incomplete event; its default is 16 KiB too)."""
HANDLER_THREADS = 4
"""Threads running route handlers (anyio's default is 40): with the GIL, each busy one takes a share of the
interpreter from the slot loop (and handlers are CPU-bound: more threads would not serve more requests)."""


class ApiServerError(StakeworkError):
    """The API server could not start (port in use, bad address)."""


def load_or_create_token(data_dir: Path, warn: Callable[[str], object] = log.warning) -> str:
    """The data directory's bearer token (`api-token`, mode 0600), created at first start. A token file others
    may read (group or other permission bits) is made 0600 again, with a warning: the token may have leaked, so
    delete the file to get a new one."""
    path = data_dir / TOKEN_FILE
    if path.exists():
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            warn(
                f"{path} had mode {mode:04o} (readable by other users): changed to 0600; delete the file and "
                "restart for a new token if others may have read it"
            )
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    write_private_file(path, (token + "\n").encode())
    return token


def api_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server bound to `host`:`port` (a wildcard address is reached
    on loopback; an IPv6 address goes in brackets)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def write_address(data_dir: Path, url: str) -> Path:
    """Write `url` to the data directory's `api-address` (mode 0600, like the token; replaced atomically, so a
    restart overwrites a file left by a node that was killed)."""
    path = data_dir / ADDRESS_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    write_private_file(path, (url + "\n").encode())
    return path


def remove_address(data_dir: Path, url: str) -> None:
    """Remove `api-address` if it still names `url` (another node started on this directory since keeps its
    own)."""
    path = data_dir / ADDRESS_FILE
    with contextlib.suppress(OSError):
        if path.read_text().strip() == url:
            path.unlink()


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address (or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _RefusalWarnings(logging.Filter):
    """uvicorn logs a warning for every connection refused over `limit_concurrency`: a flood would flood the
    console too. One line per WARN_SECONDS, with the count of those left out."""

    WARN_SECONDS = 60.0

    def __init__(self) -> None:
        super().__init__()
        self.last = -self.WARN_SECONDS
        self.left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != "Exceeded concurrency limit.":
            return True
        now = time.monotonic()
        if now - self.last < self.WARN_SECONDS:
            self.left_out += 1
            return False
        record.msg = (
            f"HTTP API: more than {LIMIT_CONCURRENCY} connections at once, the extra ones get 503 "
            f"({self.left_out} more since the last such warning)"
        )
        record.args = ()
        self.last, self.left_out = now, 0
        return True


def _quiet_refusals() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _RefusalWarnings) for f in logger.filters):
        logger.addFilter(_RefusalWarnings())


def _protocol(header_seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a deadline for the request head: uvicorn times out idle keep-alive
    connections only after a first response, so a client that opens a connection (or starts a request) and
    sends its headers slowly, or never, would hold the connection for ever."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadDeadline(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(header_seconds, self._head_timeout)

        def _head_timeout(self) -> None:
            self._head_timer = None
            if self.cycle is None or self.cycle.response_complete:  # no request under way: the head is late
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

    return HeadDeadline


class ApiServer:
    """uvicorn serving `create_app(view, token, ...)` in a daemon thread; `stop()` shuts it down. `app_options`
    go to create_app (body and stream limits); the connection limits are this class's arguments."""

    def __init__(
        self,
        view: NodeView,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 5052,
        limit_concurrency: int = LIMIT_CONCURRENCY,
        header_seconds: float = HEADER_SECONDS,
        handler_threads: int = HANDLER_THREADS,
        **app_options: Any,
    ) -> None:
        import uvicorn

        from stakework.api.app import create_app

        self.host, self.port = host, port
        self.handler_threads = handler_threads
        self.app = create_app(view, token, bind_host=host, **app_options)
        config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            http=_protocol(header_seconds),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            limit_concurrency=limit_concurrency,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        )
        _quiet_refusals()
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="stakework-api", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind (it logged why); start() reports it
            asyncio.run(self._serve())

    async def _serve(self) -> None:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = self.handler_threads
        self.app.state.closing = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        await self.server.serve()

    def bound_port(self) -> int:
        """The port served on (the one asked for, or the one the system chose for port 0)."""
        for server in getattr(self.server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.port

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; raises ApiServerError when the server does not come up within `timeout`."""
        self.thread.start()
        done = threading.Event()
        while not done.wait(0.02):
            if self.server.started:
                return
            if not self.thread.is_alive():
                break
            timeout -= 0.02
            if timeout <= 0:
                break
        raise ApiServerError(f"the API server could not listen on {self.host}:{self.port} (in use?)")

    def stop(self) -> None:
        """End the event streams, ask uvicorn to exit and wait for it."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed already
                self._loop.call_soon_threadsafe(self.app.state.closing.set)
        self.server.should_exit = True
        self.thread.join(timeout=5)


class NodeApi:
    """The API of a node process run by `run_devnet`: `lock` (the SlotGate over the view's lock: requests wait
    while a slot runs) and `open` go to run_devnet (`lock=`, `on_open=`),
    `wrap(on_slot)` feeds the view each slot, `close()` stops the server. `say` prints a line for the user."""

    def __init__(
        self, data_dir: Path, seconds_per_slot: float, host: str, port: int, say: Callable[[str], object]
    ) -> None:
        self.data_dir, self.seconds, self.host, self.port, self.say = data_dir, seconds_per_slot, host, port, say
        self.view_lock = threading.RLock()
        self.lock = SlotGate(self.view_lock)
        self.view: NodeView | None = None
        self.server: ApiServer | None = None
        self.url: str | None = None

    def open(self, chain: Chain, mempool: Mempool, client: object, genesis: GenesisInfo | BeaconState) -> None:
        """Build the view and start serving. ApiServerError when the server cannot listen (a port in use): a
        devnet without its API would leave the wallet talking to whatever else answers on that port."""
        self.view = NodeView(
            chain, mempool, genesis, data_dir=self.data_dir, seconds_per_slot=self.seconds, lock=self.view_lock
        )
        token = load_or_create_token(self.data_dir, warn=lambda m: self.say(f"[yellow]warning:[/] {m}"))
        if not is_loopback(self.host):
            self.say(
                f"[yellow]warning:[/] the HTTP API listens on {self.host}, reachable from other machines; "
                "POST requests still need the bearer token"
            )
        server = ApiServer(self.view, token, host=self.host, port=self.port, gate=self.lock)
        try:
            server.start()
        except ApiServerError as exc:
            raise ApiServerError(f"{exc}: choose another --http-port, or --no-http to run without the API") from None
        self.server = server
        self.url = api_url(self.host, server.bound_port())
        write_address(self.data_dir, self.url)
        self.say(f"HTTP API on {self.url} (docs at /docs; token in {self.data_dir / TOKEN_FILE})")

    def wrap(self, on_slot: Callable[[T], object]) -> Callable[[T], None]:
        """`on_slot` followed by the view's bookkeeping and events for the slot."""

        def both(report: T) -> None:
            on_slot(report)
            if self.view is not None:
                self.view.on_slot(int(getattr(report, "slot", 0)))

        return both

    def close(self) -> None:
        """Stop serving, and remove the data directory's `api-address`."""
        if self.server is not None:
            self.server.stop()
        if self.url is not None:
            remove_address(self.data_dir, self.url)
            self.url = None


__all__ = [
    "ApiError",
    "ApiServer",
    "ApiServerError",
    "NodeApi",
    "api_url",
    "is_loopback",
    "load_or_create_token",
    "remove_address",
    "write_address",
]
