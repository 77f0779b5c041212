"""Spec: the end-of-epoch resets and rotations — process_eth1_data_reset, process_slashings_reset,
process_randao_mixes_reset, process_historical_summaries_update, process_participation_flag_updates,
process_sync_committee_updates."""

from __future__ import annotations

from stakework.codec.hashing import hash_tree_root_roots
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import HistoricalSummary
from stakework.transition.accessors import get_randao_mix
from stakework.transition.epoch.context import EpochContext


def process_eth1_data_reset(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_eth1_data_reset.

    # [Differs from Electra: stakework has no eth1 bridge or eth1 data votes; deposits arrive as native
    #  transactions, so there is nothing to reset.]
    """


def process_slashings_reset(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_slashings_reset — clear the next epoch's slot of the slashings ring."""
    state.slashings[ctx.next_epoch % state.preset.EPOCHS_PER_SLASHINGS_VECTOR] = 0


def process_randao_mixes_reset(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_randao_mixes_reset — the next epoch's mix starts as the current one."""
    p = state.preset
    state.randao_mixes[ctx.next_epoch % p.EPOCHS_PER_HISTORICAL_VECTOR] = list(get_randao_mix(state, ctx.current_epoch))


def process_historical_summaries_update(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_historical_summaries_update (Capella) — every SLOTS_PER_HISTORICAL_ROOT slots, append the
    SSZ roots of block_roots and state_roots."""
    p = state.preset
    if ctx.next_epoch % (p.SLOTS_PER_HISTORICAL_ROOT // p.SLOTS_PER_EPOCH) == 0:
        state.historical_summaries.append(
            HistoricalSummary(
                block_summary_root=hash_tree_root_roots(state.block_roots),
                state_summary_root=hash_tree_root_roots(state.state_roots),
            )
        )


def process_participation_flag_updates(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_participation_flag_updates — current flags become previous, current start empty."""
    v = state.validators
    v.previous_epoch_participation[:] = v.current_epoch_participation
    v.current_epoch_participation[:] = 0


def process_sync_committee_updates(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_sync_committee_updates.

    # [Differs from Electra: stakework has no sync committees (light-client support is out of scope), so there is
    #  no committee to rotate.]
    """
