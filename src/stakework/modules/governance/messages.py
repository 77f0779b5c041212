"""Governance transaction kinds (tagged msgspec structs: ``GovernanceMessage`` is their union), Governor Bravo's
``propose``, ``castVote``, ``queue``, ``execute``, ``cancel`` and COMP's ``delegate``.

The wire types refuse at decoding what no handler could accept (a negative id, a vote other than 0/1/2, too many
actions, an over-long name); the handlers check everything again (they trust no struct built in Python)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from stakework.spec.types import U64, Bytes20

MAX_ACTIONS = 10
"""Actions per proposal (Bravo ``proposalMaxOperations`` = 10)."""
MAX_DESCRIPTION_BYTES = 1000
"""A proposal's description, UTF-8 (Bravo only emits it in an event; here it is kept in the state, so bounded)."""
MAX_MODULE_NAME = 32
MAX_PARAMETER_NAME = 64

AGAINST, FOR, ABSTAIN = 0, 1, 2
"""Vote values (Bravo: 0 = against, 1 = for, 2 = abstain)."""

Support = Annotated[int, Meta(ge=AGAINST, le=ABSTAIN)]


class Action(msgspec.Struct, frozen=True, kw_only=True):
    """Set governable parameter ``module.name`` to ``value`` (Bravo's target/signature/calldata, restricted to a
    parameter change with declared bounds)."""

    module: Annotated[str, Meta(min_length=1, max_length=MAX_MODULE_NAME)]
    name: Annotated[str, Meta(min_length=1, max_length=MAX_PARAMETER_NAME)]
    value: U64


class Propose(msgspec.Struct, tag="gov.propose", kw_only=True):
    """Open a proposal: voting starts ``voting_delay`` epochs later and lasts ``voting_period`` epochs."""

    actions: Annotated[list[Action], Meta(min_length=1, max_length=MAX_ACTIONS)]
    description: Annotated[str, Meta(max_length=MAX_DESCRIPTION_BYTES)] = ""


class CastVote(msgspec.Struct, tag="gov.vote", kw_only=True):
    """Vote with the power the sender had at the proposal's snapshot epoch (Bravo ``castVote``)."""

    proposal_id: U64
    support: Support
    """0 against, 1 for, 2 abstain."""


class Queue(msgspec.Struct, tag="gov.queue", kw_only=True):
    """Anyone: put a succeeded proposal in the timelock (eta = now + timelock_delay)."""

    proposal_id: U64


class Execute(msgspec.Struct, tag="gov.execute", kw_only=True):
    """Anyone: apply a queued proposal's actions, all or nothing, from its eta until eta + grace_period."""

    proposal_id: U64


class Cancel(msgspec.Struct, tag="gov.cancel", kw_only=True):
    """The proposer, or anyone once the proposer's power fell below the threshold: cancel before execution."""

    proposal_id: U64


class Delegate(msgspec.Struct, tag="gov.delegate", kw_only=True):
    """Give the sender's voting power to ``to`` from this epoch on (the sender's own address: vote it yourself)."""

    to: Bytes20


GovernanceMessage = Propose | CastVote | Queue | Execute | Cancel | Delegate
