"""Spec: process_effective_balance_updates (hysteresis; EIP-7251 caps at 2048 for compounding credentials)."""

from __future__ import annotations

import numpy as np

from stakework.state.beacon_state import BeaconState
from stakework.transition.epoch.context import EpochContext

U64 = np.uint64


def process_effective_balance_updates(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_effective_balance_updates — an effective balance moves only when the balance leaves the band
    (EB − 0.25, EB + 1.25) increments (mainnet hysteresis), then becomes the balance rounded down to an
    increment, capped by the credential's maximum."""
    p = state.preset
    v = state.validators
    balances = v.balances
    eb = v.effective_balance
    hysteresis_increment = p.EFFECTIVE_BALANCE_INCREMENT // p.HYSTERESIS_QUOTIENT
    downward = U64(hysteresis_increment * p.HYSTERESIS_DOWNWARD_MULTIPLIER)
    upward = U64(hysteresis_increment * p.HYSTERESIS_UPWARD_MULTIPLIER)
    # balance + downward < eb  <=>  balance < eb - downward, written so that nothing can wrap
    moved = (balances < eb - np.minimum(eb, downward)) | (eb + upward < balances)
    idx = np.flatnonzero(moved)
    # equivalent mutant (const 0 to -1): with no mover the update below touches nothing; the return only saves work
    if idx.size == 0:
        return
    b = balances[idx]
    cap = np.where(
        v.withdrawal_credentials[idx, 0] == 0x02,
        U64(p.MAX_EFFECTIVE_BALANCE_ELECTRA),
        U64(p.MIN_ACTIVATION_BALANCE),
    )
    eb[idx] = np.minimum(b - b % U64(p.EFFECTIVE_BALANCE_INCREMENT), cap)
