"""The web app's page times (issue #18 figures): the overview's first load on a devnet, and the validators page
(one page of 50, filtered by status, and a page deep in the list) at 100,000 and 1,000,000 validators.

A 16-validator devnet runs 4 epochs; its head state's registry is then widened to N validators by repeating its
columns (the pages read columns only, so the figures are the registry size's), and the pages are fetched through
the node's app in-process (FastAPI TestClient: routing, rendering and headers, no socket).

    .venv/bin/python benchmarks/bench_web.py [N ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from stakework.api.app import create_app
from stakework.api.view import NodeView
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET
from stakework.state.registry import Registry

REPEATS = 7


def _best(client: TestClient, path: str) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, (path, r.status_code)
    return sorted(times)[len(times) // 2]


def main(sizes: list[int]) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-web-"))
    chain, client, genesis = open_devnet(DevnetConfig(data, DEVNET, validators=16))
    view = NodeView(chain, Mempool(), genesis, data_dir=data, seconds_per_slot=1e9)
    for slot in range(1, 4 * DEVNET.SLOTS_PER_EPOCH + 1):
        with view.lock:
            run_slot(view.chain, client, slot, view.mempool)
        view.on_slot(slot)
    http = TestClient(create_app(view, "bench-token", bind_host=None))
    start = time.perf_counter()
    http.get("/")
    print(f"overview, first load (16 validators)      : {(time.perf_counter() - start) * 1e3:7.1f} ms")
    print(f"overview, median of {REPEATS}                   : {_best(http, '/') * 1e3:7.1f} ms")
    head = view.chain.head_state
    small = dict(head.validators.columns())
    base = len(head.validators)
    for n in sizes:
        reps = -(-n // base)
        head.validators = Registry.from_columns({k: np.concatenate([v] * reps)[:n] for k, v in small.items()})
        assert len(view.chain.head_state.validators) == n
        print(f"-- {n:,} validators")
        print(f"  overview                              : {_best(http, '/') * 1e3:7.1f} ms")
        print(f"  validators, first page                : {_best(http, '/validators') * 1e3:7.1f} ms")
        deep = "/validators?status=active&page=1000"
        print(f"  validators, status=active, page 1000  : {_best(http, deep) * 1e3:7.1f} ms")
        print(f"  validator {n - 1:,} (detail)        : {_best(http, f'/validators/{n - 1}') * 1e3:7.1f} ms")
    http.close()
    client.protection.close()
    if chain.store is not None:
        chain.store.close()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
