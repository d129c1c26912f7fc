"""Terminal output: grade reports as tables, worked solutions as text."""

from __future__ import annotations

import textwrap

from ..fmt import plain as plain_number
from ..model import Exam, GradeReport, Question, Step
from .markup import plain
from .math import text as math_text
from .. import kinds
from .worked import notes, worked_latex

MARKS = {"correct": "✓", "follow_through": "↪", "mistake": "!", "near_miss": "≈", "partial": "½",
         "wrong": "✗", "missing": "·", "invalid": "?"}
LEGEND = ("✓ right  ↪ right given your earlier answers (follow-through)  ! named common mistake  "
          "≈ near miss  ½ partly right  ✗ wrong  · no answer  ? unreadable")


def value_text(value) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return "[" + "; ".join(", ".join(value_text(v) for v in r) for r in value) + "]"
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, float):
        return plain_number(value)
    return str(value)


def _answer_text(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else value_text(value)
    return text if len(text) <= 30 else text[:27] + "..."


def report_text(report: GradeReport, exam: Exam | None = None, width: int = 100) -> str:
    """The grade report as a readable table: per question, part and step."""
    labels = {}
    if exam is not None:
        labels = {(q.id, s.name): plain(s.label) for q in exam.questions for s in q.steps}
    who = f"  ·  student {report.student.id}" + (f" ({report.student.name})" if report.student and
                                                  report.student.name else "") if report.student else ""
    lines = [f"Exam {report.exam_id}{who}  ·  score {report.score:g} / {report.points}", ""]
    for q in report.questions:
        lines.append(f"{q.id}  {q.title:<{width - 22}} {q.score:>5g} / {q.points}")
        for p in q.parts:
            lines.append(f"  ({p.id}) {p.score:>4g}/{p.points}  {p.notes[0] if p.notes else ''}")
            for r in p.steps:
                label = labels.get((q.id, r.name), r.name)
                head = f"      {MARKS[r.status]} {label:<22} {_answer_text(r.answer):<16}"
                msg = plain(r.message or "")
                if r.mistakes:
                    msg = f"[{' or '.join(r.mistakes)}] {msg}"
                wrapped = textwrap.wrap(msg, max(width - len(head) - 1, 30)) or [""]
                lines.append(f"{head} {wrapped[0]}".rstrip())
                lines += [" " * (len(head) + 1) + w for w in wrapped[1:]]
        for problem in q.problems:
            lines.append(f"  note: {problem}")
        lines.append("")
    for problem in report.problems:
        lines.append(f"note: {problem}")
    lines += [LEGEND, "", textwrap.fill(report.policy, width)]
    return "\n".join(lines)


def step_text(st: Step) -> str:
    concept = kinds.of(st).solution_markup(st)
    if concept is not None:
        return plain(concept).replace("\n\n", "\n").replace("\n", "\n        ")
    extra = [plain(n) for n in notes(st) if n != st.explanation]
    return math_text(worked_latex(st)) + "".join(f"  ({e})" for e in extra)


def question_text(q: Question, width: int = 100) -> str:
    """A question with its worked solution, for ``examgen solve``."""
    lines = [f"{q.title}  [{q.generator} v{q.version}, goal {q.goal}]", ""]
    for para in plain(q.stem).split("\n\n"):
        verbatim = para.startswith(("- ", "    "))
        lines += (para.split("\n") if verbatim else textwrap.wrap(para, width)) + [""]
    for p in q.parts:
        lines += textwrap.wrap(f"({p.id}) {plain(p.prompt)}", width)
        for name in p.steps:
            st = q.step(name)
            star = " *" if name in p.answer else ""
            lines.append(f"    {plain(st.label)}{star}:  {step_text(st)}")
        lines.append("")
    hidden = [s for s in q.steps if not s.asked]
    if hidden:
        lines.append("Intermediate steps:")
        lines += [f"    {plain(s.label)}:  {step_text(s)}" for s in hidden]
        lines.append("")
    if q.mistakes:
        lines.append("Common mistakes the grader recognises:")
        lines += [f"  - {m.name}: {plain(m.description)}" for m in q.mistakes]
    lines.append("(* marks the answer of each part)")
    return "\n".join(lines)
