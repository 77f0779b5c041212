"""Pool errors: the shared module errors, re-exported under the pool's name for ``except`` clauses."""

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


class PoolError(ModuleError):
    """A pool message was refused for a pool-specific reason."""


__all__ = [
    "AboveMaximum",
    "BelowMinimum",
    "DuplicateKey",
    "Insolvent",
    "InsufficientShares",
    "ModuleError",
    "NotAuthorized",
    "NotReady",
    "PoolError",
    "UnknownEntity",
]
