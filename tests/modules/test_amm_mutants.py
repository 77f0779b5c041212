"""AMM handler rules that mutation testing (scripts/mutate on amm/handlers.py) showed no other test pinned down:
the stSWK holding check before any coin moves, the swap counters, the reserved senders, the first deposit's dead
shares in the mint preview, the 2^64 - 1 share bound at exactly its edge, the LP ledger's assets set to D before a
mint after the share price moved, the minimums and refusals of the withdrawals, the oracle's record on every
touch, and Curve's ramp rules at their bounds (the pending ramp a governance parameter starts included)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stakework.modules.amm import MODULE, handlers
from stakework.modules.amm import stableswap as ss
from stakework.modules.amm.definition import write_param
from stakework.modules.amm.errors import (
    AboveMaximum,
    BelowMinimum,
    EmptyPool,
    InsufficientShares,
    InvalidParameter,
    NotAuthorized,
    SlippageExceeded,
)
from stakework.modules.amm.handlers import dispatch
from stakework.modules.amm.messages import (
    AddLiquidity,
    AmmMessage,
    Exchange,
    ExchangeExactOut,
    RampA,
    RemoveLiquidity,
    RemoveLiquidityOneCoin,
    StopRampA,
)
from stakework.modules.amm.state import MAX_RAMP_EPOCHS, AmmState, PricePoint, new_state
from stakework.modules.amm.testing import FakeAmmHost
from stakework.modules.shares import BURN_ADDRESS, MAX_SHARES
from stakework.modules.store import _canonical
from stakework.spec.presets import get_preset

SWK = 10**9
P = 10**18
AP = ss.A_PRECISION
GOV, TREASURY = b"G" * 20, b"T" * 20
ALICE, BOB, CAROL = b"a" * 20, b"b" * 20, b"c" * 20
PRESET = get_preset("minimal")


def empty(rate: int = P, a: int = 100) -> tuple[AmmState, FakeAmmHost]:
    """An empty pool (A ``a``, Curve's fee, minimum ramp 3 epochs) and a host whose stSWK share is worth ``rate``."""
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, a=a, fee=4_000_000, admin_fee=5 * 10**9, twap_window=4)
    state.min_ramp_epochs = state.ramp_epochs = 3
    return state, FakeAmmHost(rate=rate)


def fund(host: FakeAmmHost, who: bytes, swk: int, shares: int) -> None:
    host.fund(who, swk)
    host.staked_token_ledger.mint(who, shares)


