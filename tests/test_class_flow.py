"""The class flow end to end, with click's CliRunner: make --students with a secret, made-up
submissions of every kind (tools/made_up_class.py), grade --class, the gradebook files, feedback
pages, and what must never happen to the teacher's or the students' files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from examgen.cli import main
from examgen.model import ClassRecord, Exam, Gradebook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import made_up_class  # noqa: E402


def run(*args, cwd: Path, env=None):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of 30 (HTML only), a submission of every kind, graded."""
    root = tmp_path_factory.mktemp("class")
    (root / "roster.csv").write_text(made_up_class.roster(30), encoding="utf-8")
    r = run("make", "--topics", "rl,cnn", "--seed", "21", "--format", "html", "--students", "roster.csv",
            "--out", "c", "--secret-file", "secret.key", "--jobs", "2", cwd=root)
    assert r.exit_code == 0, r.output
    assert "30 variants" not in r.output, "no progress bar when the output is not a terminal"
    kinds = made_up_class.write(root / "c", root / "subs")
    before = _tree_digest(root / "subs")
    r = run("grade", "subs", "--class", "c", "--jobs", "2", cwd=root)
    assert r.exit_code == 0, r.output
    assert "grading " not in r.output, "no progress bar when the output is not a terminal"
    return root, kinds, before, r.output


def _rows(root: Path) -> dict[str, list]:
    book = Gradebook.model_validate_json((root / "subs-grades" / "gradebook.json").read_text())
    out: dict[str, list] = {}
    for row in book.rows:
        out.setdefault(row.student.id if row.student and row.on_roster else f"file:{row.file}", []).append(row)
    return out


def _of(kinds: dict, kind: str) -> list[str]:
    return [sid for sid, k in kinds.items() if k == kind]


def test_the_secret_file_is_made_private_and_every_variant_has_the_same_points(graded):
    root, *_ = graded
    assert stat.S_IMODE((root / "secret.key").stat().st_mode) == 0o600
    record = ClassRecord.model_validate_json((root / "c" / "class.json").read_text())
    points = {sum(p.points for q in Exam.model_validate_json((root / "c" / "teacher" / s.folder / "exam.json")
                                                                .read_text()).questions for p in q.parts)
              for s in record.students}
    assert points == {record.points}
    assert len({s.variant for s in record.students}) == len(record.students) == 30


def test_gradebook_rows_and_flags_for_every_kind_of_submission(graded):
    root, kinds, _, output = graded
    rows = _rows(root)
    full = ClassRecord.model_validate_json((root / "c" / "class.json").read_text()).points
    for sid in _of(kinds, "correct"):
        (row,) = rows[sid]
        assert row.score == full and row.flags == [] and row.counted
    for sid in _of(kinds, "partial"):
        (row,) = rows[sid]
        assert 0 < row.score < full and row.flags == []
    for sid in _of(kinds, "follow_through"):
        (row,) = rows[sid]
        statuses = {s.status for q in row.report.questions for p in q.parts for s in p.steps}
        assert "follow_through" in statuses and row.score < full
    for sid in _of(kinds, "mistake"):
        (row,) = rows[sid]
        named = [s for q in row.report.questions for p in q.parts for s in p.steps if s.status == "mistake"]
        assert named and all(s.mistakes for s in named)
    for sid in _of(kinds, "missing"):
        assert [r.flags for r in rows[sid]] == [["no_sheet"]] and rows[sid][0].score is None
    ids = list(kinds)
    for sid in _of(kinds, "swapped"):
        # my own variant with the next student's name: the next student has it (wrong variant), I have none
        nxt = ids[(ids.index(sid) + 1) % len(ids)]
        assert [r.flags for r in rows[sid]] == [["no_sheet"]]
        wrong = [r for r in rows[nxt] if "wrong_variant" in r.flags]
        assert len(wrong) == 1 and f"answers the variant of {sid}" in " ".join(wrong[0].notes)
        assert all("duplicate" in r.flags for r in rows[nxt]) and not any(r.counted for r in rows[nxt])
    for sid in _of(kinds, "duplicate"):
        assert len(rows[sid]) >= 2 and all("duplicate" in r.flags for r in rows[sid])
        assert {Path(r.file).name for r in rows[sid]} >= {f"{sid}.json", f"{sid}-resubmitted.json"}
    for sid in _of(kinds, "malformed"):
        assert [r.flags for r in rows[sid]] == [["no_sheet"]]
        (bad,) = rows[f"file:{Path('subs') / (sid + '.json')}"]
        assert bad.flags == ["unreadable"] and "malformed JSON" in bad.notes[0]
    for sid in _of(kinds, "unnamed"):
        (row,) = rows[sid]
        assert row.flags == ["unnamed"] and row.score == full and row.counted
    for sid in _of(kinds, "hostile"):
        (row,) = rows[sid]
        bad = [s for s in row.report.questions[0].parts[0].steps + row.report.questions[0].parts[-1].steps
               if s.status == "invalid"]
        assert bad and row.score < full and row.flags == []
        assert len(row.report.problems) <= 21, "2,000 unknown questions are summed up, not listed"
    assert "\x1b" not in output and "\u202e" not in output and "\r" not in output


