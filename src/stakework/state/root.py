"""The state root: the root of the state's Merkle commitment (shape: `state/proofs.py`; the incremental tree:
`state/commitment.py`).

`hash_state` is the entry point everything uses (block production, import, snapshots, the API): it brings the
state's cached tree up to date, re-hashing only what changed since the state (or the state it was copied from)
was last hashed. `hash_state_from_scratch` builds the tree anew and must always give the same root.
"""

from __future__ import annotations

from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import StateCommitment, TableStep, commitment_of
from stakework.state.commitment import prove_holder as _prove_holder
from stakework.state.proofs import StateProof


def hash_state(state: BeaconState) -> bytes:
    """The 32-byte state root (incremental: see the module docstring)."""
    return commitment_of(state).update(state)


def hash_state_from_scratch(state: BeaconState) -> bytes:
    """The state root computed without any cache (the baseline the incremental root must equal). Reads the state
    only: the state's own cached tree, and the write logs its registry, ledger and holder tables keep for it, are
    left as they were, so the next `hash_state(state)` is still incremental."""
    return StateCommitment(detached=True).update(state)


def prove_account(state: BeaconState, address: bytes) -> StateProof:
    """A Merkle proof of `address`'s balance and nonce (or its absence) in `hash_state(state)`."""
    commitment = commitment_of(state)
    commitment.update(state)
    return commitment.prove_account(state, address)


def prove_validator(state: BeaconState, index: int) -> StateProof:
    """A Merkle proof of validator `index`'s record and balance in `hash_state(state)`; IndexError when out of
    range."""
    commitment = commitment_of(state)
    commitment.update(state)
    return commitment.prove_validator(state, index)


def prove_holder(state: BeaconState, module: str, table: list[TableStep], holder: bytes) -> StateProof:
    """A Merkle proof of `holder`'s shares (or absence) in module `module`'s holder table at `table` (steps from
    the module's summary: `state.commitment.table_paths`) in `hash_state(state)`; KeyError when the module is not
    enabled or has no table there."""
    commitment = commitment_of(state)
    commitment.update(state)
    return _prove_holder(commitment, state, module, table, holder)
