"""Accounts: the native ledger of SWK outside validator balances (address → balance, nonce).

An address is 20 bytes (`crypto.ed25519.address_of(pubkey)` for a user key); validators' 0x01/0x02 withdrawal
credentials name an address, and withdrawals credit it. Balances are Gwei; a nonce counts the transactions the
account has sent.

The ledger is copy-on-write, so a node can copy a state of a million accounts for every block it builds or
imports: an entry is an immutable `(balance, nonce)` tuple; a ledger reads a *base* mapping that its copies share
and never change, under an *overlay* of its own writes (an address emptied and dropped is a `None` tombstone
there). A copy shares the base and copies the overlay (O(overlay)). When the overlay outgrows a bound (an eighth
of the base, at least `MIN_OVERLAY`) it is folded into the base: in place when no other ledger holds the base,
else into a new mapping; a lookup is therefore at most two dict probes, and a copy costs at most an eighth of a
full one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

from stakework.spec.errors import StakeworkError

ADDRESS_LENGTH = 20
MIN_OVERLAY = 4096
"""An overlay up to this size is never folded into the base (below it a copy costs next to nothing)."""

AccountEntry = tuple[int, int]
"""A stored account: (balance, nonce). Immutable, so copies of a ledger share them."""


class AccountError(StakeworkError):
    """An account operation the ledger refuses (insufficient balance, malformed address)."""


@dataclass(slots=True)
class Account:
    """An account's balance and nonce, as the ledger hands it out (a copy: changing it changes no ledger)."""

    balance: int = 0
    nonce: int = 0


