"""The generators' layout keeps its promises: one file per generator in its lecture's package, found
on disk, imported only when asked for, and a broken file costs only its own generators."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from examgen import generators, registry
from examgen.topics import TOPICS, topic

from .conftest import ROOT

PACKAGE = Path(generators.__file__).parent


def test_every_generator_has_its_own_file_in_its_topics_package():
    modules: dict[str, list[str]] = {}
    for gen in registry.all_generators():
        modules.setdefault(type(gen).__module__, []).append(gen.id)
        if gen.concept:
            assert type(gen).__module__ == "examgen.generators.concepts", gen.id
        else:
            assert type(gen).__module__ == f"examgen.generators.{gen.topic}.{gen.id}", gen.id
    assert all(len(ids) == 1 for m, ids in modules.items() if m != "examgen.generators.concepts"), modules
    assert not registry.LOAD_ERRORS, registry.LOAD_ERRORS


def test_every_package_is_a_lecture_with_its_docstring():
    topic_ids = {t.id for t in TOPICS}
    packages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    assert packages
    for p in packages:
        assert p.name in topic_ids, f"generators/{p.name}/ is not named after a topic"
        doc = ast.get_docstring(ast.parse((p / "__init__.py").read_text()))
        assert doc and doc.startswith(f"Lecture {topic(p.name).number}:"), p.name


def test_no_generator_module_passes_600_lines():
    long = {str(f.relative_to(ROOT)): n for f in PACKAGE.rglob("*.py")
            if (n := len(f.read_text().splitlines())) > 600}
    assert not long, long


def _imported_after(code: str) -> set[str]:
    """The lecture packages (and top-level generator modules) imported by ``code`` in a fresh process."""
    probe = code + textwrap.dedent("""
        import sys
        print(" ".join(sorted({m.split(".")[2] for m in sys.modules
                               if m.startswith("examgen.generators.") and not m.split(".")[2].startswith("_")})))
    """)
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(r.stdout.splitlines()[-1].split())


@pytest.mark.slow  # a fresh interpreter
def test_by_topic_imports_only_that_topics_package():
    code = "from examgen import registry; assert registry.by_topic('rl', concepts=False)\n"
    assert _imported_after(code) == {"rl"}


@pytest.mark.slow  # a fresh interpreter
def test_get_imports_only_that_generators_file():
    code = ("import sys; from examgen import registry; registry.get('adam').generate(1)\n"
            "assert not [m for m in sys.modules if m.startswith('examgen.generators.training.')\n"
            "            and m.split('.')[-1] not in ('adam',) and not m.split('.')[-1].startswith('_')]\n")
    assert _imported_after(code) == {"training"}


@pytest.mark.slow  # a fresh interpreter
def test_make_for_two_topics_imports_only_their_generators(tmp_path):
    code = textwrap.dedent(f"""
        import os
        os.chdir({str(tmp_path)!r})
        from examgen.cli import main
        try:
            main(["make", "--topics", "rl,cnn", "--seed", "1", "--out", "t", "--format", "html"])
        except SystemExit as e:
            assert e.code in (0, None), e.code
    """)
    assert _imported_after(code) == {"rl", "cnn"}


@pytest.fixture
def broken_lecture(tmp_path, monkeypatch):
    """A lecture package whose one generator file fails to import, next to the real ones."""
    pkg = tmp_path / "broken"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""A lecture package found on a second path entry."""\n')
    (pkg / "broken_gen.py").write_text("raise RuntimeError('this file is broken')\n")
    monkeypatch.setattr(generators, "__path__", [*generators.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "LOAD_ERRORS", {})
    registry._layout.cache_clear()
    layout = registry._layout()
    yield layout
    registry._layout.cache_clear()
    registry._imported.discard("broken.broken_gen")


def test_a_broken_module_warns_and_is_skipped(broken_lecture):
    assert broken_lecture["broken"] == ["broken.broken_gen"]
    with pytest.warns(UserWarning, match="broken.broken_gen.*this file is broken"):
        gens = registry.all_generators()
    assert registry.LOAD_ERRORS == {"broken.broken_gen": "RuntimeError: this file is broken"}
    assert {"gan_losses", "adam", "concept_rl"} <= {g.id for g in gens}
    assert registry.get("gan_losses").generate(1)
