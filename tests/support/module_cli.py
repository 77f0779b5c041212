"""Shared by the pool and liquid CLI tests: the command run in this process, and a devnet subprocess to run it
against (the way a user does)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.spec.errors import StakeworkError

DOWN = "http://127.0.0.1:9"  # nothing listens there
DEVNET_COMMAND = [sys.executable, "-m", "stakework.cli.main", "devnet", "-n", "16", "--slot-seconds", "0.1"]
_runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    """Run `stakework ARGS` in this process; a StakeworkError is exit status 2 with its message, as `run_app`
    makes it."""
    r = _runner.invoke(app, list(args))
    if isinstance(r.exception, StakeworkError):
        return 2, r.output + str(r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.output


@contextmanager
def devnet_process(data: Path) -> Iterator[str]:
    """A 16-validator devnet (0.1 s slots, modules enabled) in `data` as a subprocess on a free port; yields its
    API URL once it answers, stops it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [*DEVNET_COMMAND, "-d", str(data), "--http-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a safety net: the wait ends when the API answers or the process dies
        while True:
            try:
                httpx.get(url + "/eth/v1/node/version", timeout=1)
                break
            except httpx.HTTPError:
                if proc.poll() is not None:
                    raise AssertionError(f"the devnet exited ({proc.returncode}) before its API answered") from None
                if time.monotonic() > deadline:
                    raise AssertionError(f"the devnet's API at {url} did not answer within 120 s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def balance(address: str) -> int:
    """An account's balance (Gwei) from the devnet the CLI talks to ($STAKEWORK_API)."""
    return int(httpx.get(f"{os.environ['STAKEWORK_API']}/v1/accounts/{address}").json()["data"]["balance"])
