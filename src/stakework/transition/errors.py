"""Errors raised by the transition for input a user or peer controls (an invalid operation, a bad state)."""

from stakework.spec.errors import StakeworkError


class TransitionError(StakeworkError):
    """An operation or a state the rules refuse; the message names the rule that failed."""


class InvalidOperation(TransitionError):
    """A block operation (exit, slashing, deposit request...) that fails the spec's checks."""
