"""Small records the state holds in queues and checkpoints (Spec: Checkpoint, PendingDeposit,
PendingPartialWithdrawal, PendingConsolidation, HistoricalSummary, BeaconBlockHeader). Immutable msgspec structs."""

from __future__ import annotations

import msgspec

from stakework.spec.types import ZERO_ROOT


class Checkpoint(msgspec.Struct, frozen=True):
    epoch: int
    root: bytes = ZERO_ROOT


class PendingDeposit(msgspec.Struct, frozen=True):
    """EIP-6110 / EIP-7251: a deposit waiting for churn. `slot` 0 marks a genesis / pre-request deposit."""

    pubkey: bytes
    withdrawal_credentials: bytes
    amount: int
    signature: bytes
    slot: int


class PendingPartialWithdrawal(msgspec.Struct, frozen=True):
    validator_index: int
    amount: int
    withdrawable_epoch: int


class PendingConsolidation(msgspec.Struct, frozen=True):
    source_index: int
    target_index: int


class HistoricalSummary(msgspec.Struct, frozen=True):
    block_summary_root: bytes
    state_summary_root: bytes


class BeaconBlockHeader(msgspec.Struct, frozen=True):
    slot: int = 0
    proposer_index: int = 0
    parent_root: bytes = ZERO_ROOT
    state_root: bytes = ZERO_ROOT
    body_root: bytes = ZERO_ROOT
