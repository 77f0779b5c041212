"""Serving: the token file, loopback detection, the event stream's argument checks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
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


def test_token_file_readable_by_others__made_0600_with_a_warning(tmp_path: Path) -> None:
    token = load_or_create_token(tmp_path)
    path = tmp_path / TOKEN_FILE
    os.chmod(path, 0o644)
    warnings: list[str] = []
    assert load_or_create_token(tmp_path, warn=warnings.append) == token
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(warnings) == 1 and "0644" in warnings[0] and "0600" in warnings[0]
    assert load_or_create_token(tmp_path, warn=warnings.append) == token and len(warnings) == 1


def test_node_api__port_in_use__raises_naming_the_options(tmp_path: Path) -> None:
    """The devnet command turns this into exit status 2 (it used to warn and run on without its API)."""
    import socket

    from stakework.api.server import ApiServerError, NodeApi
    from stakework.node.devnet import DevnetConfig, open_devnet
    from stakework.node.mempool import Mempool
    from stakework.spec.presets import DEVNET

    chain, client, genesis = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=8))
    said: list[str] = []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        api = NodeApi(tmp_path, 1.0, "127.0.0.1", s.getsockname()[1], say=said.append)
        try:
            with pytest.raises(ApiServerError, match=r"--http-port.*--no-http"):
                api.open(chain, Mempool(), client, genesis)
        finally:
            api.close()
            client.protection.close()
            if chain.store is not None:
                chain.store.close()
