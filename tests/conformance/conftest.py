"""Ethereum's official consensus-spec-tests (Electra) as test data: one `.tar.xz` per preset under
`tests/conformance/official/`, extracted once per session into a temporary directory.

The archives hold the cases `../shared/tools/official-spec-tests.sh OUT <preset> epoch_processing rewards
block_processing` writes (see `official/README.md`). The mainnet cases are opt-in (`STAKEWORK_OFFICIAL_MAINNET=1`,
marker `official_mainnet`): their tests are skipped, visibly, otherwise.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from support.official_data import archive

MAINNET_ENABLED = os.environ.get("STAKEWORK_OFFICIAL_MAINNET") == "1"


def _extract(preset: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(f"official-{preset}")
    with tarfile.open(archive(preset)) as tar:
        tar.extractall(root, filter="data")
    return root


@pytest.fixture(scope="session")
def official_minimal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding `minimal/electra/<runner>/...` (the official minimal cases)."""
    return _extract("minimal", tmp_path_factory)


@pytest.fixture(scope="session")
def official_mainnet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding `mainnet/electra/<runner>/...`; skips unless STAKEWORK_OFFICIAL_MAINNET=1."""
    if not MAINNET_ENABLED:
        pytest.skip("official mainnet cases are opt-in: STAKEWORK_OFFICIAL_MAINNET=1 pytest -m official_mainnet")
    if not archive("mainnet").exists():
        pytest.fail(f"{archive('mainnet')} is missing")
    return _extract("mainnet", tmp_path_factory)
