"""Spec: process_slashings (Electra correlation penalty)."""

from __future__ import annotations

import numpy as np

from stakework.spec.arith import exact_sum, mul_div_floor
from stakework.state.beacon_state import BeaconState
from stakework.transition.epoch.context import EpochContext

U64 = np.uint64


def process_slashings(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_slashings — at the midpoint of the slashings window, each slashed validator loses
    `min(3 × recent slashings, total) // (total / increment)` per increment of its effective balance.

    Electra computes the per-increment penalty first (EIP-7251), so the rounding differs from Deneb's.
    """
    p = state.preset
    v = state.validators
    target = ctx.current_epoch + p.EPOCHS_PER_SLASHINGS_VECTOR // 2
    if target >= 2**64:
        return
    hit = np.flatnonzero(v.slashed & (v.withdrawable_epoch == U64(target)))
    if hit.size == 0:
        return
    total_balance = ctx.total_active_balance
    adjusted_total_slashing_balance = min(
        exact_sum(state.slashings) * p.PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX, total_balance
    )
    increment = p.EFFECTIVE_BALANCE_INCREMENT
    penalty_per_increment = adjusted_total_slashing_balance // (total_balance // increment)
    penalties = mul_div_floor(v.effective_balance[hit] // U64(increment), penalty_per_increment, 1)
    balances = v.balances
    balances[hit] -= np.minimum(penalties, balances[hit])