class Accounts:
    """The account ledger. Unknown addresses read as empty accounts; empty accounts are not stored."""

    __slots__ = ("_base", "_count", "_limit", "_over", "_owner", "_touched")

    def __init__(self, accounts: dict[bytes, Account] | None = None) -> None:
        self._base: dict[bytes, AccountEntry] = {k: (a.balance, a.nonce) for k, a in (accounts or {}).items()}
        """Entries this ledger may share with its copies: never changed while another ledger holds it."""
        self._over: dict[bytes, AccountEntry | None] = {}
        """This ledger's own entries over the base (None: an address of the base emptied and dropped)."""
        self._count = len(self._base)
        self._limit = max(MIN_OVERLAY, len(self._base) >> 3)
        self._touched: dict[bytes, AccountEntry | None] = {}
        """Addresses changed since the state commitment last looked (`take_touched`), with their entry (None:
        emptied and dropped), so the commitment reads the new values without looking them up again. Kept only while
        a commitment follows the ledger (else the next one rebuilds anyway)."""
        self._owner: object = None
        """The token of the commitment tree that follows this ledger."""

    @staticmethod
    def _check(address: bytes) -> bytes:
        if type(address) is bytes and len(address) == ADDRESS_LENGTH:
            return address  # the usual case, as cheap as can be (every read and write passes here)
        if len(address) != ADDRESS_LENGTH:
            raise AccountError(f"an address has {ADDRESS_LENGTH} bytes, got {len(address)}")
        return bytes(address)

    def _find(self, key: bytes) -> AccountEntry | None:
        over = self._over
        if key in over:
            return over[key]
        return self._base.get(key)

    def _put(self, key: bytes, entry: AccountEntry) -> None:
        over = self._over
        over[key] = entry
        if self._owner is not None:
            self._touched[key] = entry
        if len(over) > self._limit:
            self._fold()

    def _drop(self, key: bytes) -> None:
        """Remove a stored account (it is empty)."""
        if key in self._base:
            self._over[key] = None
        else:
            del self._over[key]
        self._count -= 1
        if self._owner is not None:
            self._touched[key] = None
        if len(self._over) > self._limit:
            self._fold()

    def _fold(self) -> None:
        """Fold the overlay into the base: in place when this ledger is the base's only holder (the reference from
        `self._base` and getrefcount's own argument; a copy, or an iterator over it, holds one more), else into a
        new mapping, leaving the shared one unchanged."""
        base = self._base
        if sys.getrefcount(self._base) > 3:  # `self._base`, the local `base`, getrefcount's argument
            base = dict(base)
        for key, entry in self._over.items():
            if entry is None:
                del base[key]
            else:
                base[key] = entry
        self._base = base
        self._over = {}
        self._limit = max(MIN_OVERLAY, len(base) >> 3)

    def get(self, address: bytes) -> Account:
        """A copy of the account at `address` (empty if never used)."""
        found = self._find(self._check(address))
        return Account(*found) if found else Account()

    def balance(self, address: bytes) -> int:
        found = self._find(self._check(address))
        return found[0] if found else 0

    def nonce(self, address: bytes) -> int:
        found = self._find(self._check(address))
        return found[1] if found else 0

    def credit(self, address: bytes, amount: int) -> None:
        if amount < 0:
            raise AccountError("cannot credit a negative amount")
        if amount == 0:
            return
        key = self._check(address)
        found = self._find(key)
        if found is None:
            self._count += 1
            self._put(key, (amount, 0))
        else:
            self._put(key, (found[0] + amount, found[1]))

    def debit(self, address: bytes, amount: int) -> None:
        """Take `amount`; refuses (AccountError) rather than going negative."""
        if amount < 0:
            raise AccountError("cannot debit a negative amount")
        key = self._check(address)
        found = self._find(key)
        have = found[0] if found else 0
        if have < amount:
            raise AccountError(f"insufficient balance: 0x{key.hex()} has {have} Gwei, needs {amount}")
        if found is not None and amount:
            balance, nonce = have - amount, found[1]
            if balance == 0 and nonce == 0:
                self._drop(key)
            else:
                self._put(key, (balance, nonce))

    def increment_nonce(self, address: bytes) -> None:
        key = self._check(address)
        found = self._find(key)
        if found is None:
            self._count += 1
            self._put(key, (0, 1))
        else:
            self._put(key, (found[0], found[1] + 1))

    def _stored(self) -> Iterator[tuple[bytes, AccountEntry]]:
        """Every stored (address, entry), in no particular order."""
        over = self._over
        if not over:
            yield from self._base.items()
            return
        for key, entry in self._base.items():
            if key not in over:
                yield key, entry
        for key, maybe in over.items():
            if maybe is not None:
                yield key, maybe

    def total(self) -> int:
        """Sum of all account balances (the supply outside validators)."""
        return sum(entry[0] for _, entry in self._stored())

    def __len__(self) -> int:
        return self._count

    def items(self) -> Iterator[tuple[bytes, Account]]:
        """(address, account) in address order: the canonical order for hashing and snapshots."""
        stored = dict(self._stored())
        for key in sorted(stored):
            yield key, Account(*stored[key])

    def copy(self) -> Accounts:
        """An independent ledger with the same accounts: it shares the base (neither changes it while the other
        holds it) and copies the overlay and the touched addresses (their entries are immutable)."""
        new = Accounts.__new__(Accounts)
        new._base = self._base
        new._over = dict(self._over)
        new._count = self._count
        new._limit = self._limit
        new._touched = dict(self._touched)
        new._owner = None
        return new

    # -- for the state commitment (state/commitment.py) ------------------------------------------------------
    def has(self, address: bytes) -> bool:
        return self._find(address) is not None

    def entry(self, address: bytes) -> AccountEntry:
        """(balance, nonce) of a stored address (KeyError if none is stored)."""
        found = self._find(address)
        if found is None:
            raise KeyError(address)
        return found

    def lookup(self, addresses: list[bytes]) -> list[AccountEntry | None]:
        """(balance, nonce) of each address, or None where none is stored (one call for many)."""
        find = self._find
        return [find(k) for k in addresses]

    def entries(self) -> tuple[list[bytes], list[int], list[int]]:
        """(addresses, balances, nonces) of every stored account, in no particular order (the commitment's
        rebuild reads them in one pass)."""
        stored = self._base if not self._over else dict(self._stored())
        values = list(stored.values())
        return list(stored), [e[0] for e in values], [e[1] for e in values]

    def addresses(self) -> Iterator[bytes]:
        """Every stored address, in no particular order."""
        return (key for key, _ in self._stored())

    def take_touched(self, token: object) -> dict[bytes, AccountEntry | None] | None:
        """The addresses changed since the tree holding `token` last asked, forgetting them; None when another
        tree (or none) followed this ledger until now, which must then rebuild (and follows it from now on)."""
        if self._owner is not token:
            self._owner = token
            self._touched = {}
            return None  # the caller rebuilds
        touched, self._touched = self._touched, {}
        return touched

    def followed_by(self, token: object) -> bool:
        return self._owner is token

    def follow(self, token: object) -> None:
        """From now on the tree holding `token` follows this ledger (it has just hashed all of it, or this ledger
        is a copy of one it followed, with the same touched addresses)."""
        self._owner = token

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Accounts) and dict(self._stored()) == dict(other._stored())

    __hash__ = None  # type: ignore[assignment]
