"""`stakework pool`: argument parsing and user mistakes (one-line errors, exit status 2) without a node, and the
operator/delegator journey end to end against a devnet subprocess."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stakework.cli.modtx import apr_text, parse_commission
from stakework.crypto.ed25519 import devnet_account_key, to_hex
from support.module_cli import DOWN, balance, cli


def test_commission_parsing() -> None:
    assert parse_commission("10%") == 1000 and parse_commission("10") == 1000 and parse_commission("7.25%") == 725
    assert parse_commission("0%") == 0 and parse_commission("100%") == 10_000 and parse_commission("50bps") == 50


@pytest.mark.parametrize("text", ["101%", "-1%", "0.001%", "ten", "nan%"])
def test_commission_refused(text: str) -> None:
    code, out = cli("pool", "register", "--commission", text, "--node", DOWN)
    assert code == 2 and "commission" in out, out


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "empty")]
    code, out = cli("pool", "list", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out
    code, out = cli("pool", "deposit", "--pool", "1", "lots", "--node", DOWN, *w)
    assert code == 2 and "not a number of SWK" in out, out
    code, out = cli("pool", "withdraw", "--pool", "1", "--node", DOWN, *w)
    assert code == 2 and "--shares S or --all" in out, out
    code, out = cli("pool", "withdraw", "--pool", "1", "--all", "--shares", "1", "--node", DOWN, *w)
    assert code == 2 and "--shares S or --all" in out, out
    code, out = cli("pool", "deposit", "--pool", "1", "40", "--node", DOWN, *w)
    assert code == 2 and "no accounts" in out, out
    code, out = cli("pool", "claim", "--pool", "1", "first", "--node", DOWN, *w)
    assert code == 2 and "give its number" in out, out
    code, out = cli("pool", "register", "--commission", "10%", "--generate-keys", "1", "--node", DOWN, *w)
    assert code == 2 and "--generate-keys needs --data-dir" in out, out
    code, out = cli("pool", "add-keys", "--pool", "1", "--node", DOWN, *w)
    assert code == 2 and "no validator keys" in out, out
    code, out = cli("pool", "add-keys", "--pool", "1", "--generate-keys", "21", "-d", str(tmp_path), *w)
    assert code == 2 and "at most 20 keys per transaction" in out, out


@pytest.mark.parametrize("command", ["show", "queue"])
def test_reads__pool_named_by_option_or_older_positional__both_accepted_one_pool_only(command: str) -> None:
    code, out = cli("pool", command, "--node", DOWN)
    assert code == 2 and "which pool? give --pool N" in out, out
    code, out = cli("pool", command, "1", "--pool", "2", "--node", DOWN)
    assert code == 2 and "two different pools" in out, out
    for form in (["--pool", "1"], ["1"], ["1", "--pool", "1"]):  # reaches the node: the form was accepted
        code, out = cli("pool", command, *form, "--node", DOWN)
        assert code == 2 and "is `stakework devnet` running?" in out, (form, out)


@pytest.mark.parametrize("command", [["pool", "list"], ["pool", "show", "--pool", "1"], ["liquid", "show"]])
def test_reads__data_dir__accepted_and_read_like_the_writing_commands(tmp_path: Path, command: list[str]) -> None:
    code, out = cli(*command, "--data-dir", str(tmp_path / "not-a-devnet"), "--node", DOWN)
    assert code == 2 and "cannot read the API token" in out and "has the devnet started?" in out, out


def test_apr_text__devnet_epochs__says_annualised_and_why_it_is_so_high() -> None:
    devnet = apr_text({"apr_bps": "345678", "epochs_per_year": "1971000"}, 32)
    assert devnet.startswith("APR 3456.78% (last 32 epochs, annualised over this chain's 1,971,000 epochs a year")
    assert "far higher than a real chain's" in devnet
    mainnet = apr_text({"apr_bps": "321", "epochs_per_year": "82125"}, 32)
    assert mainnet == "APR 3.21% (last 32 epochs, annualised)"


# -- end to end against a devnet subprocess -----------------------------------------------------------------------


def until(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.e2e
@pytest.mark.xdist_group("devnet-clock")  # devnets on the wall clock: one at a time (pyproject.toml)
def test_pool_journey_on_a_devnet(tmp_path: Path, devnet: Path) -> None:
    """Register a pool with a fresh key (run by the devnet's validator client), deposit 40 SWK, watch the price
    grow once the pool's validator is active, withdraw everything (the pool exits its validator), claim."""
    password = tmp_path / "pw"
    password.write_text("pool password\n")
    pw = ["--password-file", str(password)]
    send = [*pw, "--data-dir", str(devnet)]
    for i in (1, 2):
        assert cli("wallet", "import-devnet", str(i), *pw)[0] == 0
    delegator = to_hex(devnet_account_key(2).address)

    code, out = cli("pool", "register", "--commission", "10%", "--generate-keys", "1", "--from", "devnet-1", *send)
    assert code == 0 and "pool 1 registered with 1 key(s)" in out, out
    assert len(list((devnet / "keys" / "staked").glob("*.json"))) == 1
    code, out = cli("keys", "generate", "--count", "1", "--out", str(tmp_path / "k"), "--kdf", "pbkdf2", *pw)
    assert code == 0, out
    key_file = ["--key-file", str(next((tmp_path / "k").glob("*.json"))), "--key-password-file", str(password)]
    code, out = cli("pool", "add-keys", "--pool", "1", *key_file, "--from", "devnet-2", *send)
    assert code == 2 and "only pool 1's operator" in out, out
    code, out = cli("pool", "add-keys", "--pool", "1", *key_file, "--from", "devnet-1", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("pool", "add-keys", "--pool", "1", *key_file, "--from", "devnet-1", *send)
    assert code == 2 and "pool.add_keys refused" in out and "already registered" in out, out  # the module's reason
    code, out = cli("pool", "set-commission", "12.5%", "--pool", "1", "--from", "devnet-1", *send)
    assert code == 0, out
    code, out = cli("pool", "list")
    assert code == 0 and "12.50%" in out, out
    code, out = cli("pool", "show", "--pool", "1")
    assert code == 0 and "spare keys 2" in out, out
    start = balance(delegator)
    code, out = cli("pool", "deposit", "--pool", "1", "40", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("pool", "deposit", "--pool", "7", "1", "--from", "devnet-2", *send)
    assert code == 2 and "no pool 7" in out, out

    def grown() -> bool:  # the validator is active (run by the devnet) and has earned: price above 1.0001
        code, out = cli("pool", "show", "1", "--rows", "2")
        assert code == 0, out
        found = re.search(r"price (\d+\.\d+) SWK/share", out)
        return found is not None and float(found.group(1)) > 1.0001

    until("the pool's validator to be active and earn", grown, 120)  # safety nets: conditions, not durations
    code, out = cli("pool", "show", "1")
    assert "validators 1" in out and "APR " in out and "price history" in out, out
    code, out = cli("pool", "withdraw", "--pool", "1", "--shares", "1000", "--from", "devnet-2", *send)
    assert code == 2 and "fewer than 1,000 shares" in out, out
    code, out = cli("pool", "withdraw", "--pool", "1", "--all", "--from", "devnet-2", *send)
    assert code == 0 and "withdrawal request 1" in out, out
    code, out = cli("pool", "claim", "--pool", "1", "1", "--from", "devnet-2", *send)
    assert code == 2 and "not finalized yet" in out and "pool queue --pool 1" in out, out
    code, out = cli("pool", "queue", "--pool", "1", "--data-dir", str(devnet))
    assert code == 0 and "pool 1 withdrawal queue" in out, out

    def finalized() -> bool:
        code, out = cli("pool", "position", "--pool", "1", "devnet-2", "--from", "devnet-2")
        return code == 0 and "finalized: claim it" in out

    until("the exit to be paid into the pool and the request finalized", finalized, 120)
    code, out = cli("pool", "claim", "--pool", "1", "1", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    assert balance(delegator) > start  # 40 SWK back with the rewards, less the dead shares and four fees

    # the operator's commission, minted as shares, moves like any shares
    code, out = cli("pool", "transfer", "--pool", "1", "devnet-2", "0.00001", "--from", "devnet-1", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("pool", "position", "--pool", "1", "devnet-2", "--from", "devnet-2")
    assert code == 0 and "0.00001 shares" in out, out
    code, out = cli("status", "--data-dir", str(devnet))
    assert code == 0 and "pool module: 1 pools" in out and "liquid module:" in out, out
