"""Scoring: 0-10 per part, with follow-through and named mistakes.

The policy, its credits and its wording are in :mod:`examgen.policy`. Each answered step goes
through the marking rules in order (:func:`_classify`): its kind (:mod:`examgen.kinds`) says which
entries match the reference; the rest are tried against the solver re-run on the student's own
values (follow-through), then against each named mistake's value, then as near misses. Every
rule that fires leaves its note in the step's result, and the part's notes list them.

A wrong start never earns full marks, because follow-through credit is always below full credit;
but a step computed from correct, rounded earlier answers is simply right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .. import kinds, registry
from ..errors import ExamgenError
from ..kinds.parse import FormatError
from ..model import (AnswerSheet, Exam, Mistake, Part, PartReport, Question, QuestionReport,
                     GradeReport, Step, StepResult)
from ..policy import ANSWER_WEIGHT, CORRECT, FOLLOW_THROUGH, MISTAKE, NEAR_MISS, POLICY


class ExamMismatch(ExamgenError, ValueError):
    """The answer sheet belongs to another exam."""


class _Reruns:
    """The solver re-run on the student's values, plain and with each mistake; made on first use."""

    def __init__(self, q: Question, parsed: dict[str, Any], problems: list[str]):
        self.gen = self.givens = None
        self.parsed = parsed
        try:
            gen = registry.get(q.generator)
            if gen.version != q.version:
                raise ExamgenError(f"generator {q.generator} is now version {gen.version}, the exam has {q.version}")
            self.givens, self.gen = gen.Givens.model_validate(q.givens), gen
        except (ExamgenError, ValueError) as e:
            problems.append(f"{q.id}: no follow-through or mistake credit: {e}")

        self.stored = [(m, {k: kinds.of(q.step(k)).reference(q.step(k), v) for k, v in m.values.items()})
                       for m in q.mistakes if m.values]

    @cached_property
    def follow_through(self):
        return self.gen.run(self.givens, self.parsed) if self.gen and self.gen.rerun else None

    @cached_property
    def mistakes(self) -> list[tuple[Mistake, dict]]:
        ft = self.follow_through
        if ft is None:
            return self.stored
        return [(m, self.gen.run(self.givens, self.parsed, name).values) for name, m in ft.mistakes.items()]


@dataclass
class _Entries:
    """Credit per entry of one answer as the rules fill it in (a scalar answer is one entry)."""

    step: Step
    x: Any
    rest: np.ndarray  # entries no rule has matched yet
    credit: np.ndarray = None
    hits: dict[str, np.ndarray] = field(default_factory=dict)  # rule status -> entries it matched
    mistakes: list[Mistake] = field(default_factory=list)

    def __post_init__(self):
        self.credit = np.zeros(self.rest.shape)

    def take(self, status: str, hit: Any, credit: float) -> None:
        hit = np.asarray(hit, dtype=bool) & self.rest
        self.hits[status] = self.hits.get(status, False) | hit
        self.credit = np.where(hit, credit, self.credit)
        self.rest = self.rest & ~hit

    def any(self, status: str) -> bool:
        return bool(self.hits.get(status, np.zeros(1, bool)).any())


def _best_mistakes(step: Step, kind, x: Any, rest: np.ndarray, reruns: _Reruns) -> tuple[np.ndarray, list[Mistake]]:
    """The named mistakes whose value matches the most remaining entries (ties: all of them)."""
    best, matched = np.zeros_like(rest), []
    for m, values in reruns.mistakes:
        if step.name in values:
            hit = np.asarray(kind.matches(step, x, values[step.name]), dtype=bool) & rest
            count = int(hit.sum())
            if count and count > int(best.sum()):
                best, matched = hit, [m]
            elif count and count == int(best.sum()):
                matched.append(m)
    return best, matched


