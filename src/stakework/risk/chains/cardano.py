"""Cardano (Shelley rewards): each 5-day epoch the reserve pays ρ of itself plus fees into the reward pot, the
treasury takes τ, and pools share the rest by the `maxPool` formula with saturation at 1/k and pledge
influence a0 (Shelley ledger spec, section "Rewards"; Cardano docs "Pledging and rewards"). No lock-up, no
slashing; delegation takes effect two epoch boundaries after it is made."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from stakework.risk.chains.base import DAYS_PER_YEAR, ChainPreset
from stakework.risk.figures import builtin_integer, builtin_number
from stakework.risk.hazards import Hazard


def max_pool_reward(pot: float, *, k: int, a0: float, relative_stake: float, relative_pledge: float) -> float:
    """Shelley `maxPool`: pot / (1 + a0) × (σ' + s' × a0 × (σ' − s' × (z0 − σ') / z0) / z0), with z0 = 1/k,
    σ' = min(σ, z0), s' = min(s, z0); σ and s are the pool's stake and pledge over the total stake."""
    z0 = 1.0 / k
    sigma = min(relative_stake, z0)
    s = min(relative_pledge, z0)
    return pot / (1.0 + a0) * (sigma + s * a0 * (sigma - s * (z0 - sigma) / z0) / z0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Cardano(ChainPreset):
    """Cardano (ADA)."""

    coin: str = "ADA"
    name: str = "Cardano"
    price_usd: float = builtin_number("ADA.price_usd")
    volatility: float = builtin_number("ADA.volatility")
    total_staked: float = builtin_number("ADA.total_staked")
    total_supply: float = builtin_number("ADA.total_supply")
    min_solo_stake: float = builtin_number("ADA.min_solo_stake")
    solo_running_cost_usd_per_year: float = builtin_number("ADA.solo_running_cost_usd_per_year")
    halt_fraction: float = 0.5
    control_fraction: float = 0.5
    node_count: float = builtin_number("ADA.node_count")
    node_power_w: float = builtin_number("ADA.node_power_w")
    tx_per_day: float = builtin_number("ADA.tx_per_day")
    as_of: str = "2025-11"

    reserve: float = builtin_number("ADA.reserve")
    """ADA left in the reserve (45 bn maximum supply − circulation)."""
    rho: float = builtin_number("ADA.rho")
    """Monetary expansion ρ: share of the reserve paid out per epoch."""
    tau: float = builtin_number("ADA.tau")
    """Treasury cut τ of the reward pot."""
    k: int = builtin_integer("ADA.k")
    """Desired number of pools; a pool saturates at 1/k of the total stake."""
    a0: float = builtin_number("ADA.a0")
    """Pledge influence."""
    fees_per_epoch: float = builtin_number("ADA.fees_per_epoch")
    """Transaction fees added to the reward pot per epoch, ADA."""
    epoch_days: float = builtin_number("ADA.epoch_days")
    """Days per epoch (432,000 one-second slots)."""
    pool_cost: float = builtin_number("ADA.pool_cost")
    """Fixed cost a pool takes per epoch, ADA (protocol minPoolCost)."""
    pool_saturation_share: float = builtin_number("ADA.pool_saturation_share")
    """Size of the pool you delegate to, as a share of the saturation point."""
    pool_pledge: float = builtin_number("ADA.pool_pledge")
    """Pledge of the pool you delegate to, ADA."""
    performance: float = builtin_number("ADA.performance")
    """Apparent performance of the pool (blocks made / blocks expected)."""
    reward_start_days: float = builtin_number("ADA.reward_start_days")
    """Delegation counts from the second epoch boundary; first rewards arrive after about 15–20 days."""

    def __post_init__(self) -> None:
        ChainPreset.__post_init__(self)
        from stakework.risk.errors import InputValueError

        if self.k < 1:
            raise InputValueError("ADA: k must be >= 1")
        if not (0 <= self.rho <= 1 and 0 <= self.tau <= 1):
            raise InputValueError("ADA: rho and tau must be in [0, 1]")

    @property
    def circulating(self) -> float:
        """Total stake in the Shelley sense: maximum supply minus reserve (here `total_supply`)."""
        return self.total_supply

    def pool_pot(self, reserve: float) -> float:
        """Reward pot for pools in an epoch: (1 − τ) × (ρ × reserve + fees)."""
        return (1.0 - self.tau) * (self.rho * reserve + self.fees_per_epoch)

    def epoch_member_rate(self, reserve: float, *, solo: bool = False, amount: float = 0.0) -> float:
        """Reward per ADA of stake for one epoch, before the pool margin. Delegator: (f − cost) / pool stake;
        solo (your own pool holding only your pledge `amount`): f / amount, as the cost is yours to keep."""
        pot = self.pool_pot(reserve)
        if solo:
            sigma = amount / self.circulating
            f = max_pool_reward(pot, k=self.k, a0=self.a0, relative_stake=sigma, relative_pledge=sigma)
            return f * self.performance / amount if amount > 0 else 0.0
        pool_stake = self.pool_saturation_share * self.circulating / self.k
        f = max_pool_reward(
            pot,
            k=self.k,
            a0=self.a0,
            relative_stake=pool_stake / self.circulating,
            relative_pledge=self.pool_pledge / self.circulating,
        )
        return max(f * self.performance - self.pool_cost, 0.0) / pool_stake

    def reserve_path(self, n_epochs: int) -> np.ndarray:
        """Reserve at the start of each epoch: it pays ρ of itself each epoch and takes back what
        non-delegated stake leaves unclaimed (share 1 − staked ratio of the pools' pot)."""
        out = np.empty(n_epochs + 1)
        reserve = self.reserve
        for e in range(n_epochs + 1):
            out[e] = reserve
            reserve = reserve - self.rho * reserve + self.pool_pot(reserve) * (1.0 - self.staked_ratio)
        return out

    def daily_rates(self, n_days: int, *, solo: bool = False, amount: float = 0.0) -> np.ndarray:
        """Per-epoch rate spread over the epoch's days, the reserve following `reserve_path`."""
        n_epochs = math.ceil(n_days / self.epoch_days) + 1
        reserves = self.reserve_path(n_epochs)[:n_epochs]
        rates = np.array([self.epoch_member_rate(r, solo=solo, amount=amount) for r in reserves]) / self.epoch_days
        epoch_of_day = (np.arange(n_days) // self.epoch_days).astype(np.int64)
        return np.asarray(rates[epoch_of_day], dtype=np.float64)

    def supply_inflation(self, days: int = 365) -> float:
        """What leaves the reserve (rewards and the treasury's cut, less what returns unclaimed) over the
        circulating supply, per year; the 45 bn cap makes it shrink with the reserve. Fees move existing ADA."""
        n_epochs = max(math.ceil(days / self.epoch_days), 1)
        reserves = self.reserve_path(n_epochs)
        released = float(reserves[0] - reserves[-1])
        return released / self.circulating * DAYS_PER_YEAR / (n_epochs * self.epoch_days)

    def compounding(self, route: str) -> dict[str, Any]:
        """Rewards land in the reward account, whose balance counts as delegated stake from the next
        snapshot: they compound once an epoch (Shelley ledger spec, stake distribution)."""
        return {"compound_days": max(round(self.epoch_days), 1)}

    def exit_days(
        self, rng: np.random.Generator, n: int, congestion: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Delegated ADA never leaves the wallet: spendable at once."""
        return np.zeros(n), np.zeros(n)

    def entry_days(self) -> float:
        """Rewards start after two epoch boundaries and are paid after the fourth."""
        return self.reward_start_days

    def slashing_hazards(self) -> tuple[Hazard, ...]:
        """Cardano does not slash."""
        return ()
