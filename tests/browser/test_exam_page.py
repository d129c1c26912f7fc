"""exam.html in Chromium: every kind of widget filled with the key, saved as answers.json, graded
by the CLI with full marks; the typing survives a reload; pasting fills a grid."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from examgen import io
from examgen.render.html import exam_html

from ..test_widgets import every_kind_exam
from .fill import fill_exam

pytestmark = pytest.mark.slow  # a real browser


def _write(tmp_path):
    exam = every_kind_exam()
    (tmp_path / "exam.html").write_text(exam_html(exam), encoding="utf-8")
    (tmp_path / "exam.json").write_text(io.dump(exam), encoding="utf-8")
    return exam, (tmp_path / "exam.html").as_uri()


def test_every_widget_filled_with_the_key_saves_answers_that_the_cli_grades_full_marks(page, tmp_path, shots):
    exam, url = _write(tmp_path)
    page.goto(url)
    fill_exam(page, exam)
    page.locator(".part").filter(has=page.locator("[data-kind=matrix]")).first.screenshot(
        path=str(shots / "exam-filled-matrix.png"))
    page.once("dialog", lambda d: d.accept("s123"))  # the student id is asked once, on saving
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "answers.json"
    download.value.save_as(saved)
    sheet = json.loads(saved.read_text())
    assert sheet["student"] == {"id": "s123", "name": None} and sheet["exam_id"] == exam.id
    r = subprocess.run([sys.executable, "-m", "examgen.cli", "grade", str(saved), "--json"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    wrong = [(q["generator"], s["name"], s["status"], s.get("message")) for q in report["questions"]
             for p in q["parts"] for s in p["steps"] if s["status"] != "correct"]
    assert not wrong, wrong[:5]
    assert report["score"] == report["points"] == sum(p.points for q in exam.questions for p in q.parts)
    assert report["student"]["id"] == "s123"

    before = page.evaluate("examgen.collect(document)")
    page.reload()
    assert page.evaluate("examgen.collect(document)") == before
    assert page.input_value("#student-id") == "s123"
    with page.expect_download() as again:  # asked only once: no dialog now
        page.click("#download")
    again.value.save_as(tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["answers"] == sheet["answers"]


def test_pasting_a_matrix_into_its_first_cell_fills_the_grid(page, tmp_path):
    exam, url = _write(tmp_path)
    page.goto(url)
    q, p, st = next((q, p, q.step(n)) for q in exam.questions for p in q.parts for n in p.answer
                    if q.step(n).kind == "matrix")
    grid = page.locator(f'[data-q="{q.id}"][data-p="{p.id}"][data-s="{st.name}"]')
    rows = "; ".join(", ".join(repr(float(v)) for v in row) for row in st.value)
    for text in (f"[{rows}]", json.dumps(st.value)):  # as the instructions write a matrix, and as JSON
        grid.locator("input").first.evaluate(
            "(cell, text) => { const dt = new DataTransfer(); dt.setData('text/plain', text);"
            " cell.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); }",
            text)
        cells = [float(v) for v in grid.locator("input").evaluate_all("cs => cs.map(c => c.value)")]
        assert np.allclose(cells, np.ravel(st.value)), text
        grid.locator("input").evaluate_all("cs => cs.forEach(c => { c.value = ''; })")
    single = grid.locator("input").nth(1)
    single.evaluate("(cell) => { const dt = new DataTransfer(); dt.setData('text/plain', '0,25');"
                    " cell.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); }")
    assert grid.locator("input").first.input_value() == ""  # one number (decimal comma) does not spread


def test_the_exam_reads_without_javascript(browser, tmp_path, shots):
    exam, url = _write(tmp_path)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 1300})
    page = context.new_page()
    page.goto(url)
    assert page.locator("section.question").count() == len(exam.questions)
    assert page.locator("#toolbar").is_hidden()  # saving needs the script: not offered
    assert page.locator("details.working").count() > 0
    page.screenshot(path=str(shots / "exam-no-javascript.png"))
    context.close()
