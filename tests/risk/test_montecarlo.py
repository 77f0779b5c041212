"""The Monte Carlo: closed forms when nothing is random, statistics when it is, reproducibility, lock-ups."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stakework.risk.chains import get_chain
from stakework.risk.chains.polygon import PolygonPoS
from stakework.risk.errors import InputValueError
from stakework.risk.hazards import Hazard
from stakework.risk.montecarlo import MAX_DAYS, RunConfig, apy_from_apr, simulate, token_growth
from stakework.risk.prices import GBM
from stakework.risk.report.summary import summarize
from stakework.risk.routes import Route, routes_for


def _flat_route(fee: float = 0.0) -> Route:
    return Route(name="pool", label="test", fee=fee, protocol_entry=False, exit="none")


def _flat_chain() -> PolygonPoS:
    """Polygon's rule is a constant rate: 0.01 × supply / staked + fees = 3.5 % + 0 here."""
    return PolygonPoS(total_supply=1.0e10, total_staked=2.0e9, validator_emission_of_supply=0.007, fee_yield=0.0)


@pytest.mark.parametrize("compound_days", [1, 0, 7, 30])
def test_zero_volatility_no_hazards__any_compounding__equals_closed_form(compound_days: int) -> None:
    chain = _flat_chain()
    r = chain.daily_rates(1)[0]
    assert r * 365 == pytest.approx(0.035)
    cfg = RunConfig(amount=100.0, days=365, paths=50, seed=3, compound_days=compound_days)
    res = simulate(chain, {"pool": _flat_route(fee=0.1)}, GBM(price0=2.0, mu=0.05, sigma=0.0), cfg)
    rn = r * 0.9
    if compound_days == 1:
        tokens = 100.0 * (1 + rn) ** 365
    elif compound_days == 0:
        tokens = 100.0 * (1 + 365 * rn)
    else:
        full, rest = divmod(365, compound_days)
        tokens = 100.0 * (1 + compound_days * rn) ** full * (1 + rest * rn)
    price = 2.0 * math.exp(0.05)
    out = res.routes["pool"]
    np.testing.assert_allclose(out.final_tokens, tokens, rtol=1e-12)
    np.testing.assert_allclose(out.final_fiat, tokens * price, rtol=1e-12)
    np.testing.assert_allclose(res.hold_final, 100.0 * price, rtol=1e-12)


def test_apy__daily_compounding__matches_the_simulated_tokens() -> None:
    chain = _flat_chain()
    cfg = RunConfig(amount=1.0, days=365, paths=10, seed=0)
    res = simulate(chain, {"pool": _flat_route()}, GBM(price0=1.0, sigma=0.0), cfg)
    s = summarize(res)[0]
    assert s.apr == pytest.approx(0.035)
    assert s.apy == pytest.approx(apy_from_apr(0.035, 1))
    assert s.tokens_mean == pytest.approx(1 + s.apy)


@given(rate=st.floats(0.0, 0.001), days=st.integers(1, 400))
@settings(max_examples=50)
def test_token_growth__daily__is_compound_interest(rate: float, days: int) -> None:
    g = token_growth(np.full(days, rate), 1)
    assert g[-1] == pytest.approx((1 + rate) ** days, rel=1e-12)
    assert np.all(np.diff(g) >= 0)
    assert token_growth(np.full(days, rate), 0)[-1] <= g[-1] + 1e-12


@given(rate=st.floats(1e-6, 0.002), days=st.integers(30, 800), period=st.integers(2, 120))
@settings(max_examples=50)
def test_token_growth__compounding_more_often__never_earns_less(rate: float, days: int, period: int) -> None:
    rates = np.full(days, rate)
    daily, periodic, never = (token_growth(rates, c)[-1] for c in (1, period, 0))
    assert daily >= periodic * (1 - 1e-12)
    assert periodic >= never * (1 - 1e-12)


def test_gbm__mean_and_variance__match_theory() -> None:
    mu, sigma, days = 0.1, 0.6, 365
    cfg = RunConfig(amount=1.0, days=days, paths=200_000, seed=11)
    res = simulate(get_chain("ETH"), {}, GBM(price0=1.0, mu=mu, sigma=sigma), cfg)
    t = days / 365
    logs = np.log(res.price_final)
    assert logs.mean() == pytest.approx((mu - sigma**2 / 2) * t, abs=4 * sigma * math.sqrt(t / cfg.paths))
    assert logs.var() == pytest.approx(sigma**2 * t, rel=0.01)
    mean = math.exp(mu * t)
    sd = math.sqrt((math.exp(sigma**2 * t) - 1) * math.exp(2 * mu * t))
    assert res.price_final.mean() == pytest.approx(mean, abs=4 * sd / math.sqrt(cfg.paths))


