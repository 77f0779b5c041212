"""Ethereum (consensus layer, Electra): issuance from the base reward, exit queue from the churn limit,
withdrawability delay and withdrawal sweep, slashing with the correlation penalty.

Every protocol constant comes from `stakework.spec.presets.MAINNET`; only market and network figures (stake,
price, queue backlogs, event rates) are defaults here. Sources: ethereum/consensus-specs, specs/altair/
beacon-chain.md (`get_base_reward_per_increment`), specs/electra/beacon-chain.md (`get_balance_churn_limit`,
`get_activation_exit_churn_limit`, `slash_validator`, `process_slashings`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from stakework.risk.chains.base import DAYS_PER_YEAR, ChainPreset
from stakework.risk.figures import builtin_number
from stakework.risk.hazards import Hazard
from stakework.spec.constants import (
    PROPOSER_WEIGHT,
    SYNC_REWARD_WEIGHT,
    TIMELY_HEAD_WEIGHT,
    TIMELY_SOURCE_WEIGHT,
    TIMELY_TARGET_WEIGHT,
    WEIGHT_DENOMINATOR,
)
from stakework.spec.presets import MAINNET, Preset
from stakework.spec.types import GWEI_PER_SWK

GWEI_PER_ETH = GWEI_PER_SWK
"""Ethereum amounts are Gwei, as stakework's base unit."""
ALL_DUTY_WEIGHTS = (
    TIMELY_SOURCE_WEIGHT + TIMELY_TARGET_WEIGHT + TIMELY_HEAD_WEIGHT + SYNC_REWARD_WEIGHT + PROPOSER_WEIGHT
)
"""Source 14 + target 26 + head 14 + sync 2 + proposer 8 = WEIGHT_DENOMINATOR (64): on average a validator that
does every duty earns one base reward per increment per epoch."""
ATTESTATION_PENALTY_WEIGHT = TIMELY_SOURCE_WEIGHT + TIMELY_TARGET_WEIGHT
"""A slashed validator misses source and target duties and is penalized their weight each epoch."""
MISSED_DUTY_PENALTY_WEIGHT = TIMELY_SOURCE_WEIGHT + TIMELY_TARGET_WEIGHT + SYNC_REWARD_WEIGHT
"""A validator that misses its duties is penalized the source and target weights (altair
`get_flag_index_deltas`: every flag but head) and, in a sync committee, as much as the sync reward it missed
(`process_sync_aggregate`): 14 + 26 + 2 = 42 of 64 base rewards on average, on top of the reward it lost."""


def epochs_per_day(preset: Preset = MAINNET) -> int:
    """Epochs in a day: 86,400 s / (12 s × 32 slots) = 225 on mainnet."""
    return 86_400_000 // (preset.SLOT_DURATION_MS * preset.SLOTS_PER_EPOCH)


def base_reward_per_increment(total_active_balance_gwei: int, preset: Preset = MAINNET) -> int:
    """consensus-specs altair `get_base_reward_per_increment`: EFFECTIVE_BALANCE_INCREMENT * BASE_REWARD_FACTOR
    // integer_squareroot(total_active_balance), in Gwei per increment per epoch (integer arithmetic)."""
    return preset.EFFECTIVE_BALANCE_INCREMENT * preset.BASE_REWARD_FACTOR // math.isqrt(total_active_balance_gwei)


def annual_issuance_eth(total_staked_eth: float, preset: Preset = MAINNET, days: float = 365.25) -> float:
    """ETH issued per year with every duty done: base reward per increment × increments × epochs; ≈ 166.3·√S
    for S ETH staked (the spec's integer formula, so the constant is exact only up to the floor)."""
    gwei = int(total_staked_eth * GWEI_PER_ETH)
    increments = gwei // preset.EFFECTIVE_BALANCE_INCREMENT
    per_epoch = base_reward_per_increment(gwei, preset) * increments
    return per_epoch * epochs_per_day(preset) * days / GWEI_PER_ETH


