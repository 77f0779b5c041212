"""From user input (a nested mapping merged from a TOML file, `--set` flags and command-line options) to what
the Monte Carlo runs: the chain preset, the routes, the price model and the run configuration.

The mapping has up to four tables: `chain` (chain preset fields), `routes.<name>` (route fields, hazards by
name), `price` (`price_usd`, `volatility`, `drift`, `csv`) and `run` (`amount`, `days`, `paths`, `seed`,
`compound_days`, `fan_paths`, `grid_points`, `block_elements`, `threads`). Unknown keys are errors naming the key."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stakework.risk.chains import ChainPreset, get_chain
from stakework.risk.config import apply_overrides
from stakework.risk.errors import ConfigError, InputValueError, UnknownRouteError
from stakework.risk.montecarlo import RunConfig, SimulationResult, simulate
from stakework.risk.prices import GBM, Bootstrap, PriceModel
from stakework.risk.routes import Route, routes_for

PRICE_KEYS = ("price_usd", "volatility", "drift", "csv")


@dataclass(frozen=True)
class Scenario:
    """Everything one Monte Carlo run needs."""

    chain: ChainPreset
    routes: dict[str, Route]
    price_model: PriceModel
    price_source: str
    config: RunConfig
    skipped: tuple[tuple[str, float], ...] = ()
    """Routes left out of a comparison because the amount is below their minimum: (name, minimum)."""

    def run(self, progress: Callable[[int, int], None] | None = None) -> SimulationResult:
        """Simulate every route of the scenario; `progress(paths_done, paths_total)` as blocks finish."""
        return simulate(
            self.chain, self.routes, self.price_model, self.config, price_source=self.price_source, progress=progress
        )

    @property
    def work(self) -> int:
        """Paths × days: how big the run is (for deciding to show a progress bar)."""
        return self.config.paths * self.config.days


def build_scenario(coin: str, tree: Mapping[str, Any], route_names: Sequence[str] | None = None) -> Scenario:
    """Build a scenario for `coin`. `route_names` None means every route of the chain (a comparison: routes
    whose minimum stake is above the amount are skipped and reported); otherwise those routes (plus `hold`)."""
    chain_over = dict(tree.get("chain", {}))
    price = dict(tree.get("price", {}))
    for key in price:
        if key not in PRICE_KEYS:
            raise ConfigError(f"unknown key 'price.{key}'; valid keys: {', '.join(PRICE_KEYS)}")
    if price.get("csv"):
        # A bootstrap resamples the file's own returns: their volatility and drift are the history's, so a
        # volatility or drift setting would be ignored. Refuse it rather than report a setting not applied.
        ignored = [f"price.{k}" for k in ("volatility", "drift") if k in price]
        ignored += [f"chain.{k}" for k in ("volatility", "drift") if k in chain_over]
        if ignored:
            raise ConfigError(
                f"--price-csv resamples the file's own daily returns, so {' and '.join(ignored)} "
                "(--volatility/--drift) would not apply: drop them, or drop --price-csv to use a GBM with them"
            )
    for key in ("price_usd", "volatility", "drift"):
        if key in price:
            chain_over[key] = price[key]
    chain = get_chain(coin, chain_over)

    run = dict(tree.get("run", {}))
    if "amount" not in run:
        raise InputValueError("missing amount: give --amount (or run.amount in the config file)")
    base = RunConfig(amount=1.0)
    names = [f.name for f in dataclasses.fields(RunConfig)]
    for key in run:
        if key not in names:
            raise ConfigError(f"unknown key 'run.{key}'; valid keys: {', '.join(names)}")
    try:
        amount = float(run["amount"])
    except (TypeError, ValueError):
        raise ConfigError(f"run.amount: expected a number, got {run['amount']!r}") from None
    if not amount > 0:
        raise InputValueError(f"amount must be greater than 0, got {amount:g}")
    if not math.isfinite(amount):
        raise InputValueError(f"amount must be a finite number, got {amount:g}")
    config = apply_overrides(base, run, "run")

    all_routes = routes_for(chain, tree.get("routes"))
    skipped: list[tuple[str, float]] = []
    if route_names is None:
        routes = {}
        for name, route in all_routes.items():
            if config.amount < route.min_stake:
                skipped.append((name, route.min_stake))
            else:
                routes[name] = route
    else:
        routes = {}
        for name in route_names:
            key = name.strip().lower()
            if key not in all_routes:
                raise UnknownRouteError(
                    f"unknown route {name!r} for {chain.coin}; known routes: {', '.join(all_routes)}"
                )
            routes[key] = all_routes[key]
        routes.setdefault("hold", all_routes["hold"])

    model: PriceModel
    if price.get("csv"):
        boot = Bootstrap.from_csv(str(price["csv"]), price0=chain.price_usd if "price_usd" in price else None)
        model, source = boot, f"bootstrap {boot.source}"
    else:
        model, source = GBM(price0=chain.price_usd, mu=chain.drift, sigma=chain.volatility), "gbm"
    return Scenario(
        chain=chain, routes=routes, price_model=model, price_source=source, config=config, skipped=tuple(skipped)
    )
