"""Hostile input (issue 13's list): each kind is rejected or scored 0 with a clear message, never an
internal error, in bounded time and memory, and never costs the rest of a batch. Then property
tests (hypothesis) feed random JSON and strings, lone surrogates included, to the answer kinds,
the grader and the givens validation."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from examgen import api, io, kinds, registry
from examgen.cli import main
from examgen.errors import ExamgenError
from examgen.grading.mark import grade_question
from examgen.kinds.parse import FormatError
from examgen.model import Exam

ESCAPES = "\x1b[31mRED\x1b]0;title\x07\r\nforged  10 / 10\u202egnp.exe\u2066"


def cli(*args, cwd: Path, env=None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    r = cli("make", "--topics", "rl,cnn", "--seed", "7", "--format", "html", "--out", "ex", cwd=root)
    assert r.exit_code == 0, r.output
    return root


def _target(root: Path) -> tuple[str, str, str]:
    """(question, part, step) of the exam's first asked number."""
    exam = Exam.model_validate_json((root / "ex" / "exam.json").read_text())
    for q in exam.questions:
        for p in q.parts:
            for n in p.steps:
                if q.step(n).kind == "scalar":
                    return q.id, p.id, n
    raise AssertionError("no number asked")


def _write_with(root: Path, name: str, raw_json: str, student_id: str | None = None) -> Path:
    """ex/key.json with the first asked number replaced by ``raw_json`` (JSON text, written verbatim)."""
    data = json.loads((root / "ex" / "key.json").read_text())
    qid, pid, step = _target(root)
    data["answers"][qid][pid][step] = "__HERE__"
    if student_id is not None:
        data["student"] = {"id": "__ID__"}
    text = json.dumps(data).replace('"__HERE__"', raw_json)
    if student_id is not None:
        text = text.replace('"__ID__"', student_id)
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def _step(root, report):
    qid, pid, step = _target(root)
    q = next(q for q in report["questions"] if q["id"] == qid)
    return q, next(s for p in q["parts"] if p["id"] == pid for s in p["steps"] if s["name"] == step)


def _grade_json(root, *files):
    r = cli("grade", *map(str, files), "--json", cwd=root)
    return r, json.loads(r.stdout) if r.stdout.strip().startswith(("{", "[")) else None


# --- grading -------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, message", [
    ("1" * 10_000, "too long"),                  # an integer of 10,000 digits
    ("1" * 400, "too long"),                     # 310-4,300 digits: that answer, not the whole question
    ('"\\ud800"', "cannot read"),                # a lone surrogate
    ("[[1], 2]", ""),                           # ragged
    ("[" * 300 + "]" * 300, "expected a number"),  # deeper than pydantic's 255 levels
    ("1e999999", "not a finite number"),
    ("NaN", "cannot read 'NaN'"),
])
def test_a_hostile_answer_scores_that_answer_zero_and_grades_the_rest(made, raw, message):
    bad = _write_with(made, "bad.json", raw)
    good = made / "ex" / "key.json"
    r = cli("grade", str(bad), str(good), cwd=made)  # text mode: then the next file
    assert r.exit_code == 0, r.output
    assert "internal error" not in r.output and r.output.count("score") >= 2
    r, reports = _grade_json(made, bad)
    assert r.exit_code == 0
    q, step = _step(made, reports)
    assert step["status"] == "invalid" and message in step["message"]
    assert q["score"] > 0, "only that answer scores 0"
    json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


def test_a_lone_surrogate_in_the_student_id_is_shown_escaped(made):
    bad = _write_with(made, "sid.json", "0", student_id='"\\ud800\\u001b[2J"')
    r = cli("grade", str(bad), cwd=made)
    assert r.exit_code == 0 and "\x1b" not in r.output and "\ud800" not in r.output


def test_many_unknown_question_ids_are_counted_not_listed(made):
    data = json.loads((made / "ex" / "key.json").read_text())
    data["answers"].update({f"x{i}": {} for i in range(100_000)})
    (made / "many.json").write_text(json.dumps(data))
    r, report = _grade_json(made, made / "many.json")
    assert r.exit_code == 0 and len(report["problems"]) <= 21 and "more unknown questions" in report["problems"][-1]
    data["answers"].update({f"x{i}": {} for i in range(1_250_000)})
    (made / "huge.json").write_text(json.dumps(data))
    r = cli("grade", str(made / "huge.json"), cwd=made)
    assert r.exit_code == 1 and "more than the limit" in r.output


