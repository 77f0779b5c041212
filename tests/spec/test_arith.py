import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from stakework.spec.arith import UINT64_MAX, apply_deltas, exact_sum, mul_div_floor

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
