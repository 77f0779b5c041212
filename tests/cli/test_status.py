"""`stakework status` on a data directory while its node runs: the head it reports is the one the node committed
with the blocks it read (one read transaction), and a head the blocks do not reach is said, never replaced by the
anchor's state (a CI run showed a devnet's genesis state under a head at slot 24: the head had been read in a
second transaction, after the node imported a block)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.storage import ChainStore
from stakework.spec.presets import DEVNET


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))
    for slot in range(1, 6):
        run_slot(chain, client, slot)
    client.protection.close()
    if chain.store is not None:
        chain.store.close()
    return tmp_path


def test_status__head_read_apart_would_be_newer__the_head_read_with_the_blocks_is_shown(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def newer_head(self: ChainStore) -> object:
        raise AssertionError("the head was read in a transaction of its own (it may be newer than the blocks read)")

    monkeypatch.setattr(ChainStore, "head", newer_head)
    result = CliRunner().invoke(app, ["status", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "head slot 5" in result.output and "5 blocks stored" in result.output, result.output


def test_status__head_not_reachable_from_the_blocks__said_not_replaced_by_the_anchor_state(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ChainStore.load_latest

    def unreachable_head(self: ChainStore) -> object:
        stored = real(self)
        return dataclasses.replace(stored, head=dataclasses.replace(stored.head, root=b"\x42" * 32, slot=6))

    monkeypatch.setattr(ChainStore, "load_latest", unreachable_head)
    result = CliRunner().invoke(app, ["status", "--data-dir", str(data_dir)])
    assert result.exit_code == 2 and "is not reachable from its blocks; run again" in result.output, result.output
