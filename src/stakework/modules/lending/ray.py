"""Aave's fixed-point math and interest, in exact integers (anchors: Aave v3 ``WadRayMath``, ``MathUtils``,
``DefaultReserveInterestRateStrategy``).

- A **ray** is 10^27 (Aave's precision for indices and rates). Aave rounds ``rayMul``/``rayDiv`` half up; here
  every product and quotient names its direction and takes the one that favours the protocol, as Aave v3.5's
  ``TokenMath`` does for balances (ERC-4626's rule): an index the suppliers earn rounds down, a debt index rounds
  up, minted supply rounds down, minted debt rounds up.
- Time is the chain's epoch (a module sees no clock): a rate is a yearly ray rate, and ``dt`` is in epochs, with
  ``epochs_per_year`` from the preset in place of Aave's ``SECONDS_PER_YEAR``.
- The store's integers are unsigned 64-bit, and a ray index is above 2^64 from the start, so an index is kept as
  16 big-endian bytes (:func:`to_u128`, :func:`from_u128`): Aave packs its indices as ``uint128`` too.
"""

from __future__ import annotations

from stakework.modules.arith import BPS, Rounding, mul_div

RAY = 10**27
MAX_U128 = 2**128 - 1


def ray_mul(a: int, b: int, rounding: Rounding) -> int:
    """``a * b / RAY``, rounded as asked (Aave ``rayMul`` rounds half up)."""
    return mul_div(a, b, RAY, rounding)


def ray_div(a: int, b: int, rounding: Rounding) -> int:
    """``a * RAY / b``, rounded as asked (Aave ``rayDiv`` rounds half up)."""
    return mul_div(a, RAY, b, rounding)


def to_u128(value: int) -> bytes:
    """An index as 16 big-endian bytes (the store holds unsigned 64-bit integers only)."""
    if not 0 <= value <= MAX_U128:
        raise ValueError(f"{value} does not fit 128 bits")
    return value.to_bytes(16, "big")


def from_u128(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def bps_to_ray(bps: int) -> int:
    """A rate in basis points a year as a ray a year."""
    return bps * RAY // BPS


def linear_interest(rate: int, dt: int, epochs_per_year: int) -> int:
    """Aave ``MathUtils.calculateLinearInterest``: ``RAY + rate * dt / year`` (rounded down: what suppliers earn)."""
    return RAY + rate * dt // epochs_per_year


def compounded_interest(rate: int, dt: int, epochs_per_year: int) -> int:
    """Aave v3.0 ``MathUtils.calculateCompoundedInterest``: ``(1 + rate / year) ^ dt`` by its binomial expansion
    to the third term, ``RAY + r*dt + dt*(dt-1)/2 * r^2 + dt*(dt-1)*(dt-2)/6 * r^3`` with ``r = rate / year``.

    Aave notes the expansion slightly underpays the exact power (in the borrower's favour) for long gaps; here the
    hook accrues every epoch, so ``dt`` is 1 and the result is exact (``RAY + rate / year``, rounded up: the
    debt index rounds in the protocol's favour). Each division rounds up."""
    # equivalent mutant (const 0 to -1): at dt = 0 every term below is 0 too, so the expansion gives RAY as well
    if dt == 0:
        return RAY
    exp_minus_one = dt - 1
    # equivalent mutant (cmp > to >=|const 2 to 1): at dt = 2 both branches give 0 (dt - 2 = 0)
    exp_minus_two = dt - 2 if dt > 2 else 0
    base_power_two = mul_div(ray_mul(rate, rate, Rounding.UP), 1, epochs_per_year * epochs_per_year, Rounding.UP)
    base_power_three = mul_div(ray_mul(base_power_two, rate, Rounding.UP), 1, epochs_per_year, Rounding.UP)
    # equivalent mutant (rounding UP to DOWN): dt * (dt - 1) is even, so the division by 2 is exact
    second = mul_div(dt * exp_minus_one, base_power_two, 2, Rounding.UP)
    # equivalent mutant (rounding UP to DOWN): a product of three consecutive integers is a multiple of 6: exact
    third = mul_div(dt * exp_minus_one * exp_minus_two, base_power_three, 6, Rounding.UP)
    return RAY + mul_div(rate, dt, epochs_per_year, Rounding.UP) + second + third


def usage_ratio(cash: int, debt: int) -> int:
    """Aave v3 ``borrowUsageRatio``: ``debt / (cash + debt)`` as a ray (0 without debt), rounded down."""
    if debt == 0:
        return 0
    return ray_div(debt, cash + debt, Rounding.DOWN)


def borrow_rate(usage: int, optimal_bps: int, base_bps: int, slope1_bps: int, slope2_bps: int) -> int:
    """Aave v3 ``DefaultReserveInterestRateStrategy.calculateInterestRates``, variable rate (a ray a year):
    below the optimal usage ``base + slope1 * U / U_opt``; above it ``base + slope1 + slope2 * (U - U_opt) /
    (1 - U_opt)``. Rounded up (borrowers pay)."""
    optimal = bps_to_ray(optimal_bps)
    rate = bps_to_ray(base_bps)
    # equivalent mutant (cmp > to >=): at usage == optimal both branches give base + slope1 (excess 0, U / U_opt 1)
    if usage > optimal:
        excess = mul_div(usage - optimal, RAY, RAY - optimal, Rounding.UP)
        return rate + bps_to_ray(slope1_bps) + ray_mul(bps_to_ray(slope2_bps), excess, Rounding.UP)
    return rate + mul_div(bps_to_ray(slope1_bps), usage, optimal, Rounding.UP)


def liquidity_rate(borrow: int, usage: int, reserve_factor_bps: int) -> int:
    """Aave v3: ``borrow_rate * U * (1 - reserve factor)`` (a ray a year), rounded down (suppliers earn)."""
    return mul_div(ray_mul(borrow, usage, Rounding.DOWN), BPS - reserve_factor_bps, BPS, Rounding.DOWN)
