"""What every chain preset has: market figures, lock-up and reward rules behind a common interface.

A chain preset is a frozen dataclass; each field carries a docstring and docs/chains.md gives the source and
date of its default. Rates are fractions (0.05 = 5 %); durations are days unless the name says otherwise."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from stakework.risk.hazards import Hazard

DAYS_PER_YEAR = 365.0
"""The simulator's year: rates are quoted per 365-day year and accrue per day."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainPreset(ABC):
    """Fields shared by every chain. Subclasses add their reward, lock-up and slashing parameters."""

    coin: str
    """Ticker used on the command line (ETH, ATOM, ADA, SOL, POL)."""
    name: str
    """Human name of the chain."""
    price_usd: float
    """Starting price in US dollars (override with --price)."""
    volatility: float
    """Annualized volatility of daily log returns (GBM sigma)."""
    drift: float = 0.0
    """Annualized expected return of the price (GBM mu); 0 means no view on the price."""
    total_staked: float
    """Tokens staked network-wide at the start."""
    total_supply: float
    """Tokens in existence (circulating supply for the chain's staking ratio)."""
    min_solo_stake: float
    """Smallest stake with which one can run a validator (or a competitive one) oneself."""
    solo_running_cost_usd_per_year: float
    """Hardware, bandwidth and power of running one validator node, dollars per year."""
    halt_fraction: float = 1.0 / 3.0
    """Share of the stake an attacker needs to halt finality (BFT: more than 1/3)."""
    control_fraction: float = 2.0 / 3.0
    """Share of the stake an attacker needs to finalize what it wants (BFT: 2/3)."""
    node_count: float
    """Physical nodes that run the network (for energy per transaction)."""
    node_power_w: float
    """Average electric power of one node, watts."""
    tx_per_day: float
    """User transactions per day (for energy per transaction)."""
    as_of: str
    """Date of the market and network figures above (YYYY-MM)."""

    def __post_init__(self) -> None:
        from stakework.risk.errors import InputValueError

        for field in ("price_usd", "total_staked", "total_supply", "node_count", "tx_per_day"):
            if getattr(self, field) <= 0:
                raise InputValueError(f"{self.coin}: {field} must be > 0")
        if self.volatility < 0:
            raise InputValueError(f"{self.coin}: volatility must be >= 0")
        if self.total_staked > self.total_supply:
            raise InputValueError(f"{self.coin}: total_staked cannot exceed total_supply")

    # -- the rules ------------------------------------------------------------------------------------------
    @abstractmethod
    def daily_rates(self, n_days: int, *, solo: bool = False, amount: float = 0.0) -> np.ndarray:
        """Gross protocol reward per staked token for each day 0..n_days-1 (float64), before route fees and
        own uptime. `solo` and `amount` matter only where the rule depends on the staker's own size."""

    @abstractmethod
    def exit_days(
        self, rng: np.random.Generator, n: int, congestion: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """For `n` paths, (days from asking to leave until the tokens are spendable, of which days still
        earning rewards), as float64 arrays, following the chain's unbonding or exit-queue rule."""

    @abstractmethod
    def entry_days(self) -> float:
        """Days from staking until rewards start (activation queue, warm-up, epoch boundaries)."""

    @abstractmethod
    def slashing_hazards(self) -> tuple[Hazard, ...]:
        """Protocol slashing as hazards for a validator (empty where the chain does not slash)."""

    def uptime_rates(self, rates: np.ndarray, uptime: float) -> np.ndarray:
        """Daily rates earned by a staker doing a share `uptime` of its duties. Default: missed duties only
        lose their reward (rates × uptime); chains that also penalize a missed duty override this."""
        return rates * uptime

    @abstractmethod
    def supply_inflation(self, days: int = 365) -> float:
        """Net yearly growth of the token supply, averaged over the first `days` days (a fraction): what
        dilutes a holder. Real yield = staking yield − supply inflation. Each chain says what it counts
        (issuance, burns, treasury emission)."""

    @abstractmethod
    def compounding(self, route: str) -> dict[str, Any]:
        """Route fields saying how rewards compound on route `route` (`compound_days`, and where rewards
        must be claimed, `restake_fee`; see `stakework.risk.routes.Route`)."""

    def gross_apr(self, days: int = 365) -> float:
        """Average annualized gross reward rate over the first `days` days."""
        return float(self.daily_rates(days).mean() * DAYS_PER_YEAR)

    @property
    def staked_ratio(self) -> float:
        """Share of the supply that is staked."""
        return self.total_staked / self.total_supply
