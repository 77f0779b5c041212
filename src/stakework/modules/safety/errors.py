"""Safety-module errors: the shared module errors plus the safety module's own."""

from stakework.modules.errors import (
    AboveMaximum,
    BelowMinimum,
    Insolvent,
    InsufficientShares,
    ModuleError,
    NotAuthorized,
    NotReady,
    UnknownEntity,
)


class SafetyError(ModuleError):
    """A safety message was refused for a safety-specific reason."""


class CooldownNotStarted(NotReady):
    """A redeem without a cooldown (Aave ``INSUFFICIENT_COOLDOWN``): send ``safety.cooldown`` first."""


class CooldownNotOver(NotReady):
    """A redeem before the cooldown has run (Aave ``INSUFFICIENT_COOLDOWN``)."""


class UnstakeWindowOver(NotReady):
    """A redeem after the unstake window closed (Aave ``UNSTAKE_WINDOW_FINISHED``): start a new cooldown."""


class SlashingOngoing(NotReady):
    """Staking, or a second slashing, during the post-slash window (Aave ``SLASHING_ONGOING`` /
    ``PREVIOUS_SLASHING_NOT_SETTLED``)."""


class AssetUnavailable(SafetyError):
    """The stSWK vault was used on a chain whose host offers no stSWK ledger (the liquid module is not enabled)."""


class InvalidParameter(SafetyError):
    """A governable parameter outside its bounds (the text names it and the bounds)."""


class SafetyInvariantBroken(SafetyError):
    """An invariant of the safety module does not hold (a bug, never a user's mistake); lists every violation."""


__all__ = [
    "AboveMaximum",
    "AssetUnavailable",
    "BelowMinimum",
    "CooldownNotOver",
    "CooldownNotStarted",
    "Insolvent",
    "InsufficientShares",
    "InvalidParameter",
    "ModuleError",
    "NotAuthorized",
    "NotReady",
    "SafetyError",
    "SafetyInvariantBroken",
    "SlashingOngoing",
    "UnknownEntity",
    "UnstakeWindowOver",
]
