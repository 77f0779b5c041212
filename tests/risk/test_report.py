"""Summaries, plots and exports of a run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from stakework.risk.i18n import Messages
from stakework.risk.montecarlo import SimulationResult
from stakework.risk.report import plots
from stakework.risk.report.export import write_csv, write_parquet
from stakework.risk.report.plots import plot_messages, render_html, render_png
from stakework.risk.report.summary import RouteSummary, run_metadata, summarize, supply_inflation, within_noise
from stakework.risk.scenario import build_scenario

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Run = tuple[SimulationResult, list[RouteSummary]]


def test_summary__compare_eth__every_route_sane(eth_compare: Run) -> None:
    result, summaries = eth_compare
    by = {s.route: s for s in summaries}
    assert list(by) == ["solo", "pool", "liquid", "exchange", "hold"]
    assert by["hold"].apr == 0 and by["hold"].p_below_hold == 0 and by["hold"].tokens_mean == 32
    assert by["solo"].apr > by["pool"].apr > by["exchange"].apr > 0  # fees 0 %, 14 %, 25 %
    assert by["liquid"].exit_days_max == 0
    assert by["solo"].exit_days_mean > 1  # withdrawability delay at least
    for s in summaries:
        assert s.fiat_q[0] <= s.fiat_q[1] <= s.fiat_q[2]
        assert 0 <= s.p_fiat_loss <= 1 and 0 <= s.hazard_loss_share < 0.05
    assert by["exchange"].hazard_loss_share > by["pool"].hazard_loss_share
    # lock-up risk: the price moves during a weeks-long exit; a liquid token sold at once rarely trails holding
    assert by["solo"].p_below_hold > 0.3
    assert by["liquid"].p_below_hold < 0.05
    for name in ("solo", "pool", "liquid", "exchange"):
        rr = result.routes[name]
        assert (rr.gross_fiat <= rr.gross_fiat_no_hazard * (1 + 1e-12)).all()  # hazards never add value
    assert result.initial_fiat == 32 * result.price0
    d = by["liquid"].as_dict()
    assert set(d["fiat_q"]) == {"p05", "p50", "p95"}


def test_png__english__written_and_readable(eth_compare: Run, tmp_path: Path) -> None:
    result, summaries = eth_compare
    out = tmp_path / "eth.png"
    assert render_png(result, summaries, out, Messages("en")) == []
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert out.stat().st_size > 30_000


def test_png__zh_tw_without_cjk_font__falls_back_to_english_with_notice(
    eth_compare: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plots, "find_cjk_font", lambda: None)
    m, font, notices = plot_messages(Messages("zh-TW"))
    assert m.lang == "en" and font is None and len(notices) == 1
    result, summaries = eth_compare
    out = tmp_path / "zh.png"
    assert render_png(result, summaries, out, Messages("zh-TW")) == notices
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_png__zh_tw_with_cjk_font__keeps_chinese_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plots, "find_cjk_font", lambda: "Noto Sans CJK TC")
    m, font, notices = plot_messages(Messages("zh-TW"))
    assert m.lang == "zh-TW" and font == "Noto Sans CJK TC" and notices == []


def test_html__plotly_page__self_contained(eth_compare: Run, tmp_path: Path) -> None:
    result, summaries = eth_compare
    out = tmp_path / "eth.html"
    render_html(result, summaries, out, Messages("zh-TW"))
    text = out.read_text(encoding="utf-8")
    label = "流動質押代幣"
    assert "plotly" in text.lower()
    assert label in text or json.dumps(label)[1:-1] in text


def test_csv_and_parquet__summary_and_paths__round_trip(eth_compare: Run, tmp_path: Path) -> None:
    result, summaries = eth_compare
    files = write_csv(result, summaries, tmp_path / "out.csv", max_paths=3)
    assert [f.name for f in files] == ["out.csv", "out.paths.csv"]
    with files[0].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["route"] for r in rows] == [s.route for s in summaries]
    assert float(rows[0]["fiat_p50"]) == pytest.approx(summaries[0].fiat_q[1])
    with files[1].open(encoding="utf-8") as fh:
        prow = list(csv.DictReader(fh))
    assert len(prow) == 3 * result.grid.size * len(summaries)
    assert float(prow[0]["value_usd"]) == pytest.approx(32 * result.price0)

    pfiles = write_parquet(result, summaries, tmp_path / "out.parquet", max_paths=3)
    table = pq.read_table(pfiles[1])
    assert table.num_rows == len(prow)
    assert set(table.column_names) == {"route", "path", "day", "tokens", "price", "value_usd"}
    summary = pq.read_table(pfiles[0]).to_pylist()
    assert summary[2]["route"] == "liquid"
    values = np.array(table.column("value_usd").to_pylist())
    assert np.isfinite(values).all()


def test_summary__every_expected_value__has_its_standard_error(eth_compare: Run) -> None:
    result, summaries = eth_compare
    n = result.config.paths
    estimates = ("tokens_mean", "fiat_mean", "fiat_return_mean", "p_below_hold", "p_fiat_loss", "exit_days_mean",
                 "hazard_loss_share", "p_hazard")  # fmt: skip
    for s in summaries:
        d = s.as_dict()
        for name in estimates:
            assert f"{name}_se" in d and d[f"{name}_se"] >= 0, (s.route, name)
        rr = result.routes[s.route]
        assert s.fiat_mean_se == pytest.approx(rr.final_fiat.std(ddof=1) / np.sqrt(n))
        assert s.fiat_return_mean_se == pytest.approx(s.fiat_mean_se / result.initial_fiat)
        assert s.p_below_hold_se == pytest.approx(np.sqrt(s.p_below_hold * (1 - s.p_below_hold) / n))
    by = {s.route: s for s in summaries}
    assert by["hold"].tokens_mean_se == 0 and by["solo"].fiat_mean_se > 0


def test_hold_mean__gbm_without_drift__unbiased_within_its_standard_error() -> None:
    # E[P_T] = P_0 when mu = 0: the hold mean of any one run is off by its noise (about 0.5 % of the value at
    # 20,000 paths and 65 % volatility: a -1 % reading is a 2-sigma draw), and over many seeds the error averages
    # out (no arithmetic-vs-log or drift-convention bias).
    zs = []
    for seed in range(12):
        scenario = build_scenario("ETH", {"run": {"amount": 1, "days": 365, "paths": 20_000, "seed": seed}}, ["hold"])
        result = scenario.run()
        hold = summarize(result)[-1]
        zs.append((hold.fiat_mean - result.initial_fiat) / hold.fiat_mean_se)
    assert max(abs(z) for z in zs) < 4.5
    assert abs(np.mean(zs)) * np.sqrt(len(zs)) < 3.5  # the mean of the z-scores has standard error 1/√12


def test_within_noise__same_fee_routes__tie_and_fee_gap_without_price_noise__no_tie() -> None:
    tree = {"run": {"amount": 32, "days": 200, "paths": 2_000, "seed": 3}}
    # the same fee as the pool: the two differ only by their random exit days and hazards, i.e. by noise
    same_fee = {**tree, "routes": {"exchange": {"fee": 0.14}}}
    ties = within_noise(build_scenario("ETH", same_fee, ["pool", "exchange"]).run())
    assert ("pool", "exchange") in {(t.a, t.b) for t in ties}
    for t in ties:
        assert abs(t.difference) < 2 * t.difference_se
    # no price noise: the 14 % vs 25 % fee gap is many standard errors of the paired difference
    calm = {**tree, "price": {"volatility": 0.0}}
    assert within_noise(build_scenario("ETH", calm, ["pool", "exchange"]).run()) == []


def test_real_yield__every_route__apy_minus_the_chains_supply_inflation(eth_compare: Run) -> None:
    result, summaries = eth_compare
    inflation = supply_inflation(result.chain, result.config.days)
    assert 0 < inflation < 0.05
    for s in summaries:
        assert s.supply_inflation == inflation
        assert s.real_yield == pytest.approx(s.apy - inflation)
    by = {s.route: s for s in summaries}
    assert by["hold"].real_yield == pytest.approx(-inflation)  # a holder who does not stake is diluted
    assert run_metadata(result)["supply_inflation"] == inflation


def test_p_hazard__atom_liquid_downtime_slashes__immaterial_and_not_named() -> None:
    tree = {"run": {"amount": 1000, "days": 365, "paths": 4_000, "seed": 5}}
    result = build_scenario("ATOM", tree, ["liquid"]).run()
    liquid = summarize(result)[0]
    # tiny downtime slashes strike most paths, but almost none lose more than 0.1 % of their value
    assert liquid.p_hazard_any > 0.3
    assert liquid.p_hazard < 0.1
    assert "downtime_slashing" not in dict(liquid.hazards_dominant)
    assert liquid.hazards_dominant and liquid.hazards_dominant[0][1] <= liquid.p_hazard
    # every strike counts when the threshold is 0
    assert summarize(result, hazard_threshold=0.0)[0].p_hazard == pytest.approx(liquid.p_hazard_any, abs=0.02)


def test_cjk_font__stale_matplotlib_cache__packaged_font_registered_and_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib import font_manager

    packaged = plots.packaged_cjk_font_file()
    assert packaged is not None, "pylopdf-fonts-zh-tw (a dependency of stakework) is not installed"
    # a font cache built before the font package was installed knows no CJK font at all
    stale = [e for e in font_manager.fontManager.ttflist if not plots._has_cjk_glyphs(e.fname)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    plots.find_cjk_font.cache_clear()
    try:
        name = plots.find_cjk_font()
        assert name == "Noto Sans TC"
        assert any(e.name == name for e in font_manager.fontManager.ttflist)
        assert font_manager.findfont(name, fallback_to_default=False) == str(packaged)
        m, font, notices = plot_messages(Messages("zh-TW"))
        assert m.lang == "zh-TW" and font == name and notices == []
    finally:
        plots.find_cjk_font.cache_clear()


def test_png__zh_tw__chinese_title_and_one_violin_per_route(eth_compare: Run, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result, summaries = eth_compare
    m = Messages("zh-TW")
    assert "條路徑" in plots._title(result, m) and "paths" not in plots._title(result, m)
    fig, ax = plt.subplots()
    try:
        plots._value_violins(ax, result, summaries, m)
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == [m.t(f"route.{s.route}") for s in summaries]
        bodies = [c for c in ax.collections if c.get_paths() and len(c.get_paths()[0].vertices) > 20]
        assert len(bodies) == len(summaries)  # one shape per route, on its own row
    finally:
        plt.close(fig)
    out = tmp_path / "zh.png"
    assert render_png(result, summaries, out, m) == []
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_csv__summary_row__carries_standard_errors_and_real_yield(eth_compare: Run, tmp_path: Path) -> None:
    result, summaries = eth_compare
    files = write_csv(result, summaries, tmp_path / "s.csv", max_paths=1)
    with files[0].open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    for key in ("fiat_mean_se", "p_below_hold_se", "real_yield", "supply_inflation", "p_hazard_any"):
        assert key in row
    assert float(row["fiat_mean_se"]) == pytest.approx(summaries[0].fiat_mean_se)
