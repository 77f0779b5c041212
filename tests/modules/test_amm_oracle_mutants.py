"""The AMM's price record at the edge mutation testing (scripts/mutate on amm/oracle.py) showed no other test pinned
down: only a price (a positive one, down to a single unit) is recorded, so the epochs before the first deposit
never count as history of a price of 0."""

from __future__ import annotations

import pytest

from stakework.modules.amm import oracle
from stakework.modules.amm.epoch import on_epoch
from stakework.modules.amm.errors import OracleUnavailable
from stakework.modules.amm.handlers import dispatch
from stakework.modules.amm.messages import AddLiquidity
from stakework.modules.amm.state import PricePoint, new_state
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
