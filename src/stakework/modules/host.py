"""What a module may ask of the chain it lives in: the :class:`ModuleHost` Protocol.

Modules are pure state machines: a handler or epoch hook mutates the module's own state and calls the host for
everything outside it (accounts, validators). The lead's block processing implements the host over the real
state; :mod:`stakework.modules.testing` implements it in memory for tests.

Contract the modules rely on (the host must keep it):
- ``debit`` raises a :class:`~stakework.spec.errors.StakeworkError` (and changes nothing) when the account is
  short; ``credit`` always succeeds.
- ``stake`` moves ``amount`` out of the module's account at once; from then on ``validator_balance(pubkey)``
  includes it (a pending deposit counts), so a validator a module staked never reads 0 until it is withdrawn.
- A validator reads 0 only after its whole balance was credited to the module's account (exit then withdrawal
  sweep, requested or forced, e.g. after slashing). Between two ``on_epoch`` calls the balance of an exited
  validator does not change, so the amount that lands equals the balance the module last read.
- ``on_epoch`` runs after the chain's own epoch processing (rewards, penalties, slashings) of that epoch.
"""

from __future__ import annotations

from typing import Protocol


class ModuleHost(Protocol):
    """The chain as a module sees it. All amounts are integers in Gwei."""

    epoch: int
    """The current epoch."""

    def debit(self, address: bytes, amount: int) -> None:
        """Take ``amount`` SWK from ``address``; raises (changing nothing) if the account is short."""
        ...

    def credit(self, address: bytes, amount: int) -> None:
        """Pay ``amount`` SWK to ``address``."""
        ...

    def module_address(self, module: str) -> bytes:
        """The 20-byte account that holds ``module``'s buffer."""
        ...

    def stake(self, module: str, pubkey: bytes, amount: int) -> None:
        """Deposit ``amount`` from the module's account into validator ``pubkey`` (credentials: the module)."""
        ...

    def validator_balance(self, pubkey: bytes) -> int:
        """The validator's current consensus balance including pending deposits (0 if unknown or withdrawn)."""
        ...

    def request_exit(self, module: str, pubkey: bytes) -> None:
        """Ask the module's validator to exit; its balance lands in the module's account later."""
        ...

    def is_slashed(self, pubkey: bytes) -> bool:
        """Whether the validator has been slashed."""
        ...
