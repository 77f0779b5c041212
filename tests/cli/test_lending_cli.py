"""`stakework lend`: user mistakes without a node (one-line errors, exit status 2), and the journey end to end
against a devnet subprocess: supply SWK, stake SWK for stSWK and supply it, enter e-mode, borrow, a borrow beyond
the LTV refused with the module's reason, the position's health factor, the markets, the `stakework status` row,
governance authorising the module to report bad debt, repay everything, withdraw the collateral."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from stakework.crypto.ed25519 import devnet_account_key, to_hex
from support.module_cli import DOWN, cli


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "empty"), "--node", DOWN]
    code, out = cli("lend", "markets", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out
    code, out = cli("lend", "supply", "0", *w)
    assert code == 2 and "positive number of SWK" in out, out
    code, out = cli("lend", "supply", "1", "--market", "gold", *w)
    assert code == 2 and "choose swk or stswk" in out, out
    code, out = cli("lend", "supply", "0.0000000001", "--market", "stswk", *w)
    assert code == 2 and "a positive number of stSWK shares" in out, out
    code, out = cli("lend", "emode", "maybe", *w)
    assert code == 2 and "give on or off" in out, out
    code, out = cli("lend", "borrow", "1", *w)
    assert code == 2 and "no accounts" in out, out
    code, out = cli("lend", "position", "bob", *w)  # a wallet name or a 0x address, as every module command
    assert code == 2 and "no account 'bob'" in out and "not a 0x address" in out, out


def _api(path: str) -> Any:
    return httpx.get(f"{os.environ['STAKEWORK_API']}{path}", timeout=5).json()["data"]


@pytest.mark.e2e
@pytest.mark.xdist_group("devnet-clock")  # devnets on the wall clock: one at a time (pyproject.toml)
def test_lending_journey_on_a_devnet(tmp_path: Path, devnet: Path) -> None:
    """Account 2 supplies 100 SWK; account 3 stakes 50 SWK for stSWK, supplies 40 of its shares, enters e-mode and
    borrows 30 SWK (37.3 more would pass e-mode's 93 % LTV: refused); governance (account 0) lets the module report
    bad debt to the safety module; account 3 repays everything and takes its collateral back."""
    password = tmp_path / "pw"
    password.write_text("lending password\n")
    send = ["--password-file", str(password), "--data-dir", str(devnet)]
    for i in (0, 2, 3):
        assert cli("wallet", "import-devnet", str(i), *send[:2])[0] == 0
    lender, borrower = to_hex(devnet_account_key(2).address), to_hex(devnet_account_key(3).address)

    code, out = cli("lend", "supply", "100", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("liquid", "stake", "50", "--from", "devnet-3", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("lend", "supply", "40", "--market", "stswk", "--from", "devnet-3", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("lend", "emode", "on", "--from", "devnet-3", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("lend", "borrow", "30", "--from", "devnet-3", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("lend", "borrow", "8", "--from", "devnet-3", *send)
    assert code == 2 and "borrowing power" in out, out

    code, out = cli("lend", "position", borrower)
    assert code == 0 and "e-mode on" in out and "health factor 1.26" in out and "LIQUIDATABLE" not in out, out
    assert int(_api(f"/v1/lending/accounts/{borrower}")["markets"]["swk"]["borrowed"]) >= 30 * 10**9
    code, out = cli("lend", "liquidate", borrower, "--from", "devnet-2", *send)
    assert code == 2 and "not below 1" in out, out
    code, out = cli("lend", "markets")
    assert code == 0 and "swk market: supplied 100" in out and "not authorised" in out, out
    code, out = cli("status", "--data-dir", str(devnet))
    assert code == 0 and "lending: SWK 100.000 supplied / 30.000 borrowed" in out and "1 borrowers" in out, out
    code, out = cli("lend", "enable-cover", "--from", "devnet-0", *send)
    assert code == 0 and "included in block" in out, out
    assert _api("/v1/lending")["cover"]["authorised"] is True

    code, out = cli("lend", "repay", "--from", "devnet-3", *send)
    assert code == 0 and "included in block" in out, out
    assert int(_api(f"/v1/lending/accounts/{borrower}")["markets"]["swk"]["borrowed"]) == 0
    code, out = cli("lend", "withdraw", "--market", "stswk", "--from", "devnet-3", *send)
    assert code == 0 and "included in block" in out, out
    assert int(_api(f"/v1/lending/accounts/{borrower}")["markets"]["stswk"]["supplied"]) == 0
    assert int(_api(f"/v1/lending/accounts/{lender}")["markets"]["swk"]["supplied"]) >= 100 * 10**9
