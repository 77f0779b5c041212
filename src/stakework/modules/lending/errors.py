"""Lending-module errors: the shared module errors plus the lending module's own."""

from stakework.modules.errors import (
    AboveMaximum,
    BelowMinimum,
    InsufficientShares,
    ModuleError,
    NotAuthorized,
    NotReady,
    UnknownEntity,
)


class LendingError(ModuleError):
    """A lending message was refused for a lending-specific reason."""


class InsufficientLiquidity(LendingError):
    """The market's cash cannot pay the withdrawal or borrow now (Aave ``NOT_ENOUGH_AVAILABLE_USER_BALANCE`` /
    the reserve's available liquidity): wait for repayments or for the rate to draw suppliers."""


class HealthFactorTooLow(LendingError):
    """The action would leave the position's health factor below 1 or its debt above its borrowing power (Aave
    ``HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD`` / ``COLLATERAL_CANNOT_COVER_NEW_BORROW``)."""


class PositionHealthy(LendingError):
    """A liquidation of a position whose health factor is at least 1 (Aave
    ``HEALTH_FACTOR_NOT_BELOW_THRESHOLD``)."""


class NoDebt(LendingError):
    """Repaying or liquidating a debt that is not there (Aave ``NO_DEBT_OF_SELECTED_TYPE``)."""


class CapExceeded(AboveMaximum):
    """A supply past the market's supply cap, or a total past 2^64 - 1 (Aave ``SUPPLY_CAP_EXCEEDED``)."""


class BorrowingDisabled(LendingError):
    """Borrowing from a market whose ``borrow_enabled`` is 0 (Aave ``BORROWING_NOT_ENABLED``)."""


class AssetUnavailable(LendingError):
    """The stSWK market was used on a chain whose host offers no stSWK ledger (the liquid module is not enabled)."""


class InvalidParameter(LendingError):
    """A governable parameter outside its bounds, or a combination Aave refuses (the text names it)."""


class LendingInvariantBroken(LendingError):
    """An invariant of the lending module does not hold (a bug, never a user's mistake); lists every violation."""


__all__ = [
    "AboveMaximum",
    "AssetUnavailable",
    "BelowMinimum",
    "BorrowingDisabled",
    "CapExceeded",
    "HealthFactorTooLow",
    "InsufficientLiquidity",
    "InsufficientShares",
    "InvalidParameter",
    "LendingError",
    "LendingInvariantBroken",
    "ModuleError",
    "NoDebt",
    "NotAuthorized",
    "NotReady",
    "PositionHealthy",
    "UnknownEntity",
]
