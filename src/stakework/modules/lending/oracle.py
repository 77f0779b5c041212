"""The price of stSWK in SWK that values collateral and debt (docs/modules.md, "Lending module", "The oracle").

``price = min(R, max(T, R * (1 - d)))`` where

- ``R`` is the liquid module's exchange rate (``host.staked_token_ledger.swk_value``: what a share redeems for),
  capped Aave-CAPO-style: it may exceed the rate the oracle accepted at the last epoch (``state.oracle_anchor``) by
  at most ``oracle_max_growth_ppb`` per epoch since, so a donation or a reward spike cannot pump the collateral's
  value at once (the liquid module also bounds its positive rebases); a fall (a slashing) passes at once;
- ``T`` is the AMM's time-weighted price (``host.amm_oracle.twap_price``), when the chain runs an AMM that has one;
- ``d`` is ``oracle_max_discount_bps``: the market may pull the price below the exchange rate by at most that much
  (0: the exchange rate alone, which is also the fallback on a chain without an AMM).

So collateral is never valued above what it redeems for (a manipulated or bubbly AMM cannot inflate it), a real
depeg is seen down to the bound (June 2022's stETH at 0.93-0.94 ETH is within the default 10 %), and a
manipulation of the pool's TWAP can push the price down by at most the bound (liquidating positions within it:
the attack's cost is the AMM's manipulation cost over its window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.host import ModuleHost
from stakework.modules.lending.parameters import MAX_U64
from stakework.modules.lending.protocols import ORACLE_SCALE, StakedTokenLedger, amm_oracle_of
from stakework.modules.lending.state import LendingState
from stakework.spec.errors import StakeworkError

GROWTH_SCALE = 10**9
"""``oracle_max_growth_ppb`` is in parts per 10^9 of the anchor per epoch."""


@dataclass(frozen=True, slots=True)
class PriceView:
    """Every input of the stSWK price and the result (SWK per share x 10^18; None: not available)."""

    exchange_rate: int | None
    capped_rate: int | None
    twap: int | None
    spot: int | None
    price: int
    source: str
    """``exchange rate``, ``exchange rate (capped)``, ``AMM TWAP``, ``AMM TWAP at the bound`` or ``none``."""


def exchange_rate(host: ModuleHost) -> int | None:
    """SWK one stSWK share redeems for, x 10^18 (rounded down); None on a chain without the liquid module."""
    ledger = getattr(host, "staked_token_ledger", None)
    if not isinstance(ledger, StakedTokenLedger):
        return None
    return ledger.swk_value(ORACLE_SCALE)


def capped_rate(state: LendingState, rate: int, epoch: int) -> int:
    """``rate``, at most the anchor grown by ``oracle_max_growth_ppb`` per epoch since it was set (Aave CAPO's
    ``maxRatio = snapshotRatio + maxGrowthPerSecond * elapsed``), and at most 2^64 - 1."""
    anchor = state.oracle_anchor
    if anchor == 0:
        return min(rate, MAX_U64)
    # equivalent mutant (keeping argument 1|const 0 to -1): the anchor's epoch is never past the chain's
    elapsed = max(epoch - state.oracle_epoch, 0)
    cap = anchor + mul_div(anchor, state.params.oracle_max_growth_ppb * elapsed, GROWTH_SCALE, Rounding.DOWN)
    return min(rate, cap, MAX_U64)


def refresh_anchor(state: LendingState, host: ModuleHost) -> None:
    """At an epoch: the capped rate becomes the anchor the next epoch's cap grows from."""
    rate = exchange_rate(host)
    if rate is not None:
        state.oracle_anchor = capped_rate(state, rate, host.epoch)
        state.oracle_epoch = host.epoch


def _read(price: Callable[[], int]) -> int | None:
    """One AMM price; None when the AMM has none (an empty pool, a window without history: it refuses)."""
    try:
        value = price()
    except StakeworkError:
        return None
    return value if value > 0 else None


def _amm(host: ModuleHost) -> tuple[int | None, int | None]:
    """The AMM's (TWAP, spot price); None for each it cannot give, both on a chain without an AMM."""
    oracle = amm_oracle_of(host)
    if oracle is None:
        return None, None
    return _read(oracle.twap_price), _read(oracle.spot_price)


def stswk_price(state: LendingState, host: ModuleHost) -> PriceView:
    """The stSWK price and its inputs (see the module docstring)."""
    rate = exchange_rate(host)
    twap, spot = _amm(host)
    if rate is None:
        return PriceView(None, None, twap, spot, 0, "none")
    capped = capped_rate(state, rate, host.epoch)
    source = "exchange rate" if capped == rate else "exchange rate (capped)"
    discount = state.params.oracle_max_discount_bps
    if twap is None or discount == 0 or twap >= capped:
        return PriceView(rate, capped, twap, spot, capped, source)
    floor = mul_div(capped, BPS - discount, BPS, Rounding.DOWN)
    if twap >= floor:
        return PriceView(rate, capped, twap, spot, twap, "AMM TWAP")
    return PriceView(rate, capped, twap, spot, floor, "AMM TWAP at the bound")


def prices(state: LendingState, host: ModuleHost) -> dict[str, int]:
    """Each market's asset in SWK x 10^18: SWK is the unit; stSWK by :func:`stswk_price`."""
    return {"swk": ORACLE_SCALE, "stswk": stswk_price(state, host).price}
