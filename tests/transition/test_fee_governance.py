"""The chain's fee settings are governable within bounds (issue #14): the fees module holds MIN_TRANSACTION_FEE and
the module fee fields, a proposal sets them, and block processing, the mempool and admission charge the new value."""

from __future__ import annotations

import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.governance.definition import DEVNET_PARAMS
from stakework.modules.governance.messages import Action, CastVote, Execute, Propose, Queue
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.store import check_invariants
from stakework.node.mempool import Mempool, MempoolError
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    InvalidTransaction,
    Payload,
    SignedTransaction,
    Transaction,
    Transfer,
    chain_least_fee,
    process_transaction,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import ChainHost, module_message_min_fee
from stakework.transition.state_transition import process_slots

SWK = 10**9
ALICE, BOB, CAROL = devnet_account_key(2), devnet_account_key(3), devnet_account_key(1)


def _genesis(modules: bool = True) -> BeaconState:
    return devnet_genesis(DEVNET, 16, funded_accounts=4, modules=modules)


def _signed(state: BeaconState, key, payload: Payload, fee: int | None = None) -> SignedTransaction:  # type: ignore[no-untyped-def]
    fee = chain_least_fee(state, payload) if fee is None else fee
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), fee, payload)
    return sign_transaction(state, tx, key)


def _apply(state: BeaconState, key, payload: Payload, fee: int | None = None) -> None:  # type: ignore[no-untyped-def]
    process_transaction(state, _signed(state, key, payload, fee), proposer_index=0)


def _next_epoch(state: BeaconState) -> None:
    slot = int(state.slot)
    process_slots(state, (slot // DEVNET.SLOTS_PER_EPOCH + 1) * DEVNET.SLOTS_PER_EPOCH)


def _govern(state: BeaconState, actions: list[Action]) -> None:
    """Stake, propose, vote, queue and execute ``actions`` as proposal 1."""
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    _next_epoch(state)
    _apply(state, ALICE, Propose(actions=actions, description="fees"))
    for _ in range(DEVNET_PARAMS.voting_delay + 1):
        _next_epoch(state)
    _apply(state, ALICE, CastVote(proposal_id=1, support=1))
    for _ in range(DEVNET_PARAMS.voting_period):
        _next_epoch(state)
    _apply(state, BOB, Queue(proposal_id=1))
    for _ in range(DEVNET_PARAMS.timelock_delay):
        _next_epoch(state)
    _apply(state, BOB, Execute(proposal_id=1))


def test_proposal__raises_min_transaction_fee_to_2000__a_1000_fee_refused_and_2000_accepted() -> None:
    state = _genesis()
    transfer = Transfer(to=BOB.address, amount=1)
    assert chain_least_fee(state, transfer) == 1_000
    _govern(state, [Action(module="fees", name="MIN_TRANSACTION_FEE", value=2_000)])
    assert state.modules.fees.MIN_TRANSACTION_FEE == 2_000
    assert chain_least_fee(state, transfer) == 2_000
    with pytest.raises(InvalidTransaction, match="pays at least 2000"):
        _apply(state, CAROL, transfer, fee=1_000)
    with pytest.raises(MempoolError, match="below the 2000 Gwei"):
        Mempool().add(_signed(state, CAROL, transfer, fee=1_000), state)
    _apply(state, CAROL, transfer, fee=2_000)
    assert state.accounts.nonce(CAROL.address) == 1
    assert check_invariants(state.modules, ChainHost(state)) == []


def test_proposal__raises_module_key_fee__module_messages_priced_from_the_new_value() -> None:
    state = _genesis()
    stake = SafetyStake(amount=SWK)
    _govern(state, [Action(module="fees", name="MODULE_MIN_FEE", value=5_000)])
    assert chain_least_fee(state, stake) == 5_000 > module_message_min_fee(stake)
    with pytest.raises(InvalidTransaction, match="pays at least 5000"):
        _apply(state, CAROL, stake, fee=module_message_min_fee(stake))


@pytest.mark.parametrize(
    ("name", "value"),
    [("MIN_TRANSACTION_FEE", 0), ("MIN_TRANSACTION_FEE", 10**9 + 1), ("MODULE_KEY_FEE", 0)],
)
def test_proposal__fee_setting_outside_its_bounds__refused_when_proposed(name: str, value: int) -> None:
    state = _genesis()
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    _next_epoch(state)
    with pytest.raises(InvalidTransaction, match="outside its bounds"):
        _apply(state, ALICE, Propose(actions=[Action(module="fees", name=name, value=value)]))


def test_chain_without_the_fees_module__charges_the_constant_and_the_presets_fees() -> None:
    state = _genesis(modules=False)
    assert state.modules.get("fees") is None
    assert chain_least_fee(state, Transfer(to=BOB.address, amount=1)) == 1_000
    assert chain_least_fee(state, SafetyStake(amount=SWK)) == DEVNET.MODULE_MIN_FEE
