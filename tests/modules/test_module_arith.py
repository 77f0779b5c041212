"""Module arithmetic (stakework.modules.arith): mul_div rounds in the named direction and refuses what has no
answer; bps_of is a fee in basis points, rounded down. Edges found unguarded by mutation testing (scripts/mutate)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.modules.arith import BPS, Rounding, bps_of, mul_div


@pytest.mark.parametrize(
    ("a", "b", "c", "down", "up"),
    [
        (7, 3, 2, 10, 11),  # 10.5
        (6, 3, 2, 9, 9),  # exact: UP adds nothing
        (1, 1, 3, 0, 1),  # below one: UP gives one
        (0, 5, 3, 0, 0),  # zero operands are fine
        (5, 0, 3, 0, 0),
        (2**64, 2**64, 3, 2**128 // 3, 2**128 // 3 + 1),  # Python integers: no overflow
    ],
)
def test_mul_div__exact_and_inexact__rounded_as_named(a: int, b: int, c: int, down: int, up: int) -> None:
    assert mul_div(a, b, c, Rounding.DOWN) == down
    assert mul_div(a, b, c, Rounding.UP) == up


@pytest.mark.parametrize("c", [0, -1, -7])
def test_mul_div__non_positive_divisor__refused(c: int) -> None:
    with pytest.raises(ZeroDivisionError, match="non-positive divisor"):
        mul_div(1, 1, c, Rounding.DOWN)


@pytest.mark.parametrize(("a", "b"), [(-1, 5), (5, -1), (-2, -3)])
def test_mul_div__negative_operand__refused(a: int, b: int) -> None:
    with pytest.raises(ValueError, match="negative operand"):
        mul_div(a, b, 7, Rounding.UP)


def test_mul_div__divisor_one__the_product() -> None:
    assert mul_div(6, 7, 1, Rounding.UP) == 42


@given(st.integers(0, 2**70), st.integers(0, 2**70), st.integers(1, 2**70))
def test_mul_div__any_operands__floor_and_ceiling_of_the_quotient(a: int, b: int, c: int) -> None:
    assert mul_div(a, b, c, Rounding.DOWN) == a * b // c
    assert mul_div(a, b, c, Rounding.UP) == -(-a * b // c)


def test_bps_of__ten_thousand_basis_points_in_one__fee_rounded_down() -> None:
    assert BPS == 10_000
    assert bps_of(10_000, 1) == 1
    assert bps_of(9_999, 1) == 0  # 0.9999: rounded down, never up
    assert bps_of(32 * 10**9, 1_000) == 32 * 10**8  # 10 %
    assert bps_of(123, 10_000) == 123
