"""Exit and withdrawable epochs past uint64: the spec's `Epoch` arithmetic raises, so stakework refuses with
TransitionError instead of letting a numpy column wrap (found by the official case
epoch_processing/registry_updates/invalid_large_withdrawable_epoch)."""

from __future__ import annotations

import pytest

from stakework.spec.presets import MINIMAL
from stakework.spec.types import FAR_FUTURE_EPOCH, GWEI_PER_SWK
from stakework.state import BeaconState, Registry
from stakework.transition.epoch import EpochContext
from stakework.transition.epoch.registry import process_registry_updates
from stakework.transition.errors import TransitionError
from stakework.transition.mutators import initiate_validator_exit

ETH = GWEI_PER_SWK


def _state(n: int = 8) -> BeaconState:
    reg = Registry()
    for i in range(n):
        reg.append(
            bytes([i + 1]) * 48,
            b"\x01" + bytes(31),
            32 * ETH,
            32 * ETH,
            activation_eligibility_epoch=0,
            activation_epoch=0,
        )
    return BeaconState(preset=MINIMAL, validators=reg, slot=5 * MINIMAL.SLOTS_PER_EPOCH - 1)


def test_registry_updates__ejection_withdrawable_epoch_past_uint64__raises_transition_error() -> None:
    state = _state()
    state.validators.exit_epoch[0] = FAR_FUTURE_EPOCH - 1
    state.earliest_exit_epoch = FAR_FUTURE_EPOCH - 1
    state.validators.effective_balance[1] = MINIMAL.EJECTION_BALANCE
    with pytest.raises(TransitionError, match="overflows uint64"):
        process_registry_updates(state, EpochContext.build(state))


def test_initiate_validator_exit__withdrawable_epoch_past_uint64__raises_transition_error() -> None:
    state = _state()
    state.earliest_exit_epoch = FAR_FUTURE_EPOCH - 1
    with pytest.raises(TransitionError, match="overflows uint64"):
        initiate_validator_exit(state, 2)


def test_initiate_validator_exit__ordinary_epochs__still_exits() -> None:
    state = _state()
    initiate_validator_exit(state, 2)
    exit_epoch = int(state.validators.exit_epoch[2])
    assert exit_epoch < FAR_FUTURE_EPOCH
    assert int(state.validators.withdrawable_epoch[2]) == exit_epoch + MINIMAL.MIN_VALIDATOR_WITHDRAWABILITY_DELAY


def test_consolidation_epoch__past_uint64__refused_not_wrapped() -> None:
    from stakework.transition.churn import compute_consolidation_epoch_and_update_churn

    state = _state(200)  # enough balance for a consolidation churn above zero (minimal preset)
    state.slot = 8 * 100
    state.earliest_consolidation_epoch = 2**64 - 1
    state.consolidation_balance_to_consume = 0
    with pytest.raises(TransitionError, match="overflows uint64"):
        compute_consolidation_epoch_and_update_churn(state, 64 * ETH)
