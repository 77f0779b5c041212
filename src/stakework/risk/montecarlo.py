"""Aggregate-mode Monte Carlo: many price paths × days, vectorized with numpy, every route on the same paths.

For each path the holder stakes `amount` tokens on day 0 and asks to leave on day T (the horizon); the route's
exit rule decides the day the tokens become spendable, and their fiat value is taken at that day's price.

Value of a path on a route = amount × G(t) × H(t) × P(t) × (1 − discount), where
- G is the route's token growth from the chain's daily reward rate after fees and uptime, compounded every
  `compound_days` days (deterministic: a one-dimensional array over days),
- H is what the route's loss hazards left (sparse Poisson strikes per path),
- P is the price path (GBM or bootstrap): the only dense paths × days array, generated in blocks of paths
  (each block with its own random stream, so blocks run on threads and results do not depend on their number),
  float32 for the random part and float64 for the deterministic part.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from stakework.risk.chains.base import DAYS_PER_YEAR, ChainPreset
from stakework.risk.errors import InputValueError
from stakework.risk.hazards import (
    Events,
    correlated_uniforms,
    crash_scores,
    discount_at,
    log_survival_until,
    sample_events,
)
from stakework.risk.prices.gbm import PriceModel
from stakework.risk.routes.base import Route

MAX_YEARS = 50
MAX_DAYS = int(MAX_YEARS * 365.25)
"""Longest horizon accepted: 50 years."""
MAX_PATHS = 5_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    """How to run the Monte Carlo."""

    amount: float
    """Tokens staked on day 0."""
    days: int = 365
    """Horizon: the day the holder asks to leave."""
    paths: int = 10_000
    """Number of simulated paths."""
    seed: int | None = None
    """Seed for reproducible runs (None: fresh entropy)."""
    compound_days: int | None = None
    """None (the default): each route compounds as its chain or product does (`Route.compound_days`,
    `restake_days`, ...). A number forces it for every route: rewards are added to the stake every this many
    days (1: daily; 0: never, simple interest)."""
    fan_paths: int = 5_000
    """Paths kept at every grid day for the fan chart and the path export."""
    grid_points: int = 74
    """Days kept for the fan chart (evenly spaced from 0 to the horizon)."""
    block_elements: int = 1 << 19
    """Paths × horizon days per block (2 MB of float32: stays in cache between generating and summing). Each
    block has its own random stream; changing this changes the draws."""
    threads: int = 0
    """Threads generating blocks (0: up to 2, the CPU count); results do not depend on it."""
    crash_correlation: float = 0.5
    """How strongly hazards and congestion strike together with price crashes, ρ in [0, 1]: 0 makes them
    independent of the price; the default 0.5 puts the same expected number of strikes mostly on the paths
    whose price fell (rate × exp(2ρz − 2ρ²) for crash score z) and draws strike sizes and exit-queue backlogs
    through a Gaussian copula with correlation ρ (`stakework.risk.hazards`; May–June 2022 is the pattern)."""

    def __post_init__(self) -> None:
        if not math.isfinite(self.amount) or self.amount <= 0:
            raise InputValueError(f"amount must be a finite number greater than 0, got {self.amount:g}")
        if self.days < 1:
            raise InputValueError(f"horizon must be at least 1 day, got {self.days}")
        if self.days > MAX_DAYS:
            raise InputValueError(f"horizon must be at most {MAX_YEARS} years ({MAX_DAYS} days), got {self.days}")
        if not (1 <= self.paths <= MAX_PATHS):
            raise InputValueError(f"paths must be between 1 and {MAX_PATHS}, got {self.paths}")
        if self.seed is not None and self.seed < 0:
            raise InputValueError(f"seed must be >= 0, got {self.seed}")
        if self.compound_days is not None and self.compound_days < 0:
            raise InputValueError("compound_days must be >= 0")
        if not (0.0 <= self.crash_correlation <= 1.0):
            raise InputValueError(f"crash_correlation must be between 0 and 1, got {self.crash_correlation:g}")
        if self.grid_points < 2 or self.fan_paths < 0 or self.block_elements < 1 or self.threads < 0:
            raise InputValueError("grid_points must be >= 2, fan_paths >= 0, block_elements >= 1, threads >= 0")


@dataclass(slots=True)
class RouteResult:
    """Per-path outcomes of one route."""

    route: Route
    net_daily_rates: np.ndarray
    """Reward per token per day after fees and uptime, days 0..D-1 (0 before rewards start)."""
    growth: np.ndarray
    """Token growth factor G for days 0..D (deterministic)."""
    entry_day: int
    """First day that earns."""
    final_tokens: np.ndarray
    """Tokens received at exit, per path."""
    final_fiat: np.ndarray
    """Dollars received at exit (after discount and running cost), per path."""
    gross_fiat_no_hazard: np.ndarray
    """What the same path would have paid with no hazard strike (and no running cost)."""
    gross_fiat: np.ndarray
    """Dollars at exit before running cost."""
    exit_days: np.ndarray
    """Days from asking to leave (day T) until the tokens are spendable."""
    hazard_hits: dict[str, np.ndarray]
    """Strike count per path for each hazard."""
    fan: np.ndarray
    """Fiat value at the grid days for the first `fan_paths` paths (float32)."""
    fan_tokens: np.ndarray
    """Tokens at the grid days for the same paths (float32)."""
    compound_days: int = 1
    """How often rewards joined the stake on this route, in days (0: never): the route's own rule
    (`Route.compound_days`, or its `restake_days` where rewards must be claimed) unless the run forced one.
    Use it for the APY (`apy_from_apr`)."""
    restakes: int = 0
    """Claims and re-delegations made over the horizon (routes whose rewards must be claimed)."""
    restake_fees_paid: float = 0.0
    """Tokens paid in fees for those re-delegations (per path; already taken out of `final_tokens`)."""


@dataclass(slots=True)
class SimulationResult:
    """Everything a report needs."""

    chain: ChainPreset
    config: RunConfig
    price0: float
    price_source: str
    grid: np.ndarray
    """Grid days (int) for the fan arrays."""
    hold_final: np.ndarray
    """Dollars from simply holding the tokens, sold on day T, per path."""
    price_final: np.ndarray
    """Price on day T, per path."""
    price_fan: np.ndarray
    """Price at the grid days for the first fan paths."""
    seed: int = 0
    """The seed used (drawn from fresh entropy when the config had none): rerun with it to reproduce."""
    routes: dict[str, RouteResult] = field(default_factory=dict)

    @property
    def initial_fiat(self) -> float:
        """Dollar value of the stake on day 0."""
        return self.config.amount * self.price0


def token_growth(rates: np.ndarray, compound_days: int) -> np.ndarray:
    """G[0] = 1 and G[t] after t days of accrual at daily `rates`: rewards accrue on the principal and join it
    every `compound_days` days (1: G = Π(1 + r); 0: never, G = 1 + Σ r)."""
    out = np.empty(rates.size + 1)
    out[0] = 1.0
    if compound_days == 1:
        np.cumprod(1.0 + rates, out=out[1:])
    elif compound_days == 0:
        np.cumsum(rates, out=out[1:])
        out[1:] += 1.0
    else:
        principal, accrued = 1.0, 0.0
        for day, rate in enumerate(rates.tolist()):
            accrued += principal * rate
            if (day + 1) % compound_days == 0:
                principal += accrued
                accrued = 0.0
            out[day + 1] = principal + accrued
    return out


def route_growth(
    rates: np.ndarray,
    *,
    amount: float,
    compound_days: int,
    restake_days: int = 0,
    restake_fee: float = 0.0,
    balance_step: float = 0.0,
    balance_hysteresis: float = 0.0,
    balance_cap: float = 0.0,
    count_until: int | None = None,
) -> tuple[np.ndarray, int]:
    """Token growth G (as `token_growth`) of a route's compounding rule, and the number of re-delegations.

    - Rewards join the stake every `compound_days` days; where that is 0 and `restake_days` > 0, the holder
      claims and re-delegates every `restake_days` days, paying `restake_fee` tokens each time (skipped while
      the waiting rewards are worth less than the fee).
    - With `balance_step` > 0 only the effective balance earns: it starts at the amount rounded down to a step
      (at most `balance_cap`) and moves to the balance rounded down to a step once the balance exceeds it by
      `balance_hysteresis` (consensus-specs Electra `process_effective_balance_updates`, daily here).
    Re-delegations are counted up to day `count_until` (default: all)."""
    if balance_step <= 0 and balance_cap <= 0 and (compound_days > 0 or restake_days == 0):
        return token_growth(rates, compound_days), 0
    out = np.empty(rates.size + 1)
    out[0] = 1.0
    fee = restake_fee / amount
    restakes = 0
    last = rates.size if count_until is None else count_until
    if balance_step <= 0 and balance_cap <= 0:
        principal, accrued = 1.0, 0.0
        for day, rate in enumerate(rates.tolist()):
            accrued += principal * rate
            if (day + 1) % restake_days == 0 and accrued > fee:
                principal += accrued - fee
                accrued = 0.0
                restakes += day < last
            out[day + 1] = principal + accrued
        return out, restakes
    step = balance_step / amount
    cap = balance_cap / amount if balance_cap > 0 else math.inf
    up = balance_hysteresis / amount

    def effective(balance: float) -> float:
        stepped = math.floor(balance / step + 1e-12) * step if step > 0 else balance
        return min(stepped, cap)

    balance = 1.0
    earning = effective(balance)
    for day, rate in enumerate(rates.tolist()):
        balance += earning * rate
        if balance > earning + up and earning < cap:
            earning = effective(balance)
        out[day + 1] = balance
    return out, 0


def nominal_apr(route_result: RouteResult, days: int) -> float:
    """Average net reward rate while earning over the horizon, per 365-day year."""
    rates = route_result.net_daily_rates[route_result.entry_day : days]
    return float(rates.mean() * DAYS_PER_YEAR) if rates.size else 0.0


def apy_from_apr(apr: float, compound_days: int | None) -> float:
    """(1 + APR / n)^n − 1 with n = 365 / compound_days compounding periods a year (APR when never; None is
    daily, for callers that pass a run's unforced setting: prefer the route's `RouteResult.compound_days`)."""
    if compound_days is None:
        compound_days = 1
    if compound_days == 0:
        return apr
    n = DAYS_PER_YEAR / compound_days
    return float((1.0 + apr / n) ** n - 1.0)


def _entropy(seed: int | None) -> int:
    """The seed, or fresh entropy when None."""
    if seed is not None:
        return int(seed)
    return int(np.random.SeedSequence().entropy) % 2**32  # type: ignore[arg-type]


def _block_rng(entropy: int, part: int, block: int) -> np.random.Generator:
    """The price stream of one block of paths (`part` 0: days up to the horizon, 1: after it)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([entropy, 0, part, block])))


