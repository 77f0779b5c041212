"""``gov.propose`` on the chain reads the proposer's votes as of the previous epoch (Compound Bravo:
``getPriorVotes(msg.sender, block.number - 1) > proposalThreshold``), so stake bought in this epoch cannot propose."""

from __future__ import annotations

import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.governance.messages import Action, Propose
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.safety.messages import Transfer as SafetyTransfer
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
from stakework.transition.modules import module_message_min_fee
from stakework.transition.state_transition import process_slots

SWK = 10**9
ALICE, BOB = devnet_account_key(2), devnet_account_key(3)
PROPOSAL = Propose(actions=[Action(module="liquid", name="fee_bps", value=500)], description="halve the fee")


def _apply(state: BeaconState, key, payload: Payload) -> None:  # type: ignore[no-untyped-def]
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload)
    process_transaction(state, sign_transaction(state, tx, key), proposer_index=0)


def _next_epoch(state: BeaconState) -> None:
    slot = int(state.slot)
    process_slots(state, (slot // DEVNET.SLOTS_PER_EPOCH + 1) * DEVNET.SLOTS_PER_EPOCH)


def test_propose__power_received_in_the_same_epoch__refused_until_the_next_epoch() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    _next_epoch(state)
    _apply(state, ALICE, SafetyTransfer(to=BOB.address, shares=60 * SWK))  # Bob now holds most of the power
    with pytest.raises(InvalidTransaction, match=r"votes at the end of epoch \d+ .*the sender had 0"):
        _apply(state, BOB, PROPOSAL)
    _next_epoch(state)
    _apply(state, BOB, PROPOSAL)
    assert state.modules.governance.proposals[1].proposer == BOB.address


def test_propose__stake_and_propose_in_one_epoch__refused() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    with pytest.raises(InvalidTransaction, match="the sender had 0"):
        _apply(state, ALICE, PROPOSAL)
