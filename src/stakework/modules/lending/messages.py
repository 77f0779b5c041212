"""Lending-module transaction kinds (tagged msgspec structs ``lend.<kind>``: ``LendingMessage`` is their union).

``market`` names the asset: ``"swk"`` (amounts in Gwei) or ``"stswk"`` (amounts in stSWK shares, the liquid
module's non-rebasing unit, as Aave lists wstETH rather than rebasing stETH). Every amount is a ``U64``: a negative
or fractional one is refused when the transaction is decoded.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from stakework.spec.types import U64, Bytes20

MarketName = Literal["swk", "stswk"]


class Supply(msgspec.Struct, tag="lend.supply", kw_only=True):
    """Supply ``amount`` to the market (Aave ``supply``); it earns the liquidity index and counts as collateral
    unless the sender turned that off."""

    market: MarketName = "swk"
    amount: U64


class Withdraw(msgspec.Struct, tag="lend.withdraw", kw_only=True):
    """Withdraw ``amount`` of the sender's supply (all of it when omitted) (Aave ``withdraw``); refused if the
    market's cash cannot pay it or the health factor would fall below 1."""

    market: MarketName = "swk"
    amount: U64 | None = None


class Borrow(msgspec.Struct, tag="lend.borrow", kw_only=True):
    """Borrow ``amount`` at the variable rate (Aave ``borrow``); refused beyond the borrowing power (LTV) or if the
    health factor would fall below 1."""

    market: MarketName = "swk"
    amount: U64


class Repay(msgspec.Struct, tag="lend.repay", kw_only=True):
    """Repay up to ``amount`` of ``on_behalf_of``'s debt (the sender's when omitted) (Aave ``repay``); more than
    the debt repays the debt only."""

    market: MarketName = "swk"
    amount: U64
    on_behalf_of: Bytes20 | None = None


class SetCollateral(msgspec.Struct, tag="lend.set_collateral", kw_only=True):
    """Count the sender's supply in ``market`` as collateral, or not (Aave ``setUserUseReserveAsCollateral``);
    turning it off is refused if the health factor would fall below 1."""

    market: MarketName
    enabled: bool


class SetEmode(msgspec.Struct, tag="lend.set_emode", kw_only=True):
    """Enter or leave the correlated-asset mode (Aave ``setUserEMode``): SWK and stSWK at e-mode's LTV, threshold
    and bonus; refused if the health factor would fall below 1."""

    enabled: bool


class Liquidate(msgspec.Struct, tag="lend.liquidate", kw_only=True):
    """Anyone: repay up to ``amount`` of ``borrower``'s ``debt_market`` debt (the most the close factor allows when
    omitted) for its ``collateral_market`` supply plus the bonus (Aave ``liquidationCall``); ``receive_supply`` takes
    the collateral as supply in the market instead of the asset (Aave ``receiveAToken``)."""

    borrower: Bytes20
    debt_market: MarketName = "swk"
    collateral_market: MarketName = "stswk"
    amount: U64 | None = None
    receive_supply: bool = False


class ParamChange(msgspec.Struct, kw_only=True):
    """One parameter's new value."""

    name: Annotated[str, msgspec.Meta(max_length=40)]
    value: U64


class SetParameters(msgspec.Struct, tag="lend.set_parameters", kw_only=True):
    """The governance executor: apply ``changes``; every value and the whole set are checked before any applies
    (docs/modules.md lists the names and bounds)."""

    changes: Annotated[list[ParamChange], msgspec.Meta(max_length=32)]


LendingMessage = Supply | Withdraw | Borrow | Repay | SetCollateral | SetEmode | Liquidate | SetParameters
