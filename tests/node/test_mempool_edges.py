"""The pool's rules at their edges: each bound at exactly its limit and one past it, and each ordering, balance and
expiry rule in a scenario where getting it wrong changes what the pool holds, refuses or selects (issue #19: no
surviving mutant of node/mempool.py that is not equivalent)."""

from __future__ import annotations

import msgspec
import pytest

from stakework.crypto import ed25519
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.governance.messages import Action, Propose
from stakework.node.mempool import Mempool, MempoolError
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    SignedTransaction,
    Transaction,
    Transfer,
    least_fee,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis

SWK = 10**9
FEE = 1000
BALANCE = 100 * SWK


@pytest.fixture(scope="module")
def genesis() -> BeaconState:
    return devnet_genesis(DEVNET, 8, funded_accounts=3, account_balance=BALANCE)


def tx(state: BeaconState, sender: int, nonce: int, amount: int = SWK, fee: int = FEE) -> SignedTransaction:
    k = devnet_account_key(sender)
    return sign_transaction(state, Transaction(k.public_key, nonce, fee, Transfer(b"\x01" * 20, amount)), k)


def unsigned(sender: bytes, nonce: int, fee: int = FEE, amount: int = 1) -> SignedTransaction:
    """A transfer from the 32-byte key `sender` with a dummy signature (for `add(..., signature_checked=True)`)."""
    return SignedTransaction(Transaction(sender, nonce, fee, Transfer(b"\x01" * 20, amount)), b"\x00" * 64)


def nonces(txs: list[SignedTransaction]) -> list[tuple[bytes, int]]:
    return [(t.transaction.sender, t.transaction.nonce) for t in txs]


def key(sender: int) -> bytes:
    return devnet_account_key(sender).public_key


# -- Size -------------------------------------------------------------------------------------------------------------


def proposal_of_size(state: BeaconState, size: int) -> SignedTransaction:
    """A signed governance proposal whose msgpack encoding is exactly `size` bytes (3,874..3,900 bytes of
    description: 4-byte characters, then ASCII to the byte)."""
    k = devnet_account_key(0)

    def make(description: str) -> SignedTransaction:
        p = Propose(actions=[Action(module="pool", name="x", value=0)], description=description)
        return sign_transaction(state, Transaction(k.public_key, 0, least_fee(p, DEVNET), p), k)

    base = len(msgspec.msgpack.encode(make(""))) + 2  # a description of 256 bytes or more has a 3-byte header
    emoji, ascii_ = divmod(size - base, 4)
    out = make("\U0001f600" * emoji + "a" * ascii_)
    assert len(msgspec.msgpack.encode(out)) == size
    return out


def test_add__transaction_of_exactly_4096_encoded_bytes__admitted(genesis: BeaconState) -> None:
    pool = Mempool()
    assert pool.add(proposal_of_size(genesis, 4096), genesis) in pool


def test_add__transaction_of_4097_encoded_bytes__refused_naming_the_limit(genesis: BeaconState) -> None:
    with pytest.raises(MempoolError, match="transaction is 4097 bytes, over the 4096-byte limit"):
        Mempool().add(proposal_of_size(genesis, 4097), genesis)


# -- Duplicates, nonces -----------------------------------------------------------------------------------------------


def test_add__the_same_transaction_twice__refused_as_already_pending(genesis: BeaconState) -> None:
    pool = Mempool()
    t = tx(genesis, 0, 0)
    tx_hash = pool.add(t, genesis)
    with pytest.raises(MempoolError, match=f"transaction 0x{tx_hash.hex()} is already pending"):
        pool.add(t, genesis)


def test_add__nonce_the_chain_has_used__refused(genesis: BeaconState) -> None:
    state = genesis.copy()
    state.accounts.increment_nonce(devnet_account_key(0).address)
    pool = Mempool()
    with pytest.raises(MempoolError, match=r"nonce 0 is already used \(the sender's next nonce is 1\)"):
        pool.add(tx(state, 0, 0), state)
    assert len(pool) == 0


def test_add__default_pool__nonce_64_ahead_admitted_65_refused(genesis: BeaconState) -> None:
    pool = Mempool()
    assert pool.add(tx(genesis, 0, 64), genesis) in pool
    with pytest.raises(MempoolError, match=r"too far ahead .*at most 64 ahead"):
        pool.add(tx(genesis, 0, 65), genesis)


# -- Balance ----------------------------------------------------------------------------------------------------------


def test_add__cost_exactly_the_balance__admitted(genesis: BeaconState) -> None:
    pool = Mempool()
    assert pool.add(tx(genesis, 0, 0, amount=BALANCE - FEE), genesis) in pool


def test_add__cost_one_gwei_over_the_balance__refused(genesis: BeaconState) -> None:
    with pytest.raises(MempoolError, match=f"needs {BALANCE + 1} Gwei"):
        Mempool().add(tx(genesis, 0, 0, amount=BALANCE - FEE + 1), genesis)


