"""End to end (issue #16): a devnet commits a transfer, refuses another and records rewards; it is stopped and
started again on the same data directory, and its API still finds the transfer by hash, the refusal with its
reason, and the reward history of the epochs before the restart."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from stakework.api.schemas.encoding import to_json
from stakework.crypto.ed25519 import devnet_account_key, to_hex
from stakework.transition.block.transaction import Transaction, Transfer, chain_id, chain_signing_message

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time
CAP_SECONDS = 120.0
"""A safety net only: the waits end on the devnet's own progress (slots), bounded by this."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Devnet:
    """`stakework devnet` in a subprocess with its API on a free port."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.url = f"http://127.0.0.1:{_free_port()}"
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
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
                port,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + CAP_SECONDS
        while True:
            try:
                if httpx.get(self.url + "/eth/v1/node/version", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"the devnet's API did not come up: {self.process.communicate()[0]}")
            time.sleep(0.2)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)

    def head_slot(self) -> int:
        return int(self.get("/eth/v1/beacon/headers/head").json()["data"]["header"]["message"]["slot"])

    def stop(self) -> str:
        self.process.terminate()
        return self.process.communicate(timeout=60)[0]


def _signed_transfer(dn: Devnet, fee: int) -> dict[str, Any]:
    key, to = devnet_account_key(0), devnet_account_key(5).address
    nonce = int(dn.get(f"/v1/accounts/{to_hex(key.address)}").json()["data"]["nonce"])
    g = dn.get("/eth/v1/beacon/genesis").json()["data"]
    chain = chain_id(
        bytes.fromhex(g["genesis_validators_root"][2:]),
        int(g["genesis_time"]),
        bytes.fromhex(g["genesis_fork_version"][2:]),
    )
    tx = Transaction(key.public_key, nonce, fee, Transfer(to, 10**9))
    return {"transaction": to_json(tx), "signature": to_hex(key.sign(chain_signing_message(chain, tx)))}


def _wait(dn: Devnet, done: Any, slots: int, what: str) -> Any:
    start, deadline = dn.head_slot(), time.monotonic() + CAP_SECONDS
    while True:
        value = done()
        if value:
            return value
        if dn.head_slot() > start + slots or time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {slots} slots (head {dn.head_slot()}, from {start})")
        time.sleep(0.2)


def test_devnet_restart__transaction_refusal_and_reward_history_found_again(tmp_path: Path) -> None:
    data = tmp_path / "dn"
    dn = Devnet(data)
    try:
        token = (data / "api-token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        r = httpx.post(f"{dn.url}/v1/transactions", json=_signed_transfer(dn, 1_000), headers=auth)
        assert r.status_code == 200, r.text
        sent = r.json()["data"][0]["hash"]
        cheap = _signed_transfer(dn, 1)  # below the least fee: refused, with the reason recorded under its hash
        r = httpx.post(f"{dn.url}/v1/transactions", json=cheap, headers=auth)
        assert r.status_code == 400
        cheap_hash = _hash_of(cheap)
        assert dn.get(f"/v1/transactions/{cheap_hash}").json()["data"]["status"] == "rejected"
        included = _wait(
            dn,
            lambda: (
                (s := dn.get(f"/v1/transactions/{sent}").json()["data"])["status"] in ("included", "finalized") and s
            ),
            24,
            "the transfer included",
        )
        rows = _wait(
            dn,
            lambda: len(r := dn.get("/v1/validators/0/rewards").json()["data"]) >= 3 and r,
            40,
            "3 epochs of rewards",
        )
        time.sleep(0.5)  # one more slot: the refusal is written at the end of a slot
        assert "stopped" in dn.stop()
    finally:
        if dn.process.poll() is None:
            dn.process.kill()

    dn = Devnet(data)
    try:
        status = dn.get(f"/v1/transactions/{sent}").json()["data"]
        assert status["status"] in ("included", "finalized")
        assert (status["block"], status["slot"], status["index"]) == (
            included["block"],
            included["slot"],
            included["index"],
        )
        refusal = dn.get(f"/v1/transactions/{cheap_hash}")
        assert refusal.status_code == 200, refusal.text
        assert refusal.json()["data"]["status"] == "rejected"
        assert "fee" in refusal.json()["data"]["reason"]
        after = dn.get("/v1/validators/0/rewards").json()["data"]
        before_epochs = [row["epoch"] for row in rows]
        assert [row for row in after if row["epoch"] in before_epochs] == rows  # the epochs before the stop
        assert dn.stop()
    finally:
        if dn.process.poll() is None:
            dn.process.kill()


def _hash_of(body: dict[str, Any]) -> str:
    from stakework.api.schemas.encoding import from_json
    from stakework.transition.block.transaction import SignedTransaction

    return "0x" + from_json(body, SignedTransaction).hash().hex()