def test_canvas_csv_has_the_import_layout_and_holds_back_flagged_scores(graded):
    root, kinds, *_ = graded
    rows = list(csv.reader(io.StringIO((root / "subs-grades" / "canvas.csv").read_text(encoding="utf-8"))))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] and len(rows[0]) == 6
    assert rows[1][0] == "Points Possible" and int(rows[1][5]) > 0
    by_id = {r[2]: r for r in rows[2:]}
    assert list(by_id) == list(kinds), "one row per roster student, in roster order"
    assert by_id[_of(kinds, "correct")[0]][5] == rows[1][5]
    assert by_id[_of(kinds, "correct")[0]][4] == "group 1"
    for kind in ("missing", "duplicate", "swapped", "malformed"):
        assert all(by_id[sid][5] == "" for sid in _of(kinds, kind)), kind


def test_gradebook_csv_has_a_column_per_question_and_part_and_no_formula(graded):
    root, *_ = graded
    text = (root / "subs-grades" / "gradebook.csv").read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert {"id", "name", "total", "points_possible", "percent", "q1", "q1.a", "flags"} <= set(table[0])
    assert all(not (v or "").startswith(("=", "+", "@")) for row in table for v in row.values())
    assert "\x1b" not in text


def test_a_feedback_page_per_roster_student_and_private_outputs(graded):
    root, kinds, *_ = graded
    record = ClassRecord.model_validate_json((root / "c" / "class.json").read_text())
    out = root / "subs-grades"
    pages = sorted(p.name for p in (out / "feedback").iterdir())
    assert pages == sorted(f"{s.folder}.html" for s in record.students)
    correct = (out / "feedback" / f"{_of(kinds, 'correct')[0]}.html").read_text()
    assert "Worked solution of your variant" in correct and "right" in correct
    missing = (out / "feedback" / f"{_of(kinds, 'missing')[0]}.html").read_text()
    assert "No answers were received" in missing
    hostile = (out / "feedback" / f"{_of(kinds, 'hostile')[0]}.html").read_text()
    assert "<script" not in hostile.split("</style>", 1)[1] and "format error" in hostile
    for name in ("gradebook.csv", "gradebook.json", "canvas.csv", "report.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name


def test_nothing_in_the_submissions_changes_and_outputs_are_not_overwritten(graded):
    root, _, before, _ = graded
    assert _tree_digest(root / "subs") == before
    r = run("grade", "subs", "--class", "c", cwd=root)
    assert r.exit_code == 1 and "already exist" in r.output and "--force" in r.output
    (root / "subs-grades" / "gradebook.csv").write_text("my own notes\n")
    r = run("grade", "subs", "--class", "c", "--force", cwd=root)
    assert r.exit_code == 1 and "not written by examgen (or changed since)" in r.output
    assert (root / "subs-grades" / "gradebook.csv").read_text() == "my own notes\n"
    r = run("grade", "subs", "--class", "c", "--out", "subs/inside", cwd=root)
    assert r.exit_code == 1 and "inside the submissions folder" in r.output
    assert _tree_digest(root / "subs") == before


def test_report_command_prints_the_item_analysis(graded):
    root, *_ = graded
    r = run("report", "subs-grades/gradebook.json", cwd=root)
    assert r.exit_code == 0, r.output
    assert "Cronbach's alpha" in r.output and "q1" in r.output and "disc" in r.output


def test_a_class_sheet_alone_is_refused_without_the_teachers_files(graded):
    root, kinds, *_ = graded
    sheet = root / "subs" / f"{_of(kinds, 'correct')[0]}.json"
    r = run("grade", str(sheet), cwd=root)
    assert r.exit_code == 1 and "teacher's secret" in r.output and "--class" in r.output
    r = run("grade", str(sheet), "--secret-file", "secret.key", cwd=root)
    assert r.exit_code == 0 and "score" in r.output, r.output
    r = run("grade", str(sheet), cwd=root, env={"EXAMGEN_SECRET": "not the secret of this class"})
    assert r.exit_code == 1 and "is not the variant of student" in r.output


def test_grade_class_imports_neither_torch_nor_a_web_stack(graded, tmp_path):
    root, *_ = graded
    import subprocess

    code = """
import sys
from examgen.cli import main
try:
    main(["grade", "subs", "--class", "c", "--out", sys.argv[1], "--jobs", "1"])
except SystemExit as e:
    assert e.code in (0, None), e.code
bad = [m for m in ("torch", "fastapi", "starlette", "uvicorn", "flask", "aiohttp") if m in sys.modules]
assert not bad, bad
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "g")], cwd=root, capture_output=True, text=True)
    assert r.stdout.strip().endswith("ok"), r.stderr


@pytest.mark.slow
def test_a_class_of_300_end_to_end(tmp_path):
    """The issue's done-when: 300 made-up students, every kind of submission, every row right."""
    (tmp_path / "roster.csv").write_text(made_up_class.roster(300), encoding="utf-8")
    r = run("make", "--topics", "rl,cnn,training", "--seed", "3", "--format", "html", "--students", "roster.csv",
            "--out", "c", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    kinds = made_up_class.write(tmp_path / "c", tmp_path / "subs")
    r = run("grade", "subs", "--class", "c", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    rows = _rows(tmp_path)
    expect = {"correct": [], "partial": [], "follow_through": [], "mistake": [], "missing": ["no_sheet"],
              "swapped": ["no_sheet"], "malformed": ["no_sheet"], "hostile": [], "unnamed": ["unnamed"]}
    for sid, kind in kinds.items():
        if kind in expect:
            assert [r.flags for r in rows[sid]] == [expect[kind]], (sid, kind, [r.flags for r in rows[sid]])
        else:
            assert all("duplicate" in r.flags for r in rows[sid]) and len(rows[sid]) >= 2
    record = ClassRecord.model_validate_json((tmp_path / "c" / "class.json").read_text())
    assert len(list((tmp_path / "subs-grades" / "feedback").iterdir())) == len(record.students) == 300


def test_the_public_key_of_the_seed_under_a_students_name_scores_nothing(graded, tmp_path):
    """The issue's first finding: the practice exam of the class's seed (anyone can make it) gives a
    key; handed in under a roster student's name it is no variant of the class."""
    root, kinds, *_ = graded
    sid = _of(kinds, "correct")[0]
    r = run("make", "--topics", "rl,cnn", "--seed", "21", "--format", "html", "--out", str(tmp_path / "pub"), cwd=root)
    assert r.exit_code == 0
    key = json.loads((tmp_path / "pub" / "key.json").read_text())
    key["student"] = {"id": sid}
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "mine.json").write_text(json.dumps(key))
    r = run("grade", str(tmp_path / "subs"), "--class", "c", "--out", str(tmp_path / "g"), cwd=root)
    assert r.exit_code == 0, r.output
    book = Gradebook.model_validate_json((tmp_path / "g" / "gradebook.json").read_text())
    (row,) = [r for r in book.rows if r.student and r.student.id == sid]
    assert row.flags == ["unknown_exam"] and row.score is None and not row.counted
