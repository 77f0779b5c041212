"""Liquid-module errors: the shared module errors plus the stake limit."""

from stakework.modules.errors import (
    AboveMaximum,
    BelowMinimum,
    DuplicateKey,
    Insolvent,
    InsufficientShares,
    ModuleError,
    NotAuthorized,
    NotReady,
    UnknownEntity,
)


class StakeLimitExceeded(AboveMaximum):
    """The stake exceeds the current (replenishing) stake limit (Lido ``STAKE_LIMIT``)."""


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
