"""Spec: process_inactivity_updates (Altair inactivity scores)."""

from __future__ import annotations

import numpy as np

from stakework.spec.types import GENESIS_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import is_in_inactivity_leak
from stakework.transition.epoch.context import EpochContext

U64 = np.uint64


def process_inactivity_updates(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_inactivity_updates — for eligible validators, a timely target vote lowers the score by one,
    a missed one raises it by INACTIVITY_SCORE_BIAS; outside a leak every score also recovers by
    INACTIVITY_SCORE_RECOVERY_RATE (floored at zero)."""
    if ctx.current_epoch == GENESIS_EPOCH:
        return
    p = state.preset
    scores = state.validators.inactivity_scores
    eligible = ctx.eligible
    target = ctx.previous_participating[1]
    decrement = eligible & target & (scores > 0)
    increment = eligible & ~target
    np.subtract(scores, decrement, out=scores, casting="unsafe")
    np.add(scores, increment.astype(np.uint64) * U64(p.INACTIVITY_SCORE_BIAS), out=scores)
    if not is_in_inactivity_leak(state):
        recovery = np.minimum(scores, U64(p.INACTIVITY_SCORE_RECOVERY_RATE))
        recovery[~eligible] = 0
        np.subtract(scores, recovery, out=scores)
