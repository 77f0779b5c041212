"""Fixtures for the simulator tests: small, seeded runs shared across tests."""

from __future__ import annotations

import pytest

from stakework.risk.montecarlo import SimulationResult
from stakework.risk.report.summary import RouteSummary, summarize
from stakework.risk.scenario import build_scenario


@pytest.fixture(scope="session")
def eth_compare() -> tuple[SimulationResult, list[RouteSummary]]:
    """Every ETH route for 32 ETH over a year, 4,000 paths, seeded."""
    scenario = build_scenario("ETH", {"run": {"amount": 32, "days": 365, "paths": 4_000, "seed": 7}})
    result = scenario.run()
    return result, summarize(result)
