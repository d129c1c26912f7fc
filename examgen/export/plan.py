"""What every LMS exporter writes, worked out once from the exam model.

A question variant becomes an :class:`Item`: its parts, and in each part the LMS answer fields
(one per asked step, or one per entry of an array or statement of a true/false step), each with
its kind's neutral form (:meth:`examgen.kinds.Kind.lms`), the points it is worth, whether it is
part of the part's final answer, and the wrong answers the LMS can recognise (:class:`Alternative`:
the named mistakes whose values the question stores, and the near miss). The points follow
examgen's policy (:mod:`examgen.policy`): a part's points are shared by its steps, a final
answer weighing ``ANSWER_WEIGHT`` times an intermediate step, an array step's share split equally
among its entries; the part earns full points when all its final answers are right.

Nothing here re-runs a generator or imports the grader: everything comes from the stored exam.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from .. import kinds
from ..kinds import lms
from ..kinds.number import precision
from ..model import Exam, Part, Question, Step
from ..policy import ANSWER_WEIGHT, FOLLOW_THROUGH, NEAR_MISS
from ..render import markup
from ..render.worked import worked_latex

NEAR_MISS_FEEDBACK = "Close to the right value, but outside the tolerance: check the rounding."


@dataclass(frozen=True)
class Alternative:
    """A wrong answer the LMS recognises: a named mistake's value, or a near miss."""

    answer: lms.Number | str
    """The number (with the margin it is recognised within) or the option chosen."""
    credit: float
    feedback: str
    """Why it is wrong (stem markup)."""
    names: tuple[str, ...]
    """The mistakes it is (several when they give the same value), or ("near_miss",)."""


@dataclass(frozen=True)
class Field:
    """One answer field of an LMS item: a step, or one entry of an array or true/false step."""

    part: str
    step: Step
    entry: int | None
    """Which entry of the step's :class:`~examgen.kinds.lms.Entries` (row-major), or None."""
    label: str
    """Stem markup: the step's label, with the entry's index or the statement."""
    form: lms.Number | lms.Options | lms.Order | lms.Unsupported
    points: Fraction
    """What the field is worth when right (before the full-marks rule of its part)."""
    final: bool
    """Part of its part's final answer."""
    alternatives: tuple[Alternative, ...]
    also_right: tuple[lms.Number | lms.Options | lms.Order | lms.Unsupported, ...] = ()
    """Equally right answers (``Step.alternatives``, e.g. the tied actions of an argmax)."""

    @property
    def hint(self) -> str:
        """What form the answer takes: the step's kind's hint, or for one entry of a step its own."""
        if self.entry is None:
            return kinds.of(self.step).hint(self.step)
        if isinstance(self.form, lms.Number):
            return "a whole number" if self.form.exact else "a number" + precision(self.step.tolerance)
        if isinstance(self.form, lms.Options) and self.form.labels:
            return " or ".join(self.form.labels)
        return kinds.of(self.step).hint(self.step)


@dataclass
class PartPlan:
    part: Part
    fields: list[Field]

    @property
    def final(self) -> list[Field]:
        return [f for f in self.fields if f.final]


@dataclass
class Item:
    """One question variant as an LMS item."""

    ident: str
    """'q1-v2': the slot (question id in every variant) and the variant."""
    slot: str
    variant: str
    question: Question
    parts: list[PartPlan]

    @property
    def fields(self) -> list[Field]:
        return [f for p in self.parts for f in p.fields]

    @property
    def points(self) -> int:
        return sum(p.part.points for p in self.parts)

    @property
    def name(self) -> str:
        return f"{self.ident} {self.question.title}"


@dataclass
class Pool:
    """The variants of one question slot, of which the LMS draws one per student."""

    slot: str
    title: str
    items: list[Item]


def _weights(q: Question, part: Part) -> dict[str, Fraction]:
    """Each asked step's share of its part (final answers weigh ANSWER_WEIGHT)."""
    w = {n: Fraction(ANSWER_WEIGHT) if n in part.answer else Fraction(1) for n in part.steps}
    total = sum(w.values())
    return {n: v / total for n, v in w.items()}


