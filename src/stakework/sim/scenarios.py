"""Every scenario `stakework simulate --scenario NAME` knows, by name: its settings (``--set``), how many epochs it
runs and how to run it. Each runs on the one epoch driver (:mod:`stakework.sim.driver`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stakework.sim.driver import ScenarioError
from stakework.sim.modules import MassExitConfig, PoolSlashingConfig, configure, run_mass_exit, run_pool_slashing
from stakework.spec.presets import DEVNET

SCENARIOS = ("pool-slashing", "mass-exit", "systemic")
"""The scenarios `stakework simulate --scenario` knows."""

ScenarioConfig = Any
"""A scenario's settings: PoolSlashingConfig, MassExitConfig or SystemicConfig."""


def _config_class(name: str) -> type[Any]:
    if name == "pool-slashing":
        return PoolSlashingConfig
    if name == "mass-exit":
        return MassExitConfig
    if name == "systemic":
        from stakework.sim.systemic import SystemicConfig  # the DeFi modules load only for this scenario

        return SystemicConfig
    raise ScenarioError(f"unknown scenario {name!r}: choose one of {', '.join(SCENARIOS)}")


def scenario_config(name: str, overrides: dict[str, str] | None = None, **fixed: Any) -> ScenarioConfig:
    """The config of scenario ``name`` with ``overrides`` (``--set key=value``, parsed to each field's type) and
    ``fixed`` (typed values, e.g. ``seed``) applied. Raises ScenarioError naming what is wrong."""
    return configure(_config_class(name), name, overrides, **fixed)


def run_module_scenario(config: ScenarioConfig, on_epoch: Callable[[Any], None] | None = None) -> Any:
    """Run the scenario ``config`` is for: a PoolSlashingResult, a MassExitResult or a SystemicResult."""
    if isinstance(config, PoolSlashingConfig):
        return run_pool_slashing(config, on_epoch)
    if isinstance(config, MassExitConfig):
        return run_mass_exit(config, on_epoch)
    from stakework.sim.systemic import run_systemic

    return run_systemic(config, on_epoch)


def total_epochs(config: ScenarioConfig) -> int:
    """How many epochs the scenario runs (on the devnet preset)."""
    epochs: int = config.run_epochs(DEVNET)
    return epochs
