from __future__ import annotations

import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import Deposit
from stakework.node.mempool import Mempool, MempoolError
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import SignedTransaction, Transaction, Transfer, sign_transaction
from stakework.transition.genesis import devnet_genesis

SWK = 10**9


@pytest.fixture(scope="module")
def genesis() -> BeaconState:
    return devnet_genesis(DEVNET, 8, funded_accounts=3, account_balance=100 * SWK)


def tx(state: BeaconState, sender: int, nonce: int, amount: int = SWK, fee: int = 10) -> SignedTransaction:
    k = devnet_account_key(sender)
    return sign_transaction(state, Transaction(k.public_key, nonce, fee, Transfer(b"\x01" * 20, amount)), k)


def test_select__out_of_order_nonces__returned_in_nonce_order(genesis: BeaconState) -> None:
    pool = Mempool()
    for nonce in (2, 0, 1):
        pool.add(tx(genesis, 0, nonce), genesis)
    assert [t.transaction.nonce for t in pool.select(genesis, 10)] == [0, 1, 2]


def test_select__nonce_gap__stops_before_the_gap(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0), genesis)
    pool.add(tx(genesis, 0, 2), genesis)
    assert [t.transaction.nonce for t in pool.select(genesis, 10)] == [0]


def test_select__two_senders__higher_fee_first(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, fee=5), genesis)
    pool.add(tx(genesis, 1, 0, fee=50), genesis)
    assert [t.transaction.fee for t in pool.select(genesis, 10)] == [50, 5]


def test_add__same_nonce__replaced_only_by_a_higher_fee(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, fee=10), genesis)
    with pytest.raises(MempoolError, match="must pay more"):
        pool.add(tx(genesis, 0, 0, amount=2 * SWK, fee=10), genesis)
    pool.add(tx(genesis, 0, 0, amount=2 * SWK, fee=11), genesis)
    assert len(pool) == 1 and pool.select(genesis, 1)[0].transaction.fee == 11


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: type(t := tx(s, 0, 0))(t.transaction, b"\x00" * 64), "bad signature"),
        (lambda s: tx(s, 0, 500), "too far ahead"),
        (lambda s: tx(s, 0, 0, amount=1000 * SWK), "insufficient balance"),
        (lambda s: tx(s, 5, 0), "insufficient balance"),
    ],
)
def test_add__invalid__refused_with_reason(genesis: BeaconState, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MempoolError, match=message):
        Mempool().add(make(genesis), genesis)


def test_add__full_pool__evicts_the_cheapest_or_refuses(genesis: BeaconState) -> None:
    pool = Mempool(max_transactions=2)
    pool.add(tx(genesis, 0, 0, fee=5), genesis)
    pool.add(tx(genesis, 1, 0, fee=7), genesis)
    with pytest.raises(MempoolError, match="full"):
        pool.add(tx(genesis, 2, 0, fee=5), genesis)
    pool.add(tx(genesis, 2, 0, fee=9), genesis)
    assert sorted(t.transaction.fee for t in pool.pending()) == [7, 9]


def test_prune__after_nonce_used__drops_included(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0), genesis)
    pool.add(tx(genesis, 0, 1), genesis)
    state = genesis.copy()
    state.accounts.increment_nonce(devnet_account_key(0).address)
    assert pool.prune(state) == 1 and len(pool) == 1


def test_add__module_deposits_beyond_the_balance__the_one_that_does_not_fit_refused() -> None:
    state = devnet_genesis(DEVNET, 8, funded_accounts=1, account_balance=100 * 10**9, modules=True)
    key = devnet_account_key(0)
    pool = Mempool()
    for nonce, payload in enumerate([Deposit(pool_id=1, amount=60 * 10**9), LiquidStake(amount=30 * 10**9)]):
        pool.add(sign_transaction(state, Transaction(key.public_key, nonce, 1000, payload), key), state)
    late = sign_transaction(state, Transaction(key.public_key, 2, 1000, LiquidStake(amount=20 * 10**9)), key)
    with pytest.raises(MempoolError, match="insufficient balance"):
        pool.add(late, state)
