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


def tx(state: BeaconState, sender: int, nonce: int, amount: int = SWK, fee: int = 1000) -> SignedTransaction:
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
    pool.add(tx(genesis, 0, 0, fee=5000), genesis)
    pool.add(tx(genesis, 1, 0, fee=50000), genesis)
    assert [t.transaction.fee for t in pool.select(genesis, 10)] == [50000, 5000]


def test_add__same_nonce__replaced_only_by_a_higher_fee(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, fee=1010), genesis)
    with pytest.raises(MempoolError, match="must pay more"):
        pool.add(tx(genesis, 0, 0, amount=2 * SWK, fee=1010), genesis)
    pool.add(tx(genesis, 0, 0, amount=2 * SWK, fee=1011), genesis)
    assert len(pool) == 1 and pool.select(genesis, 1)[0].transaction.fee == 1011


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: type(t := tx(s, 0, 0))(t.transaction, b"\x00" * 64), "bad signature"),
        (lambda s: tx(s, 0, 500), "too far ahead"),
        (lambda s: tx(s, 0, 0, amount=1000 * SWK), "insufficient balance"),
        (lambda s: tx(s, 5, 0), "has no balance"),
        (lambda s: tx(s, 0, 0, fee=999), "below the 1000 Gwei"),
        (lambda s: tx(s, 0, 0, fee=-1), "malformed transaction"),
        (lambda s: tx(s, 0, -1), "malformed transaction"),
        (
            lambda s: SignedTransaction(
                Transaction(b"\x01" * 32, 0, 1000, Transfer(b"\x01" * 20, 2**64)), b"\x00" * 64
            ),
            r"malformed transaction: integer 18446744073709551616 at `\$.transaction.payload.amount`",
        ),
        (
            lambda s: SignedTransaction(Transaction(b"\x01" * 32, 0, 1000, Transfer(b"\x01" * 19, 1)), b"\x00" * 64),
            r"length >= 20 - at `\$.transaction.payload.to`",
        ),
    ],
)
def test_add__invalid__refused_with_reason(genesis: BeaconState, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MempoolError, match=message):
        Mempool().add(make(genesis), genesis)


def test_add__full_pool__evicts_the_cheapest_or_refuses(genesis: BeaconState) -> None:
    pool = Mempool(max_transactions=2)
    pool.add(tx(genesis, 0, 0, fee=5000), genesis)
    pool.add(tx(genesis, 1, 0, fee=7000), genesis)
    with pytest.raises(MempoolError, match="full"):
        pool.add(tx(genesis, 2, 0, fee=5000), genesis)
    pool.add(tx(genesis, 2, 0, fee=9000), genesis)
    assert sorted(t.transaction.fee for t in pool.pending()) == [7000, 9000]


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


# -- Each rule of the pool, with a scenario where getting it wrong changes the outcome -------------------------------


def test_add__balance_covers_the_amount_but_not_the_fee__refused(genesis: BeaconState) -> None:
    with pytest.raises(MempoolError, match="insufficient balance"):
        Mempool().add(tx(genesis, 0, 0, amount=100 * SWK), genesis)  # 100 SWK + 1000 Gwei fee > 100 SWK


def test_add__nonce_exactly_the_gap_bound_ahead__accepted_one_further__refused(genesis: BeaconState) -> None:
    pool = Mempool(max_nonce_gap=5)
    pool.add(tx(genesis, 0, 5), genesis)
    with pytest.raises(MempoolError, match="too far ahead"):
        pool.add(tx(genesis, 0, 6), genesis)


def test_add__replacement_the_balance_covers_only_instead_of_the_replaced__accepted(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, amount=60 * SWK, fee=1000), genesis)
    pool.add(tx(genesis, 0, 0, amount=60 * SWK, fee=2000), genesis)  # 60 SWK twice would exceed 100 SWK
    assert [t.transaction.fee for t in pool.pending()] == [2000]
    assert pool.drop_reasons and "replaced" in next(iter(pool.drop_reasons.values()))


def test_add__full_pool_of_equal_fees__the_latest_of_them_is_evicted(genesis: BeaconState) -> None:
    pool = Mempool(max_transactions=2)
    first = pool.add(tx(genesis, 0, 0), genesis)
    second = pool.add(tx(genesis, 1, 0), genesis)
    pool.add(tx(genesis, 2, 0, fee=2000), genesis)
    assert first in pool and second not in pool
    assert "evicted" in pool.drop_reasons[second]


