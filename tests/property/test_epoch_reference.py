"""Each vectorized epoch step against its plain-loop reference (tests/reference/epoch_reference.py), on random
states of up to ~2,000 validators. No reference-spec package run: fast enough for bigger states and more
examples than the differential tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given

from reference import epoch_reference as ref
from stakework.spec.presets import MAINNET, MINIMAL
from stakework.state import BeaconState
from stakework.transition.epoch import EPOCH_STEPS, EpochContext, process_epoch
from stakework.transition.epoch.rewards import get_flag_index_deltas, get_inactivity_penalty_deltas
from support.pyspec_bridge import first_difference
from support.strategies import beacon_states, build_state, examples

REFERENCE_STEPS = dict(ref.EPOCH_STEPS)


def _assert_same(expected: BeaconState, actual: BeaconState, what: str) -> None:
    diff = first_difference(expected, actual)
    assert diff is None, f"{what}: vectorized differs from the plain-loop reference at {diff}"
    assert expected.accounts == actual.accounts, f"{what}: the account ledger differs"


def test_reference_has_every_epoch_step_in_the_same_order():
    assert [name for name, _ in ref.EPOCH_STEPS] == [name for name, _ in EPOCH_STEPS]


@pytest.mark.parametrize("name", [name for name, _ in EPOCH_STEPS])
@examples(50)
@given(state=beacon_states(max_validators=2000))
def test_each_vectorized_step_matches_its_plain_loop_reference(name, state):
    expected = state.copy()
    REFERENCE_STEPS[name](expected)
    actual = state.copy()
    dict(EPOCH_STEPS)[name](actual, EpochContext.build(actual))
    _assert_same(expected, actual, name)


@examples(80)
@given(state=beacon_states(max_validators=2000))
def test_process_epoch_matches_the_plain_loop_reference(state):
    expected = state.copy()
    ref.process_epoch(expected)
    actual = state.copy()
    process_epoch(actual)
    _assert_same(expected, actual, "process_epoch")


@examples(25)
@given(state=beacon_states(max_validators=2000))
def test_reward_deltas_match_the_plain_loop_reference(state):
    # The deltas are defined from epoch 1 on (the spec returns zeros at genesis): such a draw is discarded, not
    # counted as a pass that checked nothing.
    assume(state.current_epoch() > 0)
    ctx = EpochContext.build(state)
    for flag_index in range(3):
        exp_r, exp_p = ref.get_flag_index_deltas(state, flag_index)
        rewards, penalties = get_flag_index_deltas(state, ctx, flag_index)
        np.testing.assert_array_equal(rewards, np.array(exp_r, dtype=np.uint64), err_msg=f"flag {flag_index}")
        np.testing.assert_array_equal(penalties, np.array(exp_p, dtype=np.uint64), err_msg=f"flag {flag_index}")
    exp_r, exp_p = ref.get_inactivity_penalty_deltas(state)
    rewards, penalties = get_inactivity_penalty_deltas(state, ctx)
    np.testing.assert_array_equal(rewards, np.array(exp_r, dtype=np.uint64))
    np.testing.assert_array_equal(penalties, np.array(exp_p, dtype=np.uint64))


@pytest.mark.parametrize("preset", [MAINNET, MINIMAL], ids=lambda p: p.PRESET_NAME)
def test_mass_ejection_spreads_exits_over_epochs_like_the_sequential_spec(preset):
    """Many ejections in one epoch: the vectorized cumulative churn must give each validator the exit epoch the
    spec's one-at-a-time compute_exit_epoch_and_update_churn gives, and leave the same churn carried over."""
    state = build_state(preset, 400, "normal", 3000, seed=11, pending_deposits=False)
    v = state.validators
    active = (v.activation_epoch <= 3000) & (v.exit_epoch > 3000)
    chosen = np.flatnonzero(active)[::2]
    v.effective_balance[chosen] = 16 * 10**9
    v.exit_epoch[chosen[:3]] = 3010  # already exiting: untouched
    v.withdrawable_epoch[chosen[:3]] = 3010 + preset.MIN_VALIDATOR_WITHDRAWABILITY_DELAY
    state.exit_balance_to_consume = 7 * 10**9
    state.earliest_exit_epoch = 3000 + 1 + preset.MAX_SEED_LOOKAHEAD + 2
    expected = state.copy()
    ref.process_registry_updates(expected)
    actual = state.copy()
    dict(EPOCH_STEPS)["process_registry_updates"](actual, EpochContext.build(actual))
    assert len(set(expected.validators.exit_epoch[chosen[3:]].tolist())) > 1  # the churn really spreads them
    _assert_same(expected, actual, "process_registry_updates")
