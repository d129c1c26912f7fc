"""Exam and worked-solution pages as self-contained HTML (inline CSS, MathML, inline SVG).

The exam page holds no reference value: only stems, prompts, labels and answer widgets (each
kind's own, see :mod:`examgen.kinds`), and a small script that keeps what was typed and saves it
as ``answers.json``. The solutions page shows every step with its formula, the numbers put in, and
the value. The practice app uses the same question and solution templates
(``_question.html.j2``, ``_solution.html.j2``) through :mod:`.fragments`.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from .. import kinds
from ..model import Exam, Part, Question, Step
from ..policy import INSTRUCTIONS, POLICY
from ..resources import data_dir, template_environment
from . import markup
from .math import mathml
from .worked import notes, worked_lines


def worked_html(st: Step) -> Markup:
    """Formula, numbers and value on successive lines, each continuing with '='; a question-bank
    answer with its explanation."""
    concept = kinds.of(st).solution_markup(st)
    if concept is not None:
        return Markup('<div class="worked concept">' + markup.html(concept) + "</div>")
    lines = worked_lines(st)
    blocks = [f"<div>{mathml(line if i == 0 else '= ' + line)}</div>" for i, line in enumerate(lines)]
    blocks += [markup.html(note) for note in notes(st)]
    return Markup('<div class="worked">' + "".join(blocks) + "</div>")


@lru_cache(maxsize=1)
def math_font_css() -> Markup:
    """An @font-face embedding examgen's math font (a subset of STIX Two Math, SIL OFL 1.1; see
    tools/build_math_font.py), so Greek and math italic render on machines without a math font.
    (Markup: CSS is not HTML-escaped.)"""
    font = Path(__file__).with_name("fonts") / "STIXTwoMath-subset.woff2"
    data = base64.b64encode(font.read_bytes()).decode("ascii")
    return Markup('@font-face { font-family: "examgen math"; font-display: block; '
                  f'src: url(data:font/woff2;base64,{data}) format("woff2"); }}')


@lru_cache(maxsize=1)
def _env():
    env = template_environment(html=True)
    env.filters["markup"] = lambda s: Markup(markup.html(s))
    env.filters["inline"] = lambda s: Markup(markup.inline_html(s))
    env.globals.update(kind=kinds.of, field=answer_field, worked=worked_html, math_font_css=math_font_css,
                       instructions=INSTRUCTIONS, widget_script=widget_script)
    return env


def answer_field(q: Question, p: Part, st: Step) -> Markup:
    """A step's answer field (its kind's widget), named by question, part and step."""
    field_id = escape(f"{q.id}.{p.id}.{st.name}")
    data = f'data-q="{escape(q.id)}" data-p="{escape(p.id)}" data-s="{escape(st.name)}"'
    return Markup(kinds.of(st).html_field(st, field_id, data))


def widget_script(questions) -> Markup:
    """The shared widget script (``templates/widgets.js``) and the scripts of the kinds these
    questions use, to go inside a ``<script>`` element."""
    used = sorted({st.kind for q in questions for st in q.steps if st.asked})
    scripts = dict.fromkeys(kinds.of(k).widget_script for k in used if kinds.of(k).widget_script)
    return Markup((_shared_script() + "\n" + "\n".join(scripts)).replace("</", "<\\/"))


@lru_cache(maxsize=1)
def _shared_script() -> str:
    return (data_dir("templates") / "widgets.js").read_text(encoding="utf-8")


def exam_html(exam: Exam) -> str:
    meta = json.dumps({"exam_id": exam.id, "spec": exam.spec.model_dump(mode="json")}).replace("</", "<\\/")
    return _env().get_template("exam.html.j2").render(exam=exam, meta=meta)


def solutions_html(exam: Exam) -> str:
    return _env().get_template("solutions.html.j2").render(exam=exam, policy=POLICY)
