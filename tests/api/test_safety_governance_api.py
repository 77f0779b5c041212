"""The safety and governance endpoints (/v1/safety..., /v1/governance...) on an in-process devnet driven by real
blocks: every figure checked against the head state's module store and the modules' queries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_modules_api import ADMIN, ALICE, BOB, SPE, SWK, ModuleNode, _open

from stakework.crypto.ed25519 import to_hex
from stakework.modules.governance.messages import Action, CastVote, Propose
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.safety.definition import DEVNET_PARAMETERS
from stakework.modules.safety.messages import Cooldown, Slash
from stakework.modules.safety.messages import Stake as SafetyStake


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleNode]:
    """Alice stakes 100 SWK in the SWK vault and starts her cooldown; Bob stakes 10 SWK of stSWK shares; governance
    (account 0) slashes 10 SWK of the SWK vault to itself; Alice proposes a lower liquid fee and votes for it."""
    n = _open(tmp_path_factory.mktemp("safety-devnet"))
    n.run_slots(1)
    txs = [n.send(ALICE, SafetyStake(amount=100 * SWK)), n.send(BOB, LiquidStake(amount=20 * SWK))]
    n.run_slots(1)
    txs += [n.send(BOB, SafetyStake(vault="stswk", amount=10 * SWK)), n.send(ALICE, Cooldown())]
    n.run_slots(SPE)
    txs.append(n.send(ADMIN, Slash(amount=10 * SWK, recipient=ADMIN.address, reason="test shortfall")))
    txs.append(n.send(ALICE, Propose(actions=[Action(module="liquid", name="fee_bps", value=500)], description="x")))
    n.run_slots(3 * SPE)
    txs.append(n.send(ALICE, CastVote(proposal_id=1, support=1)))
    n.run_slots(1)
    for tx in txs:
        n.included(tx)
    yield n
    n.close()


def test_safety__overview__vaults_apr_and_parameters_match_the_state(net: ModuleNode) -> None:
    data = net.get("/v1/safety")
    sm = net.view.chain.head_state.modules.safety
    assert data["governance"] == data["treasury"] == to_hex(ADMIN.address)
    swk = data["vaults"]["swk"]
    assert int(swk["total_assets"]) == sm.swk.ledger.total_assets == 90 * SWK
    assert int(swk["slashed"]) == 10 * SWK and swk["in_post_slash"] is True
    assert int(swk["emitted"]) == sm.swk.emitted > 0 and swk["emitting"] is True
    assert int(data["vaults"]["stswk"]["total_assets"]) == 10 * SWK
    assert data["apr"]["swk"]["apr_bps"] is not None and int(data["apr"]["swk"]["apr_bps"]) > 0
    assert int(data["parameters"]["cooldown_epochs"]["value"]) == DEVNET_PARAMETERS.cooldown_epochs
    assert net.get("/v1/safety/apr")["swk"] == data["apr"]["swk"]


def test_safety_account__alice__shares_rewards_and_cooldown(net: ModuleNode) -> None:
    data = net.get(f"/v1/safety/accounts/{to_hex(ALICE.address)}")
    sm = net.view.chain.head_state.modules.safety
    pos = data["vaults"]["swk"]
    assert int(pos["shares"]) == sm.swk.ledger.shares_of(ALICE.address) == int(data["stake_balance"])
    assert int(pos["rewards"]) > 0
    assert pos["cooldown"] in ("cooling", "window") and pos["can_redeem"] is True  # post-slash: no cooldown needed
    assert net.get("/v1/safety/accounts/0x12", 400)


def test_safety_slashings__the_one_slashing__capped_and_recorded(net: ModuleNode) -> None:
    rows = net.get("/v1/safety/slashings")
    assert len(rows) == 1
    assert rows[0]["vault"] == "swk" and int(rows[0]["amount"]) == 10 * SWK and rows[0]["reason"] == "test shortfall"
    assert int(rows[0]["cap"]) == 100 * SWK * DEVNET_PARAMETERS.max_slash_bps // 10_000
    assert net.get("/v1/safety/slashings?limit=0", 400)


def test_governance__overview__settings_power_and_every_modules_parameters(net: ModuleNode) -> None:
    data = net.get("/v1/governance")
    gov = net.view.chain.head_state.modules.governance
    # the SWK value of both safety positions, as last reported (stake, transfer, redeem, slash)
    assert int(data["total_power"]) == sum(gov.balances.values()) > 0
    assert set(gov.balances) == {ALICE.address, BOB.address}
    names = {(p["module"], p["name"]) for p in data["parameters"]}
    assert {("governance", "voting_period"), ("liquid", "fee_bps"), ("safety", "max_slash_bps")} <= names


def test_governance_proposals__alices_proposal__active_with_her_vote(net: ModuleNode) -> None:
    rows = net.get("/v1/governance/proposals")
    one = net.get("/v1/governance/proposals/1")
    assert rows == [one]
    assert one["status"] == "active" and one["actions"] == [{"module": "liquid", "name": "fee_bps", "value": "500"}]
    assert one["votes"] == [{"voter": to_hex(ALICE.address), "support": "1", "votes": one["for_votes"]}]
    assert int(one["for_votes"]) > 0 and one["eta"] == "0"
    assert "no proposal 2" in net.get("/v1/governance/proposals/2", 404)
    power = net.get(f"/v1/governance/accounts/{to_hex(ALICE.address)}")
    assert power["votes"] == power["balance"] and power["delegate"] == to_hex(ALICE.address)


def test_safety_and_governance__chain_without_modules__404_naming_the_module(tmp_path: Path) -> None:
    n = _open(tmp_path, modules=False)
    try:
        assert "safety module is not enabled" in n.get("/v1/safety", 404)
        assert "governance module is not enabled" in n.get("/v1/governance/proposals", 404)
    finally:
        n.close()


def test_web_pages__safety_and_governance__show_the_apis_figures(net: ModuleNode) -> None:
    from fastapi.testclient import TestClient

    from stakework.api.app import create_app

    with TestClient(create_app(net.view, "test-token", bind_host=None)) as web:
        safety = web.get("/modules/safety")
        assert safety.status_code == 200 and "test shortfall" in safety.text and "swk vault" in safety.text
        gov = web.get("/modules/governance")
        assert gov.status_code == 200 and "liquid.fee_bps = 500" in gov.text and "active" in gov.text
        account = web.get(f"/accounts/{to_hex(ALICE.address)}")
        assert account.status_code == 200 and "stkSWK" in account.text
