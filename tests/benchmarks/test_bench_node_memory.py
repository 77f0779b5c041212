"""benchmarks/bench_node_memory.py at a tiny size: it runs the node's import path end to end and its memory
accounting counts what copies share once (the figures themselves belong to the benchmark, not to a test)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_node_memory.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stakework_bench_node_memory", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_node_memory__three_blocks__chain_holds_anchor_and_each_post_state(bench: ModuleType, tmp_path: Path) -> None:
    run = bench.run(1024, 64, 3, 4, 64 << 30, tmp_path)
    assert run.blocks == 3 and run.stopped is None
    assert [p.states for p in run.phases[-1:]] == [4]  # the anchor and three post-states, nothing pruned yet
    assert all(p.peak >= p.rss > 0 and p.held <= p.states for p in run.phases)
    head, held = run.components["head"], run.components["states"]
    # Copy-on-write ledger: four states hold one base of entries, not four.
    assert head["account ledger"] <= held["account ledger"] < 2 * head["account ledger"]
    assert held["registry columns"] >= head["registry columns"] > 0


def test_tally__one_state_twice__counted_once(bench: ModuleType) -> None:
    from stakework.bench.workloads import realistic_state

    state = realistic_state(64)
    state.validators.index_of_pubkey(b"\x00" * 48)
    once, twice = bench.tally_states([state]), bench.tally_states([state, state])
    assert once.bytes == twice.bytes and once.bytes["registry columns"] > 0
    copy = state.copy()
    copied = bench.tally_states([state, copy])
    # Registry.copy copies the written columns and shares the append-only pubkey buffer (counted once).
    own = sum(buf.nbytes for name, buf in copy.validators._buffers.items() if name != "pubkey")
    assert copied.bytes["registry columns"] == once.bytes["registry columns"] + own


def test_node_memory__stops_at_rss_cap(bench: ModuleType, tmp_path: Path) -> None:
    run = bench.run(1024, 64, 16, 0, 1, tmp_path)
    assert run.blocks < 16 and run.stopped is not None and "--max-rss-gib" in run.stopped
