"""Governance errors: every refusal is a named :class:`~stakework.modules.errors.ModuleError` whose text says what
is wrong and what to do."""

from __future__ import annotations

from stakework.modules.errors import (
    AboveMaximum,
    BelowMinimum,
    ModuleError,
    NotAuthorized,
    NotReady,
    UnknownEntity,
)


class GovernanceError(ModuleError):
    """A governance message was refused for a governance-specific reason."""


class GovernanceUnavailable(GovernanceError):
    """The chain's host offers no parameter registry or voting-power source (governance is not wired to it)."""


class BelowProposalThreshold(BelowMinimum):
    """The proposer's voting power at the previous epoch is below the proposal threshold (Bravo ``propose``)."""


class TooManyActions(AboveMaximum):
    """A proposal carries no action or more than ``MAX_ACTIONS`` (Bravo ``proposalMaxOperations``)."""


class DuplicateAction(GovernanceError):
    """A proposal sets the same parameter twice."""


class UnknownParameter(UnknownEntity):
    """No governable parameter with that module and name."""


class ParameterOutOfBounds(AboveMaximum):
    """An action's value lies outside its parameter's declared bounds (checked when proposed and when executed)."""


class DescriptionTooLong(AboveMaximum):
    """A proposal's description is longer than ``MAX_DESCRIPTION_BYTES``."""


class ProposerBusy(NotReady):
    """The proposer already has a pending or active proposal (Bravo: one live proposal per proposer)."""


class TooManyLiveProposals(AboveMaximum):
    """``MAX_LIVE_PROPOSALS`` proposals are pending, active, succeeded or queued already."""


class UnknownProposal(UnknownEntity):
    """No proposal with that id."""


class WrongStatus(NotReady):
    """The proposal's status does not allow this (voting closed, not succeeded, not queued, finished)."""


class TimelockNotElapsed(NotReady):
    """A queued proposal executed before its ``eta`` (Timelock ``executeTransaction``: "hasn't surpassed time
    lock")."""


class AlreadyVoted(GovernanceError):
    """The voter has voted on this proposal already (Bravo ``castVoteInternal``: "voter already voted")."""


class InvalidSupport(GovernanceError):
    """A vote other than 0 (against), 1 (for) or 2 (abstain)."""


class NoVotingPower(BelowMinimum):
    """The voter had no voting power at the proposal's snapshot epoch."""


class CannotCancel(NotAuthorized):
    """Only the proposer cancels, or anyone once the proposer's power fell below the threshold (Bravo ``cancel``)."""


class AlreadyDelegated(GovernanceError):
    """The account delegates to that delegatee already."""


class CheckpointError(GovernanceError):
    """The host reported a balance change governance cannot record (a negative balance, or an epoch before the last
    one recorded): a bug in the host's wiring, not a user's mistake."""


__all__ = [
    "AboveMaximum",
    "AlreadyDelegated",
    "AlreadyVoted",
    "BelowMinimum",
    "BelowProposalThreshold",
    "CannotCancel",
    "CheckpointError",
    "DescriptionTooLong",
    "DuplicateAction",
    "GovernanceError",
    "GovernanceUnavailable",
    "InvalidSupport",
    "ModuleError",
    "NoVotingPower",
    "NotAuthorized",
    "NotReady",
    "ParameterOutOfBounds",
    "ProposerBusy",
    "TimelockNotElapsed",
    "TooManyActions",
    "TooManyLiveProposals",
    "UnknownEntity",
    "UnknownParameter",
    "UnknownProposal",
    "WrongStatus",
]
