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
from stakework.risk.report.summary import RouteSummary

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
