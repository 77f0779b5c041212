"""Spec: process_rewards_and_penalties (Altair participation-flag rewards, Bellatrix inactivity penalties)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from stakework.spec.arith import apply_deltas, mul_div_floor
from stakework.spec.constants import PARTICIPATION_FLAG_WEIGHTS, TIMELY_HEAD_FLAG_INDEX, WEIGHT_DENOMINATOR
from stakework.spec.types import GENESIS_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import is_in_inactivity_leak
from stakework.transition.epoch.context import EpochContext

U64 = np.uint64
U64Array = npt.NDArray[np.uint64]


def get_base_rewards(state: BeaconState, ctx: EpochContext) -> U64Array:
    """Spec: get_base_reward for every validator — effective-balance increments × base reward per increment."""
    increments = state.validators.effective_balance // U64(state.preset.EFFECTIVE_BALANCE_INCREMENT)
    return mul_div_floor(increments, ctx.base_reward_per_increment, 1)


def get_flag_index_deltas(
    state: BeaconState, ctx: EpochContext, flag_index: int, base_rewards: U64Array | None = None
) -> tuple[U64Array, U64Array]:
    """Spec: get_flag_index_deltas — (rewards, penalties) per validator for one participation flag.

    Eligible participants earn base_reward × weight × participating increments / (active increments × 64),
    nothing during an inactivity leak; eligible non-participants lose base_reward × weight / 64, except for the
    head flag.
    """
    p = state.preset
    if base_rewards is None:
        base_rewards = get_base_rewards(state, ctx)
    participating = ctx.previous_participating[flag_index]
    weight = PARTICIPATION_FLAG_WEIGHTS[flag_index]
    n = len(base_rewards)
    rewards = np.zeros(n, dtype=np.uint64)
    penalties = np.zeros(n, dtype=np.uint64)
    if not is_in_inactivity_leak(state):
        participating_increments = ctx.participating_balance(state, participating) // p.EFFECTIVE_BALANCE_INCREMENT
        active_increments = ctx.total_active_balance // p.EFFECTIVE_BALANCE_INCREMENT
        earners = ctx.eligible & participating
        rewards = np.where(
            earners,
            mul_div_floor(base_rewards, weight * participating_increments, active_increments * WEIGHT_DENOMINATOR),
            U64(0),
        )
    if flag_index != TIMELY_HEAD_FLAG_INDEX:
        missers = ctx.eligible & ~participating
        penalties = np.where(missers, mul_div_floor(base_rewards, weight, WEIGHT_DENOMINATOR), U64(0))
    return rewards, penalties


def get_inactivity_penalty_deltas(state: BeaconState, ctx: EpochContext) -> tuple[U64Array, U64Array]:
    """Spec: get_inactivity_penalty_deltas — eligible validators without a timely target vote lose
    effective_balance × inactivity_score / (INACTIVITY_SCORE_BIAS × INACTIVITY_PENALTY_QUOTIENT_BELLATRIX)."""
    p = state.preset
    v = state.validators
    n = len(v)
    missers = ctx.eligible & ~ctx.previous_participating[1]
    penalties = np.zeros(n, dtype=np.uint64)
    idx = np.flatnonzero(missers)
    if idx.size:
        penalties[idx] = mul_div_floor(
            v.effective_balance[idx],
            v.inactivity_scores[idx],
            p.INACTIVITY_SCORE_BIAS * p.INACTIVITY_PENALTY_QUOTIENT_BELLATRIX,
        )
    return np.zeros(n, dtype=np.uint64), penalties


def process_rewards_and_penalties(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_rewards_and_penalties — for each flag, then inactivity: increase, then decrease (floored
    at zero), in that order, as the spec applies them."""
    if ctx.current_epoch == GENESIS_EPOCH:
        return
    base_rewards = get_base_rewards(state, ctx)
    balances = state.validators.balances
    for flag_index in range(len(PARTICIPATION_FLAG_WEIGHTS)):
        rewards, penalties = get_flag_index_deltas(state, ctx, flag_index, base_rewards)
        apply_deltas(balances, rewards, penalties)
    _, inactivity_penalties = get_inactivity_penalty_deltas(state, ctx)
    apply_deltas(balances, None, inactivity_penalties)
