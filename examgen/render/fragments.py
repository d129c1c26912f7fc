"""HTML fragments of one question, for the practice app and tutoring tools: the question with its
answer widgets (no reference value), the marking of an answer, and the worked solution. They are
the exam and solutions pages' own templates (``templates/_question.html.j2``, ``_solution.html.j2``),
so a question reads the same everywhere; ``templates/_feedback.html.j2`` shows a marking.

A page that shows a question fragment also needs :func:`widget_script` (once, in a ``<script>``)
for its widgets to be read and filled; the fragments themselves hold no script.
"""

from __future__ import annotations

from markupsafe import Markup

from ..model import Question, QuestionReport
from .html import _env, widget_script

__all__ = ["question_fragment", "solution_fragment", "feedback_fragment", "widget_script"]


def _macro(template: str, name: str):
    return getattr(_env().get_template(template).module, name)


def question_fragment(q: Question, number: int | str = 1, tag: bool = True) -> str:
    """The question's stem, figure and answer widgets, named ``data-q=q.id`` (no key data)."""
    return str(_macro("_question.html.j2", "question_section")(q, number, tag))


def solution_fragment(q: Question) -> str:
    """Every part's worked steps, the steps shown only in the solution, and the named mistakes."""
    return str(_macro("_solution.html.j2", "worked_solution")(q))


def feedback_fragment(q: Question, report: QuestionReport) -> str:
    """The marking of one question: score per part, each step's status and message, named mistakes."""
    return str(_macro("_feedback.html.j2", "feedback")(q, report))


def as_markup(html: str) -> Markup:
    return Markup(html)
