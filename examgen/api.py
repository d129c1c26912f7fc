"""The library API: what the CLI calls, and what a tutoring tool imports.

    >>> import examgen
    >>> exam = examgen.generate(topics=["rl", "cnn"], seed=7)
    >>> key = examgen.answer_sheet(exam, key=True)
    >>> examgen.grade(key, exam).score == exam_points(exam)
"""

from __future__ import annotations

from typing import Any

from . import registry
from .exam import SpecError, answer_sheet, build_exam, generate, selection
from .grading.mark import ExamMismatch, grade_question, grade_sheet
from .model import AnswerSheet, Exam, GradeReport, Question

__all__ = ["generate", "grade", "exam_for", "solve", "question", "answer_sheet", "build_exam", "grade_question",
           "exam_points", "answers_schema", "export_variants", "SpecError", "ExamMismatch"]


def exam_for(sheet: AnswerSheet) -> Exam:
    """Rebuild the exam an answer sheet names by its spec (checking it is the same exam)."""
    if sheet.spec is None:
        raise ExamMismatch("the answers name no exam spec; pass the exam (exam.json) too")
    torch_based = sorted({slot.gen.id for slot in selection(sheet.spec) if slot.gen.needs_torch})
    if torch_based:
        raise ExamMismatch(f"the exam has questions from {', '.join(torch_based)}, whose answers are "
                           "computed with PyTorch; grading never imports it: pass the exam (exam.json) too")
    exam = build_exam(sheet.spec)
    if exam.id != sheet.exam_id:
        raise ExamMismatch(f"rebuilding the answers' spec gives exam '{exam.id}', not '{sheet.exam_id}' "
                           "(a generator has changed since); pass the original exam.json")
    return exam


def grade(answers: AnswerSheet | dict[str, Any], exam: Exam | None = None) -> GradeReport:
    """Score an answer sheet. Without ``exam``, the exam is rebuilt from the sheet's spec."""
    sheet = answers if isinstance(answers, AnswerSheet) else AnswerSheet.model_validate(answers)
    return grade_sheet(sheet, exam if exam is not None else exam_for(sheet))


def solve(generator_id: str, givens: dict[str, Any]) -> Question:
    """The worked question for givens a user typed in (validated: see ``Generator.givens``)."""
    gen = registry.get(generator_id)
    return gen.build(gen.givens(givens))


def question(generator_id: str, seed: int) -> Question:
    """One random question from one generator."""
    return registry.get(generator_id).generate(seed)


def answers_schema(exam: Exam) -> dict:
    """The JSON Schema of an answers file for this exam: every question, part and step it asks,
    each answer in the form its kind reads (see :mod:`examgen.kinds`)."""
    from . import kinds

    schema = AnswerSheet.model_json_schema()

    def closed(properties: dict) -> dict:
        return {"type": "object", "properties": properties, "additionalProperties": False}

    schema["properties"]["answers"] = closed({
        q.id: closed({p.id: closed({n: kinds.of(q.step(n)).answer_schema(q.step(n)) for n in p.steps})
                      for p in q.parts})
        for q in exam.questions})
    schema["properties"]["exam_id"] = {"const": exam.id}
    schema["title"] = f"Answers to exam {exam.id}"
    return schema


def exam_points(exam: Exam) -> int:
    return sum(p.points for q in exam.questions for p in q.parts)


def export_variants(topics=None, seed: int | None = None, count: int | None = None, generators=None,
                    concept_share: float = 0.0, variants: int = 1) -> tuple[list[Exam], list[str]]:
    """``variants`` variants of one exam spec for an LMS export (``examgen.export``), with each
    named mistake's values stored in its question so that the exporters can write it as an
    alternative answer. One variant is the exam ``generate`` makes; several are the spec's variants
    ``v1``, ``v2``, ... (the same questions, other numbers, as a class's students get)."""
    import secrets

    from .registry import with_mistake_values

    seed = secrets.randbelow(10**6) if seed is None else seed
    ids = [f"v{k}" for k in range(1, variants + 1)]
    exams = [generate(topics=topics, seed=seed, count=count, generators=generators, concept_share=concept_share,
                      variant=v if variants > 1 else None) for v in ids]
    return [e.model_copy(update={"questions": [with_mistake_values(q) for q in e.questions]}) for e in exams], ids
