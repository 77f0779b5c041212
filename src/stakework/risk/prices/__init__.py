"""Price paths: geometric Brownian motion or a bootstrap of the user's daily returns."""

from __future__ import annotations

from stakework.risk.prices.bootstrap import Bootstrap, load_price_csv
from stakework.risk.prices.gbm import GBM, PriceModel

__all__ = ["GBM", "Bootstrap", "PriceModel", "load_price_csv"]
