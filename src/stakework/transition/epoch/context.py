"""EpochContext: what every epoch step reads, computed once per epoch over whole columns.

Built from the state as it stands when epoch processing starts. Every field stays valid through the steps that
read it: the steps before `process_effective_balance_updates` change balances, exits, activations (always at a
future epoch) and queues, but not effective balances, slashed flags or participation, which is all the context
derives from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stakework.spec.arith import exact_sum
from stakework.spec.constants import (
    TIMELY_HEAD_FLAG_INDEX,
    TIMELY_SOURCE_FLAG_INDEX,
    TIMELY_TARGET_FLAG_INDEX,
)
from stakework.spec.types import Epoch
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import get_base_reward_per_increment

BoolArray = npt.NDArray[np.bool_]
U64 = np.uint64


def sum_effective_balance(state: BeaconState, mask: BoolArray) -> int:
    """Exact sum of the selected effective balances.

    Effective balances never exceed MAX_EFFECTIVE_BALANCE_ELECTRA (checked when a snapshot loads, kept by every
    rule), so a plain uint64 sum is exact below 2**64 / max ≈ 9 million validators; above that the exact split
    sum is used.
    """
    eb = state.validators.effective_balance
    if len(eb) * state.preset.MAX_EFFECTIVE_BALANCE_ELECTRA < 2**64:
        return int(np.where(mask, eb, U64(0)).sum(dtype=np.uint64))
    return exact_sum(eb[mask])


@dataclass(frozen=True, slots=True)
class EpochContext:
    """Per-epoch masks and totals (Spec: the values get_unslashed_participating_indices,
    get_eligible_validator_indices and get_total_active_balance would recompute at every call)."""

    current_epoch: Epoch
    previous_epoch: Epoch
    next_epoch: Epoch
    active_current: BoolArray
    """is_active_validator(v, current_epoch)"""
    active_previous: BoolArray
    """is_active_validator(v, previous_epoch)"""
    eligible: BoolArray
    """Spec: get_eligible_validator_indices — active in the previous epoch, or slashed and not yet withdrawable."""
    previous_participating: tuple[BoolArray, BoolArray, BoolArray]
    """Spec: get_unslashed_participating_indices(flag, previous_epoch) for source, target, head."""
    current_target: BoolArray
    """Spec: get_unslashed_participating_indices(TIMELY_TARGET_FLAG_INDEX, current_epoch)."""
    total_active_balance: int
    """Spec: get_total_active_balance (current epoch; at least one increment)."""
    base_reward_per_increment: int

    @classmethod
    def build(cls, state: BeaconState) -> EpochContext:
        v = state.validators
        current = state.current_epoch()
        previous = state.previous_epoch()
        cur = U64(current)
        prev = U64(previous)
        activation = v.activation_epoch
        exit_epoch = v.exit_epoch
        active_current = (activation <= cur) & (cur < exit_epoch)
        same = previous == current
        active_previous = active_current if same else (activation <= prev) & (prev < exit_epoch)
        unslashed = ~v.slashed
        eligible = active_previous | (v.slashed & (U64(previous + 1) < v.withdrawable_epoch))
        unslashed_active_prev = unslashed & active_previous
        flags_prev = v.previous_epoch_participation
        previous_participating = tuple(
            unslashed_active_prev & ((flags_prev & np.uint8(1 << flag)) != 0)
            for flag in (TIMELY_SOURCE_FLAG_INDEX, TIMELY_TARGET_FLAG_INDEX, TIMELY_HEAD_FLAG_INDEX)
        )
        current_target = (
            unslashed
            & active_current
            & ((v.current_epoch_participation & np.uint8(1 << TIMELY_TARGET_FLAG_INDEX)) != 0)
        )
        total_active_balance = max(
            state.preset.EFFECTIVE_BALANCE_INCREMENT, sum_effective_balance(state, active_current)
        )
        return cls(
            current_epoch=current,
            previous_epoch=previous,
            next_epoch=Epoch(current + 1),
            active_current=active_current,
            active_previous=active_previous,
            eligible=eligible,
            previous_participating=previous_participating,
            current_target=current_target,
            total_active_balance=total_active_balance,
            base_reward_per_increment=get_base_reward_per_increment(state, total_active_balance),
        )

    def participating_balance(self, state: BeaconState, mask: BoolArray) -> int:
        """Spec: get_total_balance(state, indices) — at least one increment."""
        return max(state.preset.EFFECTIVE_BALANCE_INCREMENT, sum_effective_balance(state, mask))
