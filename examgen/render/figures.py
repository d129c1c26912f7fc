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


# --- grids of numbers (feature maps, kernels, masks) -----------------------------------------

GRID = 30


def _grid(x0: float, y0: float, values, *, cell: float = GRID, pad: int = 0, fill=None,
          digits: int = 2) -> list[str]:
    """A grid of numbers at (x0, y0); ``pad`` rings of grey zeros drawn around it; ``fill`` is an
    optional same-shaped list of colours per cell."""
    rows, cols = len(values), len(values[0])
    out = []
    for r in range(-pad, rows + pad):
        for c in range(-pad, cols + pad):
            inside = 0 <= r < rows and 0 <= c < cols
            x, y = x0 + (c + pad) * cell, y0 + (r + pad) * cell
            colour = (fill[r][c] if fill and inside else ("#fff" if inside else "#ececec"))
            out.append(f'<rect x="{x:g}" y="{y:g}" width="{cell:g}" height="{cell:g}" fill="{colour}" '
                       'stroke="#555" stroke-width="1"/>')
            text = plain(values[r][c], digits) if inside else "0"
            if inside or pad:
                out.append(_text(x + cell / 2, y + cell / 2 + 1, text, 12 if len(text) < 4 else 10,
                                 fill="#000" if inside else "#888"))
    return out


def grids(panels: Sequence[tuple[str, Sequence[Sequence[float]], int]], between: Sequence[str] = (),
          label: str = "") -> str:
    """Panels of number grids side by side, each ``(caption, values, pad)``, with optional symbols
    (e.g. '⋆', '→') between them."""
    gap, top = 34, 22
    widths = [(len(v[0]) + 2 * p) * GRID for _, v, p in panels]
    heights = [(len(v) + 2 * p) * GRID for _, v, p in panels]
    height = max(heights) + top + 6
    body, x = [], 4
    for i, ((caption, values, pad), w, h) in enumerate(zip(panels, widths, heights)):
        y = top + (max(heights) - h) / 2
        body.append(_text(x + w / 2, 10, caption, 12, weight="bold"))
        body += _grid(x, y, values, pad=pad)
        x += w
        if i < len(panels) - 1:
            symbol = between[i] if i < len(between) else ""
            body.append(_text(x + gap / 2, top + max(heights) / 2, symbol, 18))
            x += gap
    return _svg(x + 4, height, body, label or "grids of numbers")


# --- boxes in an image, binary masks ---------------------------------------------------------

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def boxes(width: float, height: float, items: Sequence[tuple[str, float, float, float, float]],
          scale: float | None = None, corners: bool = True, size: bool = True) -> str:
    """Axis-aligned boxes ``(label, x1, y1, x2, y2)`` in an image of ``width`` × ``height`` pixels
    (origin top-left, y downwards); ``corners``: write the corner coordinates (leave them out when
    they are what the question asks for); ``size``: write the image's size at its corner."""
    scale = scale or min(320 / width, 240 / height)
    m = 30
    body = [f'<rect x="{m}" y="{m}" width="{width * scale:g}" height="{height * scale:g}" '
            'fill="#fafafa" stroke="#000" stroke-width="1.2"/>',
            _text(m, m - 10, "(0, 0)", 10, anchor="start", fill="#555")]
    if size:
        body.append(_text(m + width * scale, m + height * scale + 14, f"({plain(width)}, {plain(height)})", 10,
                          anchor="end", fill="#555"))
    for i, (name, x1, y1, x2, y2) in enumerate(items):
        colour = COLOURS[i % len(COLOURS)]
        px, py = m + x1 * scale, m + y1 * scale
        body.append(f'<rect x="{px:g}" y="{py:g}" width="{(x2 - x1) * scale:g}" height="{(y2 - y1) * scale:g}" '
                    f'fill="{colour}" fill-opacity="0.12" stroke="{colour}" stroke-width="2"/>')
        body.append(_text(px + 4, py + 11, name, 12, anchor="start", weight="bold", fill=colour))
        if corners:
            body.append(_text(px, py - 5 if i % 2 == 0 else py + (y2 - y1) * scale + 12,
                              f"({plain(x1)}, {plain(y1)})", 9, anchor="start", fill=colour))
            body.append(_text(m + x2 * scale, m + y2 * scale + (12 if i % 2 == 0 else -5),
                              f"({plain(x2)}, {plain(y2)})", 9, anchor="end", fill=colour))
    return _svg(width * scale + 2 * m, height * scale + 2 * m, body, "boxes in an image")


