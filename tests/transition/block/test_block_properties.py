"""Property tests for block processing: money is only moved, never made or lost, by transactions and
withdrawals; nonces strictly increase; a corrupted signature is always rejected."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto.ed25519 import devnet_account_key
from stakework.spec.constants import DOMAIN_DEPOSIT
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    InvalidTransaction,
    SignedTransaction,
    Stake,
    Transaction,
    Transfer,
    Withdraw,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis, withdrawal_credentials_for
from stakework.transition.state_transition import state_transition
from support.chain import build_block, key

SWK = 10**9
ACCOUNTS = 4
_GENESIS: list[BeaconState] = []


def genesis() -> BeaconState:
    if not _GENESIS:
        _GENESIS.append(devnet_genesis(MINIMAL, 16, funded_accounts=ACCOUNTS, account_balance=500 * SWK))
    return _GENESIS[0].copy()


def supply(state: BeaconState) -> int:
    return (
        int(state.validators.balances.sum(dtype=np.uint64))
        + state.accounts.total()
        + sum(d.amount for d in state.pending_deposits)
    )


op = st.one_of(
    st.tuples(st.just("transfer"), st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS), st.integers(1, 40)),
    st.tuples(st.just("stake"), st.integers(0, ACCOUNTS - 1), st.integers(100, 103), st.integers(1, 40)),
    st.tuples(st.just("withdraw"), st.integers(0, ACCOUNTS - 1), st.integers(0, 15), st.integers(0, 2)),
)


def make(
    state: BeaconState, kind: str, sender: int, target: int, amount: int, nonce: int, fee: int
) -> SignedTransaction:
    k = devnet_account_key(sender)
    if kind == "transfer":
        to = devnet_account_key(target).address if target < ACCOUNTS else b"\x42" * 20
        payload: Transfer | Stake | Withdraw = Transfer(to, amount * SWK)
    elif kind == "stake":
        vkey = key(target)
        creds = withdrawal_credentials_for(k.address, compounding=False)
        domain = compute_domain(DOMAIN_DEPOSIT, MINIMAL.GENESIS_FORK_VERSION)
        pop = vkey.sign(compute_signing_root(deposit_message_root(vkey.public_key(), creds, amount * SWK), domain))
        payload = Stake(vkey.public_key(), creds, amount * SWK, pop)
    else:
        payload = Withdraw(state.validators.pubkey[target].tobytes(), amount * SWK)
    return sign_transaction(state, Transaction(k.public_key, nonce, fee, payload), k)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.lists(st.tuples(op, st.integers(1000, 10_000)), max_size=6), min_size=1, max_size=3))
def test_blocks__random_transactions__supply_moves_never_changes_and_nonces_increase(
    blocks: list[list[tuple[tuple[str, int, int, int], int]]],
) -> None:
    state = genesis()
    nonces = [0] * ACCOUNTS
    slot = 0
    for ops in blocks:
        slot += 1
        if (slot + 1) % MINIMAL.SLOTS_PER_EPOCH == 0:  # stay off epoch boundaries: no issuance in between
            slot += 1
        txs = []
        planned = list(nonces)
        for (kind, sender, target, amount), fee in ops:
            txs.append(make(state, kind, sender, target, amount, planned[sender], fee))
            planned[sender] += 1
        before = supply(state)
        block = build_block(state, slot, transactions=txs)
        state_transition(state, block)
        assert supply(state) == before
        for i in range(ACCOUNTS):
            now = state.accounts.nonce(devnet_account_key(i).address)
            assert now == planned[i] and now >= nonces[i]
        nonces = planned


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 63), st.integers(1, 255))
def test_transaction__any_corrupted_signature_byte__rejected(position: int, flip: int) -> None:
    state = genesis()
    tx = make(state, "transfer", 0, 1, 1, 0, 1000)
    sig = bytearray(tx.signature)
    sig[position] ^= flip
    with pytest.raises(InvalidTransaction, match="bad signature"):
        build_block(state, 1, transactions=[SignedTransaction(tx.transaction, bytes(sig))])
