"""Fixtures of the API tests (helpers in api_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Node, make_node


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """Shared by a module's read-only tests (finality has advanced: justified > finalized > 0)."""
    n = make_node(tmp_path_factory.mktemp("devnet"))
    yield n
    n.close()
