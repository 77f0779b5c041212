"""Staking routes: how a holder stakes (solo validator, pool, liquid staking token, exchange custody) or does
not (hold), each with its fees, uptime, entry and exit rules and hazards. Defaults per chain are in
`stakework.risk.routes.defaults` and documented in docs/risk.md."""

from __future__ import annotations

from stakework.risk.routes.base import ROUTE_NAMES, ExitMode, Route
from stakework.risk.routes.defaults import get_route, routes_for

__all__ = ["ROUTE_NAMES", "ExitMode", "Route", "get_route", "routes_for"]
