"""Item analysis of a graded class (``examgen report gradebook.json``, also written by
``grade --class``): which questions, parts, steps and mistakes the class struggled with.

Over the rows whose score counts (roster students with one sheet and no flag that needs a
decision), per question and per part:

* **mean** score and its share of the points; **full**: the share of students with full marks;
  **blank**: the share who answered none of its steps;
* **discrimination**: the corrected item–total correlation, Pearson's r between the item's score
  and the total *without* that item (an item the strong students get and the weak ones miss has
  r near 1; below 0.2 it tells the teacher little; None when either has no spread);
* the most frequent **named mistakes** and **format errors** (per step, across the class).

For the exam: the number graded, mean, standard deviation, median, the histogram of totals, and
**Cronbach's alpha** over the parts, ``k/(k-1) * (1 - sum(var(part)) / var(total))`` (sample
variances), how consistently the parts measure one thing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..model import Gradebook

TOP = 3
"""Named mistakes and format errors listed per part."""


@dataclass
class Item:
    """Statistics of one question or part (``part`` None for a question)."""

    question: str
    part: str | None
    title: str
    points: int
    mean: float
    full: float
    blank: float
    discrimination: float | None
    mistakes: list[tuple[str, int, str]] = field(default_factory=list)  # name, count, what it is
    format_errors: list[tuple[str, int]] = field(default_factory=list)  # step label, count

    @property
    def key(self) -> str:
        return self.question if self.part is None else f"{self.question}.{self.part}"


@dataclass
class Analysis:
    title: str
    points: int
    n: int
    mean: float | None
    sd: float | None
    median: float | None
    alpha: float | None
    totals: list[float]
    questions: list[Item]
    parts: list[Item]
    excluded: int
    """Rows left out: no sheet, or a flag that needs the teacher's decision."""


def corrected_item_total(item: np.ndarray, total: np.ndarray) -> float | None:
    """Pearson's r between ``item`` and ``total - item`` (None without spread)."""
    rest = total - item
    if len(item) < 3 or item.std() == 0 or rest.std() == 0:
        return None
    return float(np.corrcoef(item, rest)[0, 1])


def cronbach_alpha(items: np.ndarray) -> float | None:
    """Cronbach's alpha of an (students × items) score matrix (None for fewer than 2 of either)."""
    n, k = items.shape
    if n < 2 or k < 2:
        return None
    total_var = items.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return None
    return float(k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / total_var))


def _why(message: str | None) -> str:
    """A named mistake's explanation from a step's message (without the expected value)."""
    text = (message or "").split(" (expected ")[0]
    return text[:160]


def analyse(book: Gradebook) -> Analysis:
    """The item analysis of ``book`` (see the module docstring)."""
    rows = [r for r in book.rows if r.counted and r.report is not None]  # duplicates are not counted
    excluded = len({r.student.id for r in book.rows if r.on_roster}) - len(rows)
    totals = np.array([r.score for r in rows], dtype=float)
    q_items, p_items, part_columns = [], [], []
    for qi, q in enumerate(book.questions):
        reports = [r.report.questions[qi] if qi < len(r.report.questions) else None for r in rows]
        q_scores = np.array([qr.score if qr else 0.0 for qr in reports])
        q_blank = [qr is None or all(s.status == "missing" for p in qr.parts for s in p.steps) for qr in reports]
        q_items.append(_item(q.id, None, q.title, sum(p.points for p in q.parts), q_scores, q_blank, totals))
        for pi, p in enumerate(q.parts):
            parts = [qr.parts[pi] if qr and pi < len(qr.parts) else None for qr in reports]
            scores = np.array([pr.score if pr else 0.0 for pr in parts])
            blank = [pr is None or all(s.status == "missing" for s in pr.steps) for pr in parts]
            item = _item(q.id, p.id, q.title, p.points, scores, blank, totals)
            mistakes: Counter = Counter()
            why: dict[str, str] = {}
            errors: Counter = Counter()
            for pr in parts:
                for si, s in enumerate(pr.steps if pr else []):
                    for name in s.mistakes:
                        mistakes[name] += 1
                        why.setdefault(name, _why(s.message))
                    if s.status == "invalid":
                        errors[p.steps[si] if si < len(p.steps) else s.name] += 1
            item.mistakes = [(name, n, why[name]) for name, n in mistakes.most_common(TOP)]
            item.format_errors = errors.most_common(TOP)
            p_items.append(item)
            part_columns.append(scores)
    matrix = np.column_stack(part_columns) if part_columns and len(rows) else np.zeros((len(rows), 0))
    n = len(rows)
    return Analysis(title=book.title, points=book.points, n=n,
                    mean=float(totals.mean()) if n else None, sd=float(totals.std(ddof=1)) if n > 1 else None,
                    median=float(np.median(totals)) if n else None, alpha=cronbach_alpha(matrix),
                    totals=totals.tolist(), questions=q_items, parts=p_items, excluded=excluded)