def test_hazard__frequency__matches_rate() -> None:
    hazard = Hazard(name="hack", rate_per_year=0.5, loss_min=0.1, loss_max=0.3)
    route = Route(name="liquid", label="t", protocol_entry=False, exit="sell", hazards=(hazard,))
    cfg = RunConfig(amount=1.0, days=730, paths=40_000, seed=5, fan_paths=0)
    res = simulate(_flat_chain(), {"liquid": route}, GBM(price0=1.0, sigma=0.0), cfg)
    hits = res.routes["liquid"].hazard_hits["hack"]
    lam = 0.5 * 2
    assert hits.mean() == pytest.approx(lam, rel=0.02)
    assert (hits == 0).mean() == pytest.approx(math.exp(-lam), abs=0.01)
    # each strike takes a uniform 10-30 %: E[surviving share] = E[(1-U)^N] = exp(-lam * E[U]) = exp(-0.2)
    growth = res.routes["liquid"].growth[730]
    surv = res.routes["liquid"].final_tokens / growth
    assert surv.mean() == pytest.approx(math.exp(-lam * 0.2), rel=0.01)


def test_depeg__selling_during_one__pays_the_discount() -> None:
    depeg = Hazard(name="depeg", kind="depeg", rate_per_year=365.0, loss_min=0.05, loss_max=0.05, duration_days=1.0)
    route = Route(name="liquid", label="t", protocol_entry=False, exit="sell", hazards=(depeg,))
    cfg = RunConfig(amount=1.0, days=10, paths=2_000, seed=2, fan_paths=0)
    res = simulate(_flat_chain(), {"liquid": route}, GBM(price0=1.0, sigma=0.0), cfg)
    out = res.routes["liquid"]
    ratio = out.final_fiat / out.gross_fiat_no_hazard
    # each depeg that started on the exit day (Poisson, mean 1) costs 5 %; older ones have recovered
    assert set(np.round(ratio, 6)) <= {round(1 - 0.05 * k, 6) for k in range(21)}
    assert (ratio < 1).mean() == pytest.approx(1 - math.exp(-1), abs=0.04)


def test_seed__same_seed__same_result_whatever_the_thread_count() -> None:
    chain = get_chain("ETH")
    routes = routes_for(chain)
    model = GBM(price0=3000.0, sigma=0.7)
    a = simulate(
        chain, routes, model, RunConfig(amount=32, days=200, paths=3_000, seed=9, threads=2, block_elements=20_000)
    )
    b = simulate(
        chain, routes, model, RunConfig(amount=32, days=200, paths=3_000, seed=9, threads=1, block_elements=20_000)
    )
    c = simulate(chain, routes, model, RunConfig(amount=32, days=200, paths=3_000, seed=10))
    for name in routes:
        np.testing.assert_allclose(a.routes[name].final_fiat, b.routes[name].final_fiat, rtol=1e-6)
    assert not np.allclose(a.hold_final, c.hold_final)


def test_routes__adding_one__leaves_the_others_draws_unchanged() -> None:
    chain = get_chain("ETH")
    routes = routes_for(chain)
    model = GBM(price0=3000.0, sigma=0.7)
    cfg = RunConfig(amount=32, days=100, paths=1_000, seed=4)
    only = simulate(chain, {"liquid": routes["liquid"]}, model, cfg)
    all_ = simulate(chain, routes, model, cfg)
    np.testing.assert_allclose(only.routes["liquid"].final_fiat, all_.routes["liquid"].final_fiat, rtol=1e-6)


def test_unbonding__price_moves_meanwhile__value_taken_at_exit_day() -> None:
    chain = get_chain("ATOM")
    route = dataclasses.replace(routes_for(chain)["pool"], hazards=())
    cfg = RunConfig(amount=100, days=30, paths=500, seed=1)
    res = simulate(chain, {"pool": route}, GBM(price0=1.0, mu=0.5, sigma=0.0), cfg)
    out = res.routes["pool"]
    assert out.exit_days.tolist() == [21.0] * 500
    tokens = 100 * out.growth[30]  # no rewards while unbonding
    np.testing.assert_allclose(out.final_tokens, tokens)
    np.testing.assert_allclose(out.final_fiat, tokens * math.exp(0.5 * (30 + 21) / 365), rtol=1e-12)


