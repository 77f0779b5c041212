"""Rare events with a rate and a loss distribution: hacks, slashing, custodial failure, depegs.

A hazard strikes each path as a Poisson process with `rate_per_year`; each strike draws its size uniformly
between `loss_min` and `loss_max`. A *loss* hazard destroys that fraction of the staked tokens from the day it
strikes; a *depeg* hazard opens a secondary-market discount of that size which recovers linearly over
`duration_days` (it matters only to a holder who sells the liquid token while it lasts).

Hazards may strike together with price crashes (`crash_correlation` ρ > 0, the default of the Monte Carlo):
each path gets a crash score z (its standardized log price at the horizon, sign flipped: z > 0 below the
mean); on that path every hazard's rate is multiplied by exp(2ρz − 2ρ²), normalized to mean 1 over the paths
(the same expected number of strikes overall, moved onto the crash paths), and the sizes of strikes (and the
chain's congestion draw, e.g. Ethereum's exit-queue backlog) are drawn through a Gaussian copula with
correlation ρ to z. May–June 2022 is the pattern: ETH fell by two thirds while stETH traded at 0.93–0.95 ETH,
Celsius and 3AC failed and exits were locked. ρ = 0 gives independent hazards, as before."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from stakework.risk.errors import InputValueError

HazardKind = Literal["loss", "depeg"]
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Hazard:
    """One kind of rare event on one route."""

    name: str
    """Key used in overrides and reports, e.g. `slashing`, `hack`, `depeg`, `custodial_failure`."""
    rate_per_year: float
    """Expected strikes per path per year (Poisson intensity)."""
    loss_min: float
    """Smallest loss (fraction of the staked tokens), or smallest discount for a depeg."""
    loss_max: float
    """Largest loss or discount; each strike is uniform between `loss_min` and `loss_max`."""
    kind: HazardKind = "loss"
    """`loss` destroys tokens; `depeg` opens a market discount for `duration_days`."""
    duration_days: float = 0.0
    """For a depeg: days until the discount has recovered linearly to zero."""
    source: str = ""
    """Where the default comes from (documented in docs/risk.md)."""

    def __post_init__(self) -> None:
        if self.rate_per_year < 0:
            raise InputValueError(f"hazard {self.name}: rate_per_year must be >= 0")
        if not (0.0 <= self.loss_min <= self.loss_max <= 1.0):
            raise InputValueError(f"hazard {self.name}: need 0 <= loss_min <= loss_max <= 1")
        if self.kind not in ("loss", "depeg"):
            raise InputValueError(f"hazard {self.name}: kind must be 'loss' or 'depeg'")
        if self.kind == "depeg" and self.duration_days <= 0:
            raise InputValueError(f"hazard {self.name}: a depeg needs duration_days > 0")

    @property
    def mean_loss(self) -> float:
        """Expected size of one strike."""
        return 0.5 * (self.loss_min + self.loss_max)


@dataclass(frozen=True, slots=True)
class Events:
    """Strikes of one hazard over all paths, as flat arrays (few: rates are small)."""

    path: np.ndarray
    """Path index of each strike (int64)."""
    day: np.ndarray
    """Day of each strike, 1..days (int64): the strike applies from that day on."""
    size: np.ndarray
    """Loss or discount of each strike (float64)."""


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, vectorized (Abramowitz & Stegun 7.1.26 for erf: absolute error below 1.5e-7)."""
    x = np.asarray(x, dtype=np.float64)
    t_arg = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * t_arg)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-t_arg * t_arg)
    return np.asarray(0.5 * (1.0 + np.sign(x) * erf))


def crash_scores(log_price: np.ndarray) -> np.ndarray | None:
    """Per path, how badly the price fell: −(x − mean) / std of the log prices at the horizon; None when they
    do not vary (nothing to correlate with)."""
    std = float(log_price.std())
    if not std > 1e-9 * (1.0 + abs(float(log_price.mean()))):
        return None
    return np.asarray(-(log_price - log_price.mean()) / std)


def crash_weights(z: np.ndarray, rho: float) -> np.ndarray:
    """Rate multiplier per path, exp(2ρz − 2ρ²) (mean 1 over normal z, larger on crash paths), divided by its
    mean over the paths so that the expected number of strikes is exactly unchanged."""
    k = 2.0 * rho
    w = np.exp(k * z - 0.5 * k * k)
    return np.asarray(w / w.mean())


def correlated_uniforms(z: np.ndarray, rho: float, rng: np.random.Generator) -> np.ndarray:
    """Uniforms in (0, 1), one per entry of `z`, with Gaussian-copula correlation ρ to z: Φ(ρz + √(1−ρ²) ε)."""
    eps = rng.standard_normal(z.size)
    return normal_cdf(rho * z + math.sqrt(max(1.0 - rho * rho, 0.0)) * eps)


def sample_events(
    hazard: Hazard,
    rng: np.random.Generator,
    n_paths: int,
    n_days: int,
    *,
    crash: np.ndarray | None = None,
    rho: float = 0.0,
) -> Events:
    """Draw the strikes of `hazard` on `n_paths` paths over days 1..n_days: a Poisson count per path with mean
    rate × days / 365, days uniform, sizes uniform in [loss_min, loss_max]. With crash scores `crash` and
    ρ = `rho` > 0, rates and sizes lean toward the crash paths (see the module docstring)."""
    lam = hazard.rate_per_year * n_days / DAYS_PER_YEAR
    scores = crash if crash is not None and rho > 0 else None
    if lam <= 0:
        counts = np.zeros(n_paths, dtype=np.int64)
    elif scores is not None:
        counts = rng.poisson(lam * crash_weights(scores, rho))
    else:
        counts = rng.poisson(lam, size=n_paths)
    total = int(counts.sum())
    path = np.repeat(np.arange(n_paths, dtype=np.int64), counts)
    day = rng.integers(1, n_days + 1, size=total, dtype=np.int64)
    if scores is not None:
        u = correlated_uniforms(scores[path], rho, rng)
        size = hazard.loss_min + (hazard.loss_max - hazard.loss_min) * u
    else:
        size = rng.uniform(hazard.loss_min, hazard.loss_max, size=total)
    return Events(path=path, day=day, size=size)


def log_survival_until(events: Events, until_day: np.ndarray, n_paths: int) -> np.ndarray:
    """Per path, the log of the fraction of tokens left after the strikes on or before `until_day[path]`."""
    if events.path.size == 0:
        return np.zeros(n_paths)
    hit = events.day <= until_day[events.path]
    with np.errstate(divide="ignore"):
        logs = np.log1p(-events.size[hit])
    return np.bincount(events.path[hit], weights=logs, minlength=n_paths)


def discount_at(events: Events, day: np.ndarray, n_paths: int, duration_days: float) -> np.ndarray:
    """Per path, the depeg discount on `day[path]`: each strike that started at s <= day contributes
    size × (1 − (day − s) / duration) while that is positive; overlapping depegs add up, capped at 1."""
    if events.path.size == 0:
        return np.zeros(n_paths)
    age = day[events.path] - events.day
    part = events.size * np.clip(1.0 - age / duration_days, 0.0, 1.0)
    part[age < 0] = 0.0
    return np.minimum(np.bincount(events.path, weights=part, minlength=n_paths), 1.0)
