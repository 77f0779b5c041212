"""Random AMM histories, and a hypothesis search for an attack.

``AmmMachine``: two LPs and two traders add (balanced, one-sided, tiny), remove (balanced, one coin), swap
(exact-in, exact-out, tiny and large), round-trip, while epochs pass with stSWK's share price rising (rewards) or
falling (slashings), governance ramps or stops A and sets the fee, the admin fee, the twap window and A through
its parameters. Checked after every step: the module's invariants; the module's accounts hold exactly the pool's
balances and admin fees; SWK, stSWK and LP shares are conserved; a refused message changes nothing; the LP
ledger's assets are the pool's D. Checked for every accepted message, at the same epoch and share price: **D never
decreases through a swap**; **no operation lowers the LP shares' value** (D per LP share, Curve's virtual price:
nobody's operation takes value from the other LPs); **no round trip profits** (a swap sold back, a one-coin
deposit withdrawn in the same coin, return no more than went in, see ``round_trip_gain``).

``AttackMachine``: the search the issue asks for. An honest LP's balanced pool at a fixed share price (edge rates
included) and fee (0 included: a fee hides rounding), and an attacker who may do any sequence of swaps
(exact-in and exact-out, of any size down to one unit), deposits (balanced or one-sided) and withdrawals. After
every step the attacker's wealth (its SWK and stSWK plus what its LP shares withdraw now, ``amm.remove_liquidity``,
valued exactly at the share price) is at most what it started with: there is no sequence that ends with the
attacker richer. (Valuing LP shares at their exact part of the pool instead finds "gains" of a millionth of a Gwei:
the pool's D counts the stSWK side rounded down, so a pool holds up to a Gwei of value no share can withdraw.) (A naive
rounding of exact-out swaps makes one: tests/modules/test_amm.py, the Balancer pattern.)

The long runs: ``STAKEWORK_MODULE_STEPS=N pytest -m slow tests/modules/test_amm_stateful.py`` (a million steps per
machine with ``HYPOTHESIS_PROFILE=thorough``).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from stakework.modules.amm import MODULE, queries
from stakework.modules.amm import stableswap as ss
from stakework.modules.amm.definition import AMM
from stakework.modules.amm.epoch import on_epoch
from stakework.modules.amm.errors import AmmError
from stakework.modules.amm.handlers import dispatch
from stakework.modules.amm.invariants import check
from stakework.modules.amm.messages import (
    COINS,
    AddLiquidity,
    AmmMessage,
    Exchange,
    ExchangeExactOut,
    RampA,
    RemoveLiquidity,
    RemoveLiquidityOneCoin,
    StopRampA,
)
from stakework.modules.amm.state import MIN_FEE, AmmState, new_state
from stakework.modules.amm.testing import FakeAmmHost
from stakework.modules.store import _canonical
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import get_preset
from support.long_run import long_run_steps, run_counted

SWK = 10**9
P = 10**18
GOV, TREASURY = b"G" * 20, b"T" * 20
LPS = [b"\x01" * 20, b"\x02" * 20]
TRADERS = [b"\x03" * 20, b"\x04" * 20]
EVE = b"\x0e" * 20
ACTORS = LPS + TRADERS
FUNDS = 10**6 * SWK

who = st.sampled_from(ACTORS)
coins = st.sampled_from(COINS)
amounts = st.one_of(
    st.integers(1, 1_000),
    st.integers(1, 10**6),
    st.integers(SWK, 100 * SWK),
    st.integers(1, 2_000 * SWK),
)
fractions = st.one_of(st.just(1.0), st.floats(1e-12, 1.0))
edge_rates = st.one_of(
    st.sampled_from([P, 2 * P, P // 2, 1_250_000_000_000_000_000, 1_999_999_999_999_999_999, P + 1, P - 1]),
    st.integers(P // 2, 2 * P),
)
fees = st.sampled_from([MIN_FEE, 4_000_000, 30_000_000])
lab_fees = st.sampled_from([0, MIN_FEE, 4_000_000, 30_000_000])
"""The attacker search also runs at a fee of 0, below the governable floor (a lab pool): a fee hides rounding."""
admin_fees = st.sampled_from([0, 5_000_000_000, 10_000_000_000])


def snapshot(state: AmmState, host: FakeAmmHost) -> tuple[bytes, dict[bytes, int], dict[bytes, int]]:
    return _canonical(state), dict(host.accounts), dict(host.staked_token_ledger.shares)


class AmmBase(RuleBasedStateMachine):
    """The pool, its host, and sending a message with the per-message checks."""

    steps_run = 0
    state: AmmState
    host: FakeAmmHost

    def d_and_supply(self) -> tuple[int, int]:
        view = queries.pool_view(self.state, self.host.staked_token_ledger.rate, self.host.epoch)
        return view.d, view.lp_supply

    def send(self, sender: bytes, msg: AmmMessage) -> bool:
        """Dispatch ``msg``; a refusal must change nothing. For an accepted message: D never falls through a swap,
        and D per LP share never falls (at the same epoch and share price)."""
        type(self).steps_run += 1
        before = snapshot(self.state, self.host)
        d0, s0 = self.d_and_supply()
        b0 = (self.state.swk_balance, self.state.stswk_balance)
        try:
            dispatch(self.state, self.host, sender, msg)
        except StakeworkError:
            assert snapshot(self.state, self.host) == before
            return False
        d1, s1 = self.d_and_supply()
        if isinstance(msg, Exchange | ExchangeExactOut):
            assert d1 >= d0, (msg, d0, d1)
        if isinstance(msg, RemoveLiquidity):  # no D involved: each coin's balance per LP share cannot fall
            b1 = (self.state.swk_balance, self.state.stswk_balance)
            assert all(b1[k] * s0 >= b0[k] * s1 for k in (0, 1)), ("the LP shares' value fell", msg, b0, s0, b1, s1)
        elif s0 and s1 and d0 and d1 and not isinstance(msg, RampA | StopRampA):
            assert d1 * s0 >= d0 * s1, ("the LP shares' value fell", msg, d0, s0, d1, s1)
        return True

    def wealth(self, who: bytes) -> Fraction:
        """``who``'s SWK and stSWK, with what its LP shares withdraw now, valued exactly at the share price."""
        token = self.host.staked_token_ledger
        state = self.state
        swk, st = self.host.balance(who), token.shares_of(who)
        if state.lp.shares_of(who):
            out = ss.remove_liquidity(state.pool(token.rate, self.host.epoch), state.lp.shares_of(who))
            swk, st = swk + out[0], st + out[1]
        return swk + Fraction(st * token.rate, P)


