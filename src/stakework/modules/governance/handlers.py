"""Pure governance handlers: ``handle_<message>(state, host, sender, msg)``. Each validates everything first, then
mutates, so a refused message changes nothing. Governance moves no money.

Spec: Compound ``GovernorBravoDelegate`` (propose, castVoteInternal, queue, execute, cancel, state) and ``Timelock``
(queueTransaction, executeTransaction, GRACE_PERIOD); COMP ``delegate``. Departures are marked ``Departure:``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stakework.modules.governance import MODULE
from stakework.modules.governance.errors import (
    AlreadyDelegated,
    AlreadyVoted,
    BelowProposalThreshold,
    CannotCancel,
    DescriptionTooLong,
    DuplicateAction,
    InvalidSupport,
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
from stakework.modules.governance.host import ParameterSpec, parameters_of
from stakework.modules.governance.messages import (
    ABSTAIN,
    AGAINST,
    FOR,
    MAX_ACTIONS,
    MAX_DESCRIPTION_BYTES,
    Action,
    Cancel,
    CastVote,
    Delegate,
    Execute,
    GovernanceMessage,
    Propose,
    Queue,
)
from stakework.modules.governance.state import (
    LIVE,
    MAX_LIVE_PROPOSALS,
    GovernanceState,
    Proposal,
    Receipt,
    Status,
    own_specs,
    set_own,
)
from stakework.modules.governance.votes import (
    delegate,
    delegate_of,
    expected_status,
    proposal_threshold,
    votes_at,
)
from stakework.modules.host import ModuleHost


def get_proposal(state: GovernanceState, proposal_id: int) -> Proposal:
    proposal = state.proposals.get(proposal_id)
    if proposal is None:
        raise UnknownProposal(f"no proposal {proposal_id} (the next one will be {state.next_proposal_id})")
    return proposal


def find_spec(state: GovernanceState, host: ModuleHost, module: str, name: str) -> ParameterSpec | None:
    """The bounds in force now of ``module.name``: governance's own from its state, the others' from the host."""
    if module == MODULE:
        return next((s for s in own_specs(state) if s.name == name), None)
    return parameters_of(host).spec(module, name)


def check_actions(state: GovernanceState, host: ModuleHost, actions: list[Action]) -> None:
    """Every action names a governable parameter once, with a value within its bounds now. Checked when proposed
    and again when executed (Compound's proposal 62 set a distribution parameter nobody bounded, and over-paid
    ~$80M of COMP)."""
    if not 1 <= len(actions) <= MAX_ACTIONS:
        raise TooManyActions(f"a proposal carries 1 to {MAX_ACTIONS} actions, got {len(actions)}")
    seen: set[tuple[str, str]] = set()
    for action in actions:
        key = (action.module, action.name)
        if key in seen:
            raise DuplicateAction(f"{action.module}.{action.name} is set twice; one action per parameter")
        seen.add(key)
        spec = find_spec(state, host, action.module, action.name)
        if spec is None:
            raise UnknownParameter(
                f"{action.module}.{action.name} is not a governable parameter (the governance parameters query "
                "lists them with their bounds)"
            )
        if not spec.allows(action.value):
            raise ParameterOutOfBounds(
                f"{action.module}.{action.name} = {action.value} is outside its bounds "
                f"{spec.minimum}..{spec.maximum} ({spec.doc})"
            )


def _require_status(state: GovernanceState, proposal: Proposal, epoch: int, allowed: set[Status], doing: str) -> None:
    status = expected_status(state, proposal, epoch)
    if status not in allowed:
        names = " or ".join(sorted(s.value for s in allowed))
        raise WrongStatus(f"proposal {proposal.id} is {status.value}; only a {names} proposal can be {doing}")


def _drop_live(state: GovernanceState, proposal_id: int) -> None:
    if proposal_id in state.live:
        state.live.remove(proposal_id)


def handle_propose(state: GovernanceState, host: ModuleHost, sender: bytes, msg: Propose) -> None:
    """Bravo ``propose``: the sender's power at the previous epoch reaches the threshold, 1..10 bounded actions, at
    most one pending or active proposal per proposer. Snapshot ``start = now + voting_delay``, ``end = start +
    voting_period``.

    Departures: the threshold is a share of the total power (bps) reached with ``>=``, not Bravo's fixed COMP
    amount passed with ``>``: staked supply changes over time and a fixed amount would drift from "a meaningful
    stake". No whitelist (Bravo's ``isWhitelisted`` lets chosen accounts propose below the threshold). At most
    ``MAX_LIVE_PROPOSALS`` live proposals (Bravo has no bound)."""
    epoch = host.epoch
    power = votes_at(state, sender, epoch - 1)
    threshold = proposal_threshold(state, epoch)
    if power < threshold:
        raise BelowProposalThreshold(
            f"proposing needs {threshold} votes at the end of epoch {epoch - 1} "
            f"({state.params.proposal_threshold_bps} bps of the total); the sender had {power}"
        )
    description = msg.description.encode()
    if len(description) > MAX_DESCRIPTION_BYTES:
        raise DescriptionTooLong(f"a description holds at most {MAX_DESCRIPTION_BYTES} UTF-8 bytes")
    check_actions(state, host, msg.actions)
    # equivalent mutant (const 0 to -1): ids start at 1, so neither 0 nor -1 names a proposal
    latest = state.proposals.get(state.latest_proposal.get(sender, 0))
    if latest is not None and expected_status(state, latest, epoch) in (Status.PENDING, Status.ACTIVE):
        raise ProposerBusy(f"the sender's proposal {latest.id} is still pending or active (one at a time)")
    live = sum(1 for i in state.live if expected_status(state, state.proposals[i], epoch) in LIVE)
    if live >= MAX_LIVE_PROPOSALS:
        raise TooManyLiveProposals(f"{MAX_LIVE_PROPOSALS} proposals are live already; wait for one to finish")
    p = state.params
    start = epoch + p.voting_delay
    end = start + p.voting_period
    proposal = Proposal(
        id=state.next_proposal_id,
        proposer=sender,
        actions=list(msg.actions),
        description=msg.description,
        created=epoch,
        start=start,
        end=end,
        quorum_bps=p.quorum_bps,
        queue_deadline=end + 1 + p.grace_period,
    )
    state.proposals[proposal.id] = proposal
    state.next_proposal_id += 1
    state.live.append(proposal.id)
    state.latest_proposal[sender] = proposal.id


def handle_cast_vote(state: GovernanceState, host: ModuleHost, sender: bytes, msg: CastVote) -> None:
    """Bravo ``castVoteInternal``: while active (``start < now <= end``), once per voter, with the voter's power at
    the end of the snapshot epoch ``start``.

    Departure: a voter with no power at the snapshot is refused (Bravo records a 0-vote receipt)."""
    proposal = get_proposal(state, msg.proposal_id)
    _require_status(state, proposal, host.epoch, {Status.ACTIVE}, "voted on")
    if msg.support not in (AGAINST, FOR, ABSTAIN):
        raise InvalidSupport(f"support is 0 (against), 1 (for) or 2 (abstain), got {msg.support}")
    if sender in proposal.receipts:
        raise AlreadyVoted(f"the sender voted on proposal {proposal.id} already")
    votes = votes_at(state, sender, proposal.start)
    if votes == 0:
        raise NoVotingPower(
            f"the sender had no voting power at the end of epoch {proposal.start}, proposal {proposal.id}'s snapshot "
            "(stake, or a delegation, made after the snapshot does not count)"
        )
    if msg.support == FOR:
        proposal.for_votes += votes
    elif msg.support == AGAINST:
        proposal.against_votes += votes
    else:
        proposal.abstain_votes += votes
    proposal.receipts[sender] = Receipt(msg.support, votes)
    proposal.status = Status.ACTIVE


def handle_queue(state: GovernanceState, host: ModuleHost, sender: bytes, msg: Queue) -> None:
    """Bravo ``queue``: anyone queues a succeeded proposal; ``eta = now + timelock_delay`` and it may execute until
    ``eta + grace_period`` (both as set now).

    Departure: a succeeded proposal must be queued within ``grace_period`` epochs of the vote's end, or it expires
    (Bravo leaves it queueable forever)."""
    proposal = get_proposal(state, msg.proposal_id)
    _require_status(state, proposal, host.epoch, {Status.SUCCEEDED}, "queued")
    proposal.eta = host.epoch + state.params.timelock_delay
    proposal.expires = proposal.eta + state.params.grace_period
    proposal.status = Status.QUEUED


def handle_execute(state: GovernanceState, host: ModuleHost, sender: bytes, msg: Execute) -> None:
    """Bravo ``execute`` through Timelock ``executeTransaction``: anyone, once, from ``eta`` to before ``eta +
    grace_period``. Every action is checked against the bounds in force now before the first applies, so the
    actions apply all or nothing; a proposal refused here stays queued (as a reverted Bravo ``execute``).

    Departure: execution is allowed in ``[eta, eta + grace)``; the Timelock accepts ``eta + GRACE_PERIOD`` itself
    while Bravo's ``state()`` already calls it Expired there."""
    proposal = get_proposal(state, msg.proposal_id)
    status = expected_status(state, proposal, host.epoch)
    if status is Status.QUEUED and host.epoch < proposal.eta:
        raise TimelockNotElapsed(
            f"proposal {proposal.id} executes from epoch {proposal.eta} (timelock); it is epoch {host.epoch}"
        )
    _require_status(state, proposal, host.epoch, {Status.QUEUED}, "executed")
    check_actions(state, host, proposal.actions)
    for action in proposal.actions:
        if action.module == MODULE:
            set_own(state, action.name, action.value)
        else:
            parameters_of(host).apply(action.module, action.name, action.value)
    proposal.executed = True
    proposal.executed_epoch = host.epoch
    proposal.status = Status.EXECUTED
    _drop_live(state, proposal.id)