def _route_rng(entropy: int, tag: int, name: str) -> np.random.Generator:
    """An independent stream per (purpose, route name): adding a route does not change another's draws."""
    return np.random.default_rng(np.random.SeedSequence([entropy, tag, zlib.crc32(name.encode())]))


@dataclass(slots=True)
class _Plan:
    route: Route
    rates: np.ndarray
    growth: np.ndarray
    entry_day: int
    exit_days: np.ndarray
    exit_index: np.ndarray
    earn_index: np.ndarray
    loss_events: dict[str, Events]
    depeg_events: list[tuple[Events, float]]
    compound_days: int = 1
    restakes: int = 0
    restake_fee: float = 0.0


def _plan_route(
    chain: ChainPreset, route: Route, cfg: RunConfig, entropy: int, crash: np.ndarray | None = None
) -> _Plan:
    rng = _route_rng(entropy, 1, route.name)
    n, horizon = cfg.paths, cfg.days
    if route.exit in ("protocol", "custody"):
        congestion = None
        if crash is not None and cfg.crash_correlation > 0:
            congestion = correlated_uniforms(crash, cfg.crash_correlation, _route_rng(entropy, 4, route.name))
        total, earning = chain.exit_days(rng, n, congestion)
        total = total + route.exit_extra_days
    else:
        total, earning = np.zeros(n), np.zeros(n)
    exit_index = horizon + np.ceil(total - 1e-9).astype(np.int64)
    earn_index = horizon + np.floor(earning + 1e-9).astype(np.int64)
    max_day = int(exit_index.max())
    if route.stakes:
        gross = chain.daily_rates(max_day, solo=route.name == "solo", amount=cfg.amount)
        earned = chain.uptime_rates(gross, route.uptime)
        rates = np.where(earned > 0, earned * (1.0 - route.fee), earned)
        entry_day = round(chain.entry_days()) if route.protocol_entry else 0
        rates[: min(entry_day, rates.size)] = 0.0
    else:
        rates = np.zeros(max_day)
        entry_day = 0
    restakes = 0
    if cfg.compound_days is not None:
        compound_days = cfg.compound_days
        growth = token_growth(rates, compound_days)
    else:
        compound_days = route.compound_days or route.restake_days
        growth, restakes = route_growth(
            rates,
            amount=cfg.amount,
            compound_days=route.compound_days,
            restake_days=route.restake_days,
            restake_fee=route.restake_fee,
            balance_step=route.balance_step,
            balance_hysteresis=route.balance_hysteresis,
            balance_cap=route.balance_cap,
            count_until=horizon,
        )
    return _Plan(
        route=route,
        rates=rates,
        growth=growth,
        entry_day=entry_day,
        exit_days=np.maximum(total, 0.0),
        exit_index=exit_index,
        earn_index=earn_index,
        loss_events={},
        depeg_events=[],
        compound_days=compound_days,
        restakes=restakes,
        restake_fee=route.restake_fee if restakes else 0.0,
    )


