"""The state root: SHA-256 over the canonical encoding of every field, in a fixed order.

Stable across runs, processes and machines (little-endian, explicit shapes, no dict ordering or pickling).
"""

from __future__ import annotations

import msgspec
import numpy as np

from stakework.codec.hashing import CanonicalHasher
from stakework.modules.store import canonical_store_bytes
from stakework.state.beacon_state import (
    ARRAY_FIELDS,
    BYTES_FIELDS,
    CHECKPOINT_FIELDS,
    QUEUE_FIELDS,
    SCALAR_FIELDS,
    BeaconState,
)

STATE_ROOT_DOMAIN = b"stakework/state/v1"


def hash_state(state: BeaconState) -> bytes:
    """The 32-byte state root."""
    h = CanonicalHasher(STATE_ROOT_DOMAIN)
    h.raw("preset", state.preset.PRESET_NAME.encode())
    for name in BYTES_FIELDS:
        h.raw(name, getattr(state, name))
    for name in SCALAR_FIELDS:
        h.int(name, getattr(state, name))
    h.raw("latest_block_header", msgspec.msgpack.encode(state.latest_block_header))
    h.int("validator_count", len(state.validators))
    for name, column in state.validators.columns():
        h.array(f"validators.{name}", column)
    for name in ARRAY_FIELDS:
        h.array(name, getattr(state, name))
    h.array("justification_bits", np.array(state.justification_bits, dtype=np.bool_))
    for name in CHECKPOINT_FIELDS:
        cp = getattr(state, name)
        h.int(f"{name}.epoch", cp.epoch)
        h.raw(f"{name}.root", cp.root)
    for name in QUEUE_FIELDS:
        h.raw(name, msgspec.msgpack.encode(getattr(state, name)))
    h.int("account_count", len(state.accounts))
    for address, account in state.accounts.items():
        h.raw("account.address", address)
        h.int("account.balance", account.balance)
        h.int("account.nonce", account.nonce)
    if not state.modules.is_empty():  # a chain without modules keeps the root it always had
        h.raw("modules", canonical_store_bytes(state.modules))
    return h.digest()
