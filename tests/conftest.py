"""Shared test helpers. ORACLE_SEEDS (default 200) sets how many seeds the oracle tests use.

With the environment variable ``CI`` set, a test that needs a missing tool or module
(:func:`needs_tool`, :func:`needs_module`) fails instead of being skipped."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from examgen import registry
from examgen.model import Question, Step

ORACLE_SEEDS = int(os.environ.get("ORACLE_SEEDS", "200"))
SEEDS = range(ORACLE_SEEDS)
ROOT = Path(__file__).resolve().parent.parent


def generator_ids() -> list[str]:
    return [g.id for g in registry.all_generators()]


def key_answers(q: Question) -> dict:
    """Every asked step answered with its reference value."""
    return {p.id: {n: q.step(n).value for n in p.steps} for p in q.parts}


def answers_from(q: Question, values: dict) -> dict:
    """An answers dict (part -> step -> value) for the asked steps found in ``values``."""
    out = {}
    for p in q.parts:
        out[p.id] = {n: _json(values[n]) for n in p.steps if n in values}
    return out


def _json(v):
    from examgen.steps import to_json

    return to_json(v)


def part_of(q: Question, step: str):
    return next(p for p in q.parts if step in p.steps)


def step_result(report, step: str):
    for p in report.parts:
        for r in p.steps:
            if r.name == step:
                return r
    raise KeyError(step)


def just_outside(st: Step):
    """A value just outside the step's tolerance (or simply different, for exact kinds)."""
    if st.kind == "integer":
        return st.value + 1
    if st.kind in ("choice", "single"):
        return next(o for o in st.options if o != st.value)
    if st.kind == "expression":
        return f"({st.value}) + 1"
    if st.kind == "multi":  # one more option ticked, or one fewer
        extra = [o for o in st.options if o not in st.value]
        return list(st.value) + extra[:1] if extra else list(st.value)[1:]
    if st.kind == "truefalse":
        return ["false" if st.value[0] == "true" else "true"] + list(st.value)[1:]
    if st.kind == "ordering":
        return [st.value[1], st.value[0]] + list(st.value)[2:]
    ref = np.asarray(st.value, dtype=float)
    bound = np.maximum(st.tolerance.abs, st.tolerance.rel * np.abs(ref))
    bumped = ref + 1.5 * bound
    return bumped.tolist() if ref.ndim else float(bumped)


def clearly_wrong(st: Step):
    """A value far from the reference (for numeric steps: never equal to it)."""
    if st.kind not in ("scalar", "vector", "matrix", "tensor"):
        return just_outside(st)
    ref = np.asarray(st.value, dtype=float)
    wrong = ref + 0.5 * np.abs(ref) + 1.37
    return wrong.tolist() if ref.ndim else float(wrong)


def same_as_reference(st: Step, value) -> bool:
    """Does a solver value (from any run) count as the step's reference answer?"""
    from examgen import kinds
    from examgen.steps import to_json

    from examgen.kinds.parse import FormatError

    try:
        parsed = kinds.of(st).read(st, to_json(value))
    except FormatError:  # NaN or inf from a mistaken formula
        return False
    return bool(np.all(kinds.of(st).matches(st, parsed, kinds.of(st).reference(st))))


# --- helpers for the hand-worked cases and the oracles ---------------------------------------

def grade(gid: str, givens: dict, answers: dict):
    """The question for typed-in givens, graded with the key overwritten by ``answers``."""
    from examgen import solve
    from examgen.grading.mark import grade_question

    q = solve(gid, givens)
    full = key_answers(q)  # start from the key, then overwrite
    for part, steps in answers.items():
        full[part].update(steps)
    return q, grade_question(q, full)


def status(report, name):
    r = step_result(report, name)
    return r.status, r.mistakes


def values(gid: str, givens: dict) -> dict:
    """Every step's reference value for typed-in givens."""
    from examgen import solve

    return {s.name: s.value for s in solve(gid, givens).steps}


