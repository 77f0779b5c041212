"""The baseline the incremental state root is checked against in tests: the root from scratch of an independent,
deep, cache-free reconstruction of the state (its JSON snapshot, encoded to bytes and decoded again). The rebuilt
state shares no array, ledger, holder table, write log or tree with the state under test, so computing it
disturbs nothing the state's own incremental tree relies on, and a bug shared by the state and its copies (a
copy-on-write slip, a column a copy loses) cannot hide in the baseline."""

from __future__ import annotations

import msgspec

from stakework.state.beacon_state import BeaconState
from stakework.state.proofs import sha256
from stakework.state.root import hash_state, hash_state_from_scratch
from stakework.state.snapshot import state_from_json, state_to_json
from stakework.state.snapshot_schema import StateJSON


def rebuilt(state: BeaconState) -> BeaconState:
    """`state` rebuilt from its JSON snapshot's bytes (the snapshot's own root left out: nothing is checked)."""
    doc = state_to_json(state)
    doc.state_root = None
    return state_from_json(msgspec.json.decode(msgspec.json.encode(doc), type=StateJSON), state.preset)


def independent_root(state: BeaconState) -> bytes:
    """The root from scratch of `rebuilt(state)`: what `hash_state(state)` must equal."""
    return hash_state_from_scratch(rebuilt(state))


def check_root(state: BeaconState) -> bytes:
    """Assert that the state's incremental root equals the root from scratch of the state itself (a tree that
    follows nothing, so the state's own tree stays incremental) and of its independent reconstruction; return it."""
    incremental = hash_state(state)
    assert incremental == hash_state_from_scratch(state), "incremental root != root from scratch of the same state"
    assert incremental == independent_root(state), "incremental root != root from scratch of the rebuilt state"
    return incremental


def plain_share_table_root(table: dict[bytes, int]) -> bytes:
    """The holder table's root as state/proofs.py describes it, computed plainly: every one of the 2**16 buckets
    by the holder's first 16 bits, entries len || holder || shares (8 LE) sorted by holder, a 16-ary tree."""
    buckets: dict[int, list[bytes]] = {}
    for holder in table:
        buckets.setdefault(int.from_bytes(holder[:2].ljust(2, b"\x00"), "big"), []).append(holder)
    layer = [bytes(32)] * 2**16  # an empty bucket's leaf
    for bucket, holders in buckets.items():
        layer[bucket] = sha256(b"".join(bytes([len(h)]) + h + table[h].to_bytes(8, "little") for h in sorted(holders)))
    while len(layer) > 1:
        layer = [sha256(b"".join(layer[i : i + 16])) for i in range(0, len(layer), 16)]
    return sha256(layer[0] + len(table).to_bytes(8, "little"))
