"""Rare events with a rate and a loss distribution: hacks, slashing, custodial failure, depegs.

A hazard strikes each path as a Poisson process with `rate_per_year`; each strike draws its size uniformly
between `loss_min` and `loss_max`. A *loss* hazard destroys that fraction of the staked tokens from the day it
strikes; a *depeg* hazard opens a secondary-market discount of that size which recovers linearly over
`duration_days` (it matters only to a holder who sells the liquid token while it lasts)."""

from __future__ import annotations

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


def sample_events(hazard: Hazard, rng: np.random.Generator, n_paths: int, n_days: int) -> Events:
    """Draw the strikes of `hazard` on `n_paths` paths over days 1..n_days: a Poisson count per path with mean
    rate × days / 365, days uniform, sizes uniform in [loss_min, loss_max]."""
    lam = hazard.rate_per_year * n_days / DAYS_PER_YEAR
    counts = rng.poisson(lam, size=n_paths) if lam > 0 else np.zeros(n_paths, dtype=np.int64)
    total = int(counts.sum())
    path = np.repeat(np.arange(n_paths, dtype=np.int64), counts)
    day = rng.integers(1, n_days + 1, size=total, dtype=np.int64)
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
