import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.spec.arith import (
    UINT64_MAX,
    apply_deltas,
    div_ceil,
    exact_sum,
    integer_squareroot,
    masked_sum,
    mul_div_floor,
    saturating_sub,
)

u64 = st.integers(0, UINT64_MAX)


@given(st.lists(u64, max_size=50))
def test_exact_sum__any_uint64s__equals_python_sum(values: list[int]) -> None:
    assert exact_sum(np.array(values, dtype=np.uint64)) == sum(values)


@given(st.lists(st.tuples(u64, u64), min_size=1, max_size=30), st.integers(1, 2**40))
def test_mul_div_floor__overflowing_products__exact_or_saturated(pairs: list[tuple[int, int]], c: int) -> None:
    a = np.array([x for x, _ in pairs], dtype=np.uint64)
    b = np.array([y for _, y in pairs], dtype=np.uint64)
    got = mul_div_floor(a, b, c)
    assert [int(x) for x in got] == [min(x * y // c, UINT64_MAX) for x, y in pairs]


@given(st.lists(u64, min_size=1, max_size=30), st.integers(0, 2**40), st.integers(1, 2**40))
def test_mul_div_floor__scalar_factor__exact(values: list[int], b: int, c: int) -> None:
    got = mul_div_floor(np.array(values, dtype=np.uint64), b, c)
    assert [int(x) for x in got] == [min(x * b // c, UINT64_MAX) for x in values]


@given(st.lists(st.tuples(u64, u64, u64), min_size=1, max_size=30))
def test_apply_deltas__penalty_beyond_balance__floors_at_zero(rows: list[tuple[int, int, int]]) -> None:
    balances = np.array([b for b, _, _ in rows], dtype=np.uint64)
    apply_deltas(
        balances, np.array([r for _, r, _ in rows], dtype=np.uint64), np.array([p for *_, p in rows], dtype=np.uint64)
    )
    expected = [max(min(b + r, UINT64_MAX) - p, 0) for b, r, p in rows]
    assert [int(x) for x in balances] == expected


# --- edges, each named (mutation testing found them unguarded: scripts/mutate, docs/testing.md) -------------------
MAX = 18_446_744_073_709_551_615  # 2**64 - 1, written out: the tests must not borrow the module's own constant


def _u64(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.uint64)


def test_uint64_max__is_two_to_the_64_minus_one() -> None:
    assert UINT64_MAX == MAX
    assert int(np.iinfo(np.uint64).max) == UINT64_MAX


@pytest.mark.parametrize(("n", "root"), [(0, 0), (1, 1), (15, 3), (16, 4), (MAX, 2**32 - 1)])
def test_integer_squareroot__perfect_and_imperfect_squares__floor_of_the_root(n: int, root: int) -> None:
    assert integer_squareroot(n) == root


@pytest.mark.parametrize("n", [-1, -2])
def test_integer_squareroot__negative__refused_naming_the_function(n: int) -> None:
    with pytest.raises(ValueError, match="integer_squareroot of a negative number"):
        integer_squareroot(n)


@pytest.mark.parametrize(("a", "b", "expected"), [(7, 3, 4), (3, 3, 0), (3, 7, 0), (0, 1, 0), (5, 0, 5)])
def test_saturating_sub__below_zero__floors_at_zero(a: int, b: int, expected: int) -> None:
    assert saturating_sub(a, b) == expected


def test_exact_sum__past_2_64__exact_where_a_numpy_sum_wraps() -> None:
    values = _u64(MAX, MAX, 1, 2**32, 2**32 - 1, 2**63 + 12345)
    assert exact_sum(values) == 2 * MAX + 1 + 2**32 + 2**32 - 1 + 2**63 + 12345
    assert exact_sum(_u64()) == 0


def test_exact_sum__booleans_and_narrow_integers__counted_exactly() -> None:
    assert exact_sum(np.array([True, False, True, True])) == 3
    assert exact_sum(np.array([200, 100, 7], dtype=np.uint8)) == 307  # summed wider than the inputs


def test_masked_sum__mask_selects__only_the_selected_values() -> None:
    values = _u64(MAX, 5, MAX, 7)
    assert masked_sum(values, np.array([True, False, True, False])) == 2 * MAX
    assert masked_sum(values, np.array([False, True, False, True])) == 12
    assert masked_sum(values, np.zeros(4, dtype=bool)) == 0


@pytest.mark.parametrize("c", [0, -1])
def test_mul_div_floor__non_positive_divisor__refused(c: int) -> None:
    with pytest.raises(ZeroDivisionError, match="non-positive divisor"):
        mul_div_floor(_u64(1, 2), 3, c)
    with pytest.raises(ZeroDivisionError, match="non-positive divisor"):
        mul_div_floor(_u64(1, 2), _u64(3, 4), c)


def test_mul_div_floor__scalar_zero_one_and_empty__exact() -> None:
    assert mul_div_floor(_u64(MAX, 5), 0, 1).tolist() == [0, 0]
    assert mul_div_floor(_u64(MAX, 5), 1, 1).tolist() == [MAX, 5]
    assert mul_div_floor(_u64(9), 1, 2).tolist() == [4]  # a single entry, divided
    assert mul_div_floor(_u64(9), 3, 1).tolist() == [27]
    assert mul_div_floor(_u64(), 3, 2).tolist() == []


def test_mul_div_floor__product_past_2_64__exact_then_saturated() -> None:
    # scalar factor: 2**63 * 3 // 2 fits after the division; 2**63 * 3 // 1 does not and saturates
    assert mul_div_floor(_u64(2**63, 10), 3, 2).tolist() == [3 * 2**62, 15]
    assert mul_div_floor(_u64(2**63, 10), 3, 1).tolist() == [MAX, 30]
    assert mul_div_floor(_u64(MAX // 3, MAX // 3 + 1), 3, 1).tolist() == [MAX // 3 * 3, MAX]
    # array factor, with a zero factor beside an overflowing one
    got = mul_div_floor(_u64(2**63, MAX, 7, 2**40), _u64(3, 0, 5, 2**24), 2)
    assert got.tolist() == [3 * 2**62, 0, 17, 2**63]
    assert mul_div_floor(_u64(2**63, 4), _u64(3, 5), 1).tolist() == [MAX, 20]
    assert mul_div_floor(_u64(MAX // 3, MAX // 3 + 1), _u64(3, 3), 1).tolist() == [MAX // 3 * 3, MAX]


def test_apply_deltas__reward_past_2_64__saturates_and_penalty_floors_at_zero() -> None:
    balances = _u64(MAX - 5, 10, 100)
    apply_deltas(balances, _u64(10, 3, 0), _u64(0, 20, 40))
    assert balances.tolist() == [MAX, 0, 60]


def test_apply_deltas__rewards_only_or_penalties_only__the_other_skipped() -> None:
    balances = _u64(MAX - 1, 10)
    apply_deltas(balances, _u64(5, 7), None)
    assert balances.tolist() == [MAX, 17]
    apply_deltas(balances, None, _u64(3, 30))
    assert balances.tolist() == [MAX - 3, 0]
    apply_deltas(balances, None, None)
    assert balances.tolist() == [MAX - 3, 0]


@pytest.mark.parametrize(("a", "b", "expected"), [(7, 2, 4), (8, 2, 4), (0, 5, 0), (1, 5, 1), (10, 1, 10)])
def test_div_ceil__inexact_and_exact__rounded_up(a: int, b: int, expected: int) -> None:
    assert div_ceil(a, b) == expected
