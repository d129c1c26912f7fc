"""Scoring: 0-10 per part, with follow-through and named mistakes.

The marking policy (also printed with every report, see :data:`POLICY`):

* A part whose final answer(s) are within tolerance scores 10.
* Otherwise the part earns credit for its steps, each weighted 1 (a final answer 2):
  a step right from the givens earns all its credit; a step right *given the student's
  own earlier values* (follow-through: the solver is re-run on them) earns 80 %;
  a step that matches a named common mistake earns that mistake's credit (usually 0)
  and the mistake is named; a value close to the reference but outside the tolerance
  (e.g. rounded too coarsely) earns 50 %. Arrays are credited entry by entry.
* A step computed from correct but rounded earlier answers counts as correct: when all
  the student's earlier answers are right, matching the re-computation from them is
  simply right.
* An unreadable answer is a format error (reported as such) and earns 0; a wrong start
  never earns full marks, because follow-through credit is always below full credit.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from ..errors import ExamgenError
from .. import registry
from ..fmt import plain
from ..model import (AnswerSheet, Exam, Mistake, Part, PartReport, Question, QuestionReport,
                     GradeReport, Step, StepResult)
from . import compare
from .parse import FormatError

FOLLOW_THROUGH_CREDIT = 0.8
NEAR_MISS_CREDIT = 0.5
ANSWER_WEIGHT = 2.0

POLICY = ("Each part is scored 0-10. Final answer within tolerance: 10. Otherwise each step earns "
          "credit (final answers count double): right: 100 %; right given your own earlier answers "
          "(follow-through): 80 %; a named common mistake: its stated credit (usually 0); close but "
          "outside the tolerance: 50 %. Arrays are credited entry by entry. Unreadable answers are "
          "format errors and earn 0.")


class ExamMismatch(ExamgenError, ValueError):
    """The answer sheet belongs to another exam."""


def show_value(value: Any) -> str:
    """A reference value in plain text, for messages."""
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, float):
        return plain(value)
    return str(value)


class _Reruns:
    """The solver re-run on the student's values, plain and with each mistake; made on first use."""

    def __init__(self, q: Question, parsed: dict[str, Any], problems: list[str]):
        self.gen = self.givens = None
        self.parsed = parsed
        try:
            gen = registry.get(q.generator)
            if gen.version != q.version:
                raise KeyError(f"generator {q.generator} is now version {gen.version}, the exam has {q.version}")
            self.givens, self.gen = gen.Givens.model_validate(q.givens), gen
        except (KeyError, ValueError) as e:
            problems.append(f"{q.id}: no follow-through or mistake credit: {e}")

        self.stored = [(m, {k: compare.reference(q.step(k), v) for k, v in m.values.items()})
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


def _classify(step: Step, x: Any, ref: Any, reruns: _Reruns, inputs_correct: bool) -> StepResult:
    ok = compare.matches(step, x, ref)
    if ok is True or (isinstance(ok, np.ndarray) and ok.all()):
        return StepResult(name=step.name, status="correct", credit=1.0, expected=step.value)
    ok = np.asarray(ok)
    custom = compare.partial_credit(step, x, ref)
    if custom is not None:  # multi-select and ordering: credited as a whole, by their own rule
        named = [m for m, values in reruns.mistakes if step.name in values and values[step.name] == x]
        why = "; ".join([m.description for m in named] + compare.reasons(step, x, ref))
        status = "mistake" if named else ("partial" if custom > 0 else "wrong")
        return StepResult(name=step.name, status=status, credit=round(custom, 4), expected=step.value,
                          mistakes=[m.name for m in named],
                          message=f"expected {compare.show_answer(step, step.value)}" + (f"; {why}" if why else ""))
    ft_value = reruns.follow_through.values.get(step.name) if reruns.follow_through else None
    ft = np.asarray(compare.matches(step, x, ft_value)) & ~ok if ft_value is not None else np.zeros_like(ok)
    if inputs_correct:  # right from rounded-but-right earlier answers is simply right
        ok, ft = ok | ft, np.zeros_like(ok)
    credit = np.where(ok, 1.0, np.where(ft, FOLLOW_THROUGH_CREDIT, 0.0))
    rest = ~(ok | ft)
    matched: list[Mistake] = []
    near = np.zeros_like(ok)
    if rest.any():
        best = None
        for m, values in reruns.mistakes:
            if step.name in values:
                hit = np.asarray(compare.matches(step, x, values[step.name])) & rest
                count = int(hit.sum())
                if count and (best is None or count > best[1]):
                    best, matched = (hit, count), [m]
                elif count and count == best[1]:
                    matched.append(m)
        if best is not None:
            hit = best[0]
            credit = np.where(hit, max(m.credit for m in matched), credit)
            rest = rest & ~hit
        near = compare.near(step, x, ref) & rest
        credit = np.where(near, NEAR_MISS_CREDIT, credit)

    expected = compare.show_answer(step, step.value) or show_value(step.value)
    if ok.all():
        status, message = "correct", None
    elif (ok | ft).all():
        status, message = "follow_through", f"right given your earlier answers (from the givens: {expected})"
    elif matched:
        if step.feedback:  # question-bank step: the reason for every wrong choice
            why = "; ".join(compare.reasons(step, x, ref))
        else:
            why = "; or: ".join(m.description for m in matched)
        status, message = "mistake", f"{why} (expected {expected})"
    elif near.any():
        tol = step.tolerance.describe() if step.tolerance else ""
        status, message = "near_miss", f"close to {expected} but outside the tolerance ({tol})"
    elif ok.any() or ft.any():
        status, message = "partial", f"{int((ok | ft).sum())} of {ok.size} entries right; expected {expected}"
    else:
        status, message = "wrong", f"expected {expected}"
    if status in ("partial", "wrong") and step.feedback:
        why = "; ".join(compare.reasons(step, x, ref))
        message = f"{message}; {why}" if why else message
    return StepResult(name=step.name, status=status, credit=round(float(np.mean(credit)), 4),
                      expected=step.value, mistakes=[m.name for m in matched], message=message)


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
                parsed[name] = compare.read(steps[name], r)
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
            res = _classify(step, parsed[name], compare.reference(step), reruns, inputs_correct)
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
