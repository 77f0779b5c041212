"""Liquid-module errors: the shared module errors plus the stake limit."""

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


class StakeLimitExceeded(AboveMaximum):
    """The stake exceeds the current (replenishing) stake limit (Lido ``STAKE_LIMIT``)."""


class DuplicateKey(ModuleError):
    """A validator key is already registered."""


__all__ = [
    "AboveMaximum",
    "BelowMinimum",
    "DuplicateKey",
    "Insolvent",
    "InsufficientShares",
    "ModuleError",
    "NotAuthorized",
    "NotReady",
    "StakeLimitExceeded",
    "UnknownEntity",
]
