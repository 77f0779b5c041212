"""`stakework web [--port P] [--host H]`: the risk analyzer's pages alone, with no node (the node serves every page
itself, on its API port: http://127.0.0.1:5052/)."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from stakework.cli.common import console, fail

DEFAULT_PORT = 5054


def web(
    port: Annotated[int, typer.Option("--port", help="TCP port to serve on.")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (default loopback: only this machine can open the pages).")
    ] = "127.0.0.1",
) -> None:
    """Serve the risk analyzer's web pages (no node needed): open http://HOST:PORT/ in a browser."""
    import uvicorn

    from stakework.web.app import create_web_app

    if not 0 < port < 65536:
        fail(f"--port must be 1..65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        except OSError as exc:
            fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --port")
    shown = f"[{host}]" if ":" in host else host
    console.print(f"stakework web: the risk analyzer at http://{shown}:{port}/ (Ctrl-C stops)", highlight=False)
    uvicorn.run(create_web_app(), host=host, port=port, log_level="warning")
