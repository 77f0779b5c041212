"""`stakework wallet`: encrypted account files, and sending through a devnet's API (subprocess) as a user does."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.cli.wallet import parse_amount, swk
from stakework.crypto.ed25519 import devnet_account_key, to_hex
from stakework.spec.errors import StakeworkError

runner = CliRunner()


def wallet(*args: str) -> tuple[int, str]:
    """Run `stakework wallet ARGS` in this process; a StakeworkError is exit status 2 with its message, as
    `run_app` makes it."""
    r = runner.invoke(app, ["wallet", *args])
    if isinstance(r.exception, StakeworkError):
        return 2, r.output + str(r.exception)
    return r.exit_code, r.output


@pytest.fixture()
def password(tmp_path: Path) -> Path:
    p = tmp_path / "password"
    p.write_text("correct horse battery\n")
    return p


def test_amounts() -> None:
    assert parse_amount("1.5") == 1_500_000_000 and parse_amount("0.000000001") == 1
    assert swk(1_500_000_000) == "1.5 SWK" and swk(10**15) == "1,000,000 SWK"


def test_new_import_list__encrypted_files(tmp_path: Path, password: Path) -> None:
    w = str(tmp_path / "w")
    code, out = wallet("import-devnet", "0", "-w", w, "--password-file", str(password))
    assert code == 0 and to_hex(devnet_account_key(0).address) in out and "INSECURE" in out
    code, out = wallet("new", "alice", "-w", w, "--password-file", str(password))
    assert code == 0, out
    data = json.loads((tmp_path / "w" / "alice.json").read_text())
    assert data["crypto"]["kdf"]["function"] == "scrypt" and "seed" not in json.dumps(data)
    code, out = wallet("list", "-w", w)
    assert code == 0 and "alice: 0x" in out and "devnet-0: " + to_hex(devnet_account_key(0).address) in out
    code, _ = wallet("new", "alice", "-w", w, "--password-file", str(password))
    assert code == 2  # exists
    code, out = wallet("balance", "-w", w, "--node", "http://127.0.0.1:9")
    assert code != 0


def test_password_file__from_the_environment__no_prompt(
    tmp_path: Path, password: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$STAKEWORK_PASSWORD_FILE stands for --password-file on every command (a devnet session asks for the
    password a dozen times); the file's password is the one used."""
    from stakework.crypto.ed25519 import decrypt_account_key
    from stakework.crypto.keystore import load_keystore

    monkeypatch.setenv("STAKEWORK_PASSWORD_FILE", str(password))
    w = str(tmp_path / "w")
    r = runner.invoke(app, ["wallet", "new", "carol", "-w", w], input="")  # a prompt would read EOF and abort
    assert r.exit_code == 0, r.output
    assert "Keystore password" not in r.output
    decrypt_account_key(load_keystore(tmp_path / "w" / "carol.json"), password.read_text())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def devnet(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data, port = tmp_path / "dn", _free_port()
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
            "0.2",
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


@pytest.mark.e2e
@pytest.mark.xdist_group("devnet-clock")  # devnets on the wall clock: one at a time (pyproject.toml)
def test_send_balance_rewards_watch_against_a_devnet(
    tmp_path: Path, password: Path, devnet: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, data = devnet
    monkeypatch.setenv("STAKEWORK_API", url)
    monkeypatch.setenv("STAKEWORK_WALLET", str(tmp_path / "w"))
    monkeypatch.delenv("STAKEWORK_TOKEN", raising=False)
    pw = ["--password-file", str(password)]
    assert wallet("import-devnet", "1", *pw)[0] == 0
    assert wallet("new", "bob", *pw)[0] == 0
    code, out = wallet("balance", "bob")
    assert code == 0 and "bob: 0 SWK  nonce 0" in out, out
    # without the token the node refuses; with --data-dir the wallet reads it
    code, out = wallet("send", "devnet-1", "bob", "1.5", *pw)
    assert code == 2 and "401" in out, out
    code, out = wallet("send", "devnet-1", "bob", "1.5", "--data-dir", str(data), *pw)
    assert code == 0 and "included in block 0x" in out, out
    code, out = wallet("balance", "bob")
    assert "bob: 1.5 SWK" in out, out
    code, out = wallet("balance", "devnet-1", "--data-dir", str(data))  # accepted by every command that reads
    assert "nonce 1" in out, out
    # a validator's withdrawal account sees its validators and their rewards
    creds = httpx.get(f"{url}/eth/v1/beacon/states/head/validators/0").json()["data"]["validator"]
    address = "0x" + creds["withdrawal_credentials"][-40:]
    deadline = time.monotonic() + 60  # a safety net only: the wait is for the condition, whatever the load
    while not httpx.get(f"{url}/v1/validators/0/rewards").json()["data"]:  # at least one epoch of history
        assert time.monotonic() < deadline, "no epoch of reward history within 60 s"
        time.sleep(0.2)
    code, out = wallet("rewards", address)
    assert code == 0 and "validator" in out and "SWK" in out, out
    code, out = wallet("watch", "bob", address, "--count", "2", "--interval", "0.2")
    assert code == 0 and "1.5 SWK" in out and "active_on" in out and "finalized epoch" in out, out
