"""The reward history and the transaction index's refusals are kept in the chain database (issue #16), so a
restarted node still has them: `node.storage.history`, `node.rewards.RewardHistory`, `TransactionIndex.attach`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.node.rewards import RewardHistory
from stakework.node.storage import ChainStore, StorageError
from stakework.node.storage.history import load_balances, load_rejections, save_balances, save_rejections
from stakework.node.txindex import TransactionIndex
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import Transaction, Transfer, sign_transaction
from stakework.transition.genesis import devnet_genesis
from support.chain import build_block


@pytest.fixture(scope="module")
def genesis() -> BeaconState:
    return devnet_genesis(DEVNET, 8, funded_accounts=2)


def test_balances__saved_then_reopened__same_epochs_and_values_newest_kept(
    tmp_path: Path, genesis: BeaconState
) -> None:
    with ChainStore(tmp_path, genesis=genesis) as store:
        for epoch in range(5):
            save_balances(store, epoch, np.arange(10, dtype=np.uint64) * np.uint64(10**9 + epoch), keep=3)
    with ChainStore(tmp_path) as store:
        loaded = load_balances(store, keep=10)
    assert [e for e, _ in loaded] == [2, 3, 4]
    assert np.array_equal(loaded[-1][1], np.arange(10, dtype=np.uint64) * np.uint64(10**9 + 4))
    assert loaded[-1][1].dtype == np.uint64


def test_balances__database_written_before_the_tables__empty_history(tmp_path: Path, genesis: BeaconState) -> None:
    with ChainStore(tmp_path, genesis=genesis) as store:
        assert load_balances(store, keep=8) == [] and load_rejections(store, keep=8) == []
    reader = ChainStore.open_readonly(tmp_path)
    try:
        assert load_balances(reader, keep=8) == []
    finally:
        reader.close()


def test_balances__damaged_record__storage_error_naming_the_epoch(tmp_path: Path, genesis: BeaconState) -> None:
    with ChainStore(tmp_path, genesis=genesis) as store:
        save_balances(store, 7, np.ones(4, dtype=np.uint64), keep=4)
    with sqlite3.connect(tmp_path / "chain.sqlite") as conn:
        conn.execute("UPDATE reward_history SET balances = x'00010203' WHERE epoch = 7")
    with ChainStore(tmp_path) as store, pytest.raises(StorageError, match="epoch 7 is damaged"):
        load_balances(store, keep=4)


def test_reward_history__restart__keeps_its_epochs_and_records_no_duplicate(
    tmp_path: Path, genesis: BeaconState
) -> None:
    with ChainStore(tmp_path, genesis=genesis) as store:
        history = RewardHistory(4, store)
        for epoch in (0, 1, 2):
            assert history.record(epoch, np.full(3, 32 * 10**9 + epoch, dtype=np.uint64))
    with ChainStore(tmp_path) as store:
        again = RewardHistory(4, store)
        assert [e for e, _ in again.entries] == [0, 1, 2]
        assert not again.record(2, np.zeros(3, dtype=np.uint64))  # the restart's first epoch is recorded already
        assert again.record(3, np.zeros(3, dtype=np.uint64))
    with ChainStore(tmp_path) as store:
        assert [e for e, _ in RewardHistory(4, store).entries] == [0, 1, 2, 3]
        assert [e for e, _ in RewardHistory(2, store).entries] == [2, 3]


def test_transaction_index__refusal_flushed__read_back_after_a_restart(tmp_path: Path, genesis: BeaconState) -> None:
    with ChainStore(tmp_path, genesis=genesis) as store:
        index = TransactionIndex(100)
        index.attach(store)
        index.reject(b"\x01" * 32, "bad nonce 9: the sender's next nonce is 0")
        index.reject(b"\x02" * 32, "bad signature")
        index.flush()
        index.reject(b"\x03" * 32, "never flushed: the node stopped mid-slot")
    with ChainStore(tmp_path) as store:
        index = TransactionIndex(100)
        index.attach(store)
    assert dict(index.rejected) == {
        b"\x01" * 32: "bad nonce 9: the sender's next nonce is 0",
        b"\x02" * 32: "bad signature",
    }


def test_transaction_index__refusals_over_the_bound__newest_kept(tmp_path: Path, genesis: BeaconState) -> None:
    with ChainStore(tmp_path, genesis=genesis) as store:
        save_rejections(store, [(bytes([i]) * 32, f"reason {i}") for i in range(10)], keep=4)
        assert [r for _, r in load_rejections(store, keep=100)] == [f"reason {i}" for i in range(6, 10)]
        save_rejections(store, [(bytes([7]) * 32, None)], keep=4)  # forgotten
        assert [r for _, r in load_rejections(store, keep=100)] == ["reason 6", "reason 8", "reason 9"]


def test_transaction_index__refused_then_included__not_reported_refused_after_restart(
    tmp_path: Path, genesis: BeaconState
) -> None:
    key = devnet_account_key(0)
    tx = sign_transaction(
        genesis, Transaction(key.public_key, 0, 1000, Transfer(devnet_account_key(1).address, 5)), key
    )
    block = build_block(genesis, 1, transactions=[tx])
    with ChainStore(tmp_path, genesis=genesis) as store:
        index = TransactionIndex(100)
        index.attach(store)
        index.reject(tx.hash(), "the pool was full")
        index.flush()
        store.import_block(block, block.message.state_root)  # included later (by another node's block)
    with ChainStore(tmp_path) as store:
        index = TransactionIndex(100)
        index.attach(store)
        assert tx.hash() not in index.rejected
        assert store.transaction_location(tx.hash()) is not None
