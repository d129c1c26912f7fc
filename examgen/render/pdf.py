"""Print-ready PDF exams and worked solutions, typeset with Typst.

Why Typst: it installs with ``pip`` (the ``typst`` wheel carries the compiler and its fonts,
New Computer Modern text and math, embedded in every PDF), needs no TeX and no browser, and
compiles an exam in well under a second. Math is written once, as LaTeX, by the generators, and
converted to Typst math by :mod:`examgen.render.latex`. The Typst sources are Jinja2 templates in
``templates/`` (``exam.typ.j2``, ``solutions.typ.j2``, ``common.typ``); figures are the same
SVGs as in the HTML, passed to Typst as ``sys.inputs``.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache


from .. import kinds
from ..model import Exam, Part, Step, Student
from ..policy import INSTRUCTIONS, POLICY
from ..resources import data_dir, template_environment
from . import latex
from .markup import blocks, inline, scripts
from . import worked

@lru_cache(maxsize=8192)
def math(source: str, display: bool = False) -> str:
    """A LaTeX formula as Typst math (``$...$``; ``$ ... $`` for display)."""
    return latex.typst(source, display)


_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~/=+\-])")

def _escape(s: str) -> str:
    return _SPECIAL.sub(r"\\\1", s)


def _text(s: str) -> str:
    """Plain text as Typst markup, with prose scripts (``sigma^2``, ``G_t``; see
    :data:`markup.SCRIPT`) as real super- and subscripts: the text font draws a bare caret as a
    hat accent."""
    return scripts(s, _escape, lambda b: f"#super[{b}];", lambda b: f"#sub[{b}];")  # ';' ends the call


def _inline(s: str) -> str:
    return inline(s, _text, math)


def markup(text: str) -> str:
    """The stem markup (see :mod:`examgen.render.markup`) as Typst markup."""
    out = []
    for kind, body in blocks(text):
        if kind == "code":
            fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", body)), default=0) + 1)
            out.append(f"{fence}\n{body}\n{fence}")
        elif kind == "list":
            out.append("\n".join("- " + _inline(item) for item in body))
        else:
            out.append(_inline(body))
    return "\n\n".join(out)


def typst_string(s: str) -> str:
    """A Typst string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def worked_lines(st: Step) -> list[str]:
    """Formula, numbers, value: one display equation each, continuing with '='; a question-bank
    answer with its explanation."""
    concept = kinds.of(st).solution_markup(st)
    if concept is not None:
        return [markup(concept)]
    lines = worked.worked_lines(st)
    out = [math(line if i == 0 else "= " + line, display=True) for i, line in enumerate(lines)]
    return out + [markup(note) for note in worked.notes(st)]


def answer_field(st: Step) -> str:
    """Room to write a step's answer (its kind's answer box)."""
    return kinds.of(st).pdf_field(st, markup(st.label))


def working_height(p: Part) -> str:
    return f"{min(1.2 + 0.7 * len(p.steps), 5.5):.1f}cm"


@lru_cache(maxsize=1)
def _env():
    env = template_environment(html=False)
    env.filters.update(tmarkup=markup, tstr=typst_string)
    env.globals.update(worked_lines=worked_lines, kind=kinds.of, answer_field=answer_field,
                       working_height=working_height, instructions=markup(INSTRUCTIONS))
    return env


def figures(exam: Exam) -> dict[str, str]:
    """The questions' SVG figures, by question id, for :func:`typeset` (Typst reads them as inputs)."""
    return {q.id: q.figure for q in exam.questions if q.figure}


@lru_cache(maxsize=1)
def _common() -> str:
    return (data_dir("templates") / "common.typ").read_text(encoding="utf-8")


_local = threading.local()


def _compiler():
    """One Typst compiler per thread (it keeps its fonts loaded, and is not thread-safe). System
    fonts are ignored, so every machine typesets with the same embedded fonts and the same PDF
    comes out."""
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        import typst

        compiler = _local.compiler = typst.Compiler(ignore_system_fonts=True)
    return compiler


def warm_up() -> None:
    """Make this thread's compiler and load the fonts, e.g. while the questions are generated."""
    _compiler().compile(input=b"*warm* $x^2 + sum_i y_i$", format="pdf", pdf_tags=False)


def typeset(source: str, svgs: dict[str, str] | None = None) -> bytes:
    """Typeset to PDF. The shared helpers are inlined, so the source compiles from memory with no
    file access. The PDF is untagged: tags cost about 6 % of the typesetting time and double the
    file, and the accessible version of every document is its HTML page (MathML, real text)."""
    source = source.replace('#import "common.typ": *', _common(), 1)
    inputs = {f"fig-{qid}": svg for qid, svg in (svgs or {}).items()}
    return _compiler().compile(input=source.encode(), format="pdf", sys_inputs=inputs, pdf_tags=False)


def _topics(exam: Exam) -> str:
    from ..topics import topic

    return ", ".join(f"{topic(t).name} ({topic(t).number})" for t in exam.spec.topics)


def exam_source(exam: Exam, student: Student | None = None) -> str:
    """The exam's Typst source (its figures go in separately: ``typeset(source, figures(exam))``)."""
    return _env().get_template("exam.typ.j2").render(
        exam=exam, student=student, title=exam.title, topics=markup(_topics(exam)),
        footer=markup(f"IN5400 practice exam {exam.id}" + (f" · {student.id}" if student else "")),
        subtasks=sum(len(q.parts) for q in exam.questions),
        points=sum(p.points for q in exam.questions for p in q.parts))


def solutions_source(exam: Exam) -> str:
    """The worked solutions' Typst source."""
    return _env().get_template("solutions.typ.j2").render(
        exam=exam, title=f"Solutions: {exam.title}", policy=POLICY,
        footer=markup(f"IN5400 practice exam {exam.id}"))


def exam_pdf(exam: Exam, student: Student | None = None) -> bytes:
    """The exam as a PDF: cover page, one question per block, answer space per step."""
    return typeset(exam_source(exam, student), figures(exam))


def solutions_pdf(exam: Exam) -> bytes:
    """The worked solutions as a PDF, to read beside the exam: every part's task and every step
    with formula, numbers and value. Question texts and figures are not repeated: they are in the
    exam PDF beside it, and typesetting them again cost a third of this document's time."""
    return typeset(solutions_source(exam))
