"""An in-memory :class:`~stakework.modules.host.ModuleHost` for module tests (the real one lives in the chain).

Follows the host contract in :mod:`stakework.modules.host`: ``advance_epoch`` first pays out validators whose
withdrawal epoch has come (at the balance the module last read), then applies rewards and penalties to the
others, then moves to the next epoch; the module's ``on_epoch`` runs after it.
"""

from __future__ import annotations

import hashlib

from stakework.modules.errors import ModuleError
from stakework.modules.keys import DepositKey

BAD_SIGNATURE = b"\xff" * 96
"""The one deposit signature :class:`FakeHost` refuses (tests of the key check use it)."""


def deposit_keys(pubkeys: list[bytes]) -> list[DepositKey]:
    """``pubkeys`` with signatures the fake host accepts."""
    return [DepositKey(pubkey=pk, signature=bytes(96)) for pk in pubkeys]


class FakeValidator:
    """One validator: balance, owner module, exit state."""

    __slots__ = ("balance", "exit_epoch", "module", "slashed")

    def __init__(self, module: str, balance: int) -> None:
        self.module = module
        self.balance = balance
        self.slashed = False
        self.exit_epoch: int | None = None


class FakeHost:
    """Accounts and validators in dicts; exits pay out ``exit_delay`` epochs after they are requested."""

    def __init__(self, *, epoch: int = 0, exit_delay: int = 2) -> None:
        self.epoch = epoch
        self.exit_delay = exit_delay
        self.accounts: dict[bytes, int] = {}
        self.validators: dict[bytes, FakeValidator] = {}
        self.minted = 0
        self.exit_requests = 0
        self.withdrawn: dict[bytes, int] = {}
        """Paid from a validator into its module's account, not yet taken by the module."""
        """Calls to :meth:`request_exit` (modules repeat them each epoch until the validator is withdrawn)."""
        """SWK created from nothing by :meth:`fund` and rewards (for conservation checks)."""

    # --- the Protocol ----------------------------------------------------------------------------------------------
    def debit(self, address: bytes, amount: int) -> None:
        if amount < 0:
            raise ModuleError("negative debit")
        have = self.accounts.get(address, 0)
        if have < amount:
            raise ModuleError(f"account {address.hex()} holds {have}, {amount} needed")
        self.accounts[address] = have - amount

    def credit(self, address: bytes, amount: int) -> None:
        if amount < 0:
            raise ModuleError("negative credit")
        self.accounts[address] = self.accounts.get(address, 0) + amount

    def module_address(self, module: str) -> bytes:
        return hashlib.sha256(b"stakework-module:" + module.encode()).digest()[:20]

    def is_valid_deposit_key(self, module: str, key: DepositKey) -> bool:
        return key.signature != BAD_SIGNATURE

    def stake(self, module: str, key: DepositKey, amount: int) -> bool:
        if key.pubkey in self.validators:
            return False  # as the chain: a known key would top up a validator the module does not own
        self.debit(self.module_address(module), amount)
        self.validators[key.pubkey] = FakeValidator(module, amount)
        return True

    def take_withdrawals(self, pubkey: bytes) -> int:
        return self.withdrawn.pop(pubkey, 0)

    def validator_balance(self, pubkey: bytes) -> int:
        v = self.validators.get(pubkey)
        return 0 if v is None else v.balance

    def request_exit(self, module: str, pubkey: bytes) -> None:
        v = self.validators.get(pubkey)
        if v is None or v.module != module:
            raise ModuleError("not this module's validator")
        self.exit_requests += 1
        if v.exit_epoch is None:
            v.exit_epoch = self.epoch + self.exit_delay

    def is_slashed(self, pubkey: bytes) -> bool:
        v = self.validators.get(pubkey)
        return v is not None and v.slashed

    # --- test controls ---------------------------------------------------------------------------------------------
    def occupy(self, pubkey: bytes) -> None:
        """Someone else's validator takes ``pubkey`` (a front-run deposit): the module must not stake it."""
        self.validators[pubkey] = FakeValidator("elsewhere", 1)
        self.minted += 1

    def fund(self, address: bytes, amount: int) -> None:
        """Give ``address`` new SWK (a faucet)."""
        self.credit(address, amount)
        self.minted += amount

    def balance(self, address: bytes) -> int:
        return self.accounts.get(address, 0)

    def slash(self, pubkey: bytes, penalty: int) -> None:
        """Slash a validator: take ``penalty`` now (all of it, if that much: a correlated slashing can) and force
        its exit."""
        v = self.validators[pubkey]
        taken = min(penalty, v.balance)
        v.balance -= taken
        self.minted -= taken
        v.slashed = True
        # As on the chain, slashing pushes withdrawability out: the module reads the cut balance before it lands.
        v.exit_epoch = max(v.exit_epoch or 0, self.epoch + max(self.exit_delay, 1))

    def advance_epoch(self, rewards_by_pubkey: dict[bytes, int] | None = None) -> None:
        """Pay out due exits, then apply signed rewards (negative: penalties, floored at 0), then epoch += 1."""
        for pubkey, exiting in self.validators.items():
            if exiting.exit_epoch is not None and exiting.exit_epoch <= self.epoch and exiting.balance > 0:
                self.credit(self.module_address(exiting.module), exiting.balance)
                self.withdrawn[pubkey] = self.withdrawn.get(pubkey, 0) + exiting.balance
                exiting.balance = 0
        for pubkey, delta in (rewards_by_pubkey or {}).items():
            v = self.validators.get(pubkey)
            if v is None or v.balance == 0 or (v.exit_epoch is not None and delta > 0):
                continue
            new = max(v.balance + delta, 0)
            self.minted += new - v.balance
            v.balance = new
        self.epoch += 1

    def total_supply(self) -> int:
        """All SWK in accounts and validators (equals :attr:`minted`: the host never creates or loses money)."""
        return sum(self.accounts.values()) + sum(v.balance for v in self.validators.values())