def test_add__full_pool_after_many_replacements__evicts_a_live_transaction(genesis: BeaconState) -> None:
    pool = Mempool(max_transactions=2)
    for fee in range(1000, 1200):  # each replacement leaves a stale entry in the eviction heap
        pool.add(tx(genesis, 0, 0, fee=fee), genesis)
    kept = pool.add(tx(genesis, 1, 0, fee=5000), genesis)
    pool.add(tx(genesis, 2, 0, fee=6000), genesis)
    assert len(pool) == 2 and kept in pool
    assert [t.transaction.fee for t in pool.select(genesis, 10)] == [6000, 5000]


def test_select__balance_now_covers_two_of_three_queued__takes_two(genesis: BeaconState) -> None:
    pool = Mempool()
    for nonce in range(3):
        pool.add(tx(genesis, 0, nonce, amount=30 * SWK), genesis)
    state = genesis.copy()
    state.accounts.debit(devnet_account_key(0).address, 35 * SWK)  # 65 SWK left: two transfers of 30 SWK + fees
    assert [t.transaction.nonce for t in pool.select(state, 10)] == [0, 1]


def test_select__more_pending_than_the_limit__takes_exactly_the_limit(genesis: BeaconState) -> None:
    pool = Mempool()
    for sender in range(3):
        pool.add(tx(genesis, sender, 0), genesis)
    assert len(pool.select(genesis, 2)) == 2


def test_select__equal_fees__the_earlier_arrival_first(genesis: BeaconState) -> None:
    pool = Mempool()
    for sender in (2, 0, 1):
        pool.add(tx(genesis, sender, 0), genesis)
    order = [t.transaction.sender for t in pool.select(genesis, 10)]
    assert order == [devnet_account_key(i).public_key for i in (2, 0, 1)]


def test_pending__nonces_arrived_out_of_order__listed_in_nonce_order(genesis: BeaconState) -> None:
    pool = Mempool()
    for nonce in (3, 1, 0, 2):
        pool.add(tx(genesis, 0, nonce), genesis)
    assert [t.transaction.nonce for t in pool.pending()] == [0, 1, 2, 3]


def test_prune__transaction_included__no_longer_counted_as_verified(genesis: BeaconState) -> None:
    pool = Mempool()
    included = pool.add(tx(genesis, 0, 0), genesis)
    waiting = pool.add(tx(genesis, 0, 1), genesis)
    assert pool.verified == {included, waiting}
    state = genesis.copy()
    state.accounts.increment_nonce(devnet_account_key(0).address)
    pool.prune(state)
    assert pool.verified == {waiting}


def test_prune__transaction_behind_a_nonce_gap_for_its_lifetime__expires_with_the_reason(genesis: BeaconState) -> None:
    pool = Mempool(gap_lifetime_slots=4)
    ready = pool.add(tx(genesis, 0, 0), genesis)
    gapped = pool.add(tx(genesis, 1, 3), genesis)
    assert pool.prune(genesis, slot=3) == 0 and gapped in pool
    assert pool.prune(genesis, slot=4) == 1
    assert gapped not in pool and ready in pool
    assert "expired: nonce 3 waited 4 slots behind a nonce gap" in pool.drop_reasons[gapped]
    assert pool.prune(genesis, slot=40) == 0 and ready in pool  # executable: it waits for a block, not a gap


def test_prune__gap_filled_before_the_lifetime__nothing_expires(genesis: BeaconState) -> None:
    pool = Mempool(gap_lifetime_slots=4)
    later = pool.add(tx(genesis, 0, 1), genesis)
    pool.prune(genesis, slot=2)
    pool.add(tx(genesis, 0, 0), genesis)
    assert pool.prune(genesis, slot=4) == 0 and later in pool


def test_prune__lower_nonce_dropped_later__the_ones_above_expire_a_lifetime_after(genesis: BeaconState) -> None:
    pool = Mempool(gap_lifetime_slots=4)
    first = pool.add(tx(genesis, 0, 0), genesis)
    second = pool.add(tx(genesis, 0, 1), genesis)
    assert pool.prune(genesis, slot=10) == 0  # both executable: nothing to expire, however long they wait
    pool.remove(first, "no longer applies")  # the gap opens at slot 10
    assert pool.prune(genesis, slot=13) == 0 and second in pool
    assert pool.prune(genesis, slot=14) == 1 and second not in pool
