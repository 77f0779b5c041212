"""The chain state (Spec: BeaconState at Electra, without the execution payload header and sync committees).

Validators are columns (`state.validators`, a Registry); everything else is a plain field with the spec's name.
The state is mutable: transition functions take it and change it in place, as the spec's do.
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.modules.store import ModuleStore
from stakework.spec.constants import UNSET_DEPOSIT_REQUESTS_START_INDEX
from stakework.spec.presets import Preset
from stakework.spec.types import Epoch, Slot
from stakework.state.accounts import Accounts
from stakework.state.containers import (
    BeaconBlockHeader,
    Checkpoint,
    HistoricalSummary,
    PendingConsolidation,
    PendingDeposit,
    PendingPartialWithdrawal,
)
from stakework.state.fields import of_kind
from stakework.state.registry import Registry

SCALAR_FIELDS = tuple(f.name for f in of_kind("uint64"))
"""The integer fields, in the field table's order (`state/fields.py`)."""
BYTES_FIELDS = tuple(f.name for f in of_kind("bytes"))
ARRAY_FIELDS = tuple(f.name for f in of_kind("roots", "u64vector"))
"""The ring buffers (numpy arrays)."""
CHECKPOINT_FIELDS = tuple(f.name for f in of_kind("checkpoint"))
QUEUE_FIELDS = tuple(f.name for f in of_kind("queue"))


def _roots(length: int) -> npt.NDArray[np.uint8]:
    return np.zeros((length, 32), dtype=np.uint8)


@dataclass(eq=False)
class BeaconState:
    """All consensus state. Field names and meanings are the spec's."""

    preset: Preset
    validators: Registry = field(default_factory=Registry)
    genesis_time: int = 0
    genesis_validators_root: bytes = b"\x00" * 32
    slot: int = 0
    fork_previous_version: bytes = b"\x00" * 4
    fork_current_version: bytes = b"\x00" * 4
    fork_epoch: int = 0
    latest_block_header: BeaconBlockHeader = field(default_factory=BeaconBlockHeader)
    block_roots: npt.NDArray[np.uint8] = field(default_factory=lambda: _roots(0))
    state_roots: npt.NDArray[np.uint8] = field(default_factory=lambda: _roots(0))
    randao_mixes: npt.NDArray[np.uint8] = field(default_factory=lambda: _roots(0))
    slashings: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    justification_bits: list[bool] = field(default_factory=lambda: [False] * 4)
    previous_justified_checkpoint: Checkpoint = field(default_factory=lambda: Checkpoint(0))
    current_justified_checkpoint: Checkpoint = field(default_factory=lambda: Checkpoint(0))
    finalized_checkpoint: Checkpoint = field(default_factory=lambda: Checkpoint(0))
    eth1_deposit_index: int = 0
    deposit_requests_start_index: int = UNSET_DEPOSIT_REQUESTS_START_INDEX
    deposit_balance_to_consume: int = 0
    exit_balance_to_consume: int = 0
    earliest_exit_epoch: int = 0
    consolidation_balance_to_consume: int = 0
    earliest_consolidation_epoch: int = 0
    pending_deposits: list[PendingDeposit] = field(default_factory=list)
    pending_partial_withdrawals: list[PendingPartialWithdrawal] = field(default_factory=list)
    pending_consolidations: list[PendingConsolidation] = field(default_factory=list)
    next_withdrawal_index: int = 0
    next_withdrawal_validator_index: int = 0
    historical_summaries: list[HistoricalSummary] = field(default_factory=list)
    accounts: Accounts = field(default_factory=Accounts)
    """stakework: the native account ledger (withdrawals credit it, transactions move it)."""
    modules: ModuleStore = field(default_factory=ModuleStore)
    """stakework: the state of every module the chain runs (pool, liquid); empty when none is enabled."""
    _root_cache: Any = field(default=None, init=False, repr=False, compare=False)
    """The state commitment's cached tree (state/commitment.py); not a field of the state."""

    def __post_init__(self) -> None:
        p = self.preset
        if len(self.block_roots) == 0:
            self.block_roots = _roots(p.SLOTS_PER_HISTORICAL_ROOT)
        if len(self.state_roots) == 0:
            self.state_roots = _roots(p.SLOTS_PER_HISTORICAL_ROOT)
        if len(self.randao_mixes) == 0:
            self.randao_mixes = _roots(p.EPOCHS_PER_HISTORICAL_VECTOR)
        if len(self.slashings) == 0:
            self.slashings = np.zeros(p.EPOCHS_PER_SLASHINGS_VECTOR, dtype=np.uint64)

    # -- spec accessors -------------------------------------------------------------------------------------
    @property
    def balances(self) -> npt.NDArray[np.uint64]:
        return self.validators.balances

    def current_epoch(self) -> Epoch:
        """Spec: get_current_epoch."""
        return Epoch(self.slot // self.preset.SLOTS_PER_EPOCH)

    def previous_epoch(self) -> Epoch:
        """Spec: get_previous_epoch (the genesis epoch is its own previous epoch)."""
        current = self.current_epoch()
        return Epoch(current - 1 if current > 0 else 0)

    def start_slot(self, epoch: int) -> Slot:
        """Spec: compute_start_slot_at_epoch."""
        return Slot(epoch * self.preset.SLOTS_PER_EPOCH)

    def copy(self) -> BeaconState:
        """An independent copy: a change to either never shows in the other. The account ledger and the commitment's
        cache share their contents with the original copy-on-write (`Accounts.copy`, `StateCommitment.copy`), so a
        copy costs little more than the registry's columns, whatever the number of accounts."""
        new = _copy.copy(self)
        new.validators = self.validators.copy()
        new.block_roots = self.block_roots.copy()
        new.state_roots = self.state_roots.copy()
        new.randao_mixes = self.randao_mixes.copy()
        new.slashings = self.slashings.copy()
        new.justification_bits = list(self.justification_bits)
        new.pending_deposits = list(self.pending_deposits)
        new.pending_partial_withdrawals = list(self.pending_partial_withdrawals)
        new.pending_consolidations = list(self.pending_consolidations)
        new.historical_summaries = list(self.historical_summaries)
        new.accounts = self.accounts.copy()
        new.modules = self.modules.copy()
        if self._root_cache is not None:
            new._root_cache = self._root_cache.copy(self, new)
        return new
