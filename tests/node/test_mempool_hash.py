"""The pool names a transaction by `SignedTransaction.hash()` (the id block import looks up to skip a signature the
pool verified), whichever way it computes it."""

from __future__ import annotations

from stakework.crypto.ed25519 import devnet_account_key
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET
from stakework.transition.block.transaction import Transaction, Transfer, sign_transaction
from stakework.transition.genesis import devnet_genesis


def test_add__a_transfer__returns_and_marks_verified_its_transaction_hash() -> None:
    genesis = devnet_genesis(DEVNET, 8, funded_accounts=2, account_balance=10**12)
    pool = Mempool()
    key = devnet_account_key(0)
    txs = [
        sign_transaction(genesis, Transaction(key.public_key, nonce, 1000 + nonce, Transfer(b"\x01" * 20, 5)), key)
        for nonce in range(3)
    ]
    hashes = [pool.add(tx, genesis) for tx in txs]
    assert hashes == [tx.hash() for tx in txs]
    assert all(tx.hash() in pool.verified and tx.hash() in pool for tx in txs)