class AmmMachine(AmmBase):
    @initialize(rate=edge_rates, fee=fees, admin_fee=admin_fees, a=st.sampled_from([1, 10, 100, 2000]))
    def start(self, rate: int, fee: int, admin_fee: int, a: int) -> None:
        self.state = new_state(
            get_preset("minimal"), governance=GOV, treasury=TREASURY, a=a, fee=fee, admin_fee=admin_fee, twap_window=3
        )
        self.state.min_ramp_epochs = self.state.ramp_epochs = 2
        self.host = FakeAmmHost(rate=rate)
        for actor in ACTORS:
            self.host.fund(actor, FUNDS)
            self.host.staked_token_ledger.mint(actor, FUNDS)
        self.lp_minted = 0
        assert self.send(LPS[0], AddLiquidity(swk=100 * SWK, stswk=100 * SWK * P // rate, min_mint=0))

    @rule(actor=who, swk=amounts, stswk=amounts, one_sided=st.sampled_from([None, "swk", "stswk"]))
    def add(self, actor: bytes, swk: int, stswk: int, one_sided: str | None) -> None:
        if one_sided == "swk":
            stswk = 0
        elif one_sided == "stswk":
            swk = 0
        self.send(actor, AddLiquidity(swk=swk, stswk=stswk, min_mint=0))

    @rule(actor=who, part=fractions)
    def remove(self, actor: bytes, part: float) -> None:
        shares = int(self.state.lp.shares_of(actor) * part)
        self.send(actor, RemoveLiquidity(shares=shares, min_swk=0, min_stswk=0))

    @rule(actor=who, part=fractions, coin=coins)
    def remove_one(self, actor: bytes, part: float, coin: str) -> None:
        shares = int(self.state.lp.shares_of(actor) * part)
        self.send(actor, RemoveLiquidityOneCoin(shares=shares, coin=coin, min_amount=0))  # type: ignore[arg-type]

    @rule(actor=who, coin=coins, dx=amounts)
    def exchange(self, actor: bytes, coin: str, dx: int) -> None:
        self.send(actor, Exchange(sell=coin, dx=dx, min_dy=0))  # type: ignore[arg-type]

    @rule(actor=who, coin=coins, dy=amounts)
    def exact_out(self, actor: bytes, coin: str, dy: int) -> None:
        self.send(actor, ExchangeExactOut(sell=coin, dy=dy, max_dx=FUNDS))  # type: ignore[arg-type]

    @rule(actor=who, coin=coins, dx=amounts)
    def swap_round_trip(self, actor: bytes, coin: str, dx: int) -> None:
        """Sell ``dx``, sell everything it gave back: at most ``dx`` returns."""
        i = COINS.index(coin)  # type: ignore[arg-type]
        held = self.holdings(actor)
        if not self.send(actor, Exchange(sell=coin, dx=dx, min_dy=0)):  # type: ignore[arg-type]
            return
        got = self.holdings(actor)[1 - i] - held[1 - i]
        if self.send(actor, Exchange(sell=COINS[1 - i], dx=got, min_dy=0)):
            assert self.holdings(actor)[1 - i] == held[1 - i]
            assert self.round_trip_gain(actor, held) <= 0, "a round trip returned more than it put in"

    @rule(actor=who, coin=coins, amount=amounts)
    def deposit_round_trip(self, actor: bytes, coin: str, amount: int) -> None:
        """Deposit one coin, withdraw the minted shares in the same coin: at most ``amount`` returns."""
        held, shares = self.holdings(actor), self.state.lp.shares_of(actor)
        add = AddLiquidity(swk=amount, min_mint=0) if coin == "swk" else AddLiquidity(stswk=amount, min_mint=0)
        if not self.send(actor, add):
            return
        minted = self.state.lp.shares_of(actor) - shares
        if self.send(actor, RemoveLiquidityOneCoin(shares=minted, coin=coin, min_amount=0)):  # type: ignore[arg-type]
            assert self.round_trip_gain(actor, held) <= 0, "a round trip returned more than it put in"

    def holdings(self, actor: bytes) -> tuple[int, int]:
        return self.host.balance(actor), self.host.staked_token_ledger.shares_of(actor)

    def round_trip_gain(self, actor: bytes, held: tuple[int, int]) -> Fraction:
        """What ``actor`` holds more than ``held``, in SWK at the share price, exactly. D counts in Gwei, so on a
        tilted pool one unit of the abundant coin can move D by less than a unit and, at a fee of 0, a round trip
        could return it (487 stSWK shares sold, 488 bought back: ``MIN_FEE``'s reason); every pool this machine
        runs charges at least ``MIN_FEE``, rounded up to a unit a swap, so a round trip must gain nothing."""
        now = self.holdings(actor)
        return now[0] - held[0] + Fraction((now[1] - held[1]) * self.host.staked_token_ledger.rate, P)

    @rule(change=st.sampled_from([0, 0, 1, 10**-5, 10**-3, -0.01, -0.1, -0.5]))
    def epoch(self, change: float) -> None:
        """An epoch passes: the liquid module's hook moved stSWK's share price (rewards up, a slashing down), then
        the AMM's hook runs."""
        token = self.host.staked_token_ledger
        token.rate = max(int(token.rate * (1 + change)), P // 10)
        self.host.advance_epoch()
        on_epoch(self.state, self.host)

    @rule(future_a=st.integers(1, 30_000), span=st.integers(0, 20))
    def ramp(self, future_a: int, span: int) -> None:
        self.send(GOV, RampA(future_a=future_a, future_epoch=self.host.epoch + span))

    @rule()
    def stop_ramp(self) -> None:
        self.send(GOV, StopRampA())

    @rule(data=st.data())
    def governance_sets_a_parameter(self, data: st.DataObject) -> None:
        param = data.draw(st.sampled_from(AMM.params))
        value = data.draw(st.integers(param.minimum, min(param.maximum, 10 * param.minimum + 10**8)))
        AMM.set_param(self.state, param.name, value)

    @invariant()
    def invariants_hold(self) -> None:
        if not hasattr(self, "state"):
            return
        assert check(self.state, self.host) == []

    @invariant()
    def the_module_holds_exactly_the_pool_and_the_admin_fees(self) -> None:
        if not hasattr(self, "state"):
            return
        s, module = self.state, self.host.module_address(MODULE)
        assert self.host.balance(module) == s.swk_balance + s.admin_swk
        assert self.host.staked_token_ledger.shares_of(module) == s.stswk_balance + s.admin_stswk

    @invariant()
    def coins_and_lp_shares_are_conserved(self) -> None:
        if not hasattr(self, "state"):
            return
        assert self.host.total_supply() == self.host.minted
        token = self.host.staked_token_ledger
        assert sum(token.shares.values()) == token.minted
        assert sum(self.state.lp.shares.values()) == self.state.lp.total_shares

    @invariant()
    def the_lp_ledger_books_the_pools_d(self) -> None:
        if not hasattr(self, "state") or not self.state.lp.total_shares:
            return
        if self.state.price_epoch == self.host.epoch:
            token = self.host.staked_token_ledger
            pool = self.state.pool(token.rate, self.host.epoch)
            try:
                d = ss.get_D(pool.xp, pool.amp)
            except AmmError:  # left so by a balanced withdrawal: the ledger keeps the last D
                return
            assert self.state.lp.total_assets == d


AmmMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=50, deadline=None)
test_amm_random_histories = AmmMachine.TestCase


class AttackMachine(AmmBase):
    """An attacker alone against an honest LP's balanced pool, at a fixed share price and epoch."""

    @initialize(
        rate=edge_rates, fee=lab_fees, admin_fee=admin_fees, a=st.sampled_from([1, 10, 100, 2000]), size=amounts
    )
    def start(self, rate: int, fee: int, admin_fee: int, a: int, size: int) -> None:
        self.state = new_state(
            get_preset("minimal"), governance=GOV, treasury=TREASURY, a=a, fee=max(fee, MIN_FEE), admin_fee=admin_fee
        )
        self.state.fee = fee
        self.host = FakeAmmHost(rate=rate)
        self.host.fund(LPS[0], FUNDS)
        self.host.staked_token_ledger.mint(LPS[0], FUNDS)
        swk = max(size, 2 * 10**6)
        stswk = swk * P // rate
        assert self.send(LPS[0], AddLiquidity(swk=swk, stswk=stswk, min_mint=0))
        self.host.fund(EVE, FUNDS)
        self.host.staked_token_ledger.mint(EVE, FUNDS)
        self.start_wealth = self.wealth(EVE)

    @rule(coin=coins, dx=amounts)
    def exchange(self, coin: str, dx: int) -> None:
        self.send(EVE, Exchange(sell=coin, dx=dx, min_dy=0))  # type: ignore[arg-type]

    @rule(coin=coins, dy=amounts, repeat=st.integers(1, 40))
    def exact_out_batch(self, coin: str, dy: int, repeat: int) -> None:
        """Balancer's pattern: the same exact-out swap many times in a row."""
        for _ in range(repeat):
            if not self.send(EVE, ExchangeExactOut(sell=coin, dy=dy, max_dx=FUNDS)):  # type: ignore[arg-type]
                break

    @rule(swk=amounts, stswk=amounts, one_sided=st.sampled_from([None, "swk", "stswk"]))
    def add(self, swk: int, stswk: int, one_sided: str | None) -> None:
        self.send(
            EVE,
            AddLiquidity(swk=0 if one_sided == "stswk" else swk, stswk=0 if one_sided == "swk" else stswk, min_mint=0),
        )

    @rule(part=fractions)
    def remove(self, part: float) -> None:
        self.send(EVE, RemoveLiquidity(shares=int(self.state.lp.shares_of(EVE) * part), min_swk=0, min_stswk=0))

    @rule(part=fractions, coin=coins)
    def remove_one(self, part: float, coin: str) -> None:
        shares = int(self.state.lp.shares_of(EVE) * part)
        self.send(EVE, RemoveLiquidityOneCoin(shares=shares, coin=coin, min_amount=0))  # type: ignore[arg-type]

    @invariant()
    def the_attacker_is_never_richer(self) -> None:
        if hasattr(self, "state"):
            gain = self.wealth(EVE) - self.start_wealth
            assert gain <= 0, float(gain)

    @invariant()
    def invariants_hold(self) -> None:
        if hasattr(self, "state"):
            lab = [f"fee 0 or admin fee {self.state.admin_fee} outside its bounds"] if self.state.fee == 0 else []
            assert check(self.state, self.host) == lab


AttackMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
test_amm_attack_search = AttackMachine.TestCase


@pytest.mark.slow
def test_amm_long_run() -> None:
    """At least ``long_run_steps(3_000)`` random steps (a million with HYPOTHESIS_PROFILE=thorough), counted."""
    run_counted(AmmMachine, long_run_steps(3000))


@pytest.mark.slow
def test_amm_attack_long_run() -> None:
    """At least ``long_run_steps(3_000)`` random attacker steps (a million with HYPOTHESIS_PROFILE=thorough)."""
    run_counted(AttackMachine, long_run_steps(3000))


def test_attack_search_finding__tilt_a_tiny_pool_withdraw_refill__no_gain() -> None:
    """The sequence the attacker search found while deposits valued the pool's balances rounded down: at a fee of
    10^-10, exact-out buys drain a tiny pool's stSWK, a one-sided deposit of 77 SWK tilts it to 10^8 : 1, a balanced
    withdrawal leaves 2 stSWK shares (worth 2.62 Gwei, counted 2: a quarter of the scarce side, so D per share
    falls by 7 %), and a deposit of the scarce coin priced against that D took 261,000 Gwei of the honest LP's
    holdings. Deposits now value the pool's balances rounded up."""
    m = AttackMachine()
    m.start(admin_fee=10_000_000_000, rate=1_309_962_928_030_600_711, size=2, fee=1, a=100)
    m.exchange(coin="swk", dx=1)
    m.exact_out_batch(coin="swk", dy=754_276, repeat=40)
    m.exchange(coin="stswk", dx=2)
    m.exact_out_batch(coin="swk", dy=828, repeat=30)
    m.add(one_sided="swk", stswk=1, swk=77_234_101_410)
    m.remove(part=1.0)
    m.exchange(coin="swk", dx=1)
    m.add(one_sided=None, stswk=1_000_000_000, swk=1)
    assert m.wealth(EVE) <= m.start_wealth
    assert check(m.state, m.host) == []
