"""Integer arithmetic that says how it rounds. numpy wraps silently on overflow, so every risky operation on
uint64 columns goes through a helper here that either proves it cannot overflow or falls back to exact integers.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

U64 = np.uint64
UINT64_MAX = 2**64 - 1
U64Array = npt.NDArray[np.uint64]


def integer_squareroot(n: int) -> int:
    """Spec: integer_squareroot — the largest x with x*x <= n."""
    if n < 0:
        raise ValueError("integer_squareroot of a negative number")
    return math.isqrt(n)


def saturating_sub(a: int, b: int) -> int:
    """a - b, floored at zero (Spec: decrease_balance)."""
    return a - b if a > b else 0  # equivalent mutant (cmp > to >=): at a == b both branches give 0


def exact_sum(values: npt.NDArray[np.unsignedinteger] | npt.NDArray[np.bool_]) -> int:
    """The exact sum of a uint64 array as a Python int (a plain numpy sum wraps past 2**64).

    Sums the high and low 32-bit halves separately: each partial sum fits in uint64 for up to 2**32 entries.
    """
    if values.dtype != np.uint64:
        return int(values.sum(dtype=np.uint64))
    low = np.bitwise_and(values, U64(0xFFFFFFFF)).sum(dtype=np.uint64)
    high = np.right_shift(values, U64(32)).sum(dtype=np.uint64)
    return (int(high) << 32) + int(low)


def masked_sum(values: U64Array, mask: npt.NDArray[np.bool_]) -> int:
    """Exact sum of `values` where `mask` is set."""
    return exact_sum(values[mask])


def mul_div_floor(a: U64Array, b: U64Array | int, c: int) -> U64Array:
    """floor(a * b / c) element-wise, exact, saturating at 2**64 - 1 when the quotient itself does not fit.

    The product is computed in uint64 where it provably fits; entries where `a * b` would overflow are computed
    with Python integers (rare: e.g. inactivity scores in the millions times a compounding balance).
    """
    if c <= 0:
        raise ZeroDivisionError("mul_div_floor by a non-positive divisor")
    a = np.asarray(a, dtype=np.uint64)
    if isinstance(b, int):
        # equivalent mutant (const 0 to -1): an empty array comes out of the general path empty as well
        if b == 0 or a.size == 0:
            return np.zeros_like(a)
        limit = UINT64_MAX // b
        overflow = a > U64(limit)  # equivalent mutant (cmp > to >=): at a == MAX // b the exact path agrees
        out = (a * U64(b)) // U64(c)
        if overflow.any():
            idx = np.flatnonzero(overflow)
            out[idx] = [min(int(x) * b // c, UINT64_MAX) for x in a[idx]]
        return out
    b = np.asarray(b, dtype=np.uint64)
    with np.errstate(divide="ignore"):
        # a > MAX // b  <=>  a * b > MAX  (for b > 0)
        # equivalent mutant (const 0 to): b = 0 and b = 1 get the limit 2^64 - 1 from either branch
        # equivalent mutant (const 1 to 0|keeping argument 1): it only spares a division by 0 that np.where drops
        # equivalent mutant (const 1 to 2): a lower limit only sends more entries to the exact path
        limits = np.where(b == 0, U64(UINT64_MAX), U64(UINT64_MAX) // np.maximum(b, U64(1)))
    overflow = a > limits  # equivalent mutant (cmp > to >=): at a == MAX // b the exact path agrees
    out = (a * b) // U64(c)
    if overflow.any():
        idx = np.flatnonzero(overflow)
        out[idx] = [min(int(x) * int(y) // c, UINT64_MAX) for x, y in zip(a[idx], b[idx], strict=True)]
    return out


def apply_deltas(balances: U64Array, rewards: U64Array | None, penalties: U64Array | None) -> None:
    """In place: balance += reward, then balance -= min(penalty, balance) (Spec: increase_balance then
    decrease_balance). Rewards that would push a balance past 2**64 - 1 saturate there (the spec would fail)."""
    if rewards is not None:
        headroom = U64(UINT64_MAX) - balances
        np.add(balances, np.minimum(rewards, headroom), out=balances)
    if penalties is not None:
        np.subtract(balances, np.minimum(penalties, balances), out=balances)


def div_ceil(a: int, b: int) -> int:
    """ceil(a / b) for non-negative integers."""
    return -(-a // b)
