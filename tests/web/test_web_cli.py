"""`stakework web`: the risk pages alone, served the way a user starts them; a busy port is a clear error."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from stakework.cli.main import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_web_command__busy_port__exit_2_naming_the_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = CliRunner().invoke(app, ["web", "--port", str(port)])
    assert r.exit_code == 2
    assert f"127.0.0.1:{port}" in r.output and "--port" in r.output


def test_web_command__started__serves_the_risk_page_in_both_languages() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stakework.cli.main", "web", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a safety net: the wait ends as soon as the server answers
        while True:
            try:
                r = httpx.get(url + "/", follow_redirects=True, timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, f"stakework web exited ({proc.returncode})"
                assert time.monotonic() < deadline, "stakework web did not answer within 60 s"
                time.sleep(0.2)
        assert r.status_code == 200 and "Risk analyzer" in r.text
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "風險分析器" in httpx.get(url + "/risk?lang=zh-TW").text
        assert httpx.get(url + "/static/app.css").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
