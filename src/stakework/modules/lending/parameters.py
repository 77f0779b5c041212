"""The lending module's governable risk parameters, each with its bounds and a one-line doc, and the combinations
Aave's configurator refuses.

Every parameter is a field of :class:`LendingParameters` (a frozen ``msgspec.Struct`` in the state, as the safety
module keeps its own); governance sets one through ``ModuleDef.set_param`` (the ``lending.*`` parameters of
``gov.propose``) or the module's ``lending.set_parameters`` (its governance executor); either way the whole set is
checked (:func:`check_parameters`) before anything applies.

Defaults are of the order of Aave v3 Ethereum's WETH (the SWK market) and wstETH (the stSWK market) reserves, and
its ETH-correlated e-mode category (LTV 93 %, liquidation threshold 95 %, bonus 1 %); the close factor is Aave
v3's (50 %, 100 % below a health factor of 0.95).
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from stakework.modules.arith import BPS
from stakework.modules.lending.errors import InvalidParameter

MAX_U64 = 2**64 - 1
MARKETS: tuple[str, ...] = ("swk", "stswk")
"""The markets: SWK (amounts in Gwei) and stSWK (amounts in the liquid module's shares, wstETH-like)."""


@dataclass(frozen=True, slots=True)
class Bound:
    """The range governance may set a parameter in (inclusive) and what the parameter means."""

    min: int
    max: int
    doc: str


def _market_bounds(m: str) -> dict[str, Bound]:
    return {
        f"{m}_ltv_bps": Bound(0, 9_800, f"{m} as collateral: most one may borrow against it, bps of its value (LTV)"),
        f"{m}_liquidation_threshold_bps": Bound(
            0, 9_900, f"{m} as collateral: value share below which debt may be liquidated, bps"
        ),
        f"{m}_liquidation_bonus_bps": Bound(0, 2_500, f"{m} as collateral: extra a liquidator receives, bps"),
        f"{m}_reserve_factor_bps": Bound(0, BPS, f"{m} market: part of the borrowers' interest for the treasury, bps"),
        f"{m}_optimal_usage_bps": Bound(100, 9_900, f"{m} market: usage where the rate curve kinks, bps"),
        f"{m}_base_rate_bps": Bound(0, BPS, f"{m} market: borrow rate at zero usage, bps a year"),
        f"{m}_slope1_bps": Bound(0, 100_000, f"{m} market: borrow rate added from 0 to optimal usage, bps a year"),
        f"{m}_slope2_bps": Bound(0, 100_000, f"{m} market: borrow rate added from optimal to full usage, bps a year"),
        f"{m}_supply_cap": Bound(0, MAX_U64, f"{m} market: most that may be supplied (0: no cap but 2^64 - 1)"),
        f"{m}_borrow_enabled": Bound(0, 1, f"{m} market: 1 if it may be borrowed"),
    }


BOUNDS: dict[str, Bound] = {
    **_market_bounds("swk"),
    **_market_bounds("stswk"),
    "emode_ltv_bps": Bound(0, 9_800, "correlated-asset mode (Aave e-mode): LTV of any collateral, bps"),
    "emode_liquidation_threshold_bps": Bound(0, 9_900, "e-mode: liquidation threshold, bps"),
    "emode_liquidation_bonus_bps": Bound(0, 2_500, "e-mode: liquidation bonus, bps"),
    "close_factor_bps": Bound(1_000, BPS, "most of a debt one liquidation may repay, bps (Aave v3: 50 %)"),
    "close_factor_full_hf_bps": Bound(
        0, BPS, "below this health factor (bps of 1) a liquidation may repay the whole debt (Aave v3: 0.95)"
    ),
    "oracle_max_discount_bps": Bound(
        0, 5_000, "most the AMM's time-weighted price may pull stSWK below its exchange rate, bps (0: rate only)"
    ),
    "oracle_max_growth_ppb": Bound(
        1, 10**9, "most the stSWK exchange rate the oracle reads may grow per epoch, in 1e-9 (Aave CAPO)"
    ),
}
"""Every governable parameter: name -> bounds and doc (the order of :class:`LendingParameters`' fields)."""


class LendingParameters(msgspec.Struct, frozen=True, kw_only=True):
    """The values in force; :data:`BOUNDS` gives each one's range and meaning."""

    swk_ltv_bps: int = 8_000
    swk_liquidation_threshold_bps: int = 8_250
    swk_liquidation_bonus_bps: int = 500
    swk_reserve_factor_bps: int = 1_500
    swk_optimal_usage_bps: int = 9_000
    swk_base_rate_bps: int = 0
    swk_slope1_bps: int = 270
    swk_slope2_bps: int = 8_000
    swk_supply_cap: int = 0
    swk_borrow_enabled: int = 1
    stswk_ltv_bps: int = 7_850
    stswk_liquidation_threshold_bps: int = 8_100
    stswk_liquidation_bonus_bps: int = 600
    stswk_reserve_factor_bps: int = 500
    stswk_optimal_usage_bps: int = 4_500
    stswk_base_rate_bps: int = 0
    stswk_slope1_bps: int = 700
    stswk_slope2_bps: int = 30_000
    stswk_supply_cap: int = 0
    stswk_borrow_enabled: int = 1
    emode_ltv_bps: int = 9_300
    emode_liquidation_threshold_bps: int = 9_500
    emode_liquidation_bonus_bps: int = 100
    close_factor_bps: int = 5_000
    close_factor_full_hf_bps: int = 9_500
    oracle_max_discount_bps: int = 1_000
    oracle_max_growth_ppb: int = 10_000

    def of(self, market: str, name: str) -> int:
        """Market ``market``'s parameter ``name`` (``ltv_bps``, ``slope1_bps``, ...)."""
        value: int = getattr(self, f"{market}_{name}")
        return value


def _risk_triple(params: LendingParameters, prefix: str) -> str | None:
    ltv = getattr(params, f"{prefix}_ltv_bps")
    lt = getattr(params, f"{prefix}_liquidation_threshold_bps")
    bonus = getattr(params, f"{prefix}_liquidation_bonus_bps")
    if ltv > lt:
        return f"{prefix}_ltv_bps ({ltv}) must not exceed {prefix}_liquidation_threshold_bps ({lt})"
    if lt * (BPS + bonus) > BPS * BPS:
        return (
            f"{prefix}_liquidation_threshold_bps x (1 + bonus) must not exceed 100 % ({lt} x {BPS + bonus} bps): "
            "a liquidation would pay out more collateral than the position holds (Aave's configurator rule)"
        )
    return None


def check_parameters(params: LendingParameters) -> None:
    """Raise :class:`InvalidParameter` naming the first parameter outside its bounds or the first combination Aave
    refuses: LTV above the threshold, threshold x (1 + bonus) above 100 %, an e-mode threshold below a market's (e-mode
    must never lower a health factor)."""
    for name, bound in BOUNDS.items():
        value = getattr(params, name)
        if type(value) is not int or not bound.min <= value <= bound.max:
            raise InvalidParameter(
                f"{name} must be an integer in {bound.min}..{bound.max} ({bound.doc}), got {value!r}"
            )
    for prefix in (*MARKETS, "emode"):
        problem = _risk_triple(params, prefix)
        if problem:
            raise InvalidParameter(problem)
    for m in MARKETS:
        if params.emode_liquidation_threshold_bps < params.of(m, "liquidation_threshold_bps"):
            raise InvalidParameter(
                f"emode_liquidation_threshold_bps ({params.emode_liquidation_threshold_bps}) must be at least "
                f"{m}_liquidation_threshold_bps ({params.of(m, 'liquidation_threshold_bps')})"
            )
        if params.emode_ltv_bps < params.of(m, "ltv_bps"):
            raise InvalidParameter(
                f"emode_ltv_bps ({params.emode_ltv_bps}) must be at least {m}_ltv_bps ({params.of(m, 'ltv_bps')})"
            )


def with_changes(params: LendingParameters, **changes: int) -> LendingParameters:
    """``params`` with ``changes`` applied, checked as a whole (nothing applies if one value is refused)."""
    unknown = sorted(set(changes) - set(BOUNDS))
    if unknown:
        raise InvalidParameter(f"unknown lending parameter(s) {', '.join(unknown)}; known: {', '.join(BOUNDS)}")
    new = msgspec.structs.replace(params, **changes)
    check_parameters(new)
    return new
