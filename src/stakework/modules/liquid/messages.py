"""Liquid-module transaction kinds (tagged msgspec structs: ``LiquidMessage`` is their union)."""

from __future__ import annotations

import msgspec

from stakework.modules.keys import DepositKey
from stakework.spec.types import U64, Bytes20


class AddOperator(msgspec.Struct, tag="liquid.add_operator", kw_only=True):
    """Admin only: a node operator that will submit keys and earn part of the fee."""

    address: Bytes20


class SetParameters(msgspec.Struct, tag="liquid.set_parameters", kw_only=True):
    """Admin only: change what is given (None: unchanged). Lido's equivalents: the staking router's fees,
    ``setStakingLimit``, ``pauseStaking``/``resumeStaking``, the sanity checker's ``maxPositiveTokenRebase``."""

    fee_bps: U64 | None = None
    treasury_share_bps: U64 | None = None
    max_positive_rebase: U64 | None = None
    max_stake_limit: U64 | None = None
    """0: no limit."""
    stake_limit_increase_per_epoch: U64 | None = None
    staking_paused: bool | None = None


class SubmitKeys(msgspec.Struct, tag="liquid.submit_keys", kw_only=True):
    """Operator only: validator keys (with deposit signatures) the module may stake."""

    keys: list[DepositKey]


class Stake(msgspec.Struct, tag="liquid.stake", kw_only=True):
    """Pay ``amount`` SWK for stSWK (Lido ``submit``)."""

    amount: U64


class Transfer(msgspec.Struct, tag="liquid.transfer", kw_only=True):
    """Send ``amount`` stSWK (moves ``floor(amount * shares / pooled)`` shares; Lido ``transfer``)."""

    to: Bytes20
    amount: U64


class TransferShares(msgspec.Struct, tag="liquid.transfer_shares", kw_only=True):
    """Send exact shares (Lido ``transferShares``)."""

    to: Bytes20
    shares: U64


class Wrap(msgspec.Struct, tag="liquid.wrap", kw_only=True):
    """stSWK -> wstSWK (Lido ``WstETH.wrap``)."""

    amount: U64


class Unwrap(msgspec.Struct, tag="liquid.unwrap", kw_only=True):
    """wstSWK -> stSWK (Lido ``WstETH.unwrap``)."""

    amount: U64


class TransferWrapped(msgspec.Struct, tag="liquid.transfer_wrapped", kw_only=True):
    to: Bytes20
    amount: U64


class RequestWithdrawal(msgspec.Struct, tag="liquid.request_withdrawal", kw_only=True):
    """Queue ``amount`` stSWK (Lido ``requestWithdrawals``)."""

    amount: U64


class RequestWithdrawalWrapped(msgspec.Struct, tag="liquid.request_withdrawal_wrapped", kw_only=True):
    """Queue ``amount`` wstSWK (Lido ``requestWithdrawalsWstETH``)."""

    amount: U64


class TransferRequest(msgspec.Struct, tag="liquid.transfer_request", kw_only=True):
    """Give a withdrawal request (its NFT) to another owner."""

    request_id: U64
    to: Bytes20


class Claim(msgspec.Struct, tag="liquid.claim", kw_only=True):
    request_id: U64


LiquidMessage = (
    AddOperator
    | SetParameters
    | SubmitKeys
    | Stake
    | Transfer
    | TransferShares
    | Wrap
    | Unwrap
    | TransferWrapped
    | RequestWithdrawal
    | RequestWithdrawalWrapped
    | TransferRequest
    | Claim
)
