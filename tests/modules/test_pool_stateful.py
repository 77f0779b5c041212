"""Random pool histories: deposits, transfers, withdrawal requests, claims, rewards, penalties, slashing,
donations (validator top-ups) and exits, with every invariant checked after every step.

Checked after every step: the module's invariants (ledger consistent, value = buffer + validators, queue
bookkeeping, FIFO, paid <= amount); the module's account holds exactly the pools' buffers and reserved payouts
(the queue never pays more than it holds); money is conserved across host and module; redeeming everything
never pays more than the pool holds; no holder ever gets (claimed + queued + redeemable) more than they put in
plus their pro-rata share of positive rewards (plus commission for the operator) plus rounding dust that
favours the pool; a deposit right after a donation loses at most one share's value.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from stakework.modules.arith import BPS, Rounding
from stakework.modules.errors import ModuleError
from stakework.modules.pool import MODULE
from stakework.modules.pool.epoch import on_epoch
from stakework.modules.pool.handlers import dispatch
from stakework.modules.pool.invariants import check
from stakework.modules.pool.messages import AddKeys, Claim, Deposit, RegisterPool, RequestWithdrawal, TransferShares
from stakework.modules.pool.state import QUEUE_HOLDER, new_state
from stakework.modules.testing import FakeHost, deposit_keys
from stakework.spec.presets import get_preset
from support.long_run import long_run_steps, run_counted

SWK = 10**9
OP = b"o" * 20
DELEGATORS = [bytes([i]) * 20 for i in range(1, 5)]
who = st.sampled_from(DELEGATORS)
amounts = st.one_of(st.integers(SWK, 3 * SWK), st.integers(SWK, 80 * SWK), st.just(32 * SWK))


class PoolMachine(RuleBasedStateMachine):
    steps_run = 0
    """Steps executed so far in this process (the long run counts them)."""

    def __init__(self) -> None:
        super().__init__()
        self.state = new_state(get_preset("minimal"))
        self.host = FakeHost(exit_delay=2)
        for d in [OP, *DELEGATORS]:
            self.host.fund(d, 10**6 * SWK)
        self.commission = 1000
        dispatch(self.state, self.host, OP, RegisterPool(commission_bps=self.commission))
        self.pool = self.state.pools[1]
        self.next_key = 1
        self.deposited = dict.fromkeys([OP, *DELEGATORS], 0)
        self.claimed = dict.fromkeys([OP, *DELEGATORS], 0)
        self.bound: dict[bytes, Fraction] = {h: Fraction(0) for h in [OP, *DELEGATORS]}
        self.slack = 0
        self.donated = 0

    @initialize(amount=st.integers(32 * SWK, 200 * SWK))
    def start_with_validators(self, amount: int) -> None:
        self.deposit(DELEGATORS[0], amount)
        self._advance({}, 0)

    def one_share(self) -> int:
        return self.pool.ledger.convert_to_assets(1, Rounding.UP) + 1

    # --- delegator actions ---------------------------------------------------------------------------------------
    @rule(d=who, amount=amounts)
    def deposit(self, d: bytes, amount: int) -> None:
        before = self.pool.ledger.assets_of(d)
        first = self.pool.ledger.total_shares == 0
        slack = self.pool.ledger.dead_shares if first else self.one_share()
        try:
            dispatch(self.state, self.host, d, Deposit(pool_id=1, amount=amount))
        except ModuleError:
            return
        self.deposited[d] += amount
        self.bound[d] += amount
        self.slack += slack
        # No donation or earlier rounding can take more than one share's value of a deposit.
        assert self.pool.ledger.assets_of(d) >= before + amount - slack - 1

    @rule(src=who, dst=who, frac=st.fractions(0, 1))
    def transfer(self, src: bytes, dst: bytes, frac: Fraction) -> None:
        shares = int(self.pool.ledger.shares_of(src) * frac)
        if shares == 0:
            return
        value = Fraction(shares * self.pool.ledger.total_assets, self.pool.ledger.total_shares)
        dispatch(self.state, self.host, src, TransferShares(pool_id=1, to=dst, shares=shares))
        self.bound[src] -= value
        self.bound[dst] += value

    @rule(d=st.sampled_from([OP, *DELEGATORS]), frac=st.fractions(0, 1))
    def request_withdrawal(self, d: bytes, frac: Fraction) -> None:
        shares = int(self.pool.ledger.shares_of(d) * frac)
        try:
            dispatch(self.state, self.host, d, RequestWithdrawal(pool_id=1, shares=shares))
        except ModuleError:
            return
        self.slack += 1

    @rule(data=st.data())
    def claim(self, data: st.DataObject) -> None:
        ready = sorted(r.id for r in self.pool.requests.values() if r.finalized)
        if not ready:
            return
        request = self.pool.requests[data.draw(st.sampled_from(ready))]
        before = self.host.balance(request.owner)
        dispatch(self.state, self.host, request.owner, Claim(pool_id=1, request_id=request.id))
        assert self.host.balance(request.owner) == before + request.paid
        self.claimed[request.owner] += request.paid
        event("claim paid")

    # --- chain events ----------------------------------------------------------------------------------------------
    @rule(
        deltas=st.lists(st.integers(-(10**7), 3 * 10**7), min_size=0, max_size=8),
    )
    def epoch(self, deltas: list[int]) -> None:
        active = [v.pubkey for v in self.pool.validators]
        rewards = dict(zip(active, deltas, strict=False))
        positive = sum(d for k, d in rewards.items() if d > 0 and self.host.validators[k].exit_epoch is None)
        self._advance(rewards, positive + self.donated)
        self.donated = 0

    def _fractions(self) -> dict[bytes, Fraction]:
        ledger = self.pool.ledger
        outside_queue = ledger.total_shares - ledger.shares_of(QUEUE_HOLDER)
        if outside_queue == 0:
            return dict.fromkeys(self.bound, Fraction(0))
        return {h: Fraction(ledger.shares_of(h), outside_queue) for h in self.bound}

    def _advance(self, rewards: dict[bytes, int], positive: int) -> None:
        # Each holder is owed at most its fraction of the positive rewards, counted over the shares outside the
        # queue (rewards on queued shares stay with the pool: the payout is fixed), before or after the epoch's
        # commission mint, whichever is larger; the operator also gets the commission.
        # A request finalized below its shares' value (rewards after the request) leaves the excess to whoever
        # holds shares then, late depositors included: that excess is shared by the fractions after the epoch.
        before = self._fractions()
        first_open = self.pool.next_to_finalize
        self.slack += self.one_share() + 2 * (len(self.pool.requests) + 1)
        if len(self.pool.spare_keys) < 8:  # the operator keeps keys in stock (its key-generation policy)
            fresh = [i.to_bytes(48, "big") for i in range(self.next_key, self.next_key + 16)]
            self.next_key += 16
            dispatch(self.state, self.host, OP, AddKeys(pool_id=1, keys=deposit_keys(fresh)))
        self.host.advance_epoch(rewards)
        on_epoch(self.state, self.host)
        after = self._fractions()
        ledger = self.pool.ledger
        excess = Fraction(0)
        for rid in range(first_open, self.pool.next_to_finalize):
            r = self.pool.requests[rid]
            if ledger.total_shares:
                excess += max(Fraction(r.shares * ledger.total_assets, ledger.total_shares) - r.paid, Fraction(0))
        for h in self.bound:
            self.bound[h] += positive * max(before[h], after[h]) + excess * after[h]
        self.bound[OP] += Fraction(positive * self.commission, BPS)
        event(f"validators after epoch: {min(len(self.pool.validators), 3)}")
        if any(v.exiting for v in self.pool.validators):
            event("a validator is exiting")

    @precondition(lambda self: bool(self.pool.validators))
    @rule(data=st.data(), penalty=st.integers(1, 40 * SWK))
    def slash(self, data: st.DataObject, penalty: int) -> None:
        pubkey = data.draw(st.sampled_from([v.pubkey for v in self.pool.validators]))
        self.host.slash(pubkey, penalty)

    @precondition(lambda self: bool(self.pool.validators))
    @rule(data=st.data(), amount=st.integers(1, 10**12))
    def donate(self, data: st.DataObject, amount: int) -> None:
        """A top-up of a pool validator by an outsider: counted as a reward at the next epoch."""
        pubkey = data.draw(st.sampled_from([v.pubkey for v in self.pool.validators]))
        v = self.host.validators[pubkey]
        if v.exit_epoch is not None:
            return
        v.balance += amount
        self.host.minted += amount
        self.donated += amount  # the pool sees it (and shares it out) at the next epoch

    # --- invariants ------------------------------------------------------------------------------------------------
    @invariant()
    def count_step(self) -> None:
        type(self).steps_run += 1

    @invariant()
    def module_invariants_hold(self) -> None:
        assert check(self.state, self.host) == []

    @invariant()
    def module_account_holds_exactly_buffers_and_payouts(self) -> None:
        held = self.host.balance(self.host.module_address(MODULE))
        assert held == self.pool.buffer + self.pool.reserved

    @invariant()
    def money_is_conserved(self) -> None:
        assert self.host.total_supply() == self.host.minted

    @invariant()
    def redeeming_everything_never_pays_more_than_the_pool_holds(self) -> None:
        ledger = self.pool.ledger
        assert sum(ledger.assets_of(h) for h in ledger.shares) <= ledger.total_assets
        if ledger.total_shares:
            assert ledger.convert_to_assets(ledger.total_shares, Rounding.DOWN) == ledger.total_assets

    @invariant()
    def nobody_gets_more_than_deposits_plus_their_share_of_rewards(self) -> None:
        queued: dict[bytes, int] = {}
        for r in self.pool.requests.values():
            queued[r.owner] = queued.get(r.owner, 0) + (r.paid if r.finalized else r.amount)
        for h in self.bound:
            got = self.claimed[h] + queued.get(h, 0) + self.pool.ledger.assets_of(h)
            assert got <= self.bound[h] + self.slack, (h, got, float(self.bound[h]), self.slack)
        assert QUEUE_HOLDER not in self.bound


PoolMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=50)
test_pool_random_histories = PoolMachine.TestCase


@pytest.mark.slow
def test_pool_long_run() -> None:
    """At least ``long_run_steps(8_000)`` random steps (a million with HYPOTHESIS_PROFILE=thorough), counted."""
    run_counted(PoolMachine, long_run_steps(8000))
