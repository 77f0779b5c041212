"""Block processing end to end on real signed blocks (devnet keys): slots, header, RANDAO, attestations,
slashings, exits, transactions, withdrawals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stakework.codec.ssz import compute_signing_root
from stakework.crypto.ed25519 import devnet_account_key
from stakework.spec.constants import DOMAIN_BEACON_PROPOSER
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import BeaconBlockHeader
from stakework.transition.block.block import ProposerSlashing, SignedBeaconBlockHeader, header_root
from stakework.transition.block.transaction import (
    InvalidTransaction,
    Stake,
    Transaction,
    Transfer,
    sign_transaction,
)
from stakework.transition.errors import InvalidOperation
from stakework.transition.genesis import devnet_genesis, devnet_withdrawal_address, withdrawal_credentials_for
from stakework.transition.signing import get_domain
from stakework.transition.state_transition import process_slots, state_transition
from support.chain import attestations_for_slot, build_block, key

SWK = 10**9


def _genesis(n: int = 64) -> BeaconState:
    state = devnet_genesis(MINIMAL, n)
    for i in range(4):
        state.accounts.credit(devnet_account_key(i).address, 1000 * SWK)
    return state


def _run(state: BeaconState, slots: int, *, online: np.ndarray | None = None) -> None:
    atts: list = []
    for slot in range(state.slot + 1, state.slot + slots + 1):
        block = build_block(state, slot, attestations=atts)
        state_transition(state, block)
        atts = attestations_for_slot(state, block.message.hash_tree_root(), online=online)


def _supply(state: BeaconState) -> int:
    return (
        int(state.validators.balances.sum(dtype=np.uint64))
        + state.accounts.total()
        + sum(d.amount for d in state.pending_deposits)
    )


def test_chain__all_validators_attest__justifies_and_finalizes() -> None:
    state = _genesis()
    _run(state, 6 * MINIMAL.SLOTS_PER_EPOCH)
    assert state.current_justified_checkpoint.epoch == 5
    assert state.finalized_checkpoint.epoch == 4
    # everyone earned: the reward is still on the validator, or the sweep paid the excess to its account
    for i in range(64):
        earned = int(state.validators.balances[i]) - 32 * SWK + state.accounts.balance(devnet_withdrawal_address(i))
        assert earned > 0, i


def test_chain__a_third_offline__no_finality() -> None:
    state = _genesis()
    online = np.arange(64) % 3 != 0
    _run(state, 6 * MINIMAL.SLOTS_PER_EPOCH, online=online)
    assert state.finalized_checkpoint.epoch == 0


def test_block__wrong_proposer_signature__rejected() -> None:
    state = _genesis()
    block = build_block(state, 1)
    forged = type(block)(block.message, key(63).sign(b"\x00" * 32))
    with pytest.raises(InvalidOperation, match="block signature"):
        state_transition(state.copy(), forged)


def test_block__wrong_state_root__rejected() -> None:
    state = _genesis()
    block = build_block(state, 1)
    msg = block.message
    bad = type(msg)(msg.slot, msg.proposer_index, msg.parent_root, b"\x01" * 32, msg.body)
    with pytest.raises(InvalidOperation, match="state root"):
        state_transition(state.copy(), type(block)(bad, block.signature), verify_signatures=False)


def _transfer(state: BeaconState, sender: int, nonce: int, to: bytes, amount: int, fee: int = 1000):  # type: ignore[no-untyped-def]
    k = devnet_account_key(sender)
    return sign_transaction(state, Transaction(k.public_key, nonce, fee, Transfer(to, amount)), k)


def test_transfer__valid__moves_amount_and_pays_fee_to_proposer() -> None:
    state = _genesis()
    sender = devnet_account_key(0).address
    to = b"\x77" * 20
    block = build_block(state, 1, transactions=[_transfer(state, 0, 0, to, 5 * SWK, fee=1234)])
    before = _supply(state)
    state_transition(state, block)
    assert state.accounts.balance(to) == 5 * SWK
    assert state.accounts.balance(sender) == 1000 * SWK - 5 * SWK - 1234
    assert state.accounts.nonce(sender) == 1
    proposer_address = devnet_withdrawal_address(block.message.proposer_index)
    assert state.accounts.balance(proposer_address) == 1234
    assert _supply(state) == before  # no attestations in slot 1: nothing issued


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: _transfer(s, 0, 1, b"\x01" * 20, SWK), "bad nonce"),
        (lambda s: _transfer(s, 0, 0, b"\x01" * 20, 2000 * SWK), "insufficient balance"),
        (lambda s: _transfer(s, 0, 0, b"\x01" * 19, SWK), r"length >= 20 - at `\$.transaction.payload.to`"),
        (lambda s: _transfer(s, 0, 0, b"\x01" * 20, SWK, fee=999), "pays at least 1000"),
        (
            lambda s: type(t := _transfer(s, 0, 0, b"\x01" * 20, SWK))(t.transaction, b"\x00" * 64),
            "bad signature",
        ),
    ],
)
def test_transaction__invalid__block_rejected_with_reason(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    state = _genesis()
    tx = mutate(state)
    with pytest.raises(InvalidTransaction, match=message):
        build_block(state, 1, transactions=[tx])


def test_stake__new_validator__activates_after_finality() -> None:
    from stakework.codec.ssz import compute_domain, deposit_message_root
    from stakework.spec.constants import DOMAIN_DEPOSIT

    state = _genesis()
    account = devnet_account_key(1)
    vkey = key(500)
    creds = withdrawal_credentials_for(account.address, compounding=False)
    domain = compute_domain(DOMAIN_DEPOSIT, MINIMAL.GENESIS_FORK_VERSION)
    pop = vkey.sign(compute_signing_root(deposit_message_root(vkey.public_key(), creds, 32 * SWK), domain))
    tx = sign_transaction(
        state, Transaction(account.public_key, 0, 1000, Stake(vkey.public_key(), creds, 32 * SWK, pop)), account
    )
    block = build_block(state, 1, transactions=[tx])
    state_transition(state, block)
    assert len(state.pending_deposits) == 1 and state.accounts.balance(account.address) == 968 * SWK - 1000
    _run(state, 8 * MINIMAL.SLOTS_PER_EPOCH)
    index = state.validators.index_of_pubkey(vkey.public_key())
    assert index == 64
    assert int(state.validators.activation_epoch[index]) <= state.current_epoch() + MINIMAL.MAX_SEED_LOOKAHEAD + 1


def test_proposer_slashing__two_headers_same_slot__slashes_and_exits() -> None:
    state = _genesis()
    process_slots(state, 3)
    offender = 7
    domain = get_domain(state, DOMAIN_BEACON_PROPOSER, 0)

    def signed(body_root: bytes) -> SignedBeaconBlockHeader:
        h = BeaconBlockHeader(2, offender, b"\x00" * 32, b"\x00" * 32, body_root)
        return SignedBeaconBlockHeader(h, key(offender).sign(compute_signing_root(header_root(h), domain)))

    slashing = ProposerSlashing(signed(b"\x01" * 32), signed(b"\x02" * 32))
    block = build_block(state, 4, proposer_slashings=[slashing])
    state_transition(state, block)
    assert state.validators.slashed[offender]
    assert int(state.validators.exit_epoch[offender]) < 2**64 - 1
    penalty = 32 * SWK // MINIMAL.MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA
    assert int(state.validators.balances[offender]) == 32 * SWK - penalty


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 50), st.integers(1000, 1005)), max_size=12)
)
def test_transfers__random_batches__conserve_supply_and_increase_nonces(batch: list[tuple[int, int, int, int]]) -> None:
    state = _genesis(16)
    nonces = [0, 0, 0, 0]
    txs = []
    for sender, receiver, amount, fee in batch:
        to = devnet_account_key(receiver).address
        txs.append(_transfer(state, sender, nonces[sender], to, amount * SWK, fee))
        nonces[sender] += 1
    before = _supply(state)
    block = build_block(state, 1, transactions=txs)
    state_transition(state, block)
    assert _supply(state) == before
    for i in range(4):
        assert state.accounts.nonce(devnet_account_key(i).address) == nonces[i]
