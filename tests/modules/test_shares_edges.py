"""The share ledger at its edges: empty and insolvent ledgers, exact boundaries (2^64 - 1 shares, a fee equal to
all assets, a holder's whole balance), zero and negative amounts, inexact quotients (which way they round), and
the invariant check on corrupted ledgers. Found missing by mutation testing (scripts/mutate, docs/testing.md)."""

from __future__ import annotations

import pytest

from stakework.modules.arith import Rounding
from stakework.modules.errors import AboveMaximum, BelowMinimum, Insolvent, InsufficientShares
from stakework.modules.shares import BURN_ADDRESS, ShareLedger

SWK = 10**9
UINT64_MAX = 2**64 - 1
ALICE, BOB, EVE = b"a" * 20, b"b" * 20, b"e" * 20


def _ledger(shares: int, assets: int) -> ShareLedger:
    """Alice holds every share (no dead shares): a ledger at an arbitrary price."""
    return ShareLedger(shares={ALICE: shares}, total_shares=shares, total_assets=assets, dead_shares=0)


# --- defaults and constants ------------------------------------------------------------------------------------
def test_new_ledger__nothing_held__empty_and_consistent() -> None:
    ledger = ShareLedger()
    assert (ledger.total_shares, ledger.total_assets, ledger.shares) == (0, 0, {})
    assert ledger.check() == []


