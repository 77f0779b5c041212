"""Read-only lending views for the API, the CLI and the scenarios: each market (cash, supply, debt, usage, rates,
indices, deficit), an account's position (balances, values, health factor, borrowing power), the oracle's inputs,
the bad-debt record and the parameters with their bounds. Every function reads; none changes the state (the
indices are shown accrued to the host's epoch on a copy of the market's figures)."""

from __future__ import annotations

from typing import Any

import msgspec

from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.host import ModuleHost
from stakework.modules.lending.handlers import (
    WAD,
    account_values,
    accrue,
    market_rates,
    quote_liquidation,
    risk,
)
from stakework.modules.lending.oracle import PriceView, prices, stswk_price
from stakework.modules.lending.parameters import BOUNDS, MARKETS
from stakework.modules.lending.ray import RAY
from stakework.modules.lending.state import BadDebt, LendingState, Market
from stakework.spec.errors import StakeworkError


class MarketView(msgspec.Struct, kw_only=True):
    asset: str
    cash: int
    total_supply: int
    """What suppliers (the treasury included) can claim, rounded down."""
    total_debt: int
    usage_bps: int
    borrow_rate: int
    """Variable borrow rate, a ray a year (Aave ``currentVariableBorrowRate``)."""
    supply_rate: int
    """Liquidity rate, a ray a year (Aave ``currentLiquidityRate``)."""
    borrow_apr_bps: int
    supply_apr_bps: int
    liquidity_index: int
    borrow_index: int
    """Both rays (10^27 is 1)."""
    last_update_epoch: int
    price: int
    """SWK per unit x 10^18 at the oracle."""
    suppliers: int
    borrowers: int
    deficit: int
    bad_debt_total: int
    covered_total: int
    interest_total: int
    reserve_total: int
    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int
    reserve_factor_bps: int
    supply_cap: int
    borrow_enabled: bool


class MarketPosition(msgspec.Struct, kw_only=True):
    supplied: int
    borrowed: int
    collateral: bool
    supply_value: int
    debt_value: int


class PositionView(msgspec.Struct, kw_only=True):
    emode: bool
    markets: dict[str, MarketPosition]
    collateral_value: int
    """SWK (Gwei) of the supply that counts as collateral, at the oracle, rounded down."""
    debt_value: int
    borrow_power: int
    """SWK (Gwei) the collateral may carry at its LTV."""
    available_to_borrow: int
    """SWK (Gwei) more that may be borrowed now (borrow power less debt, at least 0)."""
    health_factor: int | None
    """x 10^18; None: no debt."""
    liquidatable: bool


class OracleView(msgspec.Struct, kw_only=True):
    exchange_rate: int | None
    capped_rate: int | None
    twap: int | None
    spot: int | None
    price: int
    source: str
    anchor: int
    anchor_epoch: int
    max_discount_bps: int
    max_growth_ppb: int


class ParameterView(msgspec.Struct, kw_only=True):
    value: int
    min: int
    max: int
    doc: str


def accrued_market(state: LendingState, name: str, epoch: int) -> Market:
    """A copy of market ``name``'s figures accrued to ``epoch`` (its supply map copied, since accrual mints the
    treasury's part; its debt map shared, unchanged)."""
    market = state.market(name)
    copy = msgspec.structs.replace(market, supply=dict(market.supply) if market.supply else {})
    accrue(state_with_market(state, name, copy), copy, epoch)
    return copy


def state_with_market(state: LendingState, name: str, market: Market) -> LendingState:
    """A shallow copy of ``state`` whose market ``name`` is ``market`` (for read-only previews)."""
    return msgspec.structs.replace(state, **{name: market})


