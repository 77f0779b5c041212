"""`stakework simulate`'s table and plot: every epoch with an event is shown whatever --every says, and the plot's
title counts the validators the way the table's header does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from support.module_cli import cli


def table_rows(out: str) -> dict[int, str]:
    """Epoch -> its table row (rows start with the epoch number inside the table's border)."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^\W*(\d+) .*", line)
        if m and "│" in line:
            rows[int(m.group(1))] = line
    return rows


def test_simulate__slashing_between_shown_epochs__its_epoch_is_shown_with_the_event() -> None:
    code, out = cli("simulate", "-n", "64", "-e", "12", "--every", "4", "--deposit", "2@5", "--exit", "1@9")
    assert code == 0, out
    rows = table_rows(out)
    assert {0, 4, 8, 11} <= set(rows)  # every 4th and the last, as before
    assert "16 slashed" in rows[6]  # the default slashing at epoch 6 (not a multiple of 4)
    assert "2 deposit(s)" in rows[5] and "1 exit(s)" in rows[9]
    assert 7 not in rows and 10 not in rows  # quiet epochs still skipped


def test_simulate__correlation_penalty__shown_though_nothing_was_scheduled() -> None:
    # slashed at 6: the correlation penalty lands at the middle of the devnet's 64-epoch slashings window (38)
    code, out = cli("simulate", "-n", "64", "-e", "40")
    assert code == 0, out
    assert "slashing penalty" in table_rows(out)[38]


def test_simulate__plot_title__counts_the_validators_the_table_header_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles: list[str] = []

    def fake_plot(records: Any, out: Path, *, title: str) -> None:
        titles.append(title)

    monkeypatch.setattr("stakework.cli.plots.plot_simulation", fake_plot)
    code, out = cli("simulate", "-n", "64", "-e", "12", "--plot", str(tmp_path / "p.png"))
    assert code == 0, out
    assert "stakework simulate: 64 validators" in out
    assert titles == ["64 validators (+8 deposited during the run), preset devnet"]
