"""`stakework safety` and `stakework gov`: user mistakes without a node (one-line errors, exit status 2), and the
journey end to end against a devnet subprocess: stake in the safety module, rewards accrue, a proposal lowers the
liquid module's fee, it is queued, executed after the timelock, and the new fee applies."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from stakework.crypto.ed25519 import devnet_account_key, to_hex
from support.module_cli import DOWN, cli


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "empty"), "--node", DOWN]
    code, out = cli("safety", "show", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out
    code, out = cli("safety", "stake", "0", *w)
    assert code == 2 and "positive number of SWK" in out, out
    code, out = cli("safety", "stake", "1", "--vault", "gold", *w)
    assert code == 2 and "choose swk or stswk" in out, out
    code, out = cli("safety", "stake", "1", *w)
    assert code == 2 and "no accounts" in out, out
    code, out = cli("gov", "vote", "1", "maybe", *w)
    assert code == 2 and "for, against or abstain" in out, out
    code, out = cli("gov", "queue", "one", *w)
    assert code == 2 and "give its number" in out, out
    code, out = cli("gov", "show", "1", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out


def _api(path: str) -> Any:
    return httpx.get(f"{os.environ['STAKEWORK_API']}{path}", timeout=5).json()["data"]


def _until(what: str, ready: Callable[[], bool]) -> None:
    """Poll the devnet until `ready()`; the deadline is a safety net against a hang, not a timed assertion."""
    deadline = time.monotonic() + 300
    while not ready():
        assert time.monotonic() < deadline, f"the devnet never reached: {what}"
        time.sleep(0.2)


def _epoch() -> int:
    return int(_api("/v1/governance")["epoch"])


@pytest.mark.e2e
@pytest.mark.xdist_group("devnet-clock")  # devnets on the wall clock: one at a time (pyproject.toml)
def test_safety_and_governance_journey_on_a_devnet(tmp_path: Path, devnet: Path) -> None:
    """Devnet account 2 stakes 100 SWK in the safety module; its rewards accrue from the treasury (account 0);
    it proposes liquid.fee_bps = 500, votes for it once voting opens, queues it once it passed, and executes it
    once the timelock's eta is reached: /v1/liquid then shows the 5% fee."""
    password = tmp_path / "pw"
    password.write_text("safety password\n")
    send = ["--password-file", str(password), "--data-dir", str(devnet)]
    for i in (0, 2):
        assert cli("wallet", "import-devnet", str(i), *send[:2])[0] == 0
    me = to_hex(devnet_account_key(2).address)

    code, out = cli("safety", "stake", "100", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    staked_epoch = _epoch()
    _until("a reward", lambda: int(_api(f"/v1/safety/accounts/{me}")["vaults"]["swk"]["rewards"]) > 0)
    code, out = cli("safety", "show", "--account", me)
    assert code == 0 and "swk vault: staked 100" in out and "(paid)" in out, out

    _until("an epoch after the stake", lambda: _epoch() > staked_epoch)
    assert int(_api("/v1/liquid")["fee_bps"]) == 1000
    code, out = cli("gov", "propose", "--set", "liquid.fee_bps=20000", "--from", "devnet-2", *send)
    assert code == 2 and "outside its bounds 0..10000" in out, out
    code, out = cli("gov", "propose", "--set", "liquid.fee_bps=500", "-m", "halve the fee", "--from", "devnet-2", *send)
    assert code == 0 and "proposal 1: voting from epoch" in out, out
    code, out = cli("gov", "execute", "1", "--from", "devnet-0", *send)
    assert code == 2 and ("proposal 1 is pending" in out or "proposal 1 is active" in out), out  # epochs are 0.8 s

    _until("voting opens", lambda: _api("/v1/governance/proposals/1")["status"] == "active")
    code, out = cli("gov", "vote", "1", "for", "--from", "devnet-2", *send)
    assert code == 0 and "included in block" in out, out
    _until("the vote ends", lambda: _api("/v1/governance/proposals/1")["status"] != "active")
    assert _api("/v1/governance/proposals/1")["status"] == "succeeded"

    code, out = cli("gov", "queue", "1", "--from", "devnet-0", *send)
    assert code == 0 and "included in block" in out, out
    eta = int(_api("/v1/governance/proposals/1")["eta"])
    assert eta > int(_api("/v1/governance/proposals/1")["end"]) and int(_api("/v1/liquid")["fee_bps"]) == 1000
    code, out = cli("gov", "execute", "1", "--from", "devnet-0", *send)
    if code == 2:  # before its eta: the timelock refuses (0.8 s epochs: on a loaded machine the eta may be past)
        assert "timelock" in out, out
        assert int(_api("/v1/liquid")["fee_bps"]) == 1000
        _until("the timelock's eta", lambda: _epoch() >= eta)
        code, out = cli("gov", "execute", "1", "--from", "devnet-0", *send)
    assert code == 0 and "included in block" in out, out
    assert int(_api("/v1/governance/proposals/1")["executed_epoch"]) >= eta

    assert int(_api("/v1/liquid")["fee_bps"]) == 500
    code, out = cli("gov", "show", "1")
    assert code == 0 and "executed" in out and "liquid.fee_bps=500" in out and f"{me} for" in out, out
    code, out = cli("gov", "list")
    assert code == 0 and "executed" in out, out