def setup(rate: int = P, a: int = 100) -> tuple[AmmState, FakeAmmHost]:
    """1000 SWK and 1000 SWK of stSWK from Alice; Alice and Bob hold 10**6 SWK and 10**6 SWK of shares."""
    state, host = empty(rate, a)
    for who in (ALICE, BOB):
        fund(host, who, 10**6 * SWK, 10**6 * SWK)
    dispatch(state, host, ALICE, AddLiquidity(swk=1000 * SWK, stswk=-(-1000 * SWK * P // rate), min_mint=0))
    return state, host


def snapshot(state: AmmState, host: FakeAmmHost) -> tuple[bytes, dict[bytes, int], dict[bytes, int]]:
    return _canonical(state), dict(host.accounts), dict(host.staked_token_ledger.shares)


def refused(state: AmmState, host: FakeAmmHost, sender: bytes, msg: AmmMessage, error: type[Exception]) -> str:
    """The message is refused with ``error`` and changes nothing (state, SWK accounts, stSWK shares)."""
    before = snapshot(state, host)
    with pytest.raises(error) as info:
        dispatch(state, host, sender, msg)
    assert snapshot(state, host) == before
    return str(info.value)


def preview(state: AmmState, host: FakeAmmHost, amounts: tuple[int, int]) -> int:
    pool = state.pool(host.staked_token_ledger.rate, host.epoch)
    return handlers.preview_mint(state, ss.add_liquidity(pool, amounts))


# --- moving coins -----------------------------------------------------------------------------------------------------
def test_add_liquidity__enough_swk_too_few_stswk_shares__refused_before_any_swk_moves() -> None:
    state, host = setup()
    fund(host, CAROL, 100 * SWK, 5 * SWK)
    msg = AddLiquidity(swk=10 * SWK, stswk=10 * SWK, min_mint=0)
    assert "stSWK shares" in refused(state, host, CAROL, msg, InsufficientShares)


def test_add_liquidity__exactly_the_stswk_shares_held_and_more_swk_than_that__accepted() -> None:
    state, host = setup()
    fund(host, CAROL, 20 * SWK, 10 * SWK)
    dispatch(state, host, CAROL, AddLiquidity(swk=20 * SWK, stswk=10 * SWK, min_mint=1))
    assert host.staked_token_ledger.shares_of(CAROL) == 0 and host.balance(CAROL) == 0
    assert state.lp.shares_of(CAROL) > 0


@pytest.mark.parametrize("who", [BURN_ADDRESS, b"module"])
def test_exchange_exact_out_and_add_liquidity__from_a_reserved_address__refused(who: bytes) -> None:
    state, host = setup()
    sender = host.module_address(MODULE) if who == b"module" else who
    fund(host, sender, 100 * SWK, 100 * SWK)
    refused(state, host, sender, ExchangeExactOut(sell="swk", dy=SWK, max_dx=10 * SWK), NotAuthorized)
    refused(state, host, sender, AddLiquidity(swk=SWK, stswk=SWK, min_mint=0), NotAuthorized)


# --- swaps ------------------------------------------------------------------------------------------------------------
def test_exchange__both_directions_at_a_fractional_rate__counts_swaps_and_volume_in_swk_rounded_down() -> None:
    rate = 1_500_000_000_000_000_000
    state, host = setup(rate=rate)
    dispatch(state, host, BOB, Exchange(sell="swk", dx=10 * SWK + 7, min_dy=0))
    assert (state.swaps, state.volume_swk) == (1, 10 * SWK + 7)
    dispatch(state, host, BOB, Exchange(sell="stswk", dx=3 * SWK + 1, min_dy=0))
    assert (state.swaps, state.volume_swk) == (2, 10 * SWK + 7 + 4_500_000_001)


# --- adding liquidity -------------------------------------------------------------------------------------------------
def test_add_liquidity__first_deposit_worth_less_than_the_dead_shares__refused_as_minting_nothing() -> None:
    state, host = empty()
    fund(host, ALICE, SWK, SWK)
    text = refused(state, host, ALICE, AddLiquidity(swk=1000, stswk=1000, min_mint=0), BelowMinimum)
    assert "dead shares" in text


def test_add_liquidity__first_deposit__min_mint_bounds_d_less_the_dead_shares_exactly() -> None:
    state, host = empty()
    fund(host, ALICE, 10 * SWK, 10 * SWK)
    expected = 2 * SWK - state.lp.dead_shares
    msg = AddLiquidity(swk=SWK, stswk=SWK, min_mint=expected + 1)
    assert "below min_mint" in refused(state, host, ALICE, msg, SlippageExceeded)
    dispatch(state, host, ALICE, AddLiquidity(swk=SWK, stswk=SWK, min_mint=expected))
    assert state.lp.shares_of(ALICE) == expected


def _first_deposit_worth(state: AmmState, host: FakeAmmHost, d: int) -> tuple[int, int]:
    """Amounts of both coins whose first deposit has D exactly ``d``."""
    for swk in (d // 2, d // 2 + 1, d // 2 - 1):
        amounts = (swk, d - swk)
        if ss.add_liquidity(state.pool(P, host.epoch), amounts).d2 == d:
            return amounts
    raise AssertionError(f"no balanced first deposit of D {d}")


def test_add_liquidity__first_deposit_of_d_2_64_minus_1__accepted_one_more__refused_changing_nothing() -> None:
    state, host = empty()
    fund(host, ALICE, 2**64, 2**64)
    swk, stswk = _first_deposit_worth(state, host, MAX_SHARES + 1)
    assert "2^64 - 1" in refused(state, host, ALICE, AddLiquidity(swk=swk, stswk=stswk, min_mint=0), AboveMaximum)
    swk, stswk = _first_deposit_worth(state, host, MAX_SHARES)
    dispatch(state, host, ALICE, AddLiquidity(swk=swk, stswk=stswk, min_mint=0))
    assert state.lp.total_shares == MAX_SHARES


def _deposit_taking_total_to(state: AmmState, host: FakeAmmHost, total: int) -> tuple[int, int]:
    """Amounts of both coins whose deposit takes the LP shares' total to exactly ``total``."""
    lo, hi = 0, 2**64
    while lo < hi:  # the least s whose deposit (s // 2, s - s // 2) mints at least what is missing
        mid = (lo + hi) // 2
        if state.lp.total_shares + preview(state, host, (mid // 2, mid - mid // 2)) >= total:
            hi = mid
        else:
            lo = mid + 1
    for s in range(lo - 4, lo + 8):
        for k in range(-3, 4):
            amounts = (s // 2 + k, s - s // 2 - k)
            if state.lp.total_shares + preview(state, host, amounts) == total:
                return amounts
    raise AssertionError(f"no deposit takes the total to {total}")


def test_add_liquidity__later_deposit_to_exactly_2_64_minus_1__accepted_one_share_more__refused() -> None:
    state, host = setup()
    fund(host, BOB, 2**64, 2**64)
    swk, stswk = _deposit_taking_total_to(state, host, MAX_SHARES + 1)
    refused(state, host, BOB, AddLiquidity(swk=swk, stswk=stswk, min_mint=0), AboveMaximum)
    swk, stswk = _deposit_taking_total_to(state, host, MAX_SHARES)
    dispatch(state, host, BOB, AddLiquidity(swk=swk, stswk=stswk, min_mint=0))
    assert state.lp.total_shares == MAX_SHARES


def test_add_liquidity__after_the_share_price_rose__mints_what_the_preview_says_against_the_new_d() -> None:
    state, host = setup()
    host.staked_token_ledger.rate = 1_200_000_000_000_000_000  # the pool's D rose; the LP ledger still says the old D
    amounts = (10 * SWK, 10 * SWK)
    minted = preview(state, host, amounts)
    dispatch(state, host, BOB, AddLiquidity(swk=amounts[0], stswk=amounts[1], min_mint=minted))
    assert state.lp.shares_of(BOB) == minted


# --- removing liquidity -----------------------------------------------------------------------------------------------
def test_remove_liquidity__stswk_below_min_stswk_though_swk_above_it__refused_changing_nothing() -> None:
    state, host = setup(rate=2 * P)  # 1000 SWK and 500 * 10**9 stSWK shares, each worth 2 Gwei
    shares = state.lp.shares_of(ALICE) // 10
    out = ss.remove_liquidity(state.pool(2 * P, host.epoch), shares)
    assert out[1] < out[0]
    refused(state, host, ALICE, RemoveLiquidity(shares=shares, min_swk=0, min_stswk=out[1] + 1), SlippageExceeded)
    dispatch(state, host, ALICE, RemoveLiquidity(shares=shares, min_swk=out[0], min_stswk=out[1]))


def test_remove_liquidity__one_lp_share_worth_nothing__refused_changing_nothing() -> None:
    state, host = setup()
    assert "worth nothing" in refused(
        state, host, ALICE, RemoveLiquidity(shares=1, min_swk=0, min_stswk=0), BelowMinimum
    )


def test_remove_liquidity_one_coin__more_lp_shares_than_held__refused_changing_nothing() -> None:
    state, host = setup()
    msg = RemoveLiquidityOneCoin(shares=SWK, coin="swk", min_amount=0)
    assert "0 LP shares" in refused(state, host, BOB, msg, InsufficientShares)


def test_remove_liquidity_one_coin__all_lp_shares_held__accepted() -> None:
    state, host = setup()
    dispatch(state, host, BOB, AddLiquidity(swk=10 * SWK, stswk=10 * SWK, min_mint=0))
    held = state.lp.shares_of(BOB)
    dispatch(state, host, BOB, RemoveLiquidityOneCoin(shares=held, coin="stswk", min_amount=1))
    assert state.lp.shares_of(BOB) == 0


def test_remove_liquidity_one_coin__empty_pool__refused_as_empty() -> None:
    state, host = empty()
    msg = RemoveLiquidityOneCoin(shares=0, coin="swk", min_amount=0)
    assert "no liquidity" in refused(state, host, ALICE, msg, EmptyPool)


# --- every touch records the last epoch's price -----------------------------------------------------------------------
TOUCHES: dict[str, Callable[[AmmState], tuple[bytes, AmmMessage]]] = {
    "add_liquidity": lambda s: (BOB, AddLiquidity(swk=SWK, stswk=SWK, min_mint=0)),
    "remove_liquidity": lambda s: (ALICE, RemoveLiquidity(shares=SWK, min_swk=0, min_stswk=0)),
    "remove_liquidity_one_coin": lambda s: (ALICE, RemoveLiquidityOneCoin(shares=SWK, coin="swk", min_amount=0)),
    "ramp_a": lambda s: (GOV, RampA(future_a=200, future_epoch=20)),
    "stop_ramp_a": lambda s: (GOV, StopRampA()),
}


@pytest.mark.parametrize("touch", sorted(TOUCHES))
def test_first_touch_of_a_later_epoch__records_the_last_epochs_price(touch: str) -> None:
    state, host = setup()
    price = state.price_last
    assert price > 0 and state.price_samples == []
    host.epoch = 3
    dispatch(state, host, *TOUCHES[touch](state))
    assert state.price_samples == [PricePoint(0, price)] and state.price_epoch == 3


# --- the ramp of A ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "future_a", "future_epoch"),
    [
        (100, 200, 6),  # the shortest ramp: exactly the minimum
        (100, 200, 3 + MAX_RAMP_EPOCHS),  # the longest
        (5, 1, 20),  # A 1, the least
        (100, 10, 20),  # exactly a tenth
        (100, 1000, 20),  # exactly tenfold
    ],
)
def test_ramp_a__at_curves_bounds__accepted(a: int, future_a: int, future_epoch: int) -> None:
    state, host = setup(a=a)
    host.epoch = 3
    dispatch(state, host, GOV, RampA(future_a=future_a, future_epoch=future_epoch))
    assert state.a(future_epoch) == future_a * AP


@pytest.mark.parametrize(("future_a", "future_epoch"), [(0, 20), (200, 4 + MAX_RAMP_EPOCHS)])
def test_ramp_a__a_of_zero_or_a_ramp_too_long__refused_changing_nothing(future_a: int, future_epoch: int) -> None:
    state, host = setup(a=5)
    host.epoch = 3
    text = refused(state, host, GOV, RampA(future_a=future_a, future_epoch=future_epoch), InvalidParameter)
    assert ("A must be in" if future_a == 0 else "future_epoch from") in text


@pytest.mark.parametrize("msg", [RampA(future_a=200, future_epoch=13), StopRampA()])
def test_ramp_or_stop_by_governance__drops_a_pending_ask__later_touches_leave_a_alone(msg: AmmMessage) -> None:
    state, host = setup()
    write_param(state, "future_a", 500)
    host.epoch = 3
    dispatch(state, host, GOV, msg)
    assert state.pending_future_a == 0
    settled = state.a(40)
    host.epoch = 40
    dispatch(state, host, BOB, Exchange(sell="swk", dx=SWK, min_dy=0))
    assert state.a(40) == state.a(10**6) == settled


def _ask(state: AmmState, host: FakeAmmHost, future_a: int, epoch: int) -> None:
    """Governance sets ``future_a``; Bob's swap at ``epoch`` is the next touch."""
    write_param(state, "future_a", future_a)
    host.epoch = epoch
    dispatch(state, host, BOB, Exchange(sell="swk", dx=SWK, min_dy=0))


def test_future_a_parameter__touch_exactly_the_minimum_after_the_last_ramp__starts_it() -> None:
    state, host = setup()
    _ask(state, host, 200, 3)
    assert (state.pending_future_a, state.future_a, state.initial_a_epoch, state.future_a_epoch) == (0, 200 * AP, 3, 6)


def test_future_a_parameter__touch_before_the_minimum__waits() -> None:
    state, host = setup()
    state.initial_a_epoch = state.future_a_epoch = 5
    _ask(state, host, 200, 7)
    assert state.pending_future_a == 200 and state.future_a == 100 * AP and state.a(100) == 100 * AP


@pytest.mark.parametrize(
    ("a", "ask", "reached"),
    [(100, 200, 200), (100, 5, 10), (100, 5000, 1000), (200_000, ss.MAX_A - 1, ss.MAX_A - 1)],
)
def test_future_a_parameter__ramps_to_the_ask_clamped_tenfold(a: int, ask: int, reached: int) -> None:
    state, host = setup(a=a)
    _ask(state, host, ask, 3)
    assert state.future_a == reached * AP and state.a(6) == reached * AP


def test_future_a_parameter__ramp_epochs_below_the_minimum__the_ramp_takes_the_minimum() -> None:
    state, host = setup()
    state.ramp_epochs, state.min_ramp_epochs = 1, 3
    _ask(state, host, 400, 3)
    assert state.future_a_epoch == 6 and state.a(4) == 200 * AP