def test_add__second_transaction_spends_exactly_the_rest__admitted(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, amount=40 * SWK), genesis)
    assert pool.add(tx(genesis, 0, 1, amount=60 * SWK - 2 * FEE), genesis) in pool


def test_add__second_transaction_one_gwei_beyond_the_rest__refused(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, amount=40 * SWK), genesis)
    with pytest.raises(MempoolError, match=f"needs {BALANCE + 1} Gwei"):
        pool.add(tx(genesis, 0, 1, amount=60 * SWK - 2 * FEE + 1), genesis)


def test_add__after_a_pending_transaction_is_removed__its_cost_is_free_again(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, amount=40 * SWK), genesis)
    later = pool.add(tx(genesis, 0, 1, amount=40 * SWK), genesis)
    assert pool.remove(later, "no longer applies")
    assert pool.add(tx(genesis, 0, 1, amount=50 * SWK), genesis) in pool  # 40 + 50 SWK fit, 40 + 40 + 50 would not


# -- Full pool, eviction ----------------------------------------------------------------------------------------------


def test_add__full_pool__the_evicted_reason_names_the_fee_to_beat(genesis: BeaconState) -> None:
    pool = Mempool(max_transactions=1)
    cheap = pool.add(tx(genesis, 0, 0, fee=5000), genesis)
    pool.add(tx(genesis, 1, 0, fee=9000), genesis)
    assert pool.drop_reasons[cheap] == "evicted from the full pool by a transaction paying a fee above 8999"


def test_add__full_pool_whose_cheapest_was_replaced__evicts_the_replacement(genesis: BeaconState) -> None:
    pool = Mempool(max_transactions=2)
    pool.add(tx(genesis, 0, 0, fee=1000), genesis)
    dear = pool.add(tx(genesis, 1, 0, fee=3000), genesis)
    replacement = pool.add(tx(genesis, 0, 0, fee=1500), genesis)  # the cheapest entry is now a stale one
    newcomer = pool.add(tx(genesis, 2, 0, fee=2000), genesis)
    assert replacement not in pool and dear in pool and newcomer in pool


def test_add__full_pool_after_stale_entries_pile_up__still_evicts_the_cheapest(genesis: BeaconState) -> None:
    pool = Mempool(max_transactions=2)
    for fee in range(1000, 5001, 40):  # 101 replacements: the eviction heap is mostly stale and gets rebuilt
        pool.add(tx(genesis, 0, 0, fee=fee), genesis)
    cheap = pool.add(tx(genesis, 1, 0, fee=1000), genesis)  # later in the pool's order, yet the cheapest
    pool.add(tx(genesis, 2, 0, fee=2000), genesis)
    assert cheap not in pool and len(pool) == 2
    assert len(pool._cheapest) <= 2 * len(pool) + 64  # the stale entries were compacted away


# -- Drop reasons -----------------------------------------------------------------------------------------------------


def test_drop_reasons__10_001_replacements__the_oldest_forgotten_the_10_000_after_kept(genesis: BeaconState) -> None:
    state = genesis.copy()
    sender = b"\x07" * 32
    state.accounts.credit(ed25519.address_of(sender), BALANCE)
    pool = Mempool()
    hashes = [pool.add(unsigned(sender, 0, fee=FEE + i), state, signature_checked=True) for i in range(10_002)]
    assert len(pool.drop_reasons) == 10_000  # 10,001 replaced
    assert hashes[0] not in pool.drop_reasons
    assert hashes[1] in pool.drop_reasons and hashes[10_000] in pool.drop_reasons


# -- remove, has_pending ----------------------------------------------------------------------------------------------


def test_remove__pending_then_unknown__true_then_false(genesis: BeaconState) -> None:
    pool = Mempool()
    tx_hash = pool.add(tx(genesis, 0, 0), genesis)
    assert pool.remove(tx_hash) is True
    assert pool.remove(tx_hash) is False


def test_has_pending__sender_with_and_without_transactions(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0), genesis)
    assert pool.has_pending(devnet_account_key(0).address) is True
    assert pool.has_pending(devnet_account_key(1).address) is False


# -- Selection --------------------------------------------------------------------------------------------------------


def test_select__balance_exactly_the_cost__included(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, amount=BALANCE - FEE), genesis)
    assert len(pool.select(genesis, 10)) == 1


def test_select__sender_whose_next_pays_little__waits_behind_a_higher_fee_though_its_later_pay_more(
    genesis: BeaconState,
) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, fee=1000), genesis)
    pool.add(tx(genesis, 0, 1, fee=9000), genesis)
    pool.add(tx(genesis, 1, 0, fee=5000), genesis)
    assert nonces(pool.select(genesis, 10)) == [(key(1), 0), (key(0), 0), (key(0), 1)]


def test_select__a_senders_next_after_its_first__ranked_by_its_own_fee(genesis: BeaconState) -> None:
    pool = Mempool()
    for nonce, fee in enumerate((9000, 4000, 7000)):
        pool.add(tx(genesis, 0, nonce, fee=fee), genesis)
    pool.add(tx(genesis, 1, 0, fee=5000), genesis)
    assert nonces(pool.select(genesis, 10)) == [(key(0), 0), (key(1), 0), (key(0), 1), (key(0), 2)]


