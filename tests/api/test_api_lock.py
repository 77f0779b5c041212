"""Handlers hold the node's lock only to find what they answer from, and render outside it (issue #12, item 6):
while a request is in its rendering, the slot loop can take the lock. Each test stops a handler in the middle of
its rendering and takes the lock meanwhile (the old handlers rendered under the lock: the take timed out)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from api_support import Node

import stakework.api.routes.beacon as beacon_routes
from stakework.transition.epoch.context import EpochContext

NEVER = 20.0
"""How long the test waits for what must happen (the old code never let it happen)."""


@contextmanager
def paused(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Replace `owner.name` by a wrapper that signals `entered` and waits for `go` before calling it."""
    entered, go = threading.Event(), threading.Event()
    original: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        go.wait(NEVER)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    try:
        yield entered, go
    finally:
        go.set()


def _lock_free_while_rendering(node: Node, path: str, entered: threading.Event, go: threading.Event) -> None:
    answers: list[httpx.Response] = []
    request = threading.Thread(target=lambda: answers.append(node.http.get(path)))
    request.start()
    try:
        assert entered.wait(NEVER), "the handler never reached its rendering"
        took = node.view.lock.acquire(timeout=NEVER)
        if took:
            node.view.lock.release()
        assert took, f"{path} held the node's lock while rendering its answer"
    finally:
        go.set()
        request.join(NEVER)
    assert answers and answers[0].status_code == 200, answers


def test_validators__rendered_outside_the_lock(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    with paused(monkeypatch, beacon_routes, "validator_json") as (entered, go):
        _lock_free_while_rendering(node, "/eth/v1/beacon/states/head/validators", entered, go)


def test_metrics__epoch_figures_outside_the_lock(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    with paused(monkeypatch, EpochContext, "build") as (entered, go):
        _lock_free_while_rendering(node, "/metrics", entered, go)


def test_committees__shuffled_outside_the_lock(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    with paused(monkeypatch, beacon_routes, "get_epoch_shuffling") as (entered, go):
        _lock_free_while_rendering(node, "/eth/v1/beacon/states/head/committees", entered, go)


def test_slot_gate__requests_wait_while_a_slot_runs(node: Node) -> None:
    """While the slot loop holds the gate, a request (even one that needs no lock) waits at the door; it is
    answered once the slot ends."""
    from api_support import LiveClient

    from stakework.api.app import SlotGate

    gate = SlotGate(node.view.lock)
    http = LiveClient(node.view, gate=gate)
    answers: list[int] = []
    try:
        with gate:
            request = threading.Thread(target=lambda: answers.append(http.get("/eth/v1/node/version").status_code))
            request.start()
            for _ in range(2000):  # until the request is at the door (it registers there)
                if gate._waiting:
                    break
                request.join(0.01)
            assert gate._waiting and not answers, "the request went past the gate during the slot"
        request.join(NEVER)
        assert answers == [200]
    finally:
        http.close()
