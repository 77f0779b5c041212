"""Random lending histories: supplies, withdrawals, borrows, repayments, collateral and e-mode switches,
liquidations (full, partial, as supply), epochs passing, the stSWK exchange rate and the AMM's TWAP moving (down to
a collapse, up past the CAPO bound), parameter changes by governance, with a real safety module covering bad debt.

Checked after every step: the module's invariants (scaled totals, indices >= 1 ray, suppliers' claims <= cash + debt
+ deficit, nobody in debt without collateral, parameters in bounds); the module's SWK account and stSWK shares are
exactly the markets' cash; SWK and stSWK are conserved; both indices of both markets never fall; each market's debt
is at most what came in (supplies + repayments + the safety module's cover + liquidators' repayments) less what
went out (withdrawals, borrows, collateral paid to liquidators) plus the interest accrued, i.e. ``total debt <=
total supplied + accrued``; every refused message changes nothing. In the rules: a borrow that succeeds leaves
HF >= 1 and the debt within the LTV; a liquidation of a position with HF >= 1 is refused (no liquidation of a
healthy position), and one that succeeds had HF < 1; bad debt is recorded only by a liquidation that left the
borrower no collateral.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction

import msgspec
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from lending_support import GOV, PRESET, SWK, TREASURY, WAD, FakeAmm, LendingHost, module

from stakework.modules.errors import ModuleError
from stakework.modules.lending.epoch import on_epoch
from stakework.modules.lending.errors import PositionHealthy
from stakework.modules.lending.handlers import account_values, accrue_all, dispatch, has_collateral
from stakework.modules.lending.invariants import check
from stakework.modules.lending.messages import (
    Borrow,
    LendingMessage,
    Liquidate,
    ParamChange,
    Repay,
    SetCollateral,
    SetEmode,
    SetParameters,
    Supply,
    Withdraw,
)
from stakework.modules.lending.oracle import prices
from stakework.modules.lending.parameters import MARKETS
from stakework.modules.lending.queries import liquidation_quote
from stakework.modules.lending.state import LendingState, new_state
from stakework.modules.safety.definition import DEVNET_PARAMETERS
from stakework.modules.safety.handlers import dispatch as safety_dispatch
from stakework.modules.safety.messages import AuthorizeSlasher, SettleSlashing
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.safety.state import new_state as new_safety
from support.long_run import long_run_steps, run_counted

USERS = [bytes([i]) * 20 for i in range(1, 5)]
STAKER = b"S" * 20
who = st.sampled_from(USERS)
markets = st.sampled_from(MARKETS)
amounts = st.one_of(st.integers(1, 10**6), st.integers(SWK, 200 * SWK), st.integers(1, 2**64 - 1))
fractions = st.fractions(0, 1)
PARAMS = {
    "close_factor_bps": st.integers(1_000, 10_000),
    "close_factor_full_hf_bps": st.integers(0, 10_000),
    "oracle_max_discount_bps": st.integers(0, 5_000),
    "oracle_max_growth_ppb": st.integers(1, 10**8),
    "swk_slope2_bps": st.integers(0, 100_000),
    "stswk_reserve_factor_bps": st.integers(0, 10_000),
    "swk_optimal_usage_bps": st.integers(100, 9_900),
    "emode_liquidation_bonus_bps": st.integers(0, 500),
}


class LendingMachine(RuleBasedStateMachine):
    steps_run = 0
    """Steps executed so far in this process (the long run counts them)."""

    def __init__(self) -> None:
        super().__init__()
        safety = new_safety(PRESET, governance=GOV, treasury=GOV, params=DEVNET_PARAMETERS)
        self.host = LendingHost(amm=FakeAmm(), safety=safety)
        self.state: LendingState = new_state(PRESET, governance=GOV, treasury=TREASURY)
        ledger = self.host.staked_token_ledger
        for h in [*USERS, STAKER]:
            self.host.fund(h, 10**6 * SWK)
            ledger.mint(h, 10**6 * SWK)
        safety_dispatch(safety, self.host, STAKER, SafetyStake(amount=10**5 * SWK))
        safety_dispatch(safety, self.host, STAKER, SafetyStake(vault="stswk", amount=10**5 * SWK))
        safety_dispatch(safety, self.host, GOV, AuthorizeSlasher(address=module(self.host)))
        self.inflow = dict.fromkeys(MARKETS, 0)
        """Per market: everything paid into the module (supplies, repayments, the safety module's cover)."""
        self.outflow = dict.fromkeys(MARKETS, 0)
        """Per market: everything paid out (withdrawals, borrows, collateral to liquidators)."""
        self.lent = dict.fromkeys(MARKETS, 0)
        """Per market: borrowed out less repaid in (by borrowers, payers on their behalf and liquidators)."""
        self.rounding_ops = 0
        self.last_index = {(m, k): 0 for m in MARKETS for k in ("supply", "debt")}
        self.bad_debts = 0

    # --- helpers ------------------------------------------------------------------------------------------------------
    def held(self, market: str, holder: bytes) -> int:
        if market == "swk":
            return self.host.balance(holder)
        return self.host.staked_token_ledger.shares_of(holder)

    def module_holdings(self) -> dict[str, int]:
        return {m: self.held(m, module(self.host)) for m in MARKETS}

    def send(self, sender: bytes, msg: LendingMessage) -> bool:
        """Dispatch; a refusal must change nothing. Tracks the module's in- and outflows per market."""
        accrue_all(self.state, self.host.epoch)
        before = msgspec.msgpack.encode(self.state)
        holdings = self.module_holdings()
        covered = {m: self.state.market(m).covered_total for m in MARKETS}
        bad = len(self.state.bad_debts)
        try:
            dispatch(self.state, self.host, sender, msg)
        except ModuleError as exc:
            assert msgspec.msgpack.encode(self.state) == before
            assert self.module_holdings() == holdings
            event(f"{type(msg).__name__}: refused ({type(exc).__name__})")
            return False
        event(f"{type(msg).__name__}: done")
        self._flows(holdings, covered)
        self.rounding_ops += 1
        after = self.module_holdings()
        if isinstance(msg, Borrow):
            self.lent[msg.market] += holdings[msg.market] - after[msg.market]
        if isinstance(msg, Repay):
            self.lent[msg.market] -= after[msg.market] - holdings[msg.market]
        if len(self.state.bad_debts) != bad:
            assert isinstance(msg, Liquidate), "bad debt recorded outside a liquidation"
            assert not has_collateral(self.state, msg.borrower), "bad debt while the borrower still has collateral"
            event("bad debt written off")
            if self.state.bad_debts[-1].covered:
                event("bad debt covered by the safety module at once")
        return True

    def _flows(self, holdings: dict[str, int], covered: dict[str, int]) -> None:
        after = self.module_holdings()
        for m in MARKETS:
            delta = after[m] - holdings[m]
            if delta > 0:
                self.inflow[m] += delta
            else:
                self.outflow[m] -= delta
            assert self.state.market(m).covered_total >= covered[m]

    def values(self, account: bytes):  # type: ignore[no-untyped-def]
        return account_values(self.state, account, prices(self.state, self.host))

    # --- rules --------------------------------------------------------------------------------------------------------
    @initialize(swk=st.integers(100 * SWK, 10_000 * SWK), stswk=st.integers(100 * SWK, 10_000 * SWK))
    def suppliers(self, swk: int, stswk: int) -> None:
        """Someone supplies both markets (so there is something to borrow)."""
        self.send(USERS[0], Supply(market="swk", amount=swk))
        self.send(USERS[0], Supply(market="stswk", amount=stswk))

    @rule(h=who, collateral=st.integers(SWK, 1_000 * SWK), frac=st.fractions(Fraction(8, 10), 1), emode=st.booleans())
    def leverage(self, h: bytes, collateral: int, frac: Fraction, emode: bool) -> None:
        """A stSWK holder supplies it, enters e-mode (or not) and borrows SWK close to its limit: the position a price
        drop makes liquidatable."""
        self.send(h, Supply(market="stswk", amount=collateral))
        self.send(h, SetEmode(enabled=emode))
        self.borrow(h, "swk", frac, 0)

    @rule(h=who, m=markets, amount=amounts)
    def supply(self, h: bytes, m: str, amount: int) -> None:
        self.send(h, Supply(market=m, amount=amount))  # type: ignore[arg-type]

    @rule(h=who, m=markets, frac=st.one_of(st.none(), fractions))
    def withdraw(self, h: bytes, m: str, frac: Fraction | None) -> None:
        balance = self.state.market(m).supply_of(h)
        amount = None if frac is None else int(balance * frac)
        self.send(h, Withdraw(market=m, amount=amount))  # type: ignore[arg-type]

    @rule(h=who, m=markets, frac=fractions, extra=st.integers(0, 3))
    def borrow(self, h: bytes, m: str, frac: Fraction, extra: int) -> None:
        """Borrow a fraction of what the position may still borrow (sometimes a little more: refused)."""
        accrue_all(self.state, self.host.epoch)
        v = self.values(h)
        room = max(v.borrow_power // 10_000 - v.debt, 0)
        price = prices(self.state, self.host)[m]
        amount = 0 if price == 0 else int(room * frac) * WAD // price + extra
        if self.send(h, Borrow(market=m, amount=amount)):  # type: ignore[arg-type]
            after = self.values(h)
            assert after.healthy() and after.within_ltv(), "a borrow left HF < 1 or the debt beyond the LTV"

    @rule(h=who, payer=who, m=markets, frac=fractions)
    def repay(self, h: bytes, payer: bytes, m: str, frac: Fraction) -> None:
        accrue_all(self.state, self.host.epoch)
        owed = self.state.market(m).debt_of(h)
        amount = max(int(owed * frac * Fraction(11, 10)), 1)
        self.send(payer, Repay(market=m, amount=amount, on_behalf_of=h))  # type: ignore[arg-type]

    @rule(h=who, m=markets, enabled=st.booleans())
    def collateral(self, h: bytes, m: str, enabled: bool) -> None:
        self.send(h, SetCollateral(market=m, enabled=enabled))  # type: ignore[arg-type]

    @rule(h=who, enabled=st.booleans())
    def emode(self, h: bytes, enabled: bool) -> None:
        self.send(h, SetEmode(enabled=enabled))

    @rule(
        liquidator=who,
        borrower=who,
        dm=markets,
        cm=markets,
        amount=st.one_of(st.none(), amounts),
        receive_supply=st.booleans(),
    )
    def liquidate(
        self, liquidator: bytes, borrower: bytes, dm: str, cm: str, amount: int | None, receive_supply: bool
    ) -> None:
        accrue_all(self.state, self.host.epoch)
        healthy = self.values(borrower).healthy()
        msg = Liquidate(
            borrower=borrower, debt_market=dm, collateral_market=cm, amount=amount, receive_supply=receive_supply
        )  # type: ignore[arg-type]
        quote = liquidation_quote(self.state, self.host, borrower, dm, cm, amount)
        if healthy:
            assert "error" in quote
            before = msgspec.msgpack.encode(self.state)
            try:
                dispatch(self.state, self.host, liquidator, msg)
            except PositionHealthy:
                assert msgspec.msgpack.encode(self.state) == before
                event("Liquidate: refused (PositionHealthy)")
                return
            except ModuleError as exc:
                event(f"Liquidate: refused ({type(exc).__name__})")
                return  # no debt in that market: refused before the health check
            raise AssertionError("a healthy position was liquidated")
        if self.send(liquidator, msg):
            self.lent[dm] -= quote["debt_repaid"]

    @rule(epochs=st.integers(1, 4))
    def epoch(self, epochs: int) -> None:
        for _ in range(epochs):
            self.host.advance_epoch()
            holdings = self.module_holdings()
            covered = {m: self.state.market(m).covered_total for m in MARKETS}
            on_epoch(self.state, self.host)
            self._flows(holdings, covered)

    @rule(
        rate=st.one_of(
            st.integers(90 * WAD // 100, WAD),
            st.integers(WAD // 2, 2 * WAD),
            st.integers(0, WAD),
            st.sampled_from([WAD, 94 * WAD // 100]),
        ),
        twap=st.one_of(st.just(0), st.integers(WAD // 2, 3 * WAD // 2)),
    )
    def prices_move(self, rate: int, twap: int) -> None:
        """The liquid module's exchange rate (a slashing, a collapse, a donation) and the AMM's TWAP move."""
        self.host.staked_token_ledger.rate = rate
        assert self.host.amm_oracle is not None
        self.host.amm_oracle.twap = twap

    @rule(data=st.data())
    def governance_sets_a_parameter(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(PARAMS)))
        value = data.draw(PARAMS[name])
        self.send(GOV, SetParameters(changes=[ParamChange(name=name, value=value)]))

    @rule()
    def safety_settles_its_slashing(self) -> None:
        assert self.host.safety is not None
        for vault in ("swk", "stswk"):
            with contextlib.suppress(ModuleError):
                safety_dispatch(self.host.safety, self.host, GOV, SettleSlashing(vault=vault))  # type: ignore[arg-type]

    # --- invariants -------------------------------------------------------------------------------------------------
    @invariant()
    def count_step(self) -> None:
        type(self).steps_run += 1

    @invariant()
    def module_invariants_hold(self) -> None:
        assert check(self.state, self.host) == []

    @invariant()
    def module_accounts_hold_exactly_the_cash(self) -> None:
        assert self.module_holdings() == {m: self.state.market(m).cash for m in MARKETS}

    @invariant()
    def swk_and_stswk_are_conserved(self) -> None:
        assert self.host.total_supply() == self.host.minted
        ledger = self.host.staked_token_ledger
        assert sum(ledger.shares.values()) == ledger.minted

    @invariant()
    def indices_never_fall(self) -> None:
        for m in MARKETS:
            market = self.state.market(m)
            for kind, value in (("supply", market.supply_index), ("debt", market.debt_index)):
                assert value >= self.last_index[(m, kind)]
                self.last_index[(m, kind)] = value

    @invariant()
    def debt_is_at_most_what_was_supplied_plus_accrued(self) -> None:
        """What was supplied (net of withdrawals and collateral paid out, plus covers) is ``cash + lent``; the debt is
        ``lent + interest - written off`` (+ a unit or two of rounding per message): so ``debt <= lent + interest``
        and ``debt <= supplied + interest``."""
        for m in MARKETS:
            market = self.state.market(m)
            assert self.inflow[m] - self.outflow[m] == market.cash
            supplied = market.cash + self.lent[m]
            slack = self.rounding_ops * (market.debt_index // 10**27 + 2)
            assert market.total_debt() <= self.lent[m] + market.interest_total + slack
            assert market.total_debt() <= supplied + market.interest_total + slack


LendingMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=50, deadline=None)
test_lending_random_histories = LendingMachine.TestCase


@pytest.mark.slow
def test_lending_long_run() -> None:
    """At least ``long_run_steps(4_000)`` random steps (a million with HYPOTHESIS_PROFILE=thorough), counted."""
    run_counted(LendingMachine, long_run_steps(4000))
