"""The state's fields, declared once: name, kind, dtype, the reference specification's name and the JSON name.

Everything that walks the state reads this table: the state commitment (`state/commitment.py`: one top-level
leaf per field, in this order), the binary snapshot (`state/snapshot.py`), the JSON snapshot's scalar fields,
and the reference-spec bridge (`conformance/pyspec_bridge.py`: the scalar fields, the Validator container's
layout and the registry's list fields). `tests/state/test_fields.py` walks the table against `BeaconState`,
the registry, the JSON schema and the reference's `BeaconState`, so a field declared here and missing there
(or the reverse) fails with the place named.

Adding a uint64 or bytes field: one entry here, the attribute in `BeaconState` (a dataclass needs it typed),
and the optional JSON attribute in `snapshot_schema.StateJSON`; the commitment, both snapshots and the bridge
follow from the entry.

Kinds:
  uint64      an int (spec: uint64); `spec` is the reference's path (``fork.epoch``)
  bytes       fixed-length bytes; `size` is the length
  column      a registry column: one row per validator (`dtype`, `shape` of one row, `fill` of a new row);
              `spec` is ``validators.<field>`` for the Validator container's fields, else the state's list
  roots       a ring buffer of 32-byte roots, an (N, 32) uint8 array (Vector[Root, N])
  u64vector   a uint64 ring buffer (Vector[Gwei, N])
  bits        justification bits (Bitvector[4])
  checkpoint  a Checkpoint
  header      the BeaconBlockHeader
  queue       a list of msgspec records (`record` names the container)
  accounts    stakework: the native account ledger
  modules     stakework: the module store
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from stakework.spec.types import FAR_FUTURE_EPOCH

Kind = Literal[
    "uint64", "bytes", "column", "roots", "u64vector", "bits", "checkpoint", "header", "queue", "accounts", "modules"
]


@dataclass(frozen=True, slots=True)
class Field:
    """One field of the state."""

    name: str
    """The attribute name on BeaconState (or Registry, for a column)."""
    kind: Kind
    spec: str | None
    """The reference BeaconState's name for it (dotted into containers); None: stakework only."""
    dtype: str = ""
    """numpy dtype of a column or vector (``<u8``, ``u1``, ``?``)."""
    shape: tuple[int, ...] = ()
    """A column's shape of one row."""
    fill: int = 0
    """A column's value for a new row."""
    size: int = 0
    """A bytes field's length."""
    json: str | None = None
    """The JSON snapshot's name (dotted into objects); defaults to `name`."""
    append_only: bool = False
    """A column whose rows never change once appended: the registry hands it out read-only, and the commitment
    hashes only new rows (no shadow copy, no compare)."""

    @property
    def json_name(self) -> str:
        return self.json if self.json is not None else self.name

    @property
    def np_dtype(self) -> np.dtype[np.generic]:
        return np.dtype(self.dtype)


def _u64(name: str, spec: str | None = None, json: str | None = None) -> Field:
    return Field(name, "uint64", spec if spec is not None else name, json=json)


def _col(name: str, dtype: str, shape: tuple[int, ...] = (), fill: int = 0, *, spec: str, json: str) -> Field:
    return Field(name, "column", spec, dtype=dtype, shape=shape, fill=fill, json=json)


FAR: Final = FAR_FUTURE_EPOCH

STATE_FIELDS: Final[tuple[Field, ...]] = (
    _u64("genesis_time"),
    Field("genesis_validators_root", "bytes", "genesis_validators_root", size=32),
    _u64("slot"),
    Field("fork_previous_version", "bytes", "fork.previous_version", size=4, json="fork.previous_version"),
    Field("fork_current_version", "bytes", "fork.current_version", size=4, json="fork.current_version"),
    _u64("fork_epoch", "fork.epoch", json="fork.epoch"),
    Field("latest_block_header", "header", "latest_block_header"),
    Field("block_roots", "roots", "block_roots", dtype="u1"),
    Field("state_roots", "roots", "state_roots", dtype="u1"),
    _u64("eth1_deposit_index"),
    # -- the registry (Spec: validators, balances, participation, inactivity_scores), one column per field --
    Field("pubkey", "column", "validators.pubkey", dtype="u1", shape=(48,), json="validators.pubkey", append_only=True),
    _col(
        "withdrawal_credentials",
        "u1",
        (32,),
        spec="validators.withdrawal_credentials",
        json="validators.withdrawal_credentials",
    ),
    _col("effective_balance", "<u8", spec="validators.effective_balance", json="validators.effective_balance"),
    _col("slashed", "?", spec="validators.slashed", json="validators.slashed"),
    _col(
        "activation_eligibility_epoch",
        "<u8",
        fill=FAR,
        spec="validators.activation_eligibility_epoch",
        json="validators.activation_eligibility_epoch",
    ),
    _col("activation_epoch", "<u8", fill=FAR, spec="validators.activation_epoch", json="validators.activation_epoch"),
    _col("exit_epoch", "<u8", fill=FAR, spec="validators.exit_epoch", json="validators.exit_epoch"),
    _col(
        "withdrawable_epoch",
        "<u8",
        fill=FAR,
        spec="validators.withdrawable_epoch",
        json="validators.withdrawable_epoch",
    ),
    _col("balances", "<u8", spec="balances", json="balances"),
    Field("randao_mixes", "roots", "randao_mixes", dtype="u1"),
    Field("slashings", "u64vector", "slashings", dtype="<u8"),
    _col(
        "previous_epoch_participation", "u1", spec="previous_epoch_participation", json="previous_epoch_participation"
    ),
    _col("current_epoch_participation", "u1", spec="current_epoch_participation", json="current_epoch_participation"),
    Field("justification_bits", "bits", "justification_bits"),
    Field("previous_justified_checkpoint", "checkpoint", "previous_justified_checkpoint"),
    Field("current_justified_checkpoint", "checkpoint", "current_justified_checkpoint"),
    Field("finalized_checkpoint", "checkpoint", "finalized_checkpoint"),
    _col("inactivity_scores", "<u8", spec="inactivity_scores", json="inactivity_scores"),
    _u64("next_withdrawal_index"),
    _u64("next_withdrawal_validator_index"),
    Field("historical_summaries", "queue", "historical_summaries"),
    _u64("deposit_requests_start_index"),
    _u64("deposit_balance_to_consume"),
    _u64("exit_balance_to_consume"),
    _u64("earliest_exit_epoch"),
    _u64("consolidation_balance_to_consume"),
    _u64("earliest_consolidation_epoch"),
    Field("pending_deposits", "queue", "pending_deposits"),
    Field("pending_partial_withdrawals", "queue", "pending_partial_withdrawals"),
    Field("pending_consolidations", "queue", "pending_consolidations"),
    Field("accounts", "accounts", None),
    Field("modules", "modules", None),
)
"""Every field of the state, in the reference BeaconState's order where it has one (the commitment's order)."""

BY_NAME: Final = {f.name: f for f in STATE_FIELDS}


def of_kind(*kinds: Kind) -> tuple[Field, ...]:
    """The fields of the given kinds, in table order."""
    return tuple(f for f in STATE_FIELDS if f.kind in kinds)


COLUMN_FIELDS: Final = of_kind("column")
"""The registry's columns, in table order."""
VALIDATOR_CONTAINER_FIELDS: Final = tuple(f for f in COLUMN_FIELDS if (f.spec or "").startswith("validators."))
"""The columns that are fields of the reference's Validator container, in the container's order."""
