"""The gradebook files of a graded class: ``gradebook.csv``, ``gradebook.json`` and ``canvas.csv``.

* ``gradebook.csv``: one row per gradebook row (a roster student, or a file that belongs to nobody
  on the roster): id, name, section, file, total, points possible, percent, a column per question
  and per part (``q3``, ``q3.b``), flags and notes. Text cells that a spreadsheet would read as a
  formula (starting with ``=``, ``+``, ``-``, ``@``) are prefixed with ``'``.
* ``gradebook.json``: the :class:`~examgen.model.Gradebook` with every full report
  (``examgen report`` reads it).
* ``canvas.csv``: the layout of Canvas's gradebook import (Grades → Import): ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column for the exam's total, a
  ``Points Possible`` row first; one row per roster student. ``SIS User ID`` is the roster id, the
  other ids come from the roster's ``canvas_id`` and ``sis_login_id`` columns. A score whose row
  has a flag that needs a decision (:data:`examgen.model.HELD`) is left empty, for the teacher to
  fill in (Canvas shows every change before an import is confirmed).
"""

from __future__ import annotations

import csv
import io as _io

from ..model import ClassStudent, Gradebook, GradebookRow
from ..render.text import safe


def _cell(text) -> str:
    """A text cell that no spreadsheet runs as a formula and no terminal as escape codes (control
    characters from a submitted file are written as escapes, see :func:`examgen.render.text.safe`)."""
    text = "" if text is None else safe(str(text))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def assignment_name(book: Gradebook) -> str:
    return f"IN5400 exam {book.spec.seed}"


def columns(book: Gradebook) -> list[str]:
    """The per-question and per-part columns, in exam order."""
    out = []
    for q in book.questions:
        out.append(q.id)
        out += [f"{q.id}.{p.id}" for p in q.parts]
    return out


def _scores(row: GradebookRow) -> dict[str, float]:
    if row.report is None:
        return {}
    out = {}
    for q in row.report.questions:
        out[q.id] = q.score
        out.update({f"{q.id}.{p.id}": p.score for p in q.parts})
    return out


def gradebook_csv(book: Gradebook) -> str:
    cols = columns(book)
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", "section", "file", "total", "points_possible", "percent", *cols, "flags", "notes"])
    for row in book.rows:
        s = row.student
        scores = _scores(row)
        percent = None if row.score is None or not row.points else round(100 * row.score / row.points, 1)
        w.writerow([_cell(s.id if s else ""), _cell(s.name if s else ""),
                    _cell(getattr(s, "section", None)), _cell(row.file), _num(row.score), row.points, _num(percent),
                    *[_num(scores.get(c)) for c in cols], " ".join(row.flags), _cell("; ".join(row.notes))])
    return buf.getvalue()


def canvas_csv(book: Gradebook) -> str:
    """The Canvas import file (see the module docstring)."""
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment_name(book)])
    w.writerow(["Points Possible", "", "", "", "", book.points])
    rows: dict[str, list[GradebookRow]] = {}
    roster: list[ClassStudent] = []
    for row in book.rows:
        if row.on_roster and row.student is not None:
            if row.student.id not in rows:
                roster.append(row.student)
            rows.setdefault(row.student.id, []).append(row)
    for s in roster:
        counted = [r for r in rows[s.id] if r.counted]
        score = counted[0].score if len(counted) == 1 and len(rows[s.id]) == 1 else None
        w.writerow([_cell(s.name or s.id), getattr(s, "canvas_id", None) or "", s.id,
                    getattr(s, "sis_login_id", None) or "", _cell(getattr(s, "section", None)), _num(score)])
    return buf.getvalue()


def files(book: Gradebook) -> dict[str, bytes]:
    """The three gradebook files by name."""
    return {"gradebook.csv": gradebook_csv(book).encode("utf-8"),
            "gradebook.json": (book.model_dump_json(indent=1) + "\n").encode("utf-8"),
            "canvas.csv": canvas_csv(book).encode("utf-8")}
