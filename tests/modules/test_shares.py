"""The share ledger: rounding per rule, dead shares against the first-depositor inflation attack, transfers."""

from __future__ import annotations

import pytest

from stakework.modules.arith import Rounding, mul_div
from stakework.modules.errors import AboveMaximum, BelowMinimum, InsufficientShares
from stakework.modules.shares import BURN_ADDRESS, DEFAULT_DEAD_SHARES, MAX_SHARES, ShareLedger

SWK = 10**9
ALICE, BOB, EVE = b"a" * 20, b"b" * 20, b"e" * 20


def test_mul_div_rounds_in_the_named_direction() -> None:
    assert mul_div(7, 3, 2, Rounding.DOWN) == 10
    assert mul_div(7, 3, 2, Rounding.UP) == 11
    assert mul_div(6, 3, 2, Rounding.UP) == 9
    with pytest.raises(ZeroDivisionError):
        mul_div(1, 1, 0, Rounding.DOWN)


def test_first_deposit_locks_dead_shares_and_prices_one_to_one() -> None:
    ledger = ShareLedger()
    minted = ledger.mint_for_deposit(ALICE, 32 * SWK)
    assert minted == 32 * SWK - DEFAULT_DEAD_SHARES
    assert ledger.shares_of(BURN_ADDRESS) == DEFAULT_DEAD_SHARES
    assert ledger.total_shares == ledger.total_assets == 32 * SWK
    assert ledger.check() == []


def test_first_deposit_not_above_dead_shares_is_refused() -> None:
    ledger = ShareLedger()
    with pytest.raises(BelowMinimum):
        ledger.mint_for_deposit(EVE, 1)
    with pytest.raises(BelowMinimum):
        ledger.mint_for_deposit(EVE, DEFAULT_DEAD_SHARES)
    assert ledger.total_shares == 0


def test_deposit_mints_rounded_down_shares() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, 10 * SWK)
    ledger.add_assets(5 * SWK)  # price 1.5
    minted = ledger.mint_for_deposit(BOB, 10)
    assert minted == 6  # floor(10 / 1.5)
    assert ledger.convert_to_assets(minted, Rounding.DOWN) <= 10


def test_deposit_that_would_mint_zero_shares_is_refused_not_swallowed() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, 2 * DEFAULT_DEAD_SHARES)
    ledger.add_assets(10 * SWK)
    with pytest.raises(BelowMinimum):
        ledger.mint_for_deposit(BOB, 1)
    assert BOB not in ledger.shares


def test_withdrawal_pays_rounded_down_assets() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, 3 * SWK)
    ledger.add_assets(1)  # 3e9+1 assets over 3e9 shares
    paid = ledger.burn_for_withdrawal(ALICE, 1000)
    assert paid == 1000  # 1000 * (3e9+1) / 3e9 = 1000.0000003 -> 1000
    assert ledger.check() == []


def test_withdrawal_of_more_than_held_is_refused() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, SWK)
    with pytest.raises(InsufficientShares):
        ledger.burn_for_withdrawal(ALICE, SWK)  # dead shares are not Alice's
    with pytest.raises(InsufficientShares):
        ledger.burn_for_withdrawal(BOB, 1)


def test_round_trip_without_rewards_never_profits() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, 7 * SWK)
    ledger.add_assets(3)
    for amount in (2, 3, 5, 7, 11, 10**6 + 1, 3 * SWK + 7):
        shares = ledger.mint_for_deposit(BOB, amount)
        assert ledger.burn_for_withdrawal(BOB, shares) <= amount


def test_transfer_moves_shares_and_value() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, 5 * SWK)
    ledger.transfer(ALICE, BOB, SWK)
    assert ledger.shares_of(BOB) == SWK
    with pytest.raises(InsufficientShares):
        ledger.transfer(BOB, ALICE, SWK + 1)
    with pytest.raises(InsufficientShares):
        ledger.transfer(BURN_ADDRESS, ALICE, 1)
    assert ledger.check() == []


