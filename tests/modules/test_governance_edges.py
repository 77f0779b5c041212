"""Governance at its edges: exactly the threshold, the quorum, the largest proposal and description, the first and
last epochs of each window, ties, and refusals that must change nothing. Found missing by mutation testing
(scripts/mutate, docs/testing.md)."""

from __future__ import annotations

import msgspec
import pytest
from gov_support import GovHost, advance, advance_to, small_state

from stakework.modules.governance.errors import BelowProposalThreshold, CannotCancel, CheckpointError
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
from stakework.modules.governance.queries import power, proposal_view, settings
from stakework.modules.governance.state import GovernanceState, Status
from stakework.modules.governance.votes import delegate

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
    before = {account: list(cps) for account, cps in state.checkpoints.items()}
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
