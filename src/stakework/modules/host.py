"""What a module may ask of the chain it lives in: the :class:`ModuleHost` Protocol.

Modules are pure state machines: a handler or epoch hook mutates the module's own state and calls the host for
everything outside it (accounts, validators). `stakework.transition.modules.ChainHost` implements the host over the real
state; :mod:`stakework.modules.testing` implements it in memory for tests.

Contract the modules rely on (the host must keep it):
- ``debit`` raises a :class:`~stakework.spec.errors.StakeworkError` (and changes nothing) when the account is
  short; ``credit`` always succeeds.
- ``stake`` either refuses the key (returns False, changing nothing: the key is already a validator or a pending
  deposit on the chain, so staking it would top up someone else's validator) or moves ``amount`` out of the
  module's account at once; from then on ``validator_balance(pubkey)`` includes it (a pending deposit counts), so
  a validator a module staked reads 0 only once it is gone: withdrawn, or penalised to nothing.
- ``request_exit`` is idempotent and may be a no-op while the chain cannot exit the validator yet (still pending
  activation, or younger than ``SHARD_COMMITTEE_PERIOD``); modules call it again every epoch until the
  validator is withdrawn.
- ``take_withdrawals(pubkey)`` returns what the chain paid from that validator into the module's account since
  the last call (withdrawal sweeps: the full withdrawal after an exit, or a skim), and forgets it. So a module
  never assumes what landed: a validator's change over an epoch is ``balance now + paid out - balance last
  read``, whether it was withdrawn, skimmed, penalised to nothing (a correlated slashing can take everything)
  or topped up by a stranger's deposit.
- ``on_epoch`` runs after the chain's own epoch processing (rewards, penalties, slashings) of that epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from stakework.modules.keys import DepositKey


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

    def is_valid_deposit_key(self, module: str, key: DepositKey) -> bool:
        """Whether ``key.signature`` signs the deposit of ``key.pubkey`` with ``module``'s withdrawal credentials
        and ``MIN_ACTIVATION_BALANCE`` (checked when a key is submitted)."""
        ...

    def stake(self, module: str, key: DepositKey, amount: int) -> bool:
        """Deposit ``amount`` from the module's account into validator ``key`` (credentials: the module); False
        (nothing moved) if the chain already knows the key."""
        ...

    def take_withdrawals(self, pubkey: bytes) -> int:
        """SWK paid from validator ``pubkey`` into its module's account since the last call (which it resets)."""
        ...

    def validator_balance(self, pubkey: bytes) -> int:
        """The validator's current consensus balance including pending deposits (0 if unknown or withdrawn)."""
        ...

    def request_exit(self, module: str, pubkey: bytes) -> None:
        """Ask the module's validator to exit (idempotent; retried each epoch); its balance lands in the module's
        account later."""
        ...

    def is_slashed(self, pubkey: bytes) -> bool:
        """Whether the validator has been slashed."""
        ...