def _leaves(form: lms.Form) -> list[tuple[int | None, str | None, lms.Leaf]]:
    if isinstance(form, lms.Entries):
        return [(i, label, leaf) for i, (label, leaf) in enumerate(zip(form.labels, form.entries))]
    return [(None, None, form)]


def _alternatives(q: Question, st: Step, entry: int | None, key: lms.Leaf) -> tuple[Alternative, ...]:
    """The named mistakes (with stored values) that give another answer here, then the near miss."""
    kind = kinds.of(st)
    found: list[Alternative] = []
    for m in q.mistakes:
        if not m.values or st.name not in m.values:
            continue
        leaves = _leaves(kind.lms(st, m.values[st.name]))
        if (entry is None) != (leaves[0][0] is None) or (entry is not None and len(leaves) <= entry):
            continue  # another shape: an LMS cannot recognise it entry by entry
        alt = leaves[entry or 0][2]
        answer: lms.Number | str | None = None
        if isinstance(key, lms.Number) and isinstance(alt, lms.Number):
            if abs(alt.value - key.value) > key.margin:
                answer = alt
        elif isinstance(key, lms.Options) and isinstance(alt, lms.Options) and not key.multiple:
            if alt.correct != key.correct:
                answer = alt.correct[0]
        if answer is None:
            continue
        same = next((i for i, a in enumerate(found) if _same(a.answer, answer)), None)
        if same is None:
            found.append(Alternative(answer, m.credit, m.description, (m.name,)))
        else:
            a = found[same]
            found[same] = Alternative(a.answer, max(a.credit, m.credit), f"{a.feedback}; or: {m.description}",
                                      a.names + (m.name,))
    if isinstance(key, lms.Number) and key.near:
        found.append(Alternative(lms.Number(key.value, margin=key.near), NEAR_MISS.credit, NEAR_MISS_FEEDBACK,
                                 ("near_miss",)))
    return tuple(found)


def _same(a: lms.Number | str, b: lms.Number | str) -> bool:
    if isinstance(a, lms.Number) and isinstance(b, lms.Number):
        return a.value == b.value
    return a == b


def item(q: Question, slot: str, variant: str) -> Item:
    parts = []
    for part in q.parts:
        shares = _weights(q, part)
        fields = []
        for name in part.steps:
            st = q.step(name)
            leaves = _leaves(kinds.of(st).lms(st))
            ties = [_leaves(kinds.of(st).lms(st, alt)) for alt in st.alternatives or ()]
            for entry, sub, leaf in leaves:
                also = tuple(t[entry or 0][2] for t in ties if len(t) == len(leaves) and t[entry or 0][2] != leaf)
                # an array entry: the step's label and the index; a statement: the statement
                label = st.label if sub is None else (f"{st.label} {sub}" if st.shape else sub)
                fields.append(Field(part=part.id, step=st, entry=entry, label=label, form=leaf,
                                    points=part.points * shares[name] / len(leaves), final=name in part.answer,
                                    alternatives=_alternatives(q, st, entry, leaf), also_right=also))
        parts.append(PartPlan(part, fields))
    return Item(ident=f"{slot}-{variant}", slot=slot, variant=variant, question=q, parts=parts)


def pools(exams: list[Exam], variant_ids: list[str]) -> list[Pool]:
    """The question slots of the exams (the variants of one exam spec), each with its variants."""
    n = len(exams[0].questions)
    if any(len(e.questions) != n for e in exams):
        raise ValueError("the variants do not have the same number of questions")
    out = []
    for i in range(n):
        items = [item(e.questions[i], f"q{i + 1}", v) for e, v in zip(exams, variant_ids)]
        out.append(Pool(slot=f"q{i + 1}", title=exams[0].questions[i].title, items=items))
    return out


# --- text ------------------------------------------------------------------------------------

_LISTED = re.compile(r"^- \w+\. (.*)$")


