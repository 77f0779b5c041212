"""The fees module's definition: the chain's fee settings as governable parameters with their bounds.

[Differs from Electra: stakework's anti-spam fees are chain state set by governance; Ethereum prices with gas.]"""

from __future__ import annotations

from typing import Any

from stakework.modules.definition import ModuleDef, Param
from stakework.modules.fees import MODULE
from stakework.modules.fees.state import FeeSettings, default_settings
from stakework.modules.host import ModuleHost
from stakework.spec.presets import Preset

SWK = 10**9
PARAMS = (
    Param("MIN_TRANSACTION_FEE", 1, 10**9, "Gwei: every transaction's least fee (1 Gwei .. 1 SWK)"),
    Param("MODULE_MIN_FEE", 1, 10**9, "Gwei: the least fee of a module message (1 Gwei .. 1 SWK)"),
    Param("MODULE_KEY_FEE", 1, 10**11, "Gwei more per validator key a module message submits (1 Gwei .. 100 SWK)"),
    Param("POOL_REGISTRATION_FEE", 0, 1_000 * SWK, "Gwei more for pool.register (0 .. 1000 SWK)"),
)
"""Bounds: a floor of 1 Gwei keeps spam priced; the ceilings keep governance from pricing users out."""


def dispatch(state: FeeSettings, host: ModuleHost, sender: bytes, message: Any) -> None:
    """The module has no messages (the registry routes none here)."""
    raise TypeError(f"the fees module has no message {type(message).__name__}")


def on_epoch(state: FeeSettings, host: ModuleHost) -> None:
    """Nothing happens at an epoch boundary."""


def invariants(state: FeeSettings, host: ModuleHost) -> list[str]:
    """Every setting within its bounds."""
    return [
        f"fees.{p.name} = {getattr(state, p.name)} is outside {p.minimum}..{p.maximum}"
        for p in PARAMS
        if not p.allows(getattr(state, p.name))
    ]


def genesis(preset: Preset, admin: bytes) -> FeeSettings:
    """The constant and the preset's values (what a chain without the module charges)."""
    return default_settings(preset)


def summary(state: FeeSettings) -> dict[str, int]:
    return {p.name: getattr(state, p.name) for p in PARAMS}


def describe(s: dict[str, int]) -> str:
    return "fees module: " + ", ".join(f"{name} {value:,} Gwei" for name, value in s.items())


FEES = ModuleDef(
    name=MODULE,
    state_type=FeeSettings,
    messages=(),
    dispatch=dispatch,
    on_epoch=on_epoch,
    invariants=invariants,
    genesis=genesis,
    summary=summary,
    describe=describe,
    params=PARAMS,
    settings_only=True,
)
