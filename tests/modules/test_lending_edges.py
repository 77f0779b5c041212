"""The lending module at its edges (issue #19's mutation target): the ray math at its bounds and with inexact
divisions (each rounding in its documented direction), the 16-byte index encoding at 0 and 2^128 - 1, and the
handlers' and oracle's boundaries that the scenario tests in ``test_lending.py`` meet only in their middle."""

from __future__ import annotations

import math
from fractions import Fraction

import msgspec
import pytest
from lending_support import (
    ALICE,
    BOB,
    CAROL,
    GOV,
    LIQ,
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

from stakework.modules.arith import Rounding
from stakework.modules.lending.errors import (
    AssetUnavailable,
    BelowMinimum,
    CapExceeded,
    HealthFactorTooLow,
    InsufficientLiquidity,
    InsufficientShares,
    NotAuthorized,
    NotReady,
    PositionHealthy,
    UnknownEntity,
)
from stakework.modules.lending.handlers import (
    account_values,
    accrue_all,
    dispatch,
    market_rates,
    quote_liquidation,
    sat_add,
    write_off,
)
from stakework.modules.lending.messages import (
    Borrow,
    LendingMessage,
    Liquidate,
    Repay,
    SetCollateral,
    SetEmode,
    Supply,
    Withdraw,
)
from stakework.modules.lending.oracle import prices, refresh_anchor, stswk_price
from stakework.modules.lending.parameters import MAX_U64, LendingParameters
from stakework.modules.lending.ray import (
    MAX_U128,
    RAY,
    borrow_rate,
    bps_to_ray,
    compounded_interest,
    from_u128,
    linear_interest,
    liquidity_rate,
    ray_div,
    ray_mul,
    to_u128,
    usage_ratio,
)
from stakework.modules.lending.state import BAD_DEBT_HISTORY, LendingState, new_state
from stakework.modules.safety.handlers import dispatch as safety_dispatch
from stakework.modules.safety.messages import AuthorizeSlasher
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.shares import BURN_ADDRESS
from stakework.modules.testing import FakeHost
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import get_preset

# A rate no division of this file's math divides exactly (about 12.3 % a year, with odd low digits).
ODD_RATE = 123_456_789_123_456_789_123_456_789


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# --- the ray and its encoding -----------------------------------------------------------------------------------------
def test_ray__one_is_10_to_the_27__aave_precision() -> None:
    """A ray is Aave's 10^27: 100 % a year in bps is one ray, and a product with one ray is the identity."""
    assert RAY == 10**27
    assert bps_to_ray(10_000) == 10**27
    assert bps_to_ray(500) == 5 * 10**25
    assert ray_mul(7, 10**27, Rounding.UP) == 7


def test_index_encoding__0_and_2_128_minus_1__sixteen_big_endian_bytes_and_back() -> None:
    assert MAX_U128 == 340_282_366_920_938_463_463_374_607_431_768_211_455
    assert to_u128(0) == bytes(16)
    assert to_u128(1) == bytes(15) + b"\x01"
    assert to_u128(MAX_U128) == b"\xff" * 16
    assert to_u128(RAY) == (10**27).to_bytes(16, "big") and len(to_u128(RAY)) == 16
    for value in (0, 1, RAY, MAX_U128):
        assert from_u128(to_u128(value)) == value


@pytest.mark.parametrize("value", [-1, 2**128, 3**128])
def test_index_encoding__negative_or_past_128_bits__refused_with_a_value_error(value: int) -> None:
    with pytest.raises(ValueError, match="does not fit 128 bits"):
        to_u128(value)


# --- ray products and quotients round as asked ------------------------------------------------------------------------
def test_ray_mul_and_div__inexact__down_floors_and_up_ceils() -> None:
    assert ray_mul(3, RAY // 2, Rounding.DOWN) == 1
    assert ray_mul(3, RAY // 2, Rounding.UP) == 2
    assert ray_div(10, 3 * RAY // 2, Rounding.DOWN) == 6
    assert ray_div(10, 3 * RAY // 2, Rounding.UP) == 7


# --- compounded interest (the debt index's growth) --------------------------------------------------------------------
def aave_compounded(rate: int, dt: int, year: int) -> int:
    """Aave v3.0 ``calculateCompoundedInterest``, each division rounded up (the debt is owed to the protocol)."""
    if dt == 0:
        return RAY
    two = ceil_div(ceil_div(rate * rate, RAY), year * year)
    three = ceil_div(ceil_div(two * rate, RAY), year)
    second = ceil_div(dt * (dt - 1) * two, 2)
    third = ceil_div(dt * (dt - 1) * max(dt - 2, 0) * three, 6)
    return RAY + ceil_div(rate * dt, year) + second + third


def test_compounded_interest__no_time_elapsed__factor_of_exactly_one_ray() -> None:
    assert compounded_interest(ODD_RATE, 0, 1) == RAY
    assert compounded_interest(ODD_RATE, 0, 82_125) == RAY


@pytest.mark.parametrize("year", [1, 7, 82_125])
@pytest.mark.parametrize("dt", [1, 2, 3, 4, 9])
def test_compounded_interest__inexact_rate__aave_expansion_each_division_rounded_up(dt: int, year: int) -> None:
    assert compounded_interest(ODD_RATE, dt, year) == aave_compounded(ODD_RATE, dt, year)


@pytest.mark.parametrize("year", [1, 7, 82_125])
@pytest.mark.parametrize("dt", [1, 2, 3])
def test_compounded_interest__up_to_three_epochs__never_below_the_exact_power(dt: int, year: int) -> None:
    """The 3-term expansion is the exact power for dt <= 3; rounded up, the debt factor is never below it."""
    exact = RAY * (1 + Fraction(ODD_RATE, RAY * year)) ** dt
    got = compounded_interest(ODD_RATE, dt, year)
    assert exact <= got < exact + 4


def test_compounded_interest__two_epochs__no_cubic_term() -> None:
    """(1 + r)^2 = 1 + 2r + r^2 exactly: at dt = 2 the cubic term is zero (dt - 2 = 0)."""
    rate = 3 * RAY // 10  # 30 % a year, one epoch a year: r^2 = 0.09 exactly
    assert compounded_interest(rate, 2, 1) == RAY + 2 * rate + 9 * RAY // 100


def test_linear_interest__inexact__rounded_down() -> None:
    assert linear_interest(ODD_RATE, 1, 7) == RAY + ODD_RATE // 7
    assert ODD_RATE % 7 != 0


# --- usage, the rate curve and the suppliers' rate --------------------------------------------------------------------
def test_usage_ratio__no_debt__zero_even_without_cash() -> None:
    assert usage_ratio(0, 0) == 0
    assert usage_ratio(100, 0) == 0


def test_usage_ratio__one_unit_of_debt__a_fraction_of_a_ray_not_zero() -> None:
    assert usage_ratio(0, 1) == RAY
    assert usage_ratio(1, 1) == RAY // 2


def test_usage_ratio__a_third_used__rounded_down() -> None:
    assert usage_ratio(2, 1) == RAY // 3  # 333...3: floor of 10^27 / 3


def test_borrow_rate__inexact_usage_below_the_kink__rounded_up_never_below_the_curve() -> None:
    usage = RAY // 3
    exact = Fraction(bps_to_ray(200)) + Fraction(bps_to_ray(400)) * usage / bps_to_ray(8_000)
    assert borrow_rate(usage, 8_000, 200, 400, 7_500) == math.ceil(exact)
    assert exact.denominator != 1


def test_borrow_rate__inexact_usage_above_the_kink__each_step_rounded_up() -> None:
    """Above the kink: ``excess = ceil((U - U_opt) / (1 - U_opt))`` then ``ceil(slope2 x excess)``; never below
    the exact curve."""
    usage, optimal = RAY * 7 // 10 + 12_346, bps_to_ray(7_000)
    excess = ceil_div((usage - optimal) * RAY, RAY - optimal)
    expected = bps_to_ray(100) + bps_to_ray(270) + ceil_div(bps_to_ray(7_777) * excess, RAY)
    assert ((usage - optimal) * RAY) % (RAY - optimal) != 0
    assert borrow_rate(usage, 7_000, 100, 270, 7_777) == expected
    exact = bps_to_ray(370) + Fraction(bps_to_ray(7_777)) * (usage - optimal) / (RAY - optimal)
    assert exact <= expected and exact.denominator != 1


def test_borrow_rate__exactly_at_the_kink__base_plus_slope1() -> None:
    assert borrow_rate(bps_to_ray(9_000), 9_000, 100, 270, 8_000) == bps_to_ray(370)


def test_liquidity_rate__inexact__each_step_rounded_down_never_above_the_exact_rate() -> None:
    """Suppliers earn ``floor(floor(borrow x U) x (1 - reserve factor))``: never more than the exact rate."""
    borrow, usage = ODD_RATE, RAY // 3
    expected = ray_mul(borrow, usage, Rounding.DOWN) * (10_000 - 1_234) // 10_000
    assert liquidity_rate(borrow, usage, 1_234) == expected
    exact = Fraction(borrow * usage, RAY) * Fraction(10_000 - 1_234, 10_000)
    assert expected <= exact < expected + 2
    assert (borrow * usage) % RAY != 0 and (ray_mul(borrow, usage, Rounding.DOWN) * 8_766) % 10_000 != 0


# --- handlers: helpers ------------------------------------------------------------------------------------------------
def refused(state: LendingState, host: FakeHost, sender: bytes, msg: LendingMessage, error: type[Exception]) -> str:
    """``msg`` is refused with ``error`` and changes nothing (state, SWK accounts, stSWK shares)."""
    accrue_all(state, host.epoch)
    ledger = getattr(host, "staked_token_ledger", None)
    shares = {} if ledger is None else ledger.shares
    before = (msgspec.msgpack.encode(state), dict(host.accounts), dict(shares))
    with pytest.raises(error) as info:
        dispatch(state, host, sender, msg)
    assert (msgspec.msgpack.encode(state), dict(host.accounts), dict(shares)) == before
    return str(info.value)


def at_index_one_and_a_half() -> tuple[LendingState, LendingHost]:
    """Both SWK indices at 1.5; Alice holds 600 scaled SWK (worth 900 of the 1000 in cash); Bob has 100 stSWK of
    collateral and borrowed 10 Gwei (7 scaled units, owes 11)."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    state.swk.liquidity_index = to_u128(3 * RAY // 2)
    state.swk.borrow_index = to_u128(3 * RAY // 2)
    state.swk.supply = {ALICE: 600 * SWK}
    state.swk.total_scaled_supply = 600 * SWK
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, Borrow(amount=10))
    assert state.swk.debt[BOB] == 7
    return state, host


def emode_borrower(debt: int = 90 * SWK) -> tuple[LendingState, LendingHost]:
    """Alice supplies 1000 SWK; Bob supplies 100 stSWK shares, enters e-mode (LT 95 %), borrows ``debt`` SWK."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, SetEmode(enabled=True))
    send(state, host, BOB, Borrow(amount=debt))
    return state, host


def test_counters__at_2_64_minus_1__saturate_instead_of_passing_the_store() -> None:
    assert sat_add(MAX_U64, 1) == MAX_U64
    assert sat_add(MAX_U64 - 1, 1) == MAX_U64
    assert sat_add(2, 3) == 5


# --- supply -----------------------------------------------------------------------------------------------------------
def test_supply__zero__refused_as_not_positive() -> None:
    state, host = make()
    assert "positive" in refused(state, host, ALICE, Supply(amount=0), BelowMinimum)


def test_supply__one_gwei_at_a_fresh_market__mints_one_scaled_unit() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=1))
    assert state.swk.supply[ALICE] == 1 and state.swk.cash == 1


def test_supply__exactly_to_the_cap__accepted_one_more_refused() -> None:
    state, host = make(params=LendingParameters(swk_supply_cap=100 * SWK))
    send(state, host, ALICE, Supply(amount=100 * SWK))
    refused(state, host, BOB, Supply(amount=1), CapExceeded)


def test_supply__scaled_total_would_pass_2_64_minus_1__refused() -> None:
    """Most of the market lent out: little cash, but the scaled supply near 2^64 - 1."""
    state, host = make()
    state.swk.supply[CAROL] = MAX_U64 - 5
    state.swk.total_scaled_supply = MAX_U64 - 5
    refused(state, host, ALICE, Supply(amount=100), CapExceeded)


def test_supply__cash_would_pass_2_64_minus_1__refused() -> None:
    state, host = make()
    state.swk.cash = MAX_U64 - 5
    refused(state, host, ALICE, Supply(amount=100), CapExceeded)


@pytest.mark.parametrize("who", ["module", "burn"])
def test_positions__the_module_or_the_burn_address__refused_supply_borrow_liquidate(who: str) -> None:
    state, host = emode_borrower()
    sender = module(host) if who == "module" else BURN_ADDRESS
    host.fund(sender, 1000 * SWK)
    refused(state, host, sender, Supply(amount=SWK), NotAuthorized)
    refused(state, host, sender, Borrow(amount=SWK), NotAuthorized)
    host.staked_token_ledger.rate = WAD // 2
    refused(state, host, sender, Liquidate(borrower=BOB), NotAuthorized)


def test_supply_stswk__more_shares_than_held__refused_before_anything_moves() -> None:
    state, host = make()
    held = host.staked_token_ledger.shares_of(ALICE)
    assert "stSWK shares" in refused(state, host, ALICE, Supply(market="stswk", amount=held + 1), InsufficientShares)


# --- without the liquid module ----------------------------------------------------------------------------------------
def test_no_liquid_module__every_stswk_message__refused_as_unavailable() -> None:
    state = new_state(get_preset("mainnet"), governance=GOV, treasury=TREASURY)
    host = FakeHost()
    host.fund(ALICE, 100 * SWK)
    dispatch(state, host, ALICE, Supply(amount=10 * SWK))
    refused(state, host, ALICE, Withdraw(market="stswk"), AssetUnavailable)
    refused(state, host, ALICE, Borrow(market="stswk", amount=1), AssetUnavailable)
    refused(state, host, ALICE, Repay(market="stswk", amount=1), AssetUnavailable)
    refused(state, host, ALICE, Liquidate(borrower=BOB, collateral_market="stswk"), AssetUnavailable)
    refused(state, host, ALICE, Liquidate(borrower=BOB, debt_market="stswk", collateral_market="swk"), AssetUnavailable)


# --- withdraw ---------------------------------------------------------------------------------------------------------
def test_withdraw__zero__refused_as_not_positive() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=SWK))
    assert "positive" in refused(state, host, ALICE, Withdraw(amount=0), BelowMinimum)


def test_withdraw__one_more_than_the_balance__refused_though_the_cash_is_there() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=SWK))
    send(state, host, CAROL, Supply(amount=100 * SWK))
    refused(state, host, ALICE, Withdraw(amount=SWK + 1), InsufficientShares)


