"""Solana: the disinflation schedule (solana-sdk `Inflation::total`: initial 8 %, taper 15 % a year, terminal
1.5 %), epochs of 432,000 slots (about two days), stake warm-up and cool-down limited to 9 % of the effective
stake per epoch (feature `reduce_stake_warmup_cooldown`), commission, no protocol slashing today."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from stakework.risk.chains.base import DAYS_PER_YEAR, ChainPreset
from stakework.risk.figures import builtin_number
from stakework.risk.hazards import Hazard


def inflation_rate(year: float | np.ndarray, initial: float, taper: float, terminal: float) -> np.ndarray:
    """solana-sdk `Inflation::total(year)`: max(initial × (1 − taper)^year, terminal); `year` counts (slot)
    years since inflation was activated (epoch 150, February 2021)."""
    return np.maximum(initial * (1.0 - taper) ** np.asarray(year, dtype=float), terminal)


@dataclass(frozen=True, slots=True, kw_only=True)
class Solana(ChainPreset):
    """Solana (SOL)."""

    coin: str = "SOL"
    name: str = "Solana"
    price_usd: float = builtin_number("SOL.price_usd")
    volatility: float = builtin_number("SOL.volatility")
    total_staked: float = builtin_number("SOL.total_staked")
    total_supply: float = builtin_number("SOL.total_supply")
    min_solo_stake: float = builtin_number("SOL.min_solo_stake")
    solo_running_cost_usd_per_year: float = builtin_number("SOL.solo_running_cost_usd_per_year")
    halt_fraction: float = 1.0 / 3.0
    node_count: float = builtin_number("SOL.node_count")
    node_power_w: float = builtin_number("SOL.node_power_w")
    tx_per_day: float = builtin_number("SOL.tx_per_day")
    as_of: str = "2025-11"

    initial_inflation: float = builtin_number("SOL.initial_inflation")
    """Inflation::initial."""
    taper: float = builtin_number("SOL.taper")
    """Inflation::taper: yearly relative decline."""
    terminal_inflation: float = builtin_number("SOL.terminal_inflation")
    """Inflation::terminal: the floor."""
    years_since_start: float = builtin_number("SOL.years_since_start")
    """Slot years elapsed since inflation started (slots ran slower than 400 ms, so fewer than calendar
    years); 3.9 gives the ≈ 4.2 % inflation reported for late 2025."""
    mev_yield: float = builtin_number("SOL.mev_yield")
    """Block-engine tips (MEV) passed to stakers, annual yield on stake."""
    epoch_days: float = builtin_number("SOL.epoch_days")
    """432,000 slots × 400 ms."""
    warmup_cooldown_rate: float = builtin_number("SOL.warmup_cooldown_rate")
    """Share of the effective stake that may activate or deactivate per epoch."""
    deactivating_share_min: float = builtin_number("SOL.deactivating_share_min")
    """Smallest share of all stake deactivating in the same epochs as you (uniform per path)."""
    deactivating_share_max: float = builtin_number("SOL.deactivating_share_max")
    """Largest share of all stake deactivating with you."""

    def inflation_path(self, n_days: int) -> np.ndarray:
        """Inflation on each day from now."""
        years = self.years_since_start + np.arange(n_days) / DAYS_PER_YEAR
        return inflation_rate(years, self.initial_inflation, self.taper, self.terminal_inflation)

    def daily_rates(self, n_days: int, *, solo: bool = False, amount: float = 0.0) -> np.ndarray:
        """Per staked SOL per day: inflation / staked ratio / 365 + MEV tips (all inflation goes to stakers)."""
        return (self.inflation_path(n_days) / self.staked_ratio + self.mev_yield) / DAYS_PER_YEAR

    def cooldown_epochs(self, deactivating_share: np.ndarray) -> np.ndarray:
        """Epoch boundaries until the stake is fully inactive: at most `warmup_cooldown_rate` of the effective
        stake deactivates per epoch, shared pro rata, so ceil(deactivating share / rate) (at least one)."""
        return np.maximum(np.ceil(deactivating_share / self.warmup_cooldown_rate - 1e-9), 1.0)

    def exit_days(
        self, rng: np.random.Generator, n: int, congestion: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stake deactivated in epoch N earns through epoch N and is inactive (withdrawable) at the start of
        N + 1 while less than `warmup_cooldown_rate` of all stake is deactivating (stake program
        `Delegation::stake_activating_and_deactivating`; agave docs "Stake delegation and rewards"). So: wait
        for the next boundary (uniform within the epoch), earning. When more is leaving, each later boundary
        releases rate / share of what is left and the still-effective part keeps earning."""
        q = rng.uniform(size=n) if congestion is None else congestion
        share = self.deactivating_share_min + (self.deactivating_share_max - self.deactivating_share_min) * q
        first = rng.uniform(0.0, self.epoch_days, size=n)
        epochs = self.cooldown_epochs(share)
        extra = (epochs - 1.0) * self.epoch_days
        # after the first boundary the effective share falls by rate/share per epoch: 1 - k·rate/share
        released = np.minimum(self.warmup_cooldown_rate / np.maximum(share, 1e-12), 1.0)
        later = epochs - 1.0
        mean_effective = np.where(later > 0, 1.0 - released * (later + 1.0) / 2.0, 0.0)
        earning = first + np.clip(mean_effective, 0.0, 1.0) * extra
        return first + extra, earning

    def entry_days(self) -> float:
        """Warm-up: stake delegated in epoch N is effective from the start of N + 1 (while less than
        `warmup_cooldown_rate` of the stake is activating), half an epoch on average."""
        return 0.5 * self.epoch_days

    def supply_inflation(self, days: int = 365) -> float:
        """The inflation schedule (new SOL to stakers); the burn of half the base fees is left out (a few
        thousandths of a percent of supply a year)."""
        return float(self.inflation_path(days).mean())

    def compounding(self, route: str) -> dict[str, Any]:
        """Rewards are credited to the stake account at each epoch boundary and are staked at once; a liquid
        token (JitoSOL) re-prices once an epoch too."""
        return {"compound_days": max(round(self.epoch_days), 1)}

    def slashing_hazards(self) -> tuple[Hazard, ...]:
        """No protocol slashing on Solana today: no hazard."""
        return ()

    def years_to_floor(self) -> float:
        """Slot years from now until inflation reaches the terminal rate."""
        total = math.log(self.terminal_inflation / self.initial_inflation) / math.log(1.0 - self.taper)
        return max(total - self.years_since_start, 0.0)
