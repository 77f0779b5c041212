"""Presets, unit types and protocol constants: the one place a protocol constant lives."""

from stakework.spec.presets import DEVNET, MAINNET, MINIMAL, PRESETS, Preset, PresetError, load_preset
from stakework.spec.types import (
    FAR_FUTURE_EPOCH,
    GWEI_PER_SWK,
    BLSPubkey,
    BLSSignature,
    Epoch,
    Gwei,
    Root,
    Slot,
    ValidatorIndex,
)

__all__ = [
    "DEVNET",
    "FAR_FUTURE_EPOCH",
    "GWEI_PER_SWK",
    "MAINNET",
    "MINIMAL",
    "PRESETS",
    "BLSPubkey",
    "BLSSignature",
    "Epoch",
    "Gwei",
    "Preset",
    "PresetError",
    "Root",
    "Slot",
    "ValidatorIndex",
    "load_preset",
]