@pytest.mark.parametrize("spec_patch, message", [
    ({"generators": ["bellman"] * 300}, "at most 200 items"),
    ({"topics": ["rl"] * 100_000}, "at most 64 items"),
    ({"topics": ["x" * 1000]}, "at most 64 characters"),
    ({"topics": ["nosuchtopic"]}, "unknown topic"),
    ({"generators": ["nosuchgen"]}, "unknown generator"),
    ({"count": 10**9}, "less than or equal to 50"),
    ({"seed": -1}, "greater than or equal to 0"),
    ({"topics": list("ab")}, "unknown topic"),
])
def test_a_spec_in_an_answers_file_is_bounded_before_anything_is_built(made, spec_patch, message):
    data = json.loads((made / "ex" / "key.json").read_text())
    data["spec"].update(spec_patch)
    (made / "spec.json").write_text(json.dumps(data))
    r = cli("grade", str(made / "spec.json"), cwd=made)
    assert r.exit_code == 1 and message in r.output and "internal" not in r.output, r.output
    assert len(r.output) < 2000


# --- terminal injection ----------------------------------------------------------------------

def test_escape_codes_and_bidi_never_reach_the_terminal_raw(made):
    data = json.loads((made / "ex" / "key.json").read_text())
    q = data["answers"]["q1"]
    part = next(iter(q))
    q[part][next(iter(q[part]))] = ESCAPES
    q[ESCAPES] = {}
    data["student"] = {"id": "s\x1b[2J1", "name": ESCAPES}
    (made / "esc.json").write_text(json.dumps(data))
    data["exam_id"] = "7-\x1b[2Jforged"
    (made / "esc-id.json").write_text(json.dumps(data))
    r = cli("grade", str(made / "esc.json"), str(made / "esc-id.json"), "--exam", "ex/exam.json", cwd=made)
    for bad in ("\x1b", "\r", "\u202e", "\u2066", "\x07"):
        assert bad not in r.output
    assert not any(line.startswith("forged") for line in r.output.splitlines())
    assert "\\x1b" in r.output


# --- class builds ----------------------------------------------------------------------------

def _build(root: Path, roster: str, *extra):
    (root / "r.csv").write_text(roster, encoding="utf-8")
    return cli("make", "--topics", "rl", "--seed", "3", "--students", "r.csv", "--out", "c", *extra, cwd=root)


def test_a_roster_name_with_markup_builds_and_appears_as_text(tmp_path):
    r = _build(tmp_path, "id,name\ns1,$\\badcmd$ #set text(red) *bold*\n", "--format", "pdf")
    assert r.exit_code == 0, r.output
    from pypdf import PdfReader

    text = PdfReader(tmp_path / "c" / "students" / "s1" / "exam.pdf").pages[0].extract_text()
    assert "$\\badcmd$" in text and "#set" in text


def test_non_ascii_ids_and_ids_differing_in_case_get_their_own_folders(tmp_path):
    r = _build(tmp_path, "id,name\nÆøå,A\n東京,B\n大阪,C\nab,D\nAb,E\n", "--format", "html")
    assert r.exit_code == 0, r.output
    folders = [p.name for p in (tmp_path / "c" / "students").iterdir()]
    assert len(folders) == 5 and len({f.lower() for f in folders}) == 5


def test_an_id_that_looks_like_html_cannot_break_the_embedded_json(tmp_path):
    r = _build(tmp_path, 'id,name\n"<!--<script>",x</script>\n', "--format", "html")
    assert r.exit_code == 0, r.output
    (page,) = (tmp_path / "c" / "students").glob("*/exam.html")
    html = page.read_text()
    import re

    meta = re.search(r'<script type="application/json" id="exam-meta">(.*?)</script>', html, re.S).group(1)
    assert "<" not in meta and json.loads(meta)["student"] == {"id": "<!--<script>", "name": "x</script>"}


@pytest.mark.parametrize("roster, message", [
    ("id,name\n" + "".join(f"s{i},x\n" for i in range(2001)), "more than 2,000 students"),
    ("id,name\ns\x1b[2J1,x\n", "control or formatting character U+001B"),
    ("id,name\ns1,a\u202eb\n", "U+202E"),
    ("id,name\n" + "x" * 65 + ",y\n", "longer than 64 characters"),
])
def test_bad_rosters_are_refused_before_anything_is_built(tmp_path, roster, message):
    r = _build(tmp_path, roster)
    assert r.exit_code == 1 and message in r.output and not (tmp_path / "c" / "students").exists(), r.output


def test_the_teachers_files_are_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        r = _build(tmp_path, "id,name\ns1,A\n", "--format", "html")
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    c = tmp_path / "c"
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)
    assert mode(c / "keys.json") == mode(c / "class.json") == mode(c / "teacher" / "secret.key") == 0o600
    assert mode(c / "teacher") == mode(c / "teacher" / "s1") == 0o700
    assert mode(c / "teacher" / "s1" / "exam.json") == 0o600
    assert mode(c / "students" / "s1" / "exam.html") == 0o644


