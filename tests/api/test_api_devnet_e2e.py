"""End to end: `stakework devnet --http-port P` in a subprocess; a client sends a transfer with the token from the
data directory, follows the event stream and watches finality advance over plain HTTP."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from stakework.api.schemas.encoding import to_json
from stakework.crypto.ed25519 import devnet_account_key, to_hex
from stakework.transition.block.transaction import Transaction, Transfer, chain_id, chain_signing_message

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time
CAP_SECONDS = 120.0
"""A safety net only: every wait below is for a condition, bounded by slots or epochs of the devnet's own head."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Devnet:
    url: str
    data: Path
    process: subprocess.Popen[str]


def start_devnet(data: Path, *extra: str) -> Devnet:
    """A devnet subprocess with its API on a free port; returns once the API answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
            "--data-dir",
            str(data),
            "--validators",
            "16",
            "--slot-seconds",
            "0.2",
            "--http-port",
            str(port),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/eth/v1/node/version", timeout=1).status_code == 200:
                return Devnet(url, data, process)
        except httpx.HTTPError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"devnet API did not come up: {process.communicate()[0]}")


def stop_devnet(dn: Devnet) -> str:
    dn.process.terminate()
    out, _ = dn.process.communicate(timeout=30)
    return out


@pytest.fixture()
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    dn = start_devnet(tmp_path / "dn")
    yield dn
    if dn.process.poll() is None:
        stop_devnet(dn)


def _sse(
    url: str,
    topics: str,
    enough: Callable[[list[tuple[str, dict[str, Any]]]], bool],
    events: list[tuple[str, dict[str, Any]]],
    receiving: threading.Event,
) -> None:
    """Collect events until `enough(events)` (or CAP_SECONDS); `receiving` is set at the first event."""
    end = time.monotonic() + CAP_SECONDS
    with httpx.stream("GET", f"{url}/eth/v1/events", params={"topics": topics}, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        topic = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                topic = line[7:]
            elif line.startswith("data: ") and topic is not None:
                events.append((topic, json.loads(line[6:])))
                receiving.set()
            if enough(events) or time.monotonic() > end:
                return


def _head_slot(url: str) -> int:
    return int(httpx.get(f"{url}/eth/v1/beacon/headers/head").json()["data"]["header"]["message"]["slot"])


def test_devnet_api__send_sse_finality(devnet: Devnet) -> None:
    url = devnet.url
    token_file = devnet.data / "api-token"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    token = token_file.read_text().strip()
    events: list[tuple[str, dict[str, Any]]] = []
    tx_hash = ""

    def enough(seen: list[tuple[str, dict[str, Any]]]) -> bool:
        """30 heads, a finalized checkpoint and the transfer's inclusion."""
        heads = sum(t == "head" for t, _ in seen)
        final = any(t == "finalized_checkpoint" for t, _ in seen)
        included = any(t == "transaction" and d.get("hash") == tx_hash and d["status"] == "included" for t, d in seen)
        return heads >= 30 and final and included

    receiving = threading.Event()
    listener = threading.Thread(
        target=_sse, args=(url, "head,block,finalized_checkpoint,transaction", enough, events, receiving), daemon=True
    )
    listener.start()
    assert receiving.wait(CAP_SECONDS), "no event on the stream"  # subscribed before the transfer is sent

    # send 1 SWK from devnet account 0 to account 5, signed here (what `stakework wallet send` does)
    key, to = devnet_account_key(0), devnet_account_key(5).address
    before = int(httpx.get(f"{url}/v1/accounts/{to_hex(to)}").json()["data"]["balance"])
    nonce = int(httpx.get(f"{url}/v1/accounts/{to_hex(key.address)}").json()["data"]["nonce"])
    g = httpx.get(f"{url}/eth/v1/beacon/genesis").json()["data"]
    chain = chain_id(
        bytes.fromhex(g["genesis_validators_root"][2:]),
        int(g["genesis_time"]),
        bytes.fromhex(g["genesis_fork_version"][2:]),
    )
    tx = Transaction(key.public_key, nonce, 1_000, Transfer(to, 10**9))
    body = {"transaction": to_json(tx), "signature": to_hex(key.sign(chain_signing_message(chain, tx)))}
    assert httpx.post(f"{url}/v1/transactions", json=body).status_code == 401
    r = httpx.post(f"{url}/v1/transactions", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    tx_hash = r.json()["data"][0]["hash"]
    sent_at, deadline = _head_slot(url), time.monotonic() + CAP_SECONDS
    status = "pending"
    while status == "pending" and _head_slot(url) < sent_at + 16 and time.monotonic() < deadline:  # two epochs
        time.sleep(0.2)
        status = httpx.get(f"{url}/v1/transactions/{tx_hash}").json()["data"]["status"]
    assert status in ("included", "finalized"), f"still {status} after slot {_head_slot(url)} (sent at {sent_at})"
    assert int(httpx.get(f"{url}/v1/accounts/{to_hex(to)}").json()["data"]["balance"]) == before + 10**9

    # finality advances (curl .../finality_checkpoints)
    def finalized() -> int:
        data = httpx.get(f"{url}/eth/v1/beacon/states/head/finality_checkpoints").json()["data"]
        return int(data["finalized"]["epoch"])

    first, start, deadline = finalized(), _head_slot(url), time.monotonic() + CAP_SECONDS
    while finalized() <= first and _head_slot(url) < start + 6 * 8 and time.monotonic() < deadline:  # six epochs
        time.sleep(0.3)
    assert finalized() > first

    listener.join(timeout=CAP_SECONDS)
    heads = [int(d["slot"]) for t, d in events if t == "head"]
    assert len(heads) >= 30 and heads == sorted(heads)
    assert len(set(heads)) == len(heads) and heads[-1] - heads[0] <= len(heads) + 2  # (nearly) every slot
    assert any(t == "finalized_checkpoint" for t, _ in events)
    assert {"block", "head"} <= {t for t, _ in events}
    tx_events = [d for t, d in events if t == "transaction" and d["hash"] == tx_hash]
    assert [d["status"] for d in tx_events] == ["pending", "included"]
    metrics = httpx.get(f"{url}/metrics").text
    assert "stakework_sse_subscribers" in metrics and "stakework_transactions_included_total 1" in metrics
    assert "stopped" in stop_devnet(devnet)


def test_devnet_port_in_use__exit_2_with_the_fix(tmp_path: Path) -> None:
    """A second devnet on a busy port stops with an error (it ran on without its API, and the wallet then talked
    to the other chain), naming --http-port and --no-http; with --no-http it runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        command = [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
            "--data-dir",
            str(tmp_path / "dn"),
            "-n",
            "8",
            "--slot-seconds",
            "0.1",
            "--slots",
            "3",
            "--http-port",
            str(port),
        ]
        r = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert f"127.0.0.1:{port}" in r.stderr and "--http-port" in r.stderr and "--no-http" in r.stderr
        assert "Traceback" not in r.stderr and "slot " not in r.stdout
        r = subprocess.run([*command, "--no-http"], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert "stopped" in r.stdout
