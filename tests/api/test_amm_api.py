"""The AMM endpoints (/v1/amm...) on an in-process devnet driven by real blocks: every figure checked against the
head state's AMM and the module's queries, quotes against what the message then does, the oracle against the host
service other modules read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_modules_api import ALICE, BOB, SPE, SWK, ModuleNode, _open

from stakework.crypto.ed25519 import to_hex
from stakework.modules.amm import queries as aq
from stakework.modules.amm.definition import DEVNET_TWAP_WINDOW
from stakework.modules.amm.messages import AddLiquidity, Exchange, ExchangeExactOut
from stakework.modules.amm.oracle import AmmOracle
from stakework.modules.arith import Rounding
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.transition.modules import ChainHost


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleNode]:
    """Bob stakes 40 SWK in the liquid module and adds 20 SWK and 20 SWK of stSWK to the pool; Alice sells 3 SWK,
    then (a block later) buys exactly 1 SWK of stSWK shares; then the devnet runs past the twap window."""
    n = _open(tmp_path_factory.mktemp("amm-devnet"))
    n.run_slots(1)
    txs = [n.send(BOB, LiquidStake(amount=40 * SWK)), n.send(ALICE, LiquidStake(amount=5 * SWK))]
    n.run_slots(1)
    txs.append(n.send(BOB, AddLiquidity(swk=20 * SWK, stswk=20 * SWK, min_mint=0)))
    n.run_slots(1)
    txs.append(n.send(ALICE, Exchange(sell="swk", dx=3 * SWK, min_dy=0)))
    n.run_slots(1)
    txs.append(n.send(ALICE, ExchangeExactOut(sell="stswk", dy=SWK, max_dx=2 * SWK)))
    n.run_slots(1)
    for tx in txs:
        n.included(tx)
    n.run_slots((DEVNET_TWAP_WINDOW + 2) * SPE)
    yield n
    n.close()


def _rate(net: ModuleNode) -> int:
    rate: int = net.view.chain.head_state.modules.liquid.ledger.convert_to_assets(10**18, Rounding.DOWN)
    return rate


def test_amm__pool__figures_match_the_state(net: ModuleNode) -> None:
    data = net.get("/v1/amm")
    state = net.view.chain.head_state
    amm = state.modules.amm
    view = aq.pool_view(amm, _rate(net), int(state.current_epoch()))
    assert int(data["swk_balance"]) == amm.swk_balance == view.swk_balance
    assert int(data["stswk_balance"]) == amm.stswk_balance and int(data["lp_supply"]) == amm.lp.total_shares
    assert int(data["d"]) == view.d and int(data["virtual_price"]) == view.virtual_price >= 10**18
    assert data["swaps"] == "2" and data["a"] == "100" and data["fee"] == "4000000"
    assert int(data["twap_price"]) > 0 and int(data["spot_price"]) == view.spot_price
    assert data["governance"] == data["treasury"]
    assert data["parameters"]["twap_window"]["value"] == str(DEVNET_TWAP_WINDOW)
    assert {"fee", "admin_fee", "future_a", "ramp_epochs"} <= set(data["parameters"])


def test_amm_quote__a_swap__equals_the_modules_quote_and_refusals_are_400(net: ModuleNode) -> None:
    state = net.view.chain.head_state
    epoch, amm = int(state.current_epoch()), state.modules.amm
    q = net.get(f"/v1/amm/quote?sell=stswk&dx={SWK}")
    assert int(q["dy"]) == aq.quote_exchange(state.modules.amm, _rate(net), epoch, "stswk", SWK).dy
    out = net.get(f"/v1/amm/quote?sell=swk&dy={SWK}")
    assert int(out["dy"]) == SWK and int(out["dx"]) > SWK
    assert "exactly one of dx" in net.get("/v1/amm/quote?sell=swk", 400)
    assert "choose swk or stswk" in net.get("/v1/amm/quote?sell=gold&dx=1", 400)
    assert "would refuse" in net.get(f"/v1/amm/quote?sell=swk&dy={10**6 * SWK}", 400)
    add = net.get(f"/v1/amm/quote/add?swk={SWK}")
    assert int(add["mint"]) == aq.quote_add(state.modules.amm, _rate(net), epoch, SWK, 0) > 0
    both = net.get(f"/v1/amm/quote/remove?shares={SWK}")
    one = net.get(f"/v1/amm/quote/remove?shares={SWK}&coin=swk")
    assert int(one["stswk"]) == 0 and int(one["swk"]) == aq.quote_remove_one(amm, _rate(net), epoch, SWK, "swk") > 0
    assert (int(both["swk"]), int(both["stswk"])) == aq.quote_remove(amm, _rate(net), epoch, SWK)


def test_amm_account__bob__his_lp_position(net: ModuleNode) -> None:
    data = net.get(f"/v1/amm/accounts/{to_hex(BOB.address)}")
    amm = net.view.chain.head_state.modules.amm
    assert int(data["shares"]) == amm.lp.shares_of(BOB.address) > 0
    assert int(data["share_bps"]) == 9_999  # all but the dead shares
    assert int(data["value"]) > 39 * SWK
    assert net.get(f"/v1/amm/accounts/{to_hex(ALICE.address)}")["shares"] == "0"
    assert net.get("/v1/amm/accounts/0x12", 400)


def test_amm_oracle__the_host_services_prices(net: ModuleNode) -> None:
    data = net.get("/v1/amm/oracle?samples=4")
    state = net.view.chain.head_state
    oracle = AmmOracle(state.modules.amm, ChainHost(state))
    assert int(data["twap_price"]) == oracle.twap_price() and int(data["spot_price"]) == oracle.spot_price()
    assert data["unavailable"] is None and len(data["samples"]) == 4
    assert int(data["history_epochs"]) >= DEVNET_TWAP_WINDOW
    assert "samples must be" in net.get("/v1/amm/oracle?samples=100000", 400)


def test_amm__chain_without_modules__404_naming_the_module(tmp_path: Path) -> None:
    n = _open(tmp_path, modules=False)
    try:
        assert "amm module is not enabled" in n.get("/v1/amm", 404)
    finally:
        n.close()


def test_web_page__amm__shows_the_pool_and_bobs_position(net: ModuleNode) -> None:
    from fastapi.testclient import TestClient

    from stakework.api.app import create_app

    with TestClient(create_app(net.view, "test-token", bind_host=None)) as web:
        page = web.get("/modules/amm")
        assert page.status_code == 200 and "StableSwap" in page.text and "Amplification" in page.text
        account = web.get(f"/accounts/{to_hex(BOB.address)}")
        assert account.status_code == 200 and "LP" in account.text
