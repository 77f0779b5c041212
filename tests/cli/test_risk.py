"""`stakework risk`: the real command (subprocess) for the done-when line, bad input and JSON; the rest
in-process through typer's runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stakework.cli.main import app

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


def _stakework(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


@pytest.mark.e2e
def test_compare_eth_with_plot__done_when_command__prints_table_and_writes_png(tmp_path: Path) -> None:
    proc = _stakework("risk", "compare", "--coin", "ETH", "--amount", "32", "--plot", "eth.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for word in ("solo", "liquid", "exchange", "hold", "APY", "P(below"):
        assert word in proc.stdout
    png = tmp_path / "eth.png"
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 30_000


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--coin", "DOGE", "--amount", "1"], "known coins: ETH, ATOM, ADA, SOL, POL"),
        (["--coin", "ETH", "--amount", "0"], "amount must be greater than 0"),
        (["--coin", "ETH", "--amount", "-3"], "amount must be greater than 0"),
        (["--coin", "ETH", "--amount", "1", "--days", "20000"], "at most 50 years"),
        (["--coin", "ETH", "--amount", "1", "--route", "yolo"], "known routes: solo, pool, liquid"),
        (["--coin", "ETH", "--amount", "1", "--price-csv", "bad.csv"], "bad.csv line 3"),
        (["--coin", "ETH", "--amount", "1", "--set", "chain.participaton=0.9"], "chain.participaton"),
    ],
)
def test_risk__bad_input__exit_2_with_message_and_no_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "bad.csv").write_text("date,close\n2024-01-01,10\n2024-01-02,ten\n", encoding="utf-8")
    proc = _stakework("risk", *args, "--paths", "100", cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "error:" in proc.stderr and message in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.e2e
def test_risk_json__single_route__parses_with_every_number() -> None:
    proc = _stakework("risk", "--coin", "ETH", "--amount", "32", "--route", "liquid", "--days", "365",
                      "--paths", "2000", "--seed", "1", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["run"]["coin"] == "ETH" and data["run"]["paths"] == 2000
    routes = {r["route"]: r for r in data["routes"]}
    assert set(routes) == {"liquid", "hold"}
    liquid = routes["liquid"]
    for key in ("apr", "apy", "tokens_mean", "tokens_q", "fiat_mean", "fiat_q", "p_below_hold", "p_fiat_loss",
                "exit_days_mean", "exit_days_max", "hazard_loss_share"):  # fmt: skip
        assert key in liquid
    assert 0.01 < liquid["apr"] < 0.06


def test_risk__same_seed__same_json() -> None:
    args = ["risk", "--coin", "SOL", "--amount", "10", "--route", "pool", "--paths", "500", "--seed", "4", "--json"]
    a, b = runner.invoke(app, args), runner.invoke(app, args)
    assert a.exit_code == 0, a.output
    assert json.loads(a.stdout)["routes"] == json.loads(b.stdout)["routes"]


def test_risk_compare__zh_tw__chinese_table_and_chinese_plot(tmp_path: Path) -> None:
    out = tmp_path / "ada.png"
    res = runner.invoke(app, ["risk", "compare", "--coin", "ADA", "--amount", "1000", "--paths", "500",
                              "--lang", "zh-TW", "--plot", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "質押池" in res.stdout and "美元" in res.stdout
    assert out.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.e2e
def test_risk_compare__zh_tw_plot_with_a_fresh_matplotlib_cache__no_english_fallback(tmp_path: Path) -> None:
    # a new machine: matplotlib builds its font cache from scratch and finds no CJK font on the system; the
    # packaged Noto Sans TC is registered by file, so the labels stay Chinese
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")}
    proc = subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", "risk", "compare", "--coin", "ETH", "--amount", "32",
         "--paths", "300", "--lang", "zh-TW", "--plot", "zh.png"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "字型" not in proc.stdout + proc.stderr and "font" not in proc.stdout + proc.stderr
    assert (tmp_path / "zh.png").read_bytes()[:8] == PNG_MAGIC


def test_risk_compare__small_amount__skips_solo_with_notice() -> None:
    res = runner.invoke(app, ["risk", "compare", "--coin", "ETH", "--amount", "1", "--paths", "300"])
    assert res.exit_code == 0, res.output
    assert "skipped solo validator: needs at least 32 ETH" in " ".join(res.stdout.split())


def test_risk__exports_and_html__files_written(tmp_path: Path) -> None:
    res = runner.invoke(app, [
        "risk", "--coin", "POL", "--amount", "5000", "--route", "liquid", "--paths", "300", "--seed", "2",
        "--csv", str(tmp_path / "pol.csv"), "--parquet", str(tmp_path / "pol.parquet"),
        "--html", str(tmp_path / "pol.html"), "--export-paths", "5",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    for name in ("pol.csv", "pol.paths.csv", "pol.parquet", "pol.paths.parquet", "pol.html"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_risk__config_file_and_flags__flags_win(tmp_path: Path) -> None:
    cfg = tmp_path / "risk.toml"
    cfg.write_text("[run]\namount = 5\npaths = 200\nseed = 1\n[price]\nvolatility = 0.0\nprice_usd = 10\n")
    res = runner.invoke(app, ["risk", "--coin", "ATOM", "--config", str(cfg), "--amount", "7", "--json"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["run"]
    assert run["amount"] == 7 and run["paths"] == 200 and run["price0"] == 10


def test_risk_explain__seed_example__shows_point_six_and_forty_percent_loss() -> None:
    res = runner.invoke(app, ["risk", "explain", "--apy", "0.2", "--price-change", "-0.5"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "1.2 × 0.5 = 0.6" in text and "a loss of 40.0%" in text
    assert "Bitcoin" in text and "Peercoin" in text


def test_risk_explain__zh_tw__chinese_walkthrough() -> None:
    res = runner.invoke(app, ["risk", "explain", "--coin", "SOL", "--lang", "zh-TW"])
    assert res.exit_code == 0, res.output
    assert "虧損 40.0%" in res.stdout and "權益證明" in res.stdout


def test_risk_sweep__two_params__table_of_cells() -> None:
    res = runner.invoke(app, ["risk", "sweep", "--coin", "ETH", "--amount", "32", "--route", "liquid",
                              "--param", "total_staked=30e6,40e6", "--param", "volatility=0.4,0.8",
                              "--paths", "300", "--days", "60", "--workers", "1", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    cells = json.loads(res.stdout)["cells"]
    assert len(cells) == 4
    assert cells[0]["summary"]["apr"] > cells[2]["summary"]["apr"]


def test_risk_sweep__no_param__exit_2() -> None:
    res = runner.invoke(app, ["risk", "sweep", "--coin", "ETH", "--amount", "32"])
    assert res.exit_code == 2
    assert "at least one --param" in res.output


def test_risk__missing_amount__exit_2() -> None:
    res = runner.invoke(app, ["risk", "--coin", "ETH"])
    assert res.exit_code == 2
    assert "--amount" in res.output


@pytest.mark.parametrize("option", ["--plot", "--html", "--csv", "--parquet"])
def test_risk__output_folder_missing__exit_2_before_running(tmp_path: Path, option: str) -> None:
    target = tmp_path / "no-such-dir" / "out.file"
    res = runner.invoke(app, ["risk", "--coin", "ETH", "--amount", "32", "--paths", "200", option, str(target)])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert f"error: {option}" in text and "does not exist" in text
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "nominal APR" not in res.output  # refused before any work


def test_risk__file_write_fails__table_already_printed_then_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stakework.risk.report import export

    def refuse(*_args: object, **_kwargs: object) -> list[Path]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export, "write_csv", refuse)
    res = runner.invoke(app, ["risk", "--coin", "ETH", "--amount", "32", "--paths", "200",
                              "--csv", str(tmp_path / "out.csv")])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert isinstance(res.exception, SystemExit)
    assert "nominal APR" in res.stdout  # the table came first
    assert "cannot write" in res.output and "Permission denied" in res.output


def test_risk__price_csv_with_volatility__exit_2_naming_both() -> None:
    res = runner.invoke(app, ["risk", "--coin", "ETH", "--amount", "1", "--price-csv", "p.csv",
                              "--volatility", "0.3"])  # fmt: skip
    assert res.exit_code == 2
    assert "--price-csv" in res.output and "price.volatility" in res.output


def test_risk_json__estimates_with_standard_errors_real_yield_and_hazard_threshold() -> None:
    res = runner.invoke(app, ["risk", "compare", "--coin", "ATOM", "--amount", "1000", "--paths", "2000",
                              "--seed", "3", "--hazard-threshold", "0.02", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    for r in data["routes"]:
        for key in ("tokens_mean", "fiat_mean", "fiat_return_mean", "p_below_hold", "p_fiat_loss", "exit_days_mean",
                    "hazard_loss_share", "p_hazard"):  # fmt: skip
            assert isinstance(r[f"{key}_se"], float), key
        assert r["real_yield"] == pytest.approx(r["apy"] - r["supply_inflation"])
        assert r["hazard_threshold"] == 0.02
    assert isinstance(data["within_noise"], list)
    assert data["run"]["taxes"] == "not modelled"


def test_risk_compare__table__plus_minus_real_yield_and_noise_line() -> None:
    res = runner.invoke(app, ["risk", "compare", "--coin", "ETH", "--amount", "32", "--paths", "1000", "--seed", "1"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "±" in text and "real yield" in text and "Supply inflation of ETH" in text
    assert "Within noise of each other" in text  # at 1,000 paths the staking routes cannot be ranked
    assert "taxes are out of scope" in text


def test_risk_help__says_taxes_are_out_of_scope() -> None:
    res = runner.invoke(app, ["risk", "--help"])
    assert res.exit_code == 0
    assert "taxes are out of scope" in " ".join(res.stdout.split())


def test_risk_sweep__table__probabilities_with_standard_errors() -> None:
    res = runner.invoke(app, ["risk", "sweep", "--coin", "ATOM", "--amount", "1000", "--route", "pool",
                              "--param", "volatility=0.3,0.9", "--paths", "300", "--days", "60",
                              "--workers", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert res.stdout.count("±") >= 4  # P(USD loss) and P(below holding) for each of the two cells
