"""What the AMM asks of the chain beyond :class:`~stakework.modules.host.ModuleHost`: the liquid module's stSWK
share ledger and share price (the host service ``staked_token_ledger``, the same service the safety module's
stSWK vault reads). A small Protocol of its own, so the AMM depends on no other module's package."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from stakework.modules.amm.errors import AssetUnavailable
from stakework.modules.amm.stableswap import PRECISION
from stakework.modules.host import ModuleHost


@runtime_checkable
class StakedToken(Protocol):
    """stSWK shares per account and their SWK value (the liquid module's ``LiquidSharesLedger``)."""

    def shares_of(self, holder: bytes) -> int:
        """stSWK shares ``holder`` has."""
        ...

    def swk_value(self, shares: int) -> int:
        """SWK (Gwei) ``shares`` are worth at the current share price, rounded down."""
        ...

    def transfer_shares(self, sender: bytes, recipient: bytes, shares: int) -> None:
        """Move ``shares``; raises a StakeworkError (changing nothing) if ``sender`` holds fewer."""
        ...


def staked_token_of(host: ModuleHost) -> StakedToken:
    """The host's stSWK ledger; :class:`AssetUnavailable` when the chain has none (no liquid module)."""
    ledger = getattr(host, "staked_token_ledger", None)
    if ledger is None or not isinstance(ledger, StakedToken):
        raise AssetUnavailable("the AMM pool trades stSWK, which needs the liquid module; this chain does not run it")
    return ledger


def rate_of(ledger: StakedToken) -> int:
    """stSWK's rate: SWK Gwei per 10**18 shares, rounded down (StableSwap-NG's oracle rate: ``stored_rates``)."""
    rate = ledger.swk_value(PRECISION)
    if rate <= 0:
        raise AssetUnavailable("stSWK shares are worth nothing (the liquid module lost everything): no trading")
    return rate
