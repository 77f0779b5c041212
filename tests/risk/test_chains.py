"""Chain rules against their specifications: Ethereum's integer base reward, Cosmos x/mint, Solana's
disinflation, Cardano's maxPool, Polygon's checkpoint rewards, exit rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.risk.chains import CHAINS, get_chain
from stakework.risk.chains.cardano import Cardano, max_pool_reward
from stakework.risk.chains.cosmos import CosmosHub, next_inflation
from stakework.risk.chains.ethereum import (
    Ethereum,
    activation_exit_churn_eth,
    annual_issuance_eth,
    base_reward_per_increment,
    epochs_per_day,
)
from stakework.risk.chains.polygon import PolygonPoS
from stakework.risk.chains.solana import Solana, inflation_rate
from stakework.risk.errors import ConfigError, InputValueError, UnknownCoinError
from stakework.spec.presets import MAINNET


def _spec_base_reward_per_increment(total_gwei: int) -> int:
    """consensus-specs altair, written out independently: integer square root by Newton's method."""
    x, y = total_gwei, (total_gwei + 1) // 2
    while y < x:
        x, y = y, (y + total_gwei // y) // 2
    return 10**9 * 64 // x


@pytest.mark.parametrize("staked_eth", [524_288, 1_000_000, 10_000_000, 16_777_216, 34_000_000, 35_123_456, 60_000_000])
def test_ethereum_base_reward__at_several_total_stakes__equals_spec_integer_formula(staked_eth: int) -> None:
    gwei = staked_eth * 10**9
    assert base_reward_per_increment(gwei) == _spec_base_reward_per_increment(gwei)
    # and the daily rate the simulator uses is exactly that integer times 225 epochs over 10^9
    chain = Ethereum(total_staked=float(staked_eth), participation=1.0, el_yield=0.0)
    rate = chain.daily_rates(1)[0]
    assert rate == _spec_base_reward_per_increment(gwei) * 225 / 10**9


@pytest.mark.parametrize("staked_eth", [1_000_000, 10_000_000, 35_000_000, 100_000_000])
def test_ethereum_annual_issuance__as_a_function_of_stake__is_166_3_root_s(staked_eth: int) -> None:
    constant = 64 * 225 * 365.25 / math.sqrt(10**9)  # 166.28...: the formula without its floors
    assert constant == pytest.approx(166.3, abs=0.05)
    brpi = base_reward_per_increment(staked_eth * 10**9)
    ratio = annual_issuance_eth(staked_eth) / math.sqrt(staked_eth)
    # the integer division floors the base reward: at most one Gwei per increment below the real-valued curve
    assert constant * (1 - 1 / brpi) - 1e-6 <= ratio <= constant * (1 + 1e-6)


def test_ethereum_constants__read_from_the_mainnet_preset() -> None:
    assert MAINNET.BASE_REWARD_FACTOR == 64
    assert epochs_per_day() == 225


@pytest.mark.parametrize(
    ("staked_eth", "churn"),
    [(1_000_000, 128.0), (8_388_608, 128.0), (10_000_000, 152.0), (16_777_216, 256.0), (35_000_000, 256.0)],
)
def test_ethereum_exit_churn__min_256_max_128_s_over_65536(staked_eth: int, churn: float) -> None:
    assert activation_exit_churn_eth(staked_eth) == churn


def test_ethereum_exit__empty_queue__is_withdrawability_delay_plus_sweep() -> None:
    chain = Ethereum(exit_queue_min_eth=0.0, exit_queue_max_eth=0.0)
    total, earning = chain.exit_days(np.random.default_rng(0), 1000)
    delay = MAINNET.MIN_VALIDATOR_WITHDRAWABILITY_DELAY / 225
    assert total.min() >= delay
    assert total.max() <= delay + 35e6 / 33 / (16 * 7200) + 1.0
    assert earning.max() < 0.1


def test_ethereum_exit__full_queue__waits_backlog_over_churn() -> None:
    chain = Ethereum(exit_queue_min_eth=2.0e6, exit_queue_max_eth=2.0e6)
    _, earning = chain.exit_days(np.random.default_rng(0), 10)
    assert earning == pytest.approx(np.full(10, 2.0e6 / (256 * 225) + 5 / 225))


def test_ethereum_slashing__isolated_and_mass__initial_penalty_and_correlation() -> None:
    chain = Ethereum()
    isolated = chain.slashing_loss(0.0)
    assert 1 / 4096 < isolated < 0.01
    assert chain.slashing_loss(0.10) == pytest.approx(isolated + 0.30)
    assert chain.slashing_loss(0.5) == 1.0  # correlation penalty takes everything at 1/3 slashed


@given(
    inflation=st.floats(0.0, 0.5),
    ratio=st.floats(0.01, 1.0),
    years=st.floats(0.0, 5.0),
)
def test_cosmos_inflation__any_bonded_ratio__moves_toward_goal_and_stays_in_bounds(
    inflation: float, ratio: float, years: float
) -> None:
    hub = CosmosHub(inflation_min=0.07, inflation_max=0.20)
    nxt = next_inflation(
        inflation, ratio, goal_bonded=0.67, rate_change=hub.inflation_rate_change,
        inflation_min=0.07, inflation_max=0.20, years=years,
    )  # fmt: skip
    assert 0.07 <= nxt <= 0.20
    clamped = min(max(inflation, 0.07), 0.20)
    if ratio < 0.67:
        assert nxt >= clamped
    elif ratio > 0.67:
        assert nxt <= clamped


def test_cosmos_inflation__below_goal__rises_to_max_and_above_goal__falls_to_min() -> None:
    low = CosmosHub(inflation=0.08, inflation_max=0.20, total_staked=0.5 * 4.9e8).inflation_path(3 * 365)
    assert np.all(np.diff(low) >= 0) and low[-1] == pytest.approx(0.20)
    high = CosmosHub(inflation=0.15, inflation_max=0.20, total_staked=0.9 * 4.9e8).inflation_path(3 * 365)
    assert np.all(np.diff(high) <= 0) and high[-1] == pytest.approx(0.07)


def test_cosmos_staking_rate__is_realised_inflation_after_tax_over_bonded_ratio() -> None:
    hub = CosmosHub(inflation=0.10, inflation_max=0.10, community_tax=0.02, total_staked=0.64 * 4.9e8)
    factor = 365.25 * 86_400 / hub.block_time_s / hub.blocks_per_year
    assert hub.daily_rates(1)[0] * 365 == pytest.approx(0.10 * factor * 0.98 / 0.64)


def test_solana_inflation__after_many_years__floors_at_1_5_percent() -> None:
    sol = Solana(years_since_start=0.0)
    path = sol.inflation_path(20 * 365)
    assert path[0] == pytest.approx(0.08)
    assert path[-1] == pytest.approx(0.015)
    assert np.all(np.diff(path) <= 0)
    assert inflation_rate(1.0, 0.08, 0.15, 0.015) == pytest.approx(0.068)
    assert sol.years_to_floor() == pytest.approx(math.log(0.015 / 0.08) / math.log(0.85))


def test_solana_cooldown__at_most_9_percent_per_epoch() -> None:
    sol = Solana()
    assert sol.cooldown_epochs(np.array([0.0, 0.05, 0.09, 0.10, 0.27])).tolist() == [1, 1, 1, 2, 3]


def test_cardano_rewards__scale_linearly_with_rho() -> None:
    base = Cardano(fees_per_epoch=0.0, pool_cost=0.0)
    double = Cardano(fees_per_epoch=0.0, pool_cost=0.0, rho=0.006)
    assert double.epoch_member_rate(base.reserve) == pytest.approx(2 * base.epoch_member_rate(base.reserve))


@given(extra=st.floats(1.0, 50.0))
def test_cardano_pool_reward__beyond_1_over_k__saturates(extra: float) -> None:
    z0 = 1 / 500
    at_sat = max_pool_reward(1e7, k=500, a0=0.3, relative_stake=z0, relative_pledge=0.0)
    beyond = max_pool_reward(1e7, k=500, a0=0.3, relative_stake=z0 * extra, relative_pledge=0.0)
    assert beyond == pytest.approx(at_sat)
    assert at_sat == pytest.approx(1e7 / 1.3 * z0)


def test_cardano_pool_reward__below_saturation__grows_with_stake_and_pledge() -> None:
    r = [max_pool_reward(1e7, k=500, a0=0.3, relative_stake=s, relative_pledge=0.0) for s in (0.0005, 0.001)]
    assert r[1] == pytest.approx(2 * r[0])
    pledged = max_pool_reward(1e7, k=500, a0=0.3, relative_stake=0.001, relative_pledge=0.0005)
    assert pledged > r[1]


def test_cardano__no_lockup_no_slashing() -> None:
    ada = get_chain("ADA")
    total, _ = ada.exit_days(np.random.default_rng(0), 5)
    assert total.tolist() == [0.0] * 5
    assert ada.slashing_hazards() == ()


def test_polygon_withdrawal__80_checkpoints() -> None:
    pol = PolygonPoS(checkpoint_interval_minutes=30.0)
    total, _ = pol.exit_days(np.random.default_rng(0), 3)
    assert total.tolist() == [80 * 30 / 1440] * 3
    assert pol.daily_rates(1)[0] * 365 == pytest.approx(0.01 * pol.total_supply / pol.total_staked + 0.002)


def test_all_chains__gross_apr__is_between_1_and_25_percent() -> None:
    for chain in CHAINS.values():
        assert 0.01 < chain.gross_apr() < 0.25, chain.coin


def test_unknown_coin__lists_known_coins() -> None:
    with pytest.raises(UnknownCoinError, match="ETH, ATOM, ADA, SOL, POL"):
        get_chain("DOGE")


def test_chain_override__unknown_key__names_it() -> None:
    with pytest.raises(ConfigError, match=r"chain\.participaton"):
        get_chain("ETH", {"participaton": 0.9})
    assert get_chain("eth", {"participation": "0.9"}).participation == 0.9  # type: ignore[attr-defined]


# -- second pass (issue #13): unstaking, block time, penalties, supply inflation --------------------------------


def test_solana_exit__under_9_percent_deactivating__inactive_at_next_boundary_earning_until_then() -> None:
    sol = Solana(deactivating_share_min=0.0, deactivating_share_max=0.02)
    total, earning = sol.exit_days(np.random.default_rng(0), 20_000)
    assert total.min() >= 0.0 and total.max() <= 2.0
    assert total.mean() == pytest.approx(1.0, abs=0.03)
    np.testing.assert_array_equal(earning, total)  # the stake earns through the epoch it was deactivated in


def test_solana_exit__27_percent_deactivating__three_boundaries_the_effective_part_earning() -> None:
    sol = Solana(deactivating_share_min=0.27, deactivating_share_max=0.27)
    total, earning = sol.exit_days(np.random.default_rng(1), 1_000)
    first = total - 4.0  # two more 2-day epochs after the first boundary
    assert first.min() >= 0.0 and first.max() <= 2.0
    # a third leaves at each boundary: 2/3 then 1/3 still effective in the two later epochs
    np.testing.assert_allclose(earning, first + (2 / 3 + 1 / 3) * 2.0)


def test_solana_entry__stake_effective_from_the_next_epoch_boundary() -> None:
    assert Solana().entry_days() == pytest.approx(1.0)


def test_cosmos_block_time__2019_hub__paid_23_percent_below_nominal() -> None:
    hub_2019 = CosmosHub(blocks_per_year=6_311_520, block_time_s=6.5)
    assert hub_2019.block_time_factor == pytest.approx(5 / 6.5)
    assert 1 - hub_2019.block_time_factor == pytest.approx(0.23, abs=0.005)
    nominal = CosmosHub(blocks_per_year=365.25 * 86_400 / 6.0, block_time_s=6.0)
    assert nominal.block_time_factor == pytest.approx(1.0)
    ratio = hub_2019.daily_rates(5) / nominal.daily_rates(5)
    np.testing.assert_allclose(ratio, 5 / 6.5, rtol=1e-9)


def test_ethereum_uptime__missed_duties__lose_the_reward_and_pay_source_target_sync_penalties() -> None:
    eth = Ethereum(el_yield=0.0, participation=1.0)
    r = eth.daily_rates(3)
    np.testing.assert_allclose(eth.uptime_rates(r, 0.9), r * (0.9 - 0.1 * 42 / 64))
    # below 42/106 of duties done the validator loses more than it earns
    assert (eth.uptime_rates(r, 0.39) < 0).all() and (eth.uptime_rates(r, 0.40) > 0).all()
    # a chain without penalties only loses the reward
    sol = Solana()
    np.testing.assert_allclose(sol.uptime_rates(sol.daily_rates(3), 0.9), sol.daily_rates(3) * 0.9)


def test_ethereum_supply_inflation__issuance_minus_burn_over_supply() -> None:
    eth = Ethereum(burn_eth_per_year=0.0, el_yield=0.0, participation=1.0)
    assert eth.supply_inflation() == pytest.approx(annual_issuance_eth(35e6, days=365) / 120.7e6, rel=1e-9)
    burning = Ethereum(burn_eth_per_year=2.0e6)
    assert burning.supply_inflation() < 0  # more burned than issued: supply shrinks


def test_supply_inflation__every_chain__documented_rule() -> None:
    hub = CosmosHub()
    assert hub.supply_inflation() == pytest.approx(float(hub.inflation_path(365).mean()) * hub.block_time_factor)
    assert PolygonPoS().supply_inflation() == pytest.approx(0.02)
    sol = Solana()
    assert sol.supply_inflation() == pytest.approx(float(sol.inflation_path(365).mean()))
    ada = Cardano()
    assert 0.0 < ada.supply_inflation(3650) < ada.supply_inflation(365) < 0.04
    for chain in CHAINS.values():
        assert -0.05 < chain.supply_inflation() < 0.2, chain.coin


def test_ethereum_credentials__unknown__refused() -> None:
    with pytest.raises(InputValueError, match="0x01 or 0x02"):
        Ethereum(solo_withdrawal_credentials="0x03")
