"""The export manifest: which examgen variant, question, part and step each LMS item and answer
field is, so that responses downloaded from the LMS can be read back into answers files.

Written beside the export as ``<name>.manifest.json``, with the variants' full exams (reference
answers included: keep them with the teacher) in ``<name>.exams/<variant>.json``::

    {"format": "examgen-export/1", "lms": "moodle", "flavour": null, "file": "quiz.xml",
     "variants": [{"id": "v1", "exam_id": "7-1a2b3c4d", "exam": "quiz.exams/v1.json"}, ...],
     "items": [{"ident": "q1-v1", "slot": "q1", "variant": "v1", "question": "q1",
                "name": "q1-v1 ADAM with bias correction",
                "fields": [{"part": "a", "step": "m1"}, {"part": "b", "step": "W", "entry": 3}, ...]}]}

A field's ``entry`` is its index among the step's entries (row-major for an array, the statement
for true/false); ``choices`` maps the text an LMS shows for each option back to the option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field as PydanticField

from .. import io
from ..model import Exam, Model

MANIFEST_FORMAT = "examgen-export/1"


class FieldRef(Model):
    part: str
    step: str
    entry: int | None = None
    ident: str | None = PydanticField(None, description="The LMS's own id of the field, where it has one.")
    choices: dict[str, str] | None = PydanticField(None, description="Shown text -> option, for choice fields.")


class ItemRef(Model):
    ident: str
    slot: str
    variant: str
    question: str
    name: str
    fields: list[FieldRef]


class VariantRef(Model):
    id: str
    exam_id: str
    exam: str = PydanticField(description="The variant's exam file, relative to the manifest.")


class Manifest(Model):
    format: Literal["examgen-export/1"] = MANIFEST_FORMAT
    lms: str
    flavour: str | None = None
    file: str
    variants: list[VariantRef]
    items: list[ItemRef]

    def item(self, ident: str) -> ItemRef | None:
        return next((i for i in self.items if i.ident == ident), None)


def paths(out: Path) -> tuple[Path, Path]:
    """Where the manifest and the variants' exams go, beside the export ``out``."""
    stem = out.name.rsplit(".", 1)[0] if "." in out.name else out.name
    return out.with_name(stem + ".manifest.json"), out.with_name(stem + ".exams")


def load(path: Path) -> tuple[Manifest, dict[str, Exam]]:
    """The manifest and its variants' exams (by variant id); InputError naming the file otherwise."""
    manifest = io.load(path, Manifest)
    exams = {}
    for v in manifest.variants:
        exam = io.load(path.parent / v.exam, Exam)
        if exam.id != v.exam_id:
            raise io.InputError(f"{path.parent / v.exam}: is exam '{exam.id}', the manifest names '{v.exam_id}'")
        exams[v.id] = exam
    return manifest, exams
