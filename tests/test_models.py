"""The data model: exact JSON round trips, reproducible exams, schemas."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest
from pydantic import ValidationError

import examgen
from examgen.model import (SCHEMAS, AnswerSheet, ClassRecord, ClassStudent, Exam, GivensFile, Gradebook,
                           GradebookRow, GradeReport)
from examgen.output import outline
from examgen.topics import TOPICS, topic


def test_exam_answers_and_report_round_trip_exactly():
    exam = examgen.generate(topics=["rl", "cnn", "training"], seed=3)
    assert Exam.model_validate_json(exam.model_dump_json()) == exam
    key = examgen.answer_sheet(exam, key=True)
    assert AnswerSheet.model_validate_json(key.model_dump_json()) == key
    report = examgen.grade(key, exam)
    assert GradeReport.model_validate_json(report.model_dump_json()) == report
    # and through the standard json module, twice, byte for byte
    text = exam.model_dump_json()
    assert Exam.model_validate(json.loads(text)).model_dump_json() == text


def test_same_spec_same_exam_and_different_seed_different_exam():
    a = examgen.generate(topics=["rl", "cnn"], seed=11)
    b = examgen.build_exam(a.spec)
    assert a.model_dump_json() == b.model_dump_json()
    c = examgen.generate(topics=["rl", "cnn"], seed=12)
    assert c.id != a.id and c.questions[0].givens != a.questions[0].givens


def test_adding_a_topic_keeps_the_other_topics_questions():
    a = examgen.generate(topics=["cnn"], seed=5)
    b = examgen.generate(topics=["rl", "cnn"], seed=5)
    assert [q.givens for q in a.questions] == [q.givens for q in b.questions if q.topic == "cnn"]


def test_topics_by_name_alias_and_lecture_number():
    assert topic("rl").lecture == 14 and topic("14").id == "rl" and topic(14).id == "rl"
    assert topic("05").id == "cnn" and topic("training").lecture == 7
    assert topic("unsupervised").lecture == 12 and topic("dense").lecture == 3
    with pytest.raises(KeyError, match="unknown topic"):
        topic("astrology")
    assert len({t.lecture for t in TOPICS}) == len(TOPICS)


def test_key_grades_to_full_marks_for_every_topic():
    exam = examgen.generate(seed=2024)  # every implemented topic
    report = examgen.grade(examgen.answer_sheet(exam, key=True), exam)
    assert report.score == report.points == examgen.exam_points(exam) > 0


def test_answers_template_names_every_asked_step_with_empty_values():
    exam = examgen.generate(topics=["training"], seed=1)
    sheet = examgen.answer_sheet(exam)
    for q in exam.questions:
        for p in q.parts:
            assert list(sheet.answers[q.id][p.id]) == p.steps
            assert all(v is None for v in sheet.answers[q.id][p.id].values())
    assert sheet.exam_id == exam.id and sheet.spec == exam.spec


@lru_cache(maxsize=None)
def _real_files() -> dict[str, list[str]]:
    """Real files of each kind, as examgen writes them: an exam, its key and empty answers, the
    reports of both, givens files of its questions. A new kind of file in SCHEMAS needs an entry."""
    exam = examgen.generate(topics=["rl", "cnn", "training"], seed=3)
    key, empty = examgen.answer_sheet(exam, key=True), examgen.answer_sheet(exam)
    givens = [GivensFile(generator=q.generator, givens=q.givens).model_dump_json() for q in exam.questions[:3]]
    full, none = examgen.grade(key, exam), examgen.grade(empty, exam)
    students = [ClassStudent(id="s1", name="Ada", folder="s1", variant="v1", exam_id=exam.id),
                ClassStudent(id="s2", folder="s2", variant="v2", exam_id=exam.id)]
    record = ClassRecord(title=exam.title, spec=exam.spec, points=full.points, questions=outline(exam),
                         students=students)
    book = Gradebook(title=exam.title, spec=exam.spec, points=full.points, questions=outline(exam), rows=[
        GradebookRow(student=students[0], on_roster=True, file="s1.json", score=full.score, points=full.points,
                     report=full),
        GradebookRow(student=students[1], on_roster=True, points=full.points, flags=["no_sheet"],
                     notes=["no sheet was handed in"])])
    return {"exam": [exam.model_dump_json()], "answers": [key.model_dump_json(), empty.model_dump_json()],
            "report": [full.model_dump_json(), none.model_dump_json()], "givens": givens,
            "class": [record.model_dump_json()], "gradebook": [book.model_dump_json()]}


def _broken(doc: dict, schema: dict, which: str):
    """Variants of a valid document that break the schema: (what, document)."""
    for field in schema["required"]:
        yield f"without {field}", {k: v for k, v in doc.items() if k != field}
    other = next(w for w in SCHEMAS if w != which)
    yield "another file's format", {**doc, "format": SCHEMAS[other].model_fields["format"].default}
    if doc.get("questions"):  # a nested object, reached through a $ref
        item_schema = schema["$defs"][schema["properties"]["questions"]["items"]["$ref"].split("/")[-1]]
        for field in item_schema["required"]:
            first = {k: v for k, v in doc["questions"][0].items() if k != field}
            yield f"questions[0] without {field}", {**doc, "questions": [first] + doc["questions"][1:]}
    if "givens" in doc:
        yield "givens that are not a name -> value map", {**doc, "givens": [1, 2]}
    if "answers" in doc:
        yield "an answer that is not part -> step -> value", {**doc, "answers": {"q1": "3"}}


@pytest.mark.parametrize("which", sorted(SCHEMAS))
def test_json_schemas(which):
    """The published schema (``examgen schema WHICH``) is a valid JSON Schema, accepts the files
    examgen writes, and refuses broken ones, as the loader does."""
    from jsonschema import Draft202012Validator

    schema = SCHEMAS[which].model_json_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for text in _real_files()[which]:
        doc = json.loads(text)
        errors = [e.message for e in validator.iter_errors(doc)]
        assert not errors, errors[:3]
        broken = list(_broken(doc, schema, which))
        assert len(broken) >= 4
        for what, bad in broken:
            assert not validator.is_valid(bad), f"the {which} schema accepts a file {what}"
            with pytest.raises(ValidationError):
                SCHEMAS[which].model_validate(bad)
