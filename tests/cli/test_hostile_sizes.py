"""Sizes past what a command can build (a typo's extra digits, an integer past 64 bits) are refused at the command
line, naming the bound, instead of running for hours or failing deep inside numpy (`bench epoch -n 1e20` was an
OverflowError traceback; `genesis`, `devnet` and `simulate` ran until killed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stakework.cli.common import MAX_VALIDATORS
from stakework.cli.main import app

HUGE = str(10**20)


@pytest.mark.parametrize(
    "args",
    [
        ["bench", "epoch", "-n", HUGE],
        ["simulate", "-n", HUGE],
        ["genesis", "--out", "{tmp}/g.json", "-n", HUGE],
        ["devnet", "-d", "{tmp}/d", "-n", HUGE],
        ["genesis", "--out", "{tmp}/g.json", "-n", str(MAX_VALIDATORS + 1)],
        ["simulate", "--epochs", HUGE],
    ],
    ids=["bench-epoch", "simulate", "genesis", "devnet", "genesis-just-past", "simulate-epochs"],
)
def test_size_past_the_bound__usage_error_naming_it(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.replace("│", " ").split())  # (rich wraps the message in a box)
    assert "less than or equal to" in said, said
    assert not (tmp_path / "d").exists() and not (tmp_path / "g.json").exists()
