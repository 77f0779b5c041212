"""The governance epoch hook: moves proposals through Bravo's lifecycle as epochs pass.

``on_epoch(state, host)`` runs after the chain's processing of epoch ``host.epoch`` (the chain's convention,
``transition/modules.py``); the next blocks are in ``host.epoch + 1``, so every live proposal's stored status
becomes its status at ``host.epoch + 1`` (:func:`~.votes.expected_status`): Pending -> Active once the snapshot
epoch has ended, Active -> Succeeded or Defeated once the voting period has, Succeeded or Queued -> Expired at their
deadline. Finished proposals leave the live list. O(live proposals), at most ``MAX_LIVE_PROPOSALS``.

The handlers compute the status from the same facts themselves (as Bravo's ``state()`` does at every call), so a
missed hook can delay what the state shows, never what a transaction may do.
"""

from __future__ import annotations

from stakework.modules.governance.state import LIVE, GovernanceState
from stakework.modules.governance.votes import expected_status
from stakework.modules.host import ModuleHost


def on_epoch(state: GovernanceState, host: ModuleHost) -> None:
    """Refresh every live proposal's status for the next epoch; drop the finished ones from the live list."""
    following = host.epoch + 1
    still_live: list[int] = []
    for proposal_id in state.live:
        proposal = state.proposals[proposal_id]
        proposal.status = expected_status(state, proposal, following)
        if proposal.status in LIVE:
            still_live.append(proposal_id)
    state.live = still_live
