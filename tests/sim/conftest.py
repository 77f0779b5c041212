"""Fixtures for the simulator tests: small, seeded runs."""

from __future__ import annotations

import pytest

from stakework.sim.chains import get_chain
from stakework.sim.montecarlo import RunConfig, SimulationResult
from stakework.sim.report.summary import RouteSummary, summarize
from stakework.sim.scenario import build_scenario


@pytest.fixture(scope="session")
def eth_compare() -> tuple[SimulationResult, list[RouteSummary]]:
    """Every ETH route, 4,000 paths, seeded."""
    scenario = build_scenario("ETH", {"run": {"amount": 32, "days": 365, "paths": 4_000, "seed": 7}})
    result = scenario.run()
    return result, summarize(result)


@pytest.fixture
def small_config() -> RunConfig:
    return RunConfig(amount=32.0, days=365, paths=2_000, seed=1)


@pytest.fixture
def eth():  # type: ignore[no-untyped-def]
    return get_chain("ETH")
