"""Differential tests: stakework's vectorized epoch processing against the reference specification.

Random valid states (support.strategies) go through stakework and through `eth_consensus_specs.electra` (via
support.pyspec_bridge); every field of the results must be equal. The reference's `process_registry_updates`
runs with the fix for its aliasing bug (consensus-specs issue 3925: the Python build reverts an ejection's exit
through a stale loop view; the written spec, the production clients, the reference vectors
(`meta.registry_updates_alias_fix = true`) and stakework make the ejection stick) — see
`pyspec_bridge.process_registry_updates_alias_fixed`. The reference's eth1-data-reset and sync-committee steps
are skipped: they touch only fields stakework does not have (docs/consensus.md).

The reference is slow (about 0.5 s of pure Python per epoch at 150 validators), so example counts are small;
run with HYPOTHESIS_PROFILE=thorough for a long soak.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.spec.presets import DEVNET, MAINNET, MINIMAL
from stakework.state import BeaconState, Checkpoint, PendingDeposit
from stakework.state.snapshot import load_vector
from stakework.transition.epoch import EPOCH_STEPS, EpochContext, process_epoch
from stakework.transition.epoch.rewards import get_flag_index_deltas, get_inactivity_penalty_deltas
from stakework.transition.mutators import initiate_validator_exit, slash_validator
from support.pyspec_bridge import (
    EPOCH_STEP_NAMES,
    first_difference,
    from_pyspec,
    preset_mismatches,
    process_registry_updates_alias_fixed,
    run_pyspec_epoch,
    run_pyspec_step,
    spec_for,
    to_pyspec,
)
from support.strategies import beacon_states, build_state, deposit_pool, examples


def _assert_same(expected: BeaconState, actual: BeaconState, what: str) -> None:
    diff = first_difference(expected, actual)
    assert diff is None, f"{what}: stakework differs from the reference at {diff}"
    assert expected.accounts == actual.accounts, f"{what}: the account ledger changed"


def reference_state(ps: object, like: BeaconState) -> BeaconState:
    """The reference state `ps` as a stakework state. The reference has no account ledger (stakework's native
    accounts; nothing in epoch processing, exits or slashings touches them), so `like`'s accounts are carried
    over unchanged, and a stakework step that changed them would show as a difference."""
    out = from_pyspec(ps, like.preset)
    out.accounts = like.accounts.copy()
    return out


def reference_epoch(state: BeaconState) -> BeaconState:
    """The state the alias-fixed reference process_epoch makes from `state` (not modified)."""
    ps = to_pyspec(state)
    run_pyspec_epoch(spec_for(state.preset), ps)
    return reference_state(ps, state)


# -- the bridge itself (fast) ---------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", [MAINNET, MINIMAL], ids=lambda p: p.PRESET_NAME)
def test_presets_equal_the_reference_constants(preset):
    assert preset_mismatches(preset) == []


def test_bridge_refuses_a_preset_the_reference_cannot_check():
    with pytest.raises(ValueError, match="differs from the reference minimal preset"):
        spec_for(DEVNET)


@examples(6)
@given(state=beacon_states(max_validators=120))
def test_bridge_round_trip_keeps_every_field(state):
    back = reference_state(to_pyspec(state), state)
    _assert_same(state, back, "round trip")


def test_bridge_round_trip_keeps_dense_vectors_and_extreme_values():
    state = build_state(MINIMAL, 20, "normal", 500, seed=7)
    rng = np.random.default_rng(7)
    state.randao_mixes[:] = rng.integers(0, 256, state.randao_mixes.shape, dtype=np.uint8)
    state.block_roots[:] = rng.integers(0, 256, state.block_roots.shape, dtype=np.uint8)
    state.slashings[:] = rng.integers(0, 2**64, state.slashings.shape, dtype=np.uint64)
    state.validators.balances[3] = 2**64 - 1
    state.validators.inactivity_scores[4] = 2**64 - 1
    state.validators.exit_epoch[5] = 2**64 - 2
    back = reference_state(to_pyspec(state), state)
    _assert_same(state, back, "round trip")


def test_bridge_writes_the_values_the_reference_reads():
    state = build_state(MAINNET, 12, "normal", 12_345, seed=1)
    state.validators.effective_balance[7] = 31 * 10**9
    state.randao_mixes[12_345 % MAINNET.EPOCHS_PER_HISTORICAL_VECTOR] = 9
    state.slashings[100] = 123_456
    state.pending_deposits = [PendingDeposit(b"\x01" * 48, b"\x02" * 32, 5, b"\x03" * 96, 17)]
    ps = to_pyspec(state)
    spec = spec_for(MAINNET)
    assert ps.validators[7].effective_balance == 31 * 10**9
    assert bytes(spec.get_randao_mix(ps, 12_345)) == b"\x09" * 32
    assert int(ps.slashings[100]) == 123_456
    assert int(ps.slashings[101]) == 0
    assert spec.get_current_epoch(ps) == 12_345
    assert bytes(ps.pending_deposits[0].signature) == b"\x03" * 96
    assert int(ps.pending_deposits[0].slot) == 17


def test_bridge_reports_the_first_differing_field_and_index():
    state = build_state(MINIMAL, 10, "normal", 50, seed=2)
    other = state.copy()
    other.validators.balances[6] += 1
    assert first_difference(state, other).startswith("validators.balances[6]")
    other = state.copy()
    other.finalized_checkpoint = Checkpoint(other.finalized_checkpoint.epoch + 1, other.finalized_checkpoint.root)
    assert first_difference(state, other).startswith("finalized_checkpoint")


def test_deposit_pool_signatures_verify_in_the_reference_as_labelled():
    for preset in (MAINNET, MINIMAL):
        spec = spec_for(preset)
        for d in deposit_pool(preset):
            assert spec.is_valid_deposit_signature(d.pubkey, d.withdrawal_credentials, d.amount, d.signature) == d.valid


# -- stakework vs reference ---------------------------------------------------------------------------------
@pytest.mark.slow
@examples(30)
@given(state=beacon_states(max_validators=160))
def test_process_epoch_matches_the_reference_on_random_states(state):
    expected = reference_epoch(state)
    actual = state.copy()
    process_epoch(actual)
    _assert_same(expected, actual, "process_epoch")


@pytest.mark.slow
@examples(5)
@given(state=beacon_states(min_validators=200, max_validators=300, scenarios=("leak", "hysteresis", "normal")))
def test_process_epoch_matches_the_reference_on_larger_states(state):
    expected = reference_epoch(state)
    actual = state.copy()
    process_epoch(actual)
    _assert_same(expected, actual, "process_epoch")


def _run_step_both(name: str, state: BeaconState) -> tuple[BeaconState, BeaconState]:
    fn = dict(EPOCH_STEPS)[name]
    ps = to_pyspec(state)
    run_pyspec_step(spec_for(state.preset), name, ps)
    expected = reference_state(ps, state)
    actual = state.copy()
    fn(actual, EpochContext.build(actual))
    return expected, actual


def test_epoch_steps_are_the_spec_steps_in_spec_order():
    assert tuple(name for name, _ in EPOCH_STEPS) == EPOCH_STEP_NAMES


@pytest.mark.slow
@pytest.mark.parametrize("name", EPOCH_STEP_NAMES)
@examples(8)
@given(state=beacon_states(max_validators=100))
def test_each_epoch_step_matches_the_reference_step(name, state):
    expected, actual = _run_step_both(name, state)
    _assert_same(expected, actual, name)


@pytest.mark.slow
@examples(15)
@given(state=beacon_states(max_validators=120))
def test_reward_deltas_match_the_reference_deltas(state):
    spec = spec_for(state.preset)
    ps = to_pyspec(state)
    if spec.get_current_epoch(ps) == spec.GENESIS_EPOCH:
        return  # the deltas are never used at genesis; the reference's get_previous_epoch is still defined
    ctx = EpochContext.build(state)
    for flag_index in range(3):
        exp_r, exp_p = spec.get_flag_index_deltas(ps, flag_index)
        rewards, penalties = get_flag_index_deltas(state, ctx, flag_index)
        np.testing.assert_array_equal(rewards, np.array(exp_r, dtype=np.uint64), err_msg=f"flag {flag_index} rewards")
        np.testing.assert_array_equal(
            penalties, np.array(exp_p, dtype=np.uint64), err_msg=f"flag {flag_index} penalties"
        )
    exp_r, exp_p = spec.get_inactivity_penalty_deltas(ps)
    rewards, penalties = get_inactivity_penalty_deltas(state, ctx)
    np.testing.assert_array_equal(rewards, np.array(exp_r, dtype=np.uint64), err_msg="inactivity rewards")
    np.testing.assert_array_equal(penalties, np.array(exp_p, dtype=np.uint64), err_msg="inactivity penalties")


@pytest.mark.slow
@examples(6)
@given(state=beacon_states(min_validators=16, max_validators=64, presets=(MINIMAL,)))
def test_three_epochs_in_a_row_match_the_reference(state):
    """Carried state (churn balances, queues, scores, finality) must agree epoch after epoch."""
    spec = spec_for(state.preset)
    ps = to_pyspec(state)
    actual = state.copy()
    rng = np.random.default_rng(int(state.slot))
    for _ in range(3):
        run_pyspec_epoch(spec, ps)
        process_epoch(actual)
        _assert_same(reference_state(ps, state), actual, f"epoch {actual.current_epoch()}")
        # advance to the last slot of the next epoch with fresh random participation
        actual.slot += state.preset.SLOTS_PER_EPOCH
        flags = rng.integers(0, 8, len(actual.validators), dtype=np.uint8)
        actual.validators.current_epoch_participation[:] = flags
        ps = to_pyspec(actual)


# -- the harness itself against the reference vectors ---------------------------------------------------------
VECTORS = Path(__file__).resolve().parents[1] / "conformance" / "vectors"
SMALL_VECTORS = sorted(VECTORS.glob("epoch_00[0-4]_*.json.gz"))


def _without_credential_tails(state: BeaconState) -> BeaconState:
    """The vector format keeps only the first byte of withdrawal credentials."""
    state = state.copy()
    state.validators.withdrawal_credentials[:, 1:] = 0
    return state


@pytest.mark.slow
@pytest.mark.skipif(not SMALL_VECTORS, reason="reference vectors not copied into tests/conformance/vectors")
@pytest.mark.parametrize("path", SMALL_VECTORS, ids=lambda p: p.name.split(".")[0])
def test_reference_harness_reproduces_the_reference_vectors(path):
    """The bridge plus the alias-fixed reference must turn each vector's pre-state into its post-state, or the
    differential tests above would be comparing against the wrong thing."""
    vector = load_vector(path)
    assert vector.meta["registry_updates_alias_fix"] is True
    out = reference_epoch(vector.pre)
    diff = first_difference(_without_credential_tails(vector.post), _without_credential_tails(out))
    assert diff is None, f"{path.name}: harness output differs from the vector at {diff}"


def test_unfixed_reference_reverts_an_ejection_that_the_fixed_one_keeps():
    """consensus-specs issue 3925, shown: the Python build's own process_registry_updates loses an ejection's
    exit epoch but keeps the churn it consumed; the alias-fixed version (used above) keeps the exit."""
    state = build_state(MINIMAL, 24, "normal", 900, seed=4, pending_deposits=False, pending_consolidations=False)
    v = state.validators
    i = int(np.flatnonzero((v.activation_epoch <= 900) & (v.exit_epoch == 2**64 - 1) & ~v.slashed)[0])
    v.effective_balance[i] = MINIMAL.EJECTION_BALANCE
    spec = spec_for(MINIMAL)
    unfixed, fixed = to_pyspec(state), to_pyspec(state)
    spec.process_registry_updates(unfixed)
    process_registry_updates_alias_fixed(spec, fixed)
    assert int(fixed.validators[i].exit_epoch) != 2**64 - 1
    assert int(unfixed.validators[i].exit_epoch) == 2**64 - 1  # reverted by the aliased write-back
    assert int(unfixed.earliest_exit_epoch) == int(fixed.earliest_exit_epoch)  # ...while the churn stays used
    actual = state.copy()
    dict(EPOCH_STEPS)["process_registry_updates"](actual, EpochContext.build(actual))
    _assert_same(reference_state(fixed, state), actual, "process_registry_updates")


# -- the mutators that run between epochs (exits and slashings from blocks) -------------------------------------
def _slashable(state: BeaconState) -> np.ndarray:
    """Spec: is_slashable_validator — not slashed, activated, not yet withdrawable."""
    v = state.validators
    e = state.current_epoch()
    return np.flatnonzero(~v.slashed & (v.activation_epoch <= e) & (e < v.withdrawable_epoch))


@pytest.mark.slow
@examples(15)
@given(
    state=beacon_states(max_validators=120, scenarios=("normal", "leak", "stress", "hysteresis")),
    picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=5),
    exits_only=st.booleans(),
    whistleblower=st.booleans(),
)
def test_exits_and_slashings_match_the_reference(state, picks, exits_only, whistleblower):
    spec = spec_for(state.preset)
    ps = to_pyspec(state)
    actual = state.copy()
    for pick in picks:
        candidates = _slashable(actual)
        if not len(candidates):
            break
        index = int(candidates[pick % len(candidates)])
        if exits_only:
            spec.initiate_validator_exit(ps, index)
            initiate_validator_exit(actual, index)
        else:
            other = int(pick // 7 % len(actual.validators)) if whistleblower else None
            spec.slash_validator(ps, index, other)
            slash_validator(actual, index, other)
        _assert_same(reference_state(ps, state), actual, f"after {'exit' if exits_only else 'slashing'} of {index}")


@pytest.mark.slow
@examples(6)
@given(
    state=beacon_states(min_validators=16, max_validators=64, presets=(MINIMAL,), scenarios=("normal", "leak")),
    slash_picks=st.lists(st.integers(0, 10**6), min_size=3, max_size=3),
)
def test_epochs_with_slashings_between_them_match_the_reference(state, slash_picks):
    """A slashing lands in the slashings vector and the exit churn, and is paid out epochs later: the two must
    agree on every epoch in between."""
    spec = spec_for(state.preset)
    ps = to_pyspec(state)
    actual = state.copy()
    rng = np.random.default_rng(int(state.slot))
    for pick in slash_picks:
        candidates = _slashable(actual)
        if len(candidates):
            index = int(candidates[pick % len(candidates)])
            spec.slash_validator(ps, index)
            slash_validator(actual, index)
        run_pyspec_epoch(spec, ps)
        process_epoch(actual)
        _assert_same(reference_state(ps, state), actual, f"epoch {actual.current_epoch()}")
        actual.slot += state.preset.SLOTS_PER_EPOCH
        actual.validators.current_epoch_participation[:] = rng.integers(0, 8, len(actual.validators), dtype=np.uint8)
        ps = to_pyspec(actual)
