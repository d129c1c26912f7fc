"""Givens are discoverable: ``examgen solve GEN --help`` and ``examgen list GEN`` list every given
(type, range, default, example), ``--template`` prints a complete line or givens file that solves
to the same question, and ``--givens-file`` reads one back with one-line errors naming the file and
field. In-process, with click's CliRunner."""

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner

from examgen import registry
from examgen.cli import main
from examgen.model import GivensFile, Question

GENERATORS = [g.id for g in registry.all_generators() if not g.concept]


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _row(text: str, name: str) -> str:
    """The table line of given ``name``."""
    return next(line for line in text.splitlines() if line.split()[:1] == [name])


def test_solve_help_lists_the_givens_of_the_generator():
    r = run("solve", "adam", "--help")
    assert r.exit_code == 0 and "Usage" in r.stdout and "Givens of adam" in r.stdout
    # what adam.AdamGivens declares: w0 in [-1000, 1000] required; 1-5 gradients; lr in (0, 10], 0.1
    assert "[-1000, 1000]" in _row(r.stdout, "w0") and "required" in _row(r.stdout, "w0")
    assert "1-5 entries" in _row(r.stdout, "grads") and "gradients g_1..g_T" in r.stdout
    lr = _row(r.stdout, "lr")
    assert "(0, 10]" in lr and " 0.1 " in f"{lr} " and "number" in lr
    assert "(0, 1)" in _row(r.stdout, "rho1") and "--template" in r.stdout


def test_help_finds_the_generator_wherever_it_is_written():
    assert "Givens of bellman" in run("solve", "--seed", "3", "bellman", "--help").stdout
    assert "Givens of" not in run("solve", "--help").stdout  # no generator: the plain help
    r = run("solve", "nope", "--help")
    assert r.exit_code == 0 and "unknown generator 'nope'" in r.stdout


def test_nested_and_optional_givens_are_listed_field_by_field():
    out = run("list", "conv_output").stdout
    assert "conv_output: Output shapes" in out and "goal 05." in out
    kind = _row(out, "layers[].type")
    assert "one of conv, maxpool, avgpool" in kind and "required" in kind
    assert "[1, 15]" in _row(out, "layers[].kernel")
    filters = _row(out, "layers[].filters")
    assert "none" in filters and "[1, 4096]" in filters  # optional (conv layers only)
    cell = _row(run("list", "bellman").stdout, "cell")
    assert "[integer, integer]" in cell


@pytest.mark.parametrize("gid", GENERATORS)
def test_every_given_of_every_generator_is_listed(gid):
    out = run("solve", gid, "--help").stdout
    names = [line.split()[0] for line in out.splitlines() if line.startswith("  ") and line.split()]
    for field in registry.get(gid).Givens.model_fields:
        assert field in names, f"{gid}: given {field} not listed"


@pytest.mark.parametrize("gid", GENERATORS)
def test_template_line_solves_to_the_drawn_question(gid):
    gen = registry.get(gid)
    for seed in (0, 1, 2):
        line = run("solve", gid, "--template", "--seed", str(seed)).stdout.strip()
        words = shlex.split(line)
        assert words[:3] == ["examgen", "solve", gid]
        q = Question.model_validate_json(run(*words[1:], "--json").stdout)
        drawn = gen.generate(seed)
        assert q.seed is None and q.givens == drawn.givens, f"{gid} seed {seed}"
        assert [s.value for s in q.steps] == [s.value for s in drawn.steps], f"{gid} seed {seed}"


@pytest.mark.parametrize("gid", GENERATORS)
def test_template_file_solves_to_the_drawn_question(gid, tmp_path):
    path = tmp_path / "givens.json"
    path.write_text(run("solve", gid, "--template", "--json", "--seed", "5").stdout)
    doc = GivensFile.model_validate_json(path.read_text())
    assert doc.generator == gid
    q = Question.model_validate_json(run("solve", gid, "--givens-file", str(path), "--json").stdout)
    assert q.givens == registry.get(gid).generate(5).givens


def test_given_overrides_the_file_and_the_seed(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"generator": "adam", "givens": {"w0": 1.0, "grads": [0.5], "lr": 0.1}}))
    q = Question.model_validate_json(run("solve", "adam", "--givens-file", str(path), "--given", "lr=0.3",
                                         "--json").stdout)
    assert q.givens["lr"] == 0.3 and q.givens["w0"] == 1.0
    # with bias correction the first ADAM step moves w by lr (Kingma & Ba 2015, section 2.1)
    assert abs(q.step("w1").value - (1.0 - 0.3)) < 1e-6
    line = run("solve", "adam", "--seed", "4", "--given", "lr=0.25", "--template").stdout
    assert "lr=0.25" in line
    drawn = registry.get("adam").generate(4).givens
    assert f"'grads={json.dumps(drawn['grads'], separators=(',', ':'))}'" in line


def test_template_keeps_text_that_looks_like_json(tmp_path):
    """A text given such as an action named "1" must come back as text, not a number."""
    line = run("solve", "epsilon_greedy", "--given", "q=[1.0,3.0]", "--given", 'actions=["1","true"]',
               "--given", "epsilon=0.2", "--template").stdout
    q = Question.model_validate_json(run(*shlex.split(line)[1:], "--json").stdout)
    assert q.givens["actions"] == ["1", "true"]


def _error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("content, message", [
    ('{"generator": "adam", "givens": {"w0": 1, "grads": [0.5]', "malformed JSON at line 1"),
    ('{"generator": "adam", "givens": {"w0": 1, "grads": [NaN]}}', "NaN is not a number JSON allows"),
    ('{"generator": "bellman", "givens": {}}', "field 'generator' is 'bellman'"),
    ('{"format": "examgen-exam/1", "generator": "adam", "givens": {}}', "field 'format' is 'examgen-exam/1'"),
    ('{"generator": "adam", "given": {}}', "field 'givens' is missing"),
    ('[1, 2]', "field '(top level)'"),
    ('{"generator": "adam", "givens": {"w0": 1, "grads": [0.5], "speed": 2}}', "field 'speed' is not a known field"),
    ('{"generator": "adam", "givens": {"w0": 1, "grads": [0.5], "lr": -1}}', "field 'lr'"),
    ('{"generator": "adam", "givens": {"w0": 1}}', "field 'grads' is missing"),
])
def test_bad_givens_files_get_one_line_naming_file_and_field(tmp_path, content, message):
    path = tmp_path / "problem.json"
    path.write_text(content)
    line = _error(run("solve", "adam", "--givens-file", str(path)))
    assert line.startswith("examgen: error: ") and str(path) in line and message in line, line


def test_missing_huge_and_conflicting_givens_files(tmp_path):
    assert "no such file" in _error(run("solve", "adam", "--givens-file", str(tmp_path / "none.json")))
    big = tmp_path / "big.json"
    big.write_text('{"generator": "adam", "givens": {"grads": [' + "0.5, " * 300_000 + "0.5]}}")
    assert "more than the limit" in _error(run("solve", "adam", "--givens-file", str(big)))
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps({"generator": "adam", "givens": {"w0": 1.0, "grads": [0.5]}}))
    assert "not both" in _error(run("solve", "adam", "--givens-file", str(ok), "--seed", "1"))
    assert "--help' lists them" in _error(run("solve", "adam"))


def test_schema_of_a_givens_file():
    schema = json.loads(run("schema", "givens").stdout)
    assert set(schema["required"]) == {"generator", "givens"}
