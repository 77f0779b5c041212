"""Governance at its edges: exactly the threshold, the quorum, the largest proposal and description, the first and
last epochs of each window, ties, and refusals that must change nothing. Found missing by mutation testing
(scripts/mutate, docs/testing.md)."""

from __future__ import annotations

import msgspec
import pytest
from gov_support import GovHost, advance, advance_to, small_state

from stakework.modules.governance.errors import (
    BelowProposalThreshold,
    CannotCancel,
    CheckpointError,
    GovernanceUnavailable,
    TooManyLiveProposals,
)
from stakework.modules.governance.handlers import dispatch
from stakework.modules.governance.invariants import check
from stakework.modules.governance.messages import (
    FOR,
    MAX_ACTIONS,
    Action,
    Cancel,
    CastVote,
    Delegate,
    Execute,
    GovernanceMessage,
    Propose,
    Queue,
)
from stakework.modules.governance.queries import power, proposal_view, proposals, settings
from stakework.modules.governance.state import (
    Bounds,
    GovernanceParams,
    GovernanceState,
    Status,
    default_bounds,
    default_params,
    new_state,
)
from stakework.modules.governance.votes import delegate
from stakework.modules.testing import FakeHost

ALICE, BOB, CAROL, DAVE = b"a" * 20, b"b" * 20, b"c" * 20, b"d" * 20
FEE = Action(module="liquid", name="fee_bps", value=500)


def _setup(**params: int) -> tuple[GovernanceState, GovHost]:
    """Alice 600, Bob 300, Carol 100 staked at epoch 0; the chain at epoch 1 (threshold 1%, quorum 4%)."""
    state, host = small_state(**params), GovHost()
    host.set_stake(state, ALICE, 600)
    host.set_stake(state, BOB, 300)
    host.set_stake(state, CAROL, 100)
    advance(state, host)
    return state, host


def _run(state: GovernanceState, host: GovHost, sender: bytes, msg: GovernanceMessage) -> None:
    dispatch(state, host, sender, msg)
    assert check(state, host) == []


def _refused(state: GovernanceState, host: GovHost, sender: bytes, msg: GovernanceMessage, error: type) -> str:
    """Dispatch ``msg``, expect ``error``, and check that nothing changed (state and the registry's values)."""
    before = msgspec.msgpack.encode(state)
    values = dict(host.parameters.values)
    with pytest.raises(error) as info:
        dispatch(state, host, sender, msg)
    assert msgspec.msgpack.encode(state) == before
    assert host.parameters.values == values
    return str(info.value)


def _with_dave(stake: int) -> tuple[GovernanceState, GovHost]:
    """:func:`_setup` with Dave holding ``stake`` since epoch 0 as well."""
    state, host = small_state(), GovHost()
    for who, amount in ((ALICE, 600), (BOB, 300), (CAROL, 100), (DAVE, stake)):
        host.set_stake(state, who, amount)
    advance(state, host)
    return state, host


def _pass_and_execute(state: GovernanceState, host: GovHost, pid: int) -> None:
    """Alice and Bob vote for in the first voting epoch; queued at once and executed at its eta."""
    p = state.proposals[pid]
    advance_to(state, host, p.start + 1)
    _run(state, host, ALICE, CastVote(proposal_id=pid, support=FOR))
    _run(state, host, BOB, CastVote(proposal_id=pid, support=FOR))
    advance_to(state, host, p.end + 1)
    _run(state, host, CAROL, Queue(proposal_id=pid))
    advance_to(state, host, p.eta)
    _run(state, host, CAROL, Execute(proposal_id=pid))


# --- proposing ------------------------------------------------------------------------------------------------------
def test_propose__power_exactly_at_the_threshold__accepted() -> None:
    state, host = _with_dave(11)  # 1% of 1011, rounded up: 11
    _run(state, host, DAVE, Propose(actions=[FEE]))
    assert state.proposals[1].proposer == DAVE


def test_propose__exactly_max_actions__accepted_and_all_apply_on_execution() -> None:
    state, host = _setup()
    for i in range(MAX_ACTIONS):
        host.parameters.declare("test", f"p{i}", 0, 100, 0)
    actions = [Action(module="test", name=f"p{i}", value=i + 1) for i in range(MAX_ACTIONS)]
    _run(state, host, ALICE, Propose(actions=actions))
    _pass_and_execute(state, host, 1)
    assert [host.parameters.current("test", f"p{i}") for i in range(MAX_ACTIONS)] == list(range(1, MAX_ACTIONS + 1))


def test_propose__description_of_exactly_1000_utf8_bytes__accepted() -> None:
    state, host = _setup()
    _run(state, host, ALICE, Propose(actions=[FEE], description="é" * 500))
    assert len(state.proposals[1].description.encode()) == 1000


