"""Governance invariants, checked by tests after every step: ``check(state, host)`` lists every violation.

Checked: checkpoints ordered and non-negative; each delegatee's votes now = the balances that vote for it; the
total = every balance; every account counted still holds stake (values are recorded when reported, so they may
lag the token's); votes never exceed the total; every receipt holds the voter's
power at the snapshot, the tallies are the receipts' sums and never exceed the snapshot's total; no vote before
the snapshot ended or after the period; the stored status is the status the facts give at ``host.epoch``; the live
list holds exactly the live proposals; at most one pending or active proposal per proposer; an execution happened
in ``[eta, expires)``; governance's own parameters within their bounds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from stakework.modules.governance.host import voting_power_of
from stakework.modules.governance.state import LIVE, MAX_LIVE_PROPOSALS, Checkpoint, GovernanceState, Status, get_own
from stakework.modules.governance.votes import current_votes, delegate_of, expected_status, total_at, votes_at
from stakework.modules.host import ModuleHost


def _ordered(name: str, checkpoints: Sequence[Checkpoint]) -> list[str]:
    problems = []
    if any(a.epoch >= b.epoch for a, b in itertools.pairwise(checkpoints)):
        problems.append(f"{name}: checkpoint epochs not strictly increasing")
    if any(c.votes < 0 for c in checkpoints):
        problems.append(f"{name}: negative votes in a checkpoint")
    return problems


def check(state: GovernanceState, host: ModuleHost) -> list[str]:
    problems: list[str] = []
    # --- voting power ---------------------------------------------------------------------------------------------
    problems += _ordered("total", state.total_checkpoints)
    expected: dict[bytes, int] = {}
    for holder, balance in state.balances.items():
        if balance <= 0:
            problems.append(f"holder 0x{holder.hex()}: non-positive balance {balance} kept")
        expected[delegate_of(state, holder)] = expected.get(delegate_of(state, holder), 0) + balance
    for account, cps in state.checkpoints.items():
        problems += _ordered(f"0x{account.hex()}", cps)
    for account in set(expected) | set(state.checkpoints):
        if current_votes(state, account) != expected.get(account, 0):
            problems.append(
                f"0x{account.hex()}: votes {current_votes(state, account)} != balances voting for it "
                f"{expected.get(account, 0)}"
            )
    total = state.total_checkpoints[-1].votes if state.total_checkpoints else 0
    if total != sum(state.balances.values()):
        problems.append(f"total power {total} != sum of balances {sum(state.balances.values())}")
    # Power is recorded on every change of a position (stake, redeem, transfer, slash), not as rewards or rebases
    # move its value, so governance's figures may lag the token's values; every account it counts must still hold.
    holding = voting_power_of(host).staked_balances()
    if any(holder not in holding for holder in state.balances):
        problems.append("governance counts voting power for an account that holds no stake")
    if any(account == holder for holder, account in state.delegates.items()):
        problems.append("a self-delegation is stored (it must be absent)")
    # --- proposals ------------------------------------------------------------------------------------------------
    live = []
    busy: dict[bytes, int] = {}
    for pid, p in state.proposals.items():
        where = f"proposal {pid}: "
        if p.id != pid or pid >= state.next_proposal_id:
            problems.append(where + "id does not match its key or is not below next_proposal_id")
        if not p.created < p.start < p.end:
            problems.append(where + f"created {p.created}, start {p.start}, end {p.end} out of order")
        snapshot_total = total_at(state, p.start)
        sums = [0, 0, 0]
        for voter, r in p.receipts.items():
            sums[r.support] += r.votes
            if host.epoch > p.start and r.votes != votes_at(state, voter, p.start):
                problems.append(where + f"voter 0x{voter.hex()} counted {r.votes}, not its snapshot power")
            if r.votes <= 0:
                problems.append(where + "a receipt with no votes")
        if p.receipts and host.epoch <= p.start:
            problems.append(where + "votes before the snapshot epoch ended")
        if sums != [p.against_votes, p.for_votes, p.abstain_votes]:
            problems.append(where + f"tallies {p.against_votes}/{p.for_votes}/{p.abstain_votes} != receipts {sums}")
        if sum(sums) > snapshot_total:
            problems.append(where + f"{sum(sums)} votes cast, more than the snapshot's total {snapshot_total}")
        status = expected_status(state, p, host.epoch)
        if p.status is not status:
            problems.append(where + f"stored status {p.status.value} but {status.value} at epoch {host.epoch}")
        if p.status in LIVE:
            live.append(pid)
        if status in (Status.PENDING, Status.ACTIVE):
            busy[p.proposer] = busy.get(p.proposer, 0) + 1
        if p.executed and not (p.eta <= p.executed_epoch < p.expires):
            problems.append(where + f"executed at {p.executed_epoch}, outside [{p.eta}, {p.expires})")
        if p.executed and p.canceled:
            problems.append(where + "both executed and canceled")
        if p.eta and p.expires - p.eta < 1:
            problems.append(where + "an empty execution window")
    if sorted(live) != state.live:
        problems.append(f"live list {state.live} != live proposals {sorted(live)}")
    if len(state.live) > MAX_LIVE_PROPOSALS:
        problems.append(f"{len(state.live)} live proposals, more than {MAX_LIVE_PROPOSALS}")
    if any(n > 1 for n in busy.values()):
        problems.append("a proposer has more than one pending or active proposal")
    # --- own parameters -------------------------------------------------------------------------------------------
    for name, b in state.bounds.items():
        if not b.minimum <= get_own(state, name) <= b.maximum:
            problems.append(f"{name} = {get_own(state, name)} outside its bounds {b.minimum}..{b.maximum}")
    return problems
