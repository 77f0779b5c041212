"""Spec: process_justification_and_finalization (Casper FFG over the last four epochs)."""

from __future__ import annotations

from stakework.spec.constants import JUSTIFICATION_BITS_LENGTH
from stakework.spec.types import GENESIS_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.transition.accessors import get_block_root
from stakework.transition.epoch.context import EpochContext


def process_justification_and_finalization(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_justification_and_finalization. Skipped in the first two epochs (no previous epoch's
    attestations can exist yet)."""
    if ctx.current_epoch <= GENESIS_EPOCH + 1:
        return
    previous_target_balance = ctx.participating_balance(state, ctx.previous_participating[1])
    current_target_balance = ctx.participating_balance(state, ctx.current_target)
    weigh_justification_and_finalization(
        state, ctx.total_active_balance, previous_target_balance, current_target_balance
    )


def weigh_justification_and_finalization(
    state: BeaconState,
    total_active_balance: int,
    previous_epoch_target_balance: int,
    current_epoch_target_balance: int,
) -> None:
    """Spec: weigh_justification_and_finalization — justify with 2/3 of the active balance on the target,
    finalize by the four k-finality rules."""
    previous_epoch = state.previous_epoch()
    current_epoch = state.current_epoch()
    old_previous_justified = state.previous_justified_checkpoint
    old_current_justified = state.current_justified_checkpoint

    state.previous_justified_checkpoint = state.current_justified_checkpoint
    bits = [False, *state.justification_bits[: JUSTIFICATION_BITS_LENGTH - 1]]
    if previous_epoch_target_balance * 3 >= total_active_balance * 2:
        state.current_justified_checkpoint = Checkpoint(previous_epoch, get_block_root(state, previous_epoch))
        bits[1] = True
    if current_epoch_target_balance * 3 >= total_active_balance * 2:
        state.current_justified_checkpoint = Checkpoint(current_epoch, get_block_root(state, current_epoch))
        bits[0] = True
    state.justification_bits = bits

    # The 2nd/3rd/4th most recent epochs are justified, the 2nd using the 4th as source.
    if all(bits[1:4]) and old_previous_justified.epoch + 3 == current_epoch:
        state.finalized_checkpoint = old_previous_justified
    # The 2nd/3rd most recent epochs are justified, the 2nd using the 3rd as source.
    if all(bits[1:3]) and old_previous_justified.epoch + 2 == current_epoch:
        state.finalized_checkpoint = old_previous_justified
    # The 1st/2nd/3rd most recent epochs are justified, the 1st using the 3rd as source.
    if all(bits[0:3]) and old_current_justified.epoch + 2 == current_epoch:
        state.finalized_checkpoint = old_current_justified
    # The 1st/2nd most recent epochs are justified, the 1st using the 2nd as source.
    if all(bits[0:2]) and old_current_justified.epoch + 1 == current_epoch:
        state.finalized_checkpoint = old_current_justified
