"""Cosmos Hub: inflation that moves toward a bonded-ratio goal (Cosmos SDK x/mint `NextInflationRate`), minted
per block as AnnualProvisions / BlocksPerYear (x/mint `BlockProvision`, so the realised rate depends on the
real block time), the community tax (x/distribution), 21-day unbonding (x/staking) and slashing (x/slashing).
Rewards wait to be claimed (x/distribution `WithdrawDelegatorReward`): they compound only if re-delegated."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from stakework.risk.chains.base import DAYS_PER_YEAR, ChainPreset
from stakework.risk.figures import builtin_number
from stakework.risk.hazards import Hazard


def next_inflation(
    inflation: float,
    bonded_ratio: float,
    *,
    goal_bonded: float,
    rate_change: float,
    inflation_min: float,
    inflation_max: float,
    years: float,
) -> float:
    """Cosmos SDK x/mint `NextInflationRate`, applied for `years` at a constant bonded ratio:
    inflation += (1 − bonded_ratio / goal_bonded) × InflationRateChange × years, clamped to
    [InflationMin, InflationMax]. Per block the step is InflationRateChange / BlocksPerYear; as the ratio is
    held constant over the step, one aggregate step equals the sum of the block steps."""
    change = (1.0 - bonded_ratio / goal_bonded) * rate_change * years
    return min(max(inflation + change, inflation_min), inflation_max)


@dataclass(frozen=True, slots=True, kw_only=True)
class CosmosHub(ChainPreset):
    """Cosmos Hub (ATOM)."""

    coin: str = "ATOM"
    name: str = "Cosmos Hub"
    price_usd: float = builtin_number("ATOM.price_usd")
    volatility: float = builtin_number("ATOM.volatility")
    total_staked: float = builtin_number("ATOM.total_staked")
    total_supply: float = builtin_number("ATOM.total_supply")
    min_solo_stake: float = builtin_number("ATOM.min_solo_stake")
    solo_running_cost_usd_per_year: float = builtin_number("ATOM.solo_running_cost_usd_per_year")
    node_count: float = builtin_number("ATOM.node_count")
    node_power_w: float = builtin_number("ATOM.node_power_w")
    tx_per_day: float = builtin_number("ATOM.tx_per_day")
    as_of: str = "2025-11"

    inflation: float = builtin_number("ATOM.inflation")
    """Current annual inflation (x/mint Minter.inflation)."""
    inflation_min: float = builtin_number("ATOM.inflation_min")
    """x/mint InflationMin."""
    inflation_max: float = builtin_number("ATOM.inflation_max")
    """x/mint InflationMax (Cosmos Hub governance lowered it from the SDK default 0.20 to 0.10)."""
    inflation_rate_change: float = builtin_number("ATOM.inflation_rate_change")
    """x/mint InflationRateChange: largest yearly change of the inflation rate (Hub: 1.0; SDK default 0.13)."""
    goal_bonded: float = builtin_number("ATOM.goal_bonded")
    """x/mint GoalBonded."""
    bonded_ratio_drift_per_year: float = 0.0
    """Yearly change of the bonded ratio (0: it stays at total_staked / total_supply)."""
    community_tax: float = builtin_number("ATOM.community_tax")
    """x/distribution community_tax: share of minted rewards sent to the community pool."""
    fee_yield: float = builtin_number("ATOM.fee_yield")
    """Transaction fees to stakers as an annual yield on stake."""
    blocks_per_year: float = builtin_number("ATOM.blocks_per_year")
    """x/mint BlocksPerYear (Hub proposal 30, November 2020: 4,360,000, i.e. 7.24 s blocks)."""
    block_time_s: float = builtin_number("ATOM.block_time_s")
    """Actual average block time, seconds (Mintscan, cosmoshub-4, 2025-11, approximate). Faster blocks than
    BlocksPerYear assumes mint more than the nominal inflation (and slower ones less: in March 2019 6.5 s
    blocks against 5 s assumed paid about 23 % below nominal, Hub proposal 1)."""
    restake_fee: float = builtin_number("ATOM.restake_fee")
    """ATOM paid in gas to claim rewards and delegate them again (two messages, ≈ 300,000 gas at the Hub's
    0.005 uatom minimum gas price plus margin; 2025-11, approximate)."""
    unbonding_days: float = builtin_number("ATOM.unbonding_days")
    """x/staking UnbondingTime (no rewards while unbonding)."""
    slash_fraction_double_sign: float = builtin_number("ATOM.slash_fraction_double_sign")
    """x/slashing SlashFractionDoubleSign (and the validator is tombstoned)."""
    slash_fraction_downtime: float = builtin_number("ATOM.slash_fraction_downtime")
    """x/slashing SlashFractionDowntime."""
    double_sign_rate: float = builtin_number("ATOM.double_sign_rate")
    """Double-sign slashings per validator-year."""
    downtime_rate: float = builtin_number("ATOM.downtime_rate")
    """Downtime slashings per validator-year."""

    def __post_init__(self) -> None:
        ChainPreset.__post_init__(self)
        from stakework.risk.errors import InputValueError

        if not (0 <= self.inflation_min <= self.inflation_max):
            raise InputValueError("ATOM: need 0 <= inflation_min <= inflation_max")
        if not (0 < self.goal_bonded <= 1):
            raise InputValueError("ATOM: goal_bonded must be in (0, 1]")
        if self.blocks_per_year <= 0 or self.block_time_s <= 0:
            raise InputValueError("ATOM: blocks_per_year and block_time_s must be > 0")

    @property
    def block_time_factor(self) -> float:
        """Realised over nominal minting: blocks actually made in a year (365.25 days / block time, the
        convention BlocksPerYear was set with) over BlocksPerYear."""
        return 365.25 * 86_400.0 / self.block_time_s / self.blocks_per_year

    def inflation_path(self, n_days: int) -> np.ndarray:
        """Nominal inflation (Minter.inflation) for each day, one NextInflationRate step per day; each block
        moves it by 1/BlocksPerYear of the yearly change, so a day moves it by block_time_factor / 365."""
        out = np.empty(n_days)
        inflation = min(max(self.inflation, self.inflation_min), self.inflation_max)
        for day in range(n_days):
            out[day] = inflation
            inflation = next_inflation(
                inflation,
                self.bonded_ratio(day),
                goal_bonded=self.goal_bonded,
                rate_change=self.inflation_rate_change,
                inflation_min=self.inflation_min,
                inflation_max=self.inflation_max,
                years=self.block_time_factor / DAYS_PER_YEAR,
            )
        return out

    def bonded_ratio(self, day: float) -> float:
        """Bonded ratio on `day`, clamped to (0, 1]."""
        r = self.staked_ratio + self.bonded_ratio_drift_per_year * day / DAYS_PER_YEAR
        return min(max(r, 1e-6), 1.0)

    def realised_inflation_path(self, n_days: int) -> np.ndarray:
        """Inflation actually minted each day: nominal × block_time_factor."""
        return self.inflation_path(n_days) * self.block_time_factor

    def daily_rates(self, n_days: int, *, solo: bool = False, amount: float = 0.0) -> np.ndarray:
        """Per bonded ATOM per day: realised inflation × (1 − community_tax) / bonded ratio / 365 (+ fee
        yield)."""
        ratios = np.array([self.bonded_ratio(d) for d in range(n_days)])
        apr = self.realised_inflation_path(n_days) * (1.0 - self.community_tax) / ratios + self.fee_yield
        return np.asarray(apr / DAYS_PER_YEAR, dtype=np.float64)

    def supply_inflation(self, days: int = 365) -> float:
        """Everything minted (the community tax included) over the supply: the realised inflation."""
        return float(self.realised_inflation_path(days).mean())

    def compounding(self, route: str) -> dict[str, Any]:
        """Liquid tokens (stATOM) re-stake for you: daily. Otherwise rewards wait to be claimed and
        re-delegated, at `restake_fee` a time; how often (`restake_days`, default never) is your choice."""
        if route == "liquid":
            return {"compound_days": 1}
        return {"compound_days": 0, "restake_fee": self.restake_fee}

    def exit_days(
        self, rng: np.random.Generator, n: int, congestion: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unbonding takes `unbonding_days`, earning nothing."""
        return np.full(n, self.unbonding_days), np.zeros(n)

    def entry_days(self) -> float:
        """Delegation earns from the next block."""
        return 0.0

    def slashing_hazards(self) -> tuple[Hazard, ...]:
        """Double signing (5 %) and downtime (0.01 %); delegators share their validator's slashing."""
        return (
            Hazard(
                name="slashing",
                rate_per_year=self.double_sign_rate,
                loss_min=self.slash_fraction_double_sign,
                loss_max=self.slash_fraction_double_sign,
                source="x/slashing SlashFractionDoubleSign",
            ),
            Hazard(
                name="downtime_slashing",
                rate_per_year=self.downtime_rate,
                loss_min=self.slash_fraction_downtime,
                loss_max=self.slash_fraction_downtime,
                source="x/slashing SlashFractionDowntime",
            ),
        )


def years_to_bound(inflation: float, bonded_ratio: float, hub: CosmosHub) -> float:
    """Years until inflation reaches the bound it moves toward (inf when the ratio is at the goal)."""
    step = (1.0 - bonded_ratio / hub.goal_bonded) * hub.inflation_rate_change
    if step == 0:
        return math.inf
    target = hub.inflation_max if step > 0 else hub.inflation_min
    return abs(target - inflation) / abs(step)
