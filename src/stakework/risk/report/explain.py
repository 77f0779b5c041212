"""The arithmetic behind a staking result, with the user's numbers, and a proof-of-work vs proof-of-stake table.

Seed example: 20 % APY and a 50 % price drop give 1.2 × 0.5 = 0.6 of the starting dollar value, a 40 % loss,
although the holder has 20 % more tokens."""

from __future__ import annotations

from dataclasses import dataclass

from stakework.risk.chains.base import ChainPreset
from stakework.risk.errors import InputValueError


@dataclass(frozen=True, slots=True)
class Walkthrough:
    """Every number of the explanation."""

    amount: float
    apy: float
    price_change: float
    price0: float
    growth: float
    """1 + APY (over the period)."""
    price_factor: float
    """1 + price change."""
    tokens: float
    price1: float
    start_fiat: float
    end_fiat: float
    ratio: float
    """growth × price_factor: end dollars over start dollars."""
    fiat_return: float
    """ratio − 1 (−0.4 in the seed example)."""
    breakeven_drop: float
    """Largest price drop the staking yield covers: 1 − 1 / (1 + APY)."""
    hold_fiat: float
    extra_vs_hold: float


def walkthrough(amount: float, apy: float, price_change: float, price0: float) -> Walkthrough:
    """Tokens grow by (1 + apy), the price moves by (1 + price_change); dollars multiply both."""
    if amount <= 0:
        raise InputValueError(f"amount must be greater than 0, got {amount:g}")
    if apy <= -1:
        raise InputValueError(f"APY must be greater than -100%, got {apy:g}")
    if price_change < -1:
        raise InputValueError(f"a price cannot fall more than 100%, got {price_change:g}")
    if price0 <= 0:
        raise InputValueError("price must be > 0")
    growth = 1.0 + apy
    factor = 1.0 + price_change
    start = amount * price0
    end = amount * growth * price0 * factor
    return Walkthrough(
        amount=amount,
        apy=apy,
        price_change=price_change,
        price0=price0,
        growth=growth,
        price_factor=factor,
        tokens=amount * growth,
        price1=price0 * factor,
        start_fiat=start,
        end_fiat=end,
        ratio=growth * factor,
        fiat_return=growth * factor - 1.0,
        breakeven_drop=1.0 - 1.0 / growth,
        hold_fiat=start * factor,
        extra_vs_hold=end - start * factor,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PowReference:
    """Bitcoin, the proof-of-work reference, late 2025 (docs/risk.md gives the sources)."""

    name: str = "Bitcoin"
    coin: str = "BTC"
    hashrate_ths: float = 1.1e9
    """Network hash rate, TH/s (≈ 1.1 ZH/s)."""
    usd_per_ths: float = 15.0
    """Price of mining hardware per TH/s (current ASICs)."""
    joules_per_th: float = 20.0
    """Fleet efficiency, J/TH."""
    usd_per_kwh: float = 0.05
    """Industrial electricity price."""
    tx_per_day: float = 450_000.0
    """On-chain transactions per day."""
    as_of: str = "2025-11"

    @property
    def power_w(self) -> float:
        """Network power draw, watts."""
        return self.hashrate_ths * self.joules_per_th

    @property
    def attack_cost_usd(self) -> float:
        """A 51 % attacker must match the honest hash rate: hardware for it plus one hour of its power."""
        return self.hashrate_ths * self.usd_per_ths + self.power_w / 1000.0 * self.usd_per_kwh


@dataclass(frozen=True, slots=True)
class SecurityRow:
    """One line of the PoW vs PoS table."""

    name: str
    coin: str
    proof: str
    """`pow`, `pos` or `pos_praos`."""
    energy_per_tx_kwh: float
    energy_per_year_gwh: float
    attack_halt_usd: float
    attack_control_usd: float


def stake_to_reach(share: float, staked: float) -> float:
    """Tokens an outsider must add to hold `share` of the stake: x / (S + x) = share, so x = S·share/(1 − share)."""
    if not (0 < share < 1):
        return float("inf")
    return staked * share / (1.0 - share)


def pos_row(chain: ChainPreset) -> SecurityRow:
    """Energy from nodes × power over transactions; attack cost from buying the stake shares that halt and
    control the chain at today's price (a lower bound: buying moves the price up)."""
    per_day_kwh = chain.node_count * chain.node_power_w * 24 / 1000.0
    praos = abs(chain.halt_fraction - 0.5) < 1e-9
    return SecurityRow(
        name=chain.name,
        coin=chain.coin,
        proof="pos_praos" if praos else "pos",
        energy_per_tx_kwh=per_day_kwh / chain.tx_per_day,
        energy_per_year_gwh=per_day_kwh * 365 / 1e6,
        attack_halt_usd=stake_to_reach(chain.halt_fraction, chain.total_staked) * chain.price_usd,
        attack_control_usd=stake_to_reach(chain.control_fraction, chain.total_staked) * chain.price_usd,
    )


def pow_row(ref: PowReference | None = None) -> SecurityRow:
    """The PoW reference row; halting and controlling both take 51 % of the hash rate."""
    r = ref or PowReference()
    per_day_kwh = r.power_w * 24 / 1000.0
    return SecurityRow(
        name=r.name,
        coin=r.coin,
        proof="pow",
        energy_per_tx_kwh=per_day_kwh / r.tx_per_day,
        energy_per_year_gwh=per_day_kwh * 365 / 1e6,
        attack_halt_usd=r.attack_cost_usd,
        attack_control_usd=r.attack_cost_usd,
    )


def security_table(chains: list[ChainPreset], ref: PowReference | None = None) -> list[SecurityRow]:
    """Bitcoin first, then the given PoS chains."""
    return [pow_row(ref), *(pos_row(c) for c in chains)]
