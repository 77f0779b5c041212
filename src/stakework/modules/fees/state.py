"""The fees module's state: the fee settings this chain charges (Gwei)."""

from __future__ import annotations

import msgspec

from stakework.spec.presets import Preset

DEFAULT_MIN_TRANSACTION_FEE = 1_000
"""Gwei: every transaction's least fee on a chain that does not govern it (``MIN_TRANSACTION_FEE``)."""


class FeeSettings(msgspec.Struct, kw_only=True):
    """The fee settings a chain charges, each in Gwei (the field names are the settings' names)."""

    MIN_TRANSACTION_FEE: int
    MODULE_MIN_FEE: int
    MODULE_KEY_FEE: int
    POOL_REGISTRATION_FEE: int


def default_settings(preset: Preset) -> FeeSettings:
    """The settings a chain of ``preset`` charges before governance changes them."""
    return FeeSettings(
        MIN_TRANSACTION_FEE=DEFAULT_MIN_TRANSACTION_FEE,
        MODULE_MIN_FEE=preset.MODULE_MIN_FEE,
        MODULE_KEY_FEE=preset.MODULE_KEY_FEE,
        POOL_REGISTRATION_FEE=preset.POOL_REGISTRATION_FEE,
    )


def fee_preset(settings: FeeSettings | None, preset: Preset) -> Preset:
    """``preset`` with its module fee fields replaced by ``settings`` (the preset itself without settings, or when
    they equal it): what the modules' fee functions read."""
    if settings is None or (
        settings.MODULE_MIN_FEE == preset.MODULE_MIN_FEE
        and settings.MODULE_KEY_FEE == preset.MODULE_KEY_FEE
        and settings.POOL_REGISTRATION_FEE == preset.POOL_REGISTRATION_FEE
    ):
        return preset
    return preset.replace(
        MODULE_MIN_FEE=settings.MODULE_MIN_FEE,
        MODULE_KEY_FEE=settings.MODULE_KEY_FEE,
        POOL_REGISTRATION_FEE=settings.POOL_REGISTRATION_FEE,
    )


def min_transaction_fee(settings: FeeSettings | None) -> int:
    """Every transaction's least fee: the governed value, or :data:`DEFAULT_MIN_TRANSACTION_FEE` without it."""
    return DEFAULT_MIN_TRANSACTION_FEE if settings is None else settings.MIN_TRANSACTION_FEE
