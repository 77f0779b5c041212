"""The incremental state commitment always equals the root computed from scratch: after random changes to every
kind of field, copies, snapshot round trips, and a real chain of blocks and epochs with transfers and module
transactions, restarted from a snapshot halfway."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stakework.bench.workloads import realistic_state
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.store import store_parts
from stakework.spec.presets import DEVNET, MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import commitment_of
from stakework.state.containers import Checkpoint, PendingConsolidation
from stakework.state.fields import COLUMN_FIELDS, STATE_FIELDS
from stakework.state.proofs import (
    ACCOUNT_BUCKET_BITS,
    ACCOUNT_HEIGHT,
    ARITY,
    ZERO32,
    ZERO_NODES,
    column_height,
    field_leaf,
    merkle_root,
    mix_in_count,
    preset_root,
    rows_per_chunk,
    sha256,
)
from stakework.state.registry import COLUMNS, Registry
from stakework.state.root import hash_state, hash_state_from_scratch
from stakework.state.snapshot import load_state, save_state
from stakework.transition.block.transaction import Transaction, Transfer, least_fee, sign_transaction
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import module_message_min_fee
from stakework.transition.state_transition import process_slots, state_transition
from support.chain import attestations_for_slot, build_block
from support.roots import check_root

WRITABLE = [f.name for f in COLUMN_FIELDS if not f.append_only]
_LIMITS = {"effective_balance": MINIMAL.MAX_EFFECTIVE_BALANCE_ELECTRA, "balances": 2**48}
"""Largest values written to these columns: a snapshot (the roots are checked against a JSON round trip, and the
machine saves and loads states) refuses an effective balance past the maximum and balances totalling 2**64."""


def _base() -> BeaconState:
    state = realistic_state(40, preset=MINIMAL, epoch=600)
    for i in range(30):
        state.accounts.credit(bytes([i, 7 * i % 256]) + bytes(18), 1_000 + i)
    return state


def _check(state: BeaconState) -> None:
    check_root(state)


# One operation: (kind, a, b) with small integers the operation interprets.
OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "column",
                "column",
                "append",
                "new_registry",
                "credit",
                "debit_all",
                "nonce",
                "scalar",
                "roots",
                "queue",
                "checkpoint",
                "copy",
                "snapshot",
                "hash",
                "inplace",
                "ufunc_out",
                "add_at",
                "mask",
                "negative",
                "slice",
            ]
        ),
        st.integers(0, 10**6),
        st.integers(0, 2**64 - 1),
    ),
    min_size=1,
    max_size=25,
)


def _apply(state: BeaconState, op: str, a: int, b: int, tmp: Path) -> BeaconState:
    v = state.validators
    if op == "column":
        name = WRITABLE[a % len(WRITABLE)]
        column = getattr(v, name)
        i = a % len(column)
        if column.ndim > 1:
            column[i, b % column.shape[1]] = b % 256
        elif column.dtype == np.bool_:
            column[i] = not column[i]
        else:
            column[i] = b % (_LIMITS.get(name, int(np.iinfo(column.dtype).max)) + 1)
    elif op == "append":
        v.append(bytes([a % 256]) * 48, bytes([b % 256]) * 32, b % 2**40, b % 2**50)
    elif op == "new_registry":  # a registry replaced whole (another object): its append-only column re-hashed
        columns = {c: getattr(v, c).copy() for c in COLUMNS}
        columns["pubkey"][a % len(v)] = b % 256
        state.validators = Registry.from_columns(columns)
    elif op == "credit":
        state.accounts.credit(bytes([a % 256, b % 256]) + bytes([a % 7]) * 18, 1 + b % 10**12)
    elif op == "debit_all":  # empties an account: it leaves the ledger (and its bucket)
        addresses = [address for address, _ in state.accounts.items()]
        if addresses:
            address = addresses[a % len(addresses)]
            account = state.accounts.get(address)
            state.accounts.debit(address, account.balance)
    elif op == "nonce":
        state.accounts.increment_nonce(bytes([b % 256]) * 20)
    elif op == "scalar":
        state.earliest_exit_epoch = b
        state.slot = state.slot + a % 3
    elif op == "roots":
        state.randao_mixes[a % len(state.randao_mixes), b % 32] = b % 256
        state.slashings[a % len(state.slashings)] = b
    elif op == "queue":
        state.pending_consolidations.append(PendingConsolidation(a % len(v), b % len(v)))
    elif op == "checkpoint":
        state.finalized_checkpoint = Checkpoint(a, bytes([b % 256]) * 32)
    elif op == "copy":  # continue on a copy; the original must still hash right after changing on its own
        copy = state.copy()
        state.validators.balances[0] += 1
        state.accounts.credit(b"\x01" * 20, 1)
        _check(state)
        return copy
    elif op == "inplace":  # the registry's columns write through in-place operators (noted as whole)
        v.balances += np.uint64(a % 3)
    elif op == "ufunc_out":
        np.subtract(v.inactivity_scores, np.minimum(v.inactivity_scores, np.uint64(1)), out=v.inactivity_scores)
    elif op == "add_at":
        room = _LIMITS["effective_balance"] - int(v.effective_balance[a % len(v)])
        np.add.at(v.effective_balance, [a % len(v), a % len(v)], np.uint64(b % 1000 % (room // 2 + 1)))
    elif op == "mask":
        v.exit_epoch[v.balances % np.uint64(3) == np.uint64(a % 3)] = b
    elif op == "negative":
        v.withdrawal_credentials[-1 - a % len(v), b % 32] = a % 256
    elif op == "slice":
        v.previous_epoch_participation[a % len(v) :] = b % 8
    elif op == "snapshot":
        path = tmp / (f"s{a}.swk" if a % 2 else f"s{a}.json")
        save_state(state, path)
        return load_state(path)
    _check(state) if op == "hash" else None
    return state


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_incremental_root__random_changes_copies_snapshots__equals_root_from_scratch(
    tmp_path: Path, ops: list[tuple[str, int, int]]
) -> None:
    state = _base()
    hash_state(state)
    for op, a, b in ops:
        state = _apply(state, op, a, b, tmp_path)
        _check(state)


def test_incremental_root__a_copy_then_both_change__each_its_own_root() -> None:
    state = _base()
    hash_state(state)
    copy = state.copy()
    copy.validators.balances[3] += 5
    copy.accounts.credit(b"\x42" * 20, 9)
    state.validators.current_epoch_participation[4] = 7
    state.accounts.debit(bytes([1, 7]) + bytes(18), 5)
    assert check_root(copy) != check_root(state)


def test_incremental_root__ledger_replaced_or_shared_by_a_shallow_copy__still_right() -> None:
    import copy as copy_module

    state = _base()
    hash_state(state)
    trial = copy_module.copy(state)  # shares the cache (as check_module_message's trial does)
    trial.accounts = state.accounts.copy()
    trial.accounts.credit(b"\x33" * 20, 3)
    check_root(trial)
    check_root(state)
    state.accounts = trial.accounts.copy()
    assert check_root(state) == hash_state(trial)


def _tree_root(leaves: list[bytes], height: int) -> bytes:
    """A 16-ary tree's root, computed plainly (missing children: zero subtrees)."""
    layer = list(leaves)
    for h in range(height):
        layer += [ZERO_NODES[h]] * (-len(layer) % ARITY)
        layer = [sha256(b"".join(layer[i : i + ARITY])) for i in range(0, len(layer), ARITY)]
    return layer[0]


