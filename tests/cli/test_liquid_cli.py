"""`stakework liquid`: user mistakes without a node (one-line errors, exit status 2), and the admin, operator and
holder journey end to end against a devnet subprocess."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from stakework.crypto.ed25519 import devnet_account_key, to_hex
from support.module_cli import DOWN, balance, cli


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "empty"), "--node", DOWN]
    code, out = cli("liquid", "show", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out
    code, out = cli("liquid", "stake", "0", *w)
    assert code == 2 and "positive number of SWK" in out, out
    code, out = cli("liquid", "wrap", "1.0000000001", *w)
    assert code == 2 and "at most 9 decimals" in out, out
    code, out = cli("liquid", "claim", "one", *w)
    assert code == 2 and "give its number" in out, out
    code, out = cli("liquid", "claim", "²", *w)
    assert code == 2 and "give its number" in out, out
    code, out = cli("liquid", "wrap", "1", "--fee", "cheap", *w)
    assert code == 2 and "fee 'cheap'" in out, out
    code, out = cli("liquid", "stake", "1", *w)
    assert code == 2 and "no accounts" in out, out
    code, out = cli("liquid", "transfer", "0x12", "1", "--from", "me", *w)
    assert code == 2 and "address" in out, out
    code, out = cli("liquid", "submit-keys", *w)
    assert code == 2 and "no validator keys" in out, out
    code, out = cli("liquid", "submit-keys", "--generate-keys", "2", *w)
    assert code == 2 and "--generate-keys needs --data-dir" in out, out
    code, out = cli("liquid", "set-params", *w)
    assert code == 2 and "nothing to set" in out, out
    code, out = cli("liquid", "set-params", "--fee-rate", "120%", *w)
    assert code == 2 and "between 0% and 100%" in out, out


@pytest.mark.e2e
@pytest.mark.xdist_group("devnet-clock")  # devnets on the wall clock: one at a time (pyproject.toml)
def test_liquid_journey_on_a_devnet(tmp_path: Path, devnet: Path) -> None:
    """The admin (devnet account 0) adds an operator, which submits a fresh key (run by the devnet's validator
    client); a holder stakes 40 SWK (the module stakes one validator, 8 SWK stay in the buffer), wraps, sends
    wstSWK, unwraps, withdraws from the buffer and claims; a second request changes owner before its claim."""
    password = tmp_path / "pw"
    password.write_text("liquid password\n")
    pw = ["--password-file", str(password)]
    send = [*pw, "--data-dir", str(devnet)]
    for i in (0, 1, 2):
        assert cli("wallet", "import-devnet", str(i), *pw)[0] == 0
    holder = to_hex(devnet_account_key(2).address)

    code, out = cli("liquid", "add-operator", "devnet-1", "--from", "devnet-2", *send)
    assert code == 2 and "only the liquid module's admin" in out, out
    code, out = cli("liquid", "add-operator", "devnet-1", "--from", "devnet-0", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("liquid", "submit-keys", "--generate-keys", "1", "--from", "devnet-1", *send)
    assert code == 0 and "new validator key 0x" in out and "included in block" in out, out
    assert len(list((devnet / "keys" / "staked").glob("*.json"))) == 1

    code, out = cli("liquid", "set-params", "--pause", "--from", "devnet-2", *send)
    assert code == 2 and "only the liquid module's admin" in out, out
    code, out = cli("liquid", "set-params", "--pause", "--from", "devnet-0", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("liquid", "stake", "1", "--from", "devnet-2", *send)
    assert code == 2 and "staking is paused" in out, out  # the node tried it on its head state: the module's reason
    code, out = cli("liquid", "set-params", "--resume", "--stake-limit", "1000", "--from", "devnet-0", *send)
    assert code == 0, out

    start = balance(holder)
    code, out = cli("liquid", "stake", "40", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    code, out = cli("liquid", "wrap", "10", "--from", "devnet-2", *send)
    assert code == 0, out
    code, out = cli("liquid", "transfer", "devnet-0", "2", "--wrapped", "--from", "devnet-2", *send)
    assert code == 0, out
    code, out = cli("liquid", "balance", "devnet-0")
    assert code == 0 and "2 wstSWK" in out, out
    code, out = cli("liquid", "unwrap", "9", "--from", "devnet-2", *send)
    assert code == 2 and "holds 8 wstSWK, less than 9 wstSWK" in out, out
    code, out = cli("liquid", "unwrap", "8", "--from", "devnet-2", *send)
    assert code == 0, out
    code, out = cli("liquid", "transfer", "devnet-1", "1", "--from", "devnet-2", *send)
    assert code == 0, out

    code, out = cli("liquid", "withdraw", "3", "--from", "devnet-2", *send)
    assert code == 0 and "withdrawal request 1" in out, out
    code, out = cli("liquid", "withdraw", "1", "--from", "devnet-2", *send)
    assert code == 0 and "withdrawal request 2" in out, out
    code, out = cli("liquid", "transfer-request", "2", "devnet-0", "--from", "devnet-2", *send)
    assert code == 0, out
    code, out = cli("liquid", "claim", "2", "--from", "devnet-2", *send)
    assert code == 2 and "belongs to" in out, out

    # the buffer (8 SWK) pays each request at the first epoch after its block: both by the next epoch, or one epoch
    # apart when an epoch began between the two withdrawals' blocks (a safety net of 120 s)
    deadline = time.monotonic() + 120
    while "finalized up to request 2 of 2" not in (out := cli("liquid", "queue")[1]):
        assert time.monotonic() < deadline, out
        time.sleep(0.3)
    assert "finalized: claim it" in (out := cli("liquid", "balance", "devnet-2")[1]), out
    before = balance(holder)
    code, out = cli("liquid", "claim", "1", "--from", "devnet-2", *send)
    assert code == 0 and "claiming request 1 (3 SWK)" in out, out
    assert balance(holder) == before + 3 * 10**9 - 1000  # the payout, less the fee
    code, out = cli("liquid", "claim", "1", "--from", "devnet-2", *send)
    assert code == 2 and "was claimed" in out, out
    code, out = cli("liquid", "claim", "2", "--from", "devnet-0", *send)
    assert code == 0, out
    assert start - balance(holder) < 41 * 10**9  # 40 staked, 3 back; 1 stSWK given away, 1 request given away

    code, out = cli("liquid", "show")
    assert code == 0 and re.search(r"validators 1 \(exiting 0\)", out) and "operators 1" in out, out
