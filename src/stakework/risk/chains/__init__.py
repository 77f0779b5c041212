"""Chain presets: one frozen dataclass per real chain with its reward, lock-up and slashing rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from stakework.risk.chains.base import DAYS_PER_YEAR, ChainPreset
from stakework.risk.chains.cardano import Cardano
from stakework.risk.chains.cosmos import CosmosHub
from stakework.risk.chains.ethereum import Ethereum
from stakework.risk.chains.polygon import PolygonPoS
from stakework.risk.chains.solana import Solana
from stakework.risk.config import apply_overrides
from stakework.risk.errors import UnknownCoinError
from stakework.risk.figures import replaced

CHAINS: dict[str, ChainPreset] = {
    "ETH": Ethereum(),
    "ATOM": CosmosHub(),
    "ADA": Cardano(),
    "SOL": Solana(),
    "POL": PolygonPoS(),
}
"""The default preset of each supported coin, keyed by ticker."""


def known_coins() -> list[str]:
    """Tickers the analyzer knows."""
    return list(CHAINS)


def get_chain(coin: str, overrides: Mapping[str, Any] | None = None) -> ChainPreset:
    """The preset for `coin` (case-insensitive; MATIC is accepted for POL), with the figures in effect
    (`stakework.risk.figures.use_figures`) and then `overrides` applied."""
    key = coin.strip().upper()
    if key == "MATIC":
        key = "POL"
    if key not in CHAINS:
        raise UnknownCoinError(f"unknown coin {coin!r}; known coins: {', '.join(known_coins())}")
    chain = CHAINS[key]
    figures: dict[str, Any] = {k: v for k, v in replaced(f"{key}.").items() if "." not in k}
    if figures:
        chain = dataclasses.replace(chain, **figures)
    if overrides:
        chain = apply_overrides(chain, overrides, "chain")
    return chain


__all__ = [
    "CHAINS",
    "DAYS_PER_YEAR",
    "Cardano",
    "ChainPreset",
    "CosmosHub",
    "Ethereum",
    "PolygonPoS",
    "Solana",
    "get_chain",
    "known_coins",
]
