"""Serving: the token file, loopback detection, the event stream's argument checks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from api_support import Node

from stakework.api.server import TOKEN_FILE, is_loopback, load_or_create_token


def test_token__created_0600_once_then_kept(tmp_path: Path) -> None:
    token = load_or_create_token(tmp_path / "data")
    path = tmp_path / "data" / TOKEN_FILE
    assert len(token) >= 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_token(tmp_path / "data") == token
    path.write_text("")  # an emptied file gets a new token
    assert load_or_create_token(tmp_path / "data") not in ("", token)


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.org")


def test_events__topics_checked(node: Node) -> None:
    for query in ("", "?topics=nope", "?topics=head,nope", "?topics=,"):
        r = node.http.get("/eth/v1/events" + query)
        assert r.status_code == 400 and r.json()["code"] == 400, query