def test_a_failing_build_leaves_nothing_and_force_swaps_the_whole_set(tmp_path, monkeypatch):
    r = cli("make", "--topics", "rl", "--seed", "3", "--format", "html", "--out", "e", cwd=tmp_path)
    assert r.exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "e").iterdir()}
    from examgen.render import html

    def broken(*a, **k):
        raise ExamgenError("typesetting failed half-way")

    monkeypatch.setattr(html, "solutions_html", broken)
    r = cli("make", "--topics", "cnn", "--seed", "4", "--format", "html", "--out", "e", "--force", cwd=tmp_path)
    assert r.exit_code == 1 and "half-way" in r.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "e").iterdir()} == before, "the old set, whole"
    monkeypatch.undo()
    r = cli("make", "--topics", "cnn", "--seed", "4", "--format", "html", "--out", "e", "--force", cwd=tmp_path)
    assert r.exit_code == 0
    exam = Exam.model_validate_json((tmp_path / "e" / "exam.json").read_text())
    key = json.loads((tmp_path / "e" / "key.json").read_text())
    assert key["exam_id"] == exam.id and exam.spec.seed == 4


def test_force_replaces_only_files_examgen_wrote(tmp_path):
    out = tmp_path / "e"
    out.mkdir()
    (out / "answers.json").write_text('{"my": "own file"}')
    r = cli("make", "--topics", "rl", "--seed", "3", "--format", "html", "--out", "e", "--force", cwd=tmp_path)
    assert r.exit_code == 1 and "not written by examgen" in r.output
    assert (out / "answers.json").read_text() == '{"my": "own file"}'
    (out / "answers.json").unlink()
    (out / "exam.json").symlink_to(tmp_path / "nowhere")  # dangling
    r = cli("make", "--topics", "rl", "--seed", "3", "--format", "html", "--out", "e", cwd=tmp_path)
    assert r.exit_code == 1 and "already exist" in r.output and (out / "exam.json").is_symlink()


# --- solve (what a teacher types) ------------------------------------------------------------

def _list_given(gen):
    g = gen.draw(np.random.default_rng(0)).model_dump(mode="json")
    for name, value in g.items():
        if isinstance(value, list) and value and isinstance(value[0], (int, float)) and not isinstance(value[0], bool):
            return g, name
    return g, None


def test_nan_inside_list_givens_is_refused_by_every_generator():
    refused = 0
    for gen in registry.all_generators():
        if gen.needs_torch or gen.concept:
            continue
        g, name = _list_given(gen)
        if name is None:
            continue
        g[name] = [float("nan")] + g[name][1:]
        with pytest.raises(registry.GivenError, match="not finite"):
            gen.givens(g)
        refused += 1
    assert refused >= 8


def test_tiny_huge_and_infinite_entries_of_list_givens_are_refused():
    for gen in registry.all_generators():
        if gen.needs_torch or gen.concept:
            continue
        g, name = _list_given(gen)
        if name is None:
            continue
        for bad, msg in ((-1e-320, "holds -1e-320; every number must be 0 or between 1e-12"),
                         (3e14, "holds 3e\\+14; every number must be 0 or between"),
                         (float("-inf"), "not finite")):
            with pytest.raises(registry.GivenError, match=msg):
                gen.givens({**g, name: g[name][:-1] + [bad]})


def test_tiny_huge_and_nested_givens_are_refused_in_one_short_line():
    for gen in registry.all_generators():
        if gen.needs_torch or gen.concept:
            continue
        g = gen.draw(np.random.default_rng(0)).model_dump(mode="json")
        name = next((k for k, v in g.items() if isinstance(v, float) and v != 0), None)
        if name is None:
            continue
        for bad, msg in ((1e-320, "between 1e-12"), (1e300, "between 1e-12"), ([[[[[[[[1.0]]]]]]]], "nested"),
                         (list(range(100_000)), "more than 1000 entries"), ("x" * 10**6, "characters")):
            with pytest.raises(registry.GivenError, match=msg) as e:
                gen.givens({**g, name: bad})
            assert len(str(e.value)) < 500, (gen.id, len(str(e.value)))


@pytest.mark.parametrize("args, message", [
    (["solve", "adam", "--seed", "-1"], "-1 is not in the range"),
    (["make", "--seed", "-1"], "-1 is not in the range"),
    (["solve", "adam", "--given", "w0=1e-320", "--given", "grads=[0.5]"], "between 1e-12"),
    (["solve", "adam", "--given", "w0=1", "--given", "grads=" + "[" * 3000 + "]" * 3000], "nested too deeply"),
    (["solve", "adam", "--given", "w0=1", "--given", "grads=[" + ",".join(["1"] * 100_000) + "]"], "1000 entries"),
])
def test_solve_and_make_refuse_bad_numbers_in_one_line(tmp_path, args, message):
    r = cli(*args, cwd=tmp_path)
    assert r.exit_code in (1, 2) and "internal error" not in r.output and len(r.output) < 2000, r.output
    assert message in r.output, r.output