# --- cancel ---------------------------------------------------------------------------------------------------------
def test_cancel__proposer_power_exactly_at_the_threshold__others_cannot_cancel() -> None:
    state, host = _with_dave(11)
    _run(state, host, DAVE, Propose(actions=[FEE]))
    advance(state, host)
    _refused(state, host, ALICE, Cancel(proposal_id=1), CannotCancel)


def test_propose__nobody_staked_at_all__refused_as_below_the_threshold_of_one_vote() -> None:
    state, host = small_state(), GovHost()
    advance(state, host)
    text = _refused(state, host, ALICE, Propose(actions=[FEE]), BelowProposalThreshold)
    assert "needs 1 votes" in text


def test_propose__a_threshold_that_rounds_up_to_one_vote__met_by_a_single_vote() -> None:
    state, host = small_state(), GovHost()  # 1% of 100 = 1
    host.set_stake(state, ALICE, 1)
    host.set_stake(state, BOB, 99)
    advance(state, host)
    _run(state, host, ALICE, Propose(actions=[FEE]))


# --- voting power -----------------------------------------------------------------------------------------------------
def test_power__an_account_never_staked_nor_delegated_to__has_no_votes() -> None:
    state, _ = _setup()
    view = power(state, DAVE)
    assert (view.balance, view.votes, view.delegate) == (0, 0, DAVE)


def test_propose__threshold_read_from_the_total_at_the_end_of_the_previous_epoch() -> None:
    state, host = _with_dave(11)  # threshold at epoch 1: 1% of 1011 (epoch 0's total) = 11
    host.set_stake(state, CAROL, 10**6)  # the total jumps in this epoch: it counts from the next one
    _run(state, host, DAVE, Propose(actions=[FEE]))
    assert settings(state, host.epoch).proposal_threshold == 11
    assert settings(state, host.epoch + 1).proposal_threshold == 10_010


def test_delegate__an_account_with_no_stake__writes_no_checkpoint_for_either_side() -> None:
    state, host = _setup()
    before = dict(state.checkpoints)  # records are immutable tuples: a copy of the map keeps them as they were
    _run(state, host, DAVE, Delegate(to=ALICE))
    assert state.delegates == {DAVE: ALICE}
    assert state.checkpoints == before


def test_delegate__reported_for_an_epoch_before_the_delegators_last_checkpoint__refused_changing_nothing() -> None:
    state, host = _setup()
    advance_to(state, host, 5)
    _run(state, host, ALICE, Delegate(to=BOB))  # Alice's and Bob's histories now end at epoch 5, the total's at 0
    before = msgspec.msgpack.encode(state)
    with pytest.raises(CheckpointError, match="epoch 3, after one for epoch 5"):
        delegate(state, 3, ALICE, CAROL)
    assert msgspec.msgpack.encode(state) == before


# --- the tally ------------------------------------------------------------------------------------------------------
def test_tally__for_votes_exactly_at_the_quorum__succeeded() -> None:
    state, host = small_state(), GovHost()  # quorum 4% of 1000 = 40
    for who, amount in ((ALICE, 600), (BOB, 300), (CAROL, 60), (DAVE, 40)):
        host.set_stake(state, who, amount)
    advance(state, host)
    _run(state, host, ALICE, Propose(actions=[FEE]))
    advance_to(state, host, state.proposals[1].start + 1)
    _run(state, host, DAVE, CastVote(proposal_id=1, support=FOR))
    advance_to(state, host, state.proposals[1].end + 1)
    assert state.proposals[1].status is Status.SUCCEEDED
    assert proposal_view(state, 1, host.epoch).quorum == 40


# --- state: Bravo's and the Timelock's values -------------------------------------------------------------------------
def test_default_bounds__bravo_and_timelock_ranges_in_days_of_epochs() -> None:
    day = 225
    assert default_bounds(day) == {
        "proposal_threshold_bps": Bounds(1, 1000),
        "quorum_bps": Bounds(100, 5000),
        "voting_delay": Bounds(1, 7 * day),
        "voting_period": Bounds(day, 14 * day),
        "timelock_delay": Bounds(2 * day, 30 * day),
        "grace_period": Bounds(7 * day, 30 * day),
    }
    assert default_bounds(1)["timelock_delay"] == Bounds(2, 30)  # one epoch a day: still valid


def test_default_bounds__no_epoch_in_a_day__refused() -> None:
    with pytest.raises(ValueError, match="epochs_per_day must be positive, got 0"):
        default_bounds(0)


def test_default_params__compounds_settings_in_epochs() -> None:
    day = 225
    assert default_params(day) == GovernanceParams(
        proposal_threshold_bps=25,
        quorum_bps=400,
        voting_delay=2 * day,
        voting_period=3 * day,
        timelock_delay=2 * day,
        grace_period=14 * day,
    )
    assert new_state().params == default_params(225)  # mainnet: 225 epochs a day