def _column_root(raw: bytes, rows: int, row_bytes: int) -> bytes:
    """A column's root as state/proofs.py documents it, computed plainly."""
    chunk = rows_per_chunk(row_bytes) * row_bytes
    leaves = [sha256(raw[i : i + chunk]) for i in range(0, len(raw), chunk)]
    if not leaves:
        return mix_in_count(ZERO32, rows)
    return mix_in_count(_tree_root(leaves, column_height(len(leaves))), rows)


def test_root__an_empty_minimal_state__the_documented_shape_computed_plainly() -> None:
    """The commitment's shape (state/proofs.py) recomputed without commitment.py, and pinned: a change to the
    shape changes every chain's roots."""
    state = BeaconState(preset=MINIMAL)
    leaves = [field_leaf("preset", preset_root("minimal"))]
    for f in STATE_FIELDS:
        value = getattr(state, f.name) if f.kind != "column" else getattr(state.validators, f.name)
        if f.kind == "uint64":
            root = value.to_bytes(32, "little")
        elif f.kind == "bytes":
            root = value.ljust(32, b"\x00")
        elif f.kind in ("column", "roots", "u64vector"):
            row = value.dtype.itemsize * (value.shape[1] if value.ndim > 1 else 1)
            root = _column_root(np.ascontiguousarray(value).tobytes(), len(value), row)
        elif f.kind == "bits":
            root = sha256(bytes(4))
        elif f.kind == "checkpoint":
            root = sha256(value.epoch.to_bytes(8, "little") + value.root)
        elif f.kind in ("header", "queue"):
            root = sha256(msgspec.msgpack.encode(value))
        elif f.kind == "accounts":
            root = mix_in_count(_tree_root([ZERO32] * 2**ACCOUNT_BUCKET_BITS, ACCOUNT_HEIGHT), 0)
        else:  # the module store: a leaf per part in a binary tree, mixed with the count (no part here; the shape
            assert store_parts(value) == []  # with parts: tests/state/test_commitment_modules.py)
            root = mix_in_count(ZERO32, 0)
        leaves.append(field_leaf(f.name, root))
    expected = merkle_root(leaves)
    assert hash_state(state) == hash_state_from_scratch(state) == expected
    assert expected.hex() == "03a79cff1ce38daacccb405b121450ccab2f866e97d6fa62c10bd02debe4c9fe"


