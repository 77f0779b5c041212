"""`registry.fee_settings` makes a chain's fee preset once per preset and settings, not per transaction (issue #16:
a validated copy of the whole preset per transaction was the largest cost of a transfer on a governed chain), and
still follows a governed change at once."""

from __future__ import annotations

from stakework.modules import registry
from stakework.spec.presets import DEVNET
from stakework.transition.block.transaction import Transfer, chain_least_fee
from stakework.transition.genesis import devnet_genesis


def _governed_chain():  # type: ignore[no-untyped-def]
    state = devnet_genesis(DEVNET, 4, modules=True)
    state.modules.get("fees").MODULE_MIN_FEE = DEVNET.MODULE_MIN_FEE + 1  # off the preset's value
    return state


def test_fee_settings__same_settings_twice__the_same_fee_preset_object() -> None:
    state = _governed_chain()
    first = registry.fee_settings(state.modules, state.preset)
    second = registry.fee_settings(state.copy().modules, state.preset)
    assert first[1] is second[1]  # made once (it was a new validated preset per call)
    assert first[1].MODULE_MIN_FEE == DEVNET.MODULE_MIN_FEE + 1


def test_fee_settings__governed_change_in_place__applies_at_once() -> None:
    state = _governed_chain()
    settings = state.modules.get("fees")
    assert registry.fee_settings(state.modules, state.preset)[1].MODULE_MIN_FEE == DEVNET.MODULE_MIN_FEE + 1
    settings.MODULE_MIN_FEE = DEVNET.MODULE_MIN_FEE + 7
    settings.MIN_TRANSACTION_FEE = 4321
    least, preset = registry.fee_settings(state.modules, state.preset)
    assert (least, preset.MODULE_MIN_FEE) == (4321, DEVNET.MODULE_MIN_FEE + 7)
    assert chain_least_fee(state, Transfer(b"\x01" * 20, 5)) == 4321


def test_fee_settings__another_preset_with_the_same_settings__its_own_fee_preset() -> None:
    state = _governed_chain()
    other = DEVNET.replace(MODULE_KEY_FEE=DEVNET.MODULE_KEY_FEE)  # equal values, another object
    a = registry.fee_settings(state.modules, state.preset)[1]
    b = registry.fee_settings(state.modules, other)[1]
    assert a == b and a is not b


def test_fee_settings__chain_without_the_fees_module__the_preset_itself() -> None:
    state = devnet_genesis(DEVNET, 4)
    assert registry.fee_settings(state.modules, state.preset) == (1000, state.preset)
