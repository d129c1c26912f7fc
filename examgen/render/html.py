"""Exam and worked-solution pages as self-contained HTML (inline CSS, MathML, inline SVG).

The exam page holds no reference value: only stems, prompts, labels and answer fields (and a
small optional script that saves the typed answers as ``answers.json``). The solutions page
shows every step with its formula, the numbers put in, and the value.
"""

from __future__ import annotations

import json
from functools import lru_cache

import jinja2
from markupsafe import Markup

from .. import registry
from ..grading.mark import POLICY
from ..model import Exam, Question
from ..resources import data_dir
from . import markup
from .math import mathml
from .worked import hint, worked_latex


def figure(q: Question) -> str | None:
    """The question's SVG figure, if its generator draws one."""
    try:
        gen = registry.get(q.generator)
        return gen.figure(gen.Givens.model_validate(q.givens))
    except (KeyError, ValueError):
        return None


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["markup"] = lambda s: Markup(markup.html(s))
    env.filters["inline"] = lambda s: Markup(markup.inline_html(s))
    env.globals.update(figure=figure, hint=hint,
                       worked=lambda st: Markup(mathml(worked_latex(st), display=True)))
    return env


def exam_html(exam: Exam) -> str:
    meta = json.dumps({"exam_id": exam.id, "spec": exam.spec.model_dump(mode="json")}).replace("</", "<\\/")
    return _env().get_template("exam.html.j2").render(exam=exam, meta=meta)


def solutions_html(exam: Exam) -> str:
    return _env().get_template("solutions.html.j2").render(exam=exam, policy=POLICY)
