"""Rough edges found using the module commands on a devnet as a user does: `--data-dir` finds the node's address
as well as its token (the node writes `api-address` when its HTTP server starts), every module command's account
argument takes a wallet name or a 0x address, an empty AMM pool has no price (not a price of 0), and the newer
commands (`proof`, `simulate --scenario`) answer mistakes with one line before doing any work."""

from __future__ import annotations

import html
import os
import stat
import time
from pathlib import Path

import pytest

from stakework.crypto.ed25519 import devnet_account_key, to_hex
from support.module_cli import DOWN, cli

DEVNET_2 = to_hex(devnet_account_key(2).address)


@pytest.fixture()
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No $STAKEWORK_API / $STAKEWORK_TOKEN from the environment running the tests."""
    monkeypatch.delenv("STAKEWORK_API", raising=False)
    monkeypatch.delenv("STAKEWORK_TOKEN", raising=False)


def _data_dir(tmp_path: Path, url: str) -> Path:
    """A data directory as a running node leaves it: its token and its API's address."""
    data = tmp_path / "dd"
    data.mkdir()
    (data / "api-token").write_text("a-token\n")
    (data / "api-address").write_text(url + "\n")
    return data


@pytest.fixture()
def wallet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A wallet holding devnet account 2 (as `devnet-2`), found through $STAKEWORK_WALLET; the options naming it
    (none: every command reads the variable)."""
    password = tmp_path / "pw"
    password.write_text("rough edges password\n")
    monkeypatch.setenv("STAKEWORK_WALLET", str(tmp_path / "w"))
    code, out = cli("wallet", "import-devnet", "2", "--password-file", str(password))
    assert code == 0, out
    return []


# 1. --data-dir finds the node (DATA/api-address)


def test_node_url__precedence__node_then_env_then_data_dir_then_default(
    tmp_path: Path, no_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stakework.cli.common import node_url

    data = _data_dir(tmp_path, "http://127.0.0.1:5391")
    assert node_url(None, data) == "http://127.0.0.1:5391"
    assert node_url(None, tmp_path) == "http://127.0.0.1:5052"  # no file: a node that has not started its API
    assert node_url(None, None) == "http://127.0.0.1:5052"
    monkeypatch.setenv("STAKEWORK_API", "http://127.0.0.1:6000")
    assert node_url(None, data) == "http://127.0.0.1:6000"
    assert node_url("http://10.0.0.1:7000", data) == "http://10.0.0.1:7000"


def test_address_file__written_0600_and_removed_only_if_still_ours(tmp_path: Path) -> None:
    from stakework.api.server import remove_address, write_address

    path = write_address(tmp_path, "http://127.0.0.1:5391")
    assert path.read_text() == "http://127.0.0.1:5391\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    write_address(tmp_path, "http://127.0.0.1:5392")  # a restart on another port overwrites it
    remove_address(tmp_path, "http://127.0.0.1:5391")  # the old node's cleanup leaves the new node's file
    assert path.read_text() == "http://127.0.0.1:5392\n"
    remove_address(tmp_path, "http://127.0.0.1:5392")
    assert not path.exists()


def test_api_url__wildcard_and_ipv6_binds__reachable_urls() -> None:
    from stakework.api.server import api_url

    assert api_url("127.0.0.1", 5391) == "http://127.0.0.1:5391"
    assert api_url("0.0.0.0", 5391) == "http://127.0.0.1:5391"
    assert api_url("::", 5391) == "http://[::1]:5391"
    assert api_url("::1", 5391) == "http://[::1]:5391"


def test_data_dir__stale_address_file__names_that_node_in_the_unreachable_error(tmp_path: Path, no_env: None) -> None:
    """The node stopped without removing its file (killed): the error names the address the file gives."""
    data = _data_dir(tmp_path, DOWN)
    for args in (
        ("liquid", "show"),
        ("amm", "pool"),
        ("lend", "markets"),
        ("gov", "list"),
        ("wallet", "balance", DEVNET_2),
    ):
        code, out = cli(*args, "--data-dir", str(data))
        assert code == 2 and f"cannot reach the node at {DOWN}" in out and "stakework devnet` running?" in out, (
            args,
            out,
        )


def test_data_dir__address_file_not_a_url__one_line_error_naming_the_file(tmp_path: Path, no_env: None) -> None:
    data = _data_dir(tmp_path, DOWN)
    (data / "api-address").write_text("garbage\n")
    code, out = cli("amm", "pool", "--data-dir", str(data))
    assert code == 2 and "api-address" in out and "is not the node's URL" in out, out


def test_proof__missing_data_dir__named_not_the_default_node(tmp_path: Path, no_env: None) -> None:
    code, out = cli("proof", "validator", "3", "--data-dir", str(tmp_path / "typo"))
    assert code == 2 and "no such directory" in out and "typo" in out and "5052" not in out, out


def test_node_option__not_a_url__one_line_error(tmp_path: Path, no_env: None) -> None:
    code, out = cli("liquid", "show", "--node", "127.0.0.1:5052")
    assert code == 2 and "--node '127.0.0.1:5052' is not the node's URL" in out, out


# 2. every module command's account argument: a wallet name or a 0x address


POSITION_COMMANDS = [
    ("lend", "position"),
    ("amm", "position"),
    ("liquid", "balance"),
    ("pool", "position", "--pool", "1"),
    ("safety", "show", "--account"),
]


@pytest.mark.parametrize("command", POSITION_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_account_argument__wallet_name__resolved_before_asking_the_node(
    command: tuple[str, ...], wallet: list[str], no_env: None
) -> None:
    code, out = cli(*command, "devnet-2", *wallet, "--node", DOWN)
    assert code == 2 and "cannot reach the node" in out and "0x address of 20 bytes" not in out, out
    code, out = cli(*command, DEVNET_2, *wallet, "--node", DOWN)
    assert code == 2 and "cannot reach the node" in out, out
    code, out = cli(*command, "nobody", *wallet, "--node", DOWN)
    assert code == 2 and "no account 'nobody'" in out and "not a 0x address" in out, out
    code, out = cli(*command, "0x1234", *wallet, "--node", DOWN)
    assert code == 2 and "cannot reach" not in out, out


# 3. an empty AMM pool has no price


def test_amm_page__empty_pool__price_not_applicable(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from stakework.api.app import create_app
    from stakework.api.view import NodeView
    from stakework.node.devnet import DevnetConfig, open_devnet
    from stakework.node.mempool import Mempool
    from stakework.spec.presets import DEVNET

    chain, client, genesis = open_devnet(DevnetConfig(tmp_path / "dn", DEVNET, validators=16))
    try:
        view = NodeView(chain, Mempool(), genesis, data_dir=tmp_path / "dn", seconds_per_slot=1e9)
        with TestClient(create_app(view, "test-token", bind_host=None)) as http:
            assert http.get("/v1/amm").json()["data"]["lp_supply"] == "0"
            page = html.unescape(http.get("/modules/amm").text)
            zh = html.unescape(http.get("/modules/amm?lang=zh-TW").text)
    finally:
        client.protection.close()
        if chain.store is not None:
            chain.store.close()
    assert "<dt>Pool price (SWK per stSWK share)</dt><dd>n/a (empty pool)</dd>" in page, page[-2000:]
    assert "<dt>Virtual price (D per LP share)</dt><dd>n/a (empty pool)</dd>" in page, page[-2000:]
    assert zh.count("<dd>不適用（池中沒有流動性）</dd>") == 2, zh[-2000:]


# 4. the newer commands: mistakes answered before any work


def test_proof_account__wallet_name__resolved_like_the_module_commands(wallet: list[str], no_env: None) -> None:
    code, out = cli("proof", "account", "devnet-2", *wallet, "--node", DOWN)
    assert code == 2 and "cannot reach the node" in out and "not hex" not in out, out
    code, out = cli("proof", "account", "nobody", *wallet, "--node", DOWN)
    assert code == 2 and "no account 'nobody'" in out, out


def test_proof__bad_root__refused_before_asking_the_node(no_env: None) -> None:
    code, out = cli("proof", "validator", "3", "--verify", "--root", "0x12", "--node", DOWN)
    assert code == 2 and "state root '0x12'" in out and "cannot reach" not in out, out


def test_proof__data_dir__finds_the_node(tmp_path: Path, no_env: None) -> None:
    data = _data_dir(tmp_path, DOWN)
    code, out = cli("proof", "validator", "3", "--data-dir", str(data))
    assert code == 2 and f"cannot reach the node at {DOWN}" in out, out


@pytest.mark.parametrize("option", ["--plot", "--csv"])
def test_simulate_scenario__output_in_missing_folder__refused_before_the_run(tmp_path: Path, option: str) -> None:
    target = tmp_path / "no-such-folder" / "out.file"
    code, out = cli("simulate", "--scenario", "systemic", option, str(target))
    assert code == 2 and "no-such-folder" in out and "stSWK rate" not in out, out


def test_simulate_scenario__same_setting_twice__refused(tmp_path: Path) -> None:
    code, out = cli("simulate", "--scenario", "systemic", "--set", "seed=1", "--set", "seed=2")
    assert code == 2 and "seed" in out and "twice" in out, out


# the whole journey on a devnet


@pytest.mark.e2e
@pytest.mark.xdist_group("devnet-clock")  # devnets on the wall clock: one at a time (pyproject.toml)
def test_devnet_on_another_port__data_dir_alone_reaches_it(tmp_path: Path, no_env: None) -> None:
    """`stakework devnet -d D --http-port P`, then every command with `--data-dir D` and no --node: the address
    file (0600) names the devnet, a wallet name works as the position argument, the empty pool has no price; the
    file is gone once the devnet stops."""
    from support.module_cli import devnet_process

    data = tmp_path / "dn"
    password = tmp_path / "pw"
    password.write_text("rough edges password\n")
    send = ["--password-file", str(password), "--data-dir", str(data), "-w", str(tmp_path / "w")]
    with devnet_process(data) as url:
        address = data / "api-address"
        for _ in range(100):  # written just after the server listens; the API may answer a moment before
            if address.exists():
                break
            time.sleep(0.1)
        assert address.read_text().strip() == url
        assert stat.S_IMODE(os.stat(address).st_mode) == 0o600
        assert cli("wallet", "import-devnet", "2", *send[:2], *send[4:])[0] == 0
        code, out = cli("amm", "pool", "--data-dir", str(data))
        assert code == 0 and "price n/a (empty pool)" in out and "0.000000000 SWK per" not in out, out
        code, out = cli("liquid", "stake", "3", "--from", "devnet-2", *send)
        assert code == 0 and "included in block" in out, out
        code, out = cli("lend", "position", "devnet-2", *send[2:])
        assert code == 0 and "health factor" in out, out
        code, out = cli("safety", "show", "--account", "devnet-2", *send[2:])
        assert code == 0 and DEVNET_2 in out, out
    assert not address.exists()
