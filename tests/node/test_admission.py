"""The node's one admission path (`node.admission.admit`): each rule refuses with its reason before the mempool
takes the transaction, and nothing a sender can send makes admission fail other than by a refusal."""

from __future__ import annotations

import numpy as np
import pytest

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto.bls import devnet_secret_key
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.pool.messages import Deposit
from stakework.node import admission
from stakework.node.admission import AdmissionError, admit
from stakework.node.mempool import Mempool, MempoolError
from stakework.spec.constants import DOMAIN_DEPOSIT
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
from stakework.transition.block.transaction import (
    MIN_TRANSACTION_FEE,
    Consolidate,
    Exit,
    Payload,
    SignedTransaction,
    Stake,
    Transaction,
    Transfer,
    Withdraw,
    least_fee,
    sign_transaction,
)
from stakework.transition.block.voluntary_exit import voluntary_exit_signing_root
from stakework.transition.genesis import devnet_genesis, withdrawal_credentials_for

SWK = 10**9
OWN = 3
"""The validator whose credentials name devnet account 0 in these tests."""


def _genesis(genesis_time: int = 0) -> BeaconState:
    state = devnet_genesis(DEVNET, 8, funded_accounts=2, account_balance=100 * SWK, genesis_time=genesis_time)
    creds = withdrawal_credentials_for(devnet_account_key(0).address, compounding=False)
    state.validators.withdrawal_credentials[OWN] = np.frombuffer(creds, np.uint8)
    return state


@pytest.fixture(scope="module")
def head() -> BeaconState:
    return _genesis()


def _tx(state: BeaconState, payload: Payload, *, sender: int = 0, fee: int = MIN_TRANSACTION_FEE) -> SignedTransaction:
    k = devnet_account_key(sender)
    return sign_transaction(state, Transaction(k.public_key, 0, fee, payload), k)


def _pubkey(state: BeaconState, index: int) -> bytes:
    return state.validators.pubkey[index].tobytes()


def _stake(state: BeaconState, amount: int, *, forge: bool = False) -> Stake:
    vkey = devnet_secret_key(900)
    creds = withdrawal_credentials_for(devnet_account_key(0).address, compounding=False)
    root = compute_signing_root(
        deposit_message_root(vkey.public_key(), creds, amount),
        compute_domain(DOMAIN_DEPOSIT, DEVNET.GENESIS_FORK_VERSION),
    )
    signature = devnet_secret_key(901 if forge else 900).sign(root)
    return Stake(vkey.public_key(), creds, amount, signature)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda s: _tx(s, Withdraw(b"\x11" * 4000, 0), sender=7, fee=0), "length <= 48"),
        (lambda s: _tx(s, Withdraw(_pubkey(s, OWN), 0), sender=7), "has no balance"),
        (lambda s: _tx(s, Withdraw(_pubkey(s, OWN), -1)), r"Expected `int` >= 0 - at `\$.transaction.payload.amount`"),
        (lambda s: _tx(s, Withdraw(_pubkey(s, OWN), 0), fee=0), "below the 1000 Gwei"),
        (lambda s: _tx(s, Withdraw(b"\x11" * 48, 0)), "withdraw: no validator has the public key"),
        (lambda s: _tx(s, Withdraw(_pubkey(s, 5), 0)), "withdrawal credentials do not name the sender"),
        (lambda s: _tx(s, Consolidate(_pubkey(s, OWN), b"\x22" * 48)), r"consolidate \(target\): no validator"),
        (lambda s: _tx(s, Consolidate(_pubkey(s, 5), _pubkey(s, OWN))), "do not name the sender"),
        (lambda s: _tx(s, Transfer(b"\x01" * 20, 0)), "transfer: the amount must be positive"),
        (lambda s: _tx(s, Transfer(b"\x01" * 20, 2**64 - 1)), "insufficient balance"),
        (lambda s: _tx(s, _stake(s, SWK - 1)), "below MIN_DEPOSIT_AMOUNT"),
        (lambda s: _tx(s, _stake(s, 10**12)), "insufficient balance"),
        (lambda s: _tx(s, _stake(s, SWK, forge=True)), "deposit signature"),
        (
            lambda s: _tx(s, Exit(SignedVoluntaryExit(VoluntaryExit(-1, 0), b"\x00" * 96))),
            r"at `\$.transaction.payload.voluntary_exit.message.epoch`",
        ),
        (lambda s: _tx(s, Exit(SignedVoluntaryExit(VoluntaryExit(0, 2), b"\x00" * 96))), "exit refused"),
        (lambda s: _tx(_genesis(genesis_time=99), Transfer(b"\x01" * 20, SWK)), "not signed by its sender for this"),
    ],
)
def test_admit__transaction_a_rule_refuses__refused_with_the_rule_and_not_pooled(
    head: BeaconState,
    make,  # type: ignore[no-untyped-def]
    reason: str,
) -> None:
    pool = Mempool()
    with pytest.raises(MempoolError, match=reason):  # AdmissionError, or the pool's own MempoolError
        admit(pool, make(head), head)
    assert len(pool) == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda s: _tx(s, Withdraw(_pubkey(s, OWN), 0)),
        lambda s: _tx(s, Consolidate(_pubkey(s, OWN), _pubkey(s, 5))),
        lambda s: _tx(s, Transfer(b"\x01" * 20, SWK)),
        lambda s: _tx(s, _stake(s, SWK)),
    ],
)
def test_admit__valid_transaction__pooled(head: BeaconState, make) -> None:  # type: ignore[no-untyped-def]
    pool = Mempool()
    tx_hash = admit(pool, make(head), head)
    assert tx_hash in pool and tx_hash in pool.verified


