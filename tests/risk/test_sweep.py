"""Parameter sweeps: the grid, local execution, Ray (a fake module for the calls, and one real local Ray instance
when the `ray` extra is installed)."""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

import pytest

from stakework.risk.errors import ConfigError, SimError
from stakework.risk.sweep import cells, make_tasks, parse_param, run_cell, run_sweep

TREE = {"run": {"amount": 32, "days": 90, "paths": 300, "seed": 1}}


def test_param__bare_name__is_a_chain_field() -> None:
    assert parse_param("volatility=0.3,0.6") == ("chain.volatility", [0.3, 0.6])
    assert parse_param("routes.liquid.fee=0.1") == ("routes.liquid.fee", [0.1])
    with pytest.raises(ConfigError, match="numbers"):
        parse_param("volatility=high")


def test_cells__two_params__every_combination() -> None:
    grid = cells({"a": [1, 2], "b": [3, 4, 5]})
    assert len(grid) == 6 and grid[0] == {"a": 1, "b": 3} and grid[-1] == {"a": 2, "b": 5}


def test_sweep__more_stake__lower_apr_and_bad_key_fails_early() -> None:
    tasks = make_tasks("ETH", "pool", TREE, {"chain.total_staked": [20e6, 40e6]})
    results = run_sweep(tasks, workers=1)
    assert [r["index"] for r in results] == [0, 1]
    assert results[0]["summary"]["apr"] > results[1]["summary"]["apr"]
    with pytest.raises(ConfigError, match="total_stakd"):
        make_tasks("ETH", "pool", TREE, {"chain.total_stakd": [1.0]})


def test_sweep__local_processes__same_as_in_process() -> None:
    tasks = make_tasks("SOL", "liquid", TREE, {"chain.volatility": [0.3, 0.9]})
    seen: list[int] = []
    parallel = run_sweep(tasks, workers=2, on_done=lambda r: seen.append(r["index"]))
    serial = [run_cell(t) for t in tasks]
    assert sorted(seen) == [0, 1]
    assert [r["summary"] for r in parallel] == [r["summary"] for r in serial]


def test_sweep__ray_address_without_ray__clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    tasks = make_tasks("ETH", "pool", TREE, {"chain.volatility": [0.5]})
    with pytest.raises(SimError, match=r"pip install 'stakework\[ray\]'"):
        run_sweep(tasks, ray_address="auto")


def test_sweep__ray_address__runs_cells_as_ray_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, Any] = {}

    class Ref:
        def __init__(self, value: Any) -> None:
            self.value = value

    def remote(fn: Any) -> Any:
        return types.SimpleNamespace(remote=lambda task: Ref(fn(task)))

    fake = types.SimpleNamespace(
        is_initialized=lambda: False,
        init=lambda address, ignore_reinit_error: calls.setdefault("address", address),
        remote=remote,
        wait=lambda pending, num_returns: (pending[:num_returns], pending[num_returns:]),
        get=lambda ref: ref.value,
        shutdown=lambda: calls.setdefault("shutdown", True),
    )
    monkeypatch.setitem(sys.modules, "ray", fake)
    tasks = make_tasks("ETH", "pool", TREE, {"chain.volatility": [0.3, 0.6]})
    results = run_sweep(tasks, ray_address="ray://head:10001")
    assert calls["address"] == "ray://head:10001"
    assert calls["shutdown"] is True  # the connection the sweep opened is closed again
    assert [r["params"]["chain.volatility"] for r in results] == [0.3, 0.6]


def test_sweep__ray_address_with_no_cluster_there__clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def init(address: str, ignore_reinit_error: bool) -> None:
        raise ConnectionError("Could not find any running Ray instance.")

    fake = types.SimpleNamespace(is_initialized=lambda: False, init=init)
    monkeypatch.setitem(sys.modules, "ray", fake)
    tasks = make_tasks("ETH", "pool", TREE, {"chain.volatility": [0.5]})
    with pytest.raises(SimError, match=r"cannot reach a Ray cluster at 'auto'.*ray start --head"):
        run_sweep(tasks, ray_address="auto")


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="Ray is not installed: pip install -e '.[ray]' (CI installs it) to run the sweep on a real local Ray",
)
def test_sweep__real_local_ray__cells_run_as_ray_tasks_then_ray_is_shut_down() -> None:
    import ray

    tasks = make_tasks("ATOM", "pool", TREE, {"chain.volatility": [0.3, 0.6, 0.9]})
    seen: list[int] = []
    try:
        # `local` starts a private one-CPU Ray on this machine (loopback only) for the sweep, then shuts it down
        results = run_sweep(tasks, ray_address="local", workers=1, on_done=lambda r: seen.append(r["index"]))
        assert not ray.is_initialized()
    finally:
        ray.shutdown()
    assert sorted(seen) == [0, 1, 2]
    assert [r["params"]["chain.volatility"] for r in results] == [0.3, 0.6, 0.9]
    assert [r["summary"] for r in results] == [run_cell(t)["summary"] for t in tasks]