def test_first_deposit__default_ledger__locks_one_thousandth_swk_at_the_burn_address() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, 2 * SWK)
    assert ledger.shares == {BURN_ADDRESS: SWK // 1000, ALICE: 2 * SWK - SWK // 1000}


# --- conversions ---------------------------------------------------------------------------------------------------
def test_convert__empty_ledger__one_to_one_both_ways() -> None:
    ledger = ShareLedger()
    assert ledger.convert_to_shares(12_345, Rounding.DOWN) == 12_345
    assert ledger.convert_to_assets(12_345, Rounding.UP) == 12_345


def test_convert__single_share_worth_five__priced_not_one_to_one() -> None:
    ledger = _ledger(1, 5)
    assert ledger.convert_to_assets(1, Rounding.DOWN) == 5
    assert ledger.convert_to_shares(10, Rounding.DOWN) == 2


def test_convert__single_asset_behind_shares__priced_not_refused() -> None:
    ledger = _ledger(7, 1)
    assert ledger.convert_to_shares(1, Rounding.DOWN) == 7
    assert ledger.preview_deposit(1) == 7


def test_convert_to_shares__shares_backed_by_nothing__refused_as_insolvent() -> None:
    with pytest.raises(Insolvent, match="no assets"):
        _ledger(10, 0).convert_to_shares(5, Rounding.DOWN)


def test_assets_of__inexact_price__rounded_down() -> None:
    ledger = _ledger(3, 10)  # one share is worth 3.33...
    assert ledger.assets_of(ALICE) == 10
    ledger.transfer(ALICE, BOB, 1)
    assert ledger.assets_of(BOB) == 3
    assert ledger.assets_of(EVE) == 0


# --- the owner's bookkeeping -------------------------------------------------------------------------------------
def test_remove_assets__more_than_held__floors_at_zero() -> None:
    ledger = _ledger(10, 100)
    ledger.remove_assets(250)
    assert ledger.total_assets == 0
    assert ledger.check() == []


def test_remove_assets__part__lowers_the_total_by_that_much() -> None:
    ledger = _ledger(10, 100)
    ledger.remove_assets(30)
    assert ledger.total_assets == 70


def test_set_total_assets__zero_accepted_negative_refused() -> None:
    ledger = _ledger(10, 100)
    ledger.set_total_assets(0)
    assert ledger.total_assets == 0
    with pytest.raises(ValueError, match="negative"):
        ledger.set_total_assets(-1)
    assert ledger.total_assets == 0


# --- deposits --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", [0, -5])
def test_deposit__not_positive__refused_as_not_positive(amount: int) -> None:
    for ledger in (ShareLedger(), _ledger(10, 10)):
        with pytest.raises(BelowMinimum, match="must be positive"):
            ledger.mint_for_deposit(BOB, amount)
        assert BOB not in ledger.shares


def test_deposit__worth_exactly_one_share__mints_it() -> None:
    ledger = _ledger(10, 30)  # a share is worth 3
    assert ledger.mint_for_deposit(BOB, 3) == 1
    assert ledger.mint_for_deposit(BOB, 5) == 1  # 1.67 shares: one, rounded down
    assert (ledger.shares_of(BOB), ledger.total_shares, ledger.total_assets) == (2, 12, 38)


def test_first_deposit__assets_already_donated__minted_one_to_one_on_the_deposit_only() -> None:
    ledger = ShareLedger(dead_shares=1000)
    ledger.add_assets(500)  # a donation before any share exists
    assert ledger.mint_for_deposit(ALICE, 5000) == 4000
    assert (ledger.total_shares, ledger.total_assets) == (5000, 5500)


@pytest.mark.parametrize("assets", [1, 999, 1000, 1001, 10**6])
def test_preview_deposit__empty_ledger__the_shares_the_first_deposit_gets_after_the_dead_shares(assets: int) -> None:
    ledger = ShareLedger(dead_shares=1000)
    preview = ledger.preview_deposit(assets)
    assert preview == max(assets - 1000, 0)
    if preview == 0:
        with pytest.raises(BelowMinimum):
            ledger.mint_for_deposit(BOB, assets)
    else:
        assert ledger.mint_for_deposit(BOB, assets) == preview


@pytest.mark.parametrize("assets", [1, 2, 3, 7, 10**9 + 1])
def test_preview_deposit__inexact_price__agrees_with_the_mint(assets: int) -> None:
    ledger = ShareLedger(dead_shares=1000)
    ledger.mint_for_deposit(ALICE, 3001)
    ledger.add_assets(1500)  # a share is worth 1.5
    preview = ledger.preview_deposit(assets)
    assert preview == assets * 3001 // 4501
    if preview == 0:
        with pytest.raises(BelowMinimum):
            ledger.mint_for_deposit(BOB, assets)
    else:
        assert ledger.mint_for_deposit(BOB, assets) == preview


def test_deposit__lands_exactly_on_2_64_minus_1_shares__accepted_one_more_refused() -> None:
    ledger = _ledger(UINT64_MAX - 100, UINT64_MAX - 100)  # one share per base unit
    assert ledger.preview_deposit(100) == 100
    assert ledger.mint_for_deposit(BOB, 100) == 100
    assert ledger.total_shares == UINT64_MAX
    with pytest.raises(AboveMaximum, match="2\\^64"):
        ledger.preview_deposit(1)
    with pytest.raises(AboveMaximum, match="2\\^64"):
        ledger.mint_for_deposit(BOB, 1)
    assert (ledger.total_shares, ledger.shares_of(BOB)) == (UINT64_MAX, 100)


# --- withdrawals -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shares", [0, -3])
def test_withdrawal__not_positive__refused(shares: int) -> None:
    ledger = _ledger(10, 10)
    with pytest.raises(BelowMinimum, match="positive"):
        ledger.burn_for_withdrawal(ALICE, shares)
    assert (ledger.shares_of(ALICE), ledger.total_assets) == (10, 10)


def test_withdrawal__a_holders_whole_balance__pays_it_and_removes_the_holder() -> None:
    ledger = _ledger(10, 20)
    ledger.transfer(ALICE, BOB, 4)
    assert ledger.burn_for_withdrawal(BOB, 4) == 8
    assert BOB not in ledger.shares
    assert (ledger.total_shares, ledger.total_assets) == (6, 12)
    assert ledger.check() == []


def test_withdrawal__part__pays_the_shares_worth_and_lowers_the_total() -> None:
    ledger = _ledger(10, 20)
    assert ledger.burn_for_withdrawal(ALICE, 1) == 2
    assert (ledger.shares_of(ALICE), ledger.total_shares, ledger.total_assets) == (9, 9, 18)


# --- burns and transfers -------------------------------------------------------------------------------------------
def test_burn__one_share__gone_and_its_value_stays_with_the_others() -> None:
    ledger = _ledger(10, 20)
    ledger.burn(ALICE, 1)
    assert (ledger.shares_of(ALICE), ledger.total_shares, ledger.total_assets) == (9, 9, 20)
    ledger.burn(ALICE, 9)
    assert (ledger.shares, ledger.total_shares) == ({}, 0)


def test_burn__more_than_held__refused_nothing_changes() -> None:
    ledger = _ledger(10, 20)
    with pytest.raises(InsufficientShares, match="holder has 10 shares, 11 requested"):
        ledger.burn(ALICE, 11)
    assert ledger.shares_of(ALICE) == 10


def test_transfer__zero_shares__no_op_and_no_empty_entry() -> None:
    ledger = _ledger(10, 20)
    ledger.transfer(ALICE, BOB, 0)
    ledger.transfer(EVE, BOB, 0)  # a sender with nothing may move nothing
    assert ledger.shares == {ALICE: 10}
    assert ledger.check() == []


@pytest.mark.parametrize("shares", [-1, -3])
def test_transfer__negative_shares__refused_nothing_changes(shares: int) -> None:
    ledger = _ledger(10, 20)
    ledger.transfer(ALICE, BOB, 3)
    with pytest.raises(BelowMinimum, match="negative"):
        ledger.transfer(ALICE, BOB, shares)
    assert ledger.shares == {ALICE: 7, BOB: 3}
    assert ledger.total_shares == 10


# --- fee shares ------------------------------------------------------------------------------------------------------
def test_fee_mint__inexact_quotient__shares_rounded_down() -> None:
    ledger = _ledger(100 * SWK, 110 * SWK)
    minted = ledger.mint_fee_shares(BOB, SWK)
    assert minted == SWK * 100 * SWK // (109 * SWK)  # 917_431_192.66... rounded down
    assert (ledger.shares_of(BOB), ledger.total_shares) == (minted, 100 * SWK + minted)
    assert ledger.total_assets == 110 * SWK  # fee shares come out of assets already held


def test_fee_mint__one_base_unit_at_a_price_below_one__mints_its_shares() -> None:
    ledger = _ledger(100, 51)  # a share is worth 0.51: one base unit of fee is worth 100 / 50 shares
    assert ledger.mint_fee_shares(BOB, 1) == 2
    assert (ledger.shares_of(BOB), ledger.total_shares, ledger.total_assets) == (2, 102, 51)


def test_fee_mint__ledger_of_a_single_share__fee_minted() -> None:
    ledger = _ledger(1, 10)
    assert ledger.mint_fee_shares(BOB, 5) == 1  # 5 * 1 / (10 - 5)
    assert ledger.shares == {ALICE: 1, BOB: 1}


def test_fee_mint__fee_equal_to_all_assets__no_fee_no_error() -> None:
    ledger = _ledger(10, 50)
    assert ledger.mint_fee_shares(BOB, 50) == 0
    assert ledger.mint_fee_shares(BOB, 51) == 0
    assert ledger.shares == {ALICE: 10}


def test_fee_mint__empty_ledger_or_negative_fee__no_fee() -> None:
    empty = ShareLedger()
    empty.add_assets(100)
    assert empty.mint_fee_shares(BOB, 10) == 0
    assert empty.shares == {}
    ledger = _ledger(10, 50)
    assert ledger.mint_fee_shares(BOB, -5) == 0
    assert ledger.shares == {ALICE: 10}


def test_fee_mint__lands_exactly_on_2_64_minus_1_shares__minted_one_more_skipped() -> None:
    s = UINT64_MAX - 100
    ledger = _ledger(s, s + 100)  # fee 100 out of s + 100: 100 * s / s = 100 shares
    assert ledger.mint_fee_shares(BOB, 100) == 100
    assert ledger.total_shares == UINT64_MAX
    over = _ledger(s, s + 101)
    assert over.mint_fee_shares(BOB, 101) == 0
    assert over.total_shares == s


# --- the invariant check --------------------------------------------------------------------------------------------
def test_check__holder_shares_not_summing_to_the_total__reported() -> None:
    ledger = _ledger(10, 10)
    ledger.total_shares = 11
    assert ledger.check() == ["holder shares sum to 10, total is 11"]


def test_check__zero_holder_entry__reported() -> None:
    ledger = _ledger(10, 10)
    ledger.shares[BOB] = 0
    assert ledger.check() == ["a holder entry is zero or negative"]


def test_check__negative_assets__reported() -> None:
    ledger = _ledger(10, 10)
    ledger.total_assets = -1
    assert ledger.check() == ["total assets negative: -1"]
    ledger.total_assets = 0
    assert ledger.check() == []


@pytest.mark.parametrize("dead", [1, 1000])
def test_check__dead_shares_gone__reported(dead: int) -> None:
    ledger = ShareLedger(dead_shares=dead)
    ledger.mint_for_deposit(ALICE, 5000)
    assert ledger.check() == []
    del ledger.shares[BURN_ADDRESS]
    ledger.total_shares -= dead
    assert ledger.check() == ["dead shares were moved or burned"]


@pytest.mark.parametrize("shares", [1, 2])
def test_burn_and_transfer__holder_with_no_entry__refused_saying_they_hold_none(shares: int) -> None:
    ledger = _ledger(10, 20)
    with pytest.raises(InsufficientShares, match=f"holder has 0 shares, {shares} requested"):
        ledger.burn(EVE, shares)
    with pytest.raises(InsufficientShares, match=f"holder has 0 shares, {shares} requested"):
        ledger.transfer(EVE, BOB, shares)
    assert ledger.shares == {ALICE: 10}
