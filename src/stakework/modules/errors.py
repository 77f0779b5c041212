"""Errors a module raises for user-triggerable conditions (never ``assert``). Shared by every module."""

from __future__ import annotations

from stakework.spec.errors import StakeworkError


class ModuleError(StakeworkError):
    """A module refused a message; the text says why."""


class InsufficientShares(ModuleError):
    """The sender holds fewer shares (or tokens) than the message moves."""


class BelowMinimum(ModuleError):
    """An amount is below the module's minimum (or would mint zero shares / pay zero assets)."""


class AboveMaximum(ModuleError):
    """An amount is above the module's maximum (request size, commission, stake limit)."""


class UnknownEntity(ModuleError):
    """No pool, request or operator with that id."""


class NotAuthorized(ModuleError):
    """The sender may not do this (not the owner of the request, not the operator)."""


class NotReady(ModuleError):
    """The action is valid later (a request not finalized yet)."""


class Insolvent(ModuleError):
    """The ledger holds shares but no assets (everything was lost); deposits would be priced at infinity."""


class DuplicateKey(ModuleError):
    """A validator key is already registered (a key serves one pool or operator only)."""
