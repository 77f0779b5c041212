"""Voting power: Comp-style checkpoints with delegation, and Bravo's proposal status computed from the facts.

Governance keeps the history itself. The host reports every staked balance change with
:func:`record_balance_change` (the account's new balance, in the epoch it changes); the account's votes count for
its delegatee (itself unless it delegated), whose checkpoint list gets one entry per epoch in which its votes changed
(Comp ``_moveDelegates`` / ``_writeCheckpoint``: a second change in the same epoch updates that entry). Reading is
Comp's ``getPriorVotes``: a binary search for the last checkpoint at or before the epoch asked.

Power for a proposal is read strictly as of the end of its snapshot epoch ``start``, and voting opens at
``start + 1`` (voting delay >= 1), so stake bought or borrowed after the snapshot cannot vote, and no stake can be
acquired, voted with and returned within one epoch (Beanstalk, April 2022: a flash-loaned vote executed in one
block). Delegation moves votes from this epoch on only; a vote already cast or a snapshot already taken is not
affected, so moving stake or delegation between voters never lets the same stake vote twice on a proposal.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.governance.errors import CheckpointError
from stakework.modules.governance.state import Checkpoint, GovernanceState, Proposal, Status


def value_at(checkpoints: Sequence[Checkpoint], epoch: int) -> int:
    """The votes of the last checkpoint at or before ``epoch`` (0 before the first): Comp ``getPriorVotes``."""
    i = bisect_right(checkpoints, epoch, key=lambda c: c.epoch)
    return checkpoints[i - 1].votes if i else 0


def votes_at(state: GovernanceState, account: bytes, epoch: int) -> int:
    """``account``'s voting power (its own undelegated balance plus what is delegated to it) at the end of
    ``epoch``."""
    return value_at(state.checkpoints.get(account, ()), epoch)


def total_at(state: GovernanceState, epoch: int) -> int:
    """The total voting power (every reported balance) at the end of ``epoch``."""
    return value_at(state.total_checkpoints, epoch)


def current_votes(state: GovernanceState, account: bytes) -> int:
    cps = state.checkpoints.get(account)
    return cps[-1].votes if cps else 0


def delegate_of(state: GovernanceState, account: bytes) -> bytes:
    """Whom ``account``'s balance votes for (itself unless it delegated)."""
    return state.delegates.get(account, account)


def proposal_threshold(state: GovernanceState, epoch: int) -> int:
    """Voting power needed to propose at ``epoch``: ``threshold_bps`` of the total at ``epoch - 1``, rounded up,
    and at least 1 (Bravo reads ``getPriorVotes(proposer, block.number - 1)``)."""
    return max(1, mul_div(total_at(state, epoch - 1), state.params.proposal_threshold_bps, BPS, Rounding.UP))


def quorum_of(state: GovernanceState, proposal: Proposal) -> int:
    """For-votes the proposal needs: its ``quorum_bps`` of the total power at its snapshot, rounded up."""
    return mul_div(total_at(state, proposal.start), proposal.quorum_bps, BPS, Rounding.UP)


def passed(state: GovernanceState, proposal: Proposal) -> bool:
    """Bravo's rule: more for than against, and the for-votes alone reach the quorum (abstentions count for
    neither)."""
    return proposal.for_votes > proposal.against_votes and proposal.for_votes >= quorum_of(state, proposal)


def expected_status(state: GovernanceState, proposal: Proposal, epoch: int) -> Status:
    """The proposal's status at ``epoch`` from its facts (Bravo ``state()``, in its order)."""
    if proposal.canceled:
        return Status.CANCELED
    if epoch <= proposal.start:
        return Status.PENDING
    if epoch <= proposal.end:
        return Status.ACTIVE
    if not passed(state, proposal):
        return Status.DEFEATED
    if proposal.eta == 0:
        return Status.SUCCEEDED if epoch < proposal.queue_deadline else Status.EXPIRED
    if proposal.executed:
        return Status.EXECUTED
    if epoch >= proposal.expires:
        return Status.EXPIRED
    return Status.QUEUED