def close(actual, expected, tol=1e-9, msg=""):
    """Oracle comparison: same shape (after flattening), within ``tol`` absolute and relative.
    ``expected`` may be a torch tensor; ``msg`` (e.g. ``f"seed {q.seed}"``) starts the failure
    message, so that a disagreement names the question to reproduce it with."""
    if hasattr(expected, "detach"):  # a torch tensor (no torch import here)
        expected = expected.detach().cpu().numpy()
    np.testing.assert_allclose(np.ravel(np.asarray(actual, dtype=float)),
                               np.ravel(np.asarray(expected, dtype=float)), rtol=tol, atol=tol,
                               err_msg=str(msg))


def questions(gid, seeds=SEEDS):
    """(question, validated givens, step values) for the oracle seeds."""
    gen = registry.get(gid)
    for seed in seeds:
        q = gen.generate(seed)
        yield q, gen.Givens.model_validate(q.givens), {s.name: s.value for s in q.steps}


def run_cli(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real, installed ``examgen`` command as a subprocess (for the few tests that need a
    fresh process: the script starts, nothing imports torch, a new process gives the same exam)."""
    exe = Path(sys.executable).with_name("examgen")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "examgen.cli"]
    return subprocess.run(cmd + list(args), cwd=cwd, capture_output=True, text=True, input=input, timeout=300)


@dataclass
class CliResult:
    """What a command run in-process left: the same fields as ``subprocess.CompletedProcess``."""
    returncode: int
    stdout: str
    stderr: str


def invoke_cli(*args: str, input: str | None = None) -> CliResult:
    """Run ``examgen ARGS`` in this process with click's CliRunner, in the current directory.
    An exception the command lets escape fails the test with its traceback (the real command
    would print one)."""
    from click.testing import CliRunner

    from examgen.cli import main

    r = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return CliResult(r.exit_code, r.stdout, r.stderr)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """``cli(*args)``: the command run in-process in a fresh folder ``cli.cwd``."""
    monkeypatch.chdir(tmp_path)

    def run(*args, input=None):
        return invoke_cli(*args, input=input)
    run.cwd = tmp_path
    return run


# --- work that can be counted (never time: a shared machine's load varies) ------------------------

@dataclass
class Lines:
    count: int = 0


@contextmanager
def lines_run():
    """Counts the Python lines executed inside the block (``sys.settrace``): a measure of work that,
    unlike elapsed time, does not depend on the machine's load. Work done in C is not counted."""
    lines = Lines()

    def trace(frame, event, arg):
        if event == "line":
            lines.count += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield lines
    finally:
        sys.settrace(previous)


# --- tools and modules a test needs ------------------------------------------------------------

def _missing(what: str) -> None:
    """Skip the test, or fail it when CI is set (CI must have everything: tools/test.sh installs it)."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{what} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(what, allow_module_level=True)


# The system tools tests may ask for: name -> (Debian package, programs). tools/test.sh installs
# every package named here (tests/test_repo.py checks it).
TOOLS = {
    "chromium": ("chromium", ("chromium", "chromium-browser")),
    "pdftoppm": ("poppler-utils", ("pdftoppm",)),
}


def needs_tool(name: str) -> str:
    """The path of a system tool named in TOOLS (``"pdftoppm"``, ``"chromium"``); a missing one skips
    the test, or fails it when CI is set. Playwright tests launch Debian's Chromium with
    ``executable_path=needs_tool("chromium")``. A new tool goes into TOOLS and tools/test.sh."""
    package, programs = TOOLS[name]
    for exe in programs:
        path = shutil.which(exe)
        if path:
            return path
    _missing(f"{name} is not installed (Debian package {package}; bash tools/test.sh installs it)")


def needs_module(name: str):
    """``import name``; a missing module skips the test (or the whole module, at module level), or
    fails it when CI is set: ``torch = needs_module("torch")``."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python module {name} is not installed (pip install -e '.[test]' installs it)")
