"""The lending endpoints (/v1/lending...) on an in-process devnet driven by real blocks: every figure checked
against the head state's lending module and the module's queries, the errors (400 for a malformed address, market
or limit; 404 when the module is not enabled)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_modules_api import ADMIN, ALICE, BOB, SPE, SWK, ModuleNode, _open

from stakework.crypto.ed25519 import to_hex
from stakework.modules.lending import MODULE
from stakework.modules.lending import queries as lq
from stakework.modules.lending.messages import Borrow, SetEmode, Supply
from stakework.modules.lending.state import LendingState
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.safety.messages import AuthorizeSlasher
from stakework.transition.modules import ChainHost, module_address

WAD = 10**18


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleNode]:
    """Alice supplies 200 SWK; Bob stakes 50 SWK in the liquid module, supplies 40 SWK of stSWK shares, enters
    e-mode and borrows 30 SWK; governance (account 0) authorises the lending module to report bad debt."""
    n = _open(tmp_path_factory.mktemp("lending-devnet"))
    n.run_slots(1)
    txs = [
        n.send(ALICE, Supply(amount=200 * SWK)),
        n.send(BOB, LiquidStake(amount=50 * SWK)),
        n.send(ADMIN, AuthorizeSlasher(address=module_address(MODULE))),
    ]
    n.run_slots(1)
    txs += [n.send(BOB, Supply(market="stswk", amount=40 * SWK)), n.send(BOB, SetEmode(enabled=True))]
    n.run_slots(1)
    txs.append(n.send(BOB, Borrow(amount=30 * SWK)))
    n.run_slots(2 * SPE)
    for tx in txs:
        n.included(tx)
    yield n
    n.close()


def _state(net: ModuleNode) -> LendingState:
    lending: LendingState | None = net.view.chain.head_state.modules.get(MODULE)
    assert lending is not None
    return lending


def test_lending__overview__markets_oracle_cover_and_parameters_match_the_state(net: ModuleNode) -> None:
    data = net.get("/v1/lending")
    state = net.view.chain.head_state
    lm, host = _state(net), ChainHost(state)
    assert data["address"] == to_hex(module_address(MODULE)) and data["treasury"] == to_hex(ADMIN.address)
    swk = data["markets"]["swk"]
    view = lq.market_view(lm, host, "swk")
    assert int(swk["cash"]) == view.cash == lm.swk.cash == 170 * SWK
    assert int(swk["total_debt"]) == view.total_debt >= 30 * SWK
    assert int(swk["total_supply"]) == view.total_supply >= 200 * SWK
    assert int(swk["borrow_index"]) >= int(swk["liquidity_index"]) >= 10**27
    assert int(swk["usage_bps"]) == 30 * 10_000 // 200 and int(swk["borrow_apr_bps"]) > int(swk["supply_apr_bps"]) > 0
    assert int(data["markets"]["stswk"]["total_supply"]) == 40 * SWK and swk["borrowers"] == "1"
    assert data["emode"] == {"ltv_bps": "9300", "liquidation_threshold_bps": "9500", "liquidation_bonus_bps": "100"}
    assert int(data["oracle"]["price"]) == lq.oracle(lm, host).price > 0
    assert data["cover"] == {"safety_module": True, "authorised": True}
    close = data["parameters"]["close_factor_bps"]
    assert (close["value"], close["min"], close["max"]) == ("5000", "1000", "10000") and "liquidation" in close["doc"]
    assert net.get("/v1/lending/markets") == data["markets"]
    assert net.get("/v1/lending/oracle") == data["oracle"]


def test_lending_account__bob__position_and_health_factor(net: ModuleNode) -> None:
    data = net.get(f"/v1/lending/accounts/{to_hex(BOB.address)}")
    lm, host = _state(net), ChainHost(net.view.chain.head_state)
    assert data["emode"] is True and data["liquidatable"] is False
    assert int(data["markets"]["stswk"]["supplied"]) == 40 * SWK and data["markets"]["stswk"]["collateral"] is True
    owed = lq.position(lm, host, BOB.address).markets["swk"].borrowed  # accrued to the current epoch
    assert int(data["markets"]["swk"]["borrowed"]) == owed >= lm.swk.debt_of(BOB.address) >= 30 * SWK
    hf = lq.health_factor(lm, host, BOB.address)
    assert hf is not None and int(data["health_factor"]) == hf > WAD
    alice = net.get(f"/v1/lending/accounts/{to_hex(ALICE.address)}")
    assert alice["health_factor"] is None and int(alice["markets"]["swk"]["supplied"]) >= 200 * SWK


def test_lending_liquidation_quote__healthy_position__the_reason(net: ModuleNode) -> None:
    data = net.get(f"/v1/lending/accounts/{to_hex(BOB.address)}/liquidation")
    assert "not below 1" in data["error"]
    data = net.get(f"/v1/lending/accounts/{to_hex(ALICE.address)}/liquidation?debt_market=swk&amount=5")
    assert "owes nothing" in data["error"]


def test_lending_bad_debt__none_yet(net: ModuleNode) -> None:
    data = net.get("/v1/lending/bad-debt")
    assert data["records"] == [] and data["markets"]["swk"] == {
        "deficit": "0",
        "bad_debt_total": "0",
        "covered_total": "0",
    }


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/v1/lending/accounts/0x12", "address"),
        (f"/v1/lending/accounts/0x{'11' * 20}/liquidation?debt_market=gold", "choose swk or stswk"),
        (f"/v1/lending/accounts/0x{'11' * 20}/liquidation?amount=-1", "amount"),
        ("/v1/lending/bad-debt?limit=0", "limit must be 1..64"),
    ],
)
def test_lending__malformed_input__400_naming_it(net: ModuleNode, path: str, says: str) -> None:
    assert says in net.get(path, 400)


def test_lending__module_not_enabled__404(tmp_path: Path) -> None:
    n = _open(tmp_path / "devnet", modules=False)
    try:
        for path in ("/v1/lending", "/v1/lending/markets", "/v1/lending/oracle", "/v1/lending/bad-debt"):
            assert "lending module is not enabled" in n.get(path, 404)
        assert "lending module is not enabled" in n.get(f"/v1/lending/accounts/0x{'11' * 20}", 404)
    finally:
        n.close()