def masks(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]], names: tuple[str, str] = ("A", "B")) -> str:
    """Two binary masks side by side (1 = filled), and their overlap."""
    rows, cols = len(a), len(a[0])
    fill_a = [["#9ecae1" if a[r][c] else "#fff" for c in range(cols)] for r in range(rows)]
    fill_b = [["#fdae6b" if b[r][c] else "#fff" for c in range(cols)] for r in range(rows)]
    both = [["#8c6d8f" if a[r][c] and b[r][c] else ("#9ecae1" if a[r][c] else ("#fdae6b" if b[r][c] else "#fff"))
             for c in range(cols)] for r in range(rows)]
    w = max(cols * GRID, 90)
    body = []
    for i, (caption, fill, vals) in enumerate(((names[0], fill_a, a), (names[1], fill_b, b),
                                               ("overlaid", both, None))):
        x = 4 + i * (w + 30)
        body.append(_text(x + w / 2, 10, caption, 12, weight="bold"))
        values = vals if vals is not None else [[(a[r][c] + b[r][c]) for c in range(cols)] for r in range(rows)]
        body += _grid(x, 22, values, fill=fill)
    return _svg(3 * w + 2 * 30 + 8, rows * GRID + 28, body, "binary masks")


# --- layer stacks, networks, unrolled RNNs, computation graphs ------------------------------

def _arrow(x1: float, y1: float, x2: float, y2: float, colour: str = "#333") -> list[str]:
    import math

    ang = math.atan2(y2 - y1, x2 - x1)
    hx, hy = x2 - 7 * math.cos(ang), y2 - 7 * math.sin(ang)
    px, py = 3.5 * math.sin(ang), -3.5 * math.cos(ang)
    return [f'<line x1="{x1:g}" y1="{y1:g}" x2="{hx:g}" y2="{hy:g}" stroke="{colour}" stroke-width="1.4"/>',
            f'<polygon points="{x2:g},{y2:g} {hx + px:g},{hy + py:g} {hx - px:g},{hy - py:g}" fill="{colour}"/>']


def layer_stack(blocks: Sequence[tuple[str, str]]) -> str:
    """Boxes left to right (``(title, detail)``), joined by arrows: an input and its layers."""
    w, h, gap = 118, 58, 26
    body = []
    for i, (title, detail) in enumerate(blocks):
        x = 4 + i * (w + gap)
        fill = "#f1f4fa" if i else "#fff7e6"
        body.append(f'<rect x="{x}" y="4" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="#333"/>')
        body.append(_text(x + w / 2, 21, title, 12, weight="bold"))
        for j, line in enumerate(detail.split("\n")):
            body.append(_text(x + w / 2, 38 + j * 13, line, 10))
        if i:
            body += _arrow(x - gap + 2, 4 + h / 2, x - 2, 4 + h / 2)
    return _svg(len(blocks) * (w + gap) - gap + 8, h + 8, body, "layer stack")