def test_withdraw__one_gwei__allowed() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=SWK))
    send(state, host, ALICE, Withdraw(amount=1))
    assert state.swk.supply_of(ALICE) == SWK - 1


def test_withdraw__health_judged_on_the_remaining_supply_rounded_down() -> None:
    """At a SWK index of 1.5 Bob's 200 scaled units (300 Gwei) back a 66-share stSWK debt. Withdrawing 220 burns
    147 units: the 53 left are worth floor(79.5) = 79 Gwei, x 82.5 % < 66: refused (worth 80 it would pass)."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, ALICE, Supply(market="stswk", amount=1000 * SWK))
    state.swk.liquidity_index = to_u128(3 * RAY // 2)
    state.swk.supply = {ALICE: 600 * SWK}
    state.swk.total_scaled_supply = 600 * SWK
    send(state, host, BOB, Supply(amount=300))
    send(state, host, BOB, Borrow(market="stswk", amount=66))
    assert state.swk.supply[BOB] == 200
    refused(state, host, BOB, Withdraw(amount=220), HealthFactorTooLow)
    send(state, host, BOB, Withdraw(amount=218))  # burns 146: 54 units left, worth 81
    assert state.swk.supply[BOB] == 54


def test_withdraw__at_index_1_5__burns_the_scaled_units_rounded_up() -> None:
    """Withdrawing 10 at 1.5 burns ceil(10 / 1.5) = 7 scaled units, not 6."""
    state, host = at_index_one_and_a_half()
    send(state, host, ALICE, Withdraw(amount=10))
    assert state.swk.supply[ALICE] == 600 * SWK - 7


def test_withdraw__non_collateral_supply_of_an_unhealthy_borrower__allowed() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(amount=50 * SWK))
    send(state, host, BOB, SetCollateral(market="swk", enabled=False))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, SetEmode(enabled=True))
    send(state, host, BOB, Borrow(amount=90 * SWK))
    host.staked_token_ledger.rate = 90 * WAD // 100  # HF 0.95
    send(state, host, BOB, Withdraw(amount=10 * SWK))
    assert state.swk.supply_of(BOB) == 40 * SWK


def test_withdraw__leaving_hf_below_one__refusal_names_the_health_factor() -> None:
    state, host = emode_borrower()
    msg = refused(state, host, BOB, Withdraw(market="stswk", amount=10 * SWK), HealthFactorTooLow)
    assert "health factor at 0.9500, below 1" in msg


def _unpriced_stswk_debt() -> tuple[LendingState, LendingHost]:
    """Bob borrowed 10 stSWK against 100 SWK; then stSWK lost its price (an exchange rate of 0): his debt is worth
    nothing at the oracle."""
    state, host = make()
    send(state, host, ALICE, Supply(market="stswk", amount=1000 * SWK))
    send(state, host, BOB, Supply(amount=100 * SWK))
    send(state, host, BOB, Borrow(market="stswk", amount=10 * SWK))
    host.staked_token_ledger.rate = 0
    return state, host


def test_withdraw__the_last_collateral_of_an_unpriced_debt__refused() -> None:
    state, host = _unpriced_stswk_debt()
    assert "last collateral" in refused(state, host, BOB, Withdraw(), HealthFactorTooLow)


def test_set_collateral__off_for_the_last_collateral_of_an_unpriced_debt__refused() -> None:
    state, host = _unpriced_stswk_debt()
    assert "last collateral" in refused(
        state, host, BOB, SetCollateral(market="swk", enabled=False), HealthFactorTooLow
    )


def test_withdraw__one_of_two_collaterals_of_an_unpriced_debt__allowed() -> None:
    state, host = _unpriced_stswk_debt()
    send(state, host, BOB, Supply(market="stswk", amount=SWK))
    send(state, host, BOB, Withdraw())
    assert state.swk.supply_of(BOB) == 0


# --- borrow -----------------------------------------------------------------------------------------------------------
def test_borrow__exactly_the_whole_cash__allowed() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=100 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=1000 * SWK))
    send(state, host, BOB, Borrow(amount=100 * SWK))
    assert state.swk.cash == 0


def test_borrow__from_a_market_without_a_price__refused_not_ready() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(market="stswk", amount=1000 * SWK))
    send(state, host, BOB, Supply(amount=100 * SWK))
    host.staked_token_ledger.rate = 0
    refused(state, host, BOB, Borrow(market="stswk", amount=SWK), NotReady)


def test_borrow__scaled_debt_exactly_2_64_minus_1__allowed_one_more_refused() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=1000 * SWK))
    state.swk.debt[CAROL] = MAX_U64 - 10
    state.swk.total_scaled_debt = MAX_U64 - 10
    dispatch(state, host, BOB, Borrow(amount=10))
    assert state.swk.total_scaled_debt == MAX_U64
    refused(state, host, BOB, Borrow(amount=1), CapExceeded)


# --- repay ------------------------------------------------------------------------------------------------------------
def test_repay__zero__refused_as_not_positive() -> None:
    state, host = at_index_one_and_a_half()
    assert "positive" in refused(state, host, BOB, Repay(amount=0), BelowMinimum)


def test_repay__one_gwei__allowed() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, Borrow(amount=SWK))
    send(state, host, BOB, Repay(amount=1))
    assert state.swk.debt_of(BOB) == SWK - 1


def test_repay__at_index_1_5__burns_the_scaled_units_rounded_down() -> None:
    """Repaying 5 of 11 at 1.5 burns floor(5 / 1.5) = 3 of the 7 scaled units."""
    state, host = at_index_one_and_a_half()
    send(state, host, BOB, Repay(amount=5))
    assert state.swk.debt[BOB] == 4


def test_repay__less_than_one_scaled_unit__refused_two_gwei_burns_one() -> None:
    state, host = at_index_one_and_a_half()
    refused(state, host, BOB, Repay(amount=1), BelowMinimum)
    send(state, host, BOB, Repay(amount=2))
    assert state.swk.debt[BOB] == 6


# --- collateral and e-mode settings -----------------------------------------------------------------------------------
def test_set_collateral__unknown_market__named_error() -> None:
    state, host = make()
    refused(state, host, ALICE, SetCollateral(market="eth", enabled=False), UnknownEntity)  # type: ignore[arg-type]


def test_set_collateral__enabling_the_collateral_a_debt_rests_on__allowed() -> None:
    state, host = emode_borrower()
    send(state, host, BOB, SetCollateral(market="stswk", enabled=True))
    assert state.is_collateral(BOB, "stswk")


def test_set_collateral__off_for_a_market_without_supply_while_in_debt__allowed() -> None:
    state, host = emode_borrower()
    send(state, host, BOB, SetCollateral(market="swk", enabled=False))
    assert not state.is_collateral(BOB, "swk")


def test_emode__entered_and_left__no_user_setting_kept() -> None:
    state, host = make()
    send(state, host, ALICE, SetEmode(enabled=True))
    assert state.in_emode(ALICE)
    send(state, host, ALICE, SetEmode(enabled=False))
    assert state.users == {}


# --- health factor and values -----------------------------------------------------------------------------------------
def test_health_factor__exactly_one__healthy_not_liquidatable() -> None:
    """76 SWK owed against 100 stSWK in e-mode (LT 95 %) at 0.8: 80 x 0.95 = 76: HF exactly 1."""
    state, host = emode_borrower(debt=76 * SWK)
    host.staked_token_ledger.rate = 8 * WAD // 10
    refused(state, host, LIQ, Liquidate(borrower=BOB), PositionHealthy)


def test_account_values__collateral_at_a_fractional_price__rounded_down() -> None:
    """3 stSWK shares at 1.5 are worth floor(4.5) = 4 Gwei of collateral."""
    state, host = make()
    send(state, host, BOB, Supply(market="stswk", amount=3))
    values = account_values(state, BOB, {"swk": WAD, "stswk": 3 * WAD // 2})
    assert values.collateral == 4
    assert values.borrow_power == 4 * state.params.stswk_ltv_bps


# --- interest accrual: the indices ------------------------------------------------------------------------------------
def _lent_market(usage_swk: int = 900) -> tuple[LendingState, LendingHost]:
    """Alice supplies 1000 SWK, Bob borrows ``usage_swk`` of it against 2000 stSWK; three epochs accrue (the indices
    are no longer round numbers)."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=2000 * SWK))
    send(state, host, BOB, Borrow(amount=usage_swk * SWK))
    step(state, host, 3)
    return state, host


