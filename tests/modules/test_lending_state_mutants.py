"""The lending state's rules that mutation testing (scripts/mutate on lending/state.py) showed no other test pinned
down: the genesis state (both markets empty at one ray, every counter and the oracle at 0) and the counters that
count from it; the totals' rounding (what suppliers claim down, what borrowers owe up) at an inexact index; the 64
write-offs kept; the year in epochs of a preset whose year is not a whole number of epochs, or shorter than one; and
parameters checked when the state is made."""

from __future__ import annotations

import pytest
from lending_support import ALICE, BOB, GOV, LIQ, SWK, TREASURY, LendingHost, make, send, step

from stakework.modules.arith import BPS
from stakework.modules.lending.errors import InvalidParameter
from stakework.modules.lending.handlers import write_off
from stakework.modules.lending.messages import Borrow, Liquidate, SetEmode, Supply
from stakework.modules.lending.parameters import LendingParameters
from stakework.modules.lending.ray import RAY, to_u128
from stakework.modules.lending.state import LendingState, Market, epochs_per_year, new_state
from stakework.spec.presets import get_preset, preset_from_mapping

PRESET = get_preset("mainnet")


def emode_borrower() -> tuple[LendingState, LendingHost]:
    """Alice supplies 1000 SWK; Bob supplies 100 SWK of stSWK shares, enters e-mode and borrows 90 SWK."""
    state, host = make()
    send(state, host, ALICE, Supply(amount=1000 * SWK))
    send(state, host, BOB, Supply(market="stswk", amount=100 * SWK))
    send(state, host, BOB, SetEmode(enabled=True))
    send(state, host, BOB, Borrow(amount=90 * SWK))
    return state, host


# --- genesis and the counters -----------------------------------------------------------------------------------------
def test_new_state__both_markets_empty_at_one_ray__every_counter_and_the_oracle_at_zero() -> None:
    state = new_state(PRESET, governance=GOV, treasury=TREASURY)
    for market in state.markets():
        assert (market.supply_index, market.debt_index) == (RAY, RAY)
        assert (market.last_update_epoch, market.cash, market.total_scaled_supply, market.total_scaled_debt) == (0,) * 4
        assert (market.deficit, market.bad_debt_total, market.covered_total) == (0, 0, 0)
        assert (market.interest_total, market.reserve_total) == (0, 0)
        assert market.supply == {} and market.debt == {}
    assert (state.oracle_anchor, state.oracle_epoch, state.cover_failures, state.last_cover_error) == (0, 0, 0, "")
    assert state.users == {} and state.bad_debts == []


def test_counters__a_first_epoch_of_interest__interest_and_the_treasurys_part_counted_from_zero() -> None:
    state, host = emode_borrower()  # Bob owes 90 SWK at a borrow index of one ray
    step(state, host)
    m = state.swk
    interest = m.total_debt() - 90 * SWK
    assert interest > 0 and m.interest_total == interest
    assert m.reserve_total == interest * state.params.swk_reserve_factor_bps // BPS > 0


def test_counters__a_first_write_off_without_a_safety_module__bad_debt_total_is_its_amount() -> None:
    state, host = emode_borrower()
    host.staked_token_ledger.rate = 0  # the collateral is worth nothing: all of the debt is written off
    send(state, host, LIQ, Liquidate(borrower=BOB))
    m = state.swk
    assert m.deficit == m.bad_debt_total == 90 * SWK and m.covered_total == 0
    assert [(d.amount, d.covered) for d in state.bad_debts] == [(90 * SWK, 0)]


# --- the totals' rounding ---------------------------------------------------------------------------------------------
def test_totals__at_an_index_of_1_5__supply_rounded_down_debt_rounded_up() -> None:
    """At an index of 1.5, 3 scaled units are worth 4.5 and 5 are worth 7.5: suppliers claim 4 and 7 (they are
    owed by the protocol), borrowers owe 5 and 8 (they owe it)."""
    half_more = to_u128(3 * RAY // 2)
    m = Market(asset="swk", liquidity_index=half_more, borrow_index=half_more)
    m.supply, m.total_scaled_supply = {ALICE: 3, BOB: 2}, 5
    m.debt, m.total_scaled_debt = {ALICE: 3, BOB: 2}, 5
    assert (m.supply_of(ALICE), m.supply_of(BOB), m.total_supply()) == (4, 3, 7)
    assert (m.debt_of(ALICE), m.debt_of(BOB), m.total_debt()) == (5, 3, 8)
    assert m.supply_of(LIQ) == 0 and m.debt_of(LIQ) == 0


# --- the bad-debt history ---------------------------------------------------------------------------------------------
def test_bad_debt_history__sixty_five_write_offs__the_last_sixty_four_kept() -> None:
    state, host = make()
    for i in range(65):
        who = bytes([i + 1]) * 20
        state.swk.debt[who] = 1
        state.swk.total_scaled_debt += 1
        write_off(state, host, who)
    assert [d.borrower[0] for d in state.bad_debts] == list(range(2, 66))


# --- the year in epochs -----------------------------------------------------------------------------------------------
def test_epochs_per_year__a_year_of_2_268_776_97_epochs__counts_the_whole_ones() -> None:
    preset = preset_from_mapping({"base": "minimal", "SLOT_DURATION_MS": 6_950, "SLOTS_PER_EPOCH": 2})
    assert divmod(365 * 86_400_000, 13_900) == (2_268_776, 13_600)  # 13.9-second epochs: 0.978 of one left over
    assert epochs_per_year(preset) == 2_268_776


def test_epochs_per_year__an_epoch_longer_than_a_year__counts_one() -> None:
    preset = preset_from_mapping({"base": "minimal", "SLOT_DURATION_MS": 366 * 86_400_000 // 8})  # 8 slots: 366 days
    assert epochs_per_year(preset) == 1
    assert new_state(preset, governance=GOV, treasury=TREASURY).epochs_per_year == 1


# --- parameters -------------------------------------------------------------------------------------------------------
def test_new_state__parameters_outside_their_bounds__refused_naming_the_parameter() -> None:
    with pytest.raises(InvalidParameter, match=r"swk_ltv_bps must be an integer in 0\.\.9800"):
        new_state(PRESET, governance=GOV, treasury=TREASURY, params=LendingParameters(swk_ltv_bps=9_801))
    with pytest.raises(InvalidParameter, match=r"swk_ltv_bps \(8300\) must not exceed swk_liquidation_threshold_bps"):
        new_state(PRESET, governance=GOV, treasury=TREASURY, params=LendingParameters(swk_ltv_bps=8_300))
