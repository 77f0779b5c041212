"""Liquid-module state. Integers in Gwei / shares.

Accounting identity (checked by :mod:`.invariants`)::

    ledger.total_assets + unrecognised == buffer + sum(validator.last_balance)

``ledger.total_assets`` is the "total pooled SWK" behind stSWK (Lido ``_getTotalPooledEther``);
``unrecognised`` is reward the module has seen but not yet rebased because of the per-epoch positive rebase
limit (Lido ``OracleReportSanityChecker.maxPositiveTokenRebase``: the excess stays in the vaults for later
reports). wstSWK balances are shares parked at :data:`WRAPPER` in the ledger (Lido ``WstETH`` holds stETH).
"""

from __future__ import annotations

import msgspec

from stakework.modules.keys import DepositKey
from stakework.modules.queue import PriceSample, WithdrawalRequest
from stakework.modules.shares import HolderTables, ShareLedger, ShareMap
from stakework.spec.presets import Preset

WRAPPER = bytes.fromhex("00000000000000000000000000000000000000f2")
"""Ledger holder of every wrapped share (wstSWK supply == its shares)."""
QUEUE_HOLDER = bytes.fromhex("00000000000000000000000000000000000000f3")
"""Ledger holder of the shares locked in unfinalized withdrawal requests."""
REBASE_PRECISION = 10**9
"""Precision of ``max_positive_rebase`` (Lido uses 1e9 as well: ``LIMITER_PRECISION_BASE``)."""


class Operator(msgspec.Struct, kw_only=True):
    address: bytes
    spare_keys: list[DepositKey] = msgspec.field(default_factory=list)
    active: int = 0


class LiquidValidator(msgspec.Struct, kw_only=True):
    pubkey: bytes
    operator: int
    last_balance: int
    exiting: bool = False


class LiquidState(HolderTables, kw_only=True):
    """``wrapped`` (wstSWK per holder) is a holder table (:class:`~stakework.modules.shares.HolderTables`), as the
    ledger's ``shares``: committed as its own bucketed tree, so a wrap or a wstSWK transfer re-hashes the holders'
    buckets."""

    holder_tables = ("wrapped",)

    admin: bytes
    treasury: bytes
    min_activation_balance: int
    fee_bps: int = 1000
    """Protocol fee on recognised positive rewards (Lido: 10%)."""
    treasury_share_bps: int = 5000
    """Part of the fee for the treasury; the rest goes to operators by active validators (Lido: 5% / 5%)."""
    max_positive_rebase: int = 10_000
    """Largest recognised positive rebase per epoch, in 1e-9 of the pooled SWK (1e-5 = 10x mainnet issuance)."""
    max_stake_limit: int = 0
    """Lido ``maxStakeLimit``; 0 means no limit."""
    stake_limit_increase_per_epoch: int = 0
    stake_limit_prev: int = 0
    stake_limit_prev_epoch: int = 0
    staking_paused: bool = False
    """Lido ``pauseStaking``: stakes are refused; everything else (transfers, wraps, the queue) goes on."""
    min_request: int = 100
    """Smallest withdrawal request (Lido ``MIN_STETH_WITHDRAWAL_AMOUNT`` = 100 wei)."""
    max_request: int = 1000 * 10**9
    """Largest withdrawal request (Lido ``MAX_STETH_WITHDRAWAL_AMOUNT`` = 1000 ether)."""
    history_length: int = 1024
    ledger: ShareLedger = msgspec.field(default_factory=ShareLedger)
    wrapped: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    buffer: int = 0
    reserved: int = 0
    unrecognised: int = 0
    operators: list[Operator] = msgspec.field(default_factory=list)
    key_owner: dict[bytes, int] = msgspec.field(default_factory=dict)
    validators: list[LiquidValidator] = msgspec.field(default_factory=list)
    requests: dict[int, WithdrawalRequest] = msgspec.field(default_factory=dict)
    next_request_id: int = 1
    next_to_finalize: int = 1
    queued_assets: int = 0
    history: list[PriceSample] = msgspec.field(default_factory=list)


def new_state(
    preset: Preset,
    *,
    admin: bytes,
    treasury: bytes,
    fee_bps: int = 1000,
    treasury_share_bps: int = 5000,
    max_positive_rebase: int = 10_000,
    max_stake_limit: int = 0,
    stake_limit_increase_per_epoch: int = 0,
) -> LiquidState:
    """A liquid module for ``preset`` (validators staked at ``MIN_ACTIVATION_BALANCE``)."""
    return LiquidState(
        admin=admin,
        treasury=treasury,
        min_activation_balance=preset.MIN_ACTIVATION_BALANCE,
        fee_bps=fee_bps,
        treasury_share_bps=treasury_share_bps,
        max_positive_rebase=max_positive_rebase,
        max_stake_limit=max_stake_limit,
        stake_limit_increase_per_epoch=stake_limit_increase_per_epoch,
        stake_limit_prev=max_stake_limit,
    )
