"""Fixtures of the web app's tests (helpers in web_support.py): a small devnet chain (16 validators, a few
epochs) behind the node's app, reached in-process (the pages are the node's own routes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import EPOCHS, WebNode

from stakework.api.app import create_app
from stakework.api.view import NodeView
from stakework.node.devnet import DevnetConfig, open_devnet
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET


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
