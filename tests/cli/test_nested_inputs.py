"""Files a user hands stakework, nested deeper than a parser's recursion (a corrupt or hostile file): each is refused
with the error class of its kind naming the file, never a RecursionError traceback. (JSON and TOML parsers recurse
per level: 100,000 opening brackets exhaust Python's stack.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stakework.cli.slashing_protection import app as slashing_protection_app
from stakework.crypto.keystore import Keystore, KeystoreError
from stakework.node.devnet import META_FILENAME, DevnetConfig, DevnetError, open_devnet
from stakework.node.node import GENESIS_FILENAME, NetworkGenesis, NodeConfig, NodeError, NodeRunner, prepare_network
from stakework.risk.config import ConfigError, load_config
from stakework.risk.figures import FiguresError, load_figures
from stakework.spec.presets import DEVNET
from stakework.state.snapshot import SnapshotError, load_state

DEPTH = 100_000
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH
DEEP_TOML = "a = " + "[" * DEPTH + "]" * DEPTH


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_keystore__nested_too_deep__keystore_error(text: str) -> None:
    with pytest.raises(KeystoreError, match="nested too deep"):
        Keystore.from_json(text, "k.json")


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_network_genesis__nested_too_deep__node_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "genesis.json"
    path.write_text(text)
    with pytest.raises(NodeError, match="not a stakework network genesis file"):
        NetworkGenesis.read(path)


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_snapshot__nested_too_deep__snapshot_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    with pytest.raises(SnapshotError):
        load_state(path)


def test_risk_files__nested_too_deep__their_errors(tmp_path: Path) -> None:
    figures_json, figures_toml, config = tmp_path / "f.json", tmp_path / "f.toml", tmp_path / "c.toml"
    figures_json.write_text(DEEP_OBJECT)
    figures_toml.write_text(DEEP_TOML)
    config.write_text(DEEP_TOML)
    for path in (figures_json, figures_toml):
        with pytest.raises(FiguresError, match="nested too deep"):
            load_figures(path)
    with pytest.raises(ConfigError, match="nested too deep"):
        load_config(config)


def test_slashing_protection_import__nested_too_deep__refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "interchange.json"
    path.write_text(DEEP_ARRAY)
    result = CliRunner().invoke(
        slashing_protection_app,
        ["import", str(path), "--db", str(tmp_path / "sp.sqlite"), "--genesis-validators-root", "0x" + "00" * 32],
    )
    assert result.exit_code == 2 and "nested too deep" in result.output, result.output


@pytest.mark.parametrize("text", ["{not json", DEEP_OBJECT, json.dumps([1, 2])], ids=["garbage", "deep", "a list"])
def test_devnet_data_directory__damaged_meta_file__devnet_error(tmp_path: Path, text: str) -> None:
    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))
    client.protection.close()
    if chain.store is not None:
        chain.store.close()
    (tmp_path / META_FILENAME).write_text(text)
    with pytest.raises(DevnetError, match="unreadable"):
        open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))


@pytest.mark.parametrize("text", ["{not json", DEEP_OBJECT], ids=["garbage", "deep"])
def test_node_data_directory__damaged_meta_file__node_error(tmp_path: Path, text: str) -> None:
    prepare_network(tmp_path, nodes=1, validators=16, preset=DEVNET, slot_seconds=1.0, now=1_000)
    genesis = NetworkGenesis.read(tmp_path / GENESIS_FILENAME)
    data = tmp_path / "node-0"
    data.mkdir(exist_ok=True)
    (data / META_FILENAME).write_text(text)
    with pytest.raises(NodeError, match="unreadable"):
        NodeRunner(NodeConfig(data, genesis))