def test_solo__below_minimum_stake__is_rejected() -> None:
    chain = get_chain("ETH")
    with pytest.raises(InputValueError, match="at least 32"):
        simulate(chain, {"solo": routes_for(chain)["solo"]}, GBM(price0=1.0), RunConfig(amount=8.0, paths=10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": 0.0}, "amount must be .*greater than 0"),
        ({"amount": -5.0}, "amount must be .*greater than 0"),
        ({"amount": math.inf}, "amount must be a finite number"),
        ({"amount": 1.0, "days": MAX_DAYS + 1}, "at most 50 years"),
        ({"amount": 1.0, "days": 0}, "at least 1 day"),
        ({"amount": 1.0, "paths": 0}, "paths"),
        ({"amount": 1.0, "seed": -1}, "seed"),
    ],
)
def test_run_config__bad_values__clear_message(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InputValueError, match=message):
        RunConfig(**kwargs)  # type: ignore[arg-type]


def test_long_horizon__fifty_years__runs_in_bounded_memory() -> None:
    cfg = RunConfig(amount=1.0, days=MAX_DAYS, paths=300, seed=1)
    res = simulate(get_chain("SOL"), routes_for(get_chain("SOL")), GBM(price0=1.0, sigma=0.5), cfg)
    assert np.isfinite(res.routes["pool"].final_fiat).all()


def test_progress__callback__reports_every_path_once() -> None:
    seen: list[int] = []
    cfg = RunConfig(amount=1.0, days=50, paths=5_000, seed=1, block_elements=5_000)
    simulate(_flat_chain(), {"pool": _flat_route()}, GBM(price0=1.0), cfg, progress=lambda n, _t: seen.append(n))
    assert sum(seen) == 5_000 and len(seen) == 50


# -- compounding as each chain does it (issue #13) ---------------------------------------------------------------


def _no_hazards(route: Route) -> Route:
    return dataclasses.replace(route, hazards=())


def test_atom_delegation__default_run__rewards_wait_to_be_claimed_so_do_not_compound() -> None:
    chain = get_chain("ATOM")
    pool = _no_hazards(routes_for(chain)["pool"])
    res = simulate(chain, {"pool": pool}, GBM(price0=1.0, sigma=0.0), RunConfig(amount=1000.0, paths=5, seed=1))
    out = res.routes["pool"]
    simple = 1000.0 * (1.0 + out.net_daily_rates[:365].sum())
    np.testing.assert_allclose(out.final_tokens, simple, rtol=1e-12)
    assert out.compound_days == 0 and out.restakes == 0
    apr = summarize(res)[0].apr
    assert summarize(res)[0].apy == pytest.approx(apr)  # no compounding: APY = APR
    daily = RunConfig(amount=1000.0, paths=5, seed=1, compound_days=1)
    forced = simulate(chain, {"pool": pool}, GBM(price0=1.0, sigma=0.0), daily).routes["pool"]
    assert forced.final_tokens[0] / 1000 - out.final_tokens[0] / 1000 > 0.009  # daily compounding overstated ≈ 1 pt


def test_restake__every_30_days_with_a_fee__closed_form() -> None:
    chain = _flat_chain()
    r = chain.daily_rates(1)[0]
    route = Route(name="pool", label="t", protocol_entry=False, exit="none", compound_days=0, restake_days=30,
                  restake_fee=0.01)  # fmt: skip
    res = simulate(chain, {"pool": route}, GBM(price0=1.0, sigma=0.0), RunConfig(amount=100.0, days=365, paths=3))
    tokens = 100.0
    for _ in range(12):
        tokens += tokens * 30 * r - 0.01
    tokens += tokens * 5 * r
    out = res.routes["pool"]
    np.testing.assert_allclose(out.final_tokens, tokens, rtol=1e-12)
    assert out.restakes == 12 and out.restake_fees_paid == pytest.approx(0.12)


def test_restake__fee_larger_than_the_rewards__never_restakes() -> None:
    route = Route(name="pool", label="t", protocol_entry=False, exit="none", compound_days=0, restake_days=7,
                  restake_fee=50.0)  # fmt: skip
    res = simulate(_flat_chain(), {"pool": route}, GBM(price0=1.0, sigma=0.0), RunConfig(amount=100.0, paths=3))
    assert res.routes["pool"].restakes == 0


