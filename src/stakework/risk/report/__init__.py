"""Reports: summaries (numbers), explanations (arithmetic walk-through, PoW vs PoS), plots and exports."""

from __future__ import annotations

from stakework.risk.report.summary import QUANTILES, RouteSummary, summarize

__all__ = ["QUANTILES", "RouteSummary", "summarize"]
