"""Exports: the summary table and a sample of paths as CSV or Parquet (pyarrow).

`write_exports(result, summaries, "out.csv")` writes the summary to `out.csv` and the paths (long format: route,
path, day, tokens, price, value_usd) to `out.paths.csv`; the same for `.parquet`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from stakework.risk.errors import SimError
from stakework.risk.montecarlo import SimulationResult
from stakework.risk.report.summary import RouteSummary, run_metadata


class OutputPathError(SimError):
    """An output file (--plot, --html, --csv, --parquet) cannot be written: its folder is missing, it is a
    folder, or the system refused the write. The message names the option and the path."""


def _flat(s: RouteSummary) -> dict[str, Any]:
    """A summary as one flat row: quantiles as `<name>_p05` ..., the dominant hazards as `name:p` pairs."""
    row: dict[str, Any] = {}
    for key, value in s.as_dict().items():
        if key in ("tokens_q", "fiat_q"):
            base = key.removesuffix("_q")
            row.update({f"{base}_{q}": v for q, v in value.items()})
        elif key == "hazards_dominant":
            row[key] = " ".join(f"{h['hazard']}:{h['probability']:.6g}" for h in value)
        else:
            row[key] = value
    return row


def summary_rows(result: SimulationResult, summaries: list[RouteSummary]) -> list[dict[str, Any]]:
    """One flat row per route (every summary field, with its standard error), with the run's inputs repeated
    on each."""
    meta = run_metadata(result)
    rows = []
    for s in summaries:
        row = _flat(s)
        row.update({k: v for k, v in meta.items() if k not in row})
        rows.append(row)
    return rows


def path_columns(result: SimulationResult, max_paths: int) -> dict[str, np.ndarray]:
    """Long-format columns for the first `max_paths` fan paths of every route at the grid days."""
    nf = min(max_paths, result.price_fan.shape[0])
    grid = result.grid
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("route", "path", "day", "tokens", "price", "value_usd")}
    path_ids = np.repeat(np.arange(nf), grid.size)
    days = np.tile(grid, nf)
    prices = result.price_fan[:nf].reshape(-1).astype(np.float64)
    for name, rr in result.routes.items():
        cols["route"].append(np.full(nf * grid.size, name, dtype=object))
        cols["path"].append(path_ids)
        cols["day"].append(days)
        cols["tokens"].append(rr.fan_tokens[:nf].reshape(-1).astype(np.float64))
        cols["price"].append(prices)
        cols["value_usd"].append(rr.fan[:nf].reshape(-1).astype(np.float64))
    return {k: np.concatenate(v) if v else np.array([]) for k, v in cols.items()}


def _paths_name(path: Path) -> Path:
    return path.with_name(f"{path.stem}.paths{path.suffix}")


def write_csv(result: SimulationResult, summaries: list[RouteSummary], path: str | Path, max_paths: int) -> list[Path]:
    """Summary to `path`, paths to `<stem>.paths.csv`; returns the files written."""
    p = Path(path)
    rows = summary_rows(result, summaries)
    with p.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cols = path_columns(result, max_paths)
    pp = _paths_name(p)
    with pp.open("w", newline="", encoding="utf-8") as fh:
        writer2 = csv.writer(fh)
        writer2.writerow(list(cols))
        for i in range(cols["day"].size):
            writer2.writerow(
                [cols["route"][i], int(cols["path"][i]), int(cols["day"][i]), f"{cols['tokens'][i]:.9g}",
                 f"{cols['price'][i]:.9g}", f"{cols['value_usd'][i]:.9g}"]
            )  # fmt: skip
    return [p, pp]


def write_parquet(
    result: SimulationResult, summaries: list[RouteSummary], path: str | Path, max_paths: int
) -> list[Path]:
    """Summary to `path`, paths to `<stem>.paths.parquet`; returns the files written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path)
    rows = summary_rows(result, summaries)
    pq.write_table(pa.Table.from_pylist(rows), p)
    cols = path_columns(result, max_paths)
    table = pa.table(
        {
            "route": pa.array(cols["route"].tolist(), type=pa.string()),
            "path": pa.array(cols["path"], type=pa.int32()),
            "day": pa.array(cols["day"], type=pa.int32()),
            "tokens": pa.array(cols["tokens"]),
            "price": pa.array(cols["price"]),
            "value_usd": pa.array(cols["value_usd"]),
        }
    )
    pp = _paths_name(p)
    pq.write_table(table, pp)
    return [p, pp]
