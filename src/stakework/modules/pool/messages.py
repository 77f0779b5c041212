"""Pool transaction kinds (tagged msgspec structs: ``PoolMessage`` is their union)."""

from __future__ import annotations

import msgspec


class RegisterPool(msgspec.Struct, tag="pool.register", kw_only=True):
    """The sender becomes the operator of a new pool with ``commission_bps`` (0..10_000) of rewards.

    ``pubkeys`` are validator keys the operator runs; with ``auto_keys`` the host derives further keys when they
    run out (key-generation policy)."""

    commission_bps: int
    pubkeys: list[bytes] = []
    auto_keys: bool = False


class AddKeys(msgspec.Struct, tag="pool.add_keys", kw_only=True):
    pool_id: int
    pubkeys: list[bytes]


class SetCommission(msgspec.Struct, tag="pool.set_commission", kw_only=True):
    pool_id: int
    commission_bps: int


class Deposit(msgspec.Struct, tag="pool.deposit", kw_only=True):
    pool_id: int
    amount: int


class TransferShares(msgspec.Struct, tag="pool.transfer", kw_only=True):
    pool_id: int
    to: bytes
    shares: int


class RequestWithdrawal(msgspec.Struct, tag="pool.request_withdrawal", kw_only=True):
    pool_id: int
    shares: int


class Claim(msgspec.Struct, tag="pool.claim", kw_only=True):
    pool_id: int
    request_id: int


PoolMessage = RegisterPool | AddKeys | SetCommission | Deposit | TransferShares | RequestWithdrawal | Claim
