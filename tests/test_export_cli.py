"""`examgen export` from the command line: the files it writes, that a stored exam exports the same
bytes (the exporters read only the exam), that exporting a stored exam loads no generator and that
the exporters' sources import neither the registry nor the grader, and clear errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from examgen.cli import main
from examgen.export.manifest import Manifest


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    out = {}
    for fmt, name in (("qti21", "q.zip"), ("moodle", "m.xml"), ("canvas", "c.zip")):
        r = cli("export", "--format", fmt, "--topics", "rl,cnn", "--variants", "2", "--seed", "5", "--out", d / name)
        assert r.exit_code == 0, r.output
        out[fmt] = d / name
    return d, out


def test_export_writes_the_file_its_manifest_and_the_variants_exams(made):
    d, out = made
    for fmt, path in out.items():
        stem = path.name.split(".")[0]
        manifest = Manifest.model_validate_json((d / f"{stem}.manifest.json").read_text())
        assert manifest.lms == fmt and manifest.file == path.name
        assert [v.id for v in manifest.variants] == ["v1", "v2"]
        for v in manifest.variants:
            assert (d / v.exam).is_file()
        assert path.stat().st_size > 1000


def test_a_stored_exam_exports_the_same_bytes(made):
    d, out = made
    for fmt, path in out.items():
        stem = path.name.split(".")[0]
        again = d / f"again-{path.name}"
        r = cli("export", "--format", fmt, "--exam", d / f"{stem}.exams" / "v1.json",
                "--exam", d / f"{stem}.exams" / "v2.json", "--out", again)
        assert r.exit_code == 0, r.output
        assert again.read_bytes() == path.read_bytes(), fmt


def test_exporting_a_stored_exam_loads_no_generator(made):
    d, out = made
    code = f"""
import sys
from pathlib import Path
from examgen import export, io
from examgen.model import Exam
exams = [io.load(Path({str(d)!r}) / "q.exams" / f"v{{k}}.json", Exam) for k in (1, 2)]
for fmt in ("qti21", "moodle", "canvas"):
    export.render(exams, ["v1", "v2"], fmt)
export.render(exams, ["v1", "v2"], "qti21", "inspera")
loaded = [m for m in sys.modules if m.startswith("examgen.generators.")]
assert not loaded, loaded
assert "torch" not in sys.modules
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip().endswith("ok"), r.stderr


def test_export_refuses_to_overwrite_and_names_bad_options(made, tmp_path):
    d, out = made
    r = cli("export", "--format", "moodle", "--topics", "rl", "--seed", "5", "--out", out["moodle"])
    assert r.exit_code == 1 and "already exists" in r.output and "--force" in r.output
    r = cli("export", "--format", "moodle", "--flavour", "inspera", "--topics", "rl", "--out", tmp_path / "x.xml")
    assert r.exit_code == 1 and "--flavour inspera goes with --format qti21" in r.output
    r = cli("export", "--format", "moodle", "--topics", "nosuchtopic", "--out", tmp_path / "x.xml")
    assert r.exit_code == 1 and "nosuchtopic" in r.output
    r = cli("export", "--format", "moodle", "--exam", d / "q.exams" / "v1.json", "--variants", "3",
            "--out", tmp_path / "y.xml")
    assert r.exit_code == 1 and "--exam exports stored exams" in r.output


def test_export_prints_what_the_format_loses(made, tmp_path):
    r = cli("export", "--format", "canvas", "--topics", "rl", "--seed", "2", "--out", tmp_path / "c.zip")
    assert r.exit_code == 0
    assert "follow-through" in r.output and "examgen import" in r.output
    assert "Canvas Classic" in r.output


def test_exporters_import_neither_the_registry_nor_the_grader():
    """The writers read the exam model only (importing ``examgen`` itself loads the grader, so
    this reads the sources, as the renderers' test does)."""
    import ast
    from pathlib import Path

    import examgen

    forbidden = ("registry", "grading", "generators", "api", "exam", "steps")
    for path in Path(examgen.__file__).parent.joinpath("export").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                parts = (node.module or "").split(".") + [a.name for a in node.names]
                assert not any(p in forbidden for p in parts), (path.name, ast.dump(node))
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith(("examgen.registry", "examgen.grading")) for a in node.names)
