"""The state root: SHA-256 over the canonical encoding of every field, in a fixed order.

Stable across runs, processes and machines (little-endian, explicit shapes, no dict ordering or pickling).
"""

from __future__ import annotations

import msgspec
import numpy as np

from stakework.codec.hashing import CanonicalHasher
from stakework.state.beacon_state import BeaconState

STATE_ROOT_DOMAIN = b"stakework/state/v1"

_SCALARS = (
    "genesis_time",
    "slot",
    "fork_epoch",
    "eth1_deposit_index",
    "deposit_requests_start_index",
    "deposit_balance_to_consume",
    "exit_balance_to_consume",
    "earliest_exit_epoch",
    "consolidation_balance_to_consume",
    "earliest_consolidation_epoch",
    "next_withdrawal_index",
    "next_withdrawal_validator_index",
)


def hash_state(state: BeaconState) -> bytes:
    """The 32-byte state root."""
    h = CanonicalHasher(STATE_ROOT_DOMAIN)
    h.raw("preset", state.preset.PRESET_NAME.encode())
    h.raw("genesis_validators_root", state.genesis_validators_root)
    h.raw("fork_previous_version", state.fork_previous_version)
    h.raw("fork_current_version", state.fork_current_version)
    for name in _SCALARS:
        h.int(name, getattr(state, name))
    h.raw("latest_block_header", msgspec.msgpack.encode(state.latest_block_header))
    h.int("validator_count", len(state.validators))
    for name, column in state.validators.columns():
        h.array(f"validators.{name}", column)
    h.array("block_roots", state.block_roots)
    h.array("state_roots", state.state_roots)
    h.array("randao_mixes", state.randao_mixes)
    h.array("slashings", state.slashings)
    h.array("justification_bits", np.array(state.justification_bits, dtype=np.bool_))
    for name in ("previous_justified_checkpoint", "current_justified_checkpoint", "finalized_checkpoint"):
        cp = getattr(state, name)
        h.int(f"{name}.epoch", cp.epoch)
        h.raw(f"{name}.root", cp.root)
    for name in (
        "pending_deposits",
        "pending_partial_withdrawals",
        "pending_consolidations",
        "historical_summaries",
    ):
        h.raw(name, msgspec.msgpack.encode(getattr(state, name)))
    return h.digest()