def test_admit__unexpected_exception_while_checking__a_refusal_naming_it(
    head: BeaconState, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(admission, "_check_payload", broken)
    pool = Mempool()
    with pytest.raises(AdmissionError, match=r"could not check this transaction \(ZeroDivisionError: a bug\)"):
        admit(pool, _tx(head, Transfer(b"\x01" * 20, SWK)), head)
    assert len(pool) == 0


# -- Each rule where getting it wrong changes the outcome (issue #19: no surviving mutant of node/admission.py) ------


def _exit_head() -> BeaconState:
    """A head state late enough for a genesis validator to exit (SHARD_COMMITTEE_PERIOD epochs on)."""
    state = _genesis()
    state.slot = DEVNET.SHARD_COMMITTEE_PERIOD * DEVNET.SLOTS_PER_EPOCH
    return state


def _exit(state: BeaconState, index: int, *, nonce: int = 0) -> SignedTransaction:
    message = VoluntaryExit(state.current_epoch(), index)
    signed = SignedVoluntaryExit(message, devnet_secret_key(index).sign(voluntary_exit_signing_root(state, message)))
    k = devnet_account_key(0)
    return sign_transaction(state, Transaction(k.public_key, nonce, MIN_TRANSACTION_FEE, Exit(signed)), k)


def test_admit__exit_of_a_validator_whose_exit_is_pending__refused() -> None:
    head, pool = _exit_head(), Mempool()
    admit(pool, _exit(head, 2), head)
    with pytest.raises(AdmissionError, match="exit refused: an exit of validator 2 is pending already"):
        admit(pool, _exit(head, 2, nonce=1), head)
    assert len(pool) == 1


def test_admit__exits_of_two_validators_after_a_transfer__all_pooled() -> None:
    head, pool = _exit_head(), Mempool()
    k = devnet_account_key(0)
    admit(pool, sign_transaction(head, Transaction(k.public_key, 0, 1000, Transfer(b"\x01" * 20, SWK)), k), head)
    admit(pool, _exit(head, 2, nonce=1), head)
    admit(pool, _exit(head, 4, nonce=2), head)
    assert len(pool) == 3


def test_admit__unfunded_sender_with_an_invalid_payload__refused_for_the_balance_first(head: BeaconState) -> None:
    with pytest.raises(AdmissionError, match="has no balance"):
        admit(Mempool(), _tx(head, Transfer(b"\x01" * 20, 0), sender=7), head)


def test_admit__low_fee_and_an_invalid_payload__refused_for_the_fee_first(head: BeaconState) -> None:
    with pytest.raises(AdmissionError, match="its module's fee"):
        admit(Mempool(), _tx(head, Transfer(b"\x01" * 20, 0), fee=MIN_TRANSACTION_FEE - 1), head)


def test_admit__fee_exactly_the_least__pooled(head: BeaconState) -> None:
    pool = Mempool()
    assert admit(pool, _tx(head, Transfer(b"\x01" * 20, SWK), fee=MIN_TRANSACTION_FEE), head) in pool


def test_admit__module_message_its_module_refuses_with_nothing_pending__refused_with_the_modules_reason() -> None:
    head = devnet_genesis(DEVNET, 8, funded_accounts=1, account_balance=100 * SWK, modules=True)
    k = devnet_account_key(0)
    deposit = Deposit(pool_id=99, amount=SWK)
    tx = sign_transaction(head, Transaction(k.public_key, 0, least_fee(deposit, DEVNET), deposit), k)
    pool = Mempool()
    with pytest.raises(AdmissionError, match=r"pool\.deposit refused: "):
        admit(pool, tx, head)
    assert len(pool) == 0


def test_admit__module_message_behind_a_pending_transaction__left_to_the_block() -> None:
    head = devnet_genesis(DEVNET, 8, funded_accounts=1, account_balance=100 * SWK, modules=True)
    k = devnet_account_key(0)
    pool = Mempool()
    admit(pool, sign_transaction(head, Transaction(k.public_key, 0, 1000, Transfer(b"\x01" * 20, SWK)), k), head)
    deposit = Deposit(pool_id=99, amount=SWK)  # a pending transaction may be what makes it valid: not tried here
    admit(pool, sign_transaction(head, Transaction(k.public_key, 1, least_fee(deposit, DEVNET), deposit), k), head)
    assert len(pool) == 2


def test_admit__unexpected_exception_while_checking__logged_with_its_traceback(
    head: BeaconState, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(admission, "_check_payload", broken)
    with caplog.at_level("ERROR", logger=admission.__name__), pytest.raises(AdmissionError):
        admit(Mempool(), _tx(head, Transfer(b"\x01" * 20, SWK)), head)
    [record] = [r for r in caplog.records if r.name == admission.__name__]
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


def test_admit__sender_with_one_gwei__not_refused_as_unfunded_but_for_the_cost(head: BeaconState) -> None:
    state = head.copy()
    state.accounts.credit(devnet_account_key(7).address, 1)
    with pytest.raises(MempoolError, match="insufficient balance"):
        admit(Mempool(), _tx(state, Transfer(b"\x01" * 20, 1), sender=7), state)


def test_admit__transfer_of_one_gwei__pooled(head: BeaconState) -> None:
    pool = Mempool()
    assert admit(pool, _tx(head, Transfer(b"\x01" * 20, 1)), head) in pool


def test_admit__stake_with_0x00_credentials_and_a_valid_deposit_signature__refused(head: BeaconState) -> None:
    vkey = devnet_secret_key(900)
    creds = b"\x00" + bytes(31)  # BLS credentials: no account for the chain to pay out to
    root = compute_signing_root(
        deposit_message_root(vkey.public_key(), creds, SWK), compute_domain(DOMAIN_DEPOSIT, DEVNET.GENESIS_FORK_VERSION)
    )
    stake = Stake(vkey.public_key(), creds, SWK, vkey.sign(root))
    pool = Mempool()
    with pytest.raises(AdmissionError, match="withdrawal credentials must be 0x01 or 0x02"):
        admit(pool, _tx(head, stake), head)
    assert len(pool) == 0