def test_accrue__market_without_debt__indices_stay_at_one_ray_despite_a_base_rate() -> None:
    state, host = make(params=LendingParameters(swk_base_rate_bps=500))
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    step(state, host, 5)
    assert state.swk.debt_index == RAY and state.swk.supply_index == RAY
    assert state.swk.last_update_epoch == host.epoch


def test_accrue__a_single_scaled_unit_of_debt__moves_the_borrow_index() -> None:
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, Borrow(amount=1))
    assert state.swk.total_scaled_debt == 1
    step(state, host)
    assert state.swk.debt_index > RAY


def test_accrue__one_epoch__debt_index_rounded_up_supply_index_down_treasury_minted_down() -> None:
    """One epoch from non-round indices: ``borrow_index x factor`` rounded up, ``liquidity_index x (1 + rate /
    year)`` rounded down (the solvency bound not binding), the treasury's cut minted at the new index rounded down."""
    state, host = _lent_market()
    m, year = state.swk, state.epochs_per_year
    rates = market_rates(state, m)
    old_l, old_d, reserve, treasury = m.supply_index, m.debt_index, m.reserve_total, m.supply.get(TREASURY, 0)
    factor = compounded_interest(rates.borrow, 1, year)
    growth = linear_interest(rates.supply, 1, year)
    assert (old_d * factor) % RAY and (old_l * growth) % RAY  # both products inexact
    step(state, host)
    assert m.debt_index == ray_mul(old_d, factor, Rounding.UP)
    assert m.supply_index == ray_mul(old_l, growth, Rounding.DOWN)
    cut = m.reserve_total - reserve
    assert cut > 0 and (cut * RAY) % m.supply_index
    assert m.supply[TREASURY] - treasury == ray_div(cut, m.supply_index, Rounding.DOWN)


