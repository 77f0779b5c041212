"""Spec: process_pending_consolidations (Electra, EIP-7251)."""

from __future__ import annotations

from stakework.state.beacon_state import BeaconState
from stakework.transition.epoch.context import EpochContext


def process_pending_consolidations(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_pending_consolidations — once a source is withdrawable, move min(balance, effective
    balance) from source to target; slashed sources are dropped; the queue stops at the first source that is not
    withdrawable yet."""
    v = state.validators
    balances = v.balances
    next_epoch = ctx.next_epoch
    next_pending_consolidation = 0
    for pending in state.pending_consolidations:
        source = pending.source_index
        if v.slashed[source]:
            next_pending_consolidation += 1
            continue
        if int(v.withdrawable_epoch[source]) > next_epoch:
            break
        moved = min(int(balances[source]), int(v.effective_balance[source]))
        balances[source] -= moved
        balances[pending.target_index] += moved
        next_pending_consolidation += 1
    state.pending_consolidations = state.pending_consolidations[next_pending_consolidation:]
