"""The copy-on-write account ledger: a ledger and its copies (and copies of copies) each behave as a plain
mapping of their own, whatever is written to which side, across folds of the overlay, state roots and snapshot
round trips; and a copy shares the entries instead of copying them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from stakework.bench.workloads import realistic_state
from stakework.spec.presets import MINIMAL
from stakework.state import accounts as accounts_module
from stakework.state.accounts import Account, AccountError, Accounts
from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import StateCommitment
from stakework.state.root import hash_state
from stakework.state.snapshot import load_state, save_state
from support.roots import check_root

ADDRESSES = [bytes([i % 3, 0]) + bytes([i]) * 18 for i in range(10)]
"""Ten addresses in three buckets of the account tree (a bucket is an address's first 16 bits): a write to one
address re-hashes its neighbours' entries too, so a write leaking into another tree's table would show."""
Model = dict[bytes, tuple[int, int]]

_BASE: list[BeaconState] = []


def _base_state() -> BeaconState:
    if not _BASE:
        _BASE.append(realistic_state(16, preset=MINIMAL, epoch=600))
    return _BASE[0]


def _credit(model: Model, address: bytes, amount: int) -> None:
    if amount:
        balance, nonce = model.get(address, (0, 0))
        model[address] = (balance + amount, nonce)


def _check_ledger(ledger: Accounts, model: Model) -> None:
    assert {a: (x.balance, x.nonce) for a, x in ledger.items()} == model
    assert [a for a, _ in ledger.items()] == sorted(model)
    assert len(ledger) == len(model)
    assert ledger.total() == sum(b for b, _ in model.values())
    assert sorted(ledger.addresses()) == sorted(model)
    addresses, balances, nonces = ledger.entries()
    assert dict(zip(addresses, zip(balances, nonces, strict=True), strict=True)) == model
    assert ledger.lookup(ADDRESSES) == [model.get(a) for a in ADDRESSES]
    for address in ADDRESSES:
        balance, nonce = model.get(address, (0, 0))
        assert ledger.balance(address) == balance
        assert ledger.nonce(address) == nonce
        assert ledger.get(address) == Account(balance, nonce)
        assert ledger.has(address) == (address in model)


class LedgerAndCopies(RuleBasedStateMachine):
    """States whose ledgers are copies of copies of one another, each with a plain dict as its model; every
    write goes to one of them, and every one must still equal its own model (so no write leaked through a shared
    base), and every incremental root must equal the root from scratch."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[BeaconState] = []
        self.models: list[Model] = []
        self.saved_limit = accounts_module.MIN_OVERLAY
        self.tmp = Path(tempfile.mkdtemp(prefix="accounts-cow-"))
        self.snapshots = 0

    @initialize(limit=st.integers(1, 6), funded=st.lists(st.integers(1, 40), min_size=0, max_size=10))
    def start(self, limit: int, funded: list[int]) -> None:
        accounts_module.MIN_OVERLAY = limit  # tiny: the overlay is folded into the base every few writes
        state = _base_state().copy()
        state.accounts = Accounts()
        model: Model = {}
        for address, amount in zip(ADDRESSES, funded, strict=False):
            state.accounts.credit(address, amount)
            _credit(model, address, amount)
        self.states.append(state)
        self.models.append(model)

    def teardown(self) -> None:
        accounts_module.MIN_OVERLAY = self.saved_limit
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _pick(self, i: int) -> tuple[BeaconState, Model]:
        k = i % len(self.states)
        return self.states[k], self.models[k]

    @rule(i=st.integers(0, 30), a=st.sampled_from(ADDRESSES), amount=st.integers(0, 30))
    def credit(self, i: int, a: bytes, amount: int) -> None:
        state, model = self._pick(i)
        state.accounts.credit(a, amount)
        _credit(model, a, amount)

    @rule(i=st.integers(0, 30), a=st.sampled_from(ADDRESSES), amount=st.integers(0, 30))
    def debit(self, i: int, a: bytes, amount: int) -> None:
        state, model = self._pick(i)
        balance, nonce = model.get(a, (0, 0))
        if amount > balance:
            with pytest.raises(AccountError, match="insufficient balance"):
                state.accounts.debit(a, amount)
            return
        state.accounts.debit(a, amount)
        if a in model and amount:
            if balance - amount == 0 and nonce == 0:
                del model[a]  # emptied: dropped
            else:
                model[a] = (balance - amount, nonce)

    @rule(i=st.integers(0, 30), a=st.sampled_from(ADDRESSES))
    def increment_nonce(self, i: int, a: bytes) -> None:
        state, model = self._pick(i)
        state.accounts.increment_nonce(a)
        balance, nonce = model.get(a, (0, 0))
        model[a] = (balance, nonce + 1)

    @rule(i=st.integers(0, 30), row=st.integers(0, 15), value=st.integers(0, 2**40))
    def write_registry(self, i: int, row: int, value: int) -> None:
        """A registry write beside the ledger's: the commitment's column trees are copy-on-write too."""
        state, _ = self._pick(i)
        state.validators.balances[row] = value
        state.validators.current_epoch_participation[row] = value % 8

    @precondition(lambda self: len(self.states) < 8)
    @rule(i=st.integers(0, 30), whole_state=st.booleans())
    def copy(self, i: int, whole_state: bool) -> None:
        state, model = self._pick(i)
        if whole_state:
            new = state.copy()  # the ledger and the commitment's cache
        else:
            new = _base_state().copy()
            new.accounts = state.accounts.copy()
        self.states.append(new)
        self.models.append(dict(model))

    @precondition(lambda self: len(self.states) > 1)
    @rule(i=st.integers(0, 30))
    def drop(self, i: int) -> None:
        k = i % len(self.states)
        del self.states[k], self.models[k]

    @rule(other_tree=st.booleans())
    def roots(self, other_tree: bool) -> None:
        """Every state's incremental root against the roots from scratch of the state and of an independent
        reconstruction of it (neither disturbs the state's own trees: the next root is incremental again); or
        (`other_tree`) first let another tree take the ledger and registry over: the next root rebuilds."""
        for state in self.states:
            if other_tree:
                StateCommitment().update(state)
            check_root(state)

    @rule(i=st.integers(0, 30))
    def snapshot_round_trip(self, i: int) -> None:
        k = i % len(self.states)
        state = self.states[k]
        path = self.tmp / f"state-{self.snapshots}.bin"
        self.snapshots += 1
        save_state(state, path)
        loaded = load_state(path)
        assert check_root(loaded) == hash_state(state)
        self.states[k] = loaded  # carry on from the loaded state

    @invariant()
    def every_ledger_equals_its_model(self) -> None:
        for state, model in zip(self.states, self.models, strict=True):
            _check_ledger(state.accounts, model)


LedgerAndCopies.TestCase.settings = settings(deadline=None)
test_ledger_and_copies__random_writes_to_each_side__each_equals_its_model = LedgerAndCopies.TestCase


def test_copy__a_large_ledger__shares_its_entries_and_copies_no_account() -> None:
    ledger = Accounts()
    for i in range(20_000):
        ledger.credit(i.to_bytes(20, "big"), i + 1)
    copy = ledger.copy()
    assert copy._base is ledger._base  # shared, not copied
    assert len(copy._over) == len(ledger._over) <= accounts_module.MIN_OVERLAY


def test_copy__writes_after_the_copy__neither_sees_the_other() -> None:
    ledger = Accounts()
    for i in range(9_000):  # past MIN_OVERLAY: the overlay has been folded into the base once
        ledger.credit(i.to_bytes(20, "big"), 10)
    copy = ledger.copy()
    for i in range(9_000):  # both sides fold again, neither into the shared base
        copy.debit(i.to_bytes(20, "big"), 10)
        ledger.increment_nonce(i.to_bytes(20, "big"))
    assert len(copy) == 0 and copy.total() == 0
    assert len(ledger) == 9_000 and ledger.total() == 90_000
    assert ledger.get((5).to_bytes(20, "big")) == Account(10, 1)


def test_fold__the_only_holder__folds_in_place_else_into_a_new_mapping() -> None:
    ledger = Accounts()
    for i in range(accounts_module.MIN_OVERLAY + 1):
        ledger.credit(i.to_bytes(20, "big"), 1)
    base = ledger._base
    copy = ledger.copy()
    for i in range(accounts_module.MIN_OVERLAY + 1):
        ledger.credit(i.to_bytes(20, "big"), 1)
    assert ledger._base is not base and copy._base is base  # shared: left as it was
    assert all(entry == (1, 0) for entry in base.values())
    own = id(ledger._base)  # (not a reference: holding one would make it shared)
    for i in range(accounts_module.MIN_OVERLAY + 1):
        ledger.credit(i.to_bytes(20, "big"), 1)
    assert id(ledger._base) == own  # nobody else holds it: folded in place
    assert ledger.get((0).to_bytes(20, "big")) == Account(3, 0)


def test_item__changed_by_its_reader__the_ledger_unchanged() -> None:
    ledger = Accounts()
    ledger.credit(b"\x01" * 20, 5)
    copy = ledger.copy()
    for _, account in copy.items():
        account.balance = 10**9
    copy.get(b"\x01" * 20).balance = 10**9
    assert ledger.balance(b"\x01" * 20) == copy.balance(b"\x01" * 20) == 5


def test_state_copy__writes_not_yet_hashed__the_copy_root_includes_them() -> None:
    state = _base_state().copy()
    hash_state(state)
    state.accounts.credit(b"\x07" * 20, 11)  # written after the last root: the copy's tree must still see it
    copy = state.copy()
    copy.accounts.increment_nonce(b"\x08" * 20)
    assert check_root(copy) != check_root(state)


def test_account_tree__accounts_leave_join_and_change_in_one_update_of_a_copy__root_as_from_scratch() -> None:
    state = _base_state().copy()
    state.accounts = Accounts()
    addresses = [bytes([i % 7, i]) + bytes(18) for i in range(200)]  # a few buckets, many entries each
    for i, address in enumerate(addresses):
        state.accounts.credit(address, 100 + i)
    hash_state(state)
    copy = state.copy()
    for address in addresses[::3]:
        copy.accounts.debit(address, copy.accounts.balance(address))  # emptied: leave
    for i in range(50):
        copy.accounts.credit(bytes([i % 7, i, 1]) + bytes(17), 7)  # join between the others
    for address in addresses[1::3]:
        copy.accounts.increment_nonce(address)  # change in place, their rows moved by the above
    assert check_root(copy) != check_root(state)


def test_address__bytearray_or_wrong_length__stored_as_bytes_or_refused() -> None:
    ledger = Accounts()
    ledger.credit(bytearray(b"\x01" * 20), 5)  # type: ignore[arg-type]  # (a caller holding a bytearray)
    assert ledger.balance(b"\x01" * 20) == 5 and [a for a, _ in ledger.items()] == [b"\x01" * 20]
    assert type(next(iter(ledger.addresses()))) is bytes
    with pytest.raises(AccountError, match="an address has 20 bytes, got 19"):
        ledger.credit(b"\x01" * 19, 5)


def test_account_tree__a_copy_writes_a_neighbour__the_original_bucket_unchanged() -> None:
    state = _base_state().copy()
    state.accounts = Accounts()
    x, y = b"\x05\x05" + b"\x01" * 18, b"\x05\x05" + b"\x02" * 18  # one bucket
    state.accounts.credit(x, 10)
    state.accounts.credit(y, 10)
    hash_state(state)
    copy = state.copy()
    copy.accounts.credit(x, 5)  # the copy's tree writes x's row: not in the table the original still uses
    hash_state(copy)
    state.accounts.credit(y, 7)  # the original re-hashes the bucket, x's row included
    check_root(state)
    check_root(copy)


def test_column_tree__a_copy_writes_a_row__the_original_shadow_unchanged() -> None:
    state = realistic_state(1024, preset=MINIMAL, epoch=600)  # 8 chunks of balances: one is updated in place
    hash_state(state)
    copy = state.copy()
    copy.validators.balances[3] = 12_345
    hash_state(copy)  # the copy's tree notes row 3 in its shadow: not in the shadow the original still uses
    state.validators.balances[3] = 12_345
    balances = state.validators.balances
    np.add(balances, np.uint64(0), out=balances)  # written whole: the next root compares the column with its shadow
    check_root(state)
