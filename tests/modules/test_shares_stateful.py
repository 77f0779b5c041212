"""Random histories of the share ledger against an exact (Fraction) model of what each holder is owed.

After every step: holder shares sum to the total; redeeming everything never pays more than the ledger holds;
each holder's paid-out plus redeemable value never exceeds what they put in plus their exact pro-rata share of
rewards/penalties and transfers (rounding only ever goes against them, by at most one base unit per operation).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from stakework.modules.arith import Rounding
from stakework.modules.errors import ModuleError
from stakework.modules.shares import BURN_ADDRESS, ShareLedger
from support.long_run import long_run_steps, run_counted

HOLDERS = [bytes([i]) * 20 for i in range(1, 5)]
holder = st.sampled_from(HOLDERS)
amount = st.one_of(st.integers(1, 2000), st.integers(1, 10**12), st.integers(10**6, 10**15))


class ShareLedgerMachine(RuleBasedStateMachine):
    steps_run = 0
    """Steps executed so far in this process (the long run counts them)."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = ShareLedger(dead_shares=1000)
        self.fair: dict[bytes, Fraction] = {h: Fraction(0) for h in [*HOLDERS, BURN_ADDRESS]}
        self.paid: dict[bytes, int] = dict.fromkeys(HOLDERS, 0)
        self.ops = 0  # total rounding dust left behind so far (an upper bound)

    def _price(self) -> Fraction:
        return Fraction(self.ledger.total_assets, self.ledger.total_shares)

    @rule(who=holder, assets=amount)
    def deposit(self, who: bytes, assets: int) -> None:
        before_shares = self.ledger.total_shares
        slack = self.ledger.convert_to_assets(1, Rounding.UP) if before_shares else 1
        try:
            minted = self.ledger.mint_for_deposit(who, assets)
        except ModuleError:  # below one share, or an insolvent ledger (all assets lost)
            return
        self.ops += slack
        if before_shares == 0:
            self.fair[BURN_ADDRESS] += self.ledger.dead_shares
            self.fair[who] += assets - self.ledger.dead_shares
        else:
            self.fair[who] += assets
        assert minted * self._price() <= assets

    @rule(who=holder, frac=st.fractions(0, 1))
    def withdraw(self, who: bytes, frac: Fraction) -> None:
        shares = int(self.ledger.shares_of(who) * frac)
        if shares == 0:
            return
        value = shares * self._price()
        paid = self.ledger.burn_for_withdrawal(who, shares)
        self.ops += 1  # a withdrawal rounds assets, so it leaves less than one base unit behind
        assert paid <= value
        self.paid[who] += paid  # fair[who] is what was ever owed; paid-out is compared against it

    @rule(src=holder, dst=holder, frac=st.fractions(0, 1))
    def transfer(self, src: bytes, dst: bytes, frac: Fraction) -> None:
        shares = int(self.ledger.shares_of(src) * frac)
        if self.ledger.total_shares:
            value = shares * self._price()
            self.fair[src] -= value
            self.fair[dst] += value
        self.ledger.transfer(src, dst, shares)

    @precondition(lambda self: self.ledger.total_shares > 0)
    @rule(delta=st.integers(-(10**12), 10**13))
    def reward_or_penalty(self, delta: int) -> None:
        """Rewards (or a donation) raise the price; penalties and slashing lower it pro rata."""
        real = delta if delta >= 0 else -min(-delta, self.ledger.total_assets)
        total = self.ledger.total_shares
        for h in self.fair:
            self.fair[h] += Fraction(real * self.ledger.shares_of(h), total)
        if real >= 0:
            self.ledger.add_assets(real)
        else:
            self.ledger.remove_assets(-real)

    @invariant()
    def count_step(self) -> None:
        type(self).steps_run += 1

    @invariant()
    def ledger_is_consistent(self) -> None:
        assert self.ledger.check() == []

    @invariant()
    def redeeming_everything_never_pays_more_than_held(self) -> None:
        payable = sum(self.ledger.assets_of(h) for h in self.ledger.shares)
        assert payable <= self.ledger.total_assets

    @invariant()
    def nobody_gets_more_than_deposits_plus_their_share(self) -> None:
        # Gains beyond the exact share come only from others' rounding dust: a deposit rounds in shares, so it
        # leaves at most one share's value behind; a withdrawal rounds in assets, at most one base unit.
        for h in HOLDERS:
            got = self.paid[h] + self.ledger.assets_of(h)
            assert got <= self.fair[h] + self.ops

    @invariant()
    def shares_times_price_equals_assets(self) -> None:
        if self.ledger.total_shares:
            value = self.ledger.convert_to_assets(self.ledger.total_shares, Rounding.DOWN)
            assert value == self.ledger.total_assets


ShareLedgerMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40)
test_share_ledger_random_histories = ShareLedgerMachine.TestCase


@pytest.mark.slow
def test_share_ledger_long_run() -> None:
    """At least ``long_run_steps(5_000)`` random steps (a million with HYPOTHESIS_PROFILE=thorough), counted."""
    run_counted(ShareLedgerMachine, long_run_steps(5000))