def test_accrue__a_deficit_outstanding__suppliers_keep_earning_from_the_other_borrowers() -> None:
    """Bob's position leaves bad debt (no safety module: the deficit stays); Carol's loan still pays interest, and
    the suppliers' index rises with it: the written-off debt is still counted as owed to them (Aave's deficit)."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, SetEmode(enabled=True))
    send(state, host, BOB, Borrow(amount=90 * SWK))
    send(state, host, CAROL, Supply(market="stswk", amount=2000 * SWK))
    send(state, host, CAROL, Borrow(amount=500 * SWK))
    host.staked_token_ledger.rate = WAD // 2
    send(state, host, LIQ, Liquidate(borrower=BOB))
    assert state.swk.deficit > 0
    before = state.swk.supply_index
    step(state, host, 3)
    assert state.swk.supply_index > before


def test_accrue__market_short_of_its_claims__supply_index_holds_never_falls() -> None:
    """A market whose cash is short of what suppliers can claim (a loss the accounting did not see): the solvency
    bound is below the current index, and the index stays rather than falling."""
    state, host = _lent_market()
    m = state.swk
    m.cash -= 50 * SWK
    before = m.supply_index
    host.advance_epoch()
    accrue_all(state, host.epoch)
    assert m.supply_index == before


def test_accrue__cash_a_little_short__suppliers_and_treasury_never_claim_more_than_the_assets() -> None:
    """Cash 200 Gwei short of the claims, less than an epoch's interest to suppliers (~370 Gwei): the liquidity
    index grows only as far as the assets allow, the treasury's cut included."""
    state, host = _lent_market()
    m = state.swk
    m.cash -= 200
    old_l, supplied, reserve = m.supply_index, m.total_scaled_supply, m.reserve_total
    host.advance_epoch()
    accrue_all(state, host.epoch)
    assert m.supply_index > old_l
    assert m.total_supply() <= m.cash + m.total_debt() + m.deficit
    room = m.cash + m.total_debt() + m.deficit - (m.reserve_total - reserve)
    assert (room * RAY) % supplied and m.supply_index == room * RAY // supplied  # the bound, rounded down


