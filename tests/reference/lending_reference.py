"""A plain reference of one Aave v3 reserve, in 80-digit decimal arithmetic (no rays, no directed rounding, no
scaled balances stored as integers), written from Aave's documentation and whitepaper rather than from stakework's
module. The module's integer results must stay within a few base units of it. (Exact Fractions would do, but the
rate of each epoch depends on the index of the last, so their denominators double every epoch.)

- borrow rate (Aave v3 ``DefaultReserveInterestRateStrategy``): ``U = debt / (cash + debt)``;
  ``U <= U*``: ``base + slope1 * U / U*``; ``U > U*``: ``base + slope1 + slope2 * (U - U*) / (1 - U*)``;
- liquidity rate: ``borrow rate * U * (1 - reserve factor)``;
- per period of ``dt`` epochs (of ``epochs_per_year`` a year): the borrow index multiplies by
  ``(1 + r / year) ** dt`` (compound), the liquidity index by ``1 + r_l * dt / year`` (linear), the treasury is
  credited ``reserve factor`` of the debt's growth, as supply;
- balances: ``scaled = amount / index`` on the way in, ``amount = scaled * index`` on the way out.

Independence: nothing here imports ``stakework.modules.lending``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from typing import Any, TypeVar

CONTEXT = Context(prec=80)
T = TypeVar("T")


def _precise(method: Callable[..., T]) -> Callable[..., T]:
    """Run ``method`` with 80 significant digits."""

    @functools.wraps(method)
    def run(*args: Any) -> T:
        with localcontext(CONTEXT):
            return method(*args)

    return run


def borrow_rate(usage: Decimal, optimal: Decimal, base: Decimal, slope1: Decimal, slope2: Decimal) -> Decimal:
    if usage <= optimal:
        return base + slope1 * usage / optimal
    return base + slope1 + slope2 * (usage - optimal) / (1 - optimal)


def bps(value: int) -> Decimal:
    return CONTEXT.divide(Decimal(value), Decimal(10_000))


@dataclass
class RefReserve:
    """One reserve: cash, indices and scaled balances as Decimals."""

    optimal: Decimal
    base: Decimal
    slope1: Decimal
    slope2: Decimal
    reserve_factor: Decimal
    epochs_per_year: int
    treasury: str = "treasury"
    cash: Decimal = Decimal(0)
    supply_index: Decimal = Decimal(1)
    debt_index: Decimal = Decimal(1)
    supply: dict[str, Decimal] = field(default_factory=dict)
    debt: dict[str, Decimal] = field(default_factory=dict)

    @_precise
    def total_debt(self) -> Decimal:
        return sum(self.debt.values(), Decimal(0)) * self.debt_index

    @_precise
    def total_supply(self) -> Decimal:
        return sum(self.supply.values(), Decimal(0)) * self.supply_index

    @_precise
    def rates(self) -> tuple[Decimal, Decimal]:
        debt = self.total_debt()
        usage = Decimal(0) if debt == 0 else debt / (self.cash + debt)
        rate = borrow_rate(usage, self.optimal, self.base, self.slope1, self.slope2)
        return rate, rate * usage * (1 - self.reserve_factor)

    @_precise
    def accrue(self, dt: int) -> None:
        if dt == 0 or self.total_debt() == 0:
            return
        borrow, liquidity = self.rates()
        before = self.total_debt()
        self.debt_index *= (1 + borrow / self.epochs_per_year) ** dt
        self.supply_index *= 1 + liquidity * dt / self.epochs_per_year
        cut = (self.total_debt() - before) * self.reserve_factor
        self.supply[self.treasury] = self.supply.get(self.treasury, Decimal(0)) + cut / self.supply_index

    @_precise
    def deposit(self, who: str, amount: int) -> None:
        self.cash += amount
        self.supply[who] = self.supply.get(who, Decimal(0)) + amount / self.supply_index

    @_precise
    def withdraw(self, who: str, amount: int) -> None:
        self.cash -= amount
        self.supply[who] -= amount / self.supply_index

    @_precise
    def borrow(self, who: str, amount: int) -> None:
        self.cash -= amount
        self.debt[who] = self.debt.get(who, Decimal(0)) + amount / self.debt_index

    @_precise
    def repay(self, who: str, amount: int) -> None:
        self.cash += amount
        self.debt[who] -= amount / self.debt_index

    @_precise
    def supply_of(self, who: str) -> Decimal:
        return self.supply.get(who, Decimal(0)) * self.supply_index

    @_precise
    def debt_of(self, who: str) -> Decimal:
        return self.debt.get(who, Decimal(0)) * self.debt_index


def health_factor(collateral: list[tuple[Fraction, Fraction]], debt_value: Fraction) -> Fraction | None:
    """Aave: ``sum(collateral value x liquidation threshold) / total debt value``; None without debt."""
    if debt_value == 0:
        return None
    return sum((value * lt for value, lt in collateral), Fraction(0)) / debt_value


def liquidation(
    debt: Fraction,
    collateral: Fraction,
    debt_price: Fraction,
    collateral_price: Fraction,
    bonus: Fraction,
    close_factor: Fraction,
    cover: Fraction | None = None,
) -> tuple[Fraction, Fraction]:
    """Aave v3 ``liquidationCall`` without rounding: (debt repaid, collateral seized)."""
    want = debt * close_factor if cover is None else min(cover, debt * close_factor)
    seized = want * debt_price / collateral_price * (1 + bonus)
    if seized > collateral:
        return collateral * collateral_price / debt_price / (1 + bonus), collateral
    return want, seized