def test_select__a_later_high_fee_of_a_sender__goes_before_a_lower_fee_of_another(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0, fee=9000), genesis)
    pool.add(tx(genesis, 0, 1, fee=7000), genesis)
    pool.add(tx(genesis, 1, 0, fee=5000), genesis)
    assert nonces(pool.select(genesis, 10)) == [(key(0), 0), (key(0), 1), (key(1), 0)]


def test_select__equal_fees__a_senders_first_ranked_by_its_own_arrival(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0), genesis)
    pool.add(tx(genesis, 1, 0), genesis)
    pool.add(tx(genesis, 0, 1), genesis)
    assert nonces(pool.select(genesis, 10)) == [(key(0), 0), (key(1), 0), (key(0), 1)]


def test_select__equal_fees__a_senders_next_ranked_by_its_own_arrival(genesis: BeaconState) -> None:
    pool = Mempool()
    pool.add(tx(genesis, 0, 0), genesis)
    pool.add(tx(genesis, 0, 2), genesis)  # arrives before the other sender's, but its turn comes after nonce 1
    pool.add(tx(genesis, 1, 0), genesis)
    pool.add(tx(genesis, 0, 1), genesis)
    assert nonces(pool.select(genesis, 10)) == [(key(0), 0), (key(1), 0), (key(0), 1), (key(0), 2)]


# -- Gap expiry -------------------------------------------------------------------------------------------------------


def test_prune__default_pool__gapped_transaction_pending_after_63_slots_gone_at_64(genesis: BeaconState) -> None:
    pool = Mempool()
    gapped = pool.add(tx(genesis, 0, 1), genesis)
    assert pool.prune(genesis, slot=63) == 0 and gapped in pool
    assert pool.prune(genesis, slot=64) == 1 and gapped not in pool


def test_prune__gap_above_three_executable_nonces__the_one_beyond_expires(genesis: BeaconState) -> None:
    pool = Mempool(gap_lifetime_slots=4)
    for nonce in range(3):
        pool.add(tx(genesis, 0, nonce), genesis)
    gapped = pool.add(tx(genesis, 0, 4), genesis)  # nonce 3 missing
    assert pool.prune(genesis, slot=4) == 1 and gapped not in pool and len(pool) == 3


def test_prune__an_earlier_slot_after_a_later__the_pool_clock_does_not_go_back(genesis: BeaconState) -> None:
    pool = Mempool(gap_lifetime_slots=4)
    pool.prune(genesis, slot=10)
    pool.prune(genesis, slot=5)
    gapped = pool.add(tx(genesis, 0, 1), genesis)  # its clock starts at slot 10: due at 14
    assert pool.prune(genesis, slot=9) == 0 and gapped in pool
    assert pool.prune(genesis, slot=14) == 1


def test_prune__two_gapped_due_at_different_slots__the_earlier_expires_alone(genesis: BeaconState) -> None:
    pool = Mempool(gap_lifetime_slots=4)
    first = pool.add(tx(genesis, 0, 1), genesis)  # due at 4
    pool.prune(genesis, slot=2)
    second = pool.add(tx(genesis, 1, 1), genesis)  # due at 6
    assert pool.prune(genesis, slot=4) == 1 and first not in pool and second in pool
    assert pool.prune(genesis, slot=6) == 1 and second not in pool


def test_prune__gapped_transaction_removed_before_its_expiry__skipped_without_error(genesis: BeaconState) -> None:
    pool = Mempool(gap_lifetime_slots=4)
    gapped = pool.add(tx(genesis, 0, 1), genesis)
    pool.remove(gapped, "no longer applies")
    assert pool.prune(genesis, slot=4) == 0


# -- Last: the slowest (a few seconds) -------------------------------------------------------------------------------


def test_add__default_pool_holding_100_000__full_and_the_next_must_outbid(genesis: BeaconState) -> None:
    state = genesis.copy()
    pool = Mempool()
    senders = [i.to_bytes(32, "big") for i in range(1, 100_000 // 65 + 2)]
    for s in senders:
        state.accounts.credit(ed25519.address_of(s), BALANCE)
    count = 0
    for s in senders:
        for nonce in range(65):
            if count == 100_000 - 1:
                break
            pool.add(unsigned(s, nonce, fee=2000), state, signature_checked=True)
            count += 1
    last, outsider = senders[-1], b"\xff" * 32
    state.accounts.credit(ed25519.address_of(outsider), BALANCE)
    pool.add(unsigned(last, 64, fee=2000), state, signature_checked=True)  # the 100,000th: room for it
    assert len(pool) == 100_000
    with pytest.raises(MempoolError, match=r"the pool is full \(100000\)"):
        pool.add(unsigned(outsider, 0, fee=2000), state, signature_checked=True)