def _write(checkpoints: list[Checkpoint], epoch: int, votes: int) -> None:
    if checkpoints and checkpoints[-1].epoch == epoch:
        checkpoints[-1] = Checkpoint(epoch, votes)
    elif not checkpoints or checkpoints[-1].votes != votes:
        checkpoints.append(Checkpoint(epoch, votes))


def _written(checkpoints: tuple[Checkpoint, ...], epoch: int, votes: int) -> tuple[Checkpoint, ...]:
    """`_write` for a delegatee's checkpoints, a record (immutable): the new tuple."""
    if checkpoints and checkpoints[-1].epoch == epoch:
        return (*checkpoints[:-1], Checkpoint(epoch, votes))
    if not checkpoints or checkpoints[-1].votes != votes:
        return (*checkpoints, Checkpoint(epoch, votes))
    return checkpoints


def _check_epoch(checkpoints: Sequence[Checkpoint], epoch: int) -> None:
    if checkpoints and epoch < checkpoints[-1].epoch:
        raise CheckpointError(
            f"a change of voting power recorded for epoch {epoch}, after one for epoch {checkpoints[-1].epoch}"
        )


def move_votes(state: GovernanceState, epoch: int, src: bytes | None, dst: bytes | None, amount: int) -> None:
    """Comp ``_moveDelegates``: ``amount`` votes leave ``src``'s checkpoints and join ``dst``'s (None: minted or
    burned, which changes the total)."""
    if amount == 0 or src == dst:
        return
    for account in (src, dst):
        _check_epoch(state.checkpoints.get(account, ()) if account is not None else state.total_checkpoints, epoch)
    if src is not None:
        cps = state.checkpoints.get(src, ())
        # equivalent mutant (const 0 to -1|const 0 to 1): votes leave only an account that has them: cps is not empty
        state.checkpoints[src] = _written(cps, epoch, (cps[-1].votes if cps else 0) - amount)
    if dst is not None:
        cps = state.checkpoints.get(dst, ())
        state.checkpoints[dst] = _written(cps, epoch, (cps[-1].votes if cps else 0) + amount)
    if src is None or dst is None:
        total = state.total_checkpoints[-1].votes if state.total_checkpoints else 0
        _write(state.total_checkpoints, epoch, total + (amount if src is None else -amount))


def record_balance_change(state: GovernanceState, epoch: int, account: bytes, balance: int) -> None:
    """The hook the staked token's module calls (through the host) whenever ``account``'s staked balance becomes
    ``balance``, in ``epoch``: the difference moves on its delegatee's checkpoints and the total. Raises
    :class:`CheckpointError` (changing nothing) for a negative balance or an epoch before the last recorded."""
    if balance < 0:
        raise CheckpointError(f"a negative staked balance {balance} reported")
    old = state.balances.get(account, 0)
    if balance == old:
        return
    delegatee = delegate_of(state, account)
    # equivalent mutant (cmp > to >=): balance == old has returned above
    # equivalent mutant (negate if): either branch, with the sides swapped and the amount negated, writes the same
    if balance > old:
        move_votes(state, epoch, None, delegatee, balance - old)
    else:
        move_votes(state, epoch, delegatee, None, old - balance)
    if balance:
        state.balances[account] = balance
    else:
        del state.balances[account]


def delegate(state: GovernanceState, epoch: int, account: bytes, to: bytes) -> None:
    """Comp ``_delegate``: ``account``'s balance votes for ``to`` from ``epoch`` on (``to == account``: itself)."""
    old = delegate_of(state, account)
    move_votes(state, epoch, old, to, state.balances.get(account, 0))
    if to == account:
        state.delegates.pop(account, None)
    else:
        state.delegates[account] = to
