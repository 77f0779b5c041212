"""Random governance histories: stake changes, delegations, proposals (bounded and not), votes, queueing, execution,
cancellation, epochs passing and parameter bounds changing under queued proposals, against an independent model.

The model keeps every holder's balance and delegation at the end of every epoch, and each proposal's votes, eta and
outcome as it expects them. After every step: the module's invariants (``check``); and for every message, the module
accepts it exactly when the model says it must, a refused message changes nothing, and:
- every counted vote equals the voter's power at the end of the snapshot epoch in the model (stake or delegation
  after the snapshot never counts) and the votes cast never exceed the snapshot's total;
- nobody votes twice on a proposal;
- a proposal executes only when it passed (for > against, for-votes >= quorum), from its eta to before
  ``eta + grace``, and only once, and then every action's value is in force;
- no parameter is ever set outside the bounds in force when it is set (the fake registry fails the test if so) and
  no proposal carrying an out-of-bounds or unknown action exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec
import pytest
from gov_support import GovHost, advance, small_state
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.governance import MODULE
from stakework.modules.governance.errors import (
    ModuleError,
)
from stakework.modules.governance.handlers import dispatch
from stakework.modules.governance.invariants import check
from stakework.modules.governance.messages import (
    Action,
    Cancel,
    CastVote,
    Delegate,
    Execute,
    GovernanceMessage,
    Propose,
    Queue,
)
from stakework.modules.governance.state import MAX_LIVE_PROPOSALS, OWN_DOCS, get_own
from support.long_run import long_run_steps, run_counted

HOLDERS = [bytes([i]) * 20 for i in range(1, 6)]
OUTSIDER = b"\xee" * 20
who = st.sampled_from(HOLDERS)
anyone = st.sampled_from([*HOLDERS, OUTSIDER])
SUPPORT = st.sampled_from([1, 1, 0, 1, 2])
"""Vote values, "for" most often (proposals must pass often enough to reach the timelock)."""
STEPS = [
    *["stake"] * 2,
    *["lifecycle"] * 2,
    "delegate",
    *["propose"] * 3,
    *["vote"] * 8,
    *["queue"] * 3,
    *["execute"] * 3,
    "cancel",
    *["wait"] * 2,
    *["jump"] * 3,
    "rebound",
]
"""Step kinds, each as often as it is listed."""
PARAMETERS = [
    ("liquid", "fee_bps"),
    ("liquid", "max_positive_rebase"),
    ("chain", "module_message_min_fee"),
    *[(MODULE, n) for n in OWN_DOCS],
    ("liquid", "no_such_parameter"),
]


@dataclass
class ModelProposal:
    id: int
    proposer: bytes
    actions: list[Action]
    start: int
    end: int
    quorum_bps: int
    queue_deadline: int
    votes: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    eta: int | None = None
    expires: int = 0
    executed: bool = False
    canceled: bool = False

    def tally(self, support: int) -> int:
        return sum(v for s, v in self.votes.values() if s == support)


class GovernanceMachine(RuleBasedStateMachine):
    steps_run = 0

    def __init__(self) -> None:
        super().__init__()
        self.state = small_state()
        self.host = GovHost()
        self.balances: dict[bytes, int] = {}
        self.delegates: dict[bytes, bytes] = {}
        self.ends: dict[int, tuple[dict[bytes, int], dict[bytes, bytes]]] = {}
        """Epoch -> (balances, delegates) at its end."""
        self.proposals: dict[int, ModelProposal] = {}

    @initialize(
        stakes=st.lists(st.integers(1, 1000), min_size=len(HOLDERS), max_size=len(HOLDERS)),
        threshold=st.sampled_from([100, 1, 1000]),
        quorum=st.sampled_from([400, 3000, 5000]),
        delay=st.integers(1, 3),
        period=st.integers(2, 6),
        timelock=st.integers(1, 3),
        grace=st.integers(2, 6),
    )
    def start(
        self, stakes: list[int], threshold: int, quorum: int, delay: int, period: int, timelock: int, grace: int
    ) -> None:
        self.state = small_state(
            proposal_threshold_bps=threshold,
            quorum_bps=quorum,
            voting_delay=delay,
            voting_period=period,
            timelock_delay=timelock,
            grace_period=grace,
        )
        for holder, amount in zip(HOLDERS, stakes, strict=True):
            self.set_stake(holder, amount)
        self.advance(1)

    # --- the model ------------------------------------------------------------------------------------------------
    def power(self, account: bytes, epoch: int) -> int:
        if epoch not in self.ends:
            return 0
        balances, delegates = self.ends[epoch]
        return sum(b for h, b in balances.items() if delegates.get(h, h) == account)

    def total(self, epoch: int) -> int:
        return sum(self.ends[epoch][0].values()) if epoch in self.ends else 0

    def threshold(self) -> int:
        bps = self.state.params.proposal_threshold_bps
        return max(1, mul_div(self.total(self.host.epoch - 1), bps, BPS, Rounding.UP))

    def passed(self, p: ModelProposal) -> bool:
        quorum = mul_div(self.total(p.start), p.quorum_bps, BPS, Rounding.UP)
        return p.tally(1) > p.tally(0) and p.tally(1) >= quorum

    def status(self, p: ModelProposal) -> str:
        epoch = self.host.epoch
        if p.canceled:
            return "canceled"
        if epoch <= p.start:
            return "pending"
        if epoch <= p.end:
            return "active"
        if not self.passed(p):
            return "defeated"
        if p.eta is None:
            return "succeeded" if epoch < p.queue_deadline else "expired"
        if p.executed:
            return "executed"
        return "queued" if epoch < p.expires else "expired"

    def spec_allows(self, action: Action) -> bool:
        if action.module == MODULE:
            bounds = self.state.bounds.get(action.name)
            return bounds is not None and bounds.minimum <= action.value <= bounds.maximum
        spec = self.host.parameters.spec(action.module, action.name)
        return spec is not None and spec.minimum <= action.value <= spec.maximum

    def send(self, sender: bytes, msg: GovernanceMessage, accept: bool) -> bool:
        """Dispatch; the module must accept exactly when the model says so, and change nothing when it refuses."""
        before = msgspec.msgpack.encode(self.state)
        values = dict(self.host.parameters.values)
        try:
            dispatch(self.state, self.host, sender, msg)
        except ModuleError as exc:
            assert not accept, f"{msg} refused but the model accepts it: {exc}"
            assert msgspec.msgpack.encode(self.state) == before
            assert self.host.parameters.values == values
            event(f"refused: {type(exc).__name__}")
            return False
        assert accept, f"{msg} accepted but the model refuses it"
        event(f"accepted: {type(msg).__name__}")
        return True

    # --- stake and delegation ------------------------------------------------------------------------------------
    def stake(self, data: st.DataObject) -> None:
        holder = data.draw(who, label="holder")
        amount = data.draw(st.one_of(st.integers(1, 1000), st.just(0)), label="stake")
        self.set_stake(holder, amount)

    def set_stake(self, holder: bytes, amount: int) -> None:
        self.host.set_stake(self.state, holder, amount)
        if amount:
            self.balances[holder] = amount
        else:
            self.balances.pop(holder, None)

    def delegate(self, data: st.DataObject) -> None:
        holder, to = data.draw(who, label="holder"), data.draw(anyone, label="delegate to")
        same = self.delegates.get(holder, holder) == to
        if not self.send(holder, Delegate(to=to), accept=not same):
            return
        if to == holder:
            self.delegates.pop(holder, None)
        else:
            self.delegates[holder] = to

    # --- proposals ------------------------------------------------------------------------------------------------
    def draw_action(self, data: st.DataObject) -> Action:
        """Mostly a value within the bounds in force (an accepted proposal), sometimes anything (refused)."""
        module, name = data.draw(st.sampled_from(PARAMETERS))
        if module == MODULE:
            low, high = self.state.bounds[name].minimum, self.state.bounds[name].maximum
        else:
            spec = self.host.parameters.spec(module, name)
            low, high = (0, 3000) if spec is None else (spec.minimum, spec.maximum)
        inside = st.integers(low, min(high, low + 40))
        value = data.draw(st.one_of(inside, inside, inside, st.integers(0, 3000)))
        return Action(module=module, name=name, value=value)

    def propose(self, data: st.DataObject) -> None:
        proposer = data.draw(st.one_of(who, who, who, anyone), label="proposer")
        actions = [self.draw_action(data) for _ in range(data.draw(st.integers(1, 3), label="actions"))]
        self.do_propose(proposer, actions)

    def do_propose(self, proposer: bytes, actions: list[Action]) -> ModelProposal | None:
        epoch = self.host.epoch
        latest = max((p for p in self.proposals.values() if p.proposer == proposer), key=lambda p: p.id, default=None)
        live = sum(1 for p in self.proposals.values() if self.status(p) in ("pending", "active", "succeeded", "queued"))
        accept = (
            self.power(proposer, epoch - 1) >= self.threshold()
            and all(self.spec_allows(a) for a in actions)
            and len({(a.module, a.name) for a in actions}) == len(actions)
            and (latest is None or self.status(latest) not in ("pending", "active"))
            and live < MAX_LIVE_PROPOSALS
        )
        if not self.send(proposer, Propose(actions=actions), accept):
            return None
        pid = self.state.next_proposal_id - 1
        params = self.state.params
        start = epoch + params.voting_delay
        self.proposals[pid] = ModelProposal(
            id=pid,
            proposer=proposer,
            actions=actions,
            start=start,
            end=start + params.voting_period,
            quorum_bps=params.quorum_bps,
            queue_deadline=start + params.voting_period + 1 + params.grace_period,
        )
        stored = self.state.proposals[pid]
        assert (stored.start, stored.end, stored.actions) == (start, self.proposals[pid].end, actions)
        return self.proposals[pid]

    def pick(self, data: st.DataObject, *wanted: str) -> ModelProposal | None:
        """A proposal, mostly one with a status drawn from ``wanted`` (None if there is none), sometimes any."""
        if not self.proposals:
            return None
        want = data.draw(st.sampled_from(wanted), label="status") if wanted else None
        targets = sorted(pid for pid, p in self.proposals.items() if self.status(p) == want)
        if data.draw(st.integers(0, 9), label="off target") < 8:
            return self.proposals[data.draw(st.sampled_from(targets), label="proposal")] if targets else None
        return self.proposals[data.draw(st.sampled_from(sorted(self.proposals)), label="proposal")]

    def vote(self, data: st.DataObject) -> None:
        p = self.pick(data, "active")
        if p is None:
            return
        holders = [h for h in [*HOLDERS, OUTSIDER] if h not in p.votes and self.power(h, p.start) > 0]
        if holders and data.draw(st.integers(0, 4), label="a voter with power") < 4:
            voter = data.draw(st.sampled_from(holders), label="voter")
        else:
            voter = data.draw(anyone, label="voter")
        self.do_vote(p, voter, data.draw(SUPPORT, label="support"))

    def do_vote(self, p: ModelProposal, voter: bytes, support: int) -> None:
        power = self.power(voter, p.start)
        accept = self.status(p) == "active" and voter not in p.votes and power > 0
        if not self.send(voter, CastVote(proposal_id=p.id, support=support), accept):
            if self.status(p) == "active" and voter in p.votes:
                event("double vote refused")
            return
        p.votes[voter] = (support, power)
        receipt = self.state.proposals[p.id].receipts[voter]
        assert (receipt.support, receipt.votes) == (support, power)
        assert sum(v for _, v in p.votes.values()) <= self.total(p.start)
        if voter != self.delegates.get(voter, voter) or any(d == voter for d in self.delegates.values()):
            event("a vote with delegation in play")

    def queue(self, data: st.DataObject) -> None:
        p = self.pick(data, "succeeded", "succeeded", "succeeded", "expired", "defeated")
        if p is None:
            return
        self.do_queue(p, data.draw(anyone, label="sender"))

    def do_queue(self, p: ModelProposal, sender: bytes) -> None:
        params = self.state.params
        if self.send(sender, Queue(proposal_id=p.id), self.status(p) == "succeeded"):
            p.eta = self.host.epoch + params.timelock_delay
            p.expires = p.eta + params.grace_period
            assert (self.state.proposals[p.id].eta, self.state.proposals[p.id].expires) == (p.eta, p.expires)

    def execute(self, data: st.DataObject) -> None:
        p = self.pick(data, "queued", "queued", "queued", "expired", "executed")
        if p is None:
            return
        self.do_execute(p, data.draw(anyone, label="sender"))

    def do_execute(self, p: ModelProposal, sender: bytes) -> None:
        epoch = self.host.epoch
        executable = (
            self.status(p) == "queued"
            and p.eta is not None
            and p.eta <= epoch < p.expires
            and all(self.spec_allows(a) for a in p.actions)
        )
        if not self.send(sender, Execute(proposal_id=p.id), executable):
            return
        assert self.passed(p) and not p.executed and not p.canceled
        p.executed = True
        for a in p.actions:
            now = get_own(self.state, a.name) if a.module == MODULE else self.host.parameters.current(a.module, a.name)
            assert now == a.value
        event("executed")

    def cancel(self, data: st.DataObject) -> None:
        p = self.pick(data, "pending", "active", "succeeded", "queued", "executed")
        if p is None:
            return
        sender = data.draw(anyone, label="sender")
        live = self.status(p) in ("pending", "active", "succeeded", "queued")
        allowed = sender == p.proposer or self.power(p.proposer, self.host.epoch - 1) < self.threshold()
        if self.send(sender, Cancel(proposal_id=p.id), live and allowed):
            p.canceled = True

    def lifecycle(self, data: st.DataObject) -> None:
        """A whole proposal's life in one step (random histories rarely line every stage up): a holder with
        enough power proposes; voting by some holders; maybe a bound changes; queue; execute at a drawn epoch
        around its window. Every message is still checked against the model."""
        eligible = [h for h in HOLDERS if self.power(h, self.host.epoch - 1) >= self.threshold()]
        if not eligible:
            return
        proposer = data.draw(st.sampled_from(eligible), label="proposer")
        actions = [self.draw_action(data) for _ in range(data.draw(st.integers(1, 3), label="actions"))]
        p = self.do_propose(proposer, actions)
        if p is None:
            return
        self.advance(p.start + 1 - self.host.epoch)
        for voter in [*HOLDERS, OUTSIDER]:
            shake = data.draw(st.integers(0, 5), label="before the vote")
            if shake == 0:  # stake moves after the snapshot: must not change any vote
                self.set_stake(data.draw(who, label="holder"), data.draw(st.integers(0, 2000), label="stake"))
            elif shake == 1:
                self.delegate(data)
            elif shake == 2 and self.host.epoch < p.end:
                self.advance(1)
            if data.draw(st.integers(0, 3), label="votes") > 0:
                self.do_vote(p, voter, data.draw(SUPPORT, label="support"))
        self.advance(data.draw(st.sampled_from([p.end + 1, p.end + 1, p.end]), label="to epoch") - self.host.epoch)
        if data.draw(st.integers(0, 2), label="rebound now") == 0:
            self.rebound(data)
        if self.host.epoch <= p.end:
            self.advance(p.end + 1 - self.host.epoch)
        self.do_queue(p, data.draw(anyone, label="sender"))
        if p.eta is None:
            return
        target = data.draw(st.sampled_from([p.eta, p.eta, p.eta - 1, p.expires - 1, p.expires]), label="to epoch")
        self.advance(max(target - self.host.epoch, 0))
        self.do_execute(p, data.draw(anyone, label="sender"))

    # --- time and upgrades ----------------------------------------------------------------------------------------
    def wait(self, data: st.DataObject) -> None:
        self.advance(data.draw(st.sampled_from([1, 1, 2, 4]), label="epochs"))

    def advance(self, epochs: int) -> None:
        for _ in range(epochs):
            self.ends[self.host.epoch] = (dict(self.balances), dict(self.delegates))
            advance(self.state, self.host)

    def jump(self, data: st.DataObject) -> None:
        """Advance to an epoch where something changes for a proposal: its first or last voting epoch, the first
        after the vote, its eta, the last epoch it may be queued or executed."""
        marks = set()
        for p in self.proposals.values():
            marks |= {p.start, p.start + 1, p.end, p.end + 1, p.queue_deadline - 1, p.queue_deadline}
            if p.eta is not None:
                marks |= {p.eta - 1, p.eta, p.expires - 1, p.expires}
        ahead = sorted(m for m in marks if m > self.host.epoch)
        if ahead:
            self.advance(data.draw(st.sampled_from(ahead[:3]), label="to epoch") - self.host.epoch)

    def rebound(self, data: st.DataObject) -> None:
        """A chain upgrade changes a parameter's bounds (queued proposals must be checked again at execution):
        mostly one a live proposal sets, to exclude or include its value again."""
        queued = [
            a
            for p in self.proposals.values()
            if self.status(p) in ("active", "succeeded", "queued")
            for a in p.actions
            if a.module != MODULE and self.host.parameters.spec(a.module, a.name) is not None
        ]
        if queued and data.draw(st.booleans(), label="a queued action's parameter"):
            a = data.draw(st.sampled_from(queued), label="action")
            module, name = a.module, a.name
            low, high = data.draw(
                st.sampled_from([(a.value + 1, a.value + 100), (max(a.value - 1, 1), max(a.value, 1)), (1, 3000)]),
                label="bounds",
            )
        else:
            module, name = data.draw(
                st.sampled_from([("liquid", "fee_bps"), ("liquid", "max_positive_rebase")]), label="name"
            )
            low = data.draw(st.integers(1, 100), label="low")
            high = low + data.draw(st.integers(0, 3000), label="span")
        self.host.parameters.rebound(module, name, low, high)

    # --- one weighted step --------------------------------------------------------------------------------------------
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """One action, drawn with weights (one rule rather than ten: Hypothesis's swarm testing would disable some
        rules per example, and a proposal's lifecycle needs proposing, voting, time, queueing and executing all
        at once)."""
        active = any(self.status(p) == "active" for p in self.proposals.values())
        if active and data.draw(st.booleans(), label="vote now"):
            kind = "vote"
        else:
            kind = data.draw(st.sampled_from(STEPS), label="step")
        getattr(self, kind)(data)

    # --- invariants -----------------------------------------------------------------------------------------------
    @invariant()
    def count_step(self) -> None:
        type(self).steps_run += 1

    @invariant()
    def module_invariants_hold(self) -> None:
        assert check(self.state, self.host) == []

    @invariant()
    def tallies_and_statuses_match_the_model(self) -> None:
        for pid, p in self.proposals.items():
            stored = self.state.proposals[pid]
            assert (stored.against_votes, stored.for_votes, stored.abstain_votes) == (
                p.tally(0),
                p.tally(1),
                p.tally(2),
            )
            assert stored.status.value == self.status(p)

    @invariant()
    def balances_and_current_votes_match_the_model(self) -> None:
        assert self.state.balances == self.balances
        assert self.state.delegates == self.delegates


GovernanceMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=60)
test_governance_random_histories = GovernanceMachine.TestCase


@pytest.mark.slow
def test_governance_long_run() -> None:
    """At least ``long_run_steps(3_000)`` random steps (a million with HYPOTHESIS_PROFILE=thorough), counted."""
    run_counted(GovernanceMachine, long_run_steps(3000))
