"""A small devnet chain (16 validators, a few epochs) behind its API, served by uvicorn on a free loopback port
(helpers of the API tests)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from stakework.api.server import ApiServer
from stakework.api.view import NodeView
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.node.validator import ValidatorClient
from stakework.spec.presets import DEVNET

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EPOCHS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveClient(httpx.Client):
    """An httpx client of a node's API served for real (ApiServer: uvicorn in a thread, the limits it sets);
    `options` go to ApiServer. `close()` stops the server too."""

    def __init__(self, view: NodeView, **options: Any) -> None:
        self.port = free_port()
        self.server = ApiServer(view, TOKEN, port=self.port, **options)
        self.server.start()
        super().__init__(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

    def close(self) -> None:
        super().close()
        self.server.stop()


@dataclass
class Node:
    """A devnet chain advanced slot by slot in the test, its view and a client of its API."""

    view: NodeView
    client: ValidatorClient
    http: LiveClient
    slot: int

    def run_slots(self, n: int) -> None:
        for _ in range(n):
            self.slot += 1
            with self.view.lock:
                run_slot(self.view.chain, self.client, self.slot, self.view.mempool)
            self.view.on_slot(self.slot)

    def close(self) -> None:
        self.http.close()
        self.client.protection.close()
        if self.view.chain.store is not None:
            self.view.chain.store.close()


def make_node(data: Path, **options: Any) -> Node:
    """A node of 16 validators run for EPOCHS epochs; `options` go to ApiServer (default: a 64 KiB body limit)."""
    chain, client, genesis = open_devnet(DevnetConfig(data, DEVNET, validators=16))
    view = NodeView(chain, Mempool(), genesis, data_dir=data, seconds_per_slot=1e9)
    node = Node(view, client, LiveClient(view, **{"max_body_bytes": 64 * 1024, **options}), 0)
    node.run_slots(EPOCHS * DEVNET.SLOTS_PER_EPOCH)
    return node
