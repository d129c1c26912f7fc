"""Item analysis: the statistics against hand-worked cases (the pages in a real browser:
tests/browser/test_class_pages.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from examgen import api
from examgen.classroom.analysis import analyse, corrected_item_total, cronbach_alpha, table
from examgen.model import (ClassStudent, Gradebook, GradebookRow, GradeReport, OutlinePart, OutlineQuestion,
                           PartReport, QuestionReport, StepResult)

def test_cronbach_alpha_by_hand():
    # items (columns) of 4 students: a = 1, 2, 3, 4: sample variance 5/3; b = 2, 3, 3, 6: 9/3 = 3;
    # totals 3, 5, 6, 10 (mean 6): 26/3. alpha = 2/1 * (1 - (5/3 + 3) / (26/3)) = 2 * 12/26 = 12/13
    scores = np.array([[1, 2], [2, 3], [3, 3], [4, 6]], dtype=float)
    assert cronbach_alpha(scores) == pytest.approx(12 / 13)
    assert cronbach_alpha(np.array([[1.0, 1.0]])) is None, "one student: no alpha"


def test_corrected_item_total_correlation_by_hand():
    # item 0, 1, 2 and the rest of the test 1, 2, 3: perfectly in step
    assert corrected_item_total(np.array([0.0, 1, 2]), np.array([1.0, 3, 5])) == pytest.approx(1.0)
    # item 2, 1, 0 against rest 0, 2, 4: r = -1
    assert corrected_item_total(np.array([2.0, 1, 0]), np.array([2.0, 3, 4])) == pytest.approx(-1.0)
    assert corrected_item_total(np.array([1.0, 1, 1]), np.array([2.0, 3, 4])) is None, "no spread"


def _book(part_scores: list[list[float | None]]) -> Gradebook:
    """A gradebook of one question with two parts (10 points each), a row per student; None: blank."""
    outline = [OutlineQuestion(id="q1", generator="g", title="T", parts=[
        OutlinePart(id="a", points=10, steps=["x"]), OutlinePart(id="b", points=10, steps=["y"])])]
    rows = []
    for i, scores in enumerate(part_scores):
        parts = []
        for pid, step, sc in zip("ab", "xy", scores):
            status = "missing" if sc is None else ("correct" if sc == 10 else "mistake")
            parts.append(PartReport(id=pid, score=sc or 0.0, points=10, notes=[], steps=[StepResult(
                name=step, status=status, credit=(sc or 0) / 10, mistakes=["m1"] if status == "mistake" else [],
                message="why it is wrong (expected 1)" if status == "mistake" else None)]))
        total = sum(p.score for p in parts)
        report = GradeReport(exam_id="e", score=total, points=20, questions=[QuestionReport(
            id="q1", generator="g", title="T", score=total, points=20, parts=parts)])
        rows.append(GradebookRow(student=ClassStudent(id=f"s{i}", folder=f"s{i}"), on_roster=True, file="f",
                                 score=total, points=20, report=report))
    rows.append(GradebookRow(student=ClassStudent(id="late", folder="late"), on_roster=True, points=20,
                             flags=["no_sheet"]))
    spec = api.generate(topics=["rl"], seed=1).spec
    return Gradebook(title="T", spec=spec, points=20, questions=outline, rows=rows)


def test_item_statistics_by_hand():
    a = analyse(_book([[10, 10], [10, 5], [5, None], [None, None]]))
    assert a.n == 4 and a.excluded == 1
    pa, pb = a.parts
    assert pa.mean == pytest.approx(6.25) and pa.full == pytest.approx(0.5) and pa.blank == pytest.approx(0.25)
    assert pb.mean == pytest.approx(3.75) and pb.full == pytest.approx(0.25) and pb.blank == pytest.approx(0.5)
    # part a: 10, 10, 5, 0 against the rest (part b): 10, 5, 0, 0
    assert pa.discrimination == pytest.approx(np.corrcoef([10, 10, 5, 0], [10, 5, 0, 0])[0, 1])
    assert pa.mistakes == [("m1", 1, "why it is wrong")] and pb.mistakes == [("m1", 1, "why it is wrong")]
    assert a.mean == pytest.approx(10.0) and a.totals == [20, 15, 5, 0]
    text = table(a)
    assert "q1" in text and "m1 ×1" in text and "Cronbach" in text
