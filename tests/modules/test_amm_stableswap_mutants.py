"""StableSwap math rules that mutation testing (scripts/mutate on amm/stableswap.py) showed no other test pinned
down: D of an empty pool and the refusal of a one-sided one, the bisection where Curve's Newton step cycles, the
closed form where ``get_y_D``'s Newton iteration needs more than Curve's 255 steps (numbers of 220 digits: the
function's own contract, beyond any pool's), the argument checks of ``get_y``/``get_y_D``, Curve's ``MAX_A``, the
ramp of A at its ends, and the rounding loops of the swaps and withdrawals at their last step.

Each test names the behaviour; exact values come from Curve's Vyper transcribed in tests/reference/amm_reference.py
or from the quadratic and the invariant written out here."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from reference import amm_reference as ref
from stakework.modules.amm import stableswap as ss
from stakework.modules.amm.errors import BelowMinimum, EmptyPool, RoundingRefused
from stakework.modules.amm.handlers import dispatch
from stakework.modules.amm.messages import RampA
from stakework.modules.amm.state import new_state
from stakework.modules.amm.testing import FakeAmmHost
from stakework.spec.presets import get_preset

P = 10**18
AP = ss.A_PRECISION
GOV, TREASURY = b"G" * 20, b"T" * 20


def invariant_gap(xp: tuple[int, int], amp: int, d: int) -> Fraction:
    """Curve's invariant for two coins as its code states it (``Ann = A n`` where the paper has ``A n^n``):
    ``Ann S + D - (Ann D + D^3 / (n^n x0 x1))`` at ``A = amp / 100``, exactly: positive below the root D, negative
    above it."""
    ann = Fraction(amp * 2, AP)
    return ann * sum(xp) + d - ann * d - Fraction(d**3, 4 * xp[0] * xp[1])


def quadratic(amp: int, i: int, xp: tuple[int, int], d: int, y: int) -> int:
    """Curve's ``get_y_D`` equation ``y^2 + (b - D) y - c`` with its own integer ``b`` and ``c``, at ``y``."""
    x = xp[1 - i]
    c = d * d // (x * 2)
    c = c * d * AP // (amp * 2 * 2)
    b = x + d * AP // (amp * 2)
    return y * y + (b - d) * y - c


# --- get_D ------------------------------------------------------------------------------------------------------------
def test_get_d__empty_pool__is_0() -> None:
    assert ss.get_D((0, 0), 100 * AP) == 0 == ref.get_D([0, 0], 100 * AP)


@pytest.mark.parametrize("xp", [(0, 5), (5, 0)])
def test_get_d__one_side_empty__refused_as_undefined(xp: tuple[int, int]) -> None:
    with pytest.raises(EmptyPool, match="one side of the pool is empty: D is undefined"):
        ss.get_D(xp, 100 * AP)


@pytest.mark.parametrize("xp", [(1, 1), (1, 3), (3, 1)])
def test_get_d__a_side_of_one_unit__curves_d(xp: tuple[int, int]) -> None:
    assert ss.get_D(xp, 100 * AP) == ref.get_D(list(xp), 100 * AP)


@pytest.mark.parametrize(
    ("xp", "amp"),
    [((404_287_088_465, 80_905_961), 1 * AP), ((384_717_499_235, 86_941_807), 10 * AP), ((10**18, 10**13), 1 * AP)],
)
def test_get_d__lopsided_pool_where_curves_newton_cycles__the_floor_of_the_true_root(
    xp: tuple[int, int], amp: int
) -> None:
    with pytest.raises(ValueError, match="did not converge"):
        ref.get_D(list(xp), amp)
    d = ss.get_D(xp, amp)
    assert invariant_gap(xp, amp, d) >= 0 > invariant_gap(xp, amp, d + 1)


@pytest.mark.parametrize("amp", [1 * AP, 100 * AP, 5000 * AP])
def test_bisect_d__balanced_pool__the_exact_integer_root_2x(amp: int) -> None:
    """At x0 = x1 the invariant's root is exactly D = 2 x: the bisection keeps a point where it is exactly 0."""
    assert invariant_gap((10**9, 10**9), amp, 2 * 10**9) == 0
    assert ss._bisect_D((10**9, 10**9), amp) == 2 * 10**9


# --- get_y_D, get_y ---------------------------------------------------------------------------------------------------
def test_get_y_d__newton_converges_at_curves_255th_step__curves_value() -> None:
    """At a one-unit side against 2 x 10^223, Newton's iteration from y = D halves its way down and converges at
    exactly the 255th step: Curve's value, not the closed form."""
    xp, amp = (2 * 10**223, 1), 100 * AP
    d = ss.get_D(xp, amp)
    assert ss.get_y_D(amp, 0, xp, d) == ref.get_y_D(amp, 0, list(xp), d)


@pytest.mark.parametrize("xp", [(2 * 10**224, 1), (10**225, 1), (10**240, 1)])
def test_get_y_d__newton_past_255_steps__closed_form_root_rounded_up(xp: tuple[int, int]) -> None:
    """Where Curve's loop would revert (256 steps or more), the least y above the quadratic's root: one unit more
    than Newton's floor, left in the pool."""
    amp = 100 * AP
    d = ss.get_D(xp, amp)
    with pytest.raises(ValueError, match="get_y_D did not converge"):
        ref.get_y_D(amp, 0, list(xp), d)
    y = ss.get_y_D(amp, 0, xp, d)
    assert quadratic(amp, 0, xp, d, y) > 0 >= quadratic(amp, 0, xp, d, y - 1)


@pytest.mark.parametrize(
    ("amp", "i", "xp", "d"),
    [(10 * AP, 0, (3, 56), 55), (1000 * AP, 0, (4, 70), 72), (1000 * AP, 0, (10, 450), 456)],
)
def test_get_y_d__newton_moves_by_2_then_by_1__curves_value_after_the_step_of_1(
    amp: int, i: int, xp: tuple[int, int], d: int
) -> None:
    assert ss.get_y_D(amp, i, xp, d) == ref.get_y_D(amp, i, list(xp), d)


@pytest.mark.parametrize(
    ("amp", "i", "xp", "d"),
    [(5000 * AP, 1, (6312, 3), 6026), (1000 * AP, 1, (2698, 4), 2518), (1000 * AP, 0, (10, 450), 456)],
)
def test_get_y_d__newton_cycles_between_two_integers__curves_value_at_the_first_step_of_1(
    amp: int, i: int, xp: tuple[int, int], d: int
) -> None:
    """Small pools (the first two at their own D): Newton's iteration never settles, it alternates between two
    neighbours; Curve stops at the first step of at most 1 (not the closed form after 255 steps)."""
    assert ss.get_y_D(amp, i, xp, d) == ref.get_y_D(amp, i, list(xp), d)


