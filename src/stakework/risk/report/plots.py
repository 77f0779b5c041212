"""Pictures of a run: a fan chart of value over time against holding, the distribution of the value received at
exit (one violin per route), the routes side by side, and the gain over holding. PNG through matplotlib (Agg),
interactive HTML through plotly.

Chinese labels need a font with CJK glyphs. stakework depends on `pylopdf-fonts-zh-tw`, which ships Noto Sans
TC as a plain .otf file; its file is registered with matplotlib explicitly (`fontManager.addfont`), so it is
found even when matplotlib's font cache was built before the package was installed. Fonts installed on the
system (e.g. Debian's fonts-noto-cjk) are used when that package is missing; with no CJK font at all the
labels fall back to English and the caller gets a one-line notice to show."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from stakework.risk.i18n import Messages
from stakework.risk.montecarlo import SimulationResult
from stakework.risk.report.summary import RouteSummary

_CJK_NAME_HINTS = (
    "CJK",
    "Noto Sans TC",
    "Noto Serif TC",
    "Source Han",
    "WenQuanYi",
    "AR PL",
    "JhengHei",
    "PingFang",
    "Heiti",
    "Hiragino",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
)
_CJK_PROBE = "價值"
_COLORS = {"solo": "#1f77b4", "pool": "#2ca02c", "liquid": "#9467bd", "exchange": "#d62728", "hold": "#7f7f7f"}


def _mpl_at_least(major: int, minor: int) -> bool:
    import matplotlib

    parts = matplotlib.__version__.split(".")
    return (int(parts[0]), int(parts[1])) >= (major, minor)


def packaged_cjk_font_file() -> Path | None:
    """The Noto Sans TC file of the `pylopdf-fonts-zh-tw` dependency, or None when it is not installed."""
    try:
        import pylopdf_fonts_zh_tw
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_tw.sans_path())
    return path if path.is_file() else None


def _has_cjk_glyphs(fname: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(fname)
        return all(font.get_char_index(ord(ch)) for ch in _CJK_PROBE)
    except (OSError, RuntimeError):
        return False


@cache
def find_cjk_font() -> str | None:
    """Name of a font with Chinese glyphs: the packaged Noto Sans TC (registered with matplotlib here, whatever
    its font cache holds), else one installed on the system, else None."""
    from matplotlib import font_manager

    packaged = packaged_cjk_font_file()
    if packaged is not None and _has_cjk_glyphs(str(packaged)):
        font_manager.fontManager.addfont(str(packaged))
        return str(font_manager.FontProperties(fname=str(packaged)).get_name())
    for entry in font_manager.fontManager.ttflist:
        if not any(h.lower() in entry.name.lower() for h in _CJK_NAME_HINTS):
            continue
        if _has_cjk_glyphs(entry.fname):
            return str(entry.name)
    return None


def plot_messages(messages: Messages) -> tuple[Messages, str | None, list[str]]:
    """Messages for plot labels, the font family to use, and notices (a fallback to English)."""
    if messages.lang == "en":
        return messages, None, []
    font = find_cjk_font()
    if font is None:
        return Messages("en"), None, [messages.t("plot.no_cjk_font")]
    return messages, font, []


def _route_label(m: Messages, name: str) -> str:
    return m.t(f"route.{name}")


def _title(result: SimulationResult, m: Messages) -> str:
    cfg = result.config
    return m.t(
        "plot.suptitle", chain=result.chain.name, amount=f"{cfg.amount:g}", coin=result.chain.coin, days=cfg.days,
        paths=f"{cfg.paths:,}", model=result.price_source,
    )  # fmt: skip


def _value_violins(ax: Any, result: SimulationResult, summaries: list[RouteSummary], m: Messages) -> None:
    """The value received at exit, one horizontal violin per route on a log axis (each route on its own row,
    so five routes do not hide each other), with the 5 %, median and 95 % marked."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    start = result.initial_fiat
    names = [s.route for s in summaries]
    data = []
    for name in names:
        vals = result.routes[name].final_fiat
        vals = vals[np.isfinite(vals) & (vals > 0)]
        data.append(np.log10(vals) if vals.size else np.log10(np.array([start])))
    ys = np.arange(len(names))
    if all(np.ptp(d) > 0 for d in data):
        orient = {"orientation": "horizontal"} if _mpl_at_least(3, 10) else {"vert": False}
        parts = ax.violinplot(data, positions=ys, widths=0.85, showextrema=False, **orient)
        for body, name in zip(parts["bodies"], names, strict=True):
            body.set_facecolor(_COLORS.get(name, "C0"))
            body.set_edgecolor("black")
            body.set_linewidth(0.6)
            body.set_alpha(0.55)
    for y, d in zip(ys, data, strict=True):
        q05, q50, q95 = np.quantile(d, [0.05, 0.5, 0.95])
        ax.hlines(y, q05, q95, color="black", lw=1.2)
        ax.plot([q50], [y], marker="o", color="white", markeredgecolor="black", ms=6, zorder=3)
    ax.axvline(np.log10(start), color="black", ls="--", lw=1, label=m.t("plot.start"))
    lo = min(float(np.quantile(d, 0.002)) for d in data)
    hi = max(float(np.quantile(d, 0.998)) for d in data)
    lo, hi = min(lo, np.log10(start)) - 0.05, max(hi, np.log10(start)) + 0.05
    ax.set_xlim(lo, hi)
    ticks = [np.log10(v * 10.0**k) for k in range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 1) for v in (1, 2, 5)]
    ax.xaxis.set_major_locator(FixedLocator([t for t in ticks if lo <= t <= hi]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{10**x:,.0f}"))
    ax.set_yticks(ys, [_route_label(m, n) for n in names])
    ax.invert_yaxis()
    ax.set_title(m.t("plot.hist_title"))
    ax.set_xlabel(m.t("plot.value_usd_log"))
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")


def render_png(
    result: SimulationResult, summaries: list[RouteSummary], path: str | Path, messages: Messages
) -> list[str]:
    """Write a three-panel PNG; returns notices for the user."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m, font, notices = plot_messages(messages)
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    chain = result.chain
    start = result.initial_fiat
    grid = result.grid
    staking = [n for n in result.routes if n != "hold"]
    with plt.rc_context(rc):  # type: ignore[arg-type]
        fig, grid_axes = plt.subplots(2, 2, figsize=(15, 10), constrained_layout=True)
        axes = grid_axes.ravel()
        ax = axes[0]
        hold_q = np.quantile(result.price_fan.astype(np.float64) * result.config.amount, [0.05, 0.5, 0.95], axis=0)
        if len(staking) == 1:
            name = staking[0]
            q = np.quantile(result.routes[name].fan, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            c = _COLORS.get(name, "C0")
            ax.fill_between(grid, q[0], q[4], color=c, alpha=0.18, label=m.t("plot.band_90"))
            ax.fill_between(grid, q[1], q[3], color=c, alpha=0.35, label=m.t("plot.band_50"))
            ax.plot(grid, q[2], color=c, lw=2, label=f"{_route_label(m, name)} · {m.t('plot.median')}")
            ax.set_title(m.t("plot.fan_title", coin=chain.coin, route=_route_label(m, name)))
        else:
            for name in staking:
                q = np.quantile(result.routes[name].fan, [0.25, 0.5, 0.75], axis=0)
                color = _COLORS.get(name)
                ax.fill_between(grid, q[0], q[2], color=color, alpha=0.10)
                ax.plot(grid, q[1], color=color, lw=1.8, label=_route_label(m, name))
            ax.set_title(m.t("plot.fan_title_compare"))
        ax.plot(grid, hold_q[1], color="black", ls="--", lw=1.5, label=m.t("plot.hold"))
        ax.plot(grid, hold_q[0], color="black", ls=":", lw=1, label=f"{m.t('plot.hold')} {m.t('plot.band_90')}")
        ax.plot(grid, hold_q[2], color="black", ls=":", lw=1)
        ax.axhline(start, color="grey", lw=0.8)
        ax.set_xlabel(m.t("plot.days"))
        ax.set_ylabel(m.t("plot.value_usd"))
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3)

        ax = axes[1]
        _value_violins(ax, result, summaries, m)

        ax = axes[2]
        ys = np.arange(len(summaries))
        med = np.array([s.fiat_q[1] for s in summaries])
        lo = med - np.array([s.fiat_q[0] for s in summaries])
        hi = np.array([s.fiat_q[2] for s in summaries]) - med
        colors = [_COLORS.get(s.route, "C0") for s in summaries]
        ax.barh(ys, med, color=colors, alpha=0.75)
        ax.errorbar(med, ys, xerr=[lo, hi], fmt="none", ecolor="black", capsize=4)
        ax.axvline(start, color="black", ls="--", lw=1, label=m.t("plot.start"))
        ax.set_yticks(ys, [_route_label(m, s.route) for s in summaries])
        for y, s in zip(ys, summaries, strict=True):
            ax.annotate(
                f"{m.t('plot.p_below', pct=f'{s.p_below_hold:.0%}')} · "
                f"{m.t('plot.real_yield', pct=f'{s.real_yield:+.1%}')}",
                (med[y], y),
                xytext=(4, 8),
                textcoords="offset points",
                fontsize=8,
            )
        ax.invert_yaxis()
        ax.set_title(m.t("plot.compare_title"))
        ax.set_xlabel(m.t("plot.value_usd"))
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(alpha=0.3, axis="x")

        ax = axes[3]
        gains = [(result.routes[s.route].final_fiat - result.hold_final) / start * 100.0 for s in summaries]
        # matplotlib >= 3.10 takes `orientation`; `vert` is deprecated there but the only option before
        horizontal = {"orientation": "horizontal"} if _mpl_at_least(3, 10) else {"vert": False}
        ax.boxplot(gains, whis=(5, 95), showfliers=False, widths=0.6, medianprops={"color": "black"}, **horizontal)
        ax.set_yticks(ys + 1, [_route_label(m, s.route) for s in summaries])
        ax.axvline(0.0, color="black", ls="--", lw=1)
        ax.invert_yaxis()
        ax.set_title(m.t("plot.vs_hold_title"))
        ax.set_xlabel(m.t("plot.vs_hold_axis"))
        ax.grid(alpha=0.3, axis="x")
        fig.suptitle(_title(result, m))
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return notices


def render_html(
    result: SimulationResult, summaries: list[RouteSummary], path: str | Path, messages: Messages
) -> list[str]:
    """Write the same three panels as a self-contained interactive plotly page (works offline)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    m = messages  # browsers bring their own CJK fonts
    start = result.initial_fiat
    grid = result.grid.tolist()
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(m.t("plot.fan_title_compare"), m.t("plot.hist_title"), m.t("plot.compare_title")),
    )
    for name, rr in result.routes.items():
        q = np.quantile(rr.fan, [0.25, 0.5, 0.75], axis=0)
        color = _COLORS.get(name, "#1f77b4")
        label = _route_label(m, name)
        fig.add_trace(
            go.Scatter(
                x=grid, y=q[2].tolist(), line={"width": 0}, showlegend=False, legendgroup=name, hoverinfo="skip"
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=q[0].tolist(),
                fill="tonexty",
                line={"width": 0},
                opacity=0.2,
                fillcolor=color,
                showlegend=False,
                legendgroup=name,
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=q[1].tolist(),
                name=label,
                legendgroup=name,
                line={"color": color, "dash": "dash" if name == "hold" else "solid"},
            ),
            row=1,
            col=1,
        )
        vals = rr.final_fiat[rr.final_fiat > 0]
        if vals.size > 20_000:
            vals = vals[:: max(1, vals.size // 20_000)]
        fig.add_trace(
            go.Box(
                x=vals.tolist(), name=label, legendgroup=name, showlegend=False, orientation="h", boxpoints=False,
                marker={"color": color}, line={"color": color},
            ),
            row=1,
            col=2,
        )  # fmt: skip
    fig.add_trace(
        go.Bar(
            y=[_route_label(m, s.route) for s in summaries],
            x=[s.fiat_q[1] for s in summaries],
            orientation="h",
            marker={"color": [_COLORS.get(s.route, "#1f77b4") for s in summaries]},
            showlegend=False,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [s.fiat_q[2] - s.fiat_q[1] for s in summaries],
                "arrayminus": [s.fiat_q[1] - s.fiat_q[0] for s in summaries],
            },
            text=[
                f"{m.t('plot.p_below', pct=f'{s.p_below_hold:.0%}')} · "
                f"{m.t('plot.real_yield', pct=f'{s.real_yield:+.1%}')}"
                for s in summaries
            ],
        ),
        row=1,
        col=3,
    )
    fig.add_hline(y=start, line_dash="dot", line_color="grey", row=1, col=1)
    fig.add_vline(x=start, line_dash="dot", line_color="black", row=1, col=2)
    fig.add_vline(x=start, line_dash="dot", line_color="black", row=1, col=3)
    fig.update_xaxes(title_text=m.t("plot.days"), row=1, col=1)
    fig.update_yaxes(title_text=m.t("plot.value_usd"), row=1, col=1)
    fig.update_xaxes(title_text=m.t("plot.value_usd_log"), type="log", row=1, col=2)
    fig.update_xaxes(title_text=m.t("plot.value_usd"), row=1, col=3)
    fig.update_layout(
        title=_title(result, m),
        height=520,
        width=1500,
    )
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    return []
