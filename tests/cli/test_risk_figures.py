"""`stakework risk figures` and `--figures FILE`: the built-in figures listed with their sources and dates, and
replaced from a file for one run; bad files are refused with a clear message and status 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.risk.figures import FIGURES

runner = CliRunner()


def test_risk_figures__json__every_figure_with_source_and_date() -> None:
    result = runner.invoke(app, ["risk", "figures", "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == list(FIGURES)
    eth = records[0]
    assert eth["name"] == "ETH.price_usd" and eth["date"] == "2025-11" and eth["source"]


def test_risk_figures__table__lists_names_and_marks_replaced_values(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text('"ATOM.block_time_s" = 6.5\n')
    result = runner.invoke(app, ["risk", "figures", "--figures", str(f)])
    assert result.exit_code == 0, result.output
    assert "ATOM.block_time_s = 6.5 * s  [2025-11]" in result.stdout
    assert "ETH.price_usd = 3000 USD  [2025-11] CoinGecko" in result.stdout


def test_risk_with_figures_file__replaces_the_builtin_price(tmp_path: Path) -> None:
    f = tmp_path / "mine.json"
    f.write_text(json.dumps({"ETH": {"price_usd": 2000}}))
    args = ["risk", "--coin", "ETH", "--amount", "32", "--route", "liquid", "--paths", "500", "--seed", "1"]
    result = runner.invoke(app, [*args, "--figures", str(f), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run"]["price0"] == 2000.0
    # a named option still wins over the figures file
    result = runner.invoke(app, [*args, "--figures", str(f), "--price", "2500", "--json"])
    assert json.loads(result.stdout)["run"]["price0"] == 2500.0


def test_compare_with_figures_file__unknown_name__status_2_lists_known_names(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('"ETH.price_usdd" = 2000\n')
    result = runner.invoke(app, ["risk", "compare", "--coin", "ETH", "--amount", "32", "--figures", str(f)])
    assert result.exit_code == 2
    assert "unknown figure 'ETH.price_usdd'" in result.output and "ETH.price_usd" in result.output
    assert "Traceback" not in result.output


def test_risk_with_figures_file__wrong_type__status_2_names_the_figure(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('"POL.withdrawal_delay_checkpoints" = "eighty"\n')
    result = runner.invoke(app, ["risk", "--coin", "POL", "--amount", "10", "--figures", str(f)])
    assert result.exit_code == 2
    assert "figure 'POL.withdrawal_delay_checkpoints': expected an integer" in result.output
