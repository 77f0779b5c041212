"""Geometric Brownian motion: log S_t = log S_0 + (μ − σ²/2) t + σ W_t, simulated per day.

The deterministic part (drift) is kept apart in float64 so that a run with σ = 0 is exact; the random part
is float32 normals summed along the day axis (float32 keeps about 7 digits, far below the sampling error)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from stakework.risk.errors import InputValueError

DAYS_PER_YEAR = 365.0


class PriceModel(Protocol):
    """What the Monte Carlo needs from a price model."""

    @property
    def price0(self) -> float:
        """Starting price."""
        ...

    def log_drift(self, n_days: int) -> np.ndarray:
        """Deterministic log-price offset for days 0..n_days (float64, length n_days + 1, starting at 0)."""
        ...

    def fill_increments(self, rng: np.random.Generator, out: np.ndarray) -> float:
        """Fill `out` (paths × days, float32) with random daily log increments, unscaled; return the scale
        to multiply their cumulative sums by."""
        ...


@dataclass(frozen=True, slots=True)
class GBM:
    """Geometric Brownian motion with annual drift `mu` and volatility `sigma`."""

    price0: float
    """Starting price."""
    mu: float = 0.0
    """Annual expected return (the mean price grows as e^{μt})."""
    sigma: float = 0.6
    """Annual volatility of log returns."""

    def __post_init__(self) -> None:
        if self.price0 <= 0:
            raise InputValueError("price must be > 0")
        if self.sigma < 0:
            raise InputValueError("volatility must be >= 0")

    def log_drift(self, n_days: int) -> np.ndarray:
        """(μ − σ²/2) t with t in years, float64."""
        t = np.arange(n_days + 1) / DAYS_PER_YEAR
        return (self.mu - 0.5 * self.sigma**2) * t

    def fill_increments(self, rng: np.random.Generator, out: np.ndarray) -> float:
        """Standard normals in float32; scale σ √(1/365)."""
        if self.sigma == 0.0:
            out.fill(0.0)
            return 0.0
        rng.standard_normal(out=out, dtype=np.float32)
        return self.sigma / math.sqrt(DAYS_PER_YEAR)
