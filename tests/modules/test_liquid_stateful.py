"""Random liquid-module histories: stakes, stSWK transfers (by amount and by shares), wraps, unwraps, wstSWK
transfers, withdrawal requests (stSWK and wstSWK), request transfers, claims, rewards, penalties, slashing,
donations and exits, with every invariant checked after every step.

Checked after every step: the module's invariants (ledger, pooled + unrecognised = buffer + validators,
wrapper and queue bookkeeping, FIFO, request bounds, paid <= amount); the module's account holds exactly the
buffer and the reserved payouts (the queue never pays more than it holds); money is conserved; redeeming
everything never pays more than is pooled; the recognised positive rebase per epoch never exceeds the bound;
nobody's (claimed + open requests + stSWK + wstSWK value) exceeds what they put in plus their pro-rata share of
the recognised rewards (plus fees for treasury and operators) plus rounding dust.
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
from stakework.modules.liquid import MODULE
from stakework.modules.liquid.epoch import on_epoch
from stakework.modules.liquid.handlers import dispatch
from stakework.modules.liquid.invariants import check
from stakework.modules.liquid.messages import (
    AddOperator,
    Claim,
    RequestWithdrawal,
    RequestWithdrawalWrapped,
    SetParameters,
    Stake,
    SubmitKeys,
    Transfer,
    TransferRequest,
    TransferShares,
    TransferWrapped,
    Unwrap,
    Wrap,
)
from stakework.modules.liquid.state import QUEUE_HOLDER, REBASE_PRECISION, new_state
from stakework.modules.testing import FakeHost, deposit_keys
from stakework.spec.presets import get_preset
from support.long_run import long_run_steps, run_counted

SWK = 10**9
ADMIN, TREASURY, OP1, OP2 = b"A" * 20, b"T" * 20, b"1" * 20, b"2" * 20
USERS = [bytes([i]) * 20 for i in range(1, 5)]
HOLDERS = [*USERS, TREASURY, OP1, OP2]
user = st.sampled_from(USERS)
amounts = st.one_of(st.integers(1, 3 * SWK), st.integers(SWK, 80 * SWK), st.just(32 * SWK))
FEE_BPS = 1000
MAX_REBASE = 100_000  # 1e-4 per epoch


class LiquidMachine(RuleBasedStateMachine):
    steps_run = 0
    """Steps executed so far in this process (the long run counts them)."""

    def __init__(self) -> None:
        super().__init__()
        self.state = new_state(
            get_preset("minimal"), admin=ADMIN, treasury=TREASURY, fee_bps=FEE_BPS, max_positive_rebase=MAX_REBASE
        )
        self.state.min_request = 100
        self.state.max_request = 100 * SWK
        self.host = FakeHost(exit_delay=2)
        for u in USERS:
            self.host.fund(u, 10**6 * SWK)
        dispatch(self.state, self.host, ADMIN, AddOperator(address=OP1))
        dispatch(self.state, self.host, ADMIN, AddOperator(address=OP2))
        keys = [i.to_bytes(48, "big") for i in range(1, 41)]
        dispatch(self.state, self.host, OP1, SubmitKeys(keys=deposit_keys(keys[:20])))
        dispatch(self.state, self.host, OP2, SubmitKeys(keys=deposit_keys(keys[20:])))
        self.claimed = dict.fromkeys(HOLDERS, 0)
        self.bound: dict[bytes, Fraction] = {h: Fraction(0) for h in HOLDERS}
        self.slack = 0
        self.donated = 0

    # --- helpers ---------------------------------------------------------------------------------------------------
    def price(self) -> Fraction:
        ledger = self.state.ledger
        return Fraction(ledger.total_assets, ledger.total_shares) if ledger.total_shares else Fraction(1)

    def one_share(self) -> int:
        return self.state.ledger.convert_to_assets(1, Rounding.UP) + 1

    def owned_shares(self, h: bytes) -> int:
        return self.state.ledger.shares_of(h) + self.state.wrapped.get(h, 0)

    def fractions(self) -> dict[bytes, Fraction]:
        ledger = self.state.ledger
        outside_queue = ledger.total_shares - ledger.shares_of(QUEUE_HOLDER)
        if outside_queue == 0:
            return dict.fromkeys(HOLDERS, Fraction(0))
        return {h: Fraction(self.owned_shares(h), outside_queue) for h in HOLDERS}

    def act(self, sender: bytes, msg: object) -> bool:
        try:
            dispatch(self.state, self.host, sender, msg)  # type: ignore[arg-type]
        except ModuleError:
            return False
        return True

    # --- user actions ----------------------------------------------------------------------------------------------
    @initialize(amount=st.integers(32 * SWK, 200 * SWK))
    def start_with_validators(self, amount: int) -> None:
        self.stake(USERS[0], amount)
        self._advance({})

    @rule(u=user, amount=amounts)
    def stake(self, u: bytes, amount: int) -> None:
        first = self.state.ledger.total_shares == 0
        slack = self.state.ledger.dead_shares if first else self.one_share()
        before = self.state.ledger.assets_of(u)
        if self.act(u, Stake(amount=amount)):
            self.bound[u] += amount
            self.slack += slack
            assert self.state.ledger.assets_of(u) >= before + amount - slack - 1  # no donation steals a deposit

    @rule(src=user, dst=user, frac=st.fractions(0, 1), by_shares=st.booleans())
    def transfer(self, src: bytes, dst: bytes, frac: Fraction, by_shares: bool) -> None:
        ledger = self.state.ledger
        before_src = ledger.shares_of(src)
        balance_dst = ledger.assets_of(dst)
        if by_shares:
            ok = self.act(src, TransferShares(to=dst, shares=int(before_src * frac)))
        else:
            amount = int(ledger.assets_of(src) * frac)
            ok = self.act(src, Transfer(to=dst, amount=amount))
            if ok and src != dst:
                assert amount - 2 <= ledger.assets_of(dst) - balance_dst <= amount  # Lido's 1-2 unit corner case
        if ok:
            moved = before_src - ledger.shares_of(src)
            self.bound[src] -= moved * self.price()
            self.bound[dst] += moved * self.price()

    @rule(u=user, frac=st.fractions(0, 1))
    def wrap(self, u: bytes, frac: Fraction) -> None:
        before = self.owned_shares(u)
        self.act(u, Wrap(amount=int(self.state.ledger.assets_of(u) * frac)))
        assert self.owned_shares(u) == before  # wrapping keeps the shares, only their form changes

    @rule(u=user, frac=st.fractions(0, 1))
    def unwrap(self, u: bytes, frac: Fraction) -> None:
        before = self.owned_shares(u)
        self.act(u, Unwrap(amount=int(self.state.wrapped.get(u, 0) * frac)))
        assert self.owned_shares(u) == before

    @rule(src=user, dst=user, frac=st.fractions(0, 1))
    def transfer_wrapped(self, src: bytes, dst: bytes, frac: Fraction) -> None:
        amount = int(self.state.wrapped.get(src, 0) * frac)
        if self.act(src, TransferWrapped(to=dst, amount=amount)):
            self.bound[src] -= amount * self.price()
            self.bound[dst] += amount * self.price()

    @rule(u=st.sampled_from(HOLDERS), frac=st.fractions(0, 1), wrapped=st.booleans())
    def request_withdrawal(self, u: bytes, frac: Fraction, wrapped: bool) -> None:
        if wrapped:
            ok = self.act(u, RequestWithdrawalWrapped(amount=int(self.state.wrapped.get(u, 0) * frac)))
        else:
            ok = self.act(u, RequestWithdrawal(amount=int(self.state.ledger.assets_of(u) * frac)))
        if ok:
            self.slack += 2

    @rule(data=st.data(), dst=st.sampled_from(HOLDERS))
    def transfer_request(self, data: st.DataObject, dst: bytes) -> None:
        if not self.state.requests:
            return
        r = self.state.requests[data.draw(st.sampled_from(sorted(self.state.requests)))]
        value = r.paid if r.finalized else r.amount
        src = r.owner
        assert self.act(src, TransferRequest(request_id=r.id, to=dst))
        self.bound[src] -= value
        self.bound[dst] += value

    @rule(data=st.data())
    def claim(self, data: st.DataObject) -> None:
        ready = sorted(r.id for r in self.state.requests.values() if r.finalized)
        if not ready:
            return
        r = self.state.requests[data.draw(st.sampled_from(ready))]
        before = self.host.balance(r.owner)
        assert self.act(r.owner, Claim(request_id=r.id))
        assert self.host.balance(r.owner) == before + r.paid
        self.claimed[r.owner] += r.paid
        event("claim paid")

    @rule(
        limit=st.one_of(st.just(0), st.integers(SWK, 500 * SWK)),
        per_epoch=st.integers(0, 50 * SWK),
        paused=st.booleans(),
    )
    def admin_sets_stake_limit_or_pause(self, limit: int, per_epoch: int, paused: bool) -> None:
        msg = SetParameters(max_stake_limit=limit, stake_limit_increase_per_epoch=per_epoch, staking_paused=paused)
        assert self.act(ADMIN, msg)
        event("staking paused" if paused else f"stake limit {'off' if limit == 0 else 'on'}")

    # --- chain events ----------------------------------------------------------------------------------------------
    @rule(deltas=st.lists(st.integers(-(10**7), 3 * 10**7), max_size=8), spike=st.integers(0, 2 * SWK))
    def epoch(self, deltas: list[int], spike: int) -> None:
        rewards = dict(zip((v.pubkey for v in self.state.validators), deltas, strict=False))
        if spike and self.state.validators:
            key = self.state.validators[0].pubkey
            rewards[key] = rewards.get(key, 0) + spike  # a reward spike beyond the rebase bound
        self._advance(rewards)

    def _advance(self, rewards: dict[bytes, int]) -> None:
        ledger = self.state.ledger
        before = self.fractions()
        assets_before = ledger.total_assets
        first_open = self.state.next_to_finalize
        self.slack += self.one_share() + 2 * (len(self.state.requests) + 3)
        self.host.advance_epoch(rewards)
        on_epoch(self.state, self.host)
        after = self.fractions()
        if self.state.unrecognised:
            event("reward held back by the rebase bound")
        if self.state.next_to_finalize > first_open:
            event("requests finalized")
        if any(v.exiting for v in self.state.validators):
            event("a validator is exiting")
        paid_now = sum(self.state.requests[i].paid for i in range(first_open, self.state.next_to_finalize))
        recognised = max(ledger.total_assets - assets_before + paid_now, 0)
        assert recognised <= assets_before * MAX_REBASE // REBASE_PRECISION or assets_before == 0
        excess = Fraction(0)
        for rid in range(first_open, self.state.next_to_finalize):
            r = self.state.requests[rid]
            if ledger.total_shares:
                excess += max(r.shares * self.price() - r.paid, Fraction(0))
        for h in HOLDERS:
            self.bound[h] += recognised * max(before[h], after[h]) + excess * after[h]
        for h in (TREASURY, OP1, OP2):
            self.bound[h] += Fraction(recognised * FEE_BPS, BPS)

    @precondition(lambda self: bool(self.state.validators))
    @rule(data=st.data(), penalty=st.integers(1, 40 * SWK))
    def slash(self, data: st.DataObject, penalty: int) -> None:
        pubkey = data.draw(st.sampled_from([v.pubkey for v in self.state.validators]))
        self.host.slash(pubkey, penalty)

    @precondition(lambda self: bool(self.state.validators))
    @rule(data=st.data(), amount=st.integers(1, 10**12))
    def donate(self, data: st.DataObject, amount: int) -> None:
        pubkey = data.draw(st.sampled_from([v.pubkey for v in self.state.validators]))
        v = self.host.validators[pubkey]
        if v.exit_epoch is None:
            v.balance += amount
            self.host.minted += amount

    # --- invariants ------------------------------------------------------------------------------------------------
    @invariant()
    def count_step(self) -> None:
        type(self).steps_run += 1

    @invariant()
    def module_invariants_hold(self) -> None:
        assert check(self.state, self.host) == []

    @invariant()
    def module_account_holds_exactly_buffer_and_payouts(self) -> None:
        assert self.host.balance(self.host.module_address(MODULE)) == self.state.buffer + self.state.reserved

    @invariant()
    def money_is_conserved(self) -> None:
        assert self.host.total_supply() == self.host.minted

    @invariant()
    def redeeming_everything_never_pays_more_than_pooled(self) -> None:
        ledger = self.state.ledger
        assert sum(ledger.assets_of(h) for h in ledger.shares) <= ledger.total_assets

    @invariant()
    def nobody_gets_more_than_deposits_plus_their_share_of_rewards(self) -> None:
        queued: dict[bytes, int] = {}
        for r in self.state.requests.values():
            queued[r.owner] = queued.get(r.owner, 0) + (r.paid if r.finalized else r.amount)
        for h in HOLDERS:
            got = (
                self.claimed[h]
                + queued.get(h, 0)
                + self.state.ledger.assets_of(h)
                + self.state.ledger.convert_to_assets(self.state.wrapped.get(h, 0), Rounding.DOWN)
            )
            assert got <= self.bound[h] + self.slack, (h, got, float(self.bound[h]), self.slack)


LiquidMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=50)
test_liquid_random_histories = LiquidMachine.TestCase


@pytest.mark.slow
def test_liquid_long_run() -> None:
    """At least ``long_run_steps(8_000)`` random steps (a million with HYPOTHESIS_PROFILE=thorough), counted."""
    run_counted(LiquidMachine, long_run_steps(8000))
