"""AMM errors: the shared module errors plus the AMM's own (all ``ModuleError`` -> ``StakeworkError``)."""

from stakework.modules.errors import (
    AboveMaximum,
    BelowMinimum,
    InsufficientShares,
    ModuleError,
    NotAuthorized,
    NotReady,
)


class AmmError(ModuleError):
    """An AMM message was refused for an AMM-specific reason."""


class SlippageExceeded(AmmError):
    """The result is worse than the message's bound (``min_dy``, ``max_dx``, ``min_mint``, ``min_amounts``): the
    pool moved since the quote; quote again or widen the bound."""


class EmptyPool(AmmError):
    """The pool holds no liquidity (or one side is empty): add liquidity of both coins first."""


class AssetUnavailable(AmmError):
    """The pool needs the liquid module's stSWK ledger and share price, which this chain does not offer."""


class NoConvergence(AmmError):
    """Newton's method did not converge in 255 iterations (Curve raises the same); the amounts are out of range."""


class RoundingRefused(AmmError):
    """The trade is too small to price without a loss to the pool at its rounding edge: trade a larger amount."""


class InvalidParameter(AmmError):
    """A parameter or a ramp of A outside its bounds (the text names it and the bounds)."""


class OracleUnavailable(AmmError):
    """The pool has no price yet (no liquidity), or not a full window of price history for its time-weighted price."""


__all__ = [
    "AboveMaximum",
    "AmmError",
    "AssetUnavailable",
    "BelowMinimum",
    "EmptyPool",
    "InsufficientShares",
    "InvalidParameter",
    "ModuleError",
    "NoConvergence",
    "NotAuthorized",
    "NotReady",
    "OracleUnavailable",
    "RoundingRefused",
    "SlippageExceeded",
]
