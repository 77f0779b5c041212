"""Attacks on the served API as a client, with and without the token (issue #12, items 6 and 7): bodies refused
before they are read, bodies over the limit while they stream, slow bodies and slow heads, foreign Host headers,
too many event streams, a stream whose client stops reading."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_support import AUTH, TOKEN, LiveClient

from stakework.api.app import create_app
from stakework.api.view import NodeView
from stakework.node.devnet import DevnetConfig, open_devnet
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET

LIMIT = 64 * 1024
SHORT = 0.5
"""The body and head deadlines of the test server (seconds): what the server waits, not what a test asserts."""
NEVER = 30.0
"""How long a test waits for an answer that must come: the old code never answered (the socket times out)."""


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeView]:
    data = tmp_path_factory.mktemp("limits")
    chain, client, genesis = open_devnet(DevnetConfig(data, DEVNET, validators=16))
    yield NodeView(chain, Mempool(), genesis, data_dir=data, seconds_per_slot=1e9)
    client.protection.close()
    if chain.store is not None:
        chain.store.close()


@pytest.fixture(scope="module")
def api(view: NodeView) -> Iterator[LiveClient]:
    http = LiveClient(view, max_body_bytes=LIMIT, body_seconds=SHORT, header_seconds=SHORT, max_subscribers=3)
    yield http
    http.close()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=NEVER)


def _answer(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one response (Content-Length framed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, f"connection closed without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        assert chunk
        body += chunk
    return int(lines[0].split()[1]), headers, body


def _post_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic dGVzdA=="])
def test_post_without_token__401_before_the_body_is_sent(api: LiveClient, auth: str | None) -> None:
    """A 960 KiB body announced, 1 KiB sent, the rest never: the answer comes anyway (the old code read the
    body first and waited for the rest)."""
    headers = {"Content-Length": str(960 * 1024)}
    if auth is not None:
        headers["Authorization"] = auth
    with _connect(api.port) as s:
        s.sendall(_post_head("/v1/transactions", headers) + b"[" + b" " * 1023)
        status, got, body = _answer(s)
    assert status == 401 and "bearer token" in json.loads(body)["message"]
    assert got["connection"] == "close"


def test_post_without_token__huge_content_length__401_not_413(api: LiveClient) -> None:
    with _connect(api.port) as s:
        s.sendall(_post_head("/v1/transactions", {"Content-Length": str(10**12)}))
        status, _, _ = _answer(s)
    assert status == 401


def test_post_with_token__chunked_body_over_the_limit__413_while_it_streams(api: LiveClient) -> None:
    """No Content-Length (chunked): counted as it arrives; refused once past the limit, the end never sent."""
    with _connect(api.port) as s:
        s.sendall(_post_head("/v1/transactions", {**AUTH, "Transfer-Encoding": "chunked"}))
        chunk = b"x" * 8192
        for _ in range(LIMIT // len(chunk) + 2):
            s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        status, _, body = _answer(s)
    assert status == 413 and f"{LIMIT}-byte limit" in json.loads(body)["message"]


def test_post_with_token__content_length_over_the_limit__413_before_the_body(api: LiveClient) -> None:
    with _connect(api.port) as s:
        s.sendall(_post_head("/v1/transactions", {**AUTH, "Content-Length": str(LIMIT + 1)}))
        status, _, _ = _answer(s)
    assert status == 413


def test_post_with_token__body_never_finished__408(api: LiveClient) -> None:
    with _connect(api.port) as s:
        s.sendall(_post_head("/v1/transactions", {**AUTH, "Content-Length": "1000"}) + b"[")
        status, _, body = _answer(s)
    assert status == 408 and "not received within" in json.loads(body)["message"]


def test_public_post__no_token_needed__smaller_body_limit(api: LiveClient, view: NodeView) -> None:
    """The rewards POST is a read: no token, but its body is held to 128 KiB (the default) or the limit."""
    r = api.post("/eth/v1/beacon/rewards/attestations/0", json=["0"])
    assert r.status_code != 401
    r = api.post("/eth/v1/beacon/rewards/attestations/0", content=b"[" + b" " * LIMIT + b"]")
    assert r.status_code == 413


def test_head_never_finished__connection_closed(api: LiveClient) -> None:
    """A client that opens a connection and sends half a request head is dropped (it held it for ever)."""
    with _connect(api.port) as s:
        s.sendall(b"GET /eth/v1/node/version HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert s.recv(1024) == b""
    with _connect(api.port) as s:  # and one that sends nothing at all
        assert s.recv(1024) == b""


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5052", "127.0.0.1.nip.io", "192.168.1.5"])
def test_foreign_host_header__421(api: LiveClient, host: str) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends its own Host."""
    r = api.get("/eth/v1/node/version", headers={"Host": host})
    assert r.status_code == 421 and "DNS rebinding" in r.json()["message"]
    r = api.post("/v1/transactions", headers={"Host": host, **AUTH}, json=[])
    assert r.status_code == 421


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:5052", "localhost", "LOCALHOST:80", "[::1]", "[::1]:1"])
def test_loopback_host_headers__served(api: LiveClient, host: str) -> None:
    assert api.get("/eth/v1/node/version", headers={"Host": host}).status_code == 200


