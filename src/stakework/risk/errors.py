"""User-input errors of the simulator. Each is a `StakeworkError`, so the command line prints its text and exits
with status 2, never a traceback."""

from __future__ import annotations

from stakework.spec.errors import StakeworkError


class SimError(StakeworkError):
    """Bad input to the simulator: a coin, route, amount, horizon, file or parameter."""


class UnknownCoinError(SimError):
    """The coin has no chain preset; the message lists the known coins."""


class UnknownRouteError(SimError):
    """The route is not one of the routes the chain offers; the message lists them."""


class InputValueError(SimError):
    """A number is out of range (amount <= 0, horizon over 50 years, a negative rate ...)."""


class PriceCsvError(SimError):
    """A price CSV is malformed; the message names the file and the line number."""


class ConfigError(SimError):
    """A TOML file or `--set` override names an unknown key or has a value of the wrong type."""