def _classify(step: Step, x: Any, ref: Any, reruns: _Reruns, inputs_correct: bool) -> StepResult:
    """The marking rules of :mod:`examgen.policy`, in order, on one parsed answer."""
    kind = kinds.of(step)
    ok = np.asarray(kind.matches(step, x, ref), dtype=bool)
    if ok.all():
        return StepResult(name=step.name, status=CORRECT.status, credit=1.0, expected=step.value)
    if any(np.all(kind.matches(step, x, kind.reference(step, alt))) for alt in step.alternatives or ()):
        return StepResult(name=step.name, status=CORRECT.status, credit=1.0, expected=step.value,
                          message="one of the equally right answers (a tie)")
    expected = kind.show(step, step.value)
    whole = kind.whole_credit(step, x, ref)
    if whole is not None:  # multi-select and ordering: credited as a whole, by their own rule
        named = [m for m, values in reruns.mistakes if step.name in values and values[step.name] == x]
        why = "; ".join([m.description for m in named] + kind.reasons(step, x, ref))
        status = MISTAKE.status if named else ("partial" if whole > 0 else "wrong")
        return StepResult(name=step.name, status=status, credit=round(whole, 4), expected=step.value,
                          mistakes=[m.name for m in named],
                          message=f"expected {expected}" + (f"; {why}" if why else ""))

    e = _Entries(step, x, np.ones(ok.shape, dtype=bool))
    e.take(CORRECT.status, ok, CORRECT.credit)
    ft_value = reruns.follow_through.values.get(step.name) if reruns.follow_through else None
    if ft_value is not None:
        ft = kind.matches(step, x, ft_value)
        if inputs_correct:  # right from rounded-but-right earlier answers is simply right
            e.take(CORRECT.status, ft, CORRECT.credit)
        else:
            e.take(FOLLOW_THROUGH.status, ft, FOLLOW_THROUGH.credit)
    if e.rest.any():
        hit, e.mistakes = _best_mistakes(step, kind, x, e.rest, reruns)
        if e.mistakes:
            e.take(MISTAKE.status, hit, max(m.credit for m in e.mistakes))
        e.take(NEAR_MISS.status, kind.near(step, x, ref), NEAR_MISS.credit)
    status, message = _verdict(e, kind, expected, ref)
    return StepResult(name=step.name, status=status, credit=round(float(np.mean(e.credit)), 4),
                      expected=step.value, mistakes=[m.name for m in e.mistakes], message=message)


def _verdict(e: _Entries, kind, expected: str, ref: Any) -> tuple[str, str | None]:
    """The step's status (its most telling rule) and the message that explains it."""
    step, right = e.step, e.hits[CORRECT.status] | e.hits.get(FOLLOW_THROUGH.status, False)
    if e.hits[CORRECT.status].all():
        return CORRECT.status, None
    if right.all():
        return FOLLOW_THROUGH.status, f"right given your earlier answers (from the givens: {expected})"
    if e.mistakes:
        why = ("; ".join(kind.reasons(step, e.x, ref)) if step.feedback  # bank step: why each choice is wrong
               else "; or: ".join(m.description for m in e.mistakes))
        return MISTAKE.status, f"{why} (expected {expected})"
    if e.any(NEAR_MISS.status):
        tol = step.tolerance.describe() if step.tolerance else ""
        return NEAR_MISS.status, f"close to {expected} but outside the tolerance ({tol})"
    if right.any():
        status, message = "partial", f"{int(right.sum())} of {right.size} entries right; expected {expected}"
    else:
        status, message = "wrong", f"expected {expected}"
    why = "; ".join(kind.reasons(step, e.x, ref)) if step.feedback else ""
    return status, f"{message}; {why}" if why else message


def _unknown_ids(q: Question, given: Any) -> list[str]:
    if not isinstance(given, dict):
        return [f"{q.id}: expected an object of parts, got {type(given).__name__}"]
    problems = []
    parts = {p.id: p for p in q.parts}
    for pid, answers in given.items():
        if pid not in parts:
            problems.append(f"{q.id}: unknown part '{pid}' (parts: {', '.join(parts)})")
        elif not isinstance(answers, dict):
            problems.append(f"{q.id}.{pid}: expected an object of steps, got {type(answers).__name__}")
        else:
            problems += [f"{q.id}.{pid}: unknown step '{name}' (steps: {', '.join(parts[pid].steps)})"
                         for name in answers if name not in parts[pid].steps]
    return problems


