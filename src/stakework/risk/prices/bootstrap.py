"""Bootstrap of daily log returns from a user's CSV of prices (`date,close`): each simulated day draws one
historical daily return at random (i.i.d. resampling), keeping fat tails that GBM misses."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stakework.risk.errors import PriceCsvError


def load_price_csv(path: str | Path) -> tuple[list[dt.date], np.ndarray]:
    """Read `date,close` rows (a header line is optional; dates ISO `YYYY-MM-DD`, closes > 0, dates strictly
    increasing). Any malformed row raises PriceCsvError naming the file and line number."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PriceCsvError(f"price file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceCsvError(f"cannot read price file {str(p)!r}: {exc}") from None
    dates: list[dt.date] = []
    closes: list[float] = []
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if lineno == 1 and [c.strip().lower() for c in row[:2]] == ["date", "close"]:
            continue
        where = f"{p.name} line {lineno}"
        if len(row) < 2:
            raise PriceCsvError(f"{where}: expected 'date,close', got {','.join(row)!r}")
        try:
            day = dt.date.fromisoformat(row[0].strip())
        except ValueError:
            raise PriceCsvError(f"{where}: {row[0].strip()!r} is not a date (YYYY-MM-DD)") from None
        try:
            close = float(row[1].strip())
        except ValueError:
            raise PriceCsvError(f"{where}: {row[1].strip()!r} is not a number") from None
        if not math.isfinite(close) or close <= 0:
            raise PriceCsvError(f"{where}: close must be a positive number, got {row[1].strip()!r}")
        if dates and day <= dates[-1]:
            raise PriceCsvError(f"{where}: date {day} is not after the previous row's {dates[-1]}")
        dates.append(day)
        closes.append(close)
    if len(closes) < 3:
        raise PriceCsvError(f"{p.name}: need at least 3 prices to bootstrap returns, got {len(closes)}")
    return dates, np.asarray(closes)


@dataclass(frozen=True)
class Bootstrap:
    """I.i.d. resampling of historical daily log returns; starts from the last close unless `price0` is set."""

    returns: np.ndarray
    """Historical daily log returns (float32)."""
    price0: float
    """Starting price."""
    source: str = field(default="")
    """Where the returns came from (file name)."""

    @classmethod
    def from_csv(cls, path: str | Path, price0: float | None = None) -> Bootstrap:
        """Load `path`; the starting price is the last close unless given."""
        _, closes = load_price_csv(path)
        returns = np.diff(np.log(closes)).astype(np.float32)
        start = float(closes[-1]) if price0 is None else price0
        return cls(returns=returns, price0=start, source=Path(path).name)

    def log_drift(self, n_days: int) -> np.ndarray:
        """No separate drift: it is in the sampled returns."""
        return np.zeros(n_days + 1)

    def fill_increments(self, rng: np.random.Generator, out: np.ndarray) -> float:
        """Draw historical returns with replacement; scale 1."""
        idx = rng.integers(0, self.returns.size, size=out.shape)
        np.take(self.returns, idx, out=out)
        return 1.0

    @property
    def annual_volatility(self) -> float:
        """Volatility of the sample, annualized with √365."""
        return float(np.std(self.returns) * math.sqrt(365.0))
