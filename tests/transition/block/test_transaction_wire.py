"""Transactions on the wire: uint64 integers and fixed-length keys checked by the decoder and again by the
transition, the least fee, and signatures bound to one chain (issue #12 items 1, 4, 5)."""

from __future__ import annotations

import msgspec
import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.block import SignedBeaconBlock
from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
from stakework.transition.block.transaction import (
    MIN_TRANSACTION_FEE,
    Consolidate,
    Exit,
    InvalidTransaction,
    Payload,
    SignedTransaction,
    Transaction,
    Transfer,
    Withdraw,
    chain_id,
    process_transaction,
    sign_transaction,
    state_chain_id,
)
from stakework.transition.genesis import devnet_genesis
from support.chain import build_block

SWK = 10**9
PUBKEY = b"\x11" * 48


def _genesis(genesis_time: int = 0, funded: bool = True) -> BeaconState:
    state = devnet_genesis(MINIMAL, 64, genesis_time=genesis_time)
    if funded:
        state.accounts.credit(devnet_account_key(0).address, 1000 * SWK)
    return state


def _signed(
    state: BeaconState, payload: Payload, *, fee: int = MIN_TRANSACTION_FEE, sender: int = 0
) -> SignedTransaction:
    k = devnet_account_key(sender)
    return sign_transaction(state, Transaction(k.public_key, 0, fee, payload), k)


def _wire(amount: object, pubkey: bytes = PUBKEY) -> bytes:
    """A signed withdraw as a peer could send it (msgpack), with any amount and key."""
    tx = {
        "transaction": {
            "sender": b"\x01" * 32,
            "nonce": 0,
            "fee": MIN_TRANSACTION_FEE,
            "payload": {"type": "withdraw", "validator_pubkey": pubkey, "amount": amount},
        },
        "signature": b"\x02" * 64,
    }
    return msgspec.msgpack.encode(tx)


@pytest.mark.parametrize("amount", [-1, -(2**63)])
def test_withdraw__negative_amount__refused_at_decode_naming_the_field(amount: int) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"Expected `int` >= 0 - at `\$.transaction.payload.amount`"):
        msgspec.msgpack.decode(_wire(amount), type=SignedTransaction)


def test_withdraw__largest_uint64_amount__decodes() -> None:
    decoded = msgspec.msgpack.decode(_wire(2**64 - 1), type=SignedTransaction)
    assert isinstance(decoded.transaction.payload, Withdraw) and decoded.transaction.payload.amount == 2**64 - 1


@pytest.mark.parametrize("length", [0, 47, 49, 4000])
def test_withdraw__public_key_of_wrong_length__refused_at_decode(length: int) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"at `\$.transaction.payload.validator_pubkey`"):
        msgspec.msgpack.decode(_wire(0, b"\x11" * length), type=SignedTransaction)


def test_block__carrying_a_transaction_with_a_negative_amount__refused_at_decode() -> None:
    state = _genesis()
    block = build_block(state, 1)
    raw = msgspec.to_builtins(block, builtin_types=(bytes,))
    raw["message"]["body"]["transactions"] = [msgspec.msgpack.decode(_wire(-1))]
    with pytest.raises(msgspec.ValidationError, match=r"transactions\[0\].transaction.payload.amount"):
        msgspec.msgpack.decode(msgspec.msgpack.encode(raw), type=SignedBeaconBlock)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        (Withdraw(PUBKEY, -1), r"\$.transaction.payload.amount"),
        (Transfer(b"\x01" * 20, -1), r"\$.transaction.payload.amount"),
        (Consolidate(PUBKEY, b"\x22" * 4000), r"\$.transaction.payload.target_pubkey"),
        (Exit(SignedVoluntaryExit(VoluntaryExit(-1, 0), b"\x00" * 96)), r"\$.transaction.payload.voluntary_exit"),
    ],
)
def test_transaction_built_in_python__out_of_range_or_wrong_length__block_refused_naming_the_field(
    payload: Payload, where: str
) -> None:
    state = _genesis()
    k = devnet_account_key(0)
    tx = SignedTransaction(Transaction(k.public_key, 0, MIN_TRANSACTION_FEE, payload), b"\x00" * 64)
    with pytest.raises(InvalidTransaction, match=rf"malformed transaction: .*{where}"):
        build_block(state, 1, transactions=[tx])


def test_transaction__integer_above_uint64__block_refused_naming_the_field() -> None:
    state = _genesis()
    k = devnet_account_key(0)
    tx = SignedTransaction(Transaction(k.public_key, 0, 2**64, Transfer(b"\x01" * 20, 1)), b"\x00" * 64)
    with pytest.raises(InvalidTransaction, match=r"integer 18446744073709551616 at `\$.transaction.fee`"):
        process_transaction(state, tx, 0)


def test_transfer__fee_below_the_least_fee__block_refused() -> None:
    state = _genesis()
    with pytest.raises(InvalidTransaction, match=f"pays at least {MIN_TRANSACTION_FEE}"):
        build_block(state, 1, transactions=[_signed(state, Transfer(b"\x01" * 20, SWK), fee=MIN_TRANSACTION_FEE - 1)])


def test_withdraw__sender_without_balance_and_fee_zero__block_refused() -> None:
    state = _genesis(funded=False)
    with pytest.raises(InvalidTransaction, match="pays at least"):
        build_block(state, 1, transactions=[_signed(state, Withdraw(PUBKEY, 0), fee=0)])
    with pytest.raises(InvalidTransaction, match="insufficient balance"):
        build_block(state, 1, transactions=[_signed(state, Withdraw(PUBKEY, 0))])


def test_transaction__signed_for_another_devnet_of_the_same_validators__refused() -> None:
    here, there = _genesis(genesis_time=1_000), _genesis(genesis_time=2_000)
    assert here.genesis_validators_root == there.genesis_validators_root  # the old binding could not tell them apart
    tx = _signed(there, Transfer(b"\x01" * 20, SWK))
    with pytest.raises(InvalidTransaction, match="bad signature"):
        build_block(here, 1, transactions=[tx])
    build_block(there, 1, transactions=[tx])  # valid on the chain it was signed for


def test_chain_id__genesis_time_or_fork_version_differs__differs() -> None:
    state = _genesis(genesis_time=5)
    base = chain_id(state.genesis_validators_root, 5, MINIMAL.GENESIS_FORK_VERSION)
    assert state_chain_id(state) == base
    assert chain_id(state.genesis_validators_root, 6, MINIMAL.GENESIS_FORK_VERSION) != base
    assert chain_id(state.genesis_validators_root, 5, b"\x00\x00\x00\x02") != base
    assert chain_id(b"\x01" * 32, 5, MINIMAL.GENESIS_FORK_VERSION) != base
