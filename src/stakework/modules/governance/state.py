"""Governance state: its own parameters and their bounds, the voting-power checkpoints, delegation and proposals.

All integers; every mapping is keyed by bytes or int, so the store's canonical encoding sorts it. Epochs stand for
Bravo's block numbers and the Timelock's timestamps.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from stakework.modules.arith import BPS
from stakework.modules.governance import MODULE
from stakework.modules.governance.host import ParameterSpec
from stakework.modules.governance.messages import Action
from stakework.modules.shares import HolderTables, ShareMap, record_table

MAINNET_EPOCHS_PER_DAY = 225
"""Epochs of 32 slots of 12 s in a day: the unit Bravo's and the Timelock's bounds are converted with."""
MAX_LIVE_PROPOSALS = 32
"""Proposals pending, active, succeeded or queued at once (bounds the epoch hook's work and the state's growth)."""


class Status(StrEnum):
    """Bravo's ``ProposalState``."""

    PENDING = "pending"
    ACTIVE = "active"
    CANCELED = "canceled"
    DEFEATED = "defeated"
    SUCCEEDED = "succeeded"
    QUEUED = "queued"
    EXPIRED = "expired"
    EXECUTED = "executed"


LIVE = frozenset({Status.PENDING, Status.ACTIVE, Status.SUCCEEDED, Status.QUEUED})
"""Statuses from which a proposal can still change; the others are final."""


class Checkpoint(msgspec.Struct, array_like=True, frozen=True):
    """Votes from the end of ``epoch`` on (Comp ``Checkpoint(fromBlock, votes)``)."""

    epoch: int
    votes: int


class Receipt(msgspec.Struct, array_like=True, frozen=True):
    """A cast vote (Bravo ``Receipt``; ``hasVoted`` is the receipt's presence)."""

    support: int
    votes: int


class Bounds(msgspec.Struct, array_like=True, frozen=True):
    """Inclusive bounds of one of governance's own parameters, fixed at genesis (Bravo's MIN_/MAX_ constants)."""

    minimum: int
    maximum: int


class Proposal(HolderTables, kw_only=True):
    """``receipts`` is a record table (:class:`~stakework.modules.shares.HolderTables`): committed as its own bucketed
    tree, so a vote re-hashes the voter's bucket, not every receipt."""

    record_tables = ("receipts",)

    id: int
    proposer: bytes
    actions: list[Action]
    description: str
    created: int
    """Epoch of the ``gov.propose`` transaction."""
    start: int
    """Snapshot epoch: votes are read as of the end of this epoch; voting runs in epochs ``start + 1 .. end``."""
    end: int
    quorum_bps: int
    """The quorum in force when the proposal was made (a later change applies to later proposals)."""
    queue_deadline: int
    """A succeeded proposal not queued before this epoch expires (``end + 1 + grace_period`` at creation)."""
    status: Status = Status.PENDING
    """As of the last epoch hook or handler; :func:`stakework.modules.governance.votes.expected_status` computes it
    from the facts below at any epoch (Bravo ``state()``)."""
    canceled: bool = False
    executed: bool = False
    for_votes: int = 0
    against_votes: int = 0
    abstain_votes: int = 0
    eta: int = 0
    """0 until queued; then the first epoch it may execute (Timelock ``eta``)."""
    expires: int = 0
    """0 until queued; then the first epoch it may no longer execute (``eta + grace_period`` at queueing)."""
    executed_epoch: int = 0
    receipts: dict[bytes, Receipt] = msgspec.field(default_factory=record_table)


class GovernanceParams(msgspec.Struct, kw_only=True):
    """Governance's own governable parameters (Bravo's admin setters, reached here through a proposal)."""

    proposal_threshold_bps: int
    """Voting power needed to propose, in basis points of the total power at the previous epoch."""
    quorum_bps: int
    """For-votes needed for a proposal to pass, in basis points of the total power at its snapshot."""
    voting_delay: int
    """Epochs from proposal to snapshot (>= 1: no vote in the snapshot's own epoch)."""
    voting_period: int
    """Epochs of voting after the snapshot."""
    timelock_delay: int
    """Epochs from queueing to the earliest execution (Timelock ``delay``)."""
    grace_period: int
    """Epochs a succeeded proposal may wait to be queued, and a queued one to be executed (Timelock
    ``GRACE_PERIOD``)."""


OWN_DOCS: dict[str, str] = {
    "proposal_threshold_bps": "voting power needed to propose, bps of the total power at the previous epoch",
    "quorum_bps": "for-votes needed to pass, bps of the total power at the proposal's snapshot",
    "voting_delay": "epochs from a proposal to its snapshot epoch",
    "voting_period": "epochs of voting after the snapshot",
    "timelock_delay": "epochs from queueing to the earliest execution",
    "grace_period": "epochs a succeeded proposal may wait to be queued, and a queued one to be executed",
}
"""Governance's own parameters, in the order they are listed, with what they do."""


