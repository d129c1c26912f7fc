"""The import-responses flow: export to Moodle with variants, read a responses CSV in the layout of
Moodle's quiz "Responses" report back with ``examgen import``, and grade it with ``examgen grade``,
which gives the follow-through credit Moodle cannot.

The CSV is made as Moodle's report downloads it (mod/quiz/report/responses: the student's columns
"Surname", "First name", identity fields, "State", "Started on", "Completed", "Time taken",
"Grade/<max>", then per quiz slot "Question N", "Response N", "Right answer N"; a Cloze response
summarised as "part 1: ...; part 2: ..."; an option by its text), the way the moodleQuiz R
package's example of that report (docs.moodle.org/311/en/Quiz_reports) lays it out.
"""

from __future__ import annotations

import csv
import json
import random

import numpy as np
import pytest
from click.testing import CliRunner

from examgen import registry
from examgen.cli import main
from examgen.export import manifest as export_manifest
from examgen.model import AnswerSheet, Exam, GradeReport
from examgen.steps import to_json

SUMMARY = "The question's text, as the report shows it ..."


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("moodle")
    r = CliRunner().invoke(main, ["export", "--format", "moodle", "--generators", "adam,conv_output,concept_training",
                                  "--variants", "3", "--seed", "21", "--out", str(d / "quiz.xml")])
    assert r.exit_code == 0, r.output
    manifest, exams = export_manifest.load(d / "quiz.manifest.json")
    return d, manifest, exams


def _text(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _flat(q, f, values: dict) -> str:
    st = q.step(f.step)
    v = values.get(f.step)
    if v is None:
        return ""
    if f.entry is not None and (st.shape or isinstance(v, list)):
        v = np.ravel(np.asarray(v, dtype=object))[f.entry]
    if f.choices:
        shown = {option: text for text, option in f.choices.items()}
        return shown.get(v, str(v))
    return _text(v)


def summary(q, ref, values: dict) -> str:
    """Moodle's summary of a response (a Cloze question part by part)."""
    if len(ref.fields) == 1:
        return _flat(q, ref.fields[0], values) or "-"
    return "; ".join(f"part {i}: {_flat(q, f, values)}" for i, f in enumerate(ref.fields, 1))


def _question(exams, ref):
    return next(q for q in exams[ref.variant].questions if q.id == ref.question)


def test_responses_read_back_and_graded_with_follow_through(exported):
    d, manifest, exams = exported
    rng = random.Random(3)
    slots = sorted({it.slot for it in manifest.items}, key=lambda s: int(s[1:]))
    drawn = {who: [rng.choice([it for it in manifest.items if it.slot == s]) for s in slots]
             for who in ("alice", "bob", "carol")}
    header = ["Surname", "First name", "ID number", "Institution", "Department", "Email address", "State",
              "Started on", "Completed", "Time taken", "Grade/70.00"]
    for n in range(1, len(slots) + 1):
        header += [f"Question {n}", f"Response {n}", f"Right answer {n}"]
    rows = [header]
    expected_ft = None
    for who, refs in drawn.items():
        row = [who.title(), "Test", f"s-{who}", "", "", f"{who}@example.org", "Finished",
               "1 December 2025  10:00 AM", "1 December 2025  11:00 AM", "1 hour", "50.00"]
        for n, ref in enumerate(refs, 1):
            q = _question(exams, ref)
            key = {s.name: s.value for s in q.steps}
            values = dict(key)
            if who == "bob" and q.generator == "adam":
                # a wrong first moment, and every later step computed from it: follow-through
                gen = registry.get("adam")
                wrong = key["m1"] + 0.5
                run_ = gen.run(gen.Givens.model_validate(q.givens), {"m1": wrong})
                values = {k: to_json(v) for k, v in run_.values.items()} | {"m1": wrong}
                expected_ft = ref.ident
            if who == "carol" and n == 1:
                values = {}
            # carol's report has no question text for the computed questions: found by their right answers
            question_text = "" if who == "carol" and q.generator != "concept_training" else \
                f"{SUMMARY} examgen item {ref.ident}"
            row += [question_text, summary(q, ref, values) if values else "-", summary(q, ref, key)]
        rows.append(row)
    rows.append(["Overall average"] + [""] * (len(header) - 1))
    csv_path = d / "responses.csv"
    with open(csv_path, "w", newline="", encoding="utf-8-sig") as f:  # Moodle's CSV starts with a BOM
        csv.writer(f).writerows(rows)

    r = CliRunner().invoke(main, ["import", str(csv_path), "--export-manifest", str(d / "quiz.manifest.json"),
                                  "--out", str(d / "answers")])
    assert r.exit_code == 0, r.output
    assert "3 attempt(s)" in r.output

    reports = {}
    for who, refs in drawn.items():
        folder = d / "answers" / f"s-{who}"
        exam = Exam.model_validate_json((folder / "exam.json").read_text())
        sheet = AnswerSheet.model_validate_json((folder / "answers.json").read_text())
        assert sheet.student.id == f"s-{who}" and sheet.student.name == f"Test {who.title()}"
        # the student's exam is the variants they drew (carol's found from the right answers)
        assert [q.id for q in exam.questions] == [ref.question for ref in refs]
        for q, ref in zip(exam.questions, refs):
            assert q == _question(exams, ref)
        r = CliRunner().invoke(main, ["grade", str(folder / "answers.json"), "--exam", str(folder / "exam.json"),
                                      "--json"])
        assert r.exit_code == 0, r.output
        reports[who] = GradeReport.model_validate(json.loads(r.output))

    alice = reports["alice"]
    assert alice.score == alice.points
    bob = reports["bob"]
    adam = next(qr for qr, ref in zip(bob.questions, drawn["bob"]) if ref.ident == expected_ft)
    statuses = {s.name: s.status for p in adam.parts for s in p.steps}
    assert statuses["m1"] != "correct"
    assert "follow_through" in statuses.values()
    assert 0 < adam.score < adam.points
    carol = reports["carol"]
    first = carol.questions[0]
    assert first.score == 0 and all(s.status == "missing" for p in first.parts for s in p.steps)
    assert carol.score == carol.points - first.points


def test_a_report_without_response_columns_is_a_clear_error(exported, tmp_path):
    d, *_ = exported
    (tmp_path / "r.csv").write_text("Surname,First name,Grade/10.00\nA,B,5\n")
    r = CliRunner().invoke(main, ["import", str(tmp_path / "r.csv"), "--export-manifest", str(d / "quiz.manifest.json")])
    assert r.exit_code == 1 and "no 'Response N' columns" in r.output


def test_an_unknown_variant_is_reported_and_the_rest_imported(exported, tmp_path):
    d, manifest, exams = exported
    ref = next(it for it in manifest.items if it.slot == "q1")
    q = _question(exams, ref)
    rows = [["Surname", "First name", "Email address", "Response 1", "Response 2"],
            ["Lee", "Ann", "ann@example.org", summary(q, ref, {s.name: s.value for s in q.steps}), "-"]]
    with open(tmp_path / "r.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    r = CliRunner().invoke(main, ["import", str(tmp_path / "r.csv"), "--export-manifest", str(d / "quiz.manifest.json"),
                                  "--out", str(tmp_path / "out")])
    assert r.exit_code == 1
    assert "cannot tell which exported variant" in r.output
    assert "0 attempt(s)" in r.output  # nothing tells the variants apart: said, not guessed
