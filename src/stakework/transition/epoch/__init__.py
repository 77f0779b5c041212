"""Epoch processing (Spec: process_epoch, Electra): one file per step, run in the spec's order over an
EpochContext built once per epoch."""

from __future__ import annotations

from collections.abc import Callable

from stakework.state.beacon_state import BeaconState
from stakework.transition.epoch.context import EpochContext
from stakework.transition.epoch.effective_balance import process_effective_balance_updates
from stakework.transition.epoch.inactivity import process_inactivity_updates
from stakework.transition.epoch.justification import process_justification_and_finalization
from stakework.transition.epoch.pending_consolidations import process_pending_consolidations
from stakework.transition.epoch.pending_deposits import process_pending_deposits
from stakework.transition.epoch.registry import process_registry_updates
from stakework.transition.epoch.resets import (
    process_eth1_data_reset,
    process_historical_summaries_update,
    process_participation_flag_updates,
    process_randao_mixes_reset,
    process_slashings_reset,
    process_sync_committee_updates,
)
from stakework.transition.epoch.rewards import process_rewards_and_penalties
from stakework.transition.epoch.slashings import process_slashings

EpochStep = Callable[[BeaconState, EpochContext], None]

EPOCH_STEPS: tuple[tuple[str, EpochStep], ...] = (
    ("process_justification_and_finalization", process_justification_and_finalization),
    ("process_inactivity_updates", process_inactivity_updates),
    ("process_rewards_and_penalties", process_rewards_and_penalties),
    ("process_registry_updates", process_registry_updates),
    ("process_slashings", process_slashings),
    ("process_eth1_data_reset", process_eth1_data_reset),
    ("process_pending_deposits", process_pending_deposits),
    ("process_pending_consolidations", process_pending_consolidations),
    ("process_effective_balance_updates", process_effective_balance_updates),
    ("process_slashings_reset", process_slashings_reset),
    ("process_randao_mixes_reset", process_randao_mixes_reset),
    ("process_historical_summaries_update", process_historical_summaries_update),
    ("process_participation_flag_updates", process_participation_flag_updates),
    ("process_sync_committee_updates", process_sync_committee_updates),
)
"""The 14 Electra process_epoch steps in spec order, as (spec name, function)."""


def process_epoch(state: BeaconState) -> None:
    """Spec: process_epoch. Precondition: `state.slot` is the last slot of its epoch."""
    ctx = EpochContext.build(state)
    process_justification_and_finalization(state, ctx)
    process_inactivity_updates(state, ctx)
    process_rewards_and_penalties(state, ctx)
    process_registry_updates(state, ctx)
    process_slashings(state, ctx)
    process_eth1_data_reset(state, ctx)
    process_pending_deposits(state, ctx)
    process_pending_consolidations(state, ctx)
    process_effective_balance_updates(state, ctx)
    process_slashings_reset(state, ctx)
    process_randao_mixes_reset(state, ctx)
    process_historical_summaries_update(state, ctx)
    process_participation_flag_updates(state, ctx)
    process_sync_committee_updates(state, ctx)


__all__ = ["EPOCH_STEPS", "EpochContext", "EpochStep", "process_epoch"]