def _transfer(state: BeaconState, sender: int, receiver: int, amount: int) -> object:
    key = devnet_account_key(sender)
    payload = Transfer(to=devnet_account_key(receiver).address, amount=amount)
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), least_fee(payload, state.preset), payload)
    return sign_transaction(state, tx, key)


def _stake(state: BeaconState, sender: int, amount: int) -> object:
    key = devnet_account_key(sender)
    payload = LiquidStake(amount=amount)
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload)
    return sign_transaction(state, tx, key)


@pytest.mark.slow
def test_incremental_root__a_chain_of_blocks_epochs_transfers_module_transactions_and_a_restart(
    tmp_path: Path,
) -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    blocks = []
    roots = []
    head = hash_state(state)
    for slot in range(1, 3 * DEVNET.SLOTS_PER_EPOCH + 2):
        work = state.copy()
        process_slots(work, slot)
        txs = [_transfer(work, slot % 4, (slot + 1) % 4, 10**9 + slot)]
        if slot % 5 == 0:
            txs.append(_stake(work, (slot + 2) % 4, 40 * 10**9))
        attestations = attestations_for_slot(state, head) if slot > 1 else []
        block = build_block(state, slot, attestations=attestations, transactions=txs)
        state_transition(state, block)  # checks the block's state root (built on a copy) against this state
        head = block.message.hash_tree_root()
        check_root(state)
        blocks.append(block)
        roots.append(hash_state(state))
        if slot == 2 * DEVNET.SLOTS_PER_EPOCH:
            save_state(state, tmp_path / "mid.swk")
            restart_at = len(blocks)
    # restart: the snapshot's state imports the remaining blocks to the same roots
    loaded = load_state(tmp_path / "mid.swk")
    for block, root in zip(blocks[restart_at:], roots[restart_at:], strict=True):
        state_transition(loaded, block)
        assert check_root(loaded) == root


