"""What the lending module asks of other modules, through the host (Rules of the house: modules depend on each
other only through small Protocols; the core never names a module).

- ``host.staked_token_ledger`` (:class:`~stakework.modules.safety.protocols.StakedTokenLedger`, the liquid module's
  share ledger): moving stSWK shares for the stSWK market, and the exchange rate (``swk_value``). None on a chain
  without the liquid module: the stSWK market then refuses with :class:`AssetUnavailable`.
- ``host.amm_oracle`` (:class:`AmmOracle`, the AMM module's prices): the market price of stSWK. None on a chain
  without the AMM: the oracle falls back to the exchange rate alone (docs/modules.md, "Lending module").
- ``host.shortfall_cover`` (:class:`~stakework.modules.safety.protocols.ShortfallCover`, the safety module): asked to
  cover bad debt by slashing. None on a chain without the safety module: the deficit stays recorded.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from stakework.modules.host import ModuleHost
from stakework.modules.lending.errors import AssetUnavailable
from stakework.modules.safety.protocols import ShortfallCover, StakedTokenLedger

__all__ = ["AmmOracle", "ShortfallCover", "StakedTokenLedger", "amm_oracle_of", "shortfall_cover_of", "staked_of"]

ORACLE_SCALE = 10**18
"""Prices are SWK per one stSWK share, scaled by 10^18 (both the AMM's and the exchange rate)."""


@runtime_checkable
class AmmOracle(Protocol):
    """The AMM's prices of stSWK, each SWK per one stSWK share scaled by :data:`ORACLE_SCALE` (0: no price yet)."""

    def spot_price(self) -> int:
        """The pool's marginal price now (manipulable inside one block: shown, never used to value collateral)."""
        ...

    def twap_price(self) -> int:
        """The pool's time-weighted average price over its window (the AMM's governable parameter)."""
        ...


def staked_of(host: ModuleHost) -> StakedTokenLedger:
    """The host's stSWK ledger; :class:`AssetUnavailable` when the chain has none (no liquid module)."""
    ledger = getattr(host, "staked_token_ledger", None)
    if ledger is None or not isinstance(ledger, StakedTokenLedger):
        raise AssetUnavailable(
            "the stSWK market needs the liquid module, which this chain does not run; use the SWK market"
        )
    return ledger


def amm_oracle_of(host: ModuleHost) -> AmmOracle | None:
    """The AMM's prices, or None on a chain without the AMM (or with a host that offers none)."""
    oracle = getattr(host, "amm_oracle", None)
    return oracle if isinstance(oracle, AmmOracle) else None


def shortfall_cover_of(host: ModuleHost) -> ShortfallCover | None:
    """The safety module's cover, or None on a chain without it."""
    cover = getattr(host, "shortfall_cover", None)
    return cover if callable(getattr(cover, "cover_shortfall", None)) else None
