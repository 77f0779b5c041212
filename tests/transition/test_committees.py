"""Seeds, committees and proposers equal the reference spec's on states converted with the pyspec bridge."""

from __future__ import annotations

import numpy as np
import pytest

from stakework.spec.constants import DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER
from stakework.spec.presets import MAINNET, MINIMAL, Preset
from stakework.spec.types import FAR_FUTURE_EPOCH, GWEI_PER_SWK
from stakework.state import BeaconState, Registry
from stakework.transition import committees as C
from stakework.transition.accessors import get_active_validator_indices
from stakework.transition.errors import TransitionError
from support.pyspec_bridge import spec_for, to_pyspec


def pick(rng: np.random.Generator, options: list[int]) -> int:
    return options[int(rng.integers(len(options)))]


def committee_state(preset: Preset, n: int, seed: int, epoch: int = 3) -> BeaconState:
    """Mixed effective balances (ejected-low to 2048), mixed credentials, some not yet active or exited."""
    rng = np.random.default_rng(seed)
    reg = Registry()
    for i in range(n):
        eb = pick(rng, [1, 16, 31, 32, 32, 32, 64, 1000, 2048]) * GWEI_PER_SWK
        prefix = 2 if eb > preset.MIN_ACTIVATION_BALANCE else pick(rng, [0, 1])
        activation = pick(rng, [0, 0, 0, epoch, epoch + 1, FAR_FUTURE_EPOCH])
        exit_epoch = pick(rng, [FAR_FUTURE_EPOCH, FAR_FUTURE_EPOCH, epoch, epoch + 1, 1])
        reg.append(
            i.to_bytes(48, "little"),
            bytes([prefix]) + bytes(11) + rng.bytes(20),
            eb,
            eb,
            activation_eligibility_epoch=0,
            activation_epoch=activation,
            exit_epoch=exit_epoch,
        )
    state = BeaconState(preset=preset, validators=reg, slot=epoch * preset.SLOTS_PER_EPOCH)
    state.randao_mixes[:] = rng.integers(0, 256, state.randao_mixes.shape, dtype=np.uint8)
    return state


@pytest.mark.parametrize(
    ("preset", "n"), [(MINIMAL, 3), (MINIMAL, 100), (MINIMAL, 400), (MAINNET, 50), (MAINNET, 9000)]
)
def test_committees_equal_pyspec(preset, n):
    state = committee_state(preset, n, seed=n)
    ps = to_pyspec(state)
    spec = spec_for(preset)
    current = state.current_epoch()
    for epoch in (current - 1, current, current + 1) if n < 1000 else (current + 1,):
        assert C.get_seed(state, epoch, DOMAIN_BEACON_ATTESTER) == bytes(
            spec.get_seed(ps, spec.Epoch(epoch), spec.DOMAIN_BEACON_ATTESTER)
        )
        count = C.get_committee_count_per_slot(state, epoch)
        assert count == spec.get_committee_count_per_slot(ps, spec.Epoch(epoch))
        slots = range(epoch * preset.SLOTS_PER_EPOCH, (epoch + 1) * preset.SLOTS_PER_EPOCH)
        for slot in slots if n < 1000 else list(slots)[:2]:
            for index in range(count):
                ours = C.get_beacon_committee(state, slot, index).tolist()
                assert ours == [
                    int(x) for x in spec.get_beacon_committee(ps, spec.Slot(slot), spec.CommitteeIndex(index))
                ], (slot, index)


@pytest.mark.parametrize(("preset", "n"), [(MINIMAL, 1), (MINIMAL, 64), (MINIMAL, 300), (MAINNET, 200)])
def test_proposers_equal_pyspec(preset, n):
    state = committee_state(preset, n, seed=1000 + n)
    ps = to_pyspec(state)
    spec = spec_for(preset)
    assert C.get_seed(state, 3, DOMAIN_BEACON_PROPOSER) == bytes(
        spec.get_seed(ps, spec.Epoch(3), spec.DOMAIN_BEACON_PROPOSER)
    )
    active = get_active_validator_indices(state, state.current_epoch())
    if active.size == 0:
        with pytest.raises(TransitionError):
            C.get_beacon_proposer_index(state)
        return
    start = state.slot
    for slot in range(start, start + min(2 * preset.SLOTS_PER_EPOCH, 20)):
        state.slot = slot
        ps.slot = spec.Slot(slot)
        assert C.get_beacon_proposer_index(state) == spec.get_beacon_proposer_index(ps), slot


def test_proposer_weighting_favours_large_balances():
    """Electra's 16-bit acceptance test: a 2048-SWK validator is accepted every time it is drawn, a 32-SWK one
    with probability 1/64 — so over many slots the large ones propose far more than their head count."""
    preset = MINIMAL
    state = committee_state(preset, 0, seed=5)
    for i in range(40):
        eb = (2048 if i < 4 else 32) * GWEI_PER_SWK
        state.validators.append(i.to_bytes(48, "little"), bytes([2]) + bytes(31), eb, eb, activation_epoch=0)
    big = 0
    for slot in range(400):
        state.slot = slot
        big += C.get_beacon_proposer_index(state) < 4
    assert big > 300  # expected ~ 400 * (4 * 64) / (4 * 64 + 36) = 350


def test_committee_index_out_of_range_raises():
    state = committee_state(MINIMAL, 40, seed=2)
    count = C.get_committee_count_per_slot(state, state.current_epoch())
    with pytest.raises(TransitionError, match="committee index"):
        C.get_beacon_committee(state, state.slot, count)
    with pytest.raises(TransitionError):
        C.compute_proposer_index(state, [], b"\x00" * 32)


def test_cache_distinguishes_registries_with_equal_seeds():
    """Two states with the same RANDAO mixes but different active sets must not share committees."""
    a = committee_state(MINIMAL, 100, seed=8)
    b = a.copy()
    b.validators.exit_epoch[:10] = 0
    assert C.get_seed(a, 3, DOMAIN_BEACON_ATTESTER) == C.get_seed(b, 3, DOMAIN_BEACON_ATTESTER)
    committee_a = C.get_beacon_committee(a, a.slot, 0)
    committee_b = C.get_beacon_committee(b, b.slot, 0)
    assert not set(committee_b.tolist()) & set(range(10))
    assert C.get_beacon_committee(a, a.slot, 0).tolist() == committee_a.tolist()