def test_proposal__new__not_queued_nor_executed_shows_zero_eta_expiry_and_execution_epoch() -> None:
    state, host = _setup()
    _run(state, host, ALICE, Propose(actions=[FEE]))
    view = proposal_view(state, 1, host.epoch)
    assert (view.eta, view.expires, view.executed_epoch) == (0, 0, 0)


def test_propose__32_live_proposals_at_most() -> None:
    state, host = small_state(), GovHost()
    proposers = [i.to_bytes(20, "big") for i in range(1, 34)]
    for who in proposers:
        host.set_stake(state, who, 100)
    advance(state, host)
    for who in proposers[:32]:
        _run(state, host, who, Propose(actions=[FEE]))
    assert len(state.live) == 32
    _refused(state, host, proposers[32], Propose(actions=[FEE]), TooManyLiveProposals)


def test_new_state__bounds_starting_at_zero_or_empty__refused_even_when_the_value_fits() -> None:
    with pytest.raises(ValueError, match=r"voting_delay: bounds 0\.\.500 must be non-empty and start at 1 or more"):
        new_state(bounds={**default_bounds(), "voting_delay": Bounds(0, 500)})
    with pytest.raises(ValueError, match=r"voting_delay: bounds 500\.\.400 must be non-empty"):
        new_state(bounds={**default_bounds(), "voting_delay": Bounds(500, 400)})
    state = new_state(bounds={**default_bounds(), "voting_delay": Bounds(450, 450)})  # a single allowed value
    assert state.params.voting_delay == 450


def test_new_state__bounds_missing_or_adding_a_parameter__refused_naming_the_expected_set() -> None:
    missing = {name: b for name, b in default_bounds().items() if name != "grace_period"}
    with pytest.raises(ValueError, match="bounds must name exactly"):
        new_state(bounds=missing)
    with pytest.raises(ValueError, match="bounds must name exactly"):
        new_state(bounds={**default_bounds(), "extra": Bounds(1, 2)})


# --- host wiring ------------------------------------------------------------------------------------------------------
class _Unwired(FakeHost):
    """A host whose ``parameters`` and ``voting_power`` are there but are not what governance needs."""

    def __init__(self, epoch: int) -> None:
        super().__init__(epoch=epoch)
        self.parameters = {"liquid.fee_bps": 1000}
        self.voting_power = {ALICE: 600}


def test_host__parameters_and_voting_power_of_the_wrong_kind__refused_as_unavailable() -> None:
    state, host = _setup()
    unwired = _Unwired(host.epoch)
    before = msgspec.msgpack.encode(state)
    with pytest.raises(GovernanceUnavailable, match=r"host\.parameters"):
        dispatch(state, unwired, ALICE, Propose(actions=[FEE]))
    assert msgspec.msgpack.encode(state) == before
    with pytest.raises(GovernanceUnavailable, match=r"host\.voting_power"):
        check(state, unwired)


# --- queries ----------------------------------------------------------------------------------------------------------
def test_proposal_view__quorum_and_snapshot_power_hidden_until_the_snapshot_epoch_has_ended() -> None:
    state, host = _setup()
    _run(state, host, ALICE, Propose(actions=[FEE]))
    start = state.proposals[1].start
    at_snapshot = proposal_view(state, 1, start)
    assert (at_snapshot.quorum, at_snapshot.snapshot_power) == (None, None)
    after = proposal_view(state, 1, start + 1)
    assert (after.quorum, after.snapshot_power) == (40, 1000)


def test_proposals__listed_from_the_first_id_by_default() -> None:
    state, host = _setup()
    _run(state, host, ALICE, Propose(actions=[FEE]))
    _run(state, host, BOB, Propose(actions=[FEE]))
    assert [v.id for v in proposals(state, host.epoch, 10)] == [1, 2]
    assert [v.id for v in proposals(state, host.epoch, 10, first_id=2)] == [2]


def test_settings__total_power_is_the_latest_total_and_zero_before_any_stake() -> None:
    empty = small_state()
    assert settings(empty, 0).total_power == 0
    state, host = _setup()  # 1000 at epoch 0
    host.set_stake(state, ALICE, 100)  # 500 at epoch 1
    assert settings(state, host.epoch).total_power == 500


def test_new_state__a_bps_bound_of_exactly_100_percent__accepted_and_one_more_refused() -> None:
    state = new_state(bounds={**default_bounds(), "quorum_bps": Bounds(100, 10_000)})
    assert state.bounds["quorum_bps"] == Bounds(100, 10_000)
    with pytest.raises(ValueError, match="at most 10000 basis points, got a maximum of 10001"):
        new_state(bounds={**default_bounds(), "quorum_bps": Bounds(100, 10_001)})