def _item(qid, pid, title, points, scores, blank, totals) -> Item:
    n = len(scores)
    return Item(question=qid, part=pid, title=title, points=points,
                mean=float(scores.mean()) if n else 0.0,
                full=float(np.mean(scores >= points)) if n else 0.0,
                blank=float(np.mean(blank)) if n else 0.0,
                discrimination=corrected_item_total(scores, totals) if n else None)


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def table(a: Analysis, width: int = 110) -> str:
    """The item analysis as a terminal table."""
    from ..render.text import safe

    lines = [f"{a.title}", f"{a.n} student{'' if a.n == 1 else 's'} counted ({a.excluded} left out: no sheet, or a flag to decide)"]
    if a.n:
        lines.append(f"mean {a.mean:.1f} / {a.points} · sd {_fmt(a.sd, 1)} · median {a.median:g} · "
                     f"Cronbach's alpha {_fmt(a.alpha)}")
    lines.append("")
    head = f"{'item':<8} {'mean':>6} {'of':>4} {'full':>5} {'blank':>6} {'disc':>5}  most frequent named mistake / format error"
    lines += [head, "-" * min(width, len(head) + 10)]
    for q in a.questions:
        lines.append(_row(q, bold=True))
        for p in (p for p in a.parts if p.question == q.question):
            lines.append(_row(p))
    lines += ["", "mean: average score; full / blank: share with full marks / with nothing answered;",
              "disc: corrected item-total correlation (below 0.2: the item tells strong from weak students poorly)"]
    return "\n".join(safe(line)[:width] if len(line) > width else safe(line) for line in lines)


def _row(item: Item, bold: bool = False) -> str:
    name = item.key if item.part is None else f"  {item.part}"
    worst = ""
    if item.mistakes:
        worst = f"{item.mistakes[0][0]} ×{item.mistakes[0][1]}"
    if item.format_errors:
        worst += ("; " if worst else "") + f"format: {item.format_errors[0][0]} ×{item.format_errors[0][1]}"
    title = f"  {item.title}" if bold else ""
    return (f"{name:<8} {item.mean:>6.1f} {item.points:>4} {item.full:>5.0%} {item.blank:>6.0%} "
            f"{_fmt(item.discrimination):>5}  {worst if not bold else title}")


def report_html(a: Analysis, seed: int) -> str:
    """``report.html``: the analysis with SVG charts (histogram of totals, mean and discrimination
    per part) and the full table; self-contained."""
    from markupsafe import Markup

    from ..render.html import render_page
    from .charts import bars, histogram

    means = [(p.key, 100 * p.mean / p.points if p.points else 0.0,
              f"{p.key} {p.title}: mean {p.mean:.1f} of {p.points}; full marks {p.full:.0%}, blank {p.blank:.0%}")
             for p in a.parts]
    disc = [(p.key, p.discrimination, f"{p.key} {p.title}: r = {_fmt(p.discrimination)}") for p in a.parts]
    return render_page(
        "report.html.j2", a=a, seed=seed, fmt=_fmt, pct=lambda x: f"{100 * x:.0f} %",
        histogram=Markup(histogram(a.totals, a.points)),
        means=Markup(bars(means, 0, 100, unit="%", title="Mean score per part", digits=0)),
        discrimination=Markup(bars(disc, -0.5, 1.0, ref=0.2, title="Discrimination per part",
                                   ticks=[-0.5, -0.25, 0, 0.25, 0.5, 0.75, 1])))
