"""Feedback pages: ``feedback/<folder>.html``, one per student of a graded class.

Each page is self-contained (inline CSS, MathML, SVG) and prints cleanly: the score per question
and part, every step's result (right, follow-through, a named mistake with its explanation, a near
miss, a format error ...) with the student's answer, then the worked solution of the student's
own variant. Everything the student wrote is shown as escaped text, never as markup.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup, escape

from ..model import Exam, GradeReport, Student
from ..policy import POLICY
from ..render.latex import LatexError
from ..render.markup import inline_html
from ..render.text import safe, value_text

WORDS = {"correct": "right", "follow_through": "follow-through", "mistake": "named mistake",
         "near_miss": "near miss", "partial": "partly right", "wrong": "wrong", "missing": "no answer",
         "invalid": "format error"}
"""How each step status reads on the page (the legend)."""


def score_text(x: float) -> str:
    return f"{x:g}"


def _message(text: str) -> Markup:
    """A grader message as HTML: its math rendered when it parses, else all of it as text (a
    message may quote the student's answer)."""
    text = safe(text)
    try:
        return Markup(inline_html(text))
    except LatexError:
        return escape(text)


def _answer(value) -> str:
    """A student's raw answer as text (control characters shown as escapes), cut to 120 characters."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else value_text(value)
    return safe(text if len(text) <= 120 else text[:117] + "...")


START, END = "<!-- examgen: worked solutions of exam {} -->", "<!-- examgen: end of worked solutions -->"


def stored_solutions(exam: Exam, solutions_html: Path) -> Markup | None:
    """The worked solutions of ``exam`` from the class's ``solutions.html`` (written with the class;
    typesetting them again is most of a feedback page's cost), or None when there is none for it."""
    try:
        text = solutions_html.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    start, end = text.find(START.format(exam.id)), text.rfind(END)
    return Markup(text[start:end]) if 0 <= start < end else None


def feedback_page(exam: Exam, report: GradeReport | None, student: Student | None = None,
                  flags: list[str] | None = None, file: str | None = None, class_title: str = "",
                  solutions: Path | None = None) -> str:
    """The feedback page of one student: ``report`` (None: no sheet) and the worked solution of
    their own variant ``exam`` (taken from its ``solutions`` page when there is one); ``flags``
    are the gradebook's notes on their sheet."""
    from ..render.html import render_page

    labels = {(q.id, s.name): s.label for q in exam.questions for s in q.steps}

    def label(qid: str, name: str) -> Markup:
        text = labels.get((qid, name))
        return _message(text) if text else escape(name)

    who = "student"
    if student is not None:
        who = f"{student.name} ({student.id})" if student.name else student.id
    percent = f"{100 * report.score / report.points:.0f}" if report and report.points else "0"
    return render_page("feedback.html.j2", exam=exam, report=report, student_line=who, notes=flags or [],
                       file=file, class_title=class_title, percent=percent, words=WORDS, label=label,
                       answer=_answer, message=_message, policy=POLICY, score=score_text,
                       worked_html=stored_solutions(exam, solutions) if solutions else None)
