"""The staker's whole journey through the wallet and the API against a devnet subprocess: stake a new validator,
see it pass the pending-deposit queue to active, earn rewards (its key is run by the devnet's validator client),
exit voluntarily and get its balance withdrawn to the account."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.crypto.ed25519 import devnet_account_key, to_hex
from stakework.spec.errors import StakeworkError

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time
runner = CliRunner()
GWEI = 10**9


def wallet(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, ["wallet", *args])
    if isinstance(r.exception, StakeworkError):
        return 2, r.output + str(r.exception)
    return r.exit_code, r.output


@pytest.fixture()
def devnet(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data = tmp_path / "dn"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
            "-d",
            str(data),
            "-n",
            "16",
            "--slot-seconds",
            "0.15",
            "--http-port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/eth/v1/node/version", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield url, data
    proc.terminate()
    proc.wait(timeout=30)


def until(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_stake_activate_earn_exit_withdraw(
    tmp_path: Path, devnet: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, data = devnet
    monkeypatch.setenv("STAKEWORK_API", url)
    monkeypatch.setenv("STAKEWORK_WALLET", str(tmp_path / "w"))
    password = tmp_path / "pw"
    password.write_text("staker password\n")
    pw = ["--password-file", str(password)]
    address = to_hex(devnet_account_key(2).address)
    assert wallet("import-devnet", "2", *pw)[0] == 0
    start = int(httpx.get(f"{url}/v1/accounts/{address}").json()["data"]["balance"])

    # amounts the chain would take but that would not make the validator the staker expects: refused, with the rule
    code, out = wallet("stake", "devnet-2", "31", "--data-dir", str(data), *pw)
    assert code == 2 and "MIN_ACTIVATION_BALANCE" in out, out
    code, out = wallet("stake", "devnet-2", "2049", "--compounding", "--data-dir", str(data), *pw)
    assert code == 2 and "MAX_EFFECTIVE_BALANCE_ELECTRA" in out, out
    assert int(httpx.get(f"{url}/v1/accounts/{address}").json()["data"]["balance"]) == start

    code, out = wallet("stake", "devnet-2", "32", "--data-dir", str(data), *pw)
    assert code == 0 and "included in block" in out and "pending-deposit queue" in out, out
    account = httpx.get(f"{url}/v1/accounts/{address}").json()["data"]
    assert int(account["balance"]) < start - 32 * GWEI  # in the pending-deposit queue now

    def validator() -> dict[str, Any]:
        r = httpx.get(f"{url}/eth/v1/beacon/states/head/validators/16")
        return r.json()["data"] if r.status_code == 200 else {}

    pending = until("the deposit to reach the registry", validator, 90)
    assert pending["status"].startswith("pending")
    code, out = wallet("exit", "devnet-2", "99", "--data-dir", str(data), *pw)  # not in the registry (yet)
    assert code == 2 and "no validator 99 in the registry yet" in out, out
    code, out = wallet("exit", "devnet-2", "16", "--data-dir", str(data), *pw)  # too early: says when it can
    assert code == 2 and "SHARD_COMMITTEE_PERIOD" in out and "can exit" in out, out
    assert httpx.get(f"{url}/v1/accounts/{address}").json()["data"]["validators"] == ["16"]
    until("activation", lambda: validator().get("status") == "active_ongoing", 90)
    # the devnet's validator client runs the new key: it earns rather than leaks
    until("rewards", lambda: int(validator()["balance"]) > 32 * GWEI, 120)
    code, out = wallet("rewards", "devnet-2")
    assert code == 0 and "16" in out, out

    # voluntary exit once SHARD_COMMITTEE_PERIOD has passed, then the sweep pays the balance to the account
    def try_exit() -> bool:
        code, _ = wallet("exit", "devnet-2", "16", "--data-dir", str(data), *pw)
        return code == 0

    until("an accepted exit", try_exit, 120)
    until(
        "exit",
        lambda: (
            validator()["status"] in ("active_exiting", "exited_unslashed", "withdrawal_possible", "withdrawal_done")
        ),
        30,
    )
    before = int(httpx.get(f"{url}/v1/accounts/{address}").json()["data"]["balance"])
    until("withdrawal", lambda: validator()["status"] == "withdrawal_done", 120)
    after = int(httpx.get(f"{url}/v1/accounts/{address}").json()["data"]["balance"])
    assert after - before > 32 * GWEI
