"""The repository keeps its promises: CI runs the README's test command."""

from __future__ import annotations

import re

from .conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick)


def test_ci_runs_the_readme_test_command():
    make, test = _readme_commands()
    assert "examgen make --topics rl,cnn" in make
    assert "pytest" in test and "torch" not in test.replace("'.[test]'", "")
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines()
