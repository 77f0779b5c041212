"""The explanation's arithmetic (the seed example) and the PoW vs PoS table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.risk.chains import CHAINS, get_chain
from stakework.risk.errors import InputValueError
from stakework.risk.report.explain import PowReference, pos_row, security_table, stake_to_reach, walkthrough


def test_seed_example__20_percent_apy_and_50_percent_drop__is_a_40_percent_fiat_loss() -> None:
    w = walkthrough(amount=32, apy=0.20, price_change=-0.50, price0=3000.0)
    assert w.ratio == pytest.approx(0.6)
    assert w.fiat_return == pytest.approx(-0.4)
    assert w.tokens == pytest.approx(38.4)
    assert w.end_fiat == pytest.approx(0.6 * 96_000)
    assert w.breakeven_drop == pytest.approx(1 / 6)
    assert w.hold_fiat == pytest.approx(48_000)


@given(apy=st.floats(0.0, 2.0), change=st.floats(-1.0, 3.0))
def test_walkthrough__any_numbers__dollars_multiply_token_growth_and_price(apy: float, change: float) -> None:
    w = walkthrough(10.0, apy, change, 2.0)
    assert w.end_fiat == pytest.approx(w.start_fiat * (1 + apy) * (1 + change))
    assert (w.fiat_return < 0) == ((1 + apy) * (1 + change) < 1)


def test_walkthrough__impossible_numbers__rejected() -> None:
    with pytest.raises(InputValueError):
        walkthrough(0.0, 0.1, 0.0, 1.0)
    with pytest.raises(InputValueError):
        walkthrough(1.0, 0.1, -1.5, 1.0)


def test_attack_cost__one_third__needs_half_the_existing_stake() -> None:
    assert stake_to_reach(1 / 3, 90.0) == pytest.approx(45.0)
    assert stake_to_reach(2 / 3, 90.0) == pytest.approx(180.0)
    eth = get_chain("ETH")
    row = pos_row(eth)
    assert row.attack_halt_usd == pytest.approx(eth.total_staked / 2 * eth.price_usd)


def test_security_table__pow_uses_far_more_energy_per_transaction() -> None:
    rows = security_table(list(CHAINS.values()))
    assert rows[0].proof == "pow"
    assert rows[0].energy_per_tx_kwh == pytest.approx(PowReference().power_w * 24 / 1000 / 450_000)
    assert all(r.energy_per_tx_kwh * 1000 < rows[0].energy_per_tx_kwh for r in rows[1:])
    assert {r.proof for r in rows[1:]} == {"pos", "pos_praos"}
