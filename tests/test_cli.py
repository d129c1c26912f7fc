"""The ``examgen`` command: make, grade, solve, list, schema, help, and the bad-input cases
(one-line errors naming file and field, never a traceback).

The command logic runs in-process with click's CliRunner (the ``cli`` fixture). A few tests run
the real installed script in a fresh process (they are marked slow): the script starts and a
fresh process makes the same exam, ``make`` and ``grade`` never import torch."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from examgen.model import AnswerSheet, Exam, GradeReport, Question

from .conftest import invoke_cli, needs_module, run_cli

EXAM_FILES = ("exam.json", "exam.html", "solutions.html", "answers.json", "key.json")


def _no_traceback(result):
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One exam (rl and cnn, seed 7, HTML only), made once for the module."""
    out = tmp_path_factory.mktemp("built") / "ex"
    r = invoke_cli("make", "--topics", "rl,cnn", "--seed", "7", "--format", "html", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture
def made(cli, built):
    """The module's exam, copied to ex/ in this test's folder (a test may change its copy)."""
    return shutil.copytree(built, cli.cwd / "ex")


def test_help_for_every_command(cli):
    for args in (["--help"], ["make", "--help"], ["grade", "--help"], ["solve", "--help"],
                 ["list", "--help"], ["schema", "--help"]):
        r = cli(*args)
        assert r.returncode == 0 and "Usage" in r.stdout, args


def test_make_writes_the_five_files(cli, made):
    for name in EXAM_FILES:
        assert (made / name).stat().st_size > 0
    exam = Exam.model_validate_json((made / "exam.json").read_text())
    assert exam.spec.seed == 7 and exam.spec.topics == ["rl", "cnn"]
    assert AnswerSheet.model_validate_json((made / "key.json").read_text()).exam_id == exam.id


def test_make_by_lecture_numbers_and_default_seed(cli):
    r = cli("make", "--topics", "14,05", "--format", "html")
    assert r.returncode == 0, r.stderr
    seed = r.stdout.split()[1]
    exam = Exam.model_validate_json((cli.cwd / f"exam-{seed}" / "exam.json").read_text())
    assert exam.spec.topics == ["rl", "cnn"]


def test_make_refuses_to_overwrite_and_force_keeps_filled_answers(cli, made):
    r = cli("make", "--topics", "rl", "--seed", "8", "--format", "html", "--out", "ex")
    assert r.returncode == 1 and "already exist" in r.stderr and "--force" in r.stderr
    answers = json.loads((made / "answers.json").read_text())
    q = next(iter(answers["answers"]))
    p = next(iter(answers["answers"][q]))
    s = next(iter(answers["answers"][q][p]))
    answers["answers"][q][p][s] = "-1"
    (made / "answers.json").write_text(json.dumps(answers))
    r = cli("make", "--topics", "rl", "--seed", "8", "--format", "html", "--out", "ex", "--force")
    assert r.returncode == 0 and "kept" in r.stdout
    assert json.loads((made / "answers.json").read_text())["answers"][q][p][s] == "-1"


def _points(folder) -> int:
    exam = Exam.model_validate_json((folder / "exam.json").read_text())
    return sum(p.points for q in exam.questions for p in q.parts)


def test_grade_key_gives_full_marks_with_and_without_exam(cli, made):
    n = _points(made)
    for args in (["grade", "ex/key.json", "--exam", "ex/exam.json"], ["grade", "ex/key.json"]):
        r = cli(*args)
        assert r.returncode == 0, r.stderr
        assert f"score {n} / {n}" in r.stdout
    r = cli("grade", "ex/key.json", "--json")
    report = GradeReport.model_validate_json(r.stdout)
    assert report.score == report.points == n
    assert all(p.score == 10 for q in report.questions for p in q.parts)


def test_grade_empty_template_scores_zero_and_shows_table(cli, made):
    r = cli("grade", "ex/answers.json")
    assert r.returncode == 0 and f"score 0 / {_points(made)}" in r.stdout and "no answer" in r.stdout


def _edit(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def test_per_answer_problems_score_that_answer_zero_and_grade_the_rest(cli, made):
    exam = Exam.model_validate_json((made / "exam.json").read_text())
    key = made / "key.json"
    bad = made / "bad.json"
    bad.write_text(key.read_text())
    spoiled = {}  # (question, step) -> the bad answer

    def spoil(d):
        answers = iter((q.id, p.id, name) for q in exam.questions for p in q.parts for name in p.steps)
        for bad_value in ("twelve", "x" * 50_000, "NaN"):  # text, a very long string, not a number
            qid, pid, name = next(answers)
            d["answers"][qid][pid][name] = spoiled[(qid, name)] = bad_value
        first = exam.questions[-1]
        d["answers"][first.id][first.parts[0].id]["nonsense"] = 1  # unknown step
        d["answers"]["q99"] = {}  # unknown question
    _edit(bad, spoil)
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    r = cli("grade", "ex/bad.json", "--exam", "ex/exam.json", "--json")
    _no_traceback(r)
    assert r.returncode == 0, r.stderr
    report = GradeReport.model_validate_json(r.stdout)
    results = {(q.id, s.name): s for q in report.questions for p in q.parts for s in p.steps}
    for where, value in spoiled.items():
        assert results[where].status == "invalid" and results[where].message, where
    assert any("too long" in results[w].message for w, v in spoiled.items() if len(v) > 100)
    assert sum(s.status == "invalid" for s in results.values()) == 3
    assert sum(s.status == "correct" for s in results.values()) == len(results) - 3
    assert any("unknown question 'q99'" in p for p in report.problems)
    assert any("unknown step 'nonsense'" in p for q in report.questions for p in q.problems)
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before, "grade must not modify its input"


@pytest.mark.parametrize("content, message", [
    ("{not json", "malformed JSON at line 1"),
    ("[]", "(top level)"),
    ('{"format": "examgen-answers/1", "answers": {}}', "field 'exam_id' is missing"),
    ('{"format": "examgen-exam/1", "id": "x"}', "field 'format' is 'examgen-exam/1'"),
    ('{"format": "examgen-answers/1", "exam_id": "x", "answers": {"q1": {"a": 3}}}', "answers.q1.a"),
    ("\udcff", "not UTF-8"),
])
def test_whole_file_problems_are_one_line_errors(cli, made, content, message):
    path = cli.cwd / "broken.json"
    if content == "\udcff":
        path.write_bytes(b"\xff\xfe\x00garbage")
    else:
        path.write_text(content)
    r = cli("grade", "broken.json", "--exam", "ex/exam.json")
    _no_traceback(r)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken.json" in lines[0] and message in lines[0], r.stderr


def test_answers_for_another_exam(cli, made):
    r = cli("make", "--topics", "rl", "--seed", "99", "--format", "html", "--out", "other")
    assert r.returncode == 0
    r = cli("grade", "other/key.json", "--exam", "ex/exam.json")
    _no_traceback(r)
    assert r.returncode == 1 and "other/key.json" in r.stderr and "not for exam" in r.stderr


def test_missing_files(cli, made):
    r = cli("grade", "nope.json")
    assert r.returncode == 1 and "nope.json: no such file" in r.stderr
    r = cli("grade", "ex/key.json", "--exam", "nope.json")
    assert r.returncode == 1 and "nope.json: no such file" in r.stderr


def test_grading_several_files_continues_past_a_bad_one_and_prints_a_gradebook(cli, made):
    (cli.cwd / "junk.json").write_text("{")
    r = cli("grade", "ex/key.json", "junk.json", "ex/answers.json", "--exam", "ex/exam.json")
    _no_traceback(r)
    assert r.returncode == 1 and "junk.json: malformed JSON" in r.stderr
    n = _points(made)
    assert "Gradebook" in r.stdout and f" {n} / {n}" in r.stdout and f" 0 / {n}" in r.stdout


def test_solve_from_typed_in_givens(cli):
    r = cli("solve", "adam", "--given", "w0=1.0", "--given", "grads=[0.5, -0.2]", "--given", "lr=0.1")
    assert r.returncode == 0, r.stderr
    assert "w₁" in r.stdout and "= 0.9" in r.stdout and "no_bias_correction" in r.stdout
    r = cli("solve", "adam", "--given", "w0=1.0", "--given", "grads=[0.5]", "--given", "lr=0.1", "--json")
    q = Question.model_validate_json(r.stdout)
    assert q.seed is None and q.givens["grads"] == [0.5]


@pytest.mark.parametrize("args, message", [
    (["--given", "w0=1.0"], "field 'grads' is missing"),
    (["--given", "w0=1", "--given", "grads=[1]", "--given", "speed=3"], "field 'speed' is not a known field"),
    (["--given", "w0=1", "--given", "grads=[1]", "--given", "lr=-2"], "field 'lr'"),
    (["--given", "w0=1", "--given", "grads=[0]", "--given", "eps=0"], "g_1 = 0"),
    (["--given", "w0"], "NAME=VALUE"),
    ([], "--given"),
])
def test_solve_rejects_bad_givens_in_one_line(cli, args, message):
    r = cli("solve", "adam", *args)
    _no_traceback(r)
    assert r.returncode == 1 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_solve_unknown_generator_and_make_unknown_topic(cli):
    r = cli("solve", "nope", "--seed", "1")
    assert r.returncode == 1 and "unknown generator 'nope'" in r.stderr
    r = cli("make", "--topics", "astrology")
    assert r.returncode == 1 and "unknown topic 'astrology'" in r.stderr
    _no_traceback(r)


def test_list_shows_topics_generators_and_goals(cli):
    r = cli("list")
    assert r.returncode == 0
    for text in ("14 rl", "05 cnn", "07 training", "12 unsupervised", "03 dense", "bellman", "adam",
                 "goal 07.4"):
        assert text in r.stdout


@pytest.mark.parametrize("which", ["exam", "answers", "report"])
def test_schema(cli, which):
    r = cli("schema", which)
    assert r.returncode == 0 and json.loads(r.stdout)["type"] == "object"


@pytest.mark.slow
def test_the_installed_command_starts_and_a_fresh_process_makes_the_same_exam(built, tmp_path):
    r = run_cli("make", "--topics", "rl,cnn", "--seed", "7", "--format", "html", "--out", "again", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "seed 7" in r.stdout
    for name in EXAM_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (built / name).read_bytes(), name


@pytest.mark.slow
def test_make_and_grade_never_import_torch(tmp_path):
    """The default ``make`` (HTML and PDF) and ``grade``, in a fresh interpreter."""
    code = """
import sys
from examgen.cli import main
for argv in (["make", "--topics", "rl,cnn", "--seed", "1", "--out", "t"], ["grade", "t/key.json"]):
    try:
        main(argv)
    except SystemExit as e:
        assert e.code in (0, None), e.code
assert "torch" not in sys.modules, "torch was imported"
web = sorted(m for m in ("fastapi", "uvicorn", "starlette", "fsrs") if m in sys.modules)
assert not web, f"the web stack was imported: {web}"
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.stdout.strip().endswith("ok"), r.stderr


@pytest.mark.slow
def test_make_pdf_only_and_bad_format(cli):
    r = cli("make", "--topics", "rl", "--seed", "3", "--format", "pdf", "--out", "p")
    assert r.returncode == 0, r.stderr
    assert (cli.cwd / "p" / "exam.pdf").read_bytes().startswith(b"%PDF")
    assert (cli.cwd / "p" / "solutions.pdf").exists() and not (cli.cwd / "p" / "exam.html").exists()
    r = cli("make", "--topics", "rl", "--format", "docx")
    assert r.returncode == 1 and "unknown format docx" in r.stderr


@pytest.mark.slow
def test_make_a_variant_per_student(cli):
    from examgen.render.pdf import typeset

    typeset("This process has typeset a PDF before: the class's workers must not be forks of it.")
    (cli.cwd / "roster.csv").write_text("id,name\ns1,Ada Lovelace\ns2,Alan Turing\n")
    r = cli("make", "--topics", "rl,cnn", "--seed", "4", "--students", "roster.csv", "--out", "class", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    root = cli.cwd / "class"
    exams = {}
    for sid in ("s1", "s2"):
        answers = AnswerSheet.model_validate_json((root / "students" / sid / "answers.json").read_text())
        assert answers.student.id == sid and answers.spec.keyed and answers.spec.variant != sid
        assert (root / "students" / sid / "exam.pdf").read_bytes().startswith(b"%PDF")
        assert not (root / "students" / sid / "solutions.pdf").exists(), "no solutions in a student's folder"
        exams[sid] = Exam.model_validate_json((root / "teacher" / sid / "exam.json").read_text())
    a, b = exams["s1"], exams["s2"]
    assert [q.generator for q in a.questions] == [q.generator for q in b.questions], "same questions"
    assert [q.givens for q in a.questions] != [q.givens for q in b.questions], "different numbers"
    keys = json.loads((root / "keys.json").read_text())
    assert [k["student"]["id"] for k in keys["keys"]] == ["s1", "s2"]
    from pypdf import PdfReader
    n_pages = len(PdfReader(root / "all-exams.pdf").pages)
    each = sum(len(PdfReader(root / "students" / s / "exam.pdf").pages) for s in ("s1", "s2"))
    assert n_pages == each
    # the key of each variant grades to full marks from the teacher's file
    for k in keys["keys"]:
        (cli.cwd / "k.json").write_text(json.dumps(k))
        teacher = f"class/teacher/{k['student']['id']}/exam.json"
        r = cli("grade", "k.json", "--exam", teacher)
        assert r.returncode == 0 and "score" in r.stdout
        report = GradeReport.model_validate_json(cli("grade", "k.json", "--exam", teacher, "--json").stdout)
        assert report.score == report.points


@pytest.mark.slow
def test_rebuilding_a_class_keeps_answers_students_wrote(cli):
    (cli.cwd / "roster.csv").write_text("id,name\ns1,Ada\ns2,Alan\n")
    args = ("make", "--topics", "rl", "--seed", "4", "--format", "html", "--students", "roster.csv", "--out", "c")
    assert cli(*args).returncode == 0
    filled = cli.cwd / "c" / "students" / "s2" / "answers.json"
    sheet = json.loads(filled.read_text())
    q = next(iter(sheet["answers"]))
    p = next(iter(sheet["answers"][q]))
    sheet["answers"][q][p] = {step: "1" for step in sheet["answers"][q][p]}
    filled.write_text(json.dumps(sheet))
    r = cli(*args)
    assert r.returncode == 1 and "--force" in r.stderr, "refuses without --force"
    r = cli(*args, "--force")
    assert r.returncode == 0, r.stderr
    assert "kept 1 answers.json" in r.stdout and str(Path("c", "students", "s2", "answers.json")) in r.stdout
    assert json.loads(filled.read_text()) == sheet, "the filled answers are untouched"
    untouched = json.loads((cli.cwd / "c" / "students" / "s1" / "answers.json").read_text())
    assert all(v is None for qa in untouched["answers"].values() for pa in qa.values() for v in pa.values())


@pytest.mark.parametrize("roster, message", [
    ("name\nAda\n", "needs an 'id' column"),
    ("id,name\ns1,A\ns1,B\n", "line 3: field 'id' repeats 's1'"),
    ("id,name\n,Ada\n", "line 2: field 'id' is empty"),
    ("", "the roster is empty"),
])
def test_bad_rosters(cli, roster, message):
    (cli.cwd / "r.csv").write_text(roster)
    r = cli("make", "--topics", "rl", "--students", "r.csv")
    _no_traceback(r)
    assert r.returncode == 1 and "r.csv" in r.stderr and message in r.stderr, r.stderr


@pytest.mark.parametrize("topics", ["linear,dense,pytorch,cnn,training,generalization", "02,03,04,05,07,08",
                                    "09,10,11,12,13,14,15",
                                    "detection,visualization,rnn,unsupervised,gan,rl,beyond"])
def test_every_lecture_makes_an_exam_whose_key_gets_full_marks(cli, topics):
    needs_module("torch")  # lecture 04's autograd_trace computes its answers with PyTorch
    r = cli("make", "--topics", topics, "--seed", "21", "--format", "html", "--out", "e")
    assert r.returncode == 0, r.stderr
    exam = Exam.model_validate_json((cli.cwd / "e" / "exam.json").read_text())
    wanted = {t.strip() for t in topics.split(",")}
    from examgen.topics import topic
    assert {topic(t).id for t in wanted} == {q.topic for q in exam.questions}
    report = GradeReport.model_validate_json(cli("grade", "e/key.json", "--exam", "e/exam.json", "--json").stdout)
    assert report.score == report.points > 0


def test_list_shows_every_generator_under_its_lecture(cli):
    from examgen import registry
    r = cli("list")
    lines = r.stdout.splitlines()
    for gen in registry.all_generators():
        if gen.concept:
            continue
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == [gen.id])
        header = next(line for line in reversed(lines[:at]) if not line.startswith(" "))
        assert header.split()[1] == gen.topic, (gen.id, header)
