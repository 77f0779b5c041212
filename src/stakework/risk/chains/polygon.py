"""Polygon PoS: validator rewards paid per checkpoint from the POL emission (StakeManager checkpoint reward),
an 80-checkpoint withdrawal delay for unbonding, and validator commission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stakework.risk.chains.base import DAYS_PER_YEAR, ChainPreset
from stakework.risk.figures import builtin_integer, builtin_number
from stakework.risk.hazards import Hazard


@dataclass(frozen=True, slots=True, kw_only=True)
class PolygonPoS(ChainPreset):
    """Polygon PoS (POL staked on Ethereum, validators on Heimdall/Bor)."""

    coin: str = "POL"
    name: str = "Polygon PoS"
    price_usd: float = builtin_number("POL.price_usd")
    volatility: float = builtin_number("POL.volatility")
    total_staked: float = builtin_number("POL.total_staked")
    total_supply: float = builtin_number("POL.total_supply")
    min_solo_stake: float = builtin_number("POL.min_solo_stake")
    solo_running_cost_usd_per_year: float = builtin_number("POL.solo_running_cost_usd_per_year")
    node_count: float = builtin_number("POL.node_count")
    node_power_w: float = builtin_number("POL.node_power_w")
    tx_per_day: float = builtin_number("POL.tx_per_day")
    as_of: str = "2025-11"

    validator_emission_of_supply: float = builtin_number("POL.validator_emission_of_supply")
    """Yearly POL emission paid to validators as checkpoint rewards, share of supply (POL: 2 % a year, half to
    validators, half to the community treasury)."""
    treasury_emission_of_supply: float = builtin_number("POL.treasury_emission_of_supply")
    """Yearly POL emission to the community treasury, share of supply (the other half of the 2 %)."""
    restake_fee: float = builtin_number("POL.restake_fee")
    """POL paid to claim and re-stake rewards (`ValidatorShare.restake`, one Ethereum transaction of about
    150,000 gas at ≈ 1 gwei and 3,000 USD/ETH ≈ 0.45 USD ≈ 2.3 POL at 0.20 USD; 2025-11, approximate)."""
    checkpoint_interval_minutes: float = builtin_number("POL.checkpoint_interval_minutes")
    """Average time between checkpoints submitted to Ethereum."""
    withdrawal_delay_checkpoints: int = builtin_integer("POL.withdrawal_delay_checkpoints")
    """StakeManager withdrawalDelay: checkpoints between unbonding and claiming."""
    fee_yield: float = builtin_number("POL.fee_yield")
    """Priority fees to validators and delegators, annual yield on stake."""
    double_sign_rate: float = builtin_number("POL.double_sign_rate")
    """Slashings per validator-year (the staking contracts can slash; none large so far)."""
    slash_fraction: float = builtin_number("POL.slash_fraction")
    """Share of stake slashed for double signing (assumption)."""

    def checkpoints_per_day(self) -> float:
        """Checkpoints submitted per day."""
        return 1_440.0 / self.checkpoint_interval_minutes

    def checkpoint_reward(self) -> float:
        """POL paid per checkpoint: yearly validator emission / checkpoints per year."""
        return self.validator_emission_of_supply * self.total_supply / (self.checkpoints_per_day() * DAYS_PER_YEAR)

    def daily_rates(self, n_days: int, *, solo: bool = False, amount: float = 0.0) -> np.ndarray:
        """Per staked POL per day: checkpoint reward × checkpoints per day / total staked (the proposer's bonus
        and the signers' shares average out), plus fees. Supply and stake grow together, so it is constant."""
        rate = self.checkpoint_reward() * self.checkpoints_per_day() / self.total_staked
        return np.full(n_days, rate + self.fee_yield / DAYS_PER_YEAR)

    def supply_inflation(self, days: int = 365) -> float:
        """The whole POL emission, validators' and treasury's halves (fee burns on Polygon PoS left out)."""
        return self.validator_emission_of_supply + self.treasury_emission_of_supply

    def compounding(self, route: str) -> dict[str, Any]:
        """Liquid tokens (MaticX) re-stake for you: daily. Delegators' rewards wait in the ValidatorShare
        contract until claimed or re-staked (`restake`), at `restake_fee` a time."""
        if route == "liquid":
            return {"compound_days": 1}
        return {"compound_days": 0, "restake_fee": self.restake_fee}

    def exit_days(
        self, rng: np.random.Generator, n: int, congestion: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """80 checkpoints, no rewards."""
        days = self.withdrawal_delay_checkpoints * self.checkpoint_interval_minutes / 1_440.0
        return np.full(n, days), np.zeros(n)

    def entry_days(self) -> float:
        """Delegated stake earns from the next checkpoint."""
        return self.checkpoint_interval_minutes / 1_440.0

    def slashing_hazards(self) -> tuple[Hazard, ...]:
        """Double-sign slashing, shared by the validator's delegators."""
        return (
            Hazard(
                name="slashing",
                rate_per_year=self.double_sign_rate,
                loss_min=self.slash_fraction,
                loss_max=self.slash_fraction,
                source="Polygon StakeManager slash (assumed size and rate)",
            ),
        )
