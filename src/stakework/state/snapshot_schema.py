"""JSON schema of states, as msgspec types: the reference vectors' STATE format
(`../shared/vectors/README.md`) and stakework's own snapshot, which is the same with more fields.

msgspec validates while it decodes, so a wrong type, a negative balance or a malformed hex string is refused
with its JSON path (`$.pre.balances[3]`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

U64 = Annotated[int, msgspec.Meta(ge=0)]
"""Non-negative; the upper bound 2**64 - 1 is checked on conversion (msgspec bounds stop at int64)."""
U8 = Annotated[int, msgspec.Meta(ge=0, le=255)]
Hex4 = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{8}$")]
Hex20 = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{40}$")]
Hex32 = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{64}$")]
Hex48 = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{96}$")]
Hex96 = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{192}$")]


class CheckpointJSON(msgspec.Struct, forbid_unknown_fields=True):
    epoch: U64
    root: Hex32


class ValidatorsJSON(msgspec.Struct, forbid_unknown_fields=True):
    pubkey: list[Hex48]
    effective_balance: list[U64]
    slashed: list[bool]
    activation_eligibility_epoch: list[U64]
    activation_epoch: list[U64]
    exit_epoch: list[U64]
    withdrawable_epoch: list[U64]
    withdrawal_prefix: list[U8] | None = None
    """Vector format: first byte of the credentials only."""
    withdrawal_credentials: list[Hex32] | None = None
    """Snapshot format: the full 32 bytes."""


class PendingDepositJSON(msgspec.Struct, forbid_unknown_fields=True):
    pubkey: Hex48
    withdrawal_credentials: Hex32
    amount: U64
    signature: Hex96
    slot: U64
    validator_index: U64 | None = None
    """Derived (the existing validator with this pubkey), written for readers; ignored on load."""


class PendingConsolidationJSON(msgspec.Struct, forbid_unknown_fields=True):
    source_index: U64
    target_index: U64


class PendingPartialWithdrawalJSON(msgspec.Struct, forbid_unknown_fields=True):
    validator_index: U64
    amount: U64
    withdrawable_epoch: U64


class HistoricalSummaryJSON(msgspec.Struct, forbid_unknown_fields=True):
    block_summary_root: Hex32
    state_summary_root: Hex32


class BlockHeaderJSON(msgspec.Struct, forbid_unknown_fields=True):
    slot: U64
    proposer_index: U64
    parent_root: Hex32
    state_root: Hex32
    body_root: Hex32


class AccountJSON(msgspec.Struct, forbid_unknown_fields=True):
    address: Hex20
    balance: U64
    nonce: U64


class ForkJSON(msgspec.Struct, forbid_unknown_fields=True):
    previous_version: Hex4
    current_version: Hex4
    epoch: U64


class StateJSON(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A state: the vector fields first, then the snapshot-only fields (all optional)."""

    slot: U64
    epoch: U64
    validators: ValidatorsJSON
    balances: list[U64]
    previous_epoch_participation: list[U8]
    current_epoch_participation: list[U8]
    inactivity_scores: list[U64]
    justification_bits: list[bool]
    previous_justified_checkpoint: CheckpointJSON
    current_justified_checkpoint: CheckpointJSON
    finalized_checkpoint: CheckpointJSON
    slashings: list[U64]
    eth1_deposit_index: U64
    deposit_requests_start_index: U64
    deposit_balance_to_consume: U64
    exit_balance_to_consume: U64
    earliest_exit_epoch: U64
    consolidation_balance_to_consume: U64
    earliest_consolidation_epoch: U64
    pending_deposits: list[PendingDepositJSON]
    pending_consolidations: list[PendingConsolidationJSON]
    pending_partial_withdrawals_count: U64 | None = None
    block_root_at_previous_epoch_start: Hex32 | None = None
    block_root_at_current_epoch_start: Hex32 | None = None
    randao_mix_current: Hex32 | None = None
    randao_mix_next: Hex32 | None = None
    total_active_balance: U64 | None = None
    state_root: Hex32 | None = None
    # -- snapshot format ------------------------------------------------------------------------------------
    format: str | None = None
    version: int | None = None
    preset: str | dict[str, Any] | None = None
    genesis_time: U64 | None = None
    genesis_validators_root: Hex32 | None = None
    fork: ForkJSON | None = None
    latest_block_header: BlockHeaderJSON | None = None
    block_roots: list[Hex32] | None = None
    state_roots: list[Hex32] | None = None
    randao_mixes: list[Hex32] | None = None
    pending_partial_withdrawals: list[PendingPartialWithdrawalJSON] | None = None
    next_withdrawal_index: U64 | None = None
    next_withdrawal_validator_index: U64 | None = None
    historical_summaries: list[HistoricalSummaryJSON] | None = None
    accounts: list[AccountJSON] | None = None
    modules: dict[str, Any] | None = None
    """stakework: the module store (pool, liquid) as plain JSON; absent when no module is enabled."""


class VectorJSON(msgspec.Struct, forbid_unknown_fields=True):
    meta: dict[str, Any]
    pre: StateJSON
    post: StateJSON
    steps: list[dict[str, Any]]
