"""Pool transaction kinds (tagged msgspec structs: ``PoolMessage`` is their union)."""

from __future__ import annotations

import msgspec

from stakework.modules.keys import DepositKey
from stakework.spec.types import U64, Bytes20


class RegisterPool(msgspec.Struct, tag="pool.register", kw_only=True):
    """The sender becomes the operator of a new pool with ``commission_bps`` (0..10_000) of rewards.

    ``keys`` are validator keys the operator runs, each with its deposit signature; the pool stakes them in order.
    The key-generation policy lives with the operator (``stakework pool register --generate-keys N`` creates,
    encrypts and signs them); the chain never holds a secret key."""

    commission_bps: U64
    keys: list[DepositKey] = []


class AddKeys(msgspec.Struct, tag="pool.add_keys", kw_only=True):
    """Operator only: more keys for the pool to stake."""

    pool_id: U64
    keys: list[DepositKey]


class SetCommission(msgspec.Struct, tag="pool.set_commission", kw_only=True):
    pool_id: U64
    commission_bps: int


class Deposit(msgspec.Struct, tag="pool.deposit", kw_only=True):
    pool_id: U64
    amount: int


class TransferShares(msgspec.Struct, tag="pool.transfer", kw_only=True):
    pool_id: U64
    to: Bytes20
    shares: U64


class RequestWithdrawal(msgspec.Struct, tag="pool.request_withdrawal", kw_only=True):
    pool_id: U64
    shares: int


class Claim(msgspec.Struct, tag="pool.claim", kw_only=True):
    pool_id: U64
    request_id: int


PoolMessage = RegisterPool | AddKeys | SetCommission | Deposit | TransferShares | RequestWithdrawal | Claim
