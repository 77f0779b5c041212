"""The route dataclass: everything that sits between the chain's gross reward and what the holder gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stakework.risk.errors import InputValueError
from stakework.risk.hazards import Hazard

ExitMode = Literal["none", "protocol", "sell", "custody"]
"""How a holder gets out: `none` (already liquid), `protocol` (the chain's unbonding or exit queue), `sell`
(sell the liquid token on the market at its discount), `custody` (ask the exchange, which unbonds for you)."""

ROUTE_NAMES = ("solo", "pool", "liquid", "exchange", "hold")
"""Every route the analyzer knows, in display order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One way to hold a coin, with its costs and risks."""

    name: str
    """`solo`, `pool`, `liquid`, `exchange` or `hold`."""
    label: str
    """What it is on this chain, e.g. "liquid staking token (stETH-like)"."""
    stakes: bool = True
    """False for `hold`: no rewards at all."""
    fee: float = 0.0
    """Share of rewards taken by the operator, protocol or exchange (commission, margin)."""
    uptime: float = 1.0
    """Share of the possible rewards actually earned (missed duties, downtime)."""
    running_cost_usd_per_year: float = 0.0
    """Fixed cost paid in dollars (hardware, power), subtracted from the fiat result."""
    min_stake: float = 0.0
    """Least amount of tokens the route accepts."""
    protocol_entry: bool = True
    """True if rewards start only after the chain's activation or warm-up delay."""
    exit: ExitMode = "protocol"
    """How the holder gets out (see `ExitMode`)."""
    exit_extra_days: float = 0.0
    """Days added to the exit by the route itself (pool or exchange processing)."""
    discount: float = 0.0
    """Everyday discount of the liquid token to its redemption value when sold."""
    hazards: tuple[Hazard, ...] = ()
    """Rare losses on this route."""
    compound_days: int = 1
    """Days between rewards joining the earning stake by themselves: 1 for a token that rebases or re-prices
    daily (stETH, rETH), the epoch where the chain credits rewards to the stake (Solana 2, Cardano 5), 0 where
    they never do (paid out, like an ETH 0x01 validator's sweep, or left to be claimed, as on Cosmos and
    Polygon). `RunConfig.compound_days`, when set, overrides it for every route."""
    restake_days: int = 0
    """Where rewards do not compound by themselves: days between your claims and re-delegations (0: never)."""
    restake_fee: float = 0.0
    """Tokens paid in transaction fees for each claim and re-delegation (skipped while the rewards waiting are
    worth less than the fee)."""
    balance_step: float = 0.0
    """Tokens: the earning (effective) balance moves only in whole steps of this size, and up only once the
    balance exceeds it by `balance_hysteresis` (an ETH 0x02 validator: 1 ETH and 1.25 ETH); 0: every token
    earns."""
    balance_hysteresis: float = 0.0
    """See `balance_step`."""
    balance_cap: float = 0.0
    """Largest earning balance in tokens (ETH 0x02: 2048 ETH, the rest is swept out); 0: no cap."""
    redeem_share: float = 0.0
    """For `sell` exits: probability that the protocol redeems the token at its full value at once (a pool's
    deposit buffer, e.g. Rocket Pool's deposit pool), so that no market discount or depeg is paid."""

    def __post_init__(self) -> None:
        if self.name not in ROUTE_NAMES:
            raise InputValueError(f"route name must be one of {', '.join(ROUTE_NAMES)}")
        for field in ("fee", "uptime", "discount", "redeem_share"):
            value = getattr(self, field)
            if not (0.0 <= value <= 1.0):
                raise InputValueError(f"route {self.name}: {field} must be between 0 and 1, got {value}")
        if self.running_cost_usd_per_year < 0 or self.min_stake < 0 or self.exit_extra_days < 0:
            raise InputValueError(f"route {self.name}: costs, minimum stake and extra days must be >= 0")
        if self.compound_days < 0 or self.restake_days < 0:
            raise InputValueError(f"route {self.name}: compound_days and restake_days must be >= 0")
        if min(self.restake_fee, self.balance_step, self.balance_hysteresis, self.balance_cap) < 0:
            raise InputValueError(f"route {self.name}: restake_fee and the balance fields must be >= 0")
        if self.exit not in ("none", "protocol", "sell", "custody"):
            raise InputValueError(f"route {self.name}: exit must be none, protocol, sell or custody")
