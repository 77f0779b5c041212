"""The governance module's read-only API under `/v1/governance`: its settings, every governable parameter with its
bounds and value, proposals with their status, tally, votes and timelock eta, and an account's voting power
(mounted from the governance module's definition, `api_router`).

Every figure comes from the head state's governance module through `stakework.modules.governance.queries`, with
statuses as of the head's epoch; votes are stkSWK shares (10^9 to one), all integers as decimal strings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from stakework.api.errors import bad_request, not_found
from stakework.api.modules.common import _hex
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_bytes, parse_uint, to_json
from stakework.api.view import NodeView
from stakework.modules.governance import queries as gov_queries
from stakework.modules.governance.state import GovernanceState
from stakework.state.beacon_state import BeaconState
from stakework.transition.modules import ChainHost

router = APIRouter(prefix="/v1", tags=["modules"])

PROPOSAL_LIMIT = 100
ProposalLimit = Query(None, description=f"Proposals to list (1..{PROPOSAL_LIMIT}, default {PROPOSAL_LIMIT}).")
ProposalFrom = Query(None, alias="from", description="List proposals from this id on (default 1).")


def _governance(state: BeaconState) -> GovernanceState:
    governance: GovernanceState | None = state.modules.get("governance")
    if governance is None:
        raise not_found("the governance module is not enabled on this chain")
    return governance


@router.get("/governance", summary="Governance")
def governance(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The settings (threshold in bps and in votes now, quorum, voting delay and period, timelock delay, grace
    period, in epochs), the total voting power, the live proposals' count, the next proposal id, and every
    governable parameter (governance's own, then each enabled module's) with its bounds, value and meaning."""
    with view.lock:
        state = view.chain.head_state
        gov = _governance(state)
        epoch = int(state.current_epoch())
        data: dict[str, Any] = {
            "epoch": str(epoch),
            **to_json(gov_queries.settings(gov, epoch)),
            "parameters": [to_json(p) for p in gov_queries.parameters(gov, ChainHost(state))],
        }
    return {"data": data}


def _proposal(gov: GovernanceState, proposal_id: int, epoch: int) -> dict[str, Any]:
    data: dict[str, Any] = to_json(gov_queries.proposal_view(gov, proposal_id, epoch))
    receipts = gov.proposals[proposal_id].receipts
    data["votes"] = [
        {"voter": _hex(voter), "support": str(r.support), "votes": str(r.votes)} for voter, r in receipts.items()
    ]
    return data


@router.get("/governance/proposals", summary="Governance proposals")
def governance_proposals(
    limit: str | None = ProposalLimit, from_id: str | None = ProposalFrom, view: NodeView = Depends(get_view)
) -> dict[str, Any]:
    """At most `limit` proposals by id from `from`, each with its status at the head's epoch, actions, tally,
    quorum, snapshot power, votes cast and timelock `eta` (0 until queued)."""
    k = PROPOSAL_LIMIT if limit is None else parse_uint(limit, "limit")
    if not 1 <= k <= PROPOSAL_LIMIT:
        raise bad_request(f"limit must be 1..{PROPOSAL_LIMIT}, got {k}")
    first = 1 if from_id is None else parse_uint(from_id, "from (proposal id)")
    with view.lock:
        state = view.chain.head_state
        gov = _governance(state)
        epoch = int(state.current_epoch())
        rows = [_proposal(gov, p.id, epoch) for p in gov_queries.proposals(gov, epoch, k, first)]
    return {"data": rows}


@router.get("/governance/proposals/{proposal_id}", summary="Governance proposal")
def governance_proposal(proposal_id: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """One proposal: status at the head's epoch, actions, description, epochs (created, snapshot `start`, voting
    `end`, `queue_deadline`, timelock `eta`, `expires`, `executed_epoch`), tally, quorum, snapshot power and every
    vote cast (voter, support 0 against / 1 for / 2 abstain, votes)."""
    i = parse_uint(proposal_id, "proposal id")
    with view.lock:
        state = view.chain.head_state
        gov = _governance(state)
        if i not in gov.proposals:
            raise not_found(f"no proposal {i} (the next one will be {gov.next_proposal_id})")
        data = _proposal(gov, i, int(state.current_epoch()))
    return {"data": data}


@router.get("/governance/accounts/{address}", summary="Governance account")
def governance_account(address: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The address's staked (stkSWK) balance as governance knows it, its delegatee, and its voting power now."""
    addr = parse_bytes(address, 20, "address")
    with view.lock:
        gov = _governance(view.chain.head_state)
        data: dict[str, Any] = to_json(gov_queries.power(gov, addr))
    return {"data": data}