def test_negative_part_points_in_an_exam_file_are_refused(made):
    data = json.loads((made / "ex" / "exam.json").read_text())
    data["questions"][0]["parts"][0]["points"] = -10
    (made / "neg.json").write_text(json.dumps(data))
    r = cli("grade", "ex/key.json", "--exam", "neg.json", cwd=made)
    assert r.exit_code == 1 and "points" in r.output and "greater than or equal to 0" in r.output


# --- property tests ------------------------------------------------------------------------

SURROGATES = st.sampled_from(["\ud800", "\udfff", "\udc80x", "a\ud83d"])
TEXT = st.one_of(st.text(max_size=60), SURROGATES, st.builds(lambda a, b: a + b, st.text(max_size=20), SURROGATES),
                 st.sampled_from(["1e999999", "NaN", "1/0", "[[1], 2]", "1" * 400, "[" * 50, "0x10", "½", "١٢"]))
JSON = st.recursive(st.none() | st.booleans() | st.integers(min_value=-10**400, max_value=10**400)
                    | st.floats(allow_nan=True, allow_infinity=True) | TEXT,
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=25)


def _exam_steps():
    exam = api.generate(topics=["rl", "cnn", "training", "linear", "dense"], seed=2, concept_share=0.4)
    return exam, [st_ for q in exam.questions for st_ in q.steps if st_.asked]


EXAM, STEPS = _exam_steps()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=JSON, index=st.integers(min_value=0, max_value=len(STEPS) - 1))
def test_every_answer_kind_reads_anything_or_says_format_error(raw, index):
    step = STEPS[index]
    try:
        kinds.of(step).read(step, io.clean(raw))
    except FormatError as e:
        assert len(str(e)) < 400


@SETTINGS
@given(answers=st.dictionaries(TEXT, JSON, max_size=4), index=st.integers(min_value=0, max_value=len(EXAM.questions) - 1))
def test_the_grader_scores_any_answers_without_an_internal_error(answers, index):
    q = EXAM.questions[index]
    part = q.parts[0]
    for given_ in (io.clean(answers), {part.id: io.clean(answers)},
                   {part.id: {name: io.clean(v) for name, v in zip(part.steps, answers.values())}}):
        report = grade_question(q, given_)
        assert 0 <= report.score <= report.points


@SETTINGS
@given(text=st.text(alphabet=st.characters(), max_size=3000))
def test_any_bytes_in_an_answers_file_give_a_report_or_one_input_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("h") / "a.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        sheet = io.load(path, api.AnswerSheet if hasattr(api, "AnswerSheet") else __import__("examgen").AnswerSheet,
                        max_bytes=io.MAX_ANSWERS_BYTES)
    except io.InputError as e:
        assert str(path) in str(e) and len(str(e)) < 2000
        return
    assert isinstance(sheet.answers, dict)


GENERATORS = [g for g in registry.all_generators() if not g.needs_torch and not g.concept]


@SETTINGS
@given(values=st.dictionaries(TEXT, JSON, max_size=5), index=st.integers(min_value=0, max_value=len(GENERATORS) - 1))
def test_givens_validation_says_given_error_for_anything(values, index):
    gen = GENERATORS[index]
    try:
        gen.givens(io.clean(values))
    except registry.GivenError as e:
        assert len(str(e)) < 2500


@SETTINGS
@given(index=st.integers(min_value=0, max_value=len(GENERATORS) - 1), seed=st.integers(0, 10**6),
       which=st.integers(0, 20), bad=JSON)
def test_one_bad_given_among_good_ones_gives_a_given_error_or_a_question(index, seed, which, bad):
    """A drawn set of givens with one value replaced: validation either refuses it in one line or
    the question builds with finite values (what a teacher typing an old exam's numbers meets)."""
    gen = GENERATORS[index]
    g = gen.draw(np.random.default_rng(seed)).model_dump(mode="json")
    name = sorted(g)[which % len(g)]
    try:
        valid = gen.givens({**g, name: io.clean(bad)})
    except registry.GivenError:
        return
    gen.build(valid)


@pytest.mark.parametrize("bad", [[], [[]], "", 0, None], ids=repr)
def test_every_given_emptied_gives_a_given_error_or_a_question(bad):
    """Each given of a drawn question in turn replaced by an empty or zero value (an empty list once
    crashed vae_latent's check, which read ``[]`` as absent): refused in one line, or it builds."""
    for gen in GENERATORS:
        g = gen.draw(np.random.default_rng(0)).model_dump(mode="json")
        for name in g:
            try:
                valid = gen.givens({**g, name: bad})
            except registry.GivenError as e:
                assert "\n" not in str(e), (gen.id, name)
                continue
            gen.build(valid)
