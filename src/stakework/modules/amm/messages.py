"""AMM transaction kinds (tagged msgspec structs; ``AmmMessage`` is their union).

Coins are named: ``"swk"`` (amounts in Gwei) and ``"stswk"`` (amounts in stSWK shares, the liquid module's
non-rebasing unit). Every trading message carries its slippage bound: a least amount out (``min_*``) or a most
amount in (``max_dx``); a result outside it refuses the message (Curve ``min_dy``, ``min_mint_amount``,
``min_amounts``; Uniswap/Balancer ``amountInMax`` for exact-out swaps).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from stakework.spec.types import U64

Coin = Literal["swk", "stswk"]
COINS: tuple[Coin, Coin] = ("swk", "stswk")


def coin_index(coin: str) -> int:
    """0 for SWK, 1 for stSWK (Curve's ``i``)."""
    return 0 if coin == "swk" else 1 if coin == "stswk" else _unknown(coin)


def _unknown(coin: str) -> int:
    raise ValueError(f"coin {coin!r}: choose swk or stswk")


class Exchange(msgspec.Struct, tag="amm.exchange", kw_only=True):
    """Sell ``dx`` of coin ``sell`` for at least ``min_dy`` of the other (Curve ``exchange``)."""

    sell: Coin
    dx: U64
    min_dy: U64


class ExchangeExactOut(msgspec.Struct, tag="amm.exchange_exact_out", kw_only=True):
    """Buy exactly ``dy`` of the other coin, paying at most ``max_dx`` of coin ``sell`` (StableSwap-NG ``get_dx``;
    Balancer GIVEN_OUT)."""

    sell: Coin
    dy: U64
    max_dx: U64


class AddLiquidity(msgspec.Struct, tag="amm.add_liquidity", kw_only=True):
    """Deposit SWK and/or stSWK shares for at least ``min_mint`` LP shares (Curve ``add_liquidity``; an
    imbalanced deposit pays the imbalance fee)."""

    swk: U64 = 0
    stswk: U64 = 0
    min_mint: U64


class RemoveLiquidity(msgspec.Struct, tag="amm.remove_liquidity", kw_only=True):
    """Burn ``shares`` LP shares for both coins pro rata, at least ``min_swk`` and ``min_stswk`` (Curve
    ``remove_liquidity``; no fee)."""

    shares: U64
    min_swk: U64
    min_stswk: U64


class RemoveLiquidityOneCoin(msgspec.Struct, tag="amm.remove_liquidity_one_coin", kw_only=True):
    """Burn ``shares`` LP shares for at least ``min_amount`` of one coin (Curve ``remove_liquidity_one_coin``)."""

    shares: U64
    coin: Coin
    min_amount: U64


class RampA(msgspec.Struct, tag="amm.ramp_a", kw_only=True):
    """Governance executor: move A linearly to ``future_a`` by ``future_epoch`` (Curve ``ramp_A``)."""

    future_a: U64
    future_epoch: U64


class StopRampA(msgspec.Struct, tag="amm.stop_ramp_a", kw_only=True):
    """Governance executor: freeze A where the ramp has brought it (Curve ``stop_ramp_A``)."""


AmmMessage = Exchange | ExchangeExactOut | AddLiquidity | RemoveLiquidity | RemoveLiquidityOneCoin | RampA | StopRampA
