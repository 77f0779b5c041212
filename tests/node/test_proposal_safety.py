"""An unexpected exception while building or importing a block costs at most that transaction or that block,
never the node (issue #12 item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.node import validator
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    MIN_TRANSACTION_FEE,
    SignedTransaction,
    Transaction,
    Transfer,
    process_transaction,
    sign_transaction,
)

SWK = 10**9


def _transfer(state: BeaconState, sender: int, to: bytes) -> SignedTransaction:
    k = devnet_account_key(sender)
    return sign_transaction(state, Transaction(k.public_key, 0, MIN_TRANSACTION_FEE, Transfer(to, SWK)), k)


def test_propose__transaction_raising_unexpectedly_half_way__left_out_with_reason_and_the_block_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))
    genesis = chain.genesis
    pool = Mempool()
    good = _transfer(genesis, 0, b"\x09" * 20)
    bad = _transfer(genesis, 1, b"\x0a" * 20)
    pool.add(good, genesis)
    pool.add(bad, genesis)

    def flaky(state: BeaconState, tx: SignedTransaction, *args: object, **kwargs: object) -> None:
        if tx == bad:
            state.accounts.credit(b"\x0b" * 20, 5)  # changes the state, then fails: the proposer must start over
            raise RuntimeError("a bug nobody foresaw")
        process_transaction(state, tx, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(validator, "process_transaction", flaky)
    report = run_slot(chain, client, 1, pool)
    assert report.proposed and report.transactions == 1
    assert chain.head_state.accounts.balance(b"\x09" * 20) == SWK
    assert chain.head_state.accounts.balance(b"\x0b" * 20) == 0
    assert bad.hash() not in pool and "failed unexpectedly (RuntimeError)" in pool.drop_reasons[bad.hash()]
    client.protection.close()
    chain.store.close()  # type: ignore[union-attr]


def test_run_slot__building_the_block_raises__slot_skipped_and_the_next_one_proposed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug nobody foresaw")

    with monkeypatch.context() as m:
        m.setattr(client, "propose", broken)
        assert not run_slot(chain, client, 1, Mempool()).proposed
    assert run_slot(chain, client, 2, Mempool()).proposed
    client.protection.close()
    chain.store.close()  # type: ignore[union-attr]


def test_run_slot__importing_our_block_raises__block_skipped_and_the_node_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))

    def broken(*_: object, **__: object) -> bytes:
        raise ValueError("a bug nobody foresaw")

    with monkeypatch.context() as m:
        m.setattr(chain, "import_block", broken)
        report = run_slot(chain, client, 1, Mempool())
    assert not report.proposed and report.head_slot == 0
    assert run_slot(chain, client, 2, Mempool()).proposed
    client.protection.close()
    chain.store.close()  # type: ignore[union-attr]
