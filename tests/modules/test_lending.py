"""The lending module (Aave v3 anchors): the rate curve and interest against a plain reference and hand-checked
Aave examples, scaled balances and their rounding, e-mode and normal-mode borrowing limits, the health factor,
liquidations (close factor, bonus), bad debt written off and covered by a real safety module, the oracle, the
governable parameters, hostile integers, and refusals that change nothing."""

from __future__ import annotations

from fractions import Fraction

import msgspec
import pytest
from lending_support import (
    ALICE,
    BOB,
    CAROL,
    GOV,
    LIQ,
    PRESET,
    SWK,
    TREASURY,
    WAD,
    FakeAmm,
    LendingHost,
    make,
    module,
    send,
    step,
)

from reference import lending_reference as ref
from stakework.modules.amm.epoch import on_epoch as amm_epoch
from stakework.modules.amm.handlers import dispatch as amm_dispatch
from stakework.modules.amm.messages import AddLiquidity, Exchange
from stakework.modules.amm.oracle import AmmOracle as AmmPrices
from stakework.modules.amm.state import AmmState
from stakework.modules.amm.state import new_state as new_amm
from stakework.modules.errors import ModuleError
from stakework.modules.lending import queries
from stakework.modules.lending.definition import LENDING
from stakework.modules.lending.epoch import on_epoch
from stakework.modules.lending.errors import (
    AssetUnavailable,
    BelowMinimum,
    BorrowingDisabled,
    CapExceeded,
    HealthFactorTooLow,
    InsufficientLiquidity,
    InsufficientShares,
    InvalidParameter,
    NoDebt,
    NotAuthorized,
    PositionHealthy,
    UnknownEntity,
)
from stakework.modules.lending.handlers import accrue_all, dispatch
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
from stakework.modules.lending.oracle import stswk_price
from stakework.modules.lending.parameters import LendingParameters
from stakework.modules.lending.ray import RAY, borrow_rate, bps_to_ray, compounded_interest, linear_interest
from stakework.modules.lending.state import LendingState, epochs_per_year, new_state
from stakework.modules.safety.handlers import dispatch as safety_dispatch
from stakework.modules.safety.messages import AuthorizeSlasher
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.testing import FakeHost


def encoded(state: LendingState) -> bytes:
    return msgspec.msgpack.encode(state)


def refused(state: LendingState, host: FakeHost, sender: bytes, msg: LendingMessage, error: type[Exception]) -> str:
    """``msg`` is refused with ``error`` and changes nothing (state, SWK accounts, stSWK shares)."""
    accrue_all(state, host.epoch)  # what any message does first; not part of what it asked
    ledger = getattr(host, "staked_token_ledger", None)
    shares = {} if ledger is None else ledger.shares
    before = (encoded(state), dict(host.accounts), dict(shares))
    with pytest.raises(error) as info:
        dispatch(state, host, sender, msg)
    assert (encoded(state), dict(host.accounts), dict(shares)) == before
    return str(info.value)


