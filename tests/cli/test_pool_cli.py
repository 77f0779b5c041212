"""`stakework pool`: argument parsing and user mistakes (one-line errors, exit status 2) without a node, and the
operator/delegator journey end to end against a devnet subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.cli.modtx import parse_commission
from stakework.spec.errors import StakeworkError

runner = CliRunner()
DOWN = "http://127.0.0.1:9"  # nothing listens there


def cli(*args: str) -> tuple[int, str]:
    """Run `stakework ARGS` in this process; a StakeworkError is exit status 2 with its message, as `run_app`
    makes it."""
    r = runner.invoke(app, list(args))
    if isinstance(r.exception, StakeworkError):
        return 2, r.output + str(r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.output


def test_commission_parsing() -> None:
    assert parse_commission("10%") == 1000 and parse_commission("10") == 1000 and parse_commission("7.25%") == 725
    assert parse_commission("0%") == 0 and parse_commission("100%") == 10_000 and parse_commission("50bps") == 50


@pytest.mark.parametrize("text", ["101%", "-1%", "0.001%", "ten", "nan%"])
def test_commission_refused(text: str) -> None:
    code, out = cli("pool", "register", "--commission", text, "--node", DOWN)
    assert code == 2 and "commission" in out, out


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    w = ["-w", str(tmp_path / "empty")]
    code, out = cli("pool", "list", "--node", DOWN)
    assert code == 2 and "is `stakework devnet` running?" in out, out
    code, out = cli("pool", "deposit", "--pool", "1", "lots", "--node", DOWN, *w)
    assert code == 2 and "not a number of SWK" in out, out
    code, out = cli("pool", "withdraw", "--pool", "1", "--node", DOWN, *w)
    assert code == 2 and "--shares S or --all" in out, out
    code, out = cli("pool", "withdraw", "--pool", "1", "--all", "--shares", "1", "--node", DOWN, *w)
    assert code == 2 and "--shares S or --all" in out, out
    code, out = cli("pool", "deposit", "--pool", "1", "40", "--node", DOWN, *w)
    assert code == 2 and "no accounts" in out, out
    code, out = cli("pool", "claim", "--pool", "1", "first", "--node", DOWN, *w)
    assert code == 2 and "give its number" in out, out
    code, out = cli("pool", "register", "--commission", "10%", "--generate-keys", "1", "--node", DOWN, *w)
    assert code == 2 and "--generate-keys needs --data-dir" in out, out
    code, out = cli("pool", "add-keys", "--pool", "1", "--node", DOWN, *w)
    assert code == 2 and "no validator keys" in out, out
