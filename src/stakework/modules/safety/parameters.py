"""The safety module's governable parameters, each with its bounds and a one-line doc.

Governance changes them later (``safety.set_parameters`` from the governance executor now); every change is
checked against :data:`BOUNDS` before any applies. The parameters live in the module's state, so they are a
frozen ``msgspec.Struct`` (the frozen-dataclass equivalent the msgpack-encoded, hashed store can hold); a change
replaces the whole value (:func:`with_changes`).

Defaults: there is no presets place for module parameters (the pool and liquid modules keep theirs in their
``state.py``), so they live here. Durations are set in days and turned into epochs of the chain's preset
(:func:`default_parameters`), so a 16-second devnet epoch and a 6.4-minute mainnet epoch both cool down 10 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from stakework.modules.safety.errors import InvalidParameter
from stakework.spec.presets import Preset

MAX_EPOCHS = 2**22
"""Longest cooldown, window or post-slash period (about 85 years of 6.4-minute epochs, 2 years of 16-second ones)."""
MAX_EMISSION_PER_EPOCH = 10**15
"""Largest emission per epoch and vault: 10^6 SWK in Gwei."""
MAX_SLASH_CEILING_BPS = 5_000
"""``max_slash_bps`` may never exceed half the vault (Aave requires < 100 %; a larger cut than half would let one
event take most of what stakers hold)."""

COOLDOWN_DAYS = 10
"""Aave Safety Module: ``COOLDOWN_SECONDS`` = 10 days."""
UNSTAKE_WINDOW_DAYS = 2
"""Aave Safety Module: ``UNSTAKE_WINDOW`` = 2 days."""
MAX_SLASH_BPS = 3_000
"""Aave ``StakedTokenV3``: ``maxSlashablePercentage`` of 30 % at launch (lowered to 20 % later by governance)."""


@dataclass(frozen=True, slots=True)
class Bound:
    """The range governance may set a parameter in (inclusive) and what the parameter means."""

    min: int
    max: int
    doc: str


BOUNDS: dict[str, Bound] = {
    "cooldown_epochs": Bound(1, MAX_EPOCHS, "epochs between safety.cooldown and the unstake window (Aave: 10 days)"),
    "unstake_window_epochs": Bound(1, MAX_EPOCHS, "epochs the unstake window stays open after the cooldown"),
    "max_slash_bps": Bound(0, MAX_SLASH_CEILING_BPS, "most one slashing may take, in bps of the vault's assets"),
    "post_slash_epochs": Bound(0, MAX_EPOCHS, "epochs after a slashing when redeeming needs no cooldown"),
    "swk_emission_per_epoch": Bound(0, MAX_EMISSION_PER_EPOCH, "SWK (Gwei) paid to SWK-vault stakers per epoch"),
    "stswk_emission_per_epoch": Bound(0, MAX_EMISSION_PER_EPOCH, "SWK (Gwei) paid to stSWK-vault stakers per epoch"),
}
"""Every governable parameter: name -> bounds and doc (the order of :class:`SafetyParameters`' fields)."""


class SafetyParameters(msgspec.Struct, frozen=True, kw_only=True):
    """The values in force. See :data:`BOUNDS` for each one's range and meaning."""

    cooldown_epochs: int
    unstake_window_epochs: int
    max_slash_bps: int = MAX_SLASH_BPS
    post_slash_epochs: int
    swk_emission_per_epoch: int = 0
    stswk_emission_per_epoch: int = 0


def check_parameters(params: SafetyParameters) -> None:
    """Raise :class:`InvalidParameter` naming the first parameter outside its bounds."""
    for name, bound in BOUNDS.items():
        value = getattr(params, name)
        if type(value) is not int or not bound.min <= value <= bound.max:
            raise InvalidParameter(
                f"{name} must be an integer in {bound.min}..{bound.max} ({bound.doc}), got {value!r}"
            )


def with_changes(params: SafetyParameters, **changes: int) -> SafetyParameters:
    """``params`` with ``changes`` applied, checked as a whole (nothing applies if one value is out of bounds)."""
    unknown = sorted(set(changes) - set(BOUNDS))
    if unknown:
        raise InvalidParameter(f"unknown safety parameter(s) {', '.join(unknown)}; known: {', '.join(BOUNDS)}")
    new = msgspec.structs.replace(params, **changes)
    check_parameters(new)
    return new


def epochs_for_days(preset: Preset, days: int) -> int:
    """Whole epochs of ``preset`` in ``days`` (rounded up: a cooldown never runs shorter than its days), >= 1."""
    epoch_ms = preset.SLOTS_PER_EPOCH * preset.SLOT_DURATION_MS
    return max(-(-days * 86_400_000 // epoch_ms), 1)


def default_parameters(preset: Preset) -> SafetyParameters:
    """Aave's values in the preset's epochs: 10-day cooldown, 2-day window, 30 % slash cap; redeeming is free of
    cooldown for one cooldown's length after a slashing; no emission until governance sets a rate."""
    cooldown = min(epochs_for_days(preset, COOLDOWN_DAYS), MAX_EPOCHS)
    params = SafetyParameters(
        cooldown_epochs=cooldown,
        unstake_window_epochs=min(epochs_for_days(preset, UNSTAKE_WINDOW_DAYS), MAX_EPOCHS),
        max_slash_bps=MAX_SLASH_BPS,
        post_slash_epochs=cooldown,
    )
    # equivalent mutant (delete call): every value above is within its bounds by construction (min, max(..., 1))
    check_parameters(params)
    return params