def stem(it: Item) -> str:
    """The question's stem without the list of its options or statements (question-bank items
    list them for the printed exam; in an LMS each is shown by its own choice or field)."""
    shown = set()
    for f in it.fields:
        if isinstance(f.form, (lms.Options, lms.Order)):
            shown |= set(f.form.options)
        if f.entry is not None and not f.step.shape:
            shown.add(f.label)
    blocks = re.split(r"\n[ \t]*\n", it.question.stem)
    kept = [b for b in blocks if not (shown and all((m := _LISTED.match(line)) and m.group(1) in shown
                                                    for line in b.split("\n")))]
    return "\n\n".join(kept)


def html(text: str, formula) -> str:
    """Stem markup as HTML, each formula written by ``formula(source, display)``."""
    return markup.html(text, formula)


def inline(text: str, formula) -> str:
    return markup.inline_html(text, formula)


def solution_html(q: Question, formula) -> str:
    """The worked solution: each part's steps, formula = numbers = value, and its explanation."""
    owner = {n: p for p in q.parts for n in p.steps}
    out, shown = [], None
    for st in q.steps:
        part = owner.get(st.name)
        if part is not None and part is not shown:
            out.append(f"<p><strong>({part.id})</strong></p>")
            shown = part
        concept = kinds.of(st).solution_markup(st)
        if concept is not None:
            out.append(markup.html(concept, formula))
            continue
        out.append(f"<p>{inline(st.label, formula)}: {formula(worked_latex(st), False)}</p>")
        if st.explanation:
            out.append(markup.html(st.explanation, formula))
    return "\n".join(out)


def tex(source: str, display: bool) -> str:
    """A formula for MathJax (Moodle's and Canvas's filters): ``\\( ... \\)`` or ``\\[ ... \\]``."""
    from html import escape

    return (r"\[" if display else r"\(") + escape(source, quote=False) + (r"\]" if display else r"\)")


def number(x: float) -> str:
    """A reference number for an LMS file: 12 significant digits (every tolerance is far wider)."""
    text = f"{x:.12g}"
    return "0" if text == "-0" else text


# --- what every format loses ----------------------------------------------------------------

def common_losses(all_items: list[Item]) -> list[str]:
    """What no LMS format here can express, with how to get it, and pools whose variants differ."""
    notes = [f"follow-through credit ({FOLLOW_THROUGH.credit:.0%} for a step that is right given the "
             "student's own earlier answers) cannot be expressed: for it, download the responses from the "
             "LMS and grade them with examgen (examgen import ... then examgen grade); in the LMS a step computed "
             "from a named mistake's value earns that mistake's credit"]
    notes.append("the LMS reads the typed numbers itself: examgen also reads fractions (1/4), a decimal comma "
                 "(0,25) and percentages, which an LMS may mark wrong (examgen grade marks the same responses "
                 "its own way)")
    unsupported = sorted({f.step.kind for it in all_items for f in it.fields if isinstance(f.form, lms.Unsupported)})
    if unsupported:
        count = sum(isinstance(f.form, lms.Unsupported) for it in all_items for f in it.fields)
        reason = next(f.form.reason for it in all_items for f in it.fields if isinstance(f.form, lms.Unsupported))
        notes.append(f"{count} {'/'.join(unsupported)} field(s) are checked as exact text only ({reason}); "
                     "grade their responses with examgen")
    points: dict[str, set[int]] = {}
    for it in all_items:
        points.setdefault(it.slot, set()).add(it.points)
    uneven = [f"{slot} ({', '.join(map(str, sorted(p)))})" for slot, p in points.items() if len(p) > 1]
    if uneven:
        notes.append("the variants of " + ", ".join(uneven) + " have different points; an LMS that draws one "
                     "per student scores them on one scale, so their steps weigh differently")
    without = sum(1 for it in all_items for m in it.question.mistakes if m.values is None)
    if without:
        notes.append(f"{without} named mistake(s) have no stored values (an exam.json made by an older "
                     "generator version), so the LMS cannot recognise them")
    return notes