def network(sizes: Sequence[int], weights: Sequence[Sequence[Sequence[float]]] | None = None,
            names: Sequence[str] | None = None, node_labels: Sequence[Sequence[str]] | None = None) -> str:
    """A fully connected network drawn as layers of nodes; ``weights[l][j][k]`` (if given) is
    written on the edge from node k of layer l to node j of layer l+1, placed at a distance from
    the source that differs per source node, so that labels of crossing edges do not collide."""
    gap_x, gap_y, r = (230 if weights is not None else 150), 64, 17
    height = max(sizes) * gap_y + 30
    pos = [[(30 + r + l * gap_x, 30 + (height - 30 - n * gap_y) / 2 + j * gap_y + gap_y / 2)
            for j in range(n)] for l, n in enumerate(sizes)]
    lines, labels, nodes = [], [], []
    for l in range(len(sizes) - 1):
        n_src = len(pos[l])
        for j, (x2, y2) in enumerate(pos[l + 1]):
            for k, (x1, y1) in enumerate(pos[l]):
                lines.append(f'<line x1="{x1 + r:g}" y1="{y1:g}" x2="{x2 - r:g}" y2="{y2:g}" '
                             'stroke="#8a8a8a" stroke-width="1.1"/>')
                if weights is not None:
                    t = 0.27 + 0.48 * (k / (n_src - 1) if n_src > 1 else 0.0)
                    lx, ly = x1 + r + t * (x2 - x1 - 2 * r), y1 + t * (y2 - y1)
                    labels.append(f'<rect x="{lx - 13:g}" y="{ly - 8:g}" width="26" height="15" rx="3" '
                                  'fill="#fff" fill-opacity="0.92"/>')
                    labels.append(_text(lx, ly, plain(weights[l][j][k], 3), 10, fill="#1f4e99"))
    for l, layer in enumerate(pos):
        if names:
            nodes.append(_text(layer[0][0], 14, names[l], 12, weight="bold"))
        for j, (x, y) in enumerate(layer):
            nodes.append(f'<circle cx="{x:g}" cy="{y:g}" r="{r}" fill="#fff" stroke="#000" stroke-width="1.4"/>')
            nodes.append(_text(x, y + 1, node_labels[l][j] if node_labels else f"{j + 1}", 11))
    return _svg(60 + (len(sizes) - 1) * gap_x + 2 * r, height + 10, lines + labels + nodes, "dense network")


def unrolled_rnn(steps: int, inputs: Sequence[str], outputs: Sequence[str] | None = None,
                 h0: str = "h0") -> str:
    """An RNN unrolled over ``steps`` time steps: x_t below, the hidden state boxes, y_t above."""
    w, gap = 70, 46
    top = 30 if outputs else 4
    h0w = max(44, 7 * len(h0) + 8)
    body = [f'<rect x="4" y="{top + 40}" width="{h0w}" height="34" rx="5" fill="#fff7e6" stroke="#333"/>',
            _text(4 + h0w / 2, top + 57, h0, 11)]
    for t in range(steps):
        x = 4 + h0w + gap + t * (w + gap)
        body += _arrow(x - gap, top + 57, x, top + 57)
        body.append(f'<rect x="{x}" y="{top + 40}" width="{w}" height="34" rx="5" fill="#f1f4fa" stroke="#333"/>')
        body.append(_text(x + w / 2, top + 57, f"h{t + 1}", 12, weight="bold"))
        body += _arrow(x + w / 2, top + 118, x + w / 2, top + 76)
        body.append(_text(x + w / 2, top + 128, inputs[t], 11))
        if outputs and outputs[t]:
            body += _arrow(x + w / 2, top + 38, x + w / 2, top + 14)
            body.append(_text(x + w / 2, top + 5, outputs[t], 11))
    width = 4 + h0w + steps * (w + gap) + 8
    return _svg(width, top + 140, body, "unrolled recurrent network")


def graph(layers: Sequence[Sequence[tuple[str, str]]], edges: Sequence[tuple[str, str]]) -> str:
    """A computation graph: columns of ``(key, label)`` nodes (inputs first), edges between keys."""
    w, h, gap_x, gap_y = 92, 30, 46, 16
    rows = max(len(col) for col in layers)
    height = rows * (h + gap_y) + 10
    pos, body = {}, []
    for c, col in enumerate(layers):
        for r, (key, label) in enumerate(col):
            pos[key] = (4 + c * (w + gap_x), 5 + (height - len(col) * (h + gap_y)) / 2 + r * (h + gap_y), label)
    for a, b in edges:
        (x1, y1, _), (x2, y2, _) = pos[a], pos[b]
        body += _arrow(x1 + w, y1 + h / 2, x2, y2 + h / 2, "#666")
    for x, y, label in pos.values():
        body.append(f'<rect x="{x:g}" y="{y:g}" width="{w}" height="{h}" rx="6" fill="#f1f4fa" stroke="#333"/>')
        body.append(_text(x + w / 2, y + h / 2 + 1, label, 11))
    return _svg(len(layers) * (w + gap_x) - gap_x + 8, height, body, "computation graph")
