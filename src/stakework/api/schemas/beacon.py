"""Builders of beacon-API `data` objects (validators, headers, checkpoints) from stakework's state."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import BeaconBlockHeader, Checkpoint

STATUSES = (
    "pending_initialized",
    "pending_queued",
    "active_ongoing",
    "active_exiting",
    "active_slashed",
    "exited_unslashed",
    "exited_slashed",
    "withdrawal_possible",
    "withdrawal_done",
)
"""The beacon-API validator statuses, in lifecycle order."""
STATUS_GROUPS = {
    "pending": ("pending_initialized", "pending_queued"),
    "active": ("active_ongoing", "active_exiting", "active_slashed"),
    "exited": ("exited_unslashed", "exited_slashed"),
    "withdrawal": ("withdrawal_possible", "withdrawal_done"),
}


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def validator_statuses(state: BeaconState) -> npt.NDArray[np.int64]:
    """Index into STATUSES for every validator (beacon-API status rules, whole-array)."""
    v = state.validators
    epoch = np.uint64(state.current_epoch())
    far = np.uint64(FAR_FUTURE_EPOCH)
    status = np.full(len(v), STATUSES.index("withdrawal_done"), dtype=np.int64)
    withdrawable = v.withdrawable_epoch <= epoch
    status[withdrawable & (v.balances > 0)] = STATUSES.index("withdrawal_possible")
    exited = (v.exit_epoch <= epoch) & ~withdrawable
    status[exited & v.slashed] = STATUSES.index("exited_slashed")
    status[exited & ~v.slashed] = STATUSES.index("exited_unslashed")
    active = (v.activation_epoch <= epoch) & (epoch < v.exit_epoch)
    status[active & v.slashed] = STATUSES.index("active_slashed")
    status[active & ~v.slashed & (v.exit_epoch != far)] = STATUSES.index("active_exiting")
    status[active & (v.exit_epoch == far)] = STATUSES.index("active_ongoing")
    pending = v.activation_epoch > epoch
    status[pending] = STATUSES.index("pending_queued")
    status[pending & (v.activation_eligibility_epoch == far)] = STATUSES.index("pending_initialized")
    return status


def validator_json(state: BeaconState, index: int, status: str) -> dict[str, Any]:
    """Spec (beacon-API): ValidatorResponse."""
    r = state.validators.validator(index)
    return {
        "index": str(index),
        "balance": str(r.balance),
        "status": status,
        "validator": {
            "pubkey": _hex(r.pubkey),
            "withdrawal_credentials": _hex(r.withdrawal_credentials),
            "effective_balance": str(r.effective_balance),
            "slashed": r.slashed,
            "activation_eligibility_epoch": str(r.activation_eligibility_epoch),
            "activation_epoch": str(r.activation_epoch),
            "exit_epoch": str(r.exit_epoch),
            "withdrawable_epoch": str(r.withdrawable_epoch),
        },
    }


def checkpoint_json(cp: Checkpoint) -> dict[str, str]:
    """Spec (beacon-API): Checkpoint."""
    return {"epoch": str(cp.epoch), "root": _hex(cp.root)}


def header_json(header: BeaconBlockHeader) -> dict[str, str]:
    """Spec (beacon-API): BeaconBlockHeader."""
    return {
        "slot": str(header.slot),
        "proposer_index": str(header.proposer_index),
        "parent_root": _hex(header.parent_root),
        "state_root": _hex(header.state_root),
        "body_root": _hex(header.body_root),
    }
