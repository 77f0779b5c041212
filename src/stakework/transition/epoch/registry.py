"""Spec: process_registry_updates (Electra: activation eligibility, ejections, activations; EIP-7251 moves the
activation churn to the deposit queue, so activations here are unlimited)."""

from __future__ import annotations

import numpy as np

from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.transition.churn import check_withdrawable_epoch, compute_exit_epochs_and_update_churn
from stakework.transition.epoch.context import EpochContext
from stakework.transition.misc import compute_activation_exit_epoch

U64 = np.uint64


def process_registry_updates(state: BeaconState, ctx: EpochContext) -> None:
    """Spec: process_registry_updates. The spec's loop takes, per validator, the first branch that applies:

    1. eligible for the activation queue (eligibility unset, effective balance ≥ MIN_ACTIVATION_BALANCE):
       eligibility = current epoch + 1;
    2. active with effective balance ≤ EJECTION_BALANCE: initiate_validator_exit, in index order (each exit
       consumes churn, so order decides exit epochs);
    3. eligible for activation (eligibility ≤ finalized epoch, not yet activated): activate at
       compute_activation_exit_epoch(current epoch).

    The branches are decided on the state before the loop (no branch changes another validator's inputs), so
    they are computed as masks. An ejection sticks as the written spec says (the reference Python build reverts
    it through an aliased write: consensus-specs issue 3925).
    """
    p = state.preset
    v = state.validators
    far = U64(FAR_FUTURE_EPOCH)
    eb = v.effective_balance
    eligibility = v.activation_eligibility_epoch

    to_queue = (eligibility == far) & (eb >= U64(p.MIN_ACTIVATION_BALANCE))
    to_eject = ~to_queue & ctx.active_current & (eb <= U64(p.EJECTION_BALANCE))
    to_activate = (
        ~to_queue & ~to_eject & (eligibility <= U64(state.finalized_checkpoint.epoch)) & (v.activation_epoch == far)
    )

    eligibility[to_queue] = ctx.current_epoch + 1

    ejected = np.flatnonzero(to_eject & (v.exit_epoch == far))
    if ejected.size:
        exit_epochs = compute_exit_epochs_and_update_churn(state, eb[ejected], ctx.total_active_balance)
        check_withdrawable_epoch(state, int(exit_epochs.max()))
        v.exit_epoch[ejected] = exit_epochs
        v.withdrawable_epoch[ejected] = exit_epochs + U64(p.MIN_VALIDATOR_WITHDRAWABILITY_DELAY)

    v.activation_epoch[to_activate] = compute_activation_exit_epoch(p, ctx.current_epoch)
