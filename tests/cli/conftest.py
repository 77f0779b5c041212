from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.module_cli import devnet_process


@pytest.fixture()
def devnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A devnet subprocess (support.module_cli.devnet_process); the CLI finds it through $STAKEWORK_API, the
    wallet through $STAKEWORK_WALLET. Yields the data directory."""
    data = tmp_path / "dn"
    with devnet_process(data) as url:
        monkeypatch.setenv("STAKEWORK_API", url)
        monkeypatch.setenv("STAKEWORK_WALLET", str(tmp_path / "w"))
        yield data
