"""The AMM's price record and time-weighted price at the edges mutation testing (scripts/mutate on amm/oracle.py)
showed no other test pinned down: only a price (a positive one, down to a single unit) is recorded, so the epochs
before the first deposit never count as history of a price of 0; at most MAX_SAMPLES samples are kept, the oldest
dropped; a pool whose D is undefined has no spot price; a window of 0 epochs is refused by name."""

from __future__ import annotations

import pytest

from stakework.modules.amm import oracle
from stakework.modules.amm.epoch import on_epoch
from stakework.modules.amm.errors import OracleUnavailable
from stakework.modules.amm.handlers import dispatch
from stakework.modules.amm.messages import AddLiquidity
from stakework.modules.amm.oracle import AmmOracle
from stakework.modules.amm.state import MAX_SAMPLES, MAX_TWAP_WINDOW, PricePoint, new_state
from stakework.modules.amm.testing import FakeAmmHost
from stakework.spec.presets import get_preset

SWK = 10**9
P = 10**18
GOV, TREASURY, ALICE = b"G" * 20, b"T" * 20, b"a" * 20
PRESET = get_preset("minimal")


def test_record__epochs_before_the_first_deposit__no_samples_and_the_twap_waits_a_full_window_after_it() -> None:
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, twap_window=4)
    host = FakeAmmHost()
    host.fund(ALICE, 10**6 * SWK)
    host.staked_token_ledger.mint(ALICE, 10**6 * SWK)
    for _ in range(5):  # the epoch hook touches the empty pool every epoch: no price to record
        on_epoch(state, host)
        host.advance_epoch()
    assert state.price_samples == [] and state.price_last == 0
    dispatch(state, host, ALICE, AddLiquidity(swk=1000 * SWK, stswk=1000 * SWK, min_mint=0))  # epoch 5
    price = state.price_last
    assert price > 0
    for _ in range(3):
        on_epoch(state, host)
        host.advance_epoch()
    assert state.price_samples == [PricePoint(5, price), PricePoint(6, price)]  # epoch 7's comes at epoch 8's touch
    with pytest.raises(OracleUnavailable, match="has 3 epochs of price history; its time-weighted price needs 4"):
        oracle.twap(state, host.epoch)
    on_epoch(state, host)
    host.advance_epoch()
    assert oracle.twap(state, host.epoch) == price  # epochs 5..8, none of the empty ones at a price of 0


def test_record__a_price_of_one_unit__kept_as_the_end_price_of_its_epoch() -> None:
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, twap_window=1)
    state.price_last, state.price_epoch = 1, 2  # 10^-18 SWK per share: the least price, still a price
    oracle.record(state, 3)
    assert state.price_samples == [PricePoint(2, 1)] and state.price_epoch == 3
    assert oracle.history_epochs(state, 3) == 1 and oracle.twap(state, 3) == 1


def test_record__samples_at_the_cap__the_oldest_dropped_and_exactly_max_samples_kept() -> None:
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, twap_window=MAX_TWAP_WINDOW)
    state.price_samples = [PricePoint(e, P + e) for e in range(MAX_SAMPLES)]  # epochs 0 .. 1024, one a touch
    state.price_epoch, state.price_last = MAX_SAMPLES, 7 * P
    oracle.record(state, MAX_SAMPLES + 1)
    assert len(state.price_samples) == MAX_SAMPLES
    assert state.price_samples[0] == PricePoint(1, P + 1) and state.price_samples[-1] == PricePoint(MAX_SAMPLES, 7 * P)
    assert oracle.history_epochs(state, MAX_SAMPLES + 1) == MAX_SAMPLES
    # the longest window, epochs 2 .. 1025, is still whole: 1023 samples of P + e and the last epoch's 7 P
    assert oracle.twap(state, MAX_SAMPLES + 1) == (sum(P + e for e in range(2, MAX_SAMPLES)) + 7 * P) // MAX_TWAP_WINDOW


def test_history__a_pool_never_funded__no_epochs_of_history_and_no_twap_even_over_one_epoch() -> None:
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, twap_window=1)  # created at epoch 0, untouched
    assert oracle.history_epochs(state, 5) == 0
    with pytest.raises(OracleUnavailable, match="has 0 epochs of price history; its time-weighted price needs 1"):
        oracle.twap(state, 5)


def test_twap__a_window_of_zero_epochs__refused_by_name() -> None:
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, twap_window=1)
    state.price_last, state.price_samples = P, [PricePoint(0, P)]
    state.price_epoch = 3
    assert oracle.twap(state, 5, window=1) == P
    with pytest.raises(OracleUnavailable, match="the window must be at least one epoch"):
        oracle.twap(state, 5, window=0)


def test_spot_price__a_pool_with_lp_shares_but_one_side_empty__no_price() -> None:
    """D is undefined with a side at 0 (``refresh`` keeps the last price then): the spot price is 0, refused."""
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, twap_window=1)
    host = FakeAmmHost()
    host.fund(ALICE, 10**6 * SWK)
    host.staked_token_ledger.mint(ALICE, 10**6 * SWK)
    dispatch(state, host, ALICE, AddLiquidity(swk=1000 * SWK, stswk=1000 * SWK, min_mint=0))
    assert oracle.current_price(state, P, host.epoch) == P
    state.stswk_balance = 0
    assert state.lp.total_shares > 0 and oracle.current_price(state, P, host.epoch) == 0
    with pytest.raises(OracleUnavailable, match="the AMM pool has no price"):
        AmmOracle(state, host).spot_price()