def activation_exit_churn_eth(total_staked_eth: float, preset: Preset = MAINNET) -> float:
    """Electra `get_activation_exit_churn_limit`: min(MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT,
    max(MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA, S // CHURN_LIMIT_QUOTIENT) rounded down to an increment), ETH/epoch."""
    gwei = int(total_staked_eth * GWEI_PER_ETH)
    balance_churn = max(preset.MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA, gwei // preset.CHURN_LIMIT_QUOTIENT)
    balance_churn -= balance_churn % preset.EFFECTIVE_BALANCE_INCREMENT
    return min(preset.MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT, balance_churn) / GWEI_PER_ETH


@dataclass(frozen=True, slots=True, kw_only=True)
class Ethereum(ChainPreset):
    """Ethereum proof of stake after the Electra fork."""

    coin: str = "ETH"
    name: str = "Ethereum"
    price_usd: float = builtin_number("ETH.price_usd")
    volatility: float = builtin_number("ETH.volatility")
    total_staked: float = builtin_number("ETH.total_staked")
    total_supply: float = builtin_number("ETH.total_supply")
    min_solo_stake: float = builtin_number("ETH.min_solo_stake")
    solo_running_cost_usd_per_year: float = builtin_number("ETH.solo_running_cost_usd_per_year")
    node_count: float = builtin_number("ETH.node_count")
    node_power_w: float = builtin_number("ETH.node_power_w")
    tx_per_day: float = builtin_number("ETH.tx_per_day")
    as_of: str = "2025-11"

    participation: float = builtin_number("ETH.participation")
    """Share of the stake that attests correctly each epoch; every flag reward scales with it."""
    el_yield: float = builtin_number("ETH.el_yield")
    """Priority fees and MEV paid to proposers, as an extra annual yield on stake (0 to leave it out)."""
    staked_growth_per_year: float = 0.0
    """Yearly growth of the total stake (issuance per ETH falls as 1/√S)."""
    exit_queue_min_eth: float = builtin_number("ETH.exit_queue_min_eth")
    """Smallest exit-queue backlog ahead of you, ETH (uniform between min and max per path)."""
    exit_queue_max_eth: float = builtin_number("ETH.exit_queue_max_eth")
    """Largest exit-queue backlog, ETH (September 2025 peak: about 2.5 M ETH, over 40 days)."""
    entry_queue_eth: float = builtin_number("ETH.entry_queue_eth")
    """Activation-queue backlog when you deposit, ETH."""
    avg_effective_balance_eth: float = builtin_number("ETH.avg_effective_balance_eth")
    """Average effective balance per validator (sets the validator count for the withdrawal sweep)."""
    isolated_slashing_rate: float = builtin_number("ETH.isolated_slashing_rate")
    """Slashings per validator-year not part of a mass event (key misuse, double signing)."""
    mass_slashing_rate: float = builtin_number("ETH.mass_slashing_rate")
    """Per validator-year rate of being caught in a correlated mass slashing (client bug, operator failure)."""
    mass_slashed_share_min: float = builtin_number("ETH.mass_slashed_share_min")
    """Smallest share of all stake slashed together in a mass event."""
    mass_slashed_share_max: float = builtin_number("ETH.mass_slashed_share_max")
    """Largest share of all stake slashed together in a mass event."""
    burn_eth_per_year: float = builtin_number("ETH.burn_eth_per_year")
    """ETH burned per year by EIP-1559 base fees (and blob fees): subtracted from issuance in
    `supply_inflation` (net issuance, as ultrasound.money counts it)."""
    solo_withdrawal_credentials: str = "0x01"
    """A solo validator's credentials: `0x01` (rewards above 32 ETH are swept to the withdrawal address: no
    compounding; most validators) or `0x02` (EIP-7251 compounding: the effective balance grows up to 2048 ETH)."""

    def __post_init__(self) -> None:
        ChainPreset.__post_init__(self)
        from stakework.risk.errors import InputValueError

        if self.solo_withdrawal_credentials not in ("0x01", "0x02"):
            raise InputValueError(
                f"ETH: solo_withdrawal_credentials must be 0x01 or 0x02, got {self.solo_withdrawal_credentials!r}"
            )
        if not (0.0 < self.participation <= 1.0):
            raise InputValueError("ETH: participation must be in (0, 1]")

    def base_reward_per_increment(self, total_staked_eth: float | None = None) -> int:
        """Gwei per increment per epoch at `total_staked_eth` (default: the preset's stake)."""
        s = self.total_staked if total_staked_eth is None else total_staked_eth
        return base_reward_per_increment(int(s * GWEI_PER_ETH))

    def daily_rates(self, n_days: int, *, solo: bool = False, amount: float = 0.0) -> np.ndarray:
        """Per-ETH reward per day: base_reward_per_increment(S_t) × 225 epochs / 10^9 × participation, plus the
        execution-layer yield; S_t grows by `staked_growth_per_year`."""
        per_day = epochs_per_day()
        out = np.empty(n_days)
        cache: dict[int, float] = {}
        for day in range(n_days):
            s = self.total_staked * (1.0 + self.staked_growth_per_year) ** (day / DAYS_PER_YEAR)
            gwei = int(s * GWEI_PER_ETH)
            key = gwei // MAINNET.EFFECTIVE_BALANCE_INCREMENT
            if key not in cache:
                brpi = base_reward_per_increment(gwei)
                share = ALL_DUTY_WEIGHTS / WEIGHT_DENOMINATOR  # = 1
                cache[key] = brpi * share * per_day / MAINNET.EFFECTIVE_BALANCE_INCREMENT * self.participation
            out[day] = cache[key]
        return out + self.el_yield / DAYS_PER_YEAR

    def uptime_rates(self, rates: np.ndarray, uptime: float) -> np.ndarray:
        """A missed duty loses its reward and is penalized too: consensus reward × uptime − the base reward ×
        42/64 × (1 − uptime) (source, target and sync penalties are not scaled by participation); the
        execution-layer yield (proposals) is only lost. Spec: altair `get_flag_index_deltas`,
        `process_sync_aggregate`."""
        el = self.el_yield / DAYS_PER_YEAR
        consensus = rates - el
        base = consensus / self.participation if self.participation > 0 else consensus
        penalty = base * MISSED_DUTY_PENALTY_WEIGHT / WEIGHT_DENOMINATOR * (1.0 - uptime)
        return consensus * uptime - penalty + el * uptime

    def supply_inflation(self, days: int = 365) -> float:
        """Net issuance: consensus rewards issued on the whole stake (its daily rate × S_t, without the
        execution-layer yield, which moves existing ETH) minus `burn_eth_per_year`, over the supply. The burn
        is counted (ultrasound.money's "supply growth"), so the figure can turn negative when fees are high."""
        rates = self.daily_rates(days) - self.el_yield / DAYS_PER_YEAR
        staked = self.total_staked * (1.0 + self.staked_growth_per_year) ** (np.arange(days) / DAYS_PER_YEAR)
        issued = float((rates * staked).mean()) * DAYS_PER_YEAR
        return (issued - self.burn_eth_per_year) / self.total_supply

    def compounding(self, route: str) -> dict[str, Any]:
        """stETH rebases and rETH re-prices daily: daily. A 0x01 validator's rewards are swept out (no
        compounding); a 0x02 one's effective balance follows its balance in 1 ETH steps with the 1.25 ETH
        upward hysteresis, up to MAX_EFFECTIVE_BALANCE_ELECTRA (EIP-7251; Electra
        `process_effective_balance_updates`). An exchange pays rewards out to your balance (assumption)."""
        if route in ("liquid", "pool"):
            return {"compound_days": 1}
        if route == "solo" and self.solo_withdrawal_credentials == "0x02":
            inc = MAINNET.EFFECTIVE_BALANCE_INCREMENT / GWEI_PER_ETH
            return {
                "compound_days": 1,
                "balance_step": inc,
                "balance_hysteresis": inc * MAINNET.HYSTERESIS_UPWARD_MULTIPLIER / MAINNET.HYSTERESIS_QUOTIENT,
                "balance_cap": MAINNET.MAX_EFFECTIVE_BALANCE_ELECTRA / GWEI_PER_ETH,
            }
        return {"compound_days": 0}

    def churn_eth_per_day(self) -> float:
        """Exit (and activation) churn, ETH per day."""
        return activation_exit_churn_eth(self.total_staked) * epochs_per_day()

    def exit_days(
        self, rng: np.random.Generator, n: int, congestion: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Queue wait (backlog / churn, earning) + MAX_SEED_LOOKAHEAD + 1 epochs + MIN_VALIDATOR_WITHDRAWABILITY_
        DELAY epochs + a uniform wait for the withdrawal sweep (validators / (MAX_WITHDRAWALS_PER_PAYLOAD per
        slot)), the last two not earning."""
        epd = epochs_per_day()
        q = rng.uniform(size=n) if congestion is None else congestion
        backlog = self.exit_queue_min_eth + (self.exit_queue_max_eth - self.exit_queue_min_eth) * q
        queue = backlog / self.churn_eth_per_day() + (MAINNET.MAX_SEED_LOOKAHEAD + 1) / epd
        validators = self.total_staked / self.avg_effective_balance_eth
        slots_per_day = epd * MAINNET.SLOTS_PER_EPOCH
        sweep_days = validators / (MAINNET.MAX_WITHDRAWALS_PER_PAYLOAD * slots_per_day)
        delay = MAINNET.MIN_VALIDATOR_WITHDRAWABILITY_DELAY / epd + rng.uniform(0.0, sweep_days, size=n)
        return queue + delay, queue

    def entry_days(self) -> float:
        """Activation queue (backlog / churn) plus the seed lookahead and one epoch for eligibility."""
        return self.entry_queue_eth / self.churn_eth_per_day() + (MAINNET.MAX_SEED_LOOKAHEAD + 2) / epochs_per_day()

    def slashing_loss(self, slashed_share: float) -> float:
        """Share of a slashed validator's balance lost: the initial penalty 1/MIN_SLASHING_PENALTY_QUOTIENT_
        ELECTRA, the correlation penalty min(PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX × slashed share, 1)
        (Electra `process_slashings`), and source+target penalties for EPOCHS_PER_SLASHINGS_VECTOR epochs."""
        initial = 1.0 / MAINNET.MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA
        correlation = min(MAINNET.PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX * slashed_share, 1.0)
        brpi = self.base_reward_per_increment()
        missed = (
            brpi
            * ATTESTATION_PENALTY_WEIGHT
            / WEIGHT_DENOMINATOR
            * MAINNET.EPOCHS_PER_SLASHINGS_VECTOR
            / MAINNET.EFFECTIVE_BALANCE_INCREMENT
        )
        return min(initial + correlation + missed, 1.0)

    def slashing_hazards(self) -> tuple[Hazard, ...]:
        """An isolated slashing (no correlation penalty to speak of) and a mass slashing event."""
        isolated = self.slashing_loss(0.0)
        return (
            Hazard(
                name="slashing",
                rate_per_year=self.isolated_slashing_rate,
                loss_min=isolated,
                loss_max=self.slashing_loss(1e-4),
                source="Electra slash_validator; rate from beaconcha.in slashing history",
            ),
            Hazard(
                name="mass_slashing",
                rate_per_year=self.mass_slashing_rate,
                loss_min=self.slashing_loss(self.mass_slashed_share_min),
                loss_max=self.slashing_loss(self.mass_slashed_share_max),
                source="Electra process_slashings correlation penalty",
            ),
        )