def _near_max_scaled_supply(total: int) -> tuple[LendingState, LendingHost]:
    """The lent market with Carol's scaled supply making ``total`` (the claims exceed the assets: the supply index
    holds, and the treasury's cut is minted at it)."""
    state, host = _lent_market()
    m = state.swk
    m.supply[CAROL] = total - m.total_scaled_supply
    m.total_scaled_supply = total
    host.advance_epoch()
    return state, host


def test_accrue__treasury_mint_would_pass_2_64_minus_1_scaled__not_minted() -> None:
    state, host = _near_max_scaled_supply(MAX_U64)
    m = state.swk
    treasury = m.supply.get(TREASURY, 0)
    accrue_all(state, host.epoch)
    assert m.interest_total > 0
    assert m.supply.get(TREASURY, 0) == treasury and m.total_scaled_supply == MAX_U64


def test_accrue__treasury_mint_landing_exactly_on_2_64_minus_1_scaled__minted() -> None:
    trial, trial_host = _near_max_scaled_supply(MAX_U64 - 10**12)
    before = trial.swk.total_scaled_supply
    accrue_all(trial, trial_host.epoch)
    minted = trial.swk.total_scaled_supply - before
    assert minted > 0
    state, host = _near_max_scaled_supply(MAX_U64 - minted)
    accrue_all(state, host.epoch)
    assert state.swk.total_scaled_supply == MAX_U64


