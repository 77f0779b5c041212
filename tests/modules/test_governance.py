"""Governance rules, one scenario each: Bravo's proposal lifecycle over epochs, voting power from checkpoints read at
the snapshot (the Beanstalk lesson), delegation, the quorum, the timelock and its grace period, cancel, bounded
parameter changes checked when proposed and when executed (the Compound proposal 62 lesson), all or nothing."""

from __future__ import annotations

import msgspec
import pytest
from gov_support import GovHost, advance, advance_to, small_state

from stakework.modules.governance import MODULE
from stakework.modules.governance.errors import (
    AlreadyDelegated,
    AlreadyVoted,
    BelowProposalThreshold,
    CannotCancel,
    CheckpointError,
    DescriptionTooLong,
    DuplicateAction,
    GovernanceUnavailable,
    InvalidSupport,
    ModuleError,
    NoVotingPower,
    ParameterOutOfBounds,
    ProposerBusy,
    TimelockNotElapsed,
    TooManyActions,
    TooManyLiveProposals,
    UnknownParameter,
    UnknownProposal,
    WrongStatus,
)
from stakework.modules.governance.handlers import dispatch
from stakework.modules.governance.invariants import check
from stakework.modules.governance.messages import (
    ABSTAIN,
    AGAINST,
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
from stakework.modules.governance.queries import parameters, power, prior_votes, proposal_view, receipt, settings
from stakework.modules.governance.state import (
    MAX_LIVE_PROPOSALS,
    Bounds,
    GovernanceParams,
    GovernanceState,
    Status,
    default_bounds,
    new_state,
)
from stakework.modules.governance.votes import record_balance_change, total_at, votes_at
from stakework.modules.testing import FakeHost

ALICE, BOB, CAROL, MALLORY = b"a" * 20, b"b" * 20, b"c" * 20, b"m" * 20
FEE = Action(module="liquid", name="fee_bps", value=500)


def setup(**params: int) -> tuple[GovernanceState, GovHost]:
    """Alice 600, Bob 300, Carol 100 staked at epoch 0; the chain at epoch 1 (threshold 1% = 10, quorum 4% = 40)."""
    state, host = small_state(**params), GovHost()
    host.set_stake(state, ALICE, 600)
    host.set_stake(state, BOB, 300)
    host.set_stake(state, CAROL, 100)
    advance(state, host)
    return state, host


def run(state: GovernanceState, host: GovHost, sender: bytes, msg: GovernanceMessage) -> None:
    dispatch(state, host, sender, msg)
    assert check(state, host) == []


def refused(state: GovernanceState, host: GovHost, sender: bytes, msg: GovernanceMessage, error: type) -> str:
    """Dispatch ``msg``, expect ``error``, and check that nothing changed."""
    before = msgspec.msgpack.encode(state)
    values = dict(host.parameters.values)
    with pytest.raises(error) as info:
        dispatch(state, host, sender, msg)
    assert msgspec.msgpack.encode(state) == before
    assert host.parameters.values == values
    return str(info.value)


def propose(state: GovernanceState, host: GovHost, sender: bytes = ALICE, *actions: Action) -> int:
    run(state, host, sender, Propose(actions=list(actions) or [FEE], description="lower the fee"))
    return state.next_proposal_id - 1


def pass_vote(state: GovernanceState, host: GovHost, pid: int) -> None:
    """Alice and Bob vote for in the first voting epoch; the period ends."""
    p = state.proposals[pid]
    advance_to(state, host, p.start + 1)
    run(state, host, ALICE, CastVote(proposal_id=pid, support=FOR))
    run(state, host, BOB, CastVote(proposal_id=pid, support=FOR))
    advance_to(state, host, p.end + 1)


# --- the lifecycle ----------------------------------------------------------------------------------------------------
def test_lifecycle__proposal_passes_waits_out_the_timelock_and_changes_the_parameter_once() -> None:
    state, host = setup()
    pid = propose(state, host)
    p = state.proposals[pid]
    assert (p.created, p.start, p.end) == (1, 3, 6)
    assert p.status is Status.PENDING
    advance_to(state, host, 3)
    assert state.proposals[pid].status is Status.PENDING  # the snapshot epoch itself: no vote yet
    refused(state, host, ALICE, CastVote(proposal_id=pid, support=FOR), WrongStatus)
    advance(state, host)
    assert state.proposals[pid].status is Status.ACTIVE
    run(state, host, ALICE, CastVote(proposal_id=pid, support=FOR))
    run(state, host, CAROL, CastVote(proposal_id=pid, support=AGAINST))
    advance_to(state, host, 6)
    run(state, host, BOB, CastVote(proposal_id=pid, support=ABSTAIN))  # the last voting epoch
    advance(state, host)
    assert state.proposals[pid].status is Status.SUCCEEDED
    assert (p.for_votes, p.against_votes, p.abstain_votes) == (600, 100, 300)
    refused(state, host, BOB, CastVote(proposal_id=pid, support=FOR), WrongStatus)
    refused(state, host, CAROL, Execute(proposal_id=pid), WrongStatus)  # not queued
    run(state, host, CAROL, Queue(proposal_id=pid))  # anyone queues
    assert (p.eta, p.expires) == (9, 13)
    refused(state, host, CAROL, Execute(proposal_id=pid), TimelockNotElapsed)
    advance_to(state, host, 9)
    assert host.parameters.current("liquid", "fee_bps") == 1000
    run(state, host, CAROL, Execute(proposal_id=pid))  # anyone executes
    assert host.parameters.current("liquid", "fee_bps") == 500
    assert p.status is Status.EXECUTED and p.executed_epoch == 9
    refused(state, host, CAROL, Execute(proposal_id=pid), WrongStatus)  # once
    refused(state, host, ALICE, Cancel(proposal_id=pid), WrongStatus)  # executed: not cancelable
    assert host.parameters.applied == [("liquid", "fee_bps", 500)]
    assert state.live == []


def test_epoch_hook__stored_status_follows_the_epochs_and_the_live_list_empties() -> None:
    state, host = setup()
    pid = propose(state, host)
    seen = []
    for _ in range(12):
        seen.append(state.proposals[pid].status.value)
        advance(state, host)
        assert check(state, host) == []
    assert seen[:6] == ["pending", "pending", "pending", "active", "active", "active"]
    assert seen[6:] == ["defeated"] * 6  # nobody voted
    assert state.live == []


# --- voting power at the snapshot ---------------------------------------------------------------------------------
def test_vote__stake_bought_after_the_snapshot_cannot_vote() -> None:
    """Beanstalk (April 2022): borrowed stake voted and executed in one block. Here power is read at the end of the
    snapshot epoch and voting opens the epoch after, so stake that arrives later counts for nothing."""
    state, host = setup()
    pid = propose(state, host)
    advance_to(state, host, state.proposals[pid].start + 1)
    host.set_stake(state, MALLORY, 10**9)  # a whale's worth, one epoch late
    message = refused(state, host, MALLORY, CastVote(proposal_id=pid, support=FOR), NoVotingPower)
    assert "snapshot" in message
    host.set_stake(state, ALICE, 10**9)  # topping up after the snapshot does not raise Alice's vote either
    run(state, host, ALICE, CastVote(proposal_id=pid, support=FOR))
    assert state.proposals[pid].for_votes == 600


def test_vote__stake_held_at_the_end_of_the_snapshot_epoch_counts() -> None:
    state, host = setup()
    pid = propose(state, host)
    advance_to(state, host, state.proposals[pid].start)
    host.set_stake(state, MALLORY, 50)
    host.set_stake(state, BOB, 0)  # Bob leaves within the snapshot epoch: his power at its end is 0
    advance(state, host)
    run(state, host, MALLORY, CastVote(proposal_id=pid, support=FOR))
    refused(state, host, BOB, CastVote(proposal_id=pid, support=FOR), NoVotingPower)
    assert state.proposals[pid].for_votes == 50


def test_vote__second_vote_refused_and_moving_stake_after_voting_gives_no_second_vote() -> None:
    state, host = setup()
    pid = propose(state, host)
    advance_to(state, host, state.proposals[pid].start + 1)
    run(state, host, ALICE, CastVote(proposal_id=pid, support=FOR))
    refused(state, host, ALICE, CastVote(proposal_id=pid, support=AGAINST), AlreadyVoted)
    refused(state, host, BOB, CastVote(proposal_id=pid, support=3), InvalidSupport)  # built in Python: checked again
    # Alice delegates to Bob and moves her stake to Carol: neither gains votes on this proposal.
    run(state, host, ALICE, Delegate(to=BOB))
    host.set_stake(state, ALICE, 0)
    host.set_stake(state, CAROL, 700)
    run(state, host, BOB, CastVote(proposal_id=pid, support=FOR))
    run(state, host, CAROL, CastVote(proposal_id=pid, support=FOR))
    assert state.proposals[pid].for_votes == 600 + 300 + 100
    bob = receipt(state, pid, BOB)
    assert bob is not None and (bob.support, bob.votes) == (FOR, 300)


def test_delegation__moves_votes_from_this_epoch_on_and_history_stays() -> None:
    state, host = setup()
    run(state, host, ALICE, Delegate(to=BOB))
    assert votes_at(state, BOB, 1) == 900 and votes_at(state, ALICE, 1) == 0
    assert votes_at(state, BOB, 0) == 300 and votes_at(state, ALICE, 0) == 600  # the past is kept
    host.set_stake(state, ALICE, 1000)  # later stake follows the delegation
    assert power(state, BOB).votes == 1300
    refused(state, host, ALICE, Delegate(to=BOB), AlreadyDelegated)
    advance(state, host)
    run(state, host, ALICE, Delegate(to=ALICE))  # back to herself
    assert power(state, ALICE).votes == 1000 and power(state, BOB).votes == 300
    assert state.delegates == {}
    assert prior_votes(state, BOB, 1) == 1300 and prior_votes(state, BOB, 2) == 300
    assert total_at(state, 2) == 1400


def test_delegation__a_delegatee_with_no_stake_votes_the_delegated_power() -> None:
    state, host = setup()
    run(state, host, CAROL, Delegate(to=MALLORY))
    pid = propose(state, host)
    advance_to(state, host, state.proposals[pid].start + 1)
    run(state, host, MALLORY, CastVote(proposal_id=pid, support=AGAINST))
    refused(state, host, CAROL, CastVote(proposal_id=pid, support=FOR), NoVotingPower)
    assert state.proposals[pid].against_votes == 100


def test_checkpoints__many_epochs_binary_search_returns_each_epochs_value() -> None:
    state, host = small_state(), GovHost()
    for epoch in range(200):
        host.epoch = epoch
        if epoch % 3:
            host.set_stake(state, ALICE, 10 * epoch)
    for epoch in range(200):
        last = max((e for e in range(epoch + 1) if e % 3), default=None)
        assert votes_at(state, ALICE, epoch) == (0 if last is None else 10 * last)
    assert len(state.checkpoints[ALICE]) == len([e for e in range(200) if e % 3])


def test_record_balance_change__negative_or_backwards_refused_changing_nothing() -> None:
    state, host = setup()
    host.set_stake(state, ALICE, 700)  # epoch 1
    before = msgspec.msgpack.encode(state)
    with pytest.raises(CheckpointError, match="negative"):
        record_balance_change(state, host.epoch, ALICE, -1)
    with pytest.raises(CheckpointError, match="after one for epoch 1"):
        record_balance_change(state, 0, ALICE, 5)
    with pytest.raises(CheckpointError, match="after one for epoch 1"):
        record_balance_change(state, 0, MALLORY, 5)  # a new holder: the total's history is at epoch 1 already
    assert msgspec.msgpack.encode(state) == before


# --- proposing ------------------------------------------------------------------------------------------------------
def test_propose__action_outside_its_bounds_refused_when_proposed() -> None:
    """Compound proposal 62 (Sept 2021) mis-set a COMP distribution parameter and over-paid ~$80M: here every
    parameter declares its bounds and a proposal outside them never exists."""
    state, host = setup()
    message = refused(
        state, host, ALICE, Propose(actions=[Action(module="liquid", name="fee_bps", value=2001)]), ParameterOutOfBounds
    )
    assert "0..2000" in message
    refused(state, host, ALICE, Propose(actions=[Action(module="liquid", name="nope", value=1)]), UnknownParameter)
    own = Action(module=MODULE, name="voting_period", value=21)
    refused(state, host, ALICE, Propose(actions=[own]), ParameterOutOfBounds)
    refused(state, host, ALICE, Propose(actions=[Action(module=MODULE, name="params", value=1)]), UnknownParameter)


def test_propose__action_count_duplicates_and_description_bounded() -> None:
    state, host = setup()
    refused(state, host, ALICE, Propose(actions=[]), TooManyActions)
    eleven = [Action(module="liquid", name="fee_bps", value=i) for i in range(MAX_ACTIONS + 1)]
    refused(state, host, ALICE, Propose(actions=eleven), TooManyActions)
    refused(state, host, ALICE, Propose(actions=[FEE, FEE]), DuplicateAction)
    refused(state, host, ALICE, Propose(actions=[FEE], description="é" * 600), DescriptionTooLong)


def test_propose__below_threshold_or_stake_from_this_epoch_refused() -> None:
    state, host = setup()  # threshold: 1% of 1000 = 10
    host.set_stake(state, MALLORY, 10**6)  # this epoch's stake does not count: power is read at the epoch before
    refused(state, host, MALLORY, Propose(actions=[FEE]), BelowProposalThreshold)
    advance(state, host)
    propose(state, host, MALLORY)
    state, host = setup()
    host.epoch -= 1
    host.set_stake(state, b"d" * 20, 9)  # 9 of 1009: below 1% (11 rounded up)
    host.epoch += 1
    message = refused(state, host, b"d" * 20, Propose(actions=[FEE]), BelowProposalThreshold)
    assert "needs 11 votes" in message


def test_propose__one_pending_or_active_proposal_per_proposer() -> None:
    state, host = setup()
    pid = propose(state, host)
    refused(state, host, ALICE, Propose(actions=[FEE]), ProposerBusy)
    pass_vote(state, host, pid)  # succeeded: Bravo lets the proposer propose again
    propose(state, host)


def test_propose__live_proposals_bounded() -> None:
    state, host = small_state(), GovHost()
    proposers = [i.to_bytes(20, "big") for i in range(1, MAX_LIVE_PROPOSALS + 2)]
    for who in proposers:
        host.set_stake(state, who, 100)
    advance(state, host)
    for who in proposers[:-1]:
        propose(state, host, who)
    refused(state, host, proposers[-1], Propose(actions=[FEE]), TooManyLiveProposals)
    advance_to(state, host, 10)  # all defeated: room again
    propose(state, host, proposers[-1])


# --- the tally ------------------------------------------------------------------------------------------------------
def test_tally__quorum_counts_for_votes_only_and_a_tie_is_defeated() -> None:
    """Bravo: Defeated when for <= against or for < quorum; abstentions count towards neither."""
    state, host = setup(quorum_bps=2000)  # quorum: 200 of 1000
    pid = propose(state, host)
    advance_to(state, host, state.proposals[pid].start + 1)
    run(state, host, CAROL, CastVote(proposal_id=pid, support=FOR))  # 100 for
    run(state, host, ALICE, CastVote(proposal_id=pid, support=ABSTAIN))  # 600 abstain: no help
    advance_to(state, host, state.proposals[pid].end + 1)
    view = proposal_view(state, pid, host.epoch)
    assert (view.status, view.quorum, view.snapshot_power) == ("defeated", 200, 1000)
    refused(state, host, ALICE, Queue(proposal_id=pid), WrongStatus)

    state, host = setup()
    host.epoch -= 1
    host.set_stake(state, CAROL, 300)  # Bob 300 against Carol 300
    host.epoch += 1
    pid = propose(state, host)
    advance_to(state, host, state.proposals[pid].start + 1)
    run(state, host, CAROL, CastVote(proposal_id=pid, support=FOR))
    run(state, host, BOB, CastVote(proposal_id=pid, support=AGAINST))
    advance_to(state, host, state.proposals[pid].end + 1)
    assert state.proposals[pid].status is Status.DEFEATED


def test_tally__quorum_change_during_a_vote_does_not_apply_to_it() -> None:
    state, host = setup()
    first = propose(state, host, ALICE, Action(module=MODULE, name="quorum_bps", value=5000))
    pass_vote(state, host, first)
    run(state, host, ALICE, Queue(proposal_id=first))
    second = propose(state, host, CAROL)  # made under the 4% quorum
    advance_to(state, host, state.proposals[first].eta)
    run(state, host, BOB, Execute(proposal_id=first))
    assert state.params.quorum_bps == 5000
    advance_to(state, host, state.proposals[second].start + 1)
    run(state, host, BOB, CastVote(proposal_id=second, support=FOR))  # 300 of 1000: passes 4%, not 50%
    advance_to(state, host, state.proposals[second].end + 1)
    assert state.proposals[second].status is Status.SUCCEEDED


# --- the timelock -----------------------------------------------------------------------------------------------------
def test_timelock__not_queued_within_the_grace_period_expires() -> None:
    state, host = setup()
    pid = propose(state, host)
    pass_vote(state, host, pid)
    deadline = state.proposals[pid].queue_deadline
    advance_to(state, host, deadline - 1)
    assert state.proposals[pid].status is Status.SUCCEEDED
    advance(state, host)
    assert state.proposals[pid].status is Status.EXPIRED
    refused(state, host, ALICE, Queue(proposal_id=pid), WrongStatus)


def test_timelock__queued_but_not_executed_before_eta_plus_grace_expires() -> None:
    state, host = setup()
    pid = propose(state, host)
    pass_vote(state, host, pid)
    run(state, host, ALICE, Queue(proposal_id=pid))
    p = state.proposals[pid]
    advance_to(state, host, p.expires - 1)
    assert p.status is Status.QUEUED  # the last epoch it may execute
    advance(state, host)
    assert p.status is Status.EXPIRED
    refused(state, host, ALICE, Execute(proposal_id=pid), WrongStatus)
    assert host.parameters.applied == []


def test_timelock__executes_without_the_epoch_hook_having_run() -> None:
    """The handlers compute the status from the facts (Bravo ``state()``): a missed hook delays what the state shows,
    never what a transaction may do."""
    state, host = setup()
    pid = propose(state, host)
    host.epoch = state.proposals[pid].start + 1
    run_unchecked = dispatch
    run_unchecked(state, host, ALICE, CastVote(proposal_id=pid, support=FOR))
    host.epoch = state.proposals[pid].end + 1
    run_unchecked(state, host, ALICE, Queue(proposal_id=pid))
    host.epoch = state.proposals[pid].eta - 1
    with pytest.raises(TimelockNotElapsed):
        dispatch(state, host, ALICE, Execute(proposal_id=pid))
    host.epoch += 1
    dispatch(state, host, ALICE, Execute(proposal_id=pid))
    assert host.parameters.current("liquid", "fee_bps") == 500
    assert check(state, host) == []


# --- execution ------------------------------------------------------------------------------------------------------
def test_execute__bounds_narrowed_after_queueing_refuse_all_actions_and_the_proposal_stays_queued() -> None:
    state, host = setup()
    rebase = Action(module="liquid", name="max_positive_rebase", value=50_000)
    pid = propose(state, host, ALICE, FEE, rebase)
    pass_vote(state, host, pid)
    run(state, host, ALICE, Queue(proposal_id=pid))
    advance_to(state, host, state.proposals[pid].eta)
    host.parameters.rebound("liquid", "max_positive_rebase", 1, 20_000)  # an upgrade tightened the bound
    message = refused(state, host, ALICE, Execute(proposal_id=pid), ParameterOutOfBounds)
    assert "max_positive_rebase = 50000" in message and "1..20000" in message
    assert host.parameters.current("liquid", "fee_bps") == 1000  # the first action did not apply either
    assert state.proposals[pid].status is Status.QUEUED
    host.parameters.rebound("liquid", "max_positive_rebase", 1, 10**9)  # the bound is back: executes in its window
    run(state, host, ALICE, Execute(proposal_id=pid))
    assert host.parameters.values[("liquid", "fee_bps")] == 500
    assert host.parameters.values[("liquid", "max_positive_rebase")] == 50_000


def test_execute__a_parameter_removed_after_queueing_refuses_execution() -> None:
    state, host = setup()
    pid = propose(state, host)
    pass_vote(state, host, pid)
    run(state, host, ALICE, Queue(proposal_id=pid))
    advance_to(state, host, state.proposals[pid].eta)
    host.parameters.remove("liquid", "fee_bps")
    refused(state, host, ALICE, Execute(proposal_id=pid), UnknownParameter)


def test_execute__governance_changes_its_own_voting_period_for_later_proposals_only() -> None:
    state, host = setup()
    pid = propose(state, host, ALICE, Action(module=MODULE, name="voting_period", value=10))
    other = propose(state, host, CAROL)
    pass_vote(state, host, pid)
    run(state, host, ALICE, Queue(proposal_id=pid))
    advance_to(state, host, state.proposals[pid].eta)
    run(state, host, ALICE, Execute(proposal_id=pid))
    assert state.params.voting_period == 10
    assert state.proposals[other].end - state.proposals[other].start == 3
    later = propose(state, host, BOB)
    assert state.proposals[later].end - state.proposals[later].start == 10
    assert [p.value for p in parameters(state, host) if p.name == "voting_period"] == [10]


# --- cancel ---------------------------------------------------------------------------------------------------------
def test_cancel__proposer_any_time_before_execution_others_only_below_threshold() -> None:
    state, host = setup()
    pid = propose(state, host, CAROL)
    refused(state, host, ALICE, Cancel(proposal_id=pid), CannotCancel)
    host.set_stake(state, CAROL, 5)  # Carol falls below 1% ...
    refused(state, host, ALICE, Cancel(proposal_id=pid), CannotCancel)  # ... but the rule reads the epoch before
    advance(state, host)
    run(state, host, ALICE, Cancel(proposal_id=pid))
    assert state.proposals[pid].status is Status.CANCELED and state.live == []
    refused(state, host, CAROL, Cancel(proposal_id=pid), WrongStatus)

    state, host = setup()
    pid = propose(state, host)
    pass_vote(state, host, pid)
    run(state, host, ALICE, Queue(proposal_id=pid))
    run(state, host, ALICE, Cancel(proposal_id=pid))  # a queued proposal too
    advance_to(state, host, state.proposals[pid].eta)
    refused(state, host, ALICE, Execute(proposal_id=pid), WrongStatus)
    refused(state, host, ALICE, Cancel(proposal_id=404), UnknownProposal)


# --- wire, state, queries -------------------------------------------------------------------------------------------
def test_messages__tags_and_unsigned_bounded_fields_refused_at_decode() -> None:
    decoder = msgspec.json.Decoder(GovernanceMessage)
    assert isinstance(decoder.decode(b'{"type":"gov.vote","proposal_id":1,"support":2}'), CastVote)
    for bad in (
        b'{"type":"gov.vote","proposal_id":1,"support":3}',
        b'{"type":"gov.vote","proposal_id":-1,"support":1}',
        b'{"type":"gov.propose","actions":[]}',
        b'{"type":"gov.propose","actions":[{"module":"liquid","name":"fee_bps","value":-5}]}',
        b'{"type":"gov.delegate","to":"YWJj"}',
    ):
        with pytest.raises(msgspec.ValidationError):
            decoder.decode(bad)
    actions = ",".join(['{"module":"m","name":"n","value":1}'] * (MAX_ACTIONS + 1))
    with pytest.raises(msgspec.ValidationError):
        decoder.decode(b'{"type":"gov.propose","actions":[' + actions.encode() + b"]}")
    tags = {t.__struct_config__.tag for t in (Propose, CastVote, Queue, Execute, Cancel, Delegate)}
    assert tags == {"gov.propose", "gov.vote", "gov.queue", "gov.execute", "gov.cancel", "gov.delegate"}


def test_state__msgpack_round_trip_is_exact_after_a_lifecycle() -> None:
    state, host = setup()
    pid = propose(state, host)
    pass_vote(state, host, pid)
    raw = msgspec.msgpack.encode(state)
    again = msgspec.msgpack.decode(raw, type=GovernanceState)
    assert again == state and msgspec.msgpack.encode(again) == raw
    assert again.proposals[pid].status is Status.SUCCEEDED


def test_new_state__parameters_outside_bounds_or_zero_minimums_refused() -> None:
    with pytest.raises(ValueError, match="voting_delay"):
        new_state(bounds={**default_bounds(), "voting_delay": Bounds(0, 5)})
    with pytest.raises(ValueError, match="quorum_bps = 9000"):
        params = GovernanceParams(
            proposal_threshold_bps=25,
            quorum_bps=9000,
            voting_delay=450,
            voting_period=675,
            timelock_delay=450,
            grace_period=3150,
        )
        new_state(params=params)
    with pytest.raises(ValueError, match="basis points"):
        new_state(bounds={**default_bounds(), "quorum_bps": Bounds(1, 20_000)})
    state = new_state()
    assert state.params.voting_period == 3 * 225 and state.bounds["timelock_delay"] == Bounds(450, 6750)


def test_queries__parameters_list_own_and_registry_with_bounds_and_settings_show_the_threshold() -> None:
    state, host = setup()
    listed = {(p.module, p.name): (p.minimum, p.maximum, p.value) for p in parameters(state, host)}
    assert listed[(MODULE, "quorum_bps")] == (100, 5000, 400)
    assert listed[("liquid", "fee_bps")] == (0, 2000, 1000)
    assert len(listed) == 6 + 3
    view = settings(state, host.epoch)
    assert (view.proposal_threshold, view.total_power, view.live_proposals) == (10, 1000, 0)
    pid = propose(state, host)
    assert proposal_view(state, pid, host.epoch).quorum is None  # the snapshot epoch has not ended
    with pytest.raises(UnknownProposal):
        proposal_view(state, 99, host.epoch)


def test_host__without_a_parameter_registry_a_proposal_is_refused_naming_what_is_missing() -> None:
    state, host = setup()
    bare = FakeHost(epoch=host.epoch)  # a module host that offers governance nothing
    message = refused_on(state, bare, Propose(actions=[FEE]), GovernanceUnavailable)
    assert "host.parameters" in message
    with pytest.raises(GovernanceUnavailable, match=r"host\.voting_power"):
        check(state, bare)


def refused_on(state: GovernanceState, host: FakeHost, msg: GovernanceMessage, error: type) -> str:
    before = msgspec.msgpack.encode(state)
    with pytest.raises(error) as info:
        dispatch(state, host, ALICE, msg)
    assert msgspec.msgpack.encode(state) == before
    return str(info.value)


def test_errors__every_refusal_is_a_module_error() -> None:
    for error in (AlreadyVoted, CannotCancel, CheckpointError, ParameterOutOfBounds, WrongStatus, ProposerBusy):
        assert issubclass(error, ModuleError)
