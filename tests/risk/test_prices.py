"""Price CSV parsing (line numbers in every error) and the bootstrap model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from stakework.risk.errors import PriceCsvError
from stakework.risk.prices import GBM, Bootstrap, load_price_csv


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "prices.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_price_csv__with_header__reads_dates_and_closes(tmp_path: Path) -> None:
    dates, closes = load_price_csv(_write(tmp_path, "date,close\n2024-01-01,100\n2024-01-02,110\n\n2024-01-03,99\n"))
    assert len(dates) == 3
    assert closes.tolist() == [100.0, 110.0, 99.0]


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("date,close\n2024-01-01,100\n2024-01-02,abc\n2024-01-03,1\n", 3, "not a number"),
        ("date,close\n2024-01-01,100\n2024/01/02,5\n2024-01-03,1\n", 3, "not a date"),
        ("2024-01-01,100\n2024-01-02,101\n2024-01-03,-4\n", 3, "positive"),
        ("date,close\n2024-01-01,100\n2024-01-02\n2024-01-03,1\n", 3, "expected 'date,close'"),
        ("date,close\n2024-01-02,100\n2024-01-01,100\n2024-01-03,1\n", 3, "not after"),
    ],
)
def test_price_csv__malformed_row__error_names_the_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    with pytest.raises(PriceCsvError, match=f"line {line}: .*{what}"):
        load_price_csv(_write(tmp_path, text))


def test_price_csv__missing_file_or_too_short__clear_error(tmp_path: Path) -> None:
    with pytest.raises(PriceCsvError, match="not found"):
        load_price_csv(tmp_path / "nope.csv")
    with pytest.raises(PriceCsvError, match="at least 3"):
        load_price_csv(_write(tmp_path, "2024-01-01,1\n"))


def test_bootstrap__resamples_historical_returns__starting_at_last_close(tmp_path: Path) -> None:
    closes = [100.0, 110.0, 99.0, 120.0]
    rows = "".join(f"2024-01-0{i + 1},{c}\n" for i, c in enumerate(closes))
    boot = Bootstrap.from_csv(_write(tmp_path, rows))
    assert boot.price0 == 120.0
    out = np.empty((200, 50), dtype=np.float32)
    assert boot.fill_increments(np.random.default_rng(0), out) == 1.0
    allowed = set(np.round(np.diff(np.log(closes)), 5))
    assert set(np.round(out.ravel().astype(float), 5)) == allowed
    assert boot.annual_volatility > 0


def test_gbm__negative_volatility_or_price__rejected() -> None:
    with pytest.raises(ValueError, match="volatility"):
        GBM(price0=1.0, sigma=-0.1)
    with pytest.raises(ValueError, match="price"):
        GBM(price0=0.0)
    assert GBM(price0=1.0, mu=0.1, sigma=0.2).log_drift(365)[-1] == pytest.approx(0.1 - 0.02)
    assert math.isclose(GBM(price0=1.0, sigma=0.0).log_drift(10)[0], 0.0)
