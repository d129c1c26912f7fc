"""A graded class's pages in Chromium: report.html draws its charts, a feedback page reads and
prints, and a class student's exam page saves answers.json with their id in it."""

from __future__ import annotations

import io
import json

from examgen import api
from examgen.classroom.analysis import analyse, report_html
from examgen.classroom.feedback import feedback_page
from examgen.model import ClassStudent

from ..test_class_report import _book
from .fill import fill_step


def test_report_html_draws_its_charts(page, tmp_path, shots):
    book = _book([[10, 10], [10, 5], [5, None], [None, None], [7, 3], [2, 8]])
    page_file = tmp_path / "report.html"
    page_file.write_text(report_html(analyse(book), seed=1), encoding="utf-8")
    text = page_file.read_text()
    assert "<script" not in text and "http" not in text.replace("http://www.w3.org/", "")
    page.goto(page_file.as_uri())
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    for i in range(3):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 50
    bars = page.locator("svg.chart rect.bar")
    widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
    assert len(widths) >= 10 and sum(w > 1 for w in widths) >= 6, "the bars are drawn"
    page.screenshot(path=str(shots / "class-report.png"), full_page=True)


def test_a_feedback_page_reads_and_prints(page, tmp_path, shots):
    exam = api.generate(topics=["training"], seed=4)
    q = exam.questions[0]
    key = api.answer_sheet(exam, key=True)
    answers = {**key.answers, q.id: {p.id: {n: "1,5,x" for n in p.steps} for p in q.parts}}
    report = api.grade(key.model_copy(update={"answers": answers}), exam)
    html = feedback_page(exam, report, ClassStudent(id="s1", name="Ada <b>Lovelace</b>", folder="s1"),
                         flags=["checked"], file="s1.json")
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html
    path = tmp_path / "s1.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    text = page.inner_text("body")
    assert "format error" in text and "Worked solution of your variant" in text
    assert page.locator(".status.invalid").count() >= 1 and page.locator(".status.correct").count() >= 1
    page.screenshot(path=str(shots / "class-feedback.png"))
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(page.pdf()))
    printed = " ".join(pg.extract_text() for pg in reader.pages)
    assert len(reader.pages) >= 2 and "Feedback" in printed and "format error" in printed


def test_save_answers_in_a_class_students_exam_page_names_the_student(page, tmp_path):
    """The student's own exam page (from make --students) has their id filled in, so the saved
    answers.json names them and grade --class matches it to them."""
    from examgen import output
    from examgen.classroom.grade import load_class, match, read
    from examgen.classroom.roster import read_roster
    from examgen.exam import make_spec
    from examgen.model import Exam

    (tmp_path / "r.csv").write_text('id,name\n"s<1>","Ada ""A"" Lovelace"\n', encoding="utf-8")
    output.build_class(make_spec(topics=["rl"], seed=2), read_roster(tmp_path / "r.csv"), tmp_path / "c",
                       b"s" * 32, formats=("html",), jobs=1)
    (page_file,) = (tmp_path / "c" / "students").glob("*/exam.html")
    (exam_file,) = (tmp_path / "c" / "teacher").glob("*/exam.json")
    exam = Exam.model_validate_json(exam_file.read_text())
    page.goto(page_file.as_uri())
    assert page.input_value("#student-id") == "s<1>" and page.input_value("#student-name") == 'Ada "A" Lovelace'
    q = exam.questions[0]
    st = q.step(q.parts[0].steps[0])
    fill_step(page, q.id, q.parts[0].id, st, st.value)
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "saved.json"
    download.value.save_as(saved)
    sheet = json.loads(saved.read_text())
    assert sheet["student"] == {"id": "s<1>", "name": 'Ada "A" Lovelace'}
    record = load_class(tmp_path / "c")
    m = match(read(saved), record, {s.id: s for s in record.students}, {s.exam_id: s for s in record.students})
    assert m.on_roster and m.flags == [] and m.exam_of.id == "s<1>"
