"""The repository keeps its promises: CI runs the README's test command, and every generator has
the tests DEVELOPERS.md asks for."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from examgen import registry

from .conftest import ROOT

TESTS = Path(__file__).resolve().parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick)


def test_ci_runs_the_readme_test_command():
    make, test = _readme_commands()
    assert "examgen make --topics rl,cnn" in make
    assert "\n" not in test and "torch" not in test, "one line a new user can paste"
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines()


def test_the_test_command_sets_up_every_tool_the_tests_ask_for():
    """tools/test.sh (the README's test command) installs each system package behind
    conftest.needs_tool, installs the test extra, and runs pytest."""
    from .conftest import TOOLS

    script = (ROOT / "tools" / "test.sh").read_text()
    assert _readme_commands()[1] == "bash tools/test.sh"
    packages = re.search(r"^PACKAGES=\(([^)]*)\)", script, re.M).group(1).split()
    assert {package for package, _ in TOOLS.values()} <= set(packages)
    assert "apt-get install" in script and "pip install -q -e '.[test]'" in script
    assert "python -m pytest" in script.splitlines()[-1]


def generators_named_in(files) -> set[str]:
    """Generator ids that the test modules pass as the first argument of a call: questions("adam"),
    grade("adam", ...), solve(...), values(...), registry.get(...), or a module's own helper."""
    ids = {g.id for g in registry.all_generators()}
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and node.args[0].value in ids:
                found.add(node.args[0].value)
    return found


def _needing_tests() -> set[str]:
    """Every registered generator but the question bank's concept_<topic> generators (see below)."""
    return {g.id for g in registry.all_generators() if not g.concept}


def test_every_generator_has_an_oracle():
    """Each registered generator is checked against an independent computation in a module of
    tests/oracles/ (found by reading those modules, not from a list kept by hand).

    Not the concept_<topic> generators: their reference answer is not computed but is the option a
    question-bank item marks as right; tests/test_bank.py re-reads the YAML independently of the
    models (one right option, a reason for every wrong one, coverage, no duplicates), and
    tests/test_generators.py runs the generic checks on them like on every generator.
    autograd_trace has one, the other way round: its values come from PyTorch itself, so its oracle
    (oracles/test_pytorch.py) is the derivative rules written out by hand in NumPy."""
    missing = _needing_tests() - generators_named_in(sorted((TESTS / "oracles").glob("test_*.py")))
    assert not missing, f"no oracle test names these generators: {sorted(missing)}"


def test_every_generator_has_hand_worked_cases():
    """Each registered generator (concept_<topic> excepted: see test_every_generator_has_an_oracle;
    test_bank.py works the scoring of every item type by hand on a bank of its own) has cases
    worked by hand in a tests/test_hand_*.py module, autograd_trace in test_hand_pytorch.py."""
    missing = _needing_tests() - generators_named_in(sorted(TESTS.glob("test_hand_*.py")))
    assert not missing, f"no hand-worked test names these generators: {sorted(missing)}"


def test_the_readme_tutor_example_runs_as_written():
    """The README's `examgen.tutor` block, run as it stands: its answers fit the question it draws
    (they once were ADAM's answers for a drawn true/false item), and the ref rebuilds the question."""
    text = (ROOT / "README.md").read_text().split("### One question at a time", 1)[1]
    code = re.search(r"```python\n(.+?)\n```", text, re.S)[1]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # our own README, not user input
    q, report, tutor = scope["q"], scope["report"], scope["tutor"]
    assert report.problems == [] and 0 < report.score < report.points
    assert tutor.rebuild(scope["ref"]).model_dump() == q.model_dump()
