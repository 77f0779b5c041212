"""Errors of the node's chain database."""

from __future__ import annotations

from stakework.spec.errors import StakeworkError


class StorageError(StakeworkError):
    """The chain database cannot be used as asked: missing, corrupt, another schema version, another chain, in
    use by another node, or asked to record something inconsistent. The message names the file and what to do."""
