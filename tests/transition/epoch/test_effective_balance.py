"""Spec: process_effective_balance_updates — hysteresis band edges, rounding to an increment, the per-credential
cap (EIP-7251), a zero effective balance, and a preset with other hysteresis figures. One validator per case, so
a lone mover is not skipped. Found missing by mutation testing (scripts/mutate, docs/testing.md)."""

from __future__ import annotations

import pytest

from stakework.spec.presets import MINIMAL, Preset
from stakework.state import BeaconState, Registry
from stakework.transition.epoch import EpochContext
from stakework.transition.epoch.effective_balance import process_effective_balance_updates

G = 10**9  # one effective-balance increment (Gwei)
ETH1 = b"\x01" + bytes(31)
COMPOUNDING = b"\x02" + bytes(31)


def _updated(effective: int, balance: int, credentials: bytes = ETH1, preset: Preset = MINIMAL) -> int:
    """The effective balance of a lone validator after the epoch's update."""
    reg = Registry()
    reg.append(b"\x01" * 48, credentials, effective, balance, activation_eligibility_epoch=0, activation_epoch=0)
    state = BeaconState(preset=preset, validators=reg, slot=5 * preset.SLOTS_PER_EPOCH - 1)
    process_effective_balance_updates(state, EpochContext.build(state))
    return int(state.validators.effective_balance[0])


@pytest.mark.parametrize(
    ("effective", "balance", "expected"),
    [
        (32 * G, 32 * G - G // 4, 32 * G),  # exactly EB - 0.25: still inside the band
        (32 * G, 32 * G - G // 4 - 1, 31 * G),  # one Gwei below: moves down, rounded down to an increment
        (32 * G, 31 * G + 9 * G // 10, 32 * G),  # 31.9 inside the band, though it rounds down to 31
        (31 * G, 31 * G + 5 * G // 4, 31 * G),  # exactly EB + 1.25: still inside the band
        (31 * G, 31 * G + 5 * G // 4 + 1, 32 * G),  # one Gwei above: moves up
        (30 * G, 31 * G + G // 10, 30 * G),  # 31.1 inside the band, though it rounds down to 31
        (32 * G, 20 * G + G // 2, 20 * G),  # a fall far below
        (32 * G, 0, 0),  # everything lost
    ],
)
def test_effective_balance__band_edges__moves_only_outside_the_hysteresis_band(
    effective: int, balance: int, expected: int
) -> None:
    assert _updated(effective, balance) == expected


@pytest.mark.parametrize(
    ("balance", "expected"),
    [(0, 0), (G // 4, 0), (G + G // 5, 0), (G + G // 4, 0), (G + G // 4 + 1, G), (7 * G + 1, 7 * G)],
)
def test_effective_balance__zero_effective_balance__moves_up_only_past_the_upward_band(
    balance: int, expected: int
) -> None:
    """A zero effective balance cannot move down; 'balance < EB - 0.25' must not wrap round to 2^64 there."""
    assert _updated(0, balance) == expected


@pytest.mark.parametrize(
    ("credentials", "balance", "expected"),
    [
        (ETH1, 40 * G + 7, 32 * G),  # 0x01: capped at MIN_ACTIVATION_BALANCE
        (bytes(32), 40 * G, 32 * G),  # 0x00 (BLS): capped at MIN_ACTIVATION_BALANCE
        (b"\x03" + bytes(31), 40 * G, 32 * G),  # an unknown prefix is not compounding
        (b"\x01\x02" + bytes(30), 40 * G, 32 * G),  # only the first byte names the credential
        (ETH1[:31] + b"\x02", 40 * G, 32 * G),
        (COMPOUNDING, 40 * G + 7 * G // 10, 40 * G),  # 0x02: rounded down, up to 2048
        (COMPOUNDING, 3000 * G, 2048 * G),  # 0x02: capped at MAX_EFFECTIVE_BALANCE_ELECTRA
    ],
)
def test_effective_balance__per_credential_cap__compounding_up_to_2048_others_32(
    credentials: bytes, balance: int, expected: int
) -> None:
    assert _updated(20 * G, balance, credentials) == expected


def test_effective_balance__preset_with_other_hysteresis__band_follows_the_preset() -> None:
    """Quotient 4, downward x2, upward x6: the band is (EB - 0.5, EB + 1.5) increments."""
    preset = MINIMAL.replace(HYSTERESIS_DOWNWARD_MULTIPLIER=2, HYSTERESIS_UPWARD_MULTIPLIER=6)
    assert _updated(32 * G, 31 * G + 7 * G // 10, preset=preset) == 32 * G
    assert _updated(32 * G, 31 * G + G // 2 - 1, preset=preset) == 31 * G
    assert _updated(31 * G, 32 * G + G // 5, preset=preset) == 31 * G
    assert _updated(30 * G, 31 * G + G // 2 + 1, preset=preset) == 31 * G