def test_eth_0x02__effective_balance__grows_in_whole_eth_after_1_25_eth_hysteresis() -> None:
    chain = _flat_chain()  # 3.5 %/yr, flat
    r = chain.daily_rates(1)[0]
    route = Route(name="solo", label="t", protocol_entry=False, exit="none", compound_days=1, balance_step=1.0,
                  balance_hysteresis=1.25, balance_cap=2048.0)  # fmt: skip
    days = 3 * 365
    res = simulate(chain, {"solo": route}, GBM(price0=1.0, sigma=0.0), RunConfig(amount=32.0, days=days, paths=2))
    balance, eff = 32.0, 32.0
    for _ in range(days):
        balance += eff * r
        if balance > eff + 1.25:
            eff = float(int(balance))
    out = res.routes["solo"]
    np.testing.assert_allclose(out.final_tokens, balance, rtol=1e-12)
    simple = 32.0 * (1 + days * r)
    daily = 32.0 * (1 + r) ** days
    assert simple < balance < daily
    # at the cap nothing compounds: a 2048-ETH 0x02 validator earns simple interest
    capped = simulate(chain, {"solo": route}, GBM(price0=1.0, sigma=0.0), RunConfig(amount=2048.0, days=days, paths=2))
    np.testing.assert_allclose(capped.routes["solo"].final_tokens, 2048.0 * (1 + days * r), rtol=1e-12)


# -- risks that strike together with price crashes (issue #13) --------------------------------------------------


def _lower_tail(values: np.ndarray, share: float = 0.05) -> float:
    """Mean of the worst `share` of the values (expected shortfall)."""
    k = max(1, int(values.size * share))
    return float(np.sort(values)[:k].mean())


def test_crash_correlation__same_seed__correlated_mode_has_the_worse_lower_tail_same_strike_count() -> None:
    hack = Hazard(name="hack", rate_per_year=0.5, loss_min=0.1, loss_max=0.3)
    route = Route(name="liquid", label="t", protocol_entry=False, exit="sell", hazards=(hack,))
    model = GBM(price0=1.0, sigma=0.8)
    runs = {
        rho: simulate(_flat_chain(), {"liquid": route}, model, RunConfig(amount=1.0, paths=20_000, seed=8,
                                                                         crash_correlation=rho))
        for rho in (0.0, 0.5)
    }  # fmt: skip
    indep, corr = (runs[r].routes["liquid"] for r in (0.0, 0.5))
    np.testing.assert_array_equal(runs[0.0].price_final, runs[0.5].price_final)  # same price paths
    assert corr.hazard_hits["hack"].mean() == pytest.approx(indep.hazard_hits["hack"].mean(), rel=0.05)
    crashed = runs[0.5].price_final < np.quantile(runs[0.5].price_final, 0.1)
    assert corr.hazard_hits["hack"][crashed].mean() > 1.8 * indep.hazard_hits["hack"][crashed].mean()
    assert _lower_tail(corr.final_fiat) < 0.95 * _lower_tail(indep.final_fiat)
    assert _lower_tail(corr.final_fiat, 0.01) < _lower_tail(indep.final_fiat, 0.01)


def test_crash_correlation__eth_exit_queue__longer_on_the_crash_paths() -> None:
    chain = get_chain("ETH")
    solo = dataclasses.replace(routes_for(chain)["solo"], hazards=())
    model = GBM(price0=3000.0, sigma=0.65)
    cfg = {"amount": 32.0, "paths": 5_000, "seed": 3, "days": 200}
    corr = simulate(chain, {"solo": solo}, model, RunConfig(**cfg, crash_correlation=0.8))  # type: ignore[arg-type]
    indep = simulate(chain, {"solo": solo}, model, RunConfig(**cfg, crash_correlation=0.0))  # type: ignore[arg-type]
    for res, low, high in ((corr, 0.5, 1.0), (indep, -0.05, 0.05)):
        c = np.corrcoef(-np.log(res.price_final), res.routes["solo"].exit_days)[0, 1]
        assert low < c < high


def test_crash_correlation__out_of_range__refused() -> None:
    with pytest.raises(InputValueError, match="crash_correlation"):
        RunConfig(amount=1.0, crash_correlation=1.5)
