"""Spec: "Misc" helpers — epoch/slot arithmetic, activation/exit epochs."""

from __future__ import annotations

from stakework.spec.presets import Preset
from stakework.spec.types import Epoch, Slot


def compute_epoch_at_slot(preset: Preset, slot: int) -> Epoch:
    """Spec: compute_epoch_at_slot."""
    return Epoch(slot // preset.SLOTS_PER_EPOCH)


def compute_start_slot_at_epoch(preset: Preset, epoch: int) -> Slot:
    """Spec: compute_start_slot_at_epoch."""
    return Slot(epoch * preset.SLOTS_PER_EPOCH)


def compute_activation_exit_epoch(preset: Preset, epoch: int) -> Epoch:
    """Spec: compute_activation_exit_epoch — the epoch at which an activation or exit triggered in `epoch`
    takes effect."""
    return Epoch(epoch + 1 + preset.MAX_SEED_LOOKAHEAD)
