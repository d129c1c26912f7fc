"""Small SVG charts for the class report: a histogram and horizontal bars (inline SVG, no script,
no CDN). Every bar has a ``<title>`` (its value on hover) and the class ``bar``."""

from __future__ import annotations

from html import escape

import numpy as np

FONT = 'font-size="11"'


def nice_step(rough: float) -> int:
    """The whole number 1, 2 or 5 times a power of ten nearest above ``rough`` (a tick step)."""
    power = 10 ** int(np.floor(np.log10(max(rough, 1))))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def histogram(values: list[float], top: float, bins: int = 10, width: int = 640, height: int = 220,
              label: str = "points") -> str:
    """Counts of ``values`` in ``bins`` equal bins from 0 to ``top``."""
    counts, edges = np.histogram(np.clip(values, 0, top), bins=bins, range=(0, top or 1))
    left, bottom, right, up = 40, 34, 10, 14
    plot_w, plot_h = width - left - right, height - bottom - up
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    bar_w = plot_w / bins
    out = [f'<svg class="chart histogram" role="img" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>Histogram of totals</title>']
    step = nice_step(peak / 5)
    peak = max(peak, step * int(np.ceil(peak / step)))
    for i in range(0, peak + 1, step):
        y = up + plot_h - plot_h * i / peak
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ec"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{i}</text>')
    for i, c in enumerate(counts.tolist()):
        h = plot_h * c / peak
        x = left + i * bar_w
        out.append(f'<rect class="bar" x="{x + 1:.1f}" y="{up + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                   f'height="{h:.1f}" fill="#1f4e99"><title>{edges[i]:g}–{edges[i + 1]:g} {label}: '
                   f'{c} student{"s" * (c != 1)}</title></rect>')
    for i in range(bins + 1):
        x = left + i * bar_w
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle" {FONT}>{edges[i]:g}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" {FONT}>'
               f'total ({escape(label)})</text></svg>')
    return "".join(out)


def bars(items: list[tuple[str, float | None, str]], lo: float, hi: float, ref: float | None = None,
         width: int = 640, row: int = 18, unit: str = "", title: str = "", digits: int = 2,
         ticks: list[float] | None = None) -> str:
    """Horizontal bars: (label, value or None, tooltip) per row, on a scale from ``lo`` to ``hi``
    (a negative value draws left of zero); ``ref`` draws a dashed reference line."""
    left, right, up = 90, 50, 18
    plot_w = width - left - right
    height = up + row * len(items) + 22
    x_of = lambda v: left + plot_w * (min(max(v, lo), hi) - lo) / (hi - lo)
    zero = x_of(max(lo, 0.0))
    out = [f'<svg class="chart bars" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for t in ticks if ticks is not None else np.linspace(lo, hi, 5):
        x = x_of(t)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{up - 4}" y2="{height - 20}" stroke="#e3e6ec"/>'
                   f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" {FONT}>{t:g}{unit}</text>')
    for i, (label, value, tip) in enumerate(items):
        y = up + i * row
        out.append(f'<text x="{left - 6}" y="{y + row * 0.7:.1f}" text-anchor="end" {FONT}>{escape(label)}</text>')
        if value is None:
            out.append(f'<text x="{zero + 4:.1f}" y="{y + row * 0.7:.1f}" {FONT} fill="#5b6170">no spread</text>')
            continue
        x0, x1 = sorted((zero, x_of(value)))
        color = "#1f4e99" if ref is None or value >= ref else "#c2571a"
        out.append(f'<rect class="bar" x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 1):.1f}" height="{row - 5}" '
                   f'fill="{color}"><title>{escape(tip)}</title></rect>'
                   f'<text x="{x1 + 4:.1f}" y="{y + row * 0.7:.1f}" {FONT}>{value:.{digits}f}{unit}</text>')
    if ref is not None:
        x = x_of(ref)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{up - 4}" y2="{height - 20}" stroke="#c2571a" '
                   'stroke-dasharray="4 3"/>')
    out.append("</svg>")
    return "".join(out)