def test_get_y_d__d_of_1__computed_as_curve_does() -> None:
    assert ss.get_y_D(100 * AP, 0, (1, 1), 1) == 0 == ref.get_y_D(100 * AP, 0, [1, 1], 1)


@pytest.mark.parametrize(("i", "d"), [(-1, 2000), (2, 2000), (0, 0), (1, -1)])
def test_get_y_d__coin_out_of_range_or_d_not_positive__value_error(i: int, d: int) -> None:
    with pytest.raises(ValueError, match="coin index out of range or D not positive"):
        ss.get_y_D(100 * AP, i, (1000, 1000), d)


@pytest.mark.parametrize("i", [0, 1])
def test_get_y_d__the_other_side_empty__refused_as_empty(i: int) -> None:
    xp = (0, 1000) if i == 1 else (1000, 0)
    with pytest.raises(EmptyPool, match="one side of the pool is empty"):
        ss.get_y_D(100 * AP, i, xp, 2000)


@pytest.mark.parametrize(("i", "j"), [(0, 0), (1, 1), (-1, 1), (0, 2), (2, 1), (1, -1)])
def test_get_y__same_or_unknown_coins__value_error(i: int, j: int) -> None:
    with pytest.raises(ValueError, match="the coins must differ and be 0 or 1"):
        ss.get_y(i, j, 500, (1000, 1000), 100 * AP, 2000)


@pytest.mark.parametrize("x", [0, -1])
def test_get_y__a_new_balance_of_0_or_less__refused_as_outside_the_curve(x: int) -> None:
    with pytest.raises(EmptyPool, match="a balance of 0 is outside the curve"):
        ss.get_y(0, 1, x, (1000, 1000), 100 * AP, 2000)


@pytest.mark.parametrize("i", [0, 1])
def test_get_y__a_new_balance_of_one_unit__curves_other_balance(i: int) -> None:
    assert (
        ss.get_y(i, 1 - i, 1, (1000, 1000), 100 * AP, 2000)
        == 4309
        == ref.get_y(i, 1 - i, 1, [1000, 1000], 100 * AP, 2000)
    )


# --- A ----------------------------------------------------------------------------------------------------------------
def test_ramp_a__to_999_999_curves_max_a_less_one__accepted_and_reached() -> None:
    """Curve's MAX_A is 10^6: A up to 999,999 (a tenfold ramp from 100,000)."""
    state = new_state(get_preset("minimal"), governance=GOV, treasury=TREASURY, a=100_000, twap_window=4)
    state.min_ramp_epochs = state.ramp_epochs = 3
    host = FakeAmmHost(rate=P)
    host.epoch = 3
    dispatch(state, host, GOV, RampA(future_a=999_999, future_epoch=10))
    assert state.a(10) == 999_999 * AP


@pytest.mark.parametrize(("initial", "future"), [(100 * AP, 100 * AP), (100 * AP, 200 * AP), (200 * AP, 100 * AP)])
def test_ramp_a__at_the_epoch_it_was_set_without_a_ramp__the_future_a(initial: int, future: int) -> None:
    """A pool whose A was set at epoch 5 and never ramped (initial and future epoch both 5): A at epoch 5."""
    assert ss.ramp_a(initial, future, 5, 5, 5) == future == ref._A(initial, future, 5, 5, 5)


