"""The safety module on the chain: registered, enabled on new devnets with account 0 as governance and treasury,
its stSWK vault moving the liquid module's shares through the ChainHost, its emission paid at the epoch hook."""

from __future__ import annotations

import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules import registry
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.safety.definition import DEVNET_PARAMETERS
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.store import ModuleStore, check_invariants
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    InvalidTransaction,
    Payload,
    Transaction,
    process_transaction,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import ChainHost, module_address, module_message_min_fee
from stakework.transition.state_transition import process_slots

SWK = 10**9
ADMIN, ALICE = devnet_account_key(0), devnet_account_key(2)


def _apply(state: BeaconState, key, payload: Payload) -> None:  # type: ignore[no-untyped-def]
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload)
    process_transaction(state, sign_transaction(state, tx, key), proposer_index=0)


def test_devnet_genesis__safety_enabled__account_0_governs_and_funds_it() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    safety = state.modules.safety
    assert registry.get("safety") is not None and safety is not None
    assert safety.governance == safety.treasury == ADMIN.address
    assert safety.params == DEVNET_PARAMETERS


def test_stake_stswk__moves_liquid_shares_to_the_module_through_the_liquid_ledger__invariants_hold() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    _apply(state, ALICE, LiquidStake(amount=10 * SWK))
    liquid = state.modules.liquid
    held = liquid.ledger.shares_of(ALICE.address)
    _apply(state, ALICE, SafetyStake(vault="stswk", amount=held // 2))
    assert liquid.ledger.shares_of(ALICE.address) == held - held // 2
    assert liquid.ledger.shares_of(module_address("safety")) == held // 2
    assert state.modules.safety.stswk.ledger.total_assets == held // 2
    assert check_invariants(state.modules, ChainHost(state)) == []
    with pytest.raises(InvalidTransaction, match="shares"):
        _apply(state, ALICE, SafetyStake(vault="stswk", amount=held))


def test_stake_stswk__chain_without_the_liquid_module__refused_naming_the_swk_vault() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    state.modules = ModuleStore({"safety": state.modules.safety})
    assert ChainHost(state).staked_token_ledger is None
    with pytest.raises(InvalidTransaction, match="vault 'swk'"):
        _apply(state, ALICE, SafetyStake(vault="stswk", amount=SWK))


def test_emission__staked_swk__treasury_pays_each_epoch_and_rewards_accrue() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    treasury = state.accounts.balance(ADMIN.address)
    process_slots(state, 2 * DEVNET.SLOTS_PER_EPOCH)
    vault = state.modules.safety.swk
    assert vault.emission_status == "paid" and vault.emitted >= DEVNET_PARAMETERS.swk_emission_per_epoch
    assert state.accounts.balance(ADMIN.address) == treasury - vault.emitted
    assert state.accounts.balance(module_address("safety")) == 100 * SWK + vault.emitted
    assert check_invariants(state.modules, ChainHost(state)) == []


def test_status_rows__safety_and_governance__from_their_definitions_summaries() -> None:
    from stakework.cli.status import _module_lines, _modules

    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    lines = _module_lines(_modules(state))
    assert any(
        line.startswith("safety module: 100.000 SWK and 0.000 stSWK (shares) staked by 1 stakers") for line in lines
    )
    assert any(line.startswith("governance: 0 proposals (0 live), 99.999 stkSWK voting power") for line in lines)
