"""Integer mul-div with a named rounding direction (stakework.spec.arith has only the numpy floor variant).

Rounding favours the protocol: shares minted and assets paid out round DOWN, amounts owed to the protocol round
UP (ERC-4626: "round towards the vault"; Lido: StETH.getSharesByPooledEth / getPooledEthByShares floor).
"""

from __future__ import annotations

from enum import Enum

BPS = 10_000
"""Basis points in one: commissions and fees are ``amount * bps // BPS``."""


class Rounding(Enum):
    """Which way a quotient rounds."""

    DOWN = "down"
    UP = "up"


def mul_div(a: int, b: int, c: int, rounding: Rounding) -> int:
    """``a * b / c`` for non-negative integers, rounded as asked (exact: Python integers do not overflow)."""
    if c <= 0:
        raise ZeroDivisionError("mul_div by a non-positive divisor")
    if a < 0 or b < 0:
        raise ValueError("mul_div of a negative operand")
    q, r = divmod(a * b, c)
    return q + 1 if rounding is Rounding.UP and r else q


def bps_of(amount: int, bps: int) -> int:
    """``amount * bps / 10_000`` rounded down (a fee the protocol takes from a reward)."""
    return mul_div(amount, bps, BPS, Rounding.DOWN)
