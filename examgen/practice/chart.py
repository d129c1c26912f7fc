"""The progress chart of one topic, drawn on the server as SVG (no script, no CDN): a bar per
learning goal, its length the recent score (mean of the last three answers), coloured by how far
it is from mastered; a goal never practised is a dashed outline, one due for review is marked."""

from __future__ import annotations

from datetime import datetime
from html import escape

from .schedule import MASTERED

ROW, LABEL, BAR, RIGHT = 22, 52, 420, 120


def _colour(fraction: float) -> str:
    return "#2e7d32" if fraction >= MASTERED else "#f9a825" if fraction >= 0.5 else "#c62828"


def _pct(x: float) -> str:
    return f"{x * 100:.0f} %"


def progress_svg(rows, when: datetime) -> str:
    """``rows``: (goal, GoalStats or None, has questions) per goal of the topic, in order."""
    height = ROW * len(rows) + 26
    width = LABEL + BAR + RIGHT
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="progress" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="recent score per learning goal">',
           '<style>text { font: 12px system-ui, sans-serif; fill: #333; } .grid { stroke: #d5d9e0; }</style>']
    for pct in (0, 50, 80, 100):
        x = LABEL + BAR * pct / 100
        out.append(f'<line class="grid" x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 20}"/>'
                   f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{pct} %</text>')
    for i, (goal, st, available) in enumerate(rows):
        y = 4 + i * ROW
        out.append(f'<text x="0" y="{y + 14}">{escape(goal.id)}</text>')
        if st is None or st.recent is None:
            note = "not practised yet" if available else "no questions yet"
            out.append(f'<rect x="{LABEL}" y="{y + 2}" width="{BAR}" height="{ROW - 8}" fill="none" '
                       f'stroke="#aab" stroke-dasharray="4 3"/>'
                       f'<text x="{LABEL + 6}" y="{y + 14}" fill="#777">{note}</text>')
            continue
        w = max(2.0, BAR * st.recent)
        out.append(f'<rect x="{LABEL}" y="{y + 2}" width="{w:.1f}" height="{ROW - 8}" rx="2" '
                   f'fill="{_colour(st.recent)}"><title>{escape(goal.id)}: recent score {_pct(st.recent)}, '
                   f'{st.answered} answered</title></rect>')
        due = "due now" if st.due is not None and st.due <= when else ""
        out.append(f'<text x="{LABEL + BAR + 8}" y="{y + 14}">{_pct(st.recent)} · {st.answered}×'
                   f'{" · " + due if due else ""}</text>')
    out.append("</svg>")
    return "".join(out)