# --- the swaps' rounding loops ----------------------------------------------------------------------------------------
def d_of_the_move(pool: ss.Pool, i: int, dx: int, out: int) -> int:
    """The exact-in check's D: the balances before (SWK value), moved by ``dx`` valued rounded down and ``out`` (the
    output with the admin's cut) valued rounded up, each on its own."""
    moved = list(pool.xp)
    moved[i] += dx * pool.rates[i] // P
    moved[1 - i] -= -(-out * pool.rates[1 - i] // P)
    return ss.get_D((moved[0], moved[1]), pool.amp)


def test_exchange__d_short_by_a_gwei_at_a_share_price_of_0_116__output_lowered_8_units_the_most_allowed() -> None:
    """A = 1 and a pool 1200:1 in value: Curve's quote (``xp[j] - y - 1``) would lower D by a Gwei, which is 8.6
    shares at 0.1156 SWK each. The output is the largest that keeps D, found on the last of its 9 tries."""
    pool = ss.Pool((309_781_365, 2_226_384), (P, 115_622_457_669_875_698), 1 * AP, 0, 5 * 10**9, 1000)
    swap = ss.exchange(pool, 0, 31_494_389)
    assert swap.admin == 0 and swap.dy == 408_320
    assert d_of_the_move(pool, 0, 31_494_389, swap.dy) >= swap.d0 > d_of_the_move(pool, 0, 31_494_389, swap.dy + 1)
    quote = ref.CurvePool([309_781_365, 2_226_384], [P, 115_622_457_669_875_698], 1 * AP, 0, 0, 1000)
    assert quote.get_dy(0, 1, 31_494_389) == swap.dy + 8


def test_exchange__d_short_by_9_units_of_a_cheap_share__refused_as_rounding() -> None:
    """The same at 0.1105 SWK a share: keeping D needs the output lowered 9 units, one more than allowed."""
    pool = ss.Pool((309_625_326, 2_320_220), (P, 110_501_993_823_964_808), 1 * AP, 0, 0, 1000)
    with pytest.raises(RoundingRefused, match="cannot be priced without lowering the pool's D; sell more"):
        ss.exchange(pool, 0, 31_431_960)
    quote = ref.CurvePool([309_625_326, 2_320_220], [P, 110_501_993_823_964_808], 1 * AP, 0, 0, 1000)
    dy = quote.get_dy(0, 1, 31_431_960)
    assert d_of_the_move(pool, 0, 31_431_960, dy - 8) < pool.d() <= d_of_the_move(pool, 0, 31_431_960, dy - 9)


def balanced(rate: int = P, fee: int = 0, side: int = 10**12) -> ss.Pool:
    """A pool of ``side`` of each coin (in native units) at A 100, its LP supply the sum."""
    return ss.Pool((side, side), (P, rate), 100 * AP, fee, 0, 2 * side)


@pytest.mark.parametrize("dx", [0, -1])
def test_exchange__nothing_or_less__refused_as_below_minimum(dx: int) -> None:
    with pytest.raises(BelowMinimum, match="sell a positive amount"):
        ss.exchange(balanced(), 0, dx)


@pytest.mark.parametrize(
    "pool",
    [
        ss.Pool((10**12, 10**12), (P, P), 100 * AP, 0, 0, 0),
        ss.Pool((0, 10**12), (P, P), 100 * AP, 0, 0, 10**12),
        ss.Pool((10**12, 0), (P, P), 100 * AP, 0, 0, 10**12),
    ],
)
def test_exchange_and_exact_out__no_lp_supply_or_a_side_empty__refused_as_empty(pool: ss.Pool) -> None:
    with pytest.raises(EmptyPool, match="the pool has no liquidity: add both coins first"):
        ss.exchange(pool, 0, 1000)
    with pytest.raises(EmptyPool, match="the pool has no liquidity: add both coins first"):
        ss.exchange_exact_out(pool, 0, 1000)


def test_exchange__one_unit_into_a_balanced_pool__buys_exactly_nothing_refused() -> None:
    """``xp[j] - y - 1`` is exactly 0: nothing to pay out."""
    with pytest.raises(BelowMinimum, match="1 units buy nothing from the pool; sell more"):
        ss.exchange(balanced(), 0, 1)


def test_exchange__one_gwei_out_worth_less_than_a_share_at_1_5__refused_as_rounding() -> None:
    """2 Gwei buy 1 Gwei of value, two thirds of a share at 1.5 SWK a share: 0 shares, refused, not paid as 0."""
    with pytest.raises(RoundingRefused, match="selling 2 units cannot be priced"):
        ss.exchange(balanced(rate=3 * P // 2), 0, 2)
    assert ss.exchange(balanced(rate=3 * P // 2), 0, 3).dy == 1


@pytest.mark.parametrize("dy", [0, -1])
def test_exchange_exact_out__nothing_or_less__refused_as_below_minimum(dy: int) -> None:
    with pytest.raises(BelowMinimum, match="buy a positive amount"):
        ss.exchange_exact_out(balanced(), 0, dy)


@pytest.mark.parametrize("extra", [0, 1])
def test_exchange_exact_out__all_of_a_coin_or_more__refused_naming_the_balance(extra: int) -> None:
    with pytest.raises(BelowMinimum, match="the pool holds 1000000 of that coin; buy less than that"):
        ss.exchange_exact_out(balanced(side=10**6), 0, 10**6 + extra)


def test_exchange_exact_out__all_but_one_unit_without_a_fee__refused_as_emptying_the_side() -> None:
    """Rounded up, the output plus one is exactly the side's balance: the curve has no point there."""
    with pytest.raises(BelowMinimum, match="buying 999999 would empty the pool's side; buy less"):
        ss.exchange_exact_out(balanced(side=10**6), 0, 10**6 - 1)


def test_exchange_exact_out__one_gwei_for_shares_worth_3__costs_one_share_the_surplus_a_fee() -> None:
    pool = balanced(rate=3 * P)
    swap = ss.exchange_exact_out(pool, 1, 1)
    sold = ss.exchange(pool, 1, 1)
    assert (swap.dx, swap.dy, swap.admin) == (1, 1, 0)
    assert swap.fee == sold.fee + sold.dy - 1 and sold.dy > 1
    assert swap.balances == (10**12 - 1, 10**12 + 1) and swap.d1 == pool.d(swap.balances) > swap.d0


# --- deposits ---------------------------------------------------------------------------------------------------------
def small(rate: int = P, fee: int = 0) -> ss.Pool:
    """10^6 Gwei of value a side at A 100, LP supply 2 x 10^6."""
    return ss.Pool((10**6, 10**6 * P // rate), (P, rate), 100 * AP, fee, 0, 2 * 10**6)


@pytest.mark.parametrize("amounts", [(0, 0), (-1, 5), (5, -1)])
def test_add_liquidity__nothing_or_a_negative_amount__refused_as_below_minimum(amounts: tuple[int, int]) -> None:
    with pytest.raises(BelowMinimum, match="add a positive amount of at least one coin"):
        ss.add_liquidity(small(), amounts)


@pytest.mark.parametrize("amounts", [(5, 0), (0, 5)])
def test_add_liquidity__first_deposit_of_one_coin__refused_as_empty(amounts: tuple[int, int]) -> None:
    with pytest.raises(EmptyPool, match="the first deposit into the pool must bring both SWK and stSWK"):
        ss.add_liquidity(ss.Pool((0, 0), (P, P), 100 * AP, 0, 0, 0), amounts)


def test_add_liquidity__first_deposit__d_of_the_coins_no_fee_nothing_before() -> None:
    dep = ss.add_liquidity(ss.Pool((0, 0), (P, 2 * P), 100 * AP, 4_000_000, 5 * 10**9, 0), (2000, 1000))
    assert dep == ss.Deposit(
        balances=(2000, 1000), admin=(0, 0), fees=(0, 0), d0=0, d0_up=0, d2=4000, d_after=4000, curve_shares=0
    )
    assert dep.credit(0) == 4000


def test_add_liquidity__one_share_worth_half_a_gwei__refused_as_not_raising_d() -> None:
    with pytest.raises(BelowMinimum, match="the deposit does not raise the pool's D; add more"):
        ss.add_liquidity(small(rate=P // 2), (0, 1))


def test_add_liquidity__two_gwei_into_a_large_pool_with_a_fee__refused_as_adding_nothing_after_the_fee() -> None:
    """Each coin's imbalance fee rounds up to a unit: D after the fee is D before."""
    pool = ss.Pool((10**12, 10**12), (P, P), 100 * AP, 4_000_000, 0, 2 * 10**12)
    with pytest.raises(BelowMinimum, match="after the imbalance fee the deposit adds nothing to the pool"):
        ss.add_liquidity(pool, (2, 0))
    assert ss.add_liquidity(pool, (4, 0)).d2 > pool.d()


def test_add_liquidity__one_coin_a_hundredfold_at_a_fee_of_50_percent__refused_as_too_lopsided() -> None:
    """The other coin's fee (half its distance from the balanced deposit) is more than the pool holds of it."""
    with pytest.raises(BelowMinimum, match="the deposit is too lopsided for the pool; add some of both coins"):
        ss.add_liquidity(small(fee=5 * 10**9), (10**8, 0))


@pytest.mark.parametrize(
    ("balances", "rate", "amp", "fee", "admin_fee", "supply", "amounts"),
    [
        ((10**12, 10**12), P, 100 * AP, 4_000_000, 5 * 10**9, 2 * 10**12, (10**11, 0)),
        ((10**12, 8 * 10**11), 5 * P // 4, 10 * AP, 1, 0, 2 * 10**12 - 3, (3 * 10**10, 7 * 10**9)),
        ((5 * 10**11, 2 * 10**12), 7 * P // 10, 1000 * AP, 100_000_000, 10**10, 10**12, (0, 10**12)),
        ((3 * 10**9, 10**9), 1_999_999_999_999_999_999, 50 * AP, 3, 5 * 10**9, 10**9 + 7, (123_456_789, 987_654)),
    ],
)
def test_add_liquidity__curve_shares__exactly_what_curves_add_liquidity_mints(
    balances: tuple[int, int], rate: int, amp: int, fee: int, admin_fee: int, supply: int, amounts: tuple[int, int]
) -> None:
    pool = ss.Pool(balances, (P, rate), amp, fee, admin_fee, supply)
    curve = ref.CurvePool(list(balances), [P, rate], amp, fee, admin_fee, supply)
    dep = ss.add_liquidity(pool, amounts)
    assert dep.curve_shares == curve.add_liquidity(list(amounts), 0)
    assert dep.d0 == pool.d() and dep.d0_up == ss.get_D(ss.xp_up(balances, (P, rate)), amp)
    assert dep.d_after == pool.d(dep.balances)
    assert all(dep.admin[k] == dep.fees[k] * admin_fee // ss.FEE_DENOMINATOR for k in (0, 1))


def deposit(d0: int, d0_up: int, d2: int, d_after: int, curve_shares: int) -> ss.Deposit:
    return ss.Deposit((1, 1), (0, 0), (0, 0), d0=d0, d0_up=d0_up, d2=d2, d_after=d_after, curve_shares=curve_shares)


@pytest.mark.parametrize(
    ("dep", "supply", "credit"),
    [
        # the module's own shares bind: 999 x 104 / 1003 = 103 shares, worth 103 x 1000 / 999 = 103 of D
        (deposit(1000, 1003, 1107, 10**9, 10**9), 999, 103),
        # Curve's shares bind: 50 shares, worth 50 x 1000 / 999 = 50
        (deposit(1000, 1003, 1107, 10**9, 50), 999, 50),
        # the rise of D binds: 30
        (deposit(1000, 1003, 1107, 1030, 10**9), 999, 30),
        # D fell (the pool's rounding): nothing
        (deposit(1000, 1003, 1107, 990, 10**9), 999, 0),
        # the first deposit: D2 itself
        (deposit(0, 0, 5000, 5000, 0), 0, 5000),
        # one LP share worth 3 of D: 2 shares x 3000 / 1000 = 6 (2 shares: 1000 x 7 / 3001)
        (deposit(3000, 3001, 3008, 10**9, 10**9), 1000, 6),
    ],
)
def test_deposit_credit__the_least_of_its_shares_curves_shares_and_the_rise_of_d(
    dep: ss.Deposit, supply: int, credit: int
) -> None:
    assert dep.credit(supply) == credit


# --- withdrawals ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shares", [0, -1])
def test_remove_liquidity__no_shares_or_less__refused(shares: int) -> None:
    with pytest.raises(BelowMinimum, match="burn a positive number of LP shares"):
        ss.remove_liquidity(small(), shares)
    with pytest.raises(BelowMinimum, match="burn a positive number of LP shares"):
        ss.remove_liquidity_one_coin(small(), shares, 0)


def test_remove_liquidity__all_shares__all_coins_one_more__refused() -> None:
    pool = ss.Pool((10**6, 3 * 10**5 + 7), (P, 3 * P), 100 * AP, 0, 0, 1_900_021)
    assert ss.remove_liquidity(pool, 1_900_021) == (10**6, 3 * 10**5 + 7)
    assert ss.remove_liquidity(pool, 1_000_000) == (10**12 // 1_900_021, (3 * 10**5 + 7) * 10**6 // 1_900_021)
    with pytest.raises(BelowMinimum, match="more LP shares than exist"):
        ss.remove_liquidity(pool, 1_900_022)


@pytest.mark.parametrize("extra", [0, 1])
def test_remove_liquidity_one_coin__all_shares_or_more__refused_keeping_the_dead_shares(extra: int) -> None:
    with pytest.raises(BelowMinimum, match="the pool keeps its locked dead shares; burn fewer LP shares"):
        ss.remove_liquidity_one_coin(small(), 2 * 10**6 + extra, 0)


@pytest.mark.parametrize("balances", [(0, 10**6), (10**6, 0)])
def test_remove_liquidity_one_coin__a_side_empty__refused_as_empty(balances: tuple[int, int]) -> None:
    with pytest.raises(EmptyPool, match="the pool has no liquidity"):
        ss.remove_liquidity_one_coin(ss.Pool(balances, (P, P), 100 * AP, 0, 0, 10**6), 10, 0)


def test_remove_liquidity_one_coin__one_share_worth_a_gwei__refused_as_worth_nothing() -> None:
    """Curve's "withdraw less" unit takes the one Gwei the share is worth."""
    with pytest.raises(BelowMinimum, match="1 LP shares are worth nothing in that coin; burn more"):
        ss.remove_liquidity_one_coin(small(), 1, 0)


def test_spot_price__no_lp_supply_or_no_coins__no_price() -> None:
    for pool in (ss.Pool((0, 0), (P, P), 100 * AP, 0, 0, 0), ss.Pool((10, 10), (P, P), 100 * AP, 0, 0, 0)):
        with pytest.raises(EmptyPool, match="the pool has no liquidity, so no price"):
            ss.spot_price(pool)


# --- what a swap and a one-coin withdrawal report ---------------------------------------------------------------------
@pytest.mark.parametrize(("i", "rate"), [(0, 5 * P // 4), (1, 5 * P // 4), (0, 7 * P // 10), (1, P)])
def test_exchange__output_fee_and_admin_cut__curves_y_with_the_fee_rounded_up_and_the_cut_down(
    i: int, rate: int
) -> None:
    """From Curve's ``y``: ``dy_xp = xp[j] - y - 1``, the fee ``ceil(dy_xp x 0.04 %)``, the output and the fee in
    coin ``j``'s units rounded down, the admin's cut ``floor(fee x 50 %)`` in coin ``j``'s units rounded down."""
    balances, rates = (10**12, 9 * 10**11), (P, rate)
    pool = ss.Pool(balances, rates, 100 * AP, 4_000_000, 5 * 10**9, 10**12)
    dx, j = 3 * 10**10 + 7, 1 - i
    xp = ss.xp_of(balances, rates)
    d0 = ref.get_D(list(xp), pool.amp)
    dy_xp = xp[j] - ref.get_y(i, j, xp[i] + dx * rates[i] // P, list(xp), pool.amp, d0) - 1
    fee_xp = -(-dy_xp * 4_000_000 // ss.FEE_DENOMINATOR)
    swap = ss.exchange(pool, i, dx)
    assert swap.dy == (dy_xp - fee_xp) * P // rates[j]
    assert swap.fee == dy_xp * P // rates[j] - swap.dy
    assert swap.admin == fee_xp // 2 * P // rates[j]
    after = list(balances)
    after[i] += dx
    after[j] -= swap.dy + swap.admin
    assert (swap.i, swap.dx, swap.balances) == (i, dx, tuple(after))
    assert (swap.d0, swap.d1) == (d0, ss.get_D(ss.xp_of(swap.balances, rates), pool.amp))


@pytest.mark.parametrize(
    ("i", "rate", "fee", "shares"),
    [(0, P, 0, 10**11), (1, P, 0, 3 * 10**11 + 1), (1, 5 * P // 4, 0, 10**10), (0, 7 * P // 10, 4_000_000, 10**11)],
)
def test_remove_liquidity_one_coin__output_fee_and_admin_cut__curves_without_fee_and_the_same_whole_with_one(
    i: int, rate: int, fee: int, shares: int
) -> None:
    """Without a fee the module's withdrawal is Curve's to the unit; with one, the output and the fee still add up
    to Curve's ``dy_0`` (the withdrawal before any fee), the fee rounded up. The admin takes half of the fee,
    rounded down; the pool's coin ``i`` loses the output and that cut."""
    balances, rates, supply = (10**12, 9 * 10**11), (P, rate), 1_800_000_000_001
    pool = ss.Pool(balances, rates, 100 * AP, fee, 5 * 10**9, supply)
    curve = ref.CurvePool(list(balances), list(rates), 100 * AP, fee, 5 * 10**9, supply)
    dy, dy_fee = curve._calc_withdraw_one_coin(shares, i)
    w = ss.remove_liquidity_one_coin(pool, shares, i)
    if fee == 0:
        assert (w.dy, w.fee) == (dy, dy_fee)
    else:
        assert w.dy < dy and w.dy + w.fee == dy + dy_fee
    assert w.admin == w.fee // 2 and w.i == i
    after = list(balances)
    after[i] -= w.dy + w.admin
    assert w.balances == tuple(after) and w.d_after == pool.d(w.balances)


# --- more edges: the last unit of a side, the exact-out input's search, the deposit fee -------------------------------
def test_exchange__a_sale_that_leaves_one_unit__pays_curves_output_all_but_that_unit() -> None:
    """At 3 and 3 Gwei, selling 10^12 moves ``y`` to 0: the output is ``xp[j] - 0 - 1`` = 2, Curve's, and the
    pool keeps exactly one unit (its D check counts that unit: a side of 1 is still a pool)."""
    pool = ss.Pool((3, 3), (P, P), 1 * AP, 0, 0, 6)
    swap = ss.exchange(pool, 0, 10**12)
    assert swap.dy == 2 == ref.CurvePool([3, 3], [P, P], 1 * AP, 0, 0, 6).exchange(0, 1, 10**12, 0)
    assert swap.balances == (10**12 + 3, 1)


def exact_out_estimate(pool: ss.Pool, i: int, dy: int) -> int:
    """The exact-out input's first estimate, every step rounded up: ``dy`` in ``xp`` units plus one, grossed up for
    the fee, ``get_y`` of the side that much lower, plus one, in coin ``i``'s units."""
    j = 1 - i
    xp = pool.xp
    dy_xp = -(-dy * pool.rates[j] // P) + 1
    gross = -(-dy_xp * ss.FEE_DENOMINATOR // (ss.FEE_DENOMINATOR - pool.fee))
    x = ss.get_y(j, i, xp[j] - gross, xp, pool.amp, ss.get_D(xp, pool.amp))
    return -(-(x - xp[i] + 1) * P // pool.rates[i])


def test_exchange_exact_out__estimate_8_units_short__the_input_raised_to_the_first_that_buys_it() -> None:
    """A = 1, a pool 2800:1 in value, shares at 0.127 SWK: the exact-in swap's D check lowers its output, so the
    estimate and the next seven inputs buy 2 Gwei too little; the ninth and last try buys it."""
    pool = ss.Pool((25_093_718_496, 69_729_481), (P, 127_298_350_826_780_566), 1 * AP, 4_000_000, 0, 1000)
    dy, estimate = 6_968_789_173, exact_out_estimate(pool, 1, 6_968_789_173)
    swap = ss.exchange_exact_out(pool, 1, dy)
    assert swap.dx == estimate + 8
    assert ss.exchange(pool, 1, swap.dx - 1).dy < dy <= ss.exchange(pool, 1, swap.dx).dy
    assert swap.balances == (25_093_718_496 - dy, 69_729_481 + swap.dx) and swap.d1 >= swap.d0


def test_exchange_exact_out__estimate_9_units_short__refused_as_rounding() -> None:
    pool = ss.Pool((5_492_187_657, 30_656_869), (P, 107_211_435_718_228_137), 1 * AP, 4_000_000, 0, 1000)
    dy, estimate = 1_160_337_872, exact_out_estimate(pool, 1, 1_160_337_872)
    with pytest.raises(RoundingRefused, match="buying 1160337872 units cannot be priced"):
        ss.exchange_exact_out(pool, 1, dy)
    assert ss.exchange(pool, 1, estimate + 8).dy < dy <= ss.exchange(pool, 1, estimate + 9).dy


def test_exchange_exact_out__the_estimate_refused_by_the_exact_in_check__the_next_unit_priced() -> None:
    """At the estimate the exact-in swap cannot keep D within its 8 steps (refused); one Gwei more can."""
    pool = ss.Pool((309_781_365, 2_226_384), (P, 115_622_457_669_875_698), 1 * AP, 0, 5 * 10**9, 1000)
    estimate = exact_out_estimate(pool, 0, 408_306)
    with pytest.raises(RoundingRefused):
        ss.exchange(pool, 0, estimate)
    swap = ss.exchange_exact_out(pool, 0, 408_306)
    assert (swap.dx, swap.dy) == (estimate + 1, 408_306)
    assert swap.fee == ss.exchange(pool, 0, estimate + 1).dy - 408_306


def test_add_liquidity__imbalance_fee__half_the_fee_rounded_up_on_each_coins_distance_from_the_balanced_deposit() -> (
    None
):
    """At a share price of 1 the pool's values are exact, so D0, D1 and D2 are Curve's own. The fee per coin is
    ``ceil(fee x n / 4 (n - 1))`` (an odd fee: 2,000,001 of 10^10) of ``|D1 x old / D0 - new|``, rounded up; the
    admin takes half of it, rounded down, out of the pool's balances."""
    old, amounts, fee = (10**12, 10**12), (3 * 10**11 + 7, 10**10), 4_000_001
    pool = ss.Pool(old, (P, P), 100 * AP, fee, 5 * 10**9, 2 * 10**12)
    new = (old[0] + amounts[0], old[1] + amounts[1])
    d0, d1 = ref.get_D(list(old), pool.amp), ref.get_D(list(new), pool.amp)
    fees = tuple(-(-2_000_001 * abs(d1 * old[k] // d0 - new[k]) // ss.FEE_DENOMINATOR) for k in (0, 1))
    dep = ss.add_liquidity(pool, amounts)
    assert dep.fees == fees and dep.admin == (fees[0] // 2, fees[1] // 2)
    assert dep.balances == (new[0] - fees[0] // 2, new[1] - fees[1] // 2)
    assert (dep.d0, dep.d0_up) == (d0, d0) and dep.d2 == ref.get_D([new[0] - fees[0], new[1] - fees[1]], pool.amp)


def test_add_liquidity__the_fee_leaves_one_share_of_the_two_held__priced_at_1_accepted_at_half_refused() -> None:
    """A pool of 10 Gwei and 2 shares takes 10 Gwei: the shares' imbalance fee rounds up to one of them. At a share
    price of 1 the one left counts 1 Gwei (accepted); at 0.5 the move of -1 share counts -1 Gwei against the 1 the
    two count rounded up: nothing left of that side (refused)."""
    dep = ss.add_liquidity(ss.Pool((10, 2), (P, P), 100 * AP, 4_000_000, 0, 12), (10, 0))
    assert dep.fees == (1, 1) and dep.d2 == ss.get_D((19, 1), 100 * AP)
    with pytest.raises(BelowMinimum, match="the deposit is too lopsided for the pool; add some of both coins"):
        ss.add_liquidity(ss.Pool((10, 2), (P, P // 2), 100 * AP, 4_000_000, 0, 12), (10, 0))


def test_remove_liquidity__one_share__its_part_of_each_coin_rounded_down() -> None:
    pool = ss.Pool((10**6 + 3, 7 * 10**5), (P, P), 100 * AP, 0, 0, 17 * 10**5)
    assert ss.remove_liquidity(pool, 1) == (0, 0)
    assert ss.remove_liquidity(pool, 2) == (1, 0)


def test_remove_liquidity_one_coin__two_shares__one_gwei() -> None:
    w = ss.remove_liquidity_one_coin(small(), 2, 0)
    assert (w.dy, w.fee, w.balances) == (1, 1, (10**6 - 1, 10**6))


def test_remove_liquidity_one_coin__curves_output_lowers_d_per_share__paid_one_unit_less() -> None:
    """A tiny pool (174 and 830 Gwei, A = 1): Curve's one-coin output of 157 would lower D per LP share; 156 does
    not."""
    pool = ss.Pool((174, 830), (P, P), 1 * AP, 0, 5 * 10**9, 871)
    w = ss.remove_liquidity_one_coin(pool, 454, 0)
    assert ref.CurvePool([174, 830], [P, P], 1 * AP, 0, 5 * 10**9, 871)._calc_withdraw_one_coin(454, 0) == (157, 1)
    assert (w.dy, w.fee, w.balances) == (156, 2, (18, 830))
    assert w.d_after * 871 >= pool.d() * (871 - 454) > pool.d((17, 830)) * 871


def test_remove_liquidity_one_coin__a_one_gwei_side_with_a_fee__refused_as_emptying_it() -> None:
    """The other side's fee (on its move of 1) rounds up to its whole Gwei."""
    pool = ss.Pool((10**6, 1), (P, P), 100 * AP, 4_000_000, 0, 10**6)
    with pytest.raises(BelowMinimum, match="that withdrawal would empty the pool's side; burn fewer shares"):
        ss.remove_liquidity_one_coin(pool, 1000, 0)


def test_remove_liquidity_one_coin__the_coin_owes_no_fee_where_its_balanced_move_is_nothing() -> None:
    """Four Gwei against 5.7 million at A 100 and a fee of 1 %: coin 0's move towards the balanced withdrawal rounds
    to nothing or below, so it pays no fee: 3 Gwei out (a unit of fee there would leave 2)."""
    pool = ss.Pool((4, 5_665_960), (P, P), 100 * AP, 10**8, 5 * 10**9, 455_508)
    w = ss.remove_liquidity_one_coin(pool, 359_741, 0)
    assert (w.dy, w.fee, w.admin, w.balances) == (3, 1, 0, (1, 5_665_960))


def test_spot_price__lp_supply_but_a_side_empty__no_price() -> None:
    with pytest.raises(EmptyPool, match="the pool has no liquidity, so no price"):
        ss.spot_price(ss.Pool((0, 10), (P, P), 100 * AP, 0, 0, 10))


@pytest.mark.parametrize(("shares", "dy", "fee"), [(100, 49, 1), (101, 50, 0)])
def test_remove_liquidity_one_coin__admin_fee_100_percent__takes_exactly_what_rounding_kept(
    shares: int, dy: int, fee: int
) -> None:
    """No swap fee, shares at 2 SWK: Curve's "withdraw less" unit of value is half a share, which rounding down
    keeps or not. An admin fee of 100 % takes exactly that: one share or nothing."""
    pool = ss.Pool((10**6, 5 * 10**5), (P, 2 * P), 100 * AP, 0, ss.FEE_DENOMINATOR, 2 * 10**6)
    w = ss.remove_liquidity_one_coin(pool, shares, 1)
    assert (w.dy, w.fee, w.admin) == (dy, fee, fee)


def test_remove_liquidity_one_coin__d_per_share_exactly_kept__curves_output_paid() -> None:
    """D after, times the supply, equals D before times the shares left, exactly: D per LP share has not fallen, so
    Curve's output stands."""
    pool = ss.Pool((35_079_227, 35_079_228), (P, P), 1 * AP, 0, 0, 70_158_455)
    w = ss.remove_liquidity_one_coin(pool, 629_735, 0)
    assert (w.dy, w.fee) == ref.CurvePool(
        [35_079_227, 35_079_228], [P, P], 1 * AP, 0, 0, 70_158_455
    )._calc_withdraw_one_coin(629_735, 0)
    assert w.d_after * 70_158_455 == pool.d() * (70_158_455 - 629_735)


def test_exchange_exact_out__the_estimate_buys_exactly_dy__taken_as_it_is() -> None:
    """Shares at 3 SWK, no fee: the estimate of 2,417 Gwei for 805 shares buys exactly 805 (so would 2,416: the
    estimate rounds up at every step); no surplus, nothing raised."""
    pool = ss.Pool((903_269_233, 301_089_744), (P, 3 * P), 100 * AP, 0, 0, 1_806_538_466)
    swap = ss.exchange_exact_out(pool, 0, 805)
    assert swap.dx == exact_out_estimate(pool, 0, 805) == 2417
    assert ss.exchange(pool, 0, 2417).dy == 805 and swap.fee == 0


def test_exchange_exact_out__with_an_admin_fee__the_pool_pays_dy_and_the_admins_cut() -> None:
    pool = ss.Pool((10**12, 10**12), (P, 5 * P // 4), 100 * AP, 4_000_000, 5 * 10**9, 2 * 10**12)
    swap = ss.exchange_exact_out(pool, 0, 10**9)
    sold = ss.exchange(pool, 0, swap.dx)
    assert swap.admin == sold.admin > 0 and swap.dy == 10**9
    assert swap.balances == (10**12 + swap.dx, 10**12 - 10**9 - swap.admin)


def test_add_liquidity__at_a_fractional_share_price__pool_valued_up_deposit_and_fee_moves_valued_down() -> None:
    """The rule of the docstring, step by step with Curve's get_D: D0_up of the pool's balances valued rounded up;
    D1 of that moved by the deposit valued rounded down; the fee per coin against ``D1 x old / D0_up``; D2 of the
    base moved by (new - fee - old), valued rounded down (a negative move rounds away from the pool)."""
    r = 1_250_000_000_000_000_001
    old, amounts, fee = (10**12, 7 * 10**11 + 3), (2 * 10**11 + 5, 3 * 10**10 + 1), 4_000_001
    pool = ss.Pool(old, (P, r), 100 * AP, fee, 5 * 10**9, 1_500_000_000_007)
    new = (old[0] + amounts[0], old[1] + amounts[1])
    base = [old[0], -(-old[1] * r // P)]
    d0_up = ref.get_D(base, pool.amp)
    d1 = ref.get_D([base[0] + amounts[0], base[1] + amounts[1] * r // P], pool.amp)
    fees = [-(-2_000_001 * abs(d1 * old[k] // d0_up - new[k]) // ss.FEE_DENOMINATOR) for k in (0, 1)]
    reduced = [new[k] - fees[k] for k in (0, 1)]
    d2 = ref.get_D([base[0] + reduced[0] - old[0], base[1] + (reduced[1] - old[1]) * r // P], pool.amp)
    dep = ss.add_liquidity(pool, amounts)
    assert (dep.d0_up, dep.d2, dep.fees) == (d0_up, d2, (fees[0], fees[1]))
    assert dep.d0 == ref.get_D([old[0], old[1] * r // P], pool.amp)
    assert dep.balances == (new[0] - fees[0] // 2, new[1] - fees[1] // 2)
    assert dep.d_after == ref.get_D([dep.balances[0], dep.balances[1] * r // P], pool.amp)


@pytest.mark.parametrize(("i", "rate"), [(0, 7 * P // 10), (1, 7 * P // 10), (1, 1_250_000_000_000_000_001)])
def test_remove_liquidity_one_coin__with_a_fee__curves_steps_with_the_fee_rounded_up(i: int, rate: int) -> None:
    """Curve's ``_calc_withdraw_one_coin`` step by step (its get_D and get_y_D), the fee ``ceil(fee x n / 4 (n -
    1))`` (an odd fee: 2,000,001 of 10^10) on each coin's distance from the balanced withdrawal rounded up, one
    ``xp`` unit less, rounded down into coin ``i``; the admin half of the fee in coin ``i``, rounded down."""
    balances, rates, supply, shares = (10**12, 9 * 10**11), (P, rate), 1_800_000_000_001, 10**11 + 7
    pool = ss.Pool(balances, rates, 100 * AP, 4_000_001, 5 * 10**9, supply)
    xp = [b * r // P for b, r in zip(balances, rates, strict=True)]
    d0 = ref.get_D(xp, pool.amp)
    d1 = d0 - shares * d0 // supply
    new_y = ref.get_y_D(pool.amp, i, xp, d1)
    expected = [xp[k] * d1 // d0 - new_y if k == i else xp[k] - xp[k] * d1 // d0 for k in (0, 1)]
    reduced = [xp[k] - -(-2_000_001 * expected[k] // ss.FEE_DENOMINATOR) for k in (0, 1)]
    dy = (reduced[i] - ref.get_y_D(pool.amp, i, reduced, d1) - 1) * P // rates[i]
    dy0 = (xp[i] - new_y) * P // rates[i]
    w = ss.remove_liquidity_one_coin(pool, shares, i)
    assert (w.dy, w.fee, w.admin) == (dy, dy0 - dy, (dy0 - dy) // 2)


@pytest.mark.parametrize("rate", [P, 7 * P // 10, 1_250_000_000_000_000_001])
def test_spot_price__curves_marginal_price_times_the_share_price(rate: int) -> None:
    balances = (10**12, 6 * 10**11)
    pool = ss.Pool(balances, (P, rate), 100 * AP, 0, 0, 10**12)
    xp = [balances[0], balances[1] * rate // P]
    assert ss.spot_price(pool) == ref.get_p(xp, pool.amp, ref.get_D(xp, pool.amp)) * rate // P


def test_exchange__admin_takes_the_whole_fee__its_cut_counted_as_leaving_and_the_output_lowered() -> None:
    """An admin fee of 100 %: the LPs keep none of the fee, so the D check binds (A = 1, a pool 1100:1 in value,
    shares at 0.125 SWK). The output plus the admin's 8 shares, valued rounded up, must keep D: 374,986 does, one
    more would not."""
    pool = ss.Pool((309_714_102, 2_086_936), (P, 124_836_564_096_058_298), 1 * AP, 100_000, ss.FEE_DENOMINATOR, 1000)
    swap = ss.exchange(pool, 0, 30_740_951)
    assert (swap.dy, swap.admin) == (374_986, 8)
    assert d_of_the_move(pool, 0, 30_740_951, 374_986 + 8) >= swap.d0 > d_of_the_move(pool, 0, 30_740_951, 374_987 + 8)
    assert swap.d1 >= swap.d0


def test_exchange_exact_out__no_lp_supply_and_more_than_the_pool_holds__refused_as_empty_first() -> None:
    pool = ss.Pool((10**6, 10**6), (P, P), 100 * AP, 0, 0, 0)
    with pytest.raises(EmptyPool, match="the pool has no liquidity: add both coins first"):
        ss.exchange_exact_out(pool, 0, 10**6)


def test_exchange_exact_out__estimate_of_0_or_less__starts_at_one_unit_priced_on_the_ninth_try() -> None:
    """A pool 1.5 x 10^8 : 1 in value at A = 1, shares at 0.118 SWK: D of the pool is the floor of its root, so
    ``get_y`` for 815 Gwei less SWK asks no more stSWK than the pool holds (estimate 0 or below). The search starts
    at one share: 1 to 8 shares (0 Gwei of value, rounded down) are refused (an input the pool counts as nothing
    buys nothing; they bought 113 Gwei before that rule), 9 buy it."""
    pool = ss.Pool((1_210_379_956_944, 69_414), (P, 118_420_249_677_287_593), 1 * AP, 1, 5 * 10**9, 1000)
    assert exact_out_estimate(pool, 1, 815) <= 0
    swap = ss.exchange_exact_out(pool, 1, 815)
    assert swap.dx == 9
    with pytest.raises(BelowMinimum, match="smallest unit"):
        ss.exchange(pool, 1, 8)


@pytest.mark.parametrize(
    ("pool", "amounts", "curve", "credit"),
    [
        # Curve's fee leaves the coin a balance of 1: it still mints 17; the module's own 16 shares bind
        (ss.Pool((657, 1), (P, P), 1000 * AP, 10**8, 5 * 10**9, 614), (20, 0), 17, 16),
        # Curve's fee on the SWK side exceeds its balance (Vyper reverts on the underflow): the cap is 0
        (ss.Pool((30_918, 4), (P, 2_783_681_560_558_520_590), 10 * AP, 10**8, 0, 2844), (0, 903_194), None, 0),
        # one share at 2.04 SWK: Curve's D2 - D0 mints 0 (the module's own formula: 1)
        (ss.Pool((2446, 78_621), (P, 2_042_010_179_876_202_856), 10 * AP, 10**8, 0, 78_252), (0, 1), 0, 0),
        # Curve's fee leaves 2 shares at 0.42, valued 0 rounded down: its D divides by 0 (reverts): the cap is 0
        (ss.Pool((5284, 3), (P, 422_343_059_237_223_873), 100 * AP, 10**8, 0, 2325), (7_150_851, 1), None, 0),
    ],
)
def test_add_liquidity__where_curve_mints_little_nothing_or_reverts__its_mint_caps_the_credit(
    pool: ss.Pool, amounts: tuple[int, int], curve: int | None, credit: int
) -> None:
    c = ref.CurvePool(list(pool.balances), list(pool.rates), pool.amp, pool.fee, pool.admin_fee, pool.supply)
    if curve is None:
        with pytest.raises((ValueError, ZeroDivisionError)):
            c.add_liquidity(list(amounts), 0)
    else:
        assert c.add_liquidity(list(amounts), 0) == curve
    dep = ss.add_liquidity(pool, amounts)
    assert dep.curve_shares == (curve or 0) and dep.credit(pool.supply) == credit


def test_remove_liquidity_one_coin__the_other_side_one_unit__paid_curves_output() -> None:
    """A side of exactly 1 Gwei is still a pool: withdrawing the other coin pays Curve's 172."""
    pool = ss.Pool((1, 350), (P, P), 10 * AP, 0, 0, 173)
    w = ss.remove_liquidity_one_coin(pool, 69, 1)
    assert (
        (w.dy, w.fee) == ref.CurvePool([1, 350], [P, P], 10 * AP, 0, 0, 173)._calc_withdraw_one_coin(69, 1) == (172, 1)
    )
    assert w.balances == (1, 178)


def test_remove_liquidity_one_coin__d_per_share_short_by_8_cheap_shares__paid_curves_less_8_on_the_last_try() -> None:
    """Shares at 0.122 SWK, the admin taking the whole fee (so the LPs keep nothing of the rounding): Curve's
    output of 597,207 shares would lower D per LP share; lowered share by share, 597,199 keeps it on the ninth and
    last try."""
    pool = ss.Pool((6_051_599, 597_265), (P, 122_110_022_552_746_828), 100 * AP, 0, ss.FEE_DENOMINATOR, 11_287_300)
    w = ss.remove_liquidity_one_coin(pool, 10_158_570, 1)
    curve = ref.CurvePool(
        [6_051_599, 597_265], [P, 122_110_022_552_746_828], 100 * AP, 0, ss.FEE_DENOMINATOR, 11_287_300
    )
    assert curve._calc_withdraw_one_coin(10_158_570, 1)[0] == w.dy + 8 == 597_207
    assert w.admin == 8 and w.balances == (6_051_599, 597_265 - 597_199 - 8)
    assert w.d_after * 11_287_300 >= pool.d() * (11_287_300 - 10_158_570) > pool.d((6_051_599, 57)) * 11_287_300


def test_remove_liquidity_one_coin__d_per_share_short_by_more_than_9_tries__refused_as_rounding() -> None:
    pool = ss.Pool((1045, 5_208_242), (P, 53_529_670_934_742_683), 100 * AP, 1, ss.FEE_DENOMINATOR, 229_275)
    with pytest.raises(RoundingRefused, match="burning 114637 LP shares for one coin cannot be priced"):
        ss.remove_liquidity_one_coin(pool, 114_637, 1)


def test_remove_liquidity_one_coin__output_and_admin_cut_exactly_the_side__refused_as_emptying_it() -> None:
    """18 Gwei against 840,776 shares at 2 SWK, A = 1, all but one LP share for SWK with the admin taking the whole
    fee: the output and the admin's cut add up to all 18 Gwei."""
    pool = ss.Pool((18, 840_776), (P, 2 * P), 1 * AP, 1, ss.FEE_DENOMINATOR, 73_574)
    with pytest.raises(BelowMinimum, match="that withdrawal would empty the pool's side; burn fewer shares"):
        ss.remove_liquidity_one_coin(pool, 73_573, 0)


def test_remove_one_coin__the_coins_move_rounds_200_past_its_share__refused_as_worth_nothing() -> None:
    """The premise of the `max(expected, 0)` guard's equivalence (docs/testing.md): where coin i's proportional
    share rounds 200 units or more past `get_y_D`'s balance (a pool tilted far towards i), the other coin's fee
    unit lifts the answer so far that the withdrawal is refused as worth nothing, guard or not. Seeded pools,
    tilted 10^5 : 1 and more; at least 40 such withdrawals are checked."""
    rng = random.Random(20261207)
    checked = 0
    while checked < 40:
        i = rng.randint(0, 1)
        b = [rng.randint(1, 10**4)] * 2
        b[i] = rng.randint(1, 9) * 10 ** rng.randint(9, 18)
        rates = (P, rng.choice([P, P // 3, 2 * P, 1_118_420_249_677_287_593]))
        amp = rng.choice([1, 2, 5, 10, 100]) * AP
        xp = ss.xp_of((b[0], b[1]), rates)
        d0 = ss.get_D(xp, amp)
        shares = min(rng.randint(1, 100), d0 - 1)
        d1 = d0 - shares
        if shares < 1 or xp[i] * d1 // d0 - ss.get_y_D(amp, i, xp, d1) > -200:
            continue
        pool = ss.Pool((b[0], b[1]), rates, amp, rng.choice([1, 4_000_000, 100_000_000]), 0, d0)
        with pytest.raises(BelowMinimum):
            ss.remove_liquidity_one_coin(pool, shares, i)
        checked += 1
