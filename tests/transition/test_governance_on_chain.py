"""Governance on the chain: stkSWK in the safety module is voting power (every stake, transfer and redeem reported
to governance's checkpoints through the host), and an executed proposal sets another module's parameter through
the host's parameter registry (every enabled module's declared Params with their bounds)."""

from __future__ import annotations

import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.governance.definition import DEVNET_PARAMS
from stakework.modules.governance.messages import Action, CastVote, Execute, Propose, Queue
from stakework.modules.governance.votes import current_votes
from stakework.modules.registry import ChainParameters
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.safety.messages import Transfer as SafetyTransfer
from stakework.modules.store import check_invariants
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
from stakework.transition.modules import ChainHost, module_message_min_fee
from stakework.transition.state_transition import process_slots

SWK = 10**9
ALICE, BOB = devnet_account_key(2), devnet_account_key(3)


def _genesis() -> BeaconState:
    return devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)


def _apply(state: BeaconState, key, payload: Payload) -> None:  # type: ignore[no-untyped-def]
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload)
    process_transaction(state, sign_transaction(state, tx, key), proposer_index=0)


def _next_epoch(state: BeaconState) -> None:
    slot = int(state.slot)
    process_slots(state, (slot // DEVNET.SLOTS_PER_EPOCH + 1) * DEVNET.SLOTS_PER_EPOCH)


def test_safety_stake_and_transfer__reported_as_voting_power__matches_the_safety_module() -> None:
    state = _genesis()
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    _apply(state, ALICE, SafetyTransfer(to=BOB.address, shares=30 * SWK))
    gov, safety = state.modules.governance, state.modules.safety
    assert current_votes(gov, BOB.address) == 30 * SWK
    assert current_votes(gov, ALICE.address) == safety.swk.ledger.shares_of(ALICE.address)
    assert check_invariants(state.modules, ChainHost(state)) == []


def test_parameter_registry__lists_enabled_modules_params__applies_within_bounds() -> None:
    state = _genesis()
    params = ChainParameters(state.modules)
    names = {(s.module, s.name) for s in params.specs()}
    assert ("liquid", "fee_bps") in names and ("safety", "cooldown_epochs") in names
    assert not any(module == "governance" for module, _ in names)
    params.apply("safety", "cooldown_epochs", 7)
    assert params.current("safety", "cooldown_epochs") == state.modules.safety.params.cooldown_epochs == 7


def test_proposal__lowers_the_liquid_fee__applies_only_after_the_timelock() -> None:
    state = _genesis()
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    _next_epoch(state)
    _apply(state, ALICE, Propose(actions=[Action(module="liquid", name="fee_bps", value=500)], description="halve"))
    for _ in range(DEVNET_PARAMS.voting_delay + 1):
        _next_epoch(state)
    _apply(state, ALICE, CastVote(proposal_id=1, support=1))
    for _ in range(DEVNET_PARAMS.voting_period):
        _next_epoch(state)
    _apply(state, BOB, Queue(proposal_id=1))
    with pytest.raises(InvalidTransaction, match="timelock"):
        _apply(state, BOB, Execute(proposal_id=1))
    assert state.modules.liquid.fee_bps == 1000
    for _ in range(DEVNET_PARAMS.timelock_delay):
        _next_epoch(state)
    _apply(state, BOB, Execute(proposal_id=1))
    assert state.modules.liquid.fee_bps == 500
    assert state.modules.governance.proposals[1].status == "executed"
    assert check_invariants(state.modules, ChainHost(state)) == []


def test_proposal__safety_parameter_outside_its_bounds__refused_when_proposed() -> None:
    state = _genesis()
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    _next_epoch(state)
    with pytest.raises(InvalidTransaction, match="outside its bounds"):
        _apply(state, ALICE, Propose(actions=[Action(module="safety", name="max_slash_bps", value=9000)]))