def handle_cancel(state: GovernanceState, host: ModuleHost, sender: bytes, msg: Cancel) -> None:
    """Bravo ``cancel``: before execution, by the proposer, or by anyone once the proposer's power at the previous
    epoch is below the threshold.

    Departure: only a live proposal (pending, active, succeeded, queued) can be canceled; Bravo also "cancels" a
    defeated or expired one, which changes nothing but its label."""
    proposal = get_proposal(state, msg.proposal_id)
    _require_status(state, proposal, host.epoch, set(LIVE), "canceled")
    if sender != proposal.proposer:
        power = votes_at(state, proposal.proposer, host.epoch - 1)
        threshold = proposal_threshold(state, host.epoch)
        if power >= threshold:
            raise CannotCancel(
                f"only the proposer cancels while its power ({power}) is at or above the threshold ({threshold})"
            )
    proposal.canceled = True
    proposal.status = Status.CANCELED
    _drop_live(state, proposal.id)


def handle_delegate(state: GovernanceState, host: ModuleHost, sender: bytes, msg: Delegate) -> None:
    """COMP ``delegate``: the sender's balance (now and later) votes for ``to`` from this epoch on.

    Departure: an account votes its own balance until it delegates (COMP counts no undelegated balance), so no
    stake sits idle for want of a self-delegation."""
    if delegate_of(state, sender) == msg.to:
        raise AlreadyDelegated(f"the sender delegates to 0x{msg.to.hex()} already")
    delegate(state, host.epoch, sender, msg.to)


HANDLERS: dict[type[Any], Callable[[GovernanceState, ModuleHost, bytes, Any], None]] = {
    Propose: handle_propose,
    CastVote: handle_cast_vote,
    Queue: handle_queue,
    Execute: handle_execute,
    Cancel: handle_cancel,
    Delegate: handle_delegate,
}
"""Message type -> handler: what block processing dispatches on."""


def dispatch(state: GovernanceState, host: ModuleHost, sender: bytes, msg: GovernanceMessage) -> None:
    """Run the handler for ``msg``."""
    HANDLERS[type(msg)](state, host, sender, msg)
