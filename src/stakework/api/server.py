"""Serving the API from a node process: the token file and uvicorn in a background thread."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from stakework.api.errors import ApiError
from stakework.api.view import NodeView
from stakework.crypto.keystore import write_private_file
from stakework.node.chain import Chain
from stakework.node.mempool import Mempool
from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState

T = TypeVar("T")
TOKEN_FILE = "api-token"
log = logging.getLogger("stakework.api")


class ApiServerError(StakeworkError):
    """The API server could not start (port in use, bad address)."""


def load_or_create_token(data_dir: Path) -> str:
    """The data directory's bearer token (`api-token`, mode 0600), created at first start."""
    path = data_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    write_private_file(path, (token + "\n").encode())
    return token


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address (or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiServer:
    """uvicorn serving `create_app(view, token)` in a daemon thread; `stop()` shuts it down."""

    def __init__(self, view: NodeView, token: str, *, host: str = "127.0.0.1", port: int = 5052) -> None:
        import uvicorn

        from stakework.api.app import create_app

        self.host, self.port = host, port
        config = uvicorn.Config(
            create_app(view, token),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="stakework-api", daemon=True)

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
        """Ask uvicorn to exit and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=5)


class NodeApi:
    """The API of a node process run by `run_devnet`: `lock` and `open` go to run_devnet (`lock=`, `on_open=`),
    `wrap(on_slot)` feeds the view each slot, `close()` stops the server. `say` prints a line for the user."""

    def __init__(
        self, data_dir: Path, seconds_per_slot: float, host: str, port: int, say: Callable[[str], object]
    ) -> None:
        self.data_dir, self.seconds, self.host, self.port, self.say = data_dir, seconds_per_slot, host, port, say
        self.lock = threading.RLock()
        self.view: NodeView | None = None
        self.server: ApiServer | None = None

    def open(self, chain: Chain, mempool: Mempool, client: object, genesis: BeaconState) -> None:
        """Build the view and start serving (a port in use is a warning: the chain runs on without its API)."""
        self.view = NodeView(
            chain, mempool, genesis, data_dir=self.data_dir, seconds_per_slot=self.seconds, lock=self.lock
        )
        token = load_or_create_token(self.data_dir)
        if not is_loopback(self.host):
            self.say(
                f"[yellow]warning:[/] the HTTP API listens on {self.host}, reachable from other machines; "
                "POST requests still need the bearer token"
            )
        server = ApiServer(self.view, token, host=self.host, port=self.port)
        try:
            server.start()
        except ApiServerError as exc:
            self.say(f"[yellow]warning:[/] {exc}; running without the HTTP API (try another --http-port)")
            return
        self.server = server
        self.say(f"HTTP API on http://{self.host}:{self.port} (docs at /docs; token in {self.data_dir / TOKEN_FILE})")

    def wrap(self, on_slot: Callable[[T], object]) -> Callable[[T], None]:
        """`on_slot` followed by the view's bookkeeping and events for the slot."""

        def both(report: T) -> None:
            on_slot(report)
            if self.view is not None:
                self.view.on_slot(int(getattr(report, "slot", 0)))

        return both

    def close(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.stop()


__all__ = ["ApiError", "ApiServer", "ApiServerError", "NodeApi", "is_loopback", "load_or_create_token"]