def market_view(state: LendingState, host: ModuleHost, name: str) -> MarketView:
    m = accrued_market(state, name, host.epoch)
    view_state = state_with_market(state, name, m)
    rates = market_rates(view_state, m)
    p = state.params
    price = prices(state, host)[name]
    return MarketView(
        asset=name,
        cash=m.cash,
        total_supply=m.total_supply(),
        total_debt=m.total_debt(),
        usage_bps=mul_div(rates.usage, BPS, RAY, Rounding.DOWN),
        borrow_rate=rates.borrow,
        supply_rate=rates.supply,
        borrow_apr_bps=mul_div(rates.borrow, BPS, RAY, Rounding.DOWN),
        supply_apr_bps=mul_div(rates.supply, BPS, RAY, Rounding.DOWN),
        liquidity_index=m.supply_index,
        borrow_index=m.debt_index,
        last_update_epoch=m.last_update_epoch,
        price=price,
        suppliers=len(m.supply),
        borrowers=len(m.debt),
        deficit=m.deficit,
        bad_debt_total=m.bad_debt_total,
        covered_total=m.covered_total,
        interest_total=m.interest_total,
        reserve_total=m.reserve_total,
        ltv_bps=p.of(name, "ltv_bps"),
        liquidation_threshold_bps=p.of(name, "liquidation_threshold_bps"),
        liquidation_bonus_bps=p.of(name, "liquidation_bonus_bps"),
        reserve_factor_bps=p.of(name, "reserve_factor_bps"),
        supply_cap=p.of(name, "supply_cap"),
        borrow_enabled=bool(p.of(name, "borrow_enabled")),
    )


def accrued_state(state: LendingState, epoch: int) -> LendingState:
    """A shallow copy of ``state`` with both markets' figures accrued to ``epoch`` (nothing in ``state`` changes)."""
    view = state
    for name in MARKETS:
        view = state_with_market(view, name, accrued_market(state, name, epoch))
    return view


def position(state: LendingState, host: ModuleHost, account: bytes) -> PositionView:
    """``account``'s position now: balances (accrued to the epoch), values at the oracle, health factor."""
    view = accrued_state(state, host.epoch)
    price = prices(state, host)
    values = account_values(view, account, price)
    markets = {}
    for name in MARKETS:
        m = view.market(name)
        supplied, borrowed = m.supply_of(account), m.debt_of(account)
        markets[name] = MarketPosition(
            supplied=supplied,
            borrowed=borrowed,
            collateral=view.is_collateral(account, name),
            supply_value=mul_div(supplied, price[name], WAD, Rounding.DOWN),
            debt_value=mul_div(borrowed, price[name], WAD, Rounding.UP),
        )
    return PositionView(
        emode=view.in_emode(account),
        markets=markets,
        collateral_value=values.collateral,
        debt_value=values.debt,
        borrow_power=values.borrow_power // BPS,
        available_to_borrow=max(values.borrow_power // BPS - values.debt, 0),
        health_factor=values.health_factor(),
        liquidatable=not values.healthy(),
    )


def health_factor(state: LendingState, host: ModuleHost, account: bytes) -> int | None:
    """``account``'s health factor x 10^18 now (None: no debt)."""
    return account_values(accrued_state(state, host.epoch), account, prices(state, host)).health_factor()


def liquidation_quote(
    state: LendingState, host: ModuleHost, borrower: bytes, debt_market: str, collateral_market: str, amount: int | None
) -> dict[str, Any]:
    """What ``lending.liquidate`` would repay and seize now, or why it would be refused (``error``)."""
    view = accrued_state(state, host.epoch)
    try:
        q = quote_liquidation(view, host, borrower, debt_market, collateral_market, amount)
    except StakeworkError as exc:
        return {"error": str(exc)}
    return {
        "debt_repaid": q.debt_repaid,
        "collateral_seized": q.collateral_seized,
        "max_debt": q.max_debt,
        "health_factor": q.health_factor,
    }


def oracle(state: LendingState, host: ModuleHost) -> OracleView:
    v: PriceView = stswk_price(state, host)
    return OracleView(
        exchange_rate=v.exchange_rate,
        capped_rate=v.capped_rate,
        twap=v.twap,
        spot=v.spot,
        price=v.price,
        source=v.source,
        anchor=state.oracle_anchor,
        anchor_epoch=state.oracle_epoch,
        max_discount_bps=state.params.oracle_max_discount_bps,
        max_growth_ppb=state.params.oracle_max_growth_ppb,
    )


def emode(state: LendingState) -> dict[str, int]:
    """The correlated-asset mode's LTV, threshold and bonus (bps)."""
    ltv, lt, bonus = risk(state, "swk", True)
    return {"ltv_bps": ltv, "liquidation_threshold_bps": lt, "liquidation_bonus_bps": bonus}


def bad_debts(state: LendingState, limit: int) -> list[BadDebt]:
    """The last ``limit`` write-offs, oldest first."""
    return state.bad_debts[-limit:] if limit > 0 else []


def parameters(state: LendingState) -> dict[str, ParameterView]:
    return {
        name: ParameterView(value=getattr(state.params, name), min=b.min, max=b.max, doc=b.doc)
        for name, b in BOUNDS.items()
    }
