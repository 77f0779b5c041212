"""Helpers of the web app's tests: a small devnet chain behind the node's app (pages and API), in-process."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from stakework.api.view import NodeView
from stakework.node.devnet import run_slot
from stakework.node.validator import ValidatorClient

EPOCHS = 4


@dataclass
class WebNode:
    """A devnet chain advanced slot by slot, its view, and a client of its app (API and pages)."""

    view: NodeView
    client: ValidatorClient
    http: TestClient
    slot: int = 0

    def run_slots(self, n: int) -> None:
        for _ in range(n):
            self.slot += 1
            with self.view.lock:
                run_slot(self.view.chain, self.client, self.slot, self.view.mempool)
            self.view.on_slot(self.slot)
