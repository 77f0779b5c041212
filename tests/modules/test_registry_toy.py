"""A module defined in tests only (tests/support/toy_module.py) and registered with one call joins the chain
without an edit to any core file: its message decodes from the wire, pays its fee from the preset, is dispatched
in a block, its epoch hook runs, its state is in the root and in both snapshot formats, and its API router, CLI
sub-app and status line are mounted from its definition.

The registration runs in a fresh interpreter (tests/support/toy_scenario.py): the transaction wire union is built
when stakework.transition is imported, so a module registers before that, as the built-in ones do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stakework.modules import registry
from stakework.modules.definition import ModuleDef, RegistryError
from stakework.spec.presets import DEVNET
from support.toy_module import TOY, Bump, ToyState

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def toy_run() -> dict[str, Any]:
    """The toy scenario's observations (a registry extended by the toy module, in its own interpreter)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "support.toy_scenario"],
        check=False,
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_toy_module__registered__enabled_at_devnet_genesis(toy_run: dict[str, Any]) -> None:
    assert toy_run["enabled"] == [*registry.names(), "toy"]


def test_toy_message__from_the_wire__decodes_as_its_type(toy_run: dict[str, Any]) -> None:
    assert toy_run["decoded"] == "Bump"


def test_toy_message__fee__its_fee_function_on_the_preset_and_one_less_refused(toy_run: dict[str, Any]) -> None:
    assert toy_run["fee_ok"] is True
    assert toy_run["low_fee"].startswith("toy.bump: the fee is")


def test_toy_message__refused_by_the_module__named_and_nothing_changes(toy_run: dict[str, Any]) -> None:
    assert toy_run["refusal"] == "toy.bump: the amount must be positive"
    assert toy_run["refusal_changed_nothing"] is True


def test_toy_message__in_a_block__dispatched_and_fee_charged(toy_run: dict[str, Any]) -> None:
    assert toy_run["counter"] == 5 and toy_run["charged"] is True


def test_toy_module__epoch_hook__runs_at_each_boundary(toy_run: dict[str, Any]) -> None:
    assert toy_run["epochs"] == 2 and toy_run["invariants"] == []


def test_toy_state__in_the_root_and_both_snapshots(toy_run: dict[str, Any]) -> None:
    assert toy_run["root_covers_toy"] is True
    assert toy_run["snapshot_s.swk"] is True and toy_run["snapshot_s.json"] is True


def test_toy_edges__router_sub_app_and_status__mounted_from_the_definition(toy_run: dict[str, Any]) -> None:
    assert "/v1/toy" in toy_run["api_paths"] and "/v1/pools" in toy_run["api_paths"]
    assert toy_run["cli"] == "hello from toy"
    assert toy_run["status"] == {"counter": 5, "epochs": 2}


def test_register__after_the_wire_union_is_built__refused(toy_run: dict[str, Any]) -> None:
    assert "registry is frozen" in toy_run["late_register"]


def test_register__a_name_taken__refused(toy_run: dict[str, Any]) -> None:
    assert toy_run["duplicate"] == "a module named 'pool' is registered already"
    assert toy_run["prefix_taken"] == "module toy2: the tag prefix 'toy' or the name is another module's"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Bad-Name"}, "module name 'Bad-Name'"),
        ({"name": "withdrawn"}, "module name 'withdrawn'"),
        ({"state_type": dict}, "state_type must be a msgspec.Struct"),
        ({"messages": ()}, "at least one message type"),
        ({"name": "other"}, "needs a msgspec tag 'other.<kind>'"),
        ({"name": "other", "tag_prefix": "Bad"}, "tag_prefix 'Bad' is not a valid name"),
    ],
)
def test_module_def__malformed__refused_with_the_reason(changes: dict[str, Any], message: str) -> None:
    fields = {f: getattr(TOY, f) for f in TOY.__dataclass_fields__}
    with pytest.raises(RegistryError, match=message):
        ModuleDef(**{**fields, **changes})


def test_module_def__tag_prefix__messages_tagged_with_it_accepted() -> None:
    other = ModuleDef(
        **{**{f: getattr(TOY, f) for f in TOY.__dataclass_fields__}, "name": "other", "tag_prefix": "toy"}
    )
    assert other.prefix == "toy" and TOY.prefix == "toy"


def test_module_def__least_fee__base_plus_the_modules_extra() -> None:
    assert TOY.least_fee(DEVNET, Bump(amount=1)) == DEVNET.MODULE_MIN_FEE + 7 * DEVNET.MODULE_KEY_FEE
    assert isinstance(TOY.genesis(DEVNET, b"\x00" * 20), ToyState)


def test_registry_parameters__liquid__bounded_fields_of_its_state() -> None:
    listed = [(module, p.name) for module, p in registry.parameters()]
    assert ("liquid", "fee_bps") in listed and ("liquid", "max_positive_rebase") in listed
    fee = registry.parameter("liquid", "fee_bps")
    assert fee is not None and fee.allows(10_000) and not fee.allows(10_001)
    assert registry.parameter("liquid", "nope") is None and registry.parameter("nope", "fee_bps") is None
    liquid = registry.get("liquid")
    assert liquid is not None
    state = liquid.genesis(DEVNET, b"\x01" * 20)
    for p in liquid.params:
        assert p.allows(getattr(state, p.name)), p.name  # the devnet's values are within their own bounds