class GovernanceState(HolderTables, kw_only=True):
    """``balances`` and ``latest_proposal`` are holder tables, ``delegates`` and ``checkpoints`` record tables
    (:class:`~stakework.modules.shares.HolderTables`): each committed as its own bucketed tree, so a block that
    changes one holder re-hashes that holder's bucket. A record is immutable (a delegatee, a tuple of frozen
    checkpoints): a change replaces it."""

    holder_tables = ("balances", "latest_proposal")
    record_tables = ("delegates", "checkpoints")

    params: GovernanceParams
    bounds: dict[str, Bounds]
    """Bounds of each own parameter (keys: ``OWN_DOCS``); fixed at genesis, not governable. Every minimum is at
    least 1: no zero voting delay (a vote in the snapshot's epoch), voting period, timelock or grace period."""
    balances: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    """Each holder's staked balance as last reported by the host (zero balances are dropped)."""
    delegates: dict[bytes, bytes] = msgspec.field(default_factory=record_table)
    """Holder -> delegatee, for holders who delegate to someone else (absent: the holder votes its own balance)."""
    checkpoints: dict[bytes, tuple[Checkpoint, ...]] = msgspec.field(default_factory=record_table)
    """Delegatee -> its votes over time, epochs strictly increasing (Comp ``checkpoints``); a tuple, replaced whole
    when it changes (msgpack and JSON encode it as the list it once was)."""
    total_checkpoints: list[Checkpoint] = msgspec.field(default_factory=list)
    """The total voting power over time (for the threshold and the quorum)."""
    proposals: dict[int, Proposal] = msgspec.field(default_factory=dict)
    next_proposal_id: int = 1
    live: list[int] = msgspec.field(default_factory=list)
    """Ids of proposals whose stored status is live, ascending (what the epoch hook walks)."""
    latest_proposal: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    """Proposer -> its latest proposal's id (Bravo ``latestProposalIds``)."""


def default_bounds(epochs_per_day: int = MAINNET_EPOCHS_PER_DAY) -> dict[str, Bounds]:
    """Bravo's and the Timelock's bounds in epochs of a chain with ``epochs_per_day``.

    Threshold 0.01%..10% (Bravo: 50k..100k COMP, 0.5%..1% of the supply, but only staked tokens vote here),
    quorum 1%..50% (Bravo: a fixed 4%), voting delay 1 epoch..7 days, voting period 1..14 days (Bravo's
    MIN/MAX_VOTING_DELAY and _PERIOD), timelock delay 2..30 days (Timelock MINIMUM/MAXIMUM_DELAY), grace period
    7..30 days (Timelock: a fixed 14 days)."""
    if epochs_per_day < 1:
        raise ValueError(f"epochs_per_day must be positive, got {epochs_per_day}")
    day = epochs_per_day
    return {
        "proposal_threshold_bps": Bounds(1, 1000),
        "quorum_bps": Bounds(100, 5000),
        "voting_delay": Bounds(1, 7 * day),
        "voting_period": Bounds(day, 14 * day),
        "timelock_delay": Bounds(2 * day, 30 * day),
        "grace_period": Bounds(7 * day, 30 * day),
    }


def default_params(epochs_per_day: int = MAINNET_EPOCHS_PER_DAY) -> GovernanceParams:
    """Compound's settings: threshold 0.25% (25k COMP), quorum 4%, delay 2 days (13,140 blocks), period 3 days
    (19,710 blocks), timelock 2 days, grace 14 days."""
    day = epochs_per_day
    return GovernanceParams(
        proposal_threshold_bps=25,
        quorum_bps=400,
        voting_delay=2 * day,
        voting_period=3 * day,
        timelock_delay=2 * day,
        grace_period=14 * day,
    )


def get_own(state: GovernanceState, name: str) -> int:
    value: int = getattr(state.params, name)
    return value


def set_own(state: GovernanceState, name: str, value: int) -> None:
    setattr(state.params, name, value)


def own_specs(state: GovernanceState) -> list[ParameterSpec]:
    """Governance's own governable parameters with their bounds (what the module registry lists for it)."""
    return [
        ParameterSpec(
            module=MODULE, name=name, minimum=state.bounds[name].minimum, maximum=state.bounds[name].maximum, doc=doc
        )
        for name, doc in OWN_DOCS.items()
    ]


def new_state(
    epochs_per_day: int = MAINNET_EPOCHS_PER_DAY,
    *,
    params: GovernanceParams | None = None,
    bounds: dict[str, Bounds] | None = None,
) -> GovernanceState:
    """An empty governance module (no stake, no proposal). Raises ``ValueError`` for a parameter outside its bounds
    or bounds that allow a zero voting delay, voting period or grace period."""
    bounds = default_bounds(epochs_per_day) if bounds is None else bounds
    params = default_params(epochs_per_day) if params is None else params
    if set(bounds) != set(OWN_DOCS):
        raise ValueError(f"bounds must name exactly {sorted(OWN_DOCS)}")
    for name, b in bounds.items():
        if b.minimum < 1 or b.minimum > b.maximum:
            raise ValueError(f"{name}: bounds {b.minimum}..{b.maximum} must be non-empty and start at 1 or more")
        if name.endswith("_bps") and b.maximum > BPS:
            raise ValueError(f"{name}: at most {BPS} basis points, got a maximum of {b.maximum}")
    state = GovernanceState(params=params, bounds=bounds)
    for name in OWN_DOCS:
        b, value = bounds[name], get_own(state, name)
        if not b.minimum <= value <= b.maximum:
            raise ValueError(f"{name} = {value} is outside its bounds {b.minimum}..{b.maximum}")
    return state
