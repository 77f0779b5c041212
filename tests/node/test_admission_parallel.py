"""`admission.admit_many`: a batch admitted with its signatures verified together (on threads) gives, transaction
by transaction, exactly what `admit` one after another gives: the same hashes, the same refusals word for word,
the same pool."""

from __future__ import annotations

import random

import pytest

from stakework.crypto import ed25519
from stakework.crypto.ed25519 import MIN_PARALLEL_BATCH, AccountKey, devnet_account_key
from stakework.node import admission
from stakework.node.admission import AdmissionError, admit, admit_many
from stakework.node.mempool import Mempool, MempoolError
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    MIN_TRANSACTION_FEE,
    SignedTransaction,
    Transaction,
    Transfer,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis

SWK = 10**9
SENDERS = 12


@pytest.fixture(scope="module")
def head() -> BeaconState:
    return devnet_genesis(DEVNET, 8, funded_accounts=SENDERS, account_balance=100 * SWK)


def _transfer(state: BeaconState, sender: int, nonce: int, *, fee: int = MIN_TRANSACTION_FEE) -> SignedTransaction:
    k = devnet_account_key(sender)
    return sign_transaction(state, Transaction(k.public_key, nonce, fee, Transfer(b"\x07" * 20, 10**6)), k)


def _mixed_batch(head: BeaconState, seed: int) -> list[SignedTransaction]:
    """Valid transfers with, scattered among them, every kind of refusal around the signature check."""
    rng = random.Random(seed)
    other_chain = devnet_genesis(DEVNET, 8, funded_accounts=SENDERS, account_balance=100 * SWK, genesis_time=99)
    txs = [_transfer(head, s, n) for n in range(8) for s in range(SENDERS)]
    good = txs[5]
    sig = bytearray(good.signature)
    sig[7] ^= 0x10
    stranger = AccountKey.from_seed(bytes(range(32)))
    odd = [
        SignedTransaction(good.transaction, bytes(sig)),  # bad signature
        _transfer(other_chain, 3, 0),  # signed for another chain
        _transfer(head, 4, 1, fee=MIN_TRANSACTION_FEE - 1),  # fee too low: not verified at all
        good,  # already pending by then
        _transfer(head, 2, 500),  # nonce too far ahead
        sign_transaction(
            head, Transaction(stranger.public_key, 0, MIN_TRANSACTION_FEE, Transfer(b"\1" * 20, 1)), stranger
        ),
        SignedTransaction(good.transaction, good.signature[:63]),  # wrong length: refused for its shape
        SignedTransaction(good.transaction, bytes(64)),
    ]
    for tx in odd:
        txs.insert(rng.randrange(len(txs) + 1), tx)
    return txs


def _outcome(result: bytes | MempoolError) -> tuple[str, str]:
    return (result.hex(), "") if isinstance(result, bytes) else (type(result).__name__, str(result))


def _one_by_one(head: BeaconState, txs: list[SignedTransaction]) -> tuple[list[tuple[str, str]], Mempool]:
    pool = Mempool()
    out = []
    for tx in txs:
        try:
            out.append(_outcome(admit(pool, tx, head)))
        except MempoolError as exc:
            out.append(_outcome(exc))
    return out, pool


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("seed", [1, 2])
def test_admit_many__mixed_batch__same_outcomes_and_pool_as_admit_one_by_one(
    head: BeaconState, threads: int, seed: int
) -> None:
    txs = _mixed_batch(head, seed)
    assert len(txs) > MIN_PARALLEL_BATCH
    expected, expected_pool = _one_by_one(head, txs)
    pool = Mempool()
    got = [_outcome(r) for r in admit_many(pool, txs, head, threads=threads)]
    assert got == expected
    assert sum(1 for h, why in got if not why) == SENDERS * 8
    assert [tx.hash() for tx in pool.pending()] == [tx.hash() for tx in expected_pool.pending()]
    assert pool.verified == expected_pool.verified


def test_admit_many__bad_signature__refused_with_admits_reason_others_admitted(head: BeaconState) -> None:
    txs = [_transfer(head, s, 0) for s in range(SENDERS)]
    bad = SignedTransaction(txs[4].transaction, txs[5].signature)
    txs[4] = bad
    results = admit_many(Mempool(), txs, head, threads=2)
    refusal = results[4]
    assert isinstance(refusal, AdmissionError)
    assert str(refusal).startswith("bad signature: the transaction is not signed by its sender for this chain")
    assert all(isinstance(r, bytes) for i, r in enumerate(results) if i != 4)


def test_admit_many__low_fee__refused_for_the_fee_without_verifying_its_signature(
    head: BeaconState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cheapest checks first, as `admit`: a transaction the fee rule refuses costs no signature verification."""
    verified: list[int] = []
    real = ed25519.verify_batch

    def counting(items, *, threads=None):  # type: ignore[no-untyped-def]
        verified.append(len(items))
        return real(items, threads=threads)

    monkeypatch.setattr(ed25519, "verify_batch", counting)
    txs = [_transfer(head, 0, 0, fee=MIN_TRANSACTION_FEE - 1), _transfer(head, 1, 0)]
    results = admit_many(Mempool(), txs, head, threads=2)
    assert verified == [1]
    assert isinstance(results[0], AdmissionError) and "below the" in str(results[0])
    assert isinstance(results[1], bytes)


def test_admit_many__unexpected_exception_while_checking__a_refusal_the_rest_admitted(
    head: BeaconState, monkeypatch: pytest.MonkeyPatch
) -> None:
    txs = [_transfer(head, s, 0) for s in range(3)]
    real = admission._check_payload

    def flaky(mempool, tx, state, sender):  # type: ignore[no-untyped-def]
        if tx is txs[1]:
            raise KeyError("boom")
        real(mempool, tx, state, sender)

    monkeypatch.setattr(admission, "_check_payload", flaky)
    results = admit_many(Mempool(), txs, head, threads=2)
    assert isinstance(results[1], AdmissionError) and "KeyError" in str(results[1])
    assert isinstance(results[0], bytes) and isinstance(results[2], bytes)
