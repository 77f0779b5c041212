"""Pool state: every pool's share ledger, buffer, validators and withdrawal queue. Integers in Gwei / shares.

A pool's value (its ledger's ``total_assets``) is always ``buffer + sum(validator.last_balance)``: the buffer
of deposits not yet staked (and exits landed), plus the consensus balances of its validators as last read,
including validators that are exiting (their balance is the pending withdrawal). Finalized but unclaimed
payouts (``reserved``) are no longer the pool's: they belong to the requests' owners.
"""

from __future__ import annotations

import msgspec

from stakework.modules.keys import DepositKey
from stakework.modules.queue import PriceSample, WithdrawalRequest
from stakework.modules.shares import ShareLedger
from stakework.spec.presets import Preset

QUEUE_HOLDER = bytes.fromhex("00000000000000000000000000000000000000f1")
"""Ledger holder of the shares locked in unfinalized withdrawal requests (Lido: stETH sits in the queue)."""
DEFAULT_HISTORY = 1024
"""Epochs of share-price history kept per pool (bounded: the APR query looks back at most this far)."""


class PoolValidator(msgspec.Struct, kw_only=True):
    pubkey: bytes
    last_balance: int
    exiting: bool = False


class Pool(msgspec.Struct, kw_only=True):
    id: int
    operator: bytes
    commission_bps: int
    ledger: ShareLedger = msgspec.field(default_factory=ShareLedger)
    buffer: int = 0
    reserved: int = 0
    validators: list[PoolValidator] = msgspec.field(default_factory=list)
    spare_keys: list[DepositKey] = msgspec.field(default_factory=list)
    """Keys not staked yet, in the order the pool stakes them."""
    requests: dict[int, WithdrawalRequest] = msgspec.field(default_factory=dict)
    next_request_id: int = 1
    next_to_finalize: int = 1
    queued_assets: int = 0
    """Sum of ``amount`` over unfinalized requests: what the queue may still need from the buffer."""
    commission_paid_shares: int = 0
    history: list[PriceSample] = msgspec.field(default_factory=list)


class PoolModuleState(msgspec.Struct, kw_only=True):
    min_activation_balance: int
    min_deposit: int
    history_length: int = DEFAULT_HISTORY
    pools: dict[int, Pool] = msgspec.field(default_factory=dict)
    next_pool_id: int = 1
    key_owner: dict[bytes, int] = msgspec.field(default_factory=dict)
    """Every validator key any pool registered (spare or staked) -> pool id: a key serves one pool only."""


def new_state(
    preset: Preset, *, min_deposit: int | None = None, history_length: int = DEFAULT_HISTORY
) -> PoolModuleState:
    """An empty pool module for ``preset`` (a validator is staked at ``MIN_ACTIVATION_BALANCE``)."""
    return PoolModuleState(
        min_activation_balance=preset.MIN_ACTIVATION_BALANCE,
        min_deposit=preset.MIN_DEPOSIT_AMOUNT if min_deposit is None else min_deposit,
        history_length=history_length,
    )