def test_public_bind__host_not_checked(view: NodeView) -> None:
    from stakework.api.app import allowed_hosts

    assert allowed_hosts("0.0.0.0") is None and allowed_hosts("192.168.1.2") is None
    assert allowed_hosts("127.0.0.2") == {"127.0.0.1", "localhost", "[::1]", "127.0.0.2"}
    assert allowed_hosts("::1") == {"127.0.0.1", "localhost", "[::1]"}


def test_event_streams__over_the_cap__503_with_retry_after(api: LiveClient, view: NodeView) -> None:
    """Three streams are served (the test server's cap), the fourth is refused; once one closes, a new one is
    served again."""
    streams = []
    lines = []  # (a line iterator closes its response when it is dropped)
    url = f"http://127.0.0.1:{api.port}/eth/v1/events?topics=head"
    clients = [httpx.Client(timeout=NEVER) for _ in range(4)]
    try:
        for c in clients[:3]:
            r = c.send(c.build_request("GET", url), stream=True)
            assert r.status_code == 200
            lines.append(r.iter_lines())
            assert next(lines[-1]) == ": stakework event stream"
            streams.append(r)
        assert view.subscriber_count == 3
        r = clients[3].get(url)
        assert r.status_code == 503 and r.headers["retry-after"] == "10"
        assert "event streams are open already" in r.json()["message"]
        streams.pop().close()
        clients[2].close()
        for _ in range(200):  # the server notices the disconnect on its loop
            if view.subscriber_count < 3:
                break
            api.get("/eth/v1/node/version")
        r = clients[3].send(clients[3].build_request("GET", url), stream=True)
        assert r.status_code == 200
        streams.append(r)
    finally:
        for r in streams:
            r.close()
        for c in clients:
            c.close()


def test_event_stream__client_stops_reading__closed_and_unsubscribed(view: NodeView) -> None:
    """The ASGI app with a send that never completes (a client that stopped reading, its buffers full): the
    stream ends after the write deadline and forgets its subscriber (it held both for ever)."""
    app = create_app(view, TOKEN, stream_write_seconds=SHORT)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/eth/v1/events",
        "raw_path": b"/eth/v1/events",
        "query_string": b"topics=head",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        stuck = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await asyncio.Event().wait()  # the client never disconnects
            return {}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if len(sent) >= 2:
                await stuck.wait()  # the second write (the first body frame) never completes

        before = set(view._subscribers)
        await asyncio.wait_for(app(scope, receive, send), NEVER)
        assert set(view._subscribers) <= before

    asyncio.run(main())
    assert sent[0]["status"] == 200 and len(sent) == 2


def test_flood_of_connections__503_beyond_the_limit(view: NodeView) -> None:
    """More connections than `limit_concurrency`: the extra ones get 503, the server stays up."""
    http = LiveClient(view, limit_concurrency=4, header_seconds=NEVER)
    held = [_connect(http.port) for _ in range(4)]
    try:
        with _connect(http.port) as s:
            s.sendall(b"GET /eth/v1/node/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status, _, _ = _answer(s)
        assert status == 503
    finally:
        for s in held:
            s.close()
        http.close()


def test_served_api__tokenless_read_still_works(api: LiveClient) -> None:
    assert api.get("/eth/v1/node/version").status_code == 200
    r = api.post("/v1/transactions", json=[], headers=AUTH)
    assert r.status_code != 401


def test_bodies_in_progress__over_the_budget__503_then_served_again(view: NodeView) -> None:
    """With the token: bodies held open together count against one budget (here 40 KiB): the one that would pass
    it is refused with 503; once the first is given up (408), there is room again."""
    http = LiveClient(view, max_body_bytes=LIMIT, body_seconds=6 * SHORT, body_budget=40 * 1024)
    try:
        with _connect(http.port) as first:
            first.sendall(_post_head("/v1/transactions", {**AUTH, "Content-Length": "40000"}) + b"[" + b" " * 30000)
            assert http.get("/eth/v1/node/version").status_code == 200  # a round trip: the server has read them
            with _connect(http.port) as second:
                second.sendall(_post_head("/v1/transactions", {**AUTH, "Content-Length": "20000"}) + b" " * 20000)
                status, got, body = _answer(second)
            assert status == 503 and got["retry-after"] == "5" and "in progress" in json.loads(body)["message"]
            status, _, _ = _answer(first)
            assert status == 408
        r = http.post("/v1/transactions", content=b"[" + b" " * 20000 + b"]", headers=AUTH)
        assert r.status_code == 400 and "JSON object" in r.json()["message"], r.text  # read and judged
    finally:
        http.close()
