"""Charts as server-rendered SVG (no JavaScript library): line charts with axes, optional shaded bands, and a
`<title>` on every point so hovering (or a screen reader) tells the exact value.

The SVG carries a text summary (`<title>`/`<desc>`) and is given `role="img"`; the page shows the same numbers in
a table beside it, so nothing is only in the picture."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stakework.web.html import Markup, esc

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563")


@dataclass(frozen=True)
class Series:
    """One line: its label and its points (x ascending). `band`: optional (low, high) per point, shaded."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    band: tuple[Sequence[float], Sequence[float]] | None = None


def nice_ticks(lo: float, hi: float, count: int = 5, min_step: float = 0.0) -> list[float]:
    """About `count` round tick values covering [lo, hi], at least `min_step` apart (1 for epochs and days)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = max(min_step, next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw))
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    return ticks


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    fmt_x: Callable[[float], str] = lambda v: f"{v:g}",
    fmt_y: Callable[[float], str] = lambda v: f"{v:,.4g}",
    width: int = 720,
    height: int = 280,
    integer_x: bool = True,
) -> Markup:
    """An SVG line chart of `series` (one colour each, a legend when more than one); `integer_x`: the x values are
    whole numbers (epochs, days), ticks too."""
    points = [(x, y) for s in series for x, y in zip(s.xs, s.ys, strict=True)]
    for s in series:
        if s.band is not None:
            points += [(x, v) for x, v in zip(s.xs, s.band[0], strict=True)]
            points += [(x, v) for x, v in zip(s.xs, s.band[1], strict=True)]
    points = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    desc = f"{title}: {len(series)} series"
    if not points:
        return Markup(
            f'<svg class="chart" role="img" viewBox="0 0 {width} 60" width="{width}" height="60">'
            f'<title>{esc(title)}</title><text x="10" y="35">—</text></svg>'
        )
    x_lo, x_hi = min(p[0] for p in points), max(p[0] for p in points)
    y_lo, y_hi = min(p[1] for p in points), max(p[1] for p in points)
    if y_hi == y_lo:
        pad = abs(y_hi) * 0.01 or 1.0
        y_lo, y_hi = y_lo - pad, y_hi + pad
    yt = nice_ticks(y_lo, y_hi)
    y_lo, y_hi = min(y_lo, yt[0]), max(y_hi, yt[-1])
    if x_hi == x_lo:
        x_hi = x_lo + 1
    left, right, top, bottom = 84, 16, 16, 44
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * pw

    def py(y: float) -> float:
        return top + ph - (y - y_lo) / (y_hi - y_lo) * ph

    out = [
        f'<svg class="chart" role="img" aria-label="{esc(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f"<title>{esc(title)}</title><desc>{esc(desc)}</desc>",
    ]
    for t in yt:
        y = py(t)
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(fmt_y(t))}</text>')
    for t in nice_ticks(x_lo, x_hi, 6, min_step=1.0 if integer_x else 0.0):
        if x_lo <= t <= x_hi:
            x = px(t)
            out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}"/>')
            out.append(
                f'<text class="tick" x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{esc(fmt_x(t))}</text>'
            )
    out.append(
        f'<text class="axis" x="{left + pw / 2:.0f}" y="{height - 6}" text-anchor="middle">{esc(x_label)}</text>'
    )
    out.append(
        f'<text class="axis" transform="rotate(-90)" x="{-(top + ph / 2):.0f}" y="14" text-anchor="middle">'
        f"{esc(y_label)}</text>"
    )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        if s.band is not None and s.xs:
            upper = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(s.xs, s.band[1], strict=True))
            lower = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in reversed(list(zip(s.xs, s.band[0], strict=True))))
            out.append(f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.15" stroke="none"/>')
        line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(s.xs, s.ys, strict=True) if math.isfinite(y))
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        step = max(1, len(s.xs) // 60)
        for x, y in list(zip(s.xs, s.ys, strict=True))[::step]:
            if math.isfinite(y):
                out.append(
                    f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}">'
                    f"<title>{esc(s.label)} · {esc(fmt_x(x))}: {esc(fmt_y(y))}</title></circle>"
                )
    if len(series) > 1:
        for i, s in enumerate(series):
            y = top + 6 + i * 16
            colour = PALETTE[i % len(PALETTE)]
            out.append(f'<rect x="{left + 8}" y="{y}" width="12" height="4" fill="{colour}"/>')
            out.append(f'<text class="legend" x="{left + 24}" y="{y + 6}">{esc(s.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