def _part_report(part: Part, results: dict[str, StepResult]) -> PartReport:
    steps = [results[n] for n in part.steps]
    if all(results[a].status == "correct" for a in part.answer):
        score = float(part.points)
        notes = ["final answer correct: full marks"]
    else:
        weights = [ANSWER_WEIGHT if r.name in part.answer else 1.0 for r in steps]
        score = round(part.points * sum(w * r.credit for w, r in zip(weights, steps)) / sum(weights), 1)
        notes = ["final answer not correct: credit from the steps"]
    for r in steps:
        if r.status != "correct" or score < part.points:
            notes.append(f"{r.name}: {r.status.replace('_', '-')}" + (f" ({r.message})" if r.message else ""))
    return PartReport(id=part.id, score=score, points=part.points, steps=steps, notes=notes)


def grade_question(q: Question, given: Any) -> QuestionReport:
    """Score one question's answers (``part id -> step name -> raw answer``)."""
    problems = _unknown_ids(q, given)
    given = given if isinstance(given, dict) else {}
    steps = {s.name: s for s in q.steps}
    raw: dict[str, Any] = {}
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for part in q.parts:
        answers = given.get(part.id)
        answers = answers if isinstance(answers, dict) else {}
        for name in part.steps:
            r = answers.get(name)
            if r is None or (isinstance(r, str) and not r.strip()):
                continue
            raw[name] = r
            try:
                parsed[name] = kinds.of(steps[name]).read(steps[name], r)
            except FormatError as e:
                errors[name] = str(e)

    reruns = _Reruns(q, parsed, problems)
    results: dict[str, StepResult] = {}
    inputs_correct = True
    for step in q.steps:
        if not step.asked:
            continue
        name = step.name
        if name in errors:
            res = StepResult(name=name, answer=raw[name], status="invalid", credit=0.0,
                             expected=step.value, message=errors[name])
        elif name not in parsed:
            res = StepResult(name=name, status="missing", credit=0.0, expected=step.value, message="no answer")
        else:
            res = _classify(step, parsed[name], kinds.of(step).reference(step), reruns, inputs_correct)
            res.answer = raw[name]
            inputs_correct = inputs_correct and res.status == "correct"
        results[name] = res

    parts = [_part_report(p, results) for p in q.parts]
    return QuestionReport(id=q.id, generator=q.generator, title=q.title,
                          score=round(sum(p.score for p in parts), 1),
                          points=sum(p.points for p in parts), parts=parts, problems=problems)


def _failed(q: Question, reason: str) -> QuestionReport:
    parts = [PartReport(id=p.id, score=0.0, points=p.points, steps=[], notes=[reason]) for p in q.parts]
    return QuestionReport(id=q.id, generator=q.generator, title=q.title, score=0.0,
                          points=sum(p.points for p in q.parts), parts=parts, problems=[f"{q.id}: {reason}"])


def grade_sheet(sheet: AnswerSheet, exam: Exam) -> GradeReport:
    """Score a whole answer sheet against its exam."""
    if sheet.exam_id != exam.id:
        raise ExamMismatch(f"these answers are for exam '{sheet.exam_id}', not for exam '{exam.id}'")
    ids = {q.id for q in exam.questions}
    problems = [f"unknown question '{qid}' (questions: {', '.join(sorted(ids))})"
                for qid in sheet.answers if qid not in ids]
    reports = []
    for q in exam.questions:
        try:
            reports.append(grade_question(q, sheet.answers.get(q.id, {})))
        except Exception as e:  # one broken question must not stop the rest of the sheet
            reports.append(_failed(q, f"could not be graded ({type(e).__name__}: {e})"))
    return GradeReport(exam_id=exam.id, student=sheet.student,
                       score=round(sum(r.score for r in reports), 1),
                       points=sum(r.points for r in reports), questions=reports,
                       problems=problems, policy=POLICY)