def test_fee_shares_are_worth_the_fee_rounded_down() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(ALICE, 100 * SWK)
    ledger.add_assets(10 * SWK)
    minted = ledger.mint_fee_shares(BOB, SWK)
    assert ledger.assets_of(BOB) <= SWK
    assert ledger.assets_of(BOB) >= SWK - 2
    assert minted > 0


@pytest.mark.parametrize("donation", [10**3, 10**9, 10**15, 10**17])
@pytest.mark.parametrize("victim_deposit", [10**6 + 7, 32 * SWK, 1000 * SWK])
def test_inflation_attack_victim_loses_at_most_one_share_and_attacker_never_profits(
    donation: int, victim_deposit: int
) -> None:
    """Attacker front-runs with the smallest deposit, donates ``donation``; the victim deposits next."""
    ledger = ShareLedger()
    with pytest.raises(BelowMinimum):
        ledger.mint_for_deposit(EVE, 1)  # the textbook "deposit 1" is refused outright
    attacker_in = DEFAULT_DEAD_SHARES + 1
    ledger.mint_for_deposit(EVE, attacker_in)
    ledger.add_assets(donation)  # a donation: assets with no shares (e.g. a top-up of the module's validator)
    attacker_in += donation
    one_share = ledger.convert_to_assets(1, Rounding.UP)
    try:
        shares = ledger.mint_for_deposit(ALICE, victim_deposit)
    except BelowMinimum:
        # Refused: the victim keeps everything; the attacker's donation went to the dead shares.
        assert victim_deposit < one_share
        assert ledger.assets_of(EVE) < attacker_in
        return
    victim_value = ledger.assets_of(ALICE)
    assert victim_deposit - victim_value <= one_share  # at most one rounding unit
    assert victim_deposit - victim_value <= victim_deposit * DEFAULT_DEAD_SHARES // 10**12 + one_share
    attacker_out = ledger.burn_for_withdrawal(EVE, ledger.shares_of(EVE))
    assert attacker_out <= attacker_in  # no profit
    assert ledger.burn_for_withdrawal(ALICE, shares) >= victim_value  # the attacker's rounding dust stays
    assert ledger.check() == []


def test_inflation_attack_with_large_donation_costs_the_attacker_almost_all_of_it() -> None:
    ledger = ShareLedger()
    ledger.mint_for_deposit(EVE, DEFAULT_DEAD_SHARES + 1)
    ledger.add_assets(10**6 * SWK)
    ledger.mint_for_deposit(ALICE, 32 * SWK)
    lost = DEFAULT_DEAD_SHARES + 1 + 10**6 * SWK - ledger.burn_for_withdrawal(EVE, ledger.shares_of(EVE))
    assert lost > 999_999 * SWK  # the dead shares took the donation
    assert 32 * SWK - ledger.assets_of(ALICE) <= SWK  # victim loss bounded by one share (~1 SWK here)


def test_deposit__price_fallen_near_zero__refused_before_shares_pass_2_64() -> None:
    """After a near-total loss one base unit of assets can stand behind billions of shares; a deposit then would
    mint more shares than the canonical encoding (unsigned 64-bit) holds: refused, nothing changes."""
    ledger = ShareLedger()
    ledger.mint_for_deposit(b"a" * 20, 32 * 10**9)
    ledger.remove_assets(ledger.total_assets - 1)
    shares, assets = ledger.total_shares, ledger.total_assets
    with pytest.raises(AboveMaximum, match="2\\^64"):
        ledger.mint_for_deposit(b"b" * 20, 10**9)
    assert (ledger.total_shares, ledger.total_assets) == (shares, assets)
    ledger.mint_for_deposit(b"b" * 20, 100)  # a small one still fits
    assert ledger.total_shares <= MAX_SHARES


def test_fee_mint__would_pass_2_64_shares__skipped() -> None:
    near = MAX_SHARES - 10
    ledger = ShareLedger(shares={b"a" * 20: near}, total_shares=near, total_assets=100, dead_shares=0)
    assert ledger.mint_fee_shares(b"t" * 20, 50) == 0  # would double the shares: no fee this time
    assert ledger.total_shares == near and ledger.check() == []
    assert ledger.mint_fee_shares(b"t" * 20, 0) == 0
