"""Spec: get_domain — signature domains bound to the chain's fork and genesis."""

from __future__ import annotations

from stakework.codec.ssz import compute_domain
from stakework.state.beacon_state import BeaconState


def get_domain(state: BeaconState, domain_type: bytes, epoch: int | None = None) -> bytes:
    """Spec: get_domain — the fork version in force at `epoch` (default: the current epoch)."""
    e = state.current_epoch() if epoch is None else epoch
    version = state.fork_previous_version if e < state.fork_epoch else state.fork_current_version
    return compute_domain(domain_type, version, state.genesis_validators_root)
