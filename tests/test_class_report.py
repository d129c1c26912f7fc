"""Item analysis: the statistics against hand-worked cases, and report.html and a feedback page
opened in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from examgen import api
from examgen.classroom.analysis import analyse, corrected_item_total, cronbach_alpha, report_html, table
from examgen.classroom.feedback import feedback_page
from examgen.model import (ClassStudent, Gradebook, GradebookRow, GradeReport, OutlinePart, OutlineQuestion,
                           PartReport, QuestionReport, StepResult)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


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


def _browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    return playwright.sync_playwright()


def test_report_html_draws_its_charts_in_chromium(tmp_path):
    book = _book([[10, 10], [10, 5], [5, None], [None, None], [7, 3], [2, 8]])
    page_file = tmp_path / "report.html"
    page_file.write_text(report_html(analyse(book), seed=1), encoding="utf-8")
    assert "<script" not in page_file.read_text() and "http" not in page_file.read_text().replace(
        "http://www.w3.org/", "")
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.goto(page_file.as_uri())
        charts = page.locator("svg.chart")
        assert charts.count() == 3
        for i in range(3):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 300 and box["height"] > 50
        bars = page.locator("svg.chart rect.bar")
        widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
        assert len(widths) >= 10 and sum(w > 1 for w in widths) >= 6, "the bars are drawn"
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()


def test_a_feedback_page_reads_and_prints_in_chromium(tmp_path):
    exam = api.generate(topics=["training"], seed=4)
    q = exam.questions[0]
    answers = {q.id: {p.id: {n: "1,5,x" for n in p.steps} for p in q.parts}}
    sheet = api.answer_sheet(exam, key=True).model_copy(update={"answers": {**api.answer_sheet(exam, key=True).answers,
                                                                            **answers}})
    report = api.grade(sheet, exam)
    html = feedback_page(exam, report, ClassStudent(id="s1", name="Ada <b>Lovelace</b>", folder="s1"),
                         flags=["checked"], file="s1.json")
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html
    path = tmp_path / "s1.html"
    path.write_text(html, encoding="utf-8")
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(path.as_uri())
        text = page.inner_text("body")
        assert "format error" in text and "Worked solution of your variant" in text
        assert page.locator(".status.invalid").count() >= 1 and page.locator(".status.correct").count() >= 1
        pdf = page.pdf()
        browser.close()
    from pypdf import PdfReader
    import io

    reader = PdfReader(io.BytesIO(pdf))
    printed = " ".join(pg.extract_text() for pg in reader.pages)
    assert len(reader.pages) >= 2 and "Feedback" in printed and "format error" in printed


def test_save_answers_in_a_students_exam_page_names_the_student(tmp_path):
    """The exam page's "Save answers.json" (run in Chromium) writes the student into the file, so
    grade --class matches it to them."""
    import json

    from examgen import output
    from examgen.classroom.grade import load_class, match, read
    from examgen.classroom.roster import read_roster
    from examgen.exam import make_spec

    (tmp_path / "r.csv").write_text('id,name\n"s<1>","Ada ""A"" Lovelace"\n', encoding="utf-8")
    roster = read_roster(tmp_path / "r.csv")
    output.build_class(make_spec(topics=["rl"], seed=2), roster, tmp_path / "c", b"s" * 32, formats=("html",), jobs=1)
    (page_file,) = (tmp_path / "c" / "students").glob("*/exam.html")
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(accept_downloads=True)
        page.goto(page_file.as_uri())
        page.locator("input[data-q]").first.fill("0,25")
        with page.expect_download() as download:
            page.click("#download")
        saved = tmp_path / "saved.json"
        download.value.save_as(saved)
        browser.close()
    sheet = json.loads(saved.read_text())
    assert sheet["student"] == {"id": "s<1>", "name": 'Ada "A" Lovelace'} and "0,25" in json.dumps(sheet)
    record = load_class(tmp_path / "c")
    m = match(read(saved), record, {s.id: s for s in record.students}, {s.exam_id: s for s in record.students})
    assert m.on_roster and m.flags == [] and m.exam_of.id == "s<1>"
