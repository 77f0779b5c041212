"""Accounts: the native ledger of SWK outside validator balances (address → balance, nonce).

An address is 20 bytes (`crypto.ed25519.address_of(pubkey)` for a user key); validators' 0x01/0x02 withdrawal
credentials name an address, and withdrawals credit it. Balances are Gwei; a nonce counts the transactions the
account has sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stakework.spec.errors import StakeworkError

ADDRESS_LENGTH = 20


class AccountError(StakeworkError):
    """An account operation the ledger refuses (insufficient balance, malformed address)."""


@dataclass(slots=True)
class Account:
    balance: int = 0
    nonce: int = 0


class Accounts:
    """The account ledger. Unknown addresses read as empty accounts; empty accounts are not stored."""

    __slots__ = ("_accounts", "_owner", "_touched")

    def __init__(self, accounts: dict[bytes, Account] | None = None) -> None:
        self._accounts: dict[bytes, Account] = dict(accounts or {})
        self._touched: dict[bytes, Account | None] = {}
        """Addresses changed since the state commitment last looked (`take_touched`), with their account (None:
        emptied and dropped), so the commitment reads the new values without looking them up again."""
        self._owner: object = None
        """The token of the commitment tree that follows this ledger."""

    @staticmethod
    def _check(address: bytes) -> bytes:
        if len(address) != ADDRESS_LENGTH:
            raise AccountError(f"an address has {ADDRESS_LENGTH} bytes, got {len(address)}")
        return bytes(address)

    def get(self, address: bytes) -> Account:
        """A copy of the account at `address` (empty if never used)."""
        found = self._accounts.get(self._check(address))
        return Account(found.balance, found.nonce) if found else Account()

    def balance(self, address: bytes) -> int:
        found = self._accounts.get(self._check(address))
        return found.balance if found else 0

    def nonce(self, address: bytes) -> int:
        found = self._accounts.get(self._check(address))
        return found.nonce if found else 0

    def credit(self, address: bytes, amount: int) -> None:
        if amount < 0:
            raise AccountError("cannot credit a negative amount")
        if amount == 0:
            return
        key = self._check(address)
        account = self._accounts.setdefault(key, Account())
        account.balance += amount
        self._touched[key] = account

    def debit(self, address: bytes, amount: int) -> None:
        """Take `amount`; refuses (AccountError) rather than going negative."""
        if amount < 0:
            raise AccountError("cannot debit a negative amount")
        key = self._check(address)
        account = self._accounts.get(key)
        have = account.balance if account else 0
        if have < amount:
            raise AccountError(f"insufficient balance: 0x{key.hex()} has {have} Gwei, needs {amount}")
        if account is not None and amount:
            account.balance -= amount
            self._touched[key] = account
            self._drop_if_empty(key)

    def increment_nonce(self, address: bytes) -> None:
        key = self._check(address)
        account = self._accounts.setdefault(key, Account())
        account.nonce += 1
        self._touched[key] = account

    def _drop_if_empty(self, key: bytes) -> None:
        account = self._accounts.get(key)
        if account is not None and account.balance == 0 and account.nonce == 0:
            del self._accounts[key]
            self._touched[key] = None

    def total(self) -> int:
        """Sum of all account balances (the supply outside validators)."""
        return sum(a.balance for a in self._accounts.values())

    def __len__(self) -> int:
        return len(self._accounts)

    def items(self) -> Iterator[tuple[bytes, Account]]:
        """(address, account) in address order: the canonical order for hashing and snapshots."""
        for key in sorted(self._accounts):
            yield key, self._accounts[key]

    def copy(self) -> Accounts:
        new = Accounts({k: Account(a.balance, a.nonce) for k, a in self._accounts.items()})
        new._touched = {key: new._accounts.get(key) for key in self._touched}
        return new

    # -- for the state commitment (state/commitment.py) ------------------------------------------------------
    def has(self, address: bytes) -> bool:
        return address in self._accounts

    def entry(self, address: bytes) -> tuple[int, int]:
        """(balance, nonce) of a stored address."""
        account = self._accounts[address]
        return account.balance, account.nonce

    def lookup(self, addresses: list[bytes]) -> list[tuple[int, int] | None]:
        """(balance, nonce) of each address, or None where none is stored (one call for many)."""
        get = self._accounts.get
        return [(a.balance, a.nonce) if (a := get(k)) is not None else None for k in addresses]

    def entries(self) -> tuple[list[bytes], list[int], list[int]]:
        """(addresses, balances, nonces) of every stored account, in no particular order (the commitment's
        rebuild reads them in one pass)."""
        values = list(self._accounts.values())
        return list(self._accounts), [a.balance for a in values], [a.nonce for a in values]

    def addresses(self) -> Iterator[bytes]:
        """Every stored address, in no particular order."""
        return iter(self._accounts)

    def take_touched(self, token: object) -> dict[bytes, Account | None] | None:
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
        return isinstance(other, Accounts) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]
