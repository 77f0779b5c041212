"""`stakework amm`: user mistakes without a node (one-line errors, exit status 2), and the journey end to end
against a devnet subprocess: stake for stSWK, add liquidity, quote and swap both ways (exact-in with its least
output, exact-out with its most input), show the pool and the position, remove in one coin, then everything."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from stakework.crypto.ed25519 import devnet_account_key, to_hex
from support.module_cli import DOWN, balance, cli

SWK = 10**9


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "empty"), "--node", DOWN]
    code, out = cli("amm", "pool", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out
    code, out = cli("amm", "quote", "1", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out
    code, out = cli("amm", "swap", "0", *w)
    assert code == 2 and "positive number of SWK" in out, out
    code, out = cli("amm", "swap", "1", "--sell", "gold", *w)
    assert code == 2 and "choose swk or stswk" in out, out
    code, out = cli("amm", "swap", "1", "--slippage", "80%", *w)
    assert code == 2 and "between 0% and 50%" in out, out
    code, out = cli("amm", "swap", "1", "--exact-out", "--min-out", "1", *w)
    assert code == 2 and "--min-out bounds an exact-in swap" in out, out
    code, out = cli("amm", "add", *w)
    assert code == 2 and "give --swk and/or --stswk" in out, out
    code, out = cli("amm", "remove-one", "1", "--coin", "eth", *w)
    assert code == 2 and "choose swk or stswk" in out, out
    code, out = cli("amm", "swap", "1", *w)
    assert code == 2 and "no accounts" in out, out


def _api(path: str) -> Any:
    return httpx.get(f"{os.environ['STAKEWORK_API']}{path}", timeout=5).json()["data"]


@pytest.mark.e2e
@pytest.mark.xdist_group("devnet-clock")  # devnets on the wall clock: one at a time (pyproject.toml)
def test_amm_journey_on_a_devnet(tmp_path: Path, devnet: Path) -> None:
    """Devnet account 2 stakes 60 SWK for stSWK, adds 20 SWK and 20 stSWK shares, sells 2 SWK (at least the quote
    less 0.5 %), buys exactly 1 SWK with stSWK, withdraws 5 LP shares in SWK, then everything in both coins."""
    password = tmp_path / "pw"
    password.write_text("amm password\n")
    send = ["--password-file", str(password), "--data-dir", str(devnet)]
    assert cli("wallet", "import-devnet", "2", *send[:2])[0] == 0
    me = to_hex(devnet_account_key(2).address)

    code, out = cli("liquid", "stake", "60", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("amm", "swap", "1", *send)
    assert code == 2 and "the pool would refuse that swap" in out and "no liquidity" in out, out
    code, out = cli("amm", "add", "--swk", "20", "--stswk", "20", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    lp = int(_api(f"/v1/amm/accounts/{me}")["shares"])
    assert lp > 39 * SWK

    code, out = cli("amm", "quote", "2")
    assert code == 0 and "sell 2 SWK -> buy" in out and "price" in out, out
    quoted = int(_api(f"/v1/amm/quote?sell=swk&dx={2 * SWK}")["dy"])
    shares_before, swk_before = int(_api(f"/v1/liquid/accounts/{me}")["shares"]), balance(me)
    code, out = cli("amm", "swap", "2", "--from", "devnet-2", *send)
    assert code == 0 and "for at least" in out and "included in block" in out, out
    got = int(_api(f"/v1/liquid/accounts/{me}")["shares"]) - shares_before
    assert got == quoted and balance(me) < swk_before - 2 * SWK + SWK // 1000  # 2 SWK and the fee

    code, out = cli("amm", "swap", "1", "--sell", "stswk", "--exact-out", "--from", "devnet-2", *send)
    assert code == 0 and "buying 1 SWK for at most" in out and "included in block" in out, out
    code, out = cli("amm", "swap", "1", "--min-out", "5", "--from", "devnet-2", *send)
    assert code == 2 and "below min_dy" in out, out  # the node tries the message and refuses it

    code, out = cli("amm", "pool")
    assert code == 0 and "A 100" in out and "2 swaps" in out and "fee 0.0400%" in out, out
    code, out = cli("amm", "position", me)
    assert code == 0 and "LP shares (99.99% of the pool)" in out, out

    code, out = cli("amm", "remove-one", "5", "--coin", "swk", "--from", "devnet-2", *send)
    assert code == 0 and "burning 5 LP shares" in out and "included in block" in out, out
    code, out = cli("amm", "remove", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    assert _api(f"/v1/amm/accounts/{me}")["shares"] == "0"
    pool = _api("/v1/amm")
    assert int(pool["lp_supply"]) == 10**6  # the dead shares stay
    code, out = cli("status", "--data-dir", str(devnet))  # the row from the data directory (it may lag the head)
    assert code == 0 and "amm pool:" in out, out
