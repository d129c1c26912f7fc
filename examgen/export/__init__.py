"""LMS exports: writers over the exam model (no generator is re-run, the grader is not imported).

* :mod:`.qti21` -- an IMS QTI 2.1 content package (Inspera with ``flavour="inspera"``, Canvas New
  Quizzes, any QTI 2.1 system);
* :mod:`.moodle` -- Moodle XML (Cloze questions for multi-step questions);
* :mod:`.canvas` -- Canvas Classic Quizzes (QTI 1.2 package).

Each reads the same :mod:`.plan` (fields, points, alternatives) built from the kinds' neutral forms
(:meth:`examgen.kinds.Kind.lms`), and returns the file, the :mod:`.manifest` entries that map its
items and fields back to examgen's questions and steps, and notes on what the format cannot
express. :func:`write` puts the export, its manifest and the variants' exams on disk;
:mod:`.moodle_responses` reads a Moodle "Responses" report back into answers files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import io
from ..errors import ExamgenError
from ..model import Exam
from . import plan
from .manifest import Manifest, VariantRef, paths

FORMATS = {"qti21": ".zip", "moodle": ".xml", "canvas": ".zip"}
"""Export format -> the file's extension."""
FLAVOURS = {"qti21": ("inspera",)}


class ExportError(ExamgenError, ValueError):
    """An export that cannot be made (unknown format, files in the way)."""


@dataclass
class Written:
    files: list[Path]
    notes: list[str]
    """What the format cannot express, and how to get it."""


def render(exams: list[Exam], variant_ids: list[str], fmt: str, flavour: str | None = None,
           file_name: str = "export") -> tuple[bytes, Manifest, list[str]]:
    """The export of the variants ``exams`` (one exam spec, variant by variant) as bytes, its
    manifest (which refers to ``<stem>.exams/<variant>.json``) and the notes on what is lost."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; formats are: {', '.join(FORMATS)}")
    if flavour is not None and flavour not in FLAVOURS.get(fmt, ()):
        known = ", ".join(FLAVOURS.get(fmt, ())) or "none"
        raise ExportError(f"format {fmt} has no flavour '{flavour}' (flavours: {known})")
    try:
        pools = plan.pools(exams, variant_ids)
    except ValueError as e:
        raise ExportError(str(e)) from None
    if fmt == "qti21":
        from .qti21 import write as writer
    elif fmt == "moodle":
        from .moodle import write as writer
    else:
        from .canvas import write as writer
    title = exams[0].title
    data, items, notes = writer(pools, title, flavour) if fmt == "qti21" else writer(pools, title)
    _, exams_dir = paths(Path(file_name))
    variants = [VariantRef(id=v, exam_id=e.id, exam=f"{exams_dir.name}/{v}.json") for e, v in zip(exams, variant_ids)]
    manifest = Manifest(lms=fmt, flavour=flavour, file=Path(file_name).name, variants=variants, items=items)
    all_items = [it for p in pools for it in p.items]
    return data, manifest, plan.common_losses(all_items) + notes


def write(exams: list[Exam], variant_ids: list[str], fmt: str, out: Path, flavour: str | None = None,
          force: bool = False) -> Written:
    """Write the export to ``out``, its manifest and the variants' exams beside it."""
    manifest_path, exams_dir = paths(out)
    targets = [out, manifest_path] + [exams_dir / f"{v}.json" for v in variant_ids]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise ExportError(f"{existing[0]} already exists; use another --out or --force")
    data, manifest, notes = render(exams, variant_ids, fmt, flavour, out.name)
    for exam, v in zip(exams, variant_ids):
        io.write_text(exams_dir / f"{v}.json", io.dump(exam))
    io.write_text(manifest_path, manifest.model_dump_json(indent=1, exclude_none=True) + "\n")
    io.write_bytes(out, data)
    return Written(files=[out, manifest_path, exams_dir], notes=notes)
