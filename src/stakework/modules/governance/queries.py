"""Read-only governance views for the API: proposals with their status and tally, receipts, voting power and
delegation, and every governable parameter with its bounds and current value."""

from __future__ import annotations

import heapq

import msgspec

from stakework.modules.governance.handlers import get_proposal
from stakework.modules.governance.host import parameters_of
from stakework.modules.governance.messages import Action
from stakework.modules.governance.state import GovernanceState, Proposal, Receipt, get_own, own_specs
from stakework.modules.governance.votes import (
    current_votes,
    delegate_of,
    expected_status,
    proposal_threshold,
    quorum_of,
    total_at,
    votes_at,
)
from stakework.modules.host import ModuleHost


class ProposalView(msgspec.Struct, kw_only=True):
    id: int
    proposer: bytes
    status: str
    """At the epoch asked (Bravo ``state()``)."""
    actions: list[Action]
    description: str
    created: int
    start: int
    end: int
    for_votes: int
    against_votes: int
    abstain_votes: int
    quorum: int | None
    """For-votes needed; None while the snapshot epoch has not ended."""
    snapshot_power: int | None
    """Total voting power at the snapshot; None while the snapshot epoch has not ended."""
    voters: int
    eta: int
    expires: int
    queue_deadline: int
    executed_epoch: int


class PowerView(msgspec.Struct, kw_only=True):
    account: bytes
    balance: int
    """The staked balance governance knows."""
    delegate: bytes
    """Whom the balance votes for (the account itself unless it delegated)."""
    votes: int
    """Voting power now: the undelegated own balance plus what others delegate to the account."""


class ParameterView(msgspec.Struct, kw_only=True):
    module: str
    name: str
    minimum: int
    maximum: int
    value: int
    doc: str


class SettingsView(msgspec.Struct, kw_only=True):
    proposal_threshold_bps: int
    proposal_threshold: int
    """Votes needed to propose now."""
    quorum_bps: int
    voting_delay: int
    voting_period: int
    timelock_delay: int
    grace_period: int
    total_power: int
    live_proposals: int
    next_proposal_id: int


def _view(state: GovernanceState, proposal: Proposal, epoch: int) -> ProposalView:
    started = epoch > proposal.start
    return ProposalView(
        id=proposal.id,
        proposer=proposal.proposer,
        status=expected_status(state, proposal, epoch).value,
        actions=list(proposal.actions),
        description=proposal.description,
        created=proposal.created,
        start=proposal.start,
        end=proposal.end,
        for_votes=proposal.for_votes,
        against_votes=proposal.against_votes,
        abstain_votes=proposal.abstain_votes,
        quorum=quorum_of(state, proposal) if started else None,
        snapshot_power=total_at(state, proposal.start) if started else None,
        voters=len(proposal.receipts),
        eta=proposal.eta,
        expires=proposal.expires,
        queue_deadline=proposal.queue_deadline,
        executed_epoch=proposal.executed_epoch,
    )


def proposal_view(state: GovernanceState, proposal_id: int, epoch: int) -> ProposalView:
    """One proposal as of ``epoch`` (raises ``UnknownProposal``)."""
    return _view(state, get_proposal(state, proposal_id), epoch)


# equivalent mutant (const 1 to 0): ids start at 1, so listing from 0 or from 1 gives the same proposals
def proposals(state: GovernanceState, epoch: int, limit: int, first_id: int = 1) -> list[ProposalView]:
    """At most ``limit`` proposals with ids from ``first_id``, by id."""
    ids = heapq.nsmallest(limit, (i for i in state.proposals if i >= first_id))
    return [_view(state, state.proposals[i], epoch) for i in ids]


def receipt(state: GovernanceState, proposal_id: int, voter: bytes) -> Receipt | None:
    """``voter``'s vote on the proposal (None: has not voted) (Bravo ``getReceipt``)."""
    return get_proposal(state, proposal_id).receipts.get(voter)


def power(state: GovernanceState, account: bytes) -> PowerView:
    return PowerView(
        account=account,
        balance=state.balances.get(account, 0),
        delegate=delegate_of(state, account),
        votes=current_votes(state, account),
    )


def prior_votes(state: GovernanceState, account: bytes, epoch: int) -> int:
    """Comp ``getPriorVotes``: ``account``'s voting power at the end of ``epoch``."""
    return votes_at(state, account, epoch)


def parameters(state: GovernanceState, host: ModuleHost) -> list[ParameterView]:
    """Every governable parameter (governance's own first, then the registry's) with its bounds and value now."""
    registry = parameters_of(host)
    own = [
        ParameterView(
            module=s.module, name=s.name, minimum=s.minimum, maximum=s.maximum, value=get_own(state, s.name), doc=s.doc
        )
        for s in own_specs(state)
    ]
    others = [
        ParameterView(
            module=s.module,
            name=s.name,
            minimum=s.minimum,
            maximum=s.maximum,
            value=registry.current(s.module, s.name),
            doc=s.doc,
        )
        for s in registry.specs()
    ]
    return own + others


def settings(state: GovernanceState, epoch: int) -> SettingsView:
    p = state.params
    return SettingsView(
        proposal_threshold_bps=p.proposal_threshold_bps,
        proposal_threshold=proposal_threshold(state, epoch),
        quorum_bps=p.quorum_bps,
        voting_delay=p.voting_delay,
        voting_period=p.voting_period,
        timelock_delay=p.timelock_delay,
        grace_period=p.grace_period,
        total_power=state.total_checkpoints[-1].votes if state.total_checkpoints else 0,
        live_proposals=len(state.live),
        next_proposal_id=state.next_proposal_id,
    )