def simulate(
    chain: ChainPreset,
    routes: Mapping[str, Route],
    price_model: PriceModel,
    config: RunConfig,
    *,
    price_source: str = "gbm",
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Run every route in `routes` on the same price paths (common random numbers) and return per-path results.

    `progress(done, total)` is called as blocks of paths finish (from worker threads).
    Raises InputValueError if a route's minimum stake exceeds the amount."""
    cfg = config
    for route in routes.values():
        if cfg.amount < route.min_stake:
            raise InputValueError(
                f"route {route.name} on {chain.coin} needs at least {route.min_stake:g} {chain.coin}, "
                f"got {cfg.amount:g}"
            )
    entropy = _entropy(cfg.seed)
    P, T = cfg.paths, cfg.days

    grid = np.unique(np.linspace(0, T, min(cfg.grid_points, T + 1)).round().astype(np.int64))
    nf = min(cfg.fan_paths, P)
    price0 = price_model.price0
    drift_T = price_model.log_drift(T)

    logp_T = np.empty(P)
    z_T = np.empty(P, dtype=np.float32)
    price_fan = np.empty((nf, grid.size), dtype=np.float32)

    # Pass 1: the price paths up to the horizon, block by block (the only dense array). Days 1..T come from one
    # stream and days T+1..D (only needed while exits are pending) from another, drawn in pass 2 once the exits
    # are known (they may depend on the price, see crash_correlation), so the paths up to the horizon do not
    # depend on which routes run: a single-route run and a comparison with the same seed agree on that route.
    block = max(16, cfg.block_elements // T)
    starts = list(range(0, P, block))
    scales = [0.0] * len(starts)
    cols = np.maximum(grid - 1, 0)

    def run_block(index: int) -> None:
        start = starts[index]
        n = min(block, P - start)
        zm = np.empty((n, T), dtype=np.float32)
        scale = price_model.fill_increments(_block_rng(entropy, 0, index), zm)
        scales[index] = scale
        np.cumsum(zm, axis=1, out=zm)
        z_T[start : start + n] = zm[:, -1]
        logp_T[start : start + n] = zm[:, -1].astype(np.float64) * scale + drift_T[T]
        if start < nf:
            m = min(n, nf - start)
            g = zm[:m][:, cols].astype(np.float64) * scale
            g[:, grid == 0] = 0.0
            price_fan[start : start + m] = price0 * np.exp(g + drift_T[grid])
        if progress is not None:
            progress(n, P)

    threads = cfg.threads or min(2, os.cpu_count() or 1)

    def run_all(fn: Callable[[int], None]) -> None:
        if threads > 1 and len(starts) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(fn, range(len(starts))))
        else:
            for i in range(len(starts)):
                fn(i)

    run_all(run_block)

    # Exits and hazards, on the price paths' crash scores when they strike together with crashes.
    rho = cfg.crash_correlation
    crash = crash_scores(logp_T) if rho > 0 else None
    plans: dict[str, _Plan] = {}
    for name, route in routes.items():
        plans[name] = _plan_route(chain, route, cfg, entropy, crash)
    D = max([T] + [int(p.exit_index.max()) for p in plans.values()])
    for plan in plans.values():
        rng = _route_rng(entropy, 2, plan.route.name)
        span = max(T, int(plan.exit_index.max()))
        for hazard in plan.route.hazards:
            events = sample_events(hazard, rng, P, span, crash=crash, rho=rho)
            if hazard.kind == "depeg":
                plan.depeg_events.append((events, hazard.duration_days))
            else:
                plan.loss_events[hazard.name] = events

    # Pass 2: the price on each route's exit day (after the horizon: the second stream, E days per block).
    E = D - T
    drift = price_model.log_drift(D)
    logp_exit = {name: logp_T.copy() for name in plans}
    late_routes = [name for name, plan in plans.items() if int(plan.exit_index.max()) > T]

    def run_late(index: int) -> None:
        start = starts[index]
        n = min(block, P - start)
        ze = np.empty((n, E), dtype=np.float32)
        scale = scales[index]
        scale_e = price_model.fill_increments(_block_rng(entropy, 1, index), ze)
        if scale and scale_e != scale:
            ze *= scale_e / scale
        np.cumsum(ze, axis=1, out=ze)
        ze += z_T[start : start + n, None]
        for name in late_routes:
            day = plans[name].exit_index[start : start + n]
            late = np.flatnonzero(day > T)
            vals = ze[late, day[late] - T - 1].astype(np.float64)
            logp_exit[name][start + late] = vals * scale + drift[day[late]]

    if E and late_routes:
        run_all(run_late)

    price_final = price0 * np.exp(logp_T)
    result = SimulationResult(
        chain=chain,
        config=cfg,
        price0=price0,
        price_source=price_source,
        grid=grid,
        hold_final=cfg.amount * price_final,
        price_final=price_final,
        price_fan=price_fan,
        seed=entropy,
    )
    for name, plan in plans.items():
        route = plan.route
        log_h = np.zeros(P)
        hits: dict[str, np.ndarray] = {}
        for hname, events in plan.loss_events.items():
            log_h += log_survival_until(events, plan.exit_index, P)
            hits[hname] = np.bincount(events.path[events.day <= plan.exit_index[events.path]], minlength=P)
        survive = np.exp(log_h)
        disc = np.full(P, route.discount) if route.exit == "sell" else np.zeros(P)
        for events, duration in plan.depeg_events:
            if route.exit == "sell":
                disc = np.minimum(disc + discount_at(events, plan.exit_index, P, duration), 1.0)
            active = events.day <= plan.exit_index[events.path]
            hits[f"depeg_{len(hits)}" if "depeg" in hits else "depeg"] = np.bincount(
                events.path[active & (plan.exit_index[events.path] - events.day < duration)], minlength=P
            )
        base_disc = np.full(P, route.discount if route.exit == "sell" else 0.0)
        if route.exit == "sell" and route.redeem_share > 0:
            # the protocol's buffer (a deposit pool) redeems these paths at full value: no market discount
            redeemed = _route_rng(entropy, 3, route.name).random(P) < route.redeem_share
            disc[redeemed] = 0.0
            base_disc[redeemed] = 0.0
        earn_idx = np.minimum(plan.earn_index, plan.exit_index)
        tokens_no_h = cfg.amount * plan.growth[earn_idx]
        price_exit = price0 * np.exp(logp_exit[name])
        gross_no_h = tokens_no_h * price_exit * (1.0 - base_disc)
        tokens = tokens_no_h * survive
        gross = tokens * price_exit * (1.0 - disc)
        cost = route.running_cost_usd_per_year * T / DAYS_PER_YEAR
        # fan chart: value marked to redemption value, hazards applied from their day
        fan_tokens = np.empty((nf, grid.size), dtype=np.float32)
        if nf:
            log_hg = np.zeros((nf, grid.size))
            for events in plan.loss_events.values():
                sel = events.path < nf
                gi = np.searchsorted(grid, events.day[sel], side="left")
                ok = gi < grid.size
                with np.errstate(divide="ignore"):
                    np.add.at(log_hg, (events.path[sel][ok], gi[ok]), np.log1p(-events.size[sel][ok]))
            np.cumsum(log_hg, axis=1, out=log_hg)
            fan_tokens[:] = cfg.amount * plan.growth[grid][None, :] * np.exp(log_hg)
        fan = fan_tokens * price_fan
        result.routes[name] = RouteResult(
            route=route,
            net_daily_rates=plan.rates,
            growth=plan.growth,
            entry_day=plan.entry_day,
            final_tokens=tokens,
            final_fiat=gross - cost,
            gross_fiat_no_hazard=gross_no_h,
            gross_fiat=gross,
            exit_days=plan.exit_days,
            hazard_hits=hits,
            fan=fan.astype(np.float32),
            fan_tokens=fan_tokens,
            compound_days=plan.compound_days,
            restakes=plan.restakes,
            restake_fees_paid=plan.restakes * plan.restake_fee,
        )
    return result
