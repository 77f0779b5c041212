"""Chain state: the columnar validator registry, the beacon-state fields, the state root and snapshots."""

from stakework.state.beacon_state import BeaconState
from stakework.state.containers import (
    BeaconBlockHeader,
    Checkpoint,
    HistoricalSummary,
    PendingConsolidation,
    PendingDeposit,
    PendingPartialWithdrawal,
)
from stakework.state.registry import Registry, RegistryError, Validator
from stakework.state.root import hash_state

__all__ = [
    "BeaconBlockHeader",
    "BeaconState",
    "Checkpoint",
    "HistoricalSummary",
    "PendingConsolidation",
    "PendingDeposit",
    "PendingPartialWithdrawal",
    "Registry",
    "RegistryError",
    "Validator",
    "hash_state",
]
