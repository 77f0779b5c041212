"""The field table (state/fields.py) against every place that walks the state: BeaconState, the registry, the
JSON schema, the reference's BeaconState, the snapshots and the commitment. A field added in one place and not
another fails here, naming the place."""

from dataclasses import fields as dataclass_fields
from pathlib import Path

import numpy as np
import pytest

from stakework.conformance.pyspec_bridge import DROPPED_FIELDS, VALIDATOR_DTYPE, spec_module
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.state.fields import COLUMN_FIELDS, STATE_FIELDS, VALIDATOR_CONTAINER_FIELDS
from stakework.state.registry import COLUMNS, Registry
from stakework.state.root import hash_state
from stakework.state.snapshot import load_state, save_state
from stakework.state.snapshot_schema import ForkJSON, StateJSON, ValidatorsJSON
from stakework.transition.genesis import devnet_genesis

NOT_IN_TABLE = {"preset", "validators", "_root_cache"}
"""BeaconState attributes that are not fields: the preset (parameters, named in the commitment) and the
registry (whose columns are the table's `column` fields)."""


def test_table__every_beacon_state_attribute__declared_once() -> None:
    names = [f.name for f in STATE_FIELDS]
    assert len(names) == len(set(names))
    attributes = {f.name for f in dataclass_fields(BeaconState)} - NOT_IN_TABLE
    non_columns = {f.name for f in STATE_FIELDS if f.kind != "column"}
    assert attributes - non_columns == set(), "BeaconState attributes missing from state/fields.py"
    assert non_columns - attributes == set(), "table fields missing from BeaconState"


def test_table__columns__are_the_registry_columns_in_order() -> None:
    assert [f.name for f in COLUMN_FIELDS] == list(COLUMNS)
    reg = Registry(capacity=1)
    for f in COLUMN_FIELDS:
        column = getattr(reg, f.name)
        assert column.dtype == f.np_dtype and column.shape[1:] == f.shape, f.name


def test_table__json_names__exist_in_the_snapshot_schema() -> None:
    containers = {"validators": ValidatorsJSON, "fork": ForkJSON}
    for f in STATE_FIELDS:
        head, _, member = f.json_name.partition(".")
        if member:
            assert member in containers[head].__struct_fields__, f"{f.name}: {f.json_name} not in the schema"
        else:
            assert head in StateJSON.__struct_fields__, f"{f.name}: {f.json_name} not in StateJSON"


@pytest.mark.parametrize("base", ["minimal"])
def test_table__spec_names__cover_the_reference_beacon_state(base: str) -> None:
    spec = spec_module(base)
    reference = set(spec.BeaconState.fields())
    validator = list(spec.Validator.fields())
    heads = {(f.spec or "").split(".")[0] for f in STATE_FIELDS if f.spec}
    assert heads - reference == set(), "spec names the reference does not have"
    assert reference - heads - set(DROPPED_FIELDS) == set(), "reference fields neither in the table nor dropped"
    assert [(f.spec or "").split(".", 1)[1] for f in VALIDATOR_CONTAINER_FIELDS] == validator
    assert list(VALIDATOR_DTYPE.names or ()) == [f.name for f in VALIDATOR_CONTAINER_FIELDS]


def _changed(state: BeaconState, name: str) -> None:
    """Change field `name` of `state` to another valid value."""
    f = next(f for f in STATE_FIELDS if f.name == name)
    if f.kind == "uint64":
        setattr(state, name, getattr(state, name) + 1)
    elif f.kind == "bytes":
        setattr(state, name, b"\x07" * f.size)
    elif f.kind == "column" and f.append_only:  # read-only: a registry with another row 3
        columns = {c: getattr(state.validators, c).copy() for c in COLUMNS}
        columns[name][3] = 1
        state.validators = Registry.from_columns(columns)
    elif f.kind == "column":
        column = getattr(state.validators, name)
        column[3] = 1 if column.dtype != np.bool_ else not column[3]
        if column.ndim > 1:
            column[3, 5] = 9
    elif f.kind in ("roots", "u64vector"):
        getattr(state, name)[2] = 5
    elif f.kind == "bits":
        state.justification_bits[1] = not state.justification_bits[1]
    elif f.kind == "checkpoint":
        setattr(state, name, Checkpoint(3, b"\x02" * 32))
    elif f.kind == "header":
        h = state.latest_block_header
        state.latest_block_header = type(h)(h.slot, 2, h.parent_root, h.state_root, h.body_root)
    elif f.kind == "queue":
        queue = getattr(state, name)
        if name == "historical_summaries":
            from stakework.state.containers import HistoricalSummary

            queue.append(HistoricalSummary(b"\x01" * 32, b"\x02" * 32))
        elif name == "pending_consolidations":
            from stakework.state.containers import PendingConsolidation

            queue.append(PendingConsolidation(1, 2))
        elif name == "pending_partial_withdrawals":
            from stakework.state.containers import PendingPartialWithdrawal

            queue.append(PendingPartialWithdrawal(1, 5, 9))
        else:
            from stakework.state.containers import PendingDeposit

            queue.append(PendingDeposit(b"\x01" * 48, b"\x00" * 32, 10, b"\x00" * 96, 3))
    elif f.kind == "accounts":
        state.accounts.credit(b"\x09" * 20, 11)
    else:
        from stakework.modules.liquid.definition import genesis

        state.modules.enable("liquid", genesis(state.preset, b"\x03" * 20))


@pytest.mark.parametrize("name", [f.name for f in STATE_FIELDS])
@pytest.mark.parametrize("suffix", [".json", ".swk"])
def test_each_field__changed__changes_the_root_and_survives_both_snapshots(
    tmp_path: Path, name: str, suffix: str
) -> None:
    state = devnet_genesis(MINIMAL, 8)
    before = hash_state(state)
    _changed(state, name)
    assert hash_state(state) != before, f"the state root does not cover {name}"
    path = tmp_path / f"s{suffix}"
    save_state(state, path)
    loaded = load_state(path)
    assert hash_state(loaded) == hash_state(state), f"{name} does not survive a {suffix} snapshot"


def test_append_only_column__written_directly__refused() -> None:
    state = devnet_genesis(MINIMAL, 8)
    for f in COLUMN_FIELDS:
        if f.append_only:
            with pytest.raises(ValueError, match="read-only"):
                getattr(state.validators, f.name)[0] = 1
    state.validators.append(b"\x05" * 48, b"\x00" * 32, 0, 0)
    assert state.validators.pubkey[-1].tobytes() == b"\x05" * 48
