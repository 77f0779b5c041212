"""API reads of states the node does not hold (issue #16): each costs up to an epoch of block replays, so they come
out of one budget shared by every client (`NodeView.replay_budget`); a flood of them costs at most the budget, the
states the node holds are served at once, and blocks, headers and state roots are read without any state.
Replays are counted (`StateCache.replayed`), never timed; the budget's clock is scripted."""

from __future__ import annotations

from api_support import Node

from stakework.api.view import ReplayBudget
from stakework.node.state_cache import StateCache

BURST = 6
PER_MINUTE = 6


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _cache(node: Node) -> StateCache:
    states = node.view.chain.states
    assert isinstance(states, StateCache)
    return states


def _not_held(node: Node) -> list[bytes]:
    cache = _cache(node)
    roots = [r for r in cache if not cache.holds(r)]
    assert len(roots) >= 4, "the test chain should know more states than it holds"
    return roots


def _budget(node: Node) -> _Clock:
    clock = _Clock()
    node.view.replay_budget = ReplayBudget(BURST, PER_MINUTE, clock)
    return clock


def test_old_state_reads__a_flood__costs_at_most_the_budget_and_the_rest_get_503_naming_what_to_ask(
    node: Node,
) -> None:
    _budget(node)
    cache = _cache(node)
    roots = _not_held(node)
    head = node.view.chain.head_root
    held_before, replayed = cache.held, cache.replayed
    codes = []
    for i in range(60):
        root = roots[i % len(roots)]
        r = node.http.get(f"/eth/v1/beacon/states/0x{root.hex()}/validator_balances", params={"id": "0"})
        codes.append(r.status_code)
        if r.status_code == 503:
            assert int(r.headers["Retry-After"]) >= 1
            assert "not held in memory" in r.json()["message"] and "finalized" in r.json()["message"]
    assert set(codes) <= {200, 503} and 503 in codes and 200 in codes
    assert cache.replayed - replayed <= BURST  # was one rebuild per request: ~60 rebuilds
    assert cache.held == held_before and cache.holds(head)  # the reads evicted nothing the chain holds


def test_old_state_reads__budget_refills__a_refused_read_is_served_later_and_equal(node: Node) -> None:
    clock = _budget(node)
    cache = _cache(node)
    root = max(_not_held(node), key=cache.replays)
    node.view.replay_budget.take(BURST)  # spent (by other clients, say)
    url = f"/eth/v1/beacon/states/0x{root.hex()}/finality_checkpoints"
    assert node.http.get(url).status_code == 503
    clock.now += 60.0 * BURST / PER_MINUTE
    r = node.http.get(url)
    assert r.status_code == 200
    with node.view.lock:
        state = cache.build(root)
    assert r.json()["data"]["finalized"]["root"] == "0x" + state.finalized_checkpoint.root.hex()


def test_held_states_blocks_headers_and_state_roots__read_many_times__no_replay_no_budget(node: Node) -> None:
    _budget(node)
    cache = _cache(node)
    replayed = cache.replayed
    for _ in range(20):
        for sid in ("head", "finalized", "justified"):
            assert node.http.get(f"/eth/v1/beacon/states/{sid}/finality_checkpoints").status_code == 200
        for root in _not_held(node):  # the block and its committed state root: no state needed
            assert node.http.get(f"/eth/v1/beacon/headers/0x{root.hex()}").status_code == 200
            assert node.http.get(f"/eth/v2/beacon/blocks/0x{root.hex()}").status_code == 200
            assert node.http.get(f"/eth/v1/beacon/states/0x{root.hex()}/root").status_code == 200
    assert cache.replayed == replayed  # was a rebuild per header, block and state-root read of an old block
    assert node.view.replay_budget.spent == 0
