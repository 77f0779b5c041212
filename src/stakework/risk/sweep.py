"""Parameter sweeps: the grid of every combination of the given values (e.g. total staked × volatility), one
Monte Carlo per cell, run in local processes or on a Ray cluster (`pip install 'stakework[ray]'`).

All cells use the same seed, so neighbouring cells differ by the parameter, not by sampling noise."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from stakework.risk.config import merge
from stakework.risk.errors import ConfigError, SimError
from stakework.risk.report.summary import summarize
from stakework.risk.scenario import build_scenario


@dataclass(frozen=True)
class SweepTask:
    """One cell: picklable, so it can go to another process or a Ray worker."""

    index: int
    coin: str
    route: str
    tree: dict[str, Any]
    params: dict[str, float]


def parse_param(spec: str) -> tuple[str, list[float]]:
    """`chain.total_staked=30e6,35e6,40e6` -> ('chain.total_staked', [3e7, 3.5e7, 4e7]); a bare field name
    means a chain field."""
    key, sep, values = spec.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ConfigError(f"--param expects name=v1,v2,..., got {spec!r}")
    if "." not in key:
        key = f"chain.{key}"
    try:
        nums = [float(v) for v in values.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--param {key}: values must be numbers, got {values!r}") from None
    return key, nums


def cells(params: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """Every combination of the parameter values, first parameter varying slowest."""
    keys = list(params)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(params[k] for k in keys))]


def _tree_for(params: Mapping[str, float]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for dotted, value in params.items():
        node = tree
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def run_cell(task: SweepTask) -> dict[str, Any]:
    """Run one cell and return its parameters and the route's summary (plain types)."""
    scenario = build_scenario(task.coin, merge(task.tree, _tree_for(task.params)), [task.route])
    summaries = {s.route: s for s in summarize(scenario.run())}
    return {
        "index": task.index,
        "params": task.params,
        "summary": summaries[task.route].as_dict(),
        "hold": summaries["hold"].as_dict(),
    }


def make_tasks(
    coin: str, route: str, tree: Mapping[str, Any], params: Mapping[str, Sequence[float]]
) -> list[SweepTask]:
    """Validate the scenario once (so bad input fails before any worker starts) and list the cells."""
    grid = cells(params)
    if not params or not grid:
        raise ConfigError("a sweep needs at least one --param with at least one value")
    build_scenario(coin, merge(dict(tree), _tree_for(grid[0])), [route])
    return [SweepTask(index=i, coin=coin, route=route, tree=dict(tree), params=c) for i, c in enumerate(grid)]


def run_sweep(
    tasks: Sequence[SweepTask],
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the cells; `on_done` is called as each finishes (for a progress bar). Results come back in cell
    order. With `ray_address`, cells run as Ray tasks on that cluster (`local`: a one-machine Ray started for
    the sweep with `workers` CPUs); otherwise in `workers` local processes (default: the CPU count; 1 runs in
    this process)."""
    results: list[dict[str, Any]] = []
    if ray_address:
        results = _run_ray(tasks, ray_address, on_done, num_cpus=workers)
    else:
        n = workers or os.cpu_count() or 1
        if n <= 1 or len(tasks) == 1:
            for task in tasks:
                res = run_cell(task)
                results.append(res)
                if on_done:
                    on_done(res)
        else:
            # spawn, not fork: the caller may be running threads (a progress bar, numpy's pools)
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(n, len(tasks)), mp_context=ctx) as pool:
                futures = [pool.submit(run_cell, t) for t in tasks]
                for fut in as_completed(futures):
                    res = fut.result()
                    results.append(res)
                    if on_done:
                        on_done(res)
    return sorted(results, key=lambda r: int(r["index"]))


def _run_ray(
    tasks: Sequence[SweepTask],
    address: str,
    on_done: Callable[[dict[str, Any]], None] | None,
    num_cpus: int | None = None,
) -> list[dict[str, Any]]:
    """Run the cells as Ray tasks. `address` is a running cluster (`auto`: the one this machine joined with
    `ray start`; `ray://host:10001`: a remote head through Ray Client) or `local`: a private one-machine Ray
    started for this sweep with `num_cpus` CPUs (None: all). A Ray connection this function opened is shut down
    before it returns; one the caller opened is left as it was."""
    try:
        import ray
    except ImportError:
        raise SimError("--ray-address needs Ray: pip install 'stakework[ray]'") from None
    started = False
    if not ray.is_initialized():
        try:
            if address == "local":
                ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, ignore_reinit_error=True)
            else:
                ray.init(address=address, ignore_reinit_error=True)
        except ConnectionError as exc:
            raise SimError(
                f"cannot reach a Ray cluster at {address!r}: {str(exc).rstrip('.')}. Start one with "
                "`ray start --head` (and `ray start --address HEAD:6379` on the other machines), or use "
                "--ray-address local"
            ) from None
        started = True
    try:
        remote = ray.remote(run_cell)
        pending = [remote.remote(t) for t in tasks]
        results: list[dict[str, Any]] = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                res = ray.get(ref)
                results.append(res)
                if on_done:
                    on_done(res)
        return results
    finally:
        if started:
            ray.shutdown()
