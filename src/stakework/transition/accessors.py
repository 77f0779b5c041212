"""Spec: "Beacon state accessors" and predicates, vectorized over the registry where they range over validators."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from stakework.spec.arith import exact_sum, integer_squareroot
from stakework.spec.types import Epoch, Root
from stakework.state.beacon_state import BeaconState
from stakework.transition import epoch_cache
from stakework.transition.errors import TransitionError
from stakework.transition.misc import compute_start_slot_at_epoch

BoolArray = npt.NDArray[np.bool_]


def is_active_validator(state: BeaconState, epoch: int) -> BoolArray:
    """Spec: is_active_validator, for every validator: activation_epoch <= epoch < exit_epoch."""
    v = state.validators
    e = np.uint64(epoch)
    return (v.activation_epoch <= e) & (e < v.exit_epoch)


def get_active_validator_indices(state: BeaconState, epoch: int) -> npt.NDArray[np.int64]:
    """Spec: get_active_validator_indices."""
    return np.flatnonzero(is_active_validator(state, epoch))


def get_total_balance(state: BeaconState, mask: BoolArray) -> int:
    """Spec: get_total_balance — sum of effective balances of the selected validators, at least one increment."""
    return max(state.preset.EFFECTIVE_BALANCE_INCREMENT, exact_sum(state.validators.effective_balance[mask]))


def get_total_active_balance(state: BeaconState) -> int:
    """Spec: get_total_active_balance (current epoch), from the per-epoch cache (`epoch_cache`: kept with the
    set of validators active in the epoch and the effective balances it was summed from, so never another
    registry's)."""
    return epoch_cache.total_active_balance(state)


def get_base_reward_per_increment(state: BeaconState, total_active_balance: int) -> int:
    """Spec: get_base_reward_per_increment."""
    p = state.preset
    return p.EFFECTIVE_BALANCE_INCREMENT * p.BASE_REWARD_FACTOR // integer_squareroot(total_active_balance)


def get_block_root_at_slot(state: BeaconState, slot: int) -> Root:
    """Spec: get_block_root_at_slot — only the last SLOTS_PER_HISTORICAL_ROOT slots are kept."""
    if not slot < state.slot <= slot + state.preset.SLOTS_PER_HISTORICAL_ROOT:
        raise TransitionError(f"block root of slot {slot} is not held by a state at slot {state.slot}")
    return Root(state.block_roots[slot % state.preset.SLOTS_PER_HISTORICAL_ROOT].tobytes())


def get_block_root(state: BeaconState, epoch: int) -> Root:
    """Spec: get_block_root — the root at the start slot of `epoch`."""
    return get_block_root_at_slot(state, compute_start_slot_at_epoch(state.preset, epoch))


def get_randao_mix(state: BeaconState, epoch: int) -> bytes:
    """Spec: get_randao_mix."""
    mix: bytes = state.randao_mixes[epoch % state.preset.EPOCHS_PER_HISTORICAL_VECTOR].tobytes()
    return mix


def get_finality_delay(state: BeaconState) -> int:
    """Spec: get_finality_delay."""
    return state.previous_epoch() - state.finalized_checkpoint.epoch


def is_in_inactivity_leak(state: BeaconState) -> bool:
    """Spec: is_in_inactivity_leak."""
    return get_finality_delay(state) > state.preset.MIN_EPOCHS_TO_INACTIVITY_PENALTY


def get_max_effective_balance(state: BeaconState) -> npt.NDArray[np.uint64]:
    """Spec: get_max_effective_balance (EIP-7251) per validator: 2048 for 0x02 credentials, else 32."""
    p = state.preset
    return np.where(
        state.validators.has_compounding_withdrawal_credential(),
        np.uint64(p.MAX_EFFECTIVE_BALANCE_ELECTRA),
        np.uint64(p.MIN_ACTIVATION_BALANCE),
    )


def max_effective_balance_of(state: BeaconState, index: int) -> int:
    """Spec: get_max_effective_balance for one validator."""
    p = state.preset
    if state.validators.withdrawal_credentials[index, 0] == 0x02:
        return p.MAX_EFFECTIVE_BALANCE_ELECTRA
    return p.MIN_ACTIVATION_BALANCE


def get_current_epoch(state: BeaconState) -> Epoch:
    """Spec: get_current_epoch."""
    return state.current_epoch()