@pytest.mark.parametrize("suffix", [".swk", ".json"])
def test_snapshot__version_1_file_with_the_old_flat_root__loads_and_version_2_with_a_wrong_root__refused(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stakework.state import snapshot
    from stakework.state.snapshot import SnapshotError

    state = _base()
    with monkeypatch.context() as m:  # a file as the previous stakework wrote it: version 1, another root
        m.setattr(snapshot, "SNAPSHOT_VERSION", 1)
        m.setattr(snapshot, "hash_state", lambda s: b"\x07" * 32)
        save_state(state, tmp_path / f"old{suffix}")
        m.setattr(snapshot, "SNAPSHOT_VERSION", 2)
        save_state(state, tmp_path / f"bad{suffix}")
    assert hash_state(load_state(tmp_path / f"old{suffix}")) == hash_state(state)
    with pytest.raises(SnapshotError, match=r"state.root|corrupted"):
        load_state(tmp_path / f"bad{suffix}")


def test_registry_columns__writes_outside_the_noted_paths__refused_loudly() -> None:
    v = _base().validators
    with pytest.raises(ValueError, match="read-only"):
        np.copyto(v.balances, 0)
    with pytest.raises(ValueError, match="read-only"):
        v.balances.fill(0)
    with pytest.raises(ValueError, match="read-only"):
        v.balances[2:5][0] = 1  # a slice read from a column is a plain read-only view
    with pytest.raises(ValueError, match="read-only"):
        v.pubkey[0, 0] = 1  # append-only
    view = v.balances  # a reference held across a root: later writes through it are still noted
    state = _base()
    state.validators = v
    hash_state(state)
    view[7] += 11
    check_root(state)


def test_registry_column_replaced_by_another_array__written_into_the_registry_and_rehashed() -> None:
    state = _base()
    hash_state(state)
    balances = np.array(state.validators.balances)
    balances[5] += 1
    state.validators.balances = balances  # written into the registry's own column, noted whole
    assert state.validators.balances is not balances and int(state.validators.balances[5]) == int(balances[5])
    check_root(state)
    copy = state.copy()
    state.validators.balances[6] += 1  # the registry's column again: the write is noted
    assert int(copy.validators.balances[5]) == int(balances[5]) and check_root(copy) != check_root(state)


def test_hash_state_from_scratch__on_the_state_itself__the_state_tree_stays_incremental(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stakework.state.commitment import AccountTree, ChunkTree, ShareTree, commitment_of

    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    ledger = state.modules.get("liquid").ledger
    ledger.shares[b"\x05" * 20] = 7
    hash_state(state)
    state.validators.balances[3] += 1
    state.accounts.credit(b"\x09" * 20, 5)
    ledger.shares[b"\x06" * 20] = 8
    expected = hash_state_from_scratch(state)
    rebuilt = []
    for cls in (AccountTree, ShareTree):
        real = cls._rebuild
        monkeypatch.setattr(cls, "_rebuild", lambda self, *a, real=real: rebuilt.append(self) or real(self, *a))
    compared = []
    real_compare = ChunkTree._changed_chunks
    monkeypatch.setattr(ChunkTree, "_changed_chunks", lambda self, *a: compared.append(self) or real_compare(self, *a))
    assert hash_state(state) == expected
    columns = commitment_of(state).columns
    registry_trees = [columns[f.name] for f in COLUMN_FIELDS]
    assert rebuilt == []  # the ledger's and the holder table's trees: only the noted addresses and holders
    assert not [tree for tree in compared if any(tree is t for t in registry_trees)]  # only the noted rows


@pytest.mark.parametrize("through", ["whole column", "another registry"])
def test_noted_write_then_undone_unnoted__the_stale_shadow_chunk_is_rehashed(through: str) -> None:
    """A noted write re-hashes its chunk but leaves the compare shadow as it was (marked stale). Undoing the write
    in a way that is compared rather than noted makes the column equal to the old shadow: the stale chunk must
    still be re-hashed, or the root keeps the undone value."""
    state = _base()
    before = hash_state(state)
    old = int(state.validators.balances[5])
    state.validators.balances[5] = old + 1  # noted: chunk 0 re-hashed, the shadow keeps `old`
    assert check_root(state) != before
    if through == "whole column":
        column = np.array(state.validators.balances)
        column[5] = old
        state.validators.balances = column  # noted whole: compared with the shadow
    else:
        registry = state.validators.copy()
        registry.balances[5] = old
        state.validators = registry  # a registry this tree never followed: every column compared
    assert check_root(state) == before


ACCOUNT_BATCHES = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["credit", "empty", "nonce"]), st.integers(0, 2), st.integers(0, 11)),
        min_size=1,
        max_size=12,
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(batches=ACCOUNT_BATCHES)
def test_account_buckets__accounts_join_stay_and_leave_one_bucket_in_one_update__root_and_buckets_right(
    batches: list[list[tuple[str, int, int]]],
) -> None:
    """Three buckets of up to twelve accounts; each batch (one root) mixes accounts opened, changed and emptied in
    the same bucket (the bucket rewrite's insert, in-place and delete paths at once), on a copy every other batch.
    Each bucket's bytes are its accounts' entries sorted by address, and the root is the root from scratch."""
    state = _base()
    hash_state(state)
    for k, batch in enumerate(batches):
        if k % 2:
            state = state.copy()
        for op, bucket, member in batch:
            address = bytes([0xA0 + bucket, 0x11]) + bytes([member * 17 % 256]) * 18
            if op == "credit":
                state.accounts.credit(address, 1 + member)
            elif op == "nonce":
                state.accounts.increment_nonce(address)
            elif state.accounts.has(address):
                state.accounts.debit(address, state.accounts.balance(address))
        check_root(state)
        tree = commitment_of(state).accounts
        for bucket in range(3):
            index = (0xA0 + bucket) << 8 | 0x11
            members = sorted(a for a in state.accounts.addresses() if a[:2] == bytes([0xA0 + bucket, 0x11]))
            want = b"".join(
                a + state.accounts.balance(a).to_bytes(8, "little") + state.accounts.nonce(a).to_bytes(8, "little")
                for a in members
            )
            assert tree.bucket_bytes(index) == want
        assert tree.count == len(state.accounts)
