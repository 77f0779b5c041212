"""Fixtures of the web app's tests: a small devnet chain (16 validators, a few epochs) behind the node's app,
reached in-process (the pages are the node's own routes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from stakework.api.app import create_app
from stakework.api.view import NodeView
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.node.validator import ValidatorClient
from stakework.spec.presets import DEVNET

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


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebNode]:
    data = tmp_path_factory.mktemp("devnet")
    chain, client, genesis = open_devnet(DevnetConfig(data, DEVNET, validators=16))
    view = NodeView(chain, Mempool(), genesis, data_dir=data, seconds_per_slot=1e9)
    node = WebNode(view, client, TestClient(create_app(view, "test-token", bind_host=None)))
    node.run_slots(EPOCHS * DEVNET.SLOTS_PER_EPOCH)
    yield node
    node.http.close()
    client.protection.close()
    if chain.store is not None:
        chain.store.close()