def test_accrue__supply_index_landing_exactly_on_2_128_minus_1__the_borrow_index_still_moves() -> None:
    state, host = _lent_market()
    m, year = state.swk, state.epochs_per_year
    growth = linear_interest(market_rates(state, m).supply, 1, year)
    old_l = -(-MAX_U128 * RAY // growth)
    assert ray_mul(old_l, growth, Rounding.DOWN) == MAX_U128
    m.liquidity_index = to_u128(old_l)
    old_d = m.debt_index
    host.advance_epoch()
    accrue_all(state, host.epoch)
    assert m.debt_index > old_d


def test_accrue__borrow_index_would_pass_2_128_minus_1__indices_stay() -> None:
    state, host = _lent_market()
    m = state.swk
    m.borrow_index = to_u128(MAX_U128 - 1)
    before = (m.liquidity_index, m.borrow_index)
    host.advance_epoch()
    accrue_all(state, host.epoch)
    assert (m.liquidity_index, m.borrow_index) == before and m.last_update_epoch == host.epoch


def test_accrue__borrow_index_landing_exactly_on_2_128_minus_1__stored() -> None:
    state, host = _lent_market()
    m, year = state.swk, state.epochs_per_year
    old_d = MAX_U128 // 2
    for _ in range(5):  # the rate depends on the debt, the debt on the index: settle both
        m.borrow_index = to_u128(old_d)
        factor = compounded_interest(market_rates(state, m).borrow, 1, year)
        old_d = MAX_U128 * RAY // factor
    m.borrow_index = to_u128(old_d)
    factor = compounded_interest(market_rates(state, m).borrow, 1, year)
    assert ray_mul(old_d, factor, Rounding.UP) == MAX_U128
    host.advance_epoch()
    accrue_all(state, host.epoch)
    assert m.debt_index == MAX_U128


# --- liquidation ------------------------------------------------------------------------------------------------------
def test_liquidation__from_a_market_where_the_borrower_has_no_collateral__refused() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = WAD // 2
    msg = refused(state, host, LIQ, Liquidate(borrower=BOB, collateral_market="swk"), BelowMinimum)
    assert "no collateral in the swk market" in msg


def test_liquidation__supply_the_borrower_turned_off_as_collateral__not_seizable() -> None:
    state, host = emode_borrower()
    send(state, host, BOB, Supply(amount=SWK))
    send(state, host, BOB, SetCollateral(market="swk", enabled=False))
    host.staked_token_ledger.rate = WAD // 2
    refused(state, host, LIQ, Liquidate(borrower=BOB, collateral_market="swk"), BelowMinimum)


def test_liquidation__one_gwei_of_collateral__seizable() -> None:
    state, host = emode_borrower()
    send(state, host, BOB, Supply(amount=1))
    host.staked_token_ledger.rate = WAD // 2
    send(state, host, LIQ, Liquidate(borrower=BOB, collateral_market="swk"))
    assert state.swk.supply_of(BOB) == 0


def test_liquidation__close_factor_of_an_odd_debt__rounded_up() -> None:
    """Half of 90 SWK + 1 Gwei may be repaid: ceil(45.0000000005 SWK) = 45 SWK + 1 Gwei."""
    state, host = emode_borrower(debt=90 * SWK + 1)
    host.staked_token_ledger.rate = 94 * WAD // 100
    assert quote_liquidation(state, host, BOB, "swk", "stswk", None).max_debt == 45 * SWK + 1


def test_liquidation__amount_below_the_close_factor__repays_that_amount_above__repays_the_most() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 94 * WAD // 100
    assert quote_liquidation(state, host, BOB, "swk", "stswk", 10 * SWK).debt_repaid == 10 * SWK
    assert quote_liquidation(state, host, BOB, "swk", "stswk", 80 * SWK).debt_repaid == 45 * SWK


def test_liquidation__zero__refused_one_gwei__allowed() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 94 * WAD // 100
    assert "positive" in refused(state, host, LIQ, Liquidate(borrower=BOB, amount=0), BelowMinimum)
    send(state, host, LIQ, Liquidate(borrower=BOB, amount=1))
    assert state.swk.debt_of(BOB) == 90 * SWK - 1


def test_liquidation__worthless_collateral__taken_for_nothing_and_the_debt_written_off() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 0
    shares = host.staked_token_ledger.shares_of(LIQ)
    send(state, host, LIQ, Liquidate(borrower=BOB))
    assert host.balance(LIQ) == 10_000 * SWK
    assert host.staked_token_ledger.shares_of(LIQ) == shares + 100 * SWK
    assert state.swk.deficit == 90 * SWK and state.swk.debt_of(BOB) == 0


def test_liquidation__at_a_debt_index_of_1_5__burns_the_repaid_debt_rounded_down() -> None:
    """Repaying 10 SWK of debt at a borrow index of 1.5 burns floor(10 / 1.5) scaled units."""
    state, host = emode_borrower()
    state.swk.borrow_index = to_u128(3 * RAY // 2)  # Bob owes 135 SWK now
    scaled = state.swk.debt[BOB]
    send(state, host, LIQ, Liquidate(borrower=BOB, amount=10 * SWK))
    assert scaled - state.swk.debt[BOB] == 10 * SWK * 2 // 3


def test_liquidation__seizing_at_a_supply_index_of_1_5__burns_the_collateral_rounded_up() -> None:
    state, host = emode_borrower()
    state.stswk.liquidity_index = to_u128(3 * RAY // 2)  # Bob's 100 shares of supply are worth 150
    state.stswk.cash += 50 * SWK
    host.staked_token_ledger.mint(module(host), 50 * SWK)
    host.staked_token_ledger.rate = 6 * WAD // 10  # 150 x 0.6 x 0.95 = 85.5 < 90
    scaled = state.stswk.supply[BOB]
    send(state, host, LIQ, Liquidate(borrower=BOB, amount=SWK + 1))
    seized = host.staked_token_ledger.shares_of(LIQ) - 10_000 * SWK
    assert seized > 0 and (seized * 2) % 3
    assert scaled - state.stswk.supply[BOB] == -(-seized * 2 // 3)


def test_liquidation__collateral_beyond_the_markets_cash__refused_unless_taken_as_supply() -> None:
    """Bob's SWK collateral is lent out to Carol: the SWK market's cash cannot pay it; as supply it can move."""
    state, host = make()
    send(state, host, BOB, Supply(amount=100 * SWK))
    send(state, host, CAROL, Supply(market="stswk", amount=1000 * SWK))
    send(state, host, CAROL, Borrow(amount=99 * SWK))
    send(state, host, ALICE, Supply(market="stswk", amount=1000 * SWK))
    send(state, host, BOB, Borrow(market="stswk", amount=80 * SWK))
    host.staked_token_ledger.rate = 12 * WAD // 10  # Bob's stSWK debt now worth 96 SWK
    state.oracle_anchor = 0
    refused(
        state, host, LIQ, Liquidate(borrower=BOB, debt_market="stswk", collateral_market="swk"), InsufficientLiquidity
    )
    send(state, host, LIQ, Liquidate(borrower=BOB, debt_market="stswk", collateral_market="swk", receive_supply=True))
    assert state.swk.supply_of(LIQ) > 0


def test_liquidation__same_market_debt_and_collateral__the_repayment_counts_as_cash() -> None:
    """Bob supplies and borrows SWK only; the market's other cash is lent out: the liquidator's repayment itself pays
    the seized collateral."""
    state, host = make()
    send(state, host, BOB, Supply(amount=100 * SWK))
    send(state, host, BOB, Borrow(amount=80 * SWK))
    send(state, host, CAROL, Supply(market="stswk", amount=1000 * SWK))
    send(state, host, CAROL, Borrow(amount=10 * SWK))  # 10 SWK of cash left; 15 x 1.05 = 15.75 to seize
    state.swk.debt[BOB] += 10 * SWK  # interest the accounting saw: 90 owed against 100 x 82.5 %
    state.swk.total_scaled_debt += 10 * SWK
    before = host.balance(LIQ)
    dispatch(state, host, LIQ, Liquidate(borrower=BOB, collateral_market="swk", amount=15 * SWK))
    assert host.balance(LIQ) > before


# --- bad debt ---------------------------------------------------------------------------------------------------------
def _write_off_of(state: LendingState, host: LendingHost, who: bytes, scaled: int) -> None:
    state.swk.debt[who] = scaled
    state.swk.total_scaled_debt += scaled
    write_off(state, host, who)


def test_bad_debt_history__64_records_kept__the_65th_drops_the_oldest() -> None:
    state, host = make()
    for i in range(BAD_DEBT_HISTORY):
        _write_off_of(state, host, bytes([i]) * 20, 1)
    assert len(state.bad_debts) == BAD_DEBT_HISTORY and state.bad_debts[0].borrower == bytes([0]) * 20
    _write_off_of(state, host, bytes([200]) * 20, 1)
    assert len(state.bad_debts) == BAD_DEBT_HISTORY
    assert state.bad_debts[0].borrower == bytes([1]) * 20 and state.bad_debts[-1].borrower == bytes([200]) * 20


def test_bad_debt__one_gwei__offered_to_the_safety_module_and_covered() -> None:
    state, host = make(with_safety=True)
    assert host.safety is not None
    safety_dispatch(host.safety, host, CAROL, SafetyStake(amount=1000 * SWK))
    safety_dispatch(host.safety, host, GOV, AuthorizeSlasher(address=module(host)))
    _write_off_of(state, host, BOB, 1)
    assert state.swk.deficit == 0 and state.swk.covered_total == 1 and state.bad_debts[-1].covered == 1


def test_bad_debt__beyond_the_safety_modules_cap__covered_in_part_the_rest_stays_a_deficit() -> None:
    state, host = make(with_safety=True)
    assert host.safety is not None
    safety_dispatch(host.safety, host, CAROL, SafetyStake(amount=10 * SWK))
    safety_dispatch(host.safety, host, GOV, AuthorizeSlasher(address=module(host)))
    _write_off_of(state, host, BOB, 100 * SWK)
    covered = state.swk.covered_total
    assert 0 < covered < 100 * SWK
    assert state.swk.deficit == 100 * SWK - covered and state.swk.cash == covered


# --- dispatch ---------------------------------------------------------------------------------------------------------
def test_dispatch__a_message_after_epochs_without_the_hook__accrues_first() -> None:
    state, host = _lent_market()
    before = state.swk.debt_index
    host.advance_epoch()
    host.advance_epoch()
    send(state, host, CAROL, Supply(amount=SWK))
    assert state.swk.last_update_epoch == host.epoch and state.swk.debt_index > before


class _OddCover:
    """A shortfall cover that pays what it is asked and reports ``extra`` more, or refuses with a long reason."""

    def __init__(self, host: LendingHost, extra: int = 0, refusal: str = "") -> None:
        self.host, self.extra, self.refusal = host, extra, refusal

    def cover_shortfall(self, reporter: bytes, vault: str, amount: int, recipient: bytes, reason: str) -> int:
        if self.refusal:
            raise StakeworkError(self.refusal)
        self.host.credit(recipient, amount)
        return amount + self.extra


class _OddCoverHost(LendingHost):
    cover: _OddCover | None = None

    @property
    def shortfall_cover(self) -> _OddCover | None:  # type: ignore[override]
        return self.cover


def _odd_cover_world(extra: int = 0, refusal: str = "") -> tuple[LendingState, _OddCoverHost]:
    host = _OddCoverHost()
    host.cover = _OddCover(host, extra, refusal)
    state = new_state(get_preset("mainnet"), governance=GOV, treasury=TREASURY)
    return state, host


def test_bad_debt__a_cover_reporting_more_than_the_deficit__counts_only_the_deficit() -> None:
    state, host = _odd_cover_world(extra=5)
    _write_off_of(state, host, BOB, 100)
    assert state.swk.deficit == 0 and state.swk.cash == 100 and state.swk.covered_total == 100


def test_bad_debt__a_long_refusal__its_reason_kept_to_160_characters() -> None:
    state, host = _odd_cover_world(refusal="r" * 300)
    _write_off_of(state, host, BOB, 100)
    assert state.swk.deficit == 100 and state.cover_failures == 1
    assert state.last_cover_error == "r" * 160


def test_set_collateral__off_when_the_rest_cannot_carry_the_debt__refused_naming_the_health_factor() -> None:
    """E-mode: 50 SWK + 100 stSWK back 130 SWK of debt; without the SWK, 100 x 95 % < 130."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(amount=50 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, SetEmode(enabled=True))
    send(state, host, BOB, Borrow(amount=130 * SWK))
    msg = refused(state, host, BOB, SetCollateral(market="swk", enabled=False), HealthFactorTooLow)
    assert "turning off swk as collateral" in msg and "0.7308" in msg
    send(state, host, BOB, Repay(amount=50 * SWK))
    send(state, host, BOB, SetCollateral(market="swk", enabled=False))
    assert not state.is_collateral(BOB, "swk")


def test_liquidation__receive_supply_to_exactly_2_64_minus_1_scaled__allowed_one_more_refused() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 94 * WAD // 100
    seized = quote_liquidation(state, host, BOB, "swk", "stswk", SWK).collateral_seized
    state.stswk.supply[LIQ] = MAX_U64 - seized + 1
    msg = Liquidate(borrower=BOB, amount=SWK, receive_supply=True)
    refused(state, host, LIQ, msg, CapExceeded)
    state.stswk.supply[LIQ] = MAX_U64 - seized
    dispatch(state, host, LIQ, msg)
    assert state.stswk.supply[LIQ] == MAX_U64


# --- the oracle -------------------------------------------------------------------------------------------------------
def test_oracle__no_anchor_yet__an_exchange_rate_past_2_64_minus_1_capped_there() -> None:
    state, host = make()
    host.staked_token_ledger.rate = 2**70
    view = stswk_price(state, host)
    assert state.oracle_anchor == 0 and view.capped_rate == view.price == MAX_U64


def test_oracle__anchored__an_exchange_rate_past_2_64_minus_1_capped_there() -> None:
    state, host = make(params=LendingParameters(oracle_max_growth_ppb=10**9))
    state.oracle_anchor = MAX_U64 - 1
    state.oracle_epoch = host.epoch
    host.advance_epoch()
    host.staked_token_ledger.rate = 2**70
    assert stswk_price(state, host).price == MAX_U64


def test_oracle__growth_cap_inexact__rounded_down() -> None:
    """An anchor of 10^18 + 7 grows by 10^4 ppb over 3 epochs: 3 x 10^4 x (10^18 + 7) / 10^9, rounded down."""
    state, host = make()
    state.oracle_anchor = WAD + 7
    state.oracle_epoch = host.epoch
    for _ in range(3):
        host.advance_epoch()
    host.staked_token_ledger.rate = 2 * WAD
    view = stswk_price(state, host)
    assert view.price == WAD + 7 + (WAD + 7) * 30_000 // 10**9 and ((WAD + 7) * 30_000) % 10**9
    assert view.source == "exchange rate (capped)"


def test_oracle__rate_exactly_at_the_cap__uncapped_source() -> None:
    state, host = make()
    state.oracle_anchor = WAD
    state.oracle_epoch = host.epoch
    host.advance_epoch()
    host.staked_token_ledger.rate = WAD + WAD // 100_000
    view = stswk_price(state, host)
    assert view.price == WAD + WAD // 100_000 and view.source == "exchange rate"


def test_oracle__same_epoch_as_the_anchor__no_growth_allowed() -> None:
    state, host = make()
    state.oracle_anchor = WAD
    state.oracle_epoch = host.epoch
    host.staked_token_ledger.rate = 2 * WAD
    assert stswk_price(state, host).price == WAD


def test_oracle__refresh_without_the_liquid_module__anchor_unchanged() -> None:
    state = new_state(get_preset("mainnet"), governance=GOV, treasury=TREASURY)
    host = FakeHost()
    state.oracle_anchor, state.oracle_epoch = 5, 0
    host.advance_epoch()
    refresh_anchor(state, host)
    assert (state.oracle_anchor, state.oracle_epoch) == (5, 0)


def test_oracle__refresh__anchor_and_its_epoch_move_to_now() -> None:
    state, host = make()
    host.advance_epoch()
    host.staked_token_ledger.rate = 3 * WAD // 2
    refresh_anchor(state, host)
    assert (state.oracle_anchor, state.oracle_epoch) == (3 * WAD // 2, host.epoch)


class _RefusingAmm:
    def twap_price(self) -> int:
        raise StakeworkError("no history in the window")

    def spot_price(self) -> int:
        return 0


def test_oracle__amm_refusing_its_twap_and_without_a_spot__the_exchange_rate_alone() -> None:
    state, host = make()
    host.amm_oracle = _RefusingAmm()  # type: ignore[assignment]
    view = stswk_price(state, host)
    assert view.twap is None and view.spot is None and view.price == WAD and view.source == "exchange rate"


def test_oracle__twap_of_one_unit__a_price_not_absent() -> None:
    state, host = make(amm=FakeAmm(twap=1, spot=1))
    view = stswk_price(state, host)
    assert view.twap == 1 and view.spot == 1 and view.price == WAD * 9 // 10


def test_oracle__no_discount_allowed__the_exchange_rate_whatever_the_twap() -> None:
    state, host = make(amm=FakeAmm(twap=WAD // 2), params=LendingParameters(oracle_max_discount_bps=0))
    view = stswk_price(state, host)
    assert view.price == WAD and view.source == "exchange rate"


def test_oracle__twap_exactly_the_rate__source_is_the_rate() -> None:
    state, host = make(amm=FakeAmm(twap=WAD))
    assert stswk_price(state, host).source == "exchange rate"


def test_oracle__twap_exactly_at_the_bound__the_twap() -> None:
    state, host = make(amm=FakeAmm(twap=WAD * 9 // 10))
    view = stswk_price(state, host)
    assert view.price == WAD * 9 // 10 and view.source == "AMM TWAP"


def test_oracle__bound_inexact__rounded_down() -> None:
    """A rate of 10^18 + 7 with a 10 % bound: floor((10^18 + 7) x 0.9)."""
    state, host = make(amm=FakeAmm(twap=1))
    host.staked_token_ledger.rate = WAD + 7
    assert stswk_price(state, host).price == (WAD + 7) * 9 // 10 and ((WAD + 7) * 9) % 10


def test_oracle__swk_is_the_unit__priced_one() -> None:
    state, host = make()
    assert prices(state, host)["swk"] == 10**18


def test_liquidation__seizure_one_more_than_the_collateral_markets_cash__refused() -> None:
    state, host = make()
    send(state, host, BOB, Supply(amount=100 * SWK))
    send(state, host, ALICE, Supply(market="stswk", amount=1000 * SWK))
    send(state, host, BOB, Borrow(market="stswk", amount=80 * SWK))
    host.staked_token_ledger.rate = 12 * WAD // 10
    state.oracle_anchor = 0
    seized = quote_liquidation(state, host, BOB, "stswk", "swk", SWK).collateral_seized
    state.swk.cash = seized - 1
    msg = Liquidate(borrower=BOB, debt_market="stswk", collateral_market="swk", amount=SWK)
    refused(state, host, LIQ, msg, InsufficientLiquidity)
    state.swk.cash = seized
    dispatch(state, host, LIQ, msg)
    assert state.swk.cash == 0


def test_liquidation__collateral_exactly_the_rounded_down_seizure__the_amount_asked_is_repaid() -> None:
    """Bob: 34 Gwei of SWK collateral, 40 stSWK shares of debt at 0.9 (HF 0.78: close factor 100 %). Repaying 37
    shares buys floor(37 x 0.9 x 1.05) = 34 Gwei, exactly what he holds: all 34 are seized for the 37 asked."""
    state, host = make()
    send(state, host, ALICE, Supply(market="stswk", amount=1000 * SWK))
    state.swk.supply[BOB] = 34
    state.swk.total_scaled_supply += 34
    state.swk.cash += 34
    host.fund(module(host), 34)
    state.stswk.debt[BOB] = 40
    state.stswk.total_scaled_debt += 40
    host.staked_token_ledger.rate = 9 * WAD // 10
    q = quote_liquidation(state, host, BOB, "stswk", "swk", 37)
    assert (q.debt_repaid, q.collateral_seized) == (37, 34)


def test_oracle__no_liquid_module__stswk_unpriced_source_none() -> None:
    state = new_state(get_preset("mainnet"), governance=GOV, treasury=TREASURY)
    view = stswk_price(state, FakeHost())
    assert view.price == 0 and view.source == "none" and view.exchange_rate is None


def _small_swk_collateral_stswk_debt() -> tuple[LendingState, LendingHost]:
    """Bob: 34 Gwei of SWK collateral, 40 stSWK shares of debt at 0.9 (HF 0.78)."""
    state, host = make()
    send(state, host, ALICE, Supply(market="stswk", amount=1000 * SWK))
    state.swk.supply[BOB] = 34
    state.swk.total_scaled_supply += 34
    state.swk.cash += 34
    host.fund(module(host), 34)
    state.stswk.debt[BOB] = 40
    state.stswk.total_scaled_debt += 40
    host.staked_token_ledger.rate = 9 * WAD // 10
    return state, host


def test_liquidation__a_repayment_buying_no_collateral__refused() -> None:
    """One share of debt at 0.9 buys floor(0.9 x 1.05) = 0 Gwei of SWK: nothing to seize, refused."""
    state, host = _small_swk_collateral_stswk_debt()
    msg = Liquidate(borrower=BOB, debt_market="stswk", collateral_market="swk", amount=1)
    assert "seize no collateral" in refused(state, host, LIQ, msg, BelowMinimum)


def test_liquidation__a_repayment_below_one_scaled_unit_of_debt__refused() -> None:
    """At a borrow index of 1.5 one Gwei of debt is less than a scaled unit: refused, the liquidator pays nothing."""
    state, host = emode_borrower()
    state.swk.borrow_index = to_u128(3 * RAY // 2)
    host.staked_token_ledger.rate = 94 * WAD // 100
    msg = refused(state, host, LIQ, Liquidate(borrower=BOB, amount=1), BelowMinimum)
    assert "less than one scaled unit" in msg


def test_liquidation__receive_supply_of_all_2_64_minus_1_scaled_units_by_a_liquidator_without_supply__allowed() -> None:
    """Bob is the stSWK market's only supplier, with all 2^64 - 1 scaled units, and owes 10^19 Gwei at 0.5: a
    liquidator who holds no supply takes every unit as supply (exactly the store's bound)."""
    state, host = make()
    state.stswk.supply[BOB] = MAX_U64
    state.stswk.total_scaled_supply = MAX_U64
    state.swk.debt[BOB] = 10**19
    state.swk.total_scaled_debt = 10**19
    host.staked_token_ledger.rate = WAD // 2
    host.fund(LIQ, 10**19)
    dispatch(state, host, LIQ, Liquidate(borrower=BOB, receive_supply=True))
    assert state.stswk.supply[LIQ] == MAX_U64 and BOB not in state.stswk.supply
