"""`stakework node` and `stakework devnet --nodes`: a user's mistakes get a clear message and exit status 2."""

from __future__ import annotations

from pathlib import Path

from tests.support.module_cli import cli

from stakework.node.node import NetworkGenesis


def _genesis(tmp_path: Path) -> Path:
    path = tmp_path / "genesis.json"
    NetworkGenesis(genesis_time=1, preset="devnet", validators=16, slot_seconds=0.5).write(path)
    return path


def test_node__no_genesis_given__names_both_options(tmp_path: Path) -> None:
    code, out = cli("node", "-d", str(tmp_path / "d"))
    assert code == 2 and "--genesis FILE or --network DIR" in out


def test_node__missing_or_garbage_genesis_file__clear_error(tmp_path: Path) -> None:
    code, out = cli("node", "-d", str(tmp_path / "d"), "--genesis", str(tmp_path / "nope.json"))
    assert code == 2 and "cannot read the genesis file" in out and "Traceback" not in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"genesis_time": "soon"}')
    code, out = cli("node", "-d", str(tmp_path / "d"), "--genesis", str(bad))
    assert code == 2 and "not a stakework network genesis file" in out


def test_node__peer_not_host_port__clear_error(tmp_path: Path) -> None:
    code, out = cli("node", "-d", str(tmp_path / "d"), "--genesis", str(_genesis(tmp_path)), "--peer", "localhost")
    assert code == 2 and "is not HOST:PORT" in out


def test_node__checkpoint_root_not_32_bytes_or_without_peer__clear_error(tmp_path: Path) -> None:
    g = str(_genesis(tmp_path))
    code, out = cli("node", "-d", str(tmp_path / "d"), "--genesis", g, "--checkpoint-root", "0x1234", "--peer", "h:1")
    assert code == 2 and "32-byte hex block root" in out
    code, out = cli("node", "-d", str(tmp_path / "d"), "--genesis", g, "--checkpoint-root", "0x" + "00" * 32)
    assert code == 2 and "needs a --peer" in out


def test_devnet_nodes__more_nodes_than_validators__refused(tmp_path: Path) -> None:
    code, out = cli("devnet", "--nodes", "5", "-n", "4", "-d", str(tmp_path / "d"))
    assert code == 2 and "every node needs one" in out


def test_devnet_nodes__restart_with_other_shape__refused_naming_the_settings(tmp_path: Path) -> None:
    from stakework.node.node import prepare_network
    from stakework.spec.presets import DEVNET

    prepare_network(tmp_path / "d", nodes=2, validators=8, preset=DEVNET, slot_seconds=0.5)
    code, out = cli("devnet", "--nodes", "3", "-n", "8", "-d", str(tmp_path / "d"), "--no-http")
    assert code == 2 and "a network of 2 nodes and 8 validators" in out
