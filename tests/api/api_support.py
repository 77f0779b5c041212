"""A small devnet chain (16 validators, a few epochs) behind the API's TestClient (helpers of the API tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from stakework.api.app import create_app
from stakework.api.view import NodeView
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.node.validator import ValidatorClient
from stakework.spec.presets import DEVNET

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EPOCHS = 5


@dataclass
class Node:
    """A devnet chain advanced slot by slot in the test, its view and a TestClient on its API."""

    view: NodeView
    client: ValidatorClient
    http: TestClient
    slot: int

    def run_slots(self, n: int) -> None:
        for _ in range(n):
            self.slot += 1
            with self.view.lock:
                run_slot(self.view.chain, self.client, self.slot, self.view.mempool)
            self.view.on_slot(self.slot)

    def close(self) -> None:
        self.client.protection.close()
        if self.view.chain.store is not None:
            self.view.chain.store.close()


def make_node(data: Path) -> Node:
    chain, client, genesis = open_devnet(DevnetConfig(data, DEVNET, validators=16))
    view = NodeView(chain, Mempool(), genesis, data_dir=data, seconds_per_slot=1e9)
    node = Node(view, client, TestClient(create_app(view, TOKEN, max_body_bytes=64 * 1024)), 0)
    node.run_slots(EPOCHS * DEVNET.SLOTS_PER_EPOCH)
    return node
