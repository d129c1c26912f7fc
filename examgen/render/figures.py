"""SVG drawings of a question's givens, shared by the HTML and PDF renderers.

Every figure is a plain SVG string with explicit width/height, black on white, text in a
generic sans-serif font, so it prints and scales cleanly and needs nothing at run time.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from ..fmt import plain

CELL = 56


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
            f'viewBox="0 0 {width:g} {height:g}" role="img" aria-label="{escape(label)}" '
            f'font-family="DejaVu Sans, Arial, sans-serif">' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, size: int = 13, anchor: str = "middle", weight: str = "normal",
          fill: str = "#000") -> str:
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}" dominant-baseline="middle">{escape(text)}</text>')


def grid_world(rows: int, cols: int, terminals: Sequence[Sequence[int]],
               highlight: Sequence[int] | None = None,
               values: Sequence[Sequence[float]] | None = None,
               arrows: Sequence[Sequence[str]] | None = None) -> str:
    """A grid world: terminal cells shaded, an optional asked cell outlined, optional values
    and policy arrows (``"up"``, ``"down"``, ``"left"``, ``"right"`` per cell, combined with '+')."""
    pad = 22
    width, height = cols * CELL + pad + 4, rows * CELL + pad + 4
    term = {tuple(t) for t in terminals}
    body = []
    for c in range(cols):
        body.append(_text(pad + c * CELL + CELL / 2, pad / 2, str(c), 12, fill="#555"))
    for r in range(rows):
        body.append(_text(pad / 2, pad + r * CELL + CELL / 2, str(r), 12, fill="#555"))
    for r in range(rows):
        for c in range(cols):
            x, y = pad + c * CELL, pad + r * CELL
            fill = "#c8c8c8" if (r, c) in term else "#fff"
            body.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" '
                        'stroke="#000" stroke-width="1.5"/>')
            if (r, c) in term:
                body.append(_text(x + CELL / 2, y + CELL / 2, "T", 18, weight="bold"))
            elif values is not None:
                body.append(_text(x + CELL / 2, y + CELL / 2, plain(values[r][c], 3), 13))
            if arrows is not None and (r, c) not in term:
                body += _arrows(x + CELL / 2, y + CELL / 2, arrows[r][c])
    if highlight is not None:
        r, c = highlight
        body.append(f'<rect x="{pad + c * CELL + 3}" y="{pad + r * CELL + 3}" width="{CELL - 6}" '
                    f'height="{CELL - 6}" fill="none" stroke="#c0392b" stroke-width="3" '
                    'stroke-dasharray="6 3"/>')
    label = f"{rows} by {cols} grid world; terminal cells " + ", ".join(f"s[{r},{c}]" for r, c in term)
    return _svg(width, height, body, label)


_DIRS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


def _arrows(cx: float, cy: float, spec: str) -> list[str]:
    out = []
    for d in filter(None, spec.split("+")):
        dx, dy = _DIRS[d]
        x2, y2 = cx + dx * 18, cy + dy * 18
        out.append(f'<line x1="{cx:g}" y1="{cy:g}" x2="{x2:g}" y2="{y2:g}" stroke="#1f4e99" '
                   'stroke-width="2"/>')
        hx, hy = -dy * 4, dx * 4  # arrow head
        out.append(f'<polygon points="{x2 + dx * 5:g},{y2 + dy * 5:g} {x2 + hx:g},{y2 + hy:g} '
                   f'{x2 - hx:g},{y2 - hy:g}" fill="#1f4e99"/>')
    return out
