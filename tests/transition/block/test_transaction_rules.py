"""`process_transaction`'s rules at their edges (issue #19: no surviving mutant of transition/block/transaction.py
that is not equivalent): each bound exactly at its limit and one past it, and what a transaction moves where."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto.bls import devnet_secret_key
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import Deposit
from stakework.spec.constants import DOMAIN_DEPOSIT, UNSET_DEPOSIT_REQUESTS_START_INDEX
from stakework.spec.presets import DEVNET
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
from stakework.transition.block.transaction import (
    MIN_TRANSACTION_FEE,
    Consolidate,
    Exit,
    InvalidTransaction,
    Payload,
    SignedTransaction,
    Stake,
    Transaction,
    Transfer,
    Withdraw,
    chain_id,
    least_fee,
    process_transaction,
    sign_transaction,
)
from stakework.transition.block.voluntary_exit import voluntary_exit_signing_root
from stakework.transition.genesis import devnet_genesis, withdrawal_credentials_for

SWK = 10**9
BALANCE = 100 * SWK
PAID = 3
"""A proposer whose 0x01 credentials name an account (devnet account 5): fees paid to it land there."""
BURNT = 1
"""A proposer with 0x00 (BLS) credentials: no account to pay."""
TO = b"\x09" * 20


def _state(*, modules: bool = False) -> BeaconState:
    state = devnet_genesis(DEVNET, 8, funded_accounts=2, account_balance=BALANCE, modules=modules)
    creds = withdrawal_credentials_for(devnet_account_key(5).address, compounding=False)
    state.validators.withdrawal_credentials[PAID] = np.frombuffer(creds, np.uint8)
    state.validators.withdrawal_credentials[BURNT] = np.zeros(32, np.uint8)
    return state


def _tx(state: BeaconState, payload: Payload, *, fee: int = MIN_TRANSACTION_FEE, nonce: int = 0) -> SignedTransaction:
    k = devnet_account_key(0)
    return sign_transaction(state, Transaction(k.public_key, nonce, fee, payload), k)


def _sender(state: BeaconState) -> tuple[int, int]:
    a = devnet_account_key(0).address
    return state.accounts.balance(a), state.accounts.nonce(a)


def _stake(amount: int, prefix: bytes = b"\x01") -> Stake:
    vkey = devnet_secret_key(900)
    creds = prefix + bytes(11) + devnet_account_key(0).address
    root = compute_signing_root(
        deposit_message_root(vkey.public_key(), creds, amount),
        compute_domain(DOMAIN_DEPOSIT, DEVNET.GENESIS_FORK_VERSION),
    )
    return Stake(vkey.public_key(), creds, amount, vkey.sign(root))


def _refused(state: BeaconState, signed: SignedTransaction, match: str, *, proposer: int = PAID) -> None:
    before = state.copy()
    with pytest.raises(InvalidTransaction, match=match):
        process_transaction(state, signed, proposer)
    assert state.accounts == before.accounts


# -- Fees -------------------------------------------------------------------------------------------------------------


def test_process__fee_exactly_1000_gwei__applied_999__refused() -> None:
    state = _state()
    _refused(state, _tx(state, Transfer(TO, SWK), fee=999), "the fee is 999 Gwei, a transaction pays at least 1000")
    process_transaction(state, _tx(state, Transfer(TO, SWK), fee=1000), PAID)
    assert _sender(state) == (BALANCE - SWK - 1000, 1)


def test_process__module_message_below_its_least_fee__refused_naming_the_module() -> None:
    state = _state(modules=True)
    deposit = Deposit(pool_id=1, amount=SWK)
    least = least_fee(deposit, DEVNET)
    _refused(state, _tx(state, deposit, fee=least - 1), rf"pool\.deposit: the fee is {least - 1} Gwei")


def test_process__module_message_its_module_refuses__fee_undone_nonce_unused() -> None:
    state = _state(modules=True)
    deposit = Deposit(pool_id=99, amount=SWK)  # no such pool
    _refused(state, _tx(state, deposit, fee=least_fee(deposit, DEVNET)), r"pool\.deposit: ")
    assert _sender(state) == (BALANCE, 0)


def test_process__fee__paid_to_a_proposer_with_an_account_burnt_for_one_without() -> None:
    state = _state()
    payee = devnet_account_key(5).address
    process_transaction(state, _tx(state, Transfer(TO, SWK), fee=5000), PAID)
    assert state.accounts.balance(payee) == 5000
    total = state.accounts.total()
    process_transaction(state, _tx(state, Transfer(TO, SWK), fee=7000, nonce=1), BURNT)
    assert state.accounts.total() == total - 7000 and state.accounts.balance(payee) == 5000


# -- Nonce, signature, balance ----------------------------------------------------------------------------------------


def test_process__nonce_ahead_of_the_next__refused() -> None:
    state = _state()
    _refused(state, _tx(state, Transfer(TO, SWK), nonce=1), "bad nonce 1: the sender's next nonce is 0")


def test_process__bad_signature__refused_unless_the_caller_verified_it() -> None:
    state = _state()
    good = _tx(state, Transfer(TO, SWK))
    forged = SignedTransaction(good.transaction, b"\x00" * 64)
    _refused(state, forged, "bad signature")
    process_transaction(state, forged, PAID, verify_signature=False)
    assert _sender(state)[1] == 1


def test_process__cost_exactly_the_balance__applied() -> None:
    state = _state()
    process_transaction(state, _tx(state, Transfer(TO, BALANCE - MIN_TRANSACTION_FEE)), PAID)
    assert _sender(state) == (0, 1) and state.accounts.balance(TO) == BALANCE - MIN_TRANSACTION_FEE


def test_process__cost_one_gwei_over_the_balance__refused_naming_both() -> None:
    state = _state()
    _refused(
        state,
        _tx(state, Transfer(TO, BALANCE - MIN_TRANSACTION_FEE + 1)),
        f"insufficient balance: needs {BALANCE + 1} Gwei \\(amount \\+ fee\\), has {BALANCE}",
    )


# -- Transfers, stakes ------------------------------------------------------------------------------------------------


def test_process__transfer_of_one_gwei__moved_zero__refused() -> None:
    state = _state()
    _refused(state, _tx(state, Transfer(TO, 0)), "a transfer moves a positive amount")
    process_transaction(state, _tx(state, Transfer(TO, 1)), PAID)
    assert state.accounts.balance(TO) == 1 and _sender(state) == (BALANCE - 1 - MIN_TRANSACTION_FEE, 1)


def test_process__stake_of_exactly_min_deposit__queued_one_gwei_less__refused() -> None:
    state = _state()
    _refused(state, _tx(state, _stake(DEVNET.MIN_DEPOSIT_AMOUNT - 1)), "below MIN_DEPOSIT_AMOUNT")
    process_transaction(state, _tx(state, _stake(DEVNET.MIN_DEPOSIT_AMOUNT)), PAID)
    assert [d.amount for d in state.pending_deposits] == [DEVNET.MIN_DEPOSIT_AMOUNT]
    assert _sender(state) == (BALANCE - DEVNET.MIN_DEPOSIT_AMOUNT - MIN_TRANSACTION_FEE, 1)


@pytest.mark.parametrize("prefix", [b"\x01", b"\x02"])
def test_process__stake_with_account_credentials__queued(prefix: bytes) -> None:
    state = _state()
    process_transaction(state, _tx(state, _stake(SWK, prefix)), PAID)
    assert len(state.pending_deposits) == 1


def test_process__stake_with_bls_credentials__refused() -> None:
    state = _state()
    _refused(state, _tx(state, _stake(SWK, b"\x00")), "withdrawal credentials must be 0x01 or 0x02")


# -- Chain id, least fee, malformed input -----------------------------------------------------------------------------


def test_chain_id__known_inputs__sha256_of_the_tag_root_uint64_le_time_and_version() -> None:
    root, version = bytes(range(32)), b"\x01\x02\x03\x04"
    expected = hashlib.sha256(b"stakework/chain-id/v1" + root + (1_700_000_000).to_bytes(8, "little") + version)
    assert chain_id(root, 1_700_000_000, version) == expected.digest()  # what a wallet computes on its own


def test_least_fee__custom_preset_whose_module_asks_more__that_fee_else_the_built_in_one() -> None:
    dear = DEVNET.replace(MODULE_MIN_FEE=5000)
    liquid = LiquidStake(amount=SWK)
    assert least_fee(liquid, dear) == 5000 and least_fee(liquid) == MIN_TRANSACTION_FEE


def test_least_fee__custom_preset_whose_module_asks_less__still_min_transaction_fee() -> None:
    assert least_fee(LiquidStake(amount=SWK), DEVNET.replace(MODULE_MIN_FEE=10)) == MIN_TRANSACTION_FEE


def test_process__module_message_paying_exactly_its_least_fee__applied() -> None:
    state = _state(modules=True)
    liquid = LiquidStake(amount=SWK)
    process_transaction(state, _tx(state, liquid, fee=least_fee(liquid, DEVNET)), PAID)
    assert _sender(state)[1] == 1


def test_process__built_in_python_with_a_negative_withdraw_amount__refused_as_malformed() -> None:
    state = _state()
    _refused(state, _tx(state, Withdraw(state.validators.pubkey[PAID].tobytes(), -1)), "malformed transaction")


def test_process__first_stake_without_a_deposit_index__starts_the_deposit_requests_at_0() -> None:
    state = _state()
    state.deposit_requests_start_index = UNSET_DEPOSIT_REQUESTS_START_INDEX  # no deposit request seen yet
    process_transaction(state, _tx(state, _stake(SWK)), PAID)
    assert state.deposit_requests_start_index == 0


def test_process__exit_of_an_eligible_validator__its_exit_epoch_set() -> None:
    state = _state()
    state.slot = DEVNET.SHARD_COMMITTEE_PERIOD * DEVNET.SLOTS_PER_EPOCH
    message = VoluntaryExit(state.current_epoch(), 2)
    signed = SignedVoluntaryExit(message, devnet_secret_key(2).sign(voluntary_exit_signing_root(state, message)))
    process_transaction(state, _tx(state, Exit(signed)), PAID)
    assert int(state.validators.exit_epoch[2]) != FAR_FUTURE_EPOCH


def _own_validator(state: BeaconState, index: int = 4) -> bytes:
    """Give validator `index` 0x01 credentials naming the sender (devnet account 0); returns its public key."""
    creds = withdrawal_credentials_for(devnet_account_key(0).address, compounding=False)
    state.validators.withdrawal_credentials[index] = np.frombuffer(creds, np.uint8)
    state.slot = DEVNET.SHARD_COMMITTEE_PERIOD * DEVNET.SLOTS_PER_EPOCH
    return state.validators.pubkey[index].tobytes()


def test_process__full_withdraw_of_the_senders_validator__its_exit_initiated() -> None:
    state = _state()
    pubkey = _own_validator(state)
    process_transaction(state, _tx(state, Withdraw(pubkey, 0)), PAID)
    assert int(state.validators.exit_epoch[4]) != FAR_FUTURE_EPOCH


def test_process__consolidate_the_senders_validator_into_itself__switched_to_compounding() -> None:
    state = _state()
    pubkey = _own_validator(state)
    process_transaction(state, _tx(state, Consolidate(pubkey, pubkey)), PAID)
    assert int(state.validators.withdrawal_credentials[4][0]) == 0x02
