"""Random safety-module histories: stakes into both vaults, cooldowns, redeems, transfers, claims, epochs with
emissions a treasury can or cannot fund, slashings by governance or a shortfall reporter, settlements and
parameter changes, with every invariant checked after every step.

Checked after every step: the module's invariants; the module's SWK account holds the SWK vault's assets plus
every emitted, unclaimed reward, and its stSWK shares are the stSWK vault's assets; SWK and stSWK are conserved;
stkSWK shares are conserved (stakes mint, redeems burn, transfers and slashings move or keep them); the reward
index never falls; every holder's claimed + owed rewards stay at or below their exact (Fraction) share of each
emission while they held shares, and within rounding of it; the cooldown model (Aave's weighted rule, written
here separately) matches the module's, a redeem succeeds exactly when the window (or a post-slash window) allows
it, and a slashing never takes more than ``max_slash_bps`` of the vault.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from stakework.modules.arith import BPS, Rounding
from stakework.modules.errors import ModuleError
from stakework.modules.safety import MODULE
from stakework.modules.safety.epoch import on_epoch
from stakework.modules.safety.handlers import SafetyShortfallCover, dispatch, rewards_of
from stakework.modules.safety.invariants import check
from stakework.modules.safety.messages import (
    AuthorizeSlasher,
    ClaimRewards,
    Cooldown,
    Redeem,
    SetParameters,
    SettleSlashing,
    Slash,
    Stake,
    Transfer,
)
from stakework.modules.safety.parameters import SafetyParameters
from stakework.modules.safety.state import INDEX_SCALE, SafetyState, Vault, new_state
from stakework.modules.safety.testing import FakeSafetyHost
from stakework.modules.shares import BURN_ADDRESS
from stakework.spec.presets import get_preset
from support.long_run import long_run_steps, run_counted

SWK = 10**9
GOV, TREASURY, RESERVE, REPORTER = b"G" * 20, b"T" * 20, b"R" * 20, b"L" * 20
HOLDERS = [bytes([i]) * 20 for i in range(1, 5)]
VAULTS = ("swk", "stswk")
who = st.sampled_from(HOLDERS)
vaults = st.sampled_from(VAULTS)
amounts = st.one_of(st.integers(1, 2 * 10**6), st.integers(SWK, 100 * SWK), st.integers(1, 10 * SWK))


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class SafetyMachine(RuleBasedStateMachine):
    steps_run = 0
    """Steps executed so far in this process (the long run counts them)."""

    def __init__(self) -> None:
        super().__init__()
        params = SafetyParameters(
            cooldown_epochs=3,
            unstake_window_epochs=2,
            max_slash_bps=3000,
            post_slash_epochs=2,
            swk_emission_per_epoch=2 * SWK,
            stswk_emission_per_epoch=SWK,
        )
        self.state: SafetyState = new_state(get_preset("minimal"), governance=GOV, treasury=TREASURY, params=params)
        self.host = FakeSafetyHost()
        self.host.fund(TREASURY, 30 * SWK)
        for h in HOLDERS:
            self.host.fund(h, 10**4 * SWK)
            self.host.staked_token_ledger.mint(h, 10**4 * SWK)
        dispatch(self.state, self.host, GOV, AuthorizeSlasher(address=REPORTER))
        self.total_shares = dict.fromkeys(VAULTS, 0)
        self.claimed = {(v, h): 0 for v in VAULTS for h in HOLDERS}
        self.entitled = {(v, h): Fraction(0) for v in VAULTS for h in HOLDERS}
        self.slack = {(v, h): 0 for v in VAULTS for h in HOLDERS}
        self.cooldown: dict[tuple[str, bytes], int] = {}
        """The cooldown model: (vault, holder) -> start epoch, kept by the rule written out here."""
        self.last_index = dict.fromkeys(VAULTS, 0)

    def vault(self, name: str) -> Vault:
        return self.state.vault(name)

    @initialize(amount=st.integers(10 * SWK, 100 * SWK))
    def first_stakes(self, amount: int) -> None:
        for v in VAULTS:
            self.stake(HOLDERS[0], v, amount)

    # --- the cooldown model (Aave StakedTokenV2.getNextCooldownTimestamp, with this module's window) ------------------
    def _closed(self, start: int) -> bool:
        p = self.state.params
        return self.host.epoch >= start + p.cooldown_epochs + p.unstake_window_epochs

    def _model_receive(self, v: str, frm: bytes | None, to: bytes, amount: int) -> None:
        to_start = self.cooldown.get((v, to))
        if to_start is None:
            return
        if self._closed(to_start):
            del self.cooldown[(v, to)]
            return
        f = None if frm is None else self.cooldown.get((v, frm))
        start = self.host.epoch if f is None or self._closed(f) else f
        if start >= to_start:
            balance = self.vault(v).ledger.shares_of(to)
            self.cooldown[(v, to)] = ceil_div(amount * start + balance * to_start, amount + balance)

    def _touched(self, v: str, h: bytes) -> None:
        self.slack[(v, h)] += 1  # a settlement floors once

    # --- holder actions ---------------------------------------------------------------------------------------------
    @rule(h=who, v=vaults, amount=amounts)
    def stake(self, h: bytes, v: str, amount: int) -> None:
        vault = self.vault(v)
        before = vault.ledger.shares_of(h)
        first = vault.ledger.total_shares == 0
        try:
            preview = vault.ledger.preview_deposit(amount)
        except ModuleError:
            preview = 0
        model = dict(self.cooldown)
        if preview:
            self._model_receive(v, None, h, preview)
        try:
            dispatch(self.state, self.host, h, Stake(vault=v, amount=amount))  # type: ignore[arg-type]
        except ModuleError:
            event("stake refused")
            self.cooldown = model
            return
        minted = vault.ledger.shares_of(h) - before
        assert minted == preview > 0
        if (v, h) in self.cooldown:
            event("stake into a running cooldown")
        self.total_shares[v] += minted + (vault.ledger.dead_shares if first else 0)
        self._touched(v, h)

    @rule(h=who, v=vaults)
    def start_cooldown(self, h: bytes, v: str) -> None:
        try:
            dispatch(self.state, self.host, h, Cooldown(vault=v))  # type: ignore[arg-type]
        except ModuleError:
            assert self.vault(v).ledger.shares_of(h) == 0
            return
        self.cooldown[(v, h)] = self.host.epoch

    def _cooling_or_any(self, data: st.DataObject) -> tuple[str, bytes]:
        """A (vault, holder) in cooldown most of the time (a redeem or a receipt then meets a cooldown), else any."""
        cooling = sorted(self.cooldown)
        prefer: bool = data.draw(st.booleans())
        if cooling and prefer:
            return data.draw(st.sampled_from(cooling))
        return data.draw(vaults), data.draw(who)

    @rule(data=st.data(), frac=st.fractions(0, 1))
    def redeem(self, data: st.DataObject, frac: Fraction) -> None:
        v, h = self._cooling_or_any(data)
        vault = self.vault(v)
        shares = max(int(vault.ledger.shares_of(h) * frac), 1)
        held = vault.ledger.shares_of(h)
        p = self.state.params
        start = self.cooldown.get((v, h))
        post_slash = self.host.epoch < vault.post_slash_until
        in_window = start is not None and start + p.cooldown_epochs <= self.host.epoch < (
            start + p.cooldown_epochs + p.unstake_window_epochs
        )
        worth = vault.ledger.convert_to_assets(shares, Rounding.DOWN)
        allowed = shares <= held and (post_slash or in_window) and worth > 0
        assets_before = vault.ledger.total_assets
        try:
            dispatch(self.state, self.host, h, Redeem(vault=v, shares=shares))  # type: ignore[arg-type]
        except ModuleError:
            assert not allowed, "a redeem the window allows was refused"
            return
        assert allowed, "a redeem outside the window (and outside a post-slash window) was paid"
        event("redeem in post-slash window" if post_slash and not in_window else "redeem in window")
        assert assets_before - vault.ledger.total_assets == worth
        self.total_shares[v] -= shares
        if vault.ledger.shares_of(h) == 0:
            self.cooldown.pop((v, h), None)
        self._touched(v, h)

    @rule(src=who, data=st.data(), frac=st.fractions(0, 1))
    def transfer(self, src: bytes, data: st.DataObject, frac: Fraction) -> None:
        v, dst = self._cooling_or_any(data)
        vault = self.vault(v)
        shares = int(vault.ledger.shares_of(src) * frac)
        if shares == 0:
            return
        if src != dst:
            self._model_receive(v, src, dst, shares)
            if (v, dst) in self.cooldown:
                event("transfer to a holder in cooldown")
        dispatch(self.state, self.host, src, Transfer(vault=v, to=dst, shares=shares))  # type: ignore[arg-type]
        if vault.ledger.shares_of(src) == 0:
            self.cooldown.pop((v, src), None)
        self._touched(v, src)
        self._touched(v, dst)

    @rule(h=who, v=vaults, amount=st.one_of(st.none(), st.integers(1, 3 * SWK)))
    def claim(self, h: bytes, v: str, amount: int | None) -> None:
        owed = rewards_of(self.vault(v), h)
        before = self.host.balance(h)
        try:
            dispatch(self.state, self.host, h, ClaimRewards(vault=v, amount=amount))  # type: ignore[arg-type]
        except ModuleError:
            assert owed == 0
            return
        paid = self.host.balance(h) - before
        assert paid == (owed if amount is None else min(amount, owed)) > 0
        self.claimed[(v, h)] += paid
        self._touched(v, h)

    # --- chain and governance -----------------------------------------------------------------------------------------
    @rule(epochs=st.integers(1, 3))
    def epoch(self, epochs: int) -> None:
        for _ in range(epochs):
            self.host.advance_epoch()
            emitted = {v: self.vault(v).emitted for v in VAULTS}
            on_epoch(self.state, self.host)
            for v in VAULTS:
                vault = self.vault(v)
                rate = vault.emitted - emitted[v]
                event(f"emission {vault.emission_status}")
                if rate == 0:
                    continue
                total = vault.ledger.total_shares
                for h in HOLDERS:
                    shares = vault.ledger.shares_of(h)
                    if shares:
                        self.entitled[(v, h)] += Fraction(rate * shares, total)
                        self.slack[(v, h)] += shares // INDEX_SCALE + 1

    @rule(amount=st.integers(0, 20 * SWK))
    def fund_treasury(self, amount: int) -> None:
        self.host.fund(TREASURY, amount)

    @rule(v=vaults, part=st.fractions(0, Fraction(1, 2)), by=st.sampled_from([GOV, REPORTER]))
    def slash(self, v: str, part: Fraction, by: bytes) -> None:
        vault = self.vault(v)
        before = vault.ledger.total_assets
        amount = max(int(before * part), 1)
        cap = before * self.state.params.max_slash_bps // BPS
        ongoing = self.host.epoch < vault.post_slash_until
        try:
            if by == GOV:
                dispatch(self.state, self.host, GOV, Slash(vault=v, amount=amount, recipient=RESERVE))  # type: ignore[arg-type]
                taken = before - vault.ledger.total_assets
            else:
                taken = SafetyShortfallCover(self.state, self.host).cover_shortfall(by, v, amount, RESERVE, "shortfall")
        except ModuleError:
            assert ongoing or cap == 0
            return
        assert not ongoing
        assert taken == min(amount, cap) == before - vault.ledger.total_assets
        assert taken * BPS <= before * self.state.params.max_slash_bps
        event("slash capped" if amount > cap else "slash")

    @rule(v=vaults)
    def settle(self, v: str) -> None:
        try:
            dispatch(self.state, self.host, GOV, SettleSlashing(vault=v))  # type: ignore[arg-type]
        except ModuleError:
            return

    @rule(
        cooldown=st.integers(1, 5),
        window=st.integers(1, 3),
        swk_rate=st.sampled_from([0, 1, 7, SWK, 3 * SWK]),
        stswk_rate=st.sampled_from([0, 3, SWK]),
        max_slash=st.sampled_from([0, 1, 2000, 3000, 5000]),
    )
    def set_parameters(self, cooldown: int, window: int, swk_rate: int, stswk_rate: int, max_slash: int) -> None:
        dispatch(
            self.state,
            self.host,
            GOV,
            SetParameters(
                cooldown_epochs=cooldown,
                unstake_window_epochs=window,
                swk_emission_per_epoch=swk_rate,
                stswk_emission_per_epoch=stswk_rate,
                max_slash_bps=max_slash,
            ),
        )

    # --- invariants -------------------------------------------------------------------------------------------------
    @invariant()
    def count_step(self) -> None:
        type(self).steps_run += 1

    @invariant()
    def module_invariants_hold(self) -> None:
        assert check(self.state, self.host) == []

    @invariant()
    def module_accounts_hold_exactly_the_vaults_and_unclaimed_rewards(self) -> None:
        s = self.state
        module = self.host.module_address(MODULE)
        rewards = sum(v.emitted - v.claimed for v in (s.swk, s.stswk))
        assert self.host.balance(module) == s.swk.ledger.total_assets + rewards
        assert self.host.staked_token_ledger.shares_of(module) == s.stswk.ledger.total_assets

    @invariant()
    def swk_and_stswk_are_conserved(self) -> None:
        assert self.host.total_supply() == self.host.minted
        ledger = self.host.staked_token_ledger
        assert sum(ledger.shares.values()) == ledger.minted

    @invariant()
    def stkswk_shares_are_conserved(self) -> None:
        for v in VAULTS:
            assert self.vault(v).ledger.total_shares == self.total_shares[v]

    @invariant()
    def index_never_falls(self) -> None:
        for v in VAULTS:
            assert self.vault(v).index >= self.last_index[v]
            self.last_index[v] = self.vault(v).index

    @invariant()
    def no_claim_beyond_what_was_emitted_to_the_holder(self) -> None:
        for v in VAULTS:
            vault = self.vault(v)
            assert sum(self.claimed[(v, h)] for h in HOLDERS) == vault.claimed <= vault.emitted
            for h in HOLDERS:
                got = self.claimed[(v, h)] + rewards_of(vault, h)
                entitled = self.entitled[(v, h)]
                assert got <= entitled, (v, h, got, float(entitled))
                assert got >= entitled - self.slack[(v, h)], (v, h, got, float(entitled), self.slack[(v, h)])

    @invariant()
    def cooldowns_follow_aaves_weighted_rule(self) -> None:
        for v in VAULTS:
            actual = {(v, h): e for h, e in self.vault(v).cooldowns.items()}
            model = {k: e for k, e in self.cooldown.items() if k[0] == v}
            assert actual == model
        assert BURN_ADDRESS not in self.vault("swk").cooldowns


SafetyMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=50, deadline=None)
test_safety_random_histories = SafetyMachine.TestCase


@pytest.mark.slow
def test_safety_long_run() -> None:
    """At least ``long_run_steps(4_000)`` random steps (a million with HYPOTHESIS_PROFILE=thorough), counted."""
    run_counted(SafetyMachine, long_run_steps(4000))
