"""Route defaults against the chains' and products' rules: who compounds, who waits for the protocol's queues,
how a pool token (rETH) leaves and who absorbs its slashing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from stakework.risk.chains import get_chain
from stakework.risk.hazards import Hazard
from stakework.risk.montecarlo import RunConfig, simulate
from stakework.risk.prices import GBM
from stakework.risk.routes import Route, routes_for
from stakework.risk.routes.defaults import after_bond


@pytest.mark.parametrize(
    ("coin", "route", "compound_days"),
    [
        ("ETH", "liquid", 1),  # stETH rebases daily
        ("ETH", "pool", 1),  # rETH re-prices daily
        ("ETH", "solo", 0),  # 0x01: rewards swept out
        ("ATOM", "pool", 0),  # claim and re-delegate yourself
        ("ATOM", "liquid", 1),
        ("POL", "pool", 0),
        ("SOL", "pool", 2),  # credited to the stake account each epoch
        ("SOL", "liquid", 2),
        ("ADA", "pool", 5),  # reward account counts as stake from the next snapshot
    ],
)
def test_route_defaults__compounding__follows_the_chain_or_product(coin: str, route: str, compound_days: int) -> None:
    assert routes_for(get_chain(coin))[route].compound_days == compound_days


def test_route_defaults__cosmos_and_polygon__restake_has_a_fee_and_is_off_by_default() -> None:
    for coin in ("ATOM", "POL"):
        pool = routes_for(get_chain(coin))["pool"]
        assert pool.restake_days == 0 and pool.restake_fee > 0


def test_route_defaults__eth_0x02_solo__compounds_in_whole_eth_up_to_2048() -> None:
    solo = routes_for(get_chain("ETH", {"solo_withdrawal_credentials": "0x02"}))["solo"]
    assert (solo.compound_days, solo.balance_step, solo.balance_hysteresis, solo.balance_cap) == (1, 1.0, 1.25, 2048.0)


@pytest.mark.parametrize("coin", ["ETH", "ATOM", "SOL", "POL"])
def test_exchange__any_chain__waits_for_the_protocols_entry_as_for_its_exit(coin: str) -> None:
    chain = get_chain(coin)
    ex = dataclasses.replace(routes_for(chain)["exchange"], hazards=())
    res = simulate(chain, {"exchange": ex}, GBM(price0=1.0, sigma=0.0), RunConfig(amount=100.0, paths=10, seed=1))
    out = res.routes["exchange"]
    assert ex.protocol_entry and ex.exit == "custody"
    assert out.entry_day == round(chain.entry_days())
    assert not out.net_daily_rates[: out.entry_day].any()


def test_eth_pool_token__leaves_through_deposit_pool_or_market__not_the_exit_queue() -> None:
    chain = get_chain("ETH")
    pool = routes_for(chain)["pool"]
    assert pool.exit == "sell" and 0 < pool.redeem_share < 1 and not pool.protocol_entry
    res = simulate(chain, {"pool": pool}, GBM(price0=1.0, sigma=0.0), RunConfig(amount=32.0, paths=2_000, seed=3))
    assert res.routes["pool"].exit_days.max() == 0.0


def test_eth_pool_token__operator_bond_absorbs_slashing_first() -> None:
    chain = get_chain("ETH")
    names = {h.name: h for h in routes_for(chain)["pool"].hazards}
    # an isolated slashing (≈ 0.2 %) never reaches beyond an 8-ETH bond: rETH holders lose nothing
    assert "slashing" not in names
    mass = names["mass_slashing"]
    validator = {h.name: h for h in chain.slashing_hazards()}["mass_slashing"]
    assert mass.loss_min == 0.0
    assert mass.loss_max == pytest.approx((validator.loss_max - 0.25) / 0.75 * 0.05)
    assert after_bond(Hazard(name="x", rate_per_year=1.0, loss_min=0.5, loss_max=1.0), 0.25) == Hazard(
        name="x",
        rate_per_year=1.0,
        loss_min=1 / 3,
        loss_max=1.0,
        source="; beyond the operator's bond (25% of the validator)",
    )


def test_redeem_share__protocol_buffer_pays_full_value__no_discount_on_those_paths() -> None:
    depeg = Hazard(name="depeg", kind="depeg", rate_per_year=1e4, loss_min=0.05, loss_max=0.05, duration_days=10.0)
    base = Route(name="pool", label="t", protocol_entry=False, exit="sell", discount=0.01, hazards=(depeg,))
    chain = get_chain("ETH")
    cfg = RunConfig(amount=1.0, days=30, paths=4_000, seed=2)
    market = simulate(chain, {"pool": base}, GBM(price0=1.0, sigma=0.0), cfg).routes["pool"]
    half = simulate(
        chain, {"pool": dataclasses.replace(base, redeem_share=0.5)}, GBM(price0=1.0, sigma=0.0), cfg
    ).routes["pool"]
    ratio_market = market.final_fiat / (market.final_tokens * 1.0)
    ratio_half = half.final_fiat / (half.final_tokens * 1.0)
    assert (ratio_market < 0.99).all()
    redeemed = np.isclose(ratio_half, 1.0)
    assert redeemed.mean() == pytest.approx(0.5, abs=0.03)
    assert (ratio_half[~redeemed] < 0.99).all()
