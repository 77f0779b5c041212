"""What the safety module asks of the chain beyond :class:`~stakework.modules.host.ModuleHost`, and what it offers
other modules.

- :class:`StakedTokenLedger`: moving stSWK **shares** (the liquid module's ledger) between accounts, for the stSWK
  vault. The chain's host offers it as ``host.staked_token_ledger`` when the liquid module is enabled;
  :func:`staked_token_of` finds it (or refuses with :class:`AssetUnavailable`), so the handlers keep the
  ``(state, ModuleHost, sender, msg)`` signature every module has.
- :class:`ShortfallCover`: what a module that can run into bad debt (lending, later) calls to have the safety
  module cover a shortfall by slashing (Aave: the slashing admin slashes stkAAVE to cover a deficit).
- :class:`StakeReports`: what the module tells of every stkSWK balance change (governance counts stkSWK as voting
  power); the definition's dispatch reports the accounts a message touched (``definition.py``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from stakework.modules.host import ModuleHost
from stakework.modules.safety.errors import AssetUnavailable


@runtime_checkable
class StakedTokenLedger(Protocol):
    """stSWK shares per account (non-rebasing units: the vault counts shares so the liquid module's rebases accrue
    to the vault's stakers, as Umbrella stakes wrapped, non-rebasing aTokens)."""

    def shares_of(self, holder: bytes) -> int:
        """stSWK shares ``holder`` has."""
        ...

    def swk_value(self, shares: int) -> int:
        """SWK (Gwei) ``shares`` are worth at the current share price, rounded down (for voting power)."""
        ...

    def transfer_shares(self, sender: bytes, recipient: bytes, shares: int) -> None:
        """Move ``shares``; raises a StakeworkError (changing nothing) if ``sender`` holds fewer."""
        ...


class ShortfallCover(Protocol):
    """The safety module as a shortfall reporter sees it."""

    def cover_shortfall(self, reporter: bytes, vault: str, amount: int, recipient: bytes, reason: str) -> int:
        """Slash ``vault`` by up to ``amount`` (capped at ``max_slash_bps`` of its assets) to ``recipient``;
        returns what was taken. ``reporter`` must be an authorised slasher; raises (changing nothing) otherwise."""
        ...


@runtime_checkable
class StakeReports(Protocol):
    """Who is told of every change of an account's stkSWK balance (governance's voting power, on a chain that
    runs it). The chain's host offers it as ``host.stake_reports``; a chain without a listener offers none and
    nothing is reported. The balance reported is ``definition.voting_power``: the SWK value of the account's
    positions in both vaults."""

    def stake_changed(self, holder: bytes, balance: int) -> None:
        """``holder``'s voting power is now ``balance`` SWK (Gwei) (called in the epoch it changes)."""
        ...


def stake_reports_of(host: ModuleHost) -> StakeReports | None:
    """The host's listener for stkSWK balance changes; None when the chain has none."""
    reports = getattr(host, "stake_reports", None)
    return reports if isinstance(reports, StakeReports) else None


def staked_token_of(host: ModuleHost) -> StakedTokenLedger:
    """The host's stSWK ledger; :class:`AssetUnavailable` when the chain has none (no liquid module)."""
    ledger = getattr(host, "staked_token_ledger", None)
    if ledger is None or not isinstance(ledger, StakedTokenLedger):
        raise AssetUnavailable(
            "the stSWK vault needs the liquid module, which this chain does not run; use the SWK vault (vault 'swk')"
        )
    return ledger