def emode_borrower(debt: int = 90 * SWK, collateral: int = 100 * SWK) -> tuple[LendingState, LendingHost]:
    """Alice supplies 1000 SWK; Bob supplies ``collateral`` stSWK shares, enters e-mode, borrows ``debt`` SWK."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=collateral))
    send(state, host, BOB, SetEmode(enabled=True))
    send(state, host, BOB, Borrow(amount=debt))
    return state, host


# --- the rate curve and interest (hand-checked Aave figures) ---------------------------------------------------------
def test_borrow_rate__aave_weth_curve__hand_checked_points() -> None:
    """Aave v3 WETH-like curve (optimal 90 %, base 0, slope1 2.7 %, slope2 80 %): 45 % usage pays 2.7 % x 45/90 =
    1.35 %; 90 % pays 2.7 %; 95 % pays 2.7 % + 80 % x 5/10 = 42.7 %; 100 % pays 82.7 %."""

    def at(usage_bps: int) -> int:
        return borrow_rate(bps_to_ray(usage_bps), 9_000, 0, 270, 8_000)

    assert at(0) == 0
    assert at(4_500) == bps_to_ray(135)
    assert at(9_000) == bps_to_ray(270)
    assert at(9_500) == bps_to_ray(4_270)
    assert at(10_000) == bps_to_ray(8_270)


def test_compounded_interest__one_epoch_exact__three_epochs_aave_binomial_below_the_power() -> None:
    """dt = 1 is exactly ``1 + r / year`` (rounded up); for dt = 3 Aave's 3-term expansion equals the exact cube
    (the expansion is exact up to the cube), within rounding."""
    rate, year = bps_to_ray(500), 1000
    assert compounded_interest(rate, 1, year) == RAY + -(-rate // year)
    exact = (1 + Fraction(rate, RAY) / year) ** 3
    assert abs(Fraction(compounded_interest(rate, 3, year), RAY) - exact) < Fraction(10, RAY)
    exact10 = (1 + Fraction(rate, RAY) / year) ** 10
    assert Fraction(compounded_interest(rate, 10, year), RAY) <= exact10  # Aave: underpays slightly for long gaps
    assert linear_interest(rate, 7, year) == RAY + rate * 7 // year


def test_epochs_per_year__mainnet_preset__365_days_of_6_4_minute_epochs() -> None:
    assert epochs_per_year(PRESET) == 82_125


# --- interest against the plain reference -----------------------------------------------------------------------------
def test_interest__supply_borrow_epochs_repay__matches_the_decimal_reference_within_units() -> None:
    """A market history (supplies, borrows, 50 epochs, a repayment, 30 epochs, a second borrower) on the module and
    on the 80-digit reference: every balance within 4 Gwei (the treasury's within 2 an epoch), both indices within
    1e-16 (the rates read integer Gwei balances: a Gwei of rounding in the debt moves a rate by ~1e-12 of itself)."""
    state, host = make()
    p = state.params
    r = ref.RefReserve(
        optimal=ref.bps(p.swk_optimal_usage_bps),
        base=ref.bps(p.swk_base_rate_bps),
        slope1=ref.bps(p.swk_slope1_bps),
        slope2=ref.bps(p.swk_slope2_bps),
        reserve_factor=ref.bps(p.swk_reserve_factor_bps),
        epochs_per_year=state.epochs_per_year,
    )
    m = state.swk

    def both(who: bytes, name: str, msg: LendingMessage, action: str, amount: int) -> None:
        send(state, host, who, msg)
        getattr(r, action)(name, amount)

    both(ALICE, "alice", Supply(amount=1_000 * SWK), "deposit", 1_000 * SWK)
    both(BOB, "bob", Supply(market="stswk", amount=2_000 * SWK), "deposit", 0)  # collateral only
    both(BOB, "bob", Borrow(amount=850 * SWK), "borrow", 850 * SWK)  # 85 % usage: on the steep side soon
    for _ in range(50):
        step(state, host)
        r.accrue(1)
    both(BOB, "bob", Repay(amount=300 * SWK), "repay", 300 * SWK)
    both(CAROL, "carol", Supply(market="stswk", amount=500 * SWK), "deposit", 0)
    both(CAROL, "carol", Borrow(amount=100 * SWK), "borrow", 100 * SWK)
    for _ in range(30):
        step(state, host)
        r.accrue(1)
    assert abs(Fraction(m.debt_index, RAY) - Fraction(r.debt_index)) < Fraction(1, 10**16)
    assert abs(Fraction(m.supply_index, RAY) - Fraction(r.supply_index)) < Fraction(1, 10**16)
    for who, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
        assert abs(m.supply_of(who) - r.supply_of(name)) <= 4
        assert abs(m.debt_of(who) - r.debt_of(name)) <= 4
    # the treasury's part is rounded down at each epoch's accrual (and minted rounded down): <= 2 Gwei an epoch
    assert 0 <= r.supply_of("treasury") - m.supply_of(TREASURY) <= 2 * 80
    assert m.supply_of(TREASURY) > 0 and m.interest_total > 0
    assert m.debt_of(BOB) >= r.debt_of("bob") - 1  # debt rounds up: never owed less than the reference


def test_scaled_balances__rounding__each_way_favours_the_protocol() -> None:
    """At an index of 1.5: supplying 10 mints floor(10 / 1.5) = 6 scaled units, worth floor(6 x 1.5) = 9; borrowing
    10 mints ceil(10 / 1.5) = 7 scaled units of debt, owed ceil(7 x 1.5) = 11."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    state.swk.liquidity_index = (3 * RAY // 2).to_bytes(16, "big")
    state.swk.borrow_index = (3 * RAY // 2).to_bytes(16, "big")
    state.swk.supply = {ALICE: 600 * SWK}  # worth 900 of the 1000 in cash
    state.swk.total_scaled_supply = 600 * SWK
    send(state, host, CAROL, Supply(amount=10))
    assert state.swk.supply[CAROL] == 6 and state.swk.supply_of(CAROL) == 9
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, Borrow(amount=10))
    assert state.swk.debt[BOB] == 7 and state.swk.debt_of(BOB) == 11


# --- borrowing limits and the health factor ---------------------------------------------------------------------------
def test_emode__aave_wsteth_figures__borrow_to_93_percent_hf_95_over_93() -> None:
    """E-mode (Aave's wstETH/ETH category): 100 stSWK at 1 SWK borrows up to 93 SWK (LTV 93 %); HF = 95/93."""
    state, host = emode_borrower(debt=93 * SWK)
    pos = queries.position(state, host, BOB)
    assert pos.health_factor == 95 * WAD // 93 and pos.borrow_power == 93 * SWK and pos.available_to_borrow == 0
    msg = refused(state, host, BOB, Borrow(amount=1), HealthFactorTooLow)
    assert "borrowing power" in msg


def test_normal_mode__stswk_ltv__borrow_beyond_78_5_percent_refused() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    refused(state, host, BOB, Borrow(amount=78 * SWK + SWK // 2 + 1), HealthFactorTooLow)
    send(state, host, BOB, Borrow(amount=78 * SWK + SWK // 2))
    assert queries.health_factor(state, host, BOB) == 8_100 * WAD // 7_850  # HF = 81 / 78.5


def test_leaving_emode__hf_would_drop_below_one__refused() -> None:
    state, host = emode_borrower(debt=90 * SWK)
    msg = refused(state, host, BOB, SetEmode(enabled=False), HealthFactorTooLow)
    assert "leaving e-mode" in msg


def test_withdraw_collateral__below_hf_one_or_the_last_collateral__refused_then_allowed_after_repaying() -> None:
    state, host = emode_borrower(debt=50 * SWK)
    refused(state, host, BOB, Withdraw(market="stswk", amount=50 * SWK), HealthFactorTooLow)
    refused(state, host, BOB, Withdraw(market="stswk"), HealthFactorTooLow)
    refused(state, host, BOB, SetCollateral(market="stswk", enabled=False), HealthFactorTooLow)
    send(state, host, BOB, Withdraw(market="stswk", amount=40 * SWK))  # HF = 60 x 0.95 / 50 = 1.14
    send(state, host, BOB, Repay(amount=60 * SWK))  # more than owed: only the debt is taken
    assert state.swk.debt_of(BOB) == 0 and host.balance(BOB) == 10_000 * SWK  # borrowed 50, repaid 50
    send(state, host, BOB, Withdraw(market="stswk"))
    assert host.staked_token_ledger.shares_of(BOB) == 10_000 * SWK


def test_withdraw__more_than_the_cash__insufficient_liquidity() -> None:
    state, host = emode_borrower(debt=900 * SWK, collateral=1_000 * SWK)
    msg = refused(state, host, ALICE, Withdraw(amount=200 * SWK), InsufficientLiquidity)
    assert "lent out" in msg
    send(state, host, ALICE, Withdraw(amount=100 * SWK))


# --- liquidations -----------------------------------------------------------------------------------------------------
def test_liquidation__healthy_position__refused() -> None:
    state, host = emode_borrower()
    refused(state, host, LIQ, Liquidate(borrower=BOB), PositionHealthy)


def test_liquidation__price_falls_6_percent__half_the_debt_for_collateral_plus_1_percent_bonus() -> None:
    """Aave v3's example in SWK: 90 SWK owed against 100 stSWK in e-mode; stSWK falls to 0.94: HF = 94 x 0.95 / 90
    = 0.992 (between 0.95 and 1: close factor 50 %). The liquidator repays 45 SWK and gets 45 / 0.94 x 1.01 =
    48.351063829 stSWK shares (rounded down)."""
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 94 * WAD // 100
    before = host.staked_token_ledger.shares_of(LIQ)
    send(state, host, LIQ, Liquidate(borrower=BOB))
    repaid, seized = ref.liquidation(
        Fraction(90 * SWK), Fraction(100 * SWK), Fraction(1), Fraction(94, 100), Fraction(1, 100), Fraction(1, 2)
    )
    assert repaid == 45 * SWK and host.balance(LIQ) == 10_000 * SWK - 45 * SWK
    got = host.staked_token_ledger.shares_of(LIQ) - before
    assert got == int(seized) == 48_351_063_829
    assert state.swk.debt_of(BOB) == 45 * SWK and state.stswk.supply_of(BOB) == 100 * SWK - got


def test_liquidation__hf_below_0_95__whole_debt_may_be_repaid() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 94 * WAD // 100
    assert queries.liquidation_quote(state, host, BOB, "swk", "stswk", None)["max_debt"] == 45 * SWK
    host.staked_token_ledger.rate = 90 * WAD // 100  # HF = 90 x 0.95 / 90 = 0.95: not below: still 50 %
    assert queries.liquidation_quote(state, host, BOB, "swk", "stswk", None)["max_debt"] == 45 * SWK
    host.staked_token_ledger.rate = 89 * WAD // 100
    assert queries.liquidation_quote(state, host, BOB, "swk", "stswk", None)["max_debt"] == 90 * SWK


def test_liquidation__receive_supply__collateral_moves_as_supply() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 94 * WAD // 100
    total = state.stswk.total_scaled_supply
    send(state, host, LIQ, Liquidate(borrower=BOB, amount=10 * SWK, receive_supply=True))
    assert state.stswk.total_scaled_supply == total and state.stswk.supply_of(LIQ) > 10 * SWK


# --- bad debt and the safety module -----------------------------------------------------------------------------------
def _bad_debt_world(authorise: bool) -> tuple[LendingState, LendingHost]:
    """A real safety module with 1000 SWK staked; Bob's 90 SWK loan against 100 stSWK; stSWK falls to 0.5."""
    state, host = make(with_safety=True)
    assert host.safety is not None
    safety_dispatch(host.safety, host, CAROL, SafetyStake(amount=1000 * SWK))
    if authorise:
        safety_dispatch(host.safety, host, GOV, AuthorizeSlasher(address=module(host)))
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, SetEmode(enabled=True))
    send(state, host, BOB, Borrow(amount=90 * SWK))
    host.staked_token_ledger.rate = WAD // 2
    return state, host


def test_bad_debt__collateral_exhausted__written_off_and_covered_by_the_safety_module() -> None:
    """At 0.5 the 100 stSWK are worth 50 SWK: the liquidator (HF < 0.95: close factor 100 %) takes all of it for
    50 / 1.01 = 49.504950496 SWK; the other 40.495049504 SWK are bad debt, slashed from the safety module's SWK vault
    into the market's cash: the reserve is whole again."""
    state, host = _bad_debt_world(authorise=True)
    assert host.safety is not None
    claims = state.swk.total_supply()
    send(state, host, LIQ, Liquidate(borrower=BOB))
    assert state.stswk.supply_of(BOB) == 0 and state.swk.debt_of(BOB) == 0 and BOB not in state.swk.debt
    paid = 10_000 * SWK - host.balance(LIQ)
    assert paid == 49_504_950_496
    [record] = state.bad_debts
    assert record.borrower == BOB and record.amount == 90 * SWK - paid == record.covered
    assert state.swk.deficit == 0 and state.swk.covered_total == record.amount
    assert host.safety.swk.ledger.total_assets == 1000 * SWK - record.amount
    assert host.safety.slash_history[-1].by == module(host)
    assert state.swk.cash + state.swk.total_debt() >= claims  # the suppliers are whole
    assert host.balance(module(host)) == state.swk.cash


def test_bad_debt__reporter_not_authorised__deficit_kept_then_covered_at_the_epoch_after_authorisation() -> None:
    state, host = _bad_debt_world(authorise=False)
    assert host.safety is not None
    send(state, host, LIQ, Liquidate(borrower=BOB))
    deficit = state.swk.deficit
    assert deficit > 0 and state.cover_failures == 1 and "authorised" in state.last_cover_error
    step(state, host)
    assert state.swk.deficit == deficit and state.cover_failures == 2
    safety_dispatch(host.safety, host, GOV, AuthorizeSlasher(address=module(host)))
    step(state, host)
    assert state.swk.deficit == 0 and state.swk.covered_total == deficit
    assert host.balance(module(host)) == state.swk.cash


def test_bad_debt__an_older_deficit_covered_with_a_new_one__each_record_shows_its_own_part() -> None:
    """Bob's bad debt is left uncovered (the module is not authorised yet); once it is, Carol's bad debt brings a
    cover of both deficits: her record shows her part, the market's total both."""
    state, host = make(with_safety=True)
    assert host.safety is not None
    safety_dispatch(host.safety, host, CAROL, SafetyStake(amount=1000 * SWK))
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    for who in (BOB, CAROL):
        send(state, host, who, Supply(market="stswk", amount=100 * SWK))
        send(state, host, who, SetEmode(enabled=True))
        send(state, host, who, Borrow(amount=90 * SWK))
    host.staked_token_ledger.rate = WAD // 2
    send(state, host, LIQ, Liquidate(borrower=BOB))
    safety_dispatch(host.safety, host, GOV, AuthorizeSlasher(address=module(host)))
    send(state, host, LIQ, Liquidate(borrower=CAROL))
    first, second = state.bad_debts
    assert first.covered == 0 and second.covered == second.amount
    assert state.swk.covered_total == first.amount + second.amount and state.swk.deficit == 0


def test_bad_debt__without_a_safety_module__the_deficit_is_recorded() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = WAD // 2
    send(state, host, LIQ, Liquidate(borrower=BOB))
    assert state.swk.deficit == state.bad_debts[0].amount > 0 and state.bad_debts[0].covered == 0


# --- the oracle -------------------------------------------------------------------------------------------------------
def test_oracle__no_amm__the_exchange_rate() -> None:
    state, host = make()
    host.staked_token_ledger.rate = 105 * WAD // 100
    v = stswk_price(state, host)
    assert v.price == 105 * WAD // 100 and v.source == "exchange rate" and v.twap is None


def test_oracle__amm_twap_below_the_rate__used_down_to_the_bound() -> None:
    state, host = make(amm=FakeAmm(twap=96 * WAD // 100))
    assert stswk_price(state, host).price == 96 * WAD // 100
    assert host.amm_oracle is not None
    host.amm_oracle.twap = 50 * WAD // 100  # a manipulated or collapsed pool: the bound (10 %) holds
    v = stswk_price(state, host)
    assert v.price == 90 * WAD // 100 and v.source == "AMM TWAP at the bound"
    host.amm_oracle.twap = 2 * WAD  # a bubble on the AMM: never above what a share redeems for
    assert stswk_price(state, host).price == WAD
    host.amm_oracle.twap = 0  # an AMM without a price yet: the rate alone
    assert stswk_price(state, host).price == WAD


def test_oracle__exchange_rate_jump__capped_per_epoch_from_the_anchor_capo() -> None:
    """A 10 % jump of the exchange rate (a donation) moves the oracle by at most 1e-5 per epoch (the default
    ``oracle_max_growth_ppb``, the liquid module's own positive-rebase bound); a fall passes at once."""
    state, host = make()
    step(state, host)
    assert state.oracle_anchor == WAD
    host.staked_token_ledger.rate = 110 * WAD // 100
    assert stswk_price(state, host).price == WAD
    step(state, host)
    assert state.oracle_anchor == stswk_price(state, host).price == WAD + WAD // 100_000
    step(state, host, 9)
    expected = WAD
    for _ in range(10):  # the anchor rolls each epoch: the cap compounds
        expected += expected // 100_000
    assert state.oracle_anchor == stswk_price(state, host).price == expected
    host.staked_token_ledger.rate = 80 * WAD // 100
    assert stswk_price(state, host).price == 80 * WAD // 100


def test_oracle__no_liquid_module__stswk_market_refused_swk_market_works() -> None:
    state = new_state(PRESET, governance=GOV, treasury=TREASURY)
    host = FakeHost()
    host.fund(ALICE, 100 * SWK)
    msg = refused(state, host, ALICE, Supply(market="stswk", amount=SWK), AssetUnavailable)  # type: ignore[arg-type]
    assert "liquid module" in msg
    dispatch(state, host, ALICE, Supply(amount=SWK))
    assert check(state, host) == []


# --- parameters -------------------------------------------------------------------------------------------------------
def test_set_parameters__governance_only__bounds_and_aave_combinations_checked() -> None:
    state, host = make()
    refused(state, host, ALICE, SetParameters(changes=[ParamChange(name="swk_ltv_bps", value=1)]), NotAuthorized)
    refused(state, host, GOV, SetParameters(changes=[ParamChange(name="swk_ltv_bps", value=9_900)]), InvalidParameter)
    msg = refused(
        state, host, GOV, SetParameters(changes=[ParamChange(name="swk_ltv_bps", value=9_000)]), InvalidParameter
    )
    assert "must not exceed swk_liquidation_threshold_bps" in msg
    msg = refused(
        state,
        host,
        GOV,
        SetParameters(changes=[ParamChange(name="emode_liquidation_bonus_bps", value=600)]),
        InvalidParameter,
    )
    assert "100 %" in msg
    refused(state, host, GOV, SetParameters(changes=[ParamChange(name="nope", value=1)]), InvalidParameter)
    refused(state, host, GOV, SetParameters(changes=[]), BelowMinimum)
    send(state, host, GOV, SetParameters(changes=[ParamChange(name="swk_borrow_enabled", value=0)]))
    send(state, host, BOB, Supply(market="stswk", amount=SWK))
    refused(state, host, BOB, Borrow(amount=1), BorrowingDisabled)
    LENDING.set_param(state, "close_factor_bps", 10_000)
    assert LENDING.get_param(state, "close_factor_bps") == 10_000
    with pytest.raises(InvalidParameter):
        LENDING.set_param(state, "stswk_liquidation_threshold_bps", 9_600)  # above e-mode's 95 %


def test_supply_cap__a_supply_past_it__refused() -> None:
    state, host = make(params=LendingParameters(swk_supply_cap=100 * SWK))
    send(state, host, ALICE, Supply(amount=60 * SWK))
    refused(state, host, BOB, Supply(amount=41 * SWK), CapExceeded)


# --- hostile integers and other refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("msg", "error"),
    [
        (Supply(amount=0), BelowMinimum),
        (Supply(amount=2**64 - 1), ModuleError),  # the account is short: the host refuses, nothing moves
        (Supply(market="stswk", amount=2**64 - 1), InsufficientShares),
        (Borrow(amount=0), BelowMinimum),
        (Borrow(amount=2**64 - 1), InsufficientLiquidity),
        (Withdraw(amount=0), InsufficientShares),
        (Withdraw(amount=2**64 - 1), InsufficientShares),
        (Repay(amount=2**64 - 1), NoDebt),
        (Liquidate(borrower=BOB, amount=2**64 - 1), NoDebt),
        (Liquidate(borrower=BOB, amount=0), NoDebt),
    ],
)
def test_hostile_integers__zero_and_2_64_minus_1__refused_changing_nothing(msg: LendingMessage, error: type) -> None:
    state, host = make()
    refused(state, host, CAROL, msg, error)


def test_hostile_integers__supply_past_2_64_units__refused_as_over_the_cap() -> None:
    state, host = make()
    host.fund(ALICE, 2**64)
    send(state, host, ALICE, Supply(amount=2**63))
    refused(state, host, ALICE, Supply(amount=2**63), CapExceeded)


@pytest.mark.parametrize("raw", [b'{"type":"lend.supply","amount":-1}', b'{"type":"lend.borrow","amount":1.5}'])
def test_hostile_integers__negative_or_fractional_amount__refused_at_decode(raw: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw, type=LendingMessage)


def test_unknown_market__named_error() -> None:
    state, _ = make()
    with pytest.raises(UnknownEntity, match="the markets are 'swk' and 'stswk'"):
        state.market("gold")


def test_repay_on_behalf__carol_repays_bobs_debt() -> None:
    state, host = emode_borrower(debt=10 * SWK)
    send(state, host, CAROL, Repay(amount=4 * SWK, on_behalf_of=BOB))
    assert state.swk.debt_of(BOB) == 6 * SWK and host.balance(CAROL) == 10_000 * SWK - 4 * SWK


def test_state_and_messages__round_trip_msgpack_and_json() -> None:
    state, host = emode_borrower()
    step(state, host, 3)
    assert msgspec.msgpack.decode(encoded(state), type=LendingState) == state
    assert msgspec.json.decode(msgspec.json.encode(state), type=LendingState) == state
    for msg in (Liquidate(borrower=BOB, amount=5), SetParameters(changes=[ParamChange(name="x", value=1)])):
        assert msgspec.msgpack.decode(msgspec.msgpack.encode(msg), type=LendingMessage) == msg


def test_module_accounts__hold_exactly_the_markets_cash() -> None:
    state, host = emode_borrower()
    step(state, host, 5)
    send(state, host, BOB, Repay(amount=5 * SWK))
    assert host.balance(module(host)) == state.swk.cash
    assert host.staked_token_ledger.shares_of(module(host)) == state.stswk.cash
    assert state.swk.supply_of(ALICE) > 1000 * SWK  # interest earned


# --- the AMM's time-weighted price through its real host service --------------------------------------------------
class AmmChainHost(LendingHost):
    """A fake chain that runs the AMM module: ``amm_oracle`` is the AMM's own service over a real pool."""

    def __init__(self, pool: AmmState) -> None:
        super().__init__()
        self.pool = pool

    @property
    def amm_oracle(self) -> AmmPrices:  # type: ignore[override]
        return AmmPrices(self.pool, self)

    @amm_oracle.setter
    def amm_oracle(self, value: object) -> None:  # LendingHost's constructor sets it; the pool decides here
        pass


def test_amm_twap__a_depeg_on_the_real_pool__lowers_the_price_down_to_the_bound() -> None:
    """1000 SWK and 1000 stSWK shares in the AMM; until its window has history the oracle reads the exchange rate
    (the AMM's ``OracleUnavailable`` is its "no price yet"); a seller dumps 600 stSWK shares, then 300 more, and the
    TWAP follows over the window: the lending price is the TWAP while within 10 % of the exchange rate, then the
    bound."""
    pool = new_amm(PRESET, governance=GOV, treasury=GOV, twap_window=2)
    host = AmmChainHost(pool)
    state = new_state(PRESET, governance=GOV, treasury=TREASURY)
    for who in (ALICE, BOB):
        host.fund(who, 10_000 * SWK)
        host.staked_token_ledger.mint(who, 10_000 * SWK)
    amm_dispatch(pool, host, ALICE, AddLiquidity(swk=1_000 * SWK, stswk=1_000 * SWK, min_mint=0))

    def epoch() -> None:
        host.advance_epoch()
        amm_epoch(pool, host)
        on_epoch(state, host)

    v = stswk_price(state, host)
    assert v.twap is None and v.price == WAD and v.source == "exchange rate" and v.spot is not None  # shown
    for _ in range(3):
        epoch()
    assert stswk_price(state, host).twap == WAD  # a balanced pool at the 1:1 rate
    seen = []
    for dump in (600 * SWK, 300 * SWK):  # a depeg within the bound, then past it
        amm_dispatch(pool, host, BOB, Exchange(sell="stswk", dx=dump, min_dy=0))
        for _ in range(3):
            epoch()
            v = stswk_price(state, host)
            assert v.twap is not None and v.spot is not None and v.price == min(WAD, max(v.twap, 9 * WAD // 10))
            seen.append((v.twap, v.price, v.source))
    assert seen[2][1] == seen[2][0] < WAD and seen[2][2] == "AMM TWAP"  # the market's price, below the rate
    assert seen[-1][0] < 9 * WAD // 10 and seen[-1][1] == 9 * WAD // 10 and seen[-1][2] == "AMM TWAP at the bound"
    assert check(state, host) == []
