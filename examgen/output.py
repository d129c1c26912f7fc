"""Writing exams to disk: one exam's files, or a variant per student of a class.

One exam (``examgen make``)::

    DIR/exam.html  exam.pdf  solutions.html  solutions.pdf  exam.json  answers.json  key.json

A class (``examgen make --students roster.csv``), each student's variant seeded from the exam
seed and the student id::

    DIR/students/<id>/exam.html  exam.pdf  answers.json   what the student gets
    DIR/teacher/<id>/exam.json  solutions.html  solutions.pdf   reference answers per variant
    DIR/keys.json        every variant's answer key (one file)
    DIR/all-exams.pdf    every student's exam, in roster order, for printing

Nothing a user wrote is overwritten: existing files stop the run unless ``force``, and even then
an ``answers.json`` holding answers is kept.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from .errors import ExamgenError
from . import io
from .exam import answer_sheet, build_exam
from .model import Exam, ExamSpec, Student

FORMATS = ("html", "pdf")
KEYS_FORMAT = "examgen-keys/1"


class OutputError(ExamgenError, ValueError):
    """The output folder or roster cannot be used (the message says why)."""


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    items = [f.strip().lower() for f in (text.split(",") if isinstance(text, str) else text) if f.strip()]
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise OutputError(f"unknown format {', '.join(bad) or '(none)'}; formats are: {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def has_answers(path: Path) -> bool:
    """True when an answers file holds any filled-in answer (or cannot be read: then it is kept too)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return any(v not in (None, "") for q in data.get("answers", {}).values()
                   for p in q.values() for v in p.values())
    except (OSError, ValueError, AttributeError):
        return True


def _render(exam: Exam, formats: tuple[str, ...], student: Student | None = None,
            threads: bool = True) -> dict[str, bytes]:
    """Every file of one exam, by name. With ``threads``, Typst typesets the two PDFs in two
    threads while Python writes the HTML (one exam: faster). The Typst sources are made here, in
    this thread, so that the compilers (which release the GIL) start as early as possible. A class
    build runs one process per core instead, each typesetting in turn."""
    files: dict[str, bytes] = {"exam.json": io.dump(exam).encode()}
    pdfs = {}
    if "pdf" in formats:
        from .render.pdf import exam_source, figures, solutions_source, typeset

        if threads:  # one exam: the two documents in parallel, the longer one first
            pdfs["solutions.pdf"] = _typesetter().submit(typeset, solutions_source(exam))
            pdfs["exam.pdf"] = _typesetter().submit(typeset, exam_source(exam, student), figures(exam))
        else:  # a class: one process per core, each typesetting in turn
            files["exam.pdf"] = typeset(exam_source(exam, student), figures(exam))
            files["solutions.pdf"] = typeset(solutions_source(exam))
    if "html" in formats:
        from .render.html import exam_html, solutions_html

        files["exam.html"] = exam_html(exam).encode()
        files["solutions.html"] = solutions_html(exam).encode()
    files.update({name: future.result() for name, future in pdfs.items()})
    files["answers.json"] = io.dump(answer_sheet(exam, student=student)).encode()
    files["key.json"] = io.dump(answer_sheet(exam, key=True, student=student)).encode()
    return files


@lru_cache(maxsize=1)
def _typesetter() -> ThreadPoolExecutor:
    """Two long-lived threads for Typst, each keeping its own compiler (fonts loaded once)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="typst")


def prepare(formats: tuple[str, ...]) -> None:
    """Start the typesetting threads and load their fonts now, while the caller generates."""
    if "pdf" in formats:
        from .render.pdf import warm_up

        for _ in range(2):
            _typesetter().submit(warm_up)


def _check_free(paths: list[Path], force: bool) -> None:
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:4]) + (" ..." if len(existing) > 4 else "")
        raise OutputError(f"{shown} already exist{'s' if len(existing) == 1 else ''}; "
                          "use another --out or --force")


def _write(files: dict[Path, bytes]) -> list[Path]:
    """Write the files; an answers.json holding answers is never replaced. Returns the kept ones."""
    kept = []
    for path, data in files.items():
        if path.name == "answers.json" and path.exists() and has_answers(path):
            kept.append(path)
            continue
        io.write_bytes(path, data)
    return kept


@dataclass
class Written:
    files: list[Path]
    kept: list[Path]


def write_exam(exam: Exam, out: Path, formats: tuple[str, ...] = FORMATS, force: bool = False) -> Written:
    """Write one exam's files into ``out``."""
    files = {out / name: data for name, data in _render(exam, formats).items()}
    _check_free(list(files), force)
    kept = _write(files)
    return Written(files=list(files), kept=kept)


# --- a class: a variant per student ---------------------------------------------------------

def read_roster(path: Path) -> list[Student]:
    """Students from a CSV file with columns ``id`` and ``name`` (a header row is required)."""
    data = io.read_text(path)
    rows = list(csv.reader(data.splitlines()))
    if not rows:
        raise io.InputError(f"{path}: the roster is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "id" not in header:
        raise io.InputError(f"{path}: line 1: the header needs an 'id' column (and optionally 'name'), "
                            f"found: {', '.join(rows[0])}")
    i_id, i_name = header.index("id"), header.index("name") if "name" in header else None
    students, seen = [], {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        sid = row[i_id].strip() if i_id < len(row) else ""
        if not sid:
            raise io.InputError(f"{path}: line {n}: field 'id' is empty")
        if len(sid) > 64:
            raise io.InputError(f"{path}: line {n}: field 'id' is longer than 64 characters")
        if sid in seen:
            raise io.InputError(f"{path}: line {n}: field 'id' repeats '{sid}' from line {seen[sid]}")
        seen[sid] = n
        name = row[i_name].strip() if i_name is not None and i_name < len(row) else None
        students.append(Student(id=sid, name=name or None))
    if not students:
        raise io.InputError(f"{path}: the roster names no students")
    return students


def folder_name(student_id: str) -> str:
    """A safe folder name for a student id."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", student_id).strip("._") or "student"
    return name[:64]


STUDENT_FILES = ("exam.html", "exam.pdf", "answers.json")
TEACHER_FILES = ("exam.json", "solutions.html", "solutions.pdf")


def _student_job(spec: ExamSpec, student: Student, formats: tuple[str, ...],
                 places: dict[str, Path]) -> tuple[bytes, bytes | None, list[Path]]:
    """Make and write one student's files (in a worker process). Returns what the class build
    still needs: the answer key, the exam PDF for the combined PDF, and the answers files kept."""
    files = _render(build_exam(spec.model_copy(update={"variant": student.id})), formats, student=student,
                    threads=False)
    kept = _write({path: files[name] for name, path in places.items()})
    return files["key.json"], files.get("exam.pdf"), kept


def _planned(out: Path, folder: str, formats: tuple[str, ...]) -> dict[str, Path]:
    """Where each of a student's files goes (only the formats asked for)."""
    wanted = {"exam.json", "answers.json"} | {f"{kind}.{fmt}" for kind in ("exam", "solutions") for fmt in formats}
    places = {name: out / "students" / folder / name for name in STUDENT_FILES}
    places |= {name: out / "teacher" / folder / name for name in TEACHER_FILES}
    return {name: path for name, path in places.items() if name in wanted}


def _clean_processes():
    """Worker processes that start from a fresh interpreter (a fork server; spawn where there is
    none). A plain fork would copy this process's typesetting threads' held locks: once a process
    has typeset a PDF (``write_exam``, then ``build_class``), its forked workers hang for ever."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["examgen.output"])  # imported once, then forked per worker
        return ctx
    return multiprocessing.get_context("spawn")


def build_class(spec: ExamSpec, students: list[Student], out: Path, formats: tuple[str, ...] = FORMATS,
                force: bool = False, jobs: int | None = None,
                progress: Callable[[int], None] | None = None) -> Written:
    """A variant of ``spec`` per student, built in parallel on ``jobs`` processes (default: all cores).
    The workers start from a fresh interpreter, so a script calling this needs the usual
    ``if __name__ == "__main__":`` guard."""
    folders = [folder_name(s.id) for s in students]
    clash = {f for f in folders if folders.count(f) > 1}
    if clash:
        raise OutputError(f"student ids map to the same folder name: {', '.join(sorted(clash))}")
    places = [_planned(out, f, formats) for f in folders]
    _check_free([out / "keys.json", out / "all-exams.pdf"] + [p for pl in places for p in pl.values()], force)

    keys: dict[int, bytes] = {}
    kept: list[Path] = []
    merger = PdfMerger() if "pdf" in formats else None
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1, mp_context=_clean_processes()) as pool:
        futures = {pool.submit(_student_job, spec, s, formats, places[i]): i for i, s in enumerate(students)}
        for fut in as_completed(futures):
            i = futures[fut]
            keys[i], exam_pdf, kept_here = fut.result()
            kept += kept_here
            if merger is not None:
                merger.add(i, exam_pdf)
            if progress:
                progress(1)

    sheets = [json.loads(keys[i]) for i in range(len(students))]
    written = [out / "keys.json"]
    io.write_text(out / "keys.json", json.dumps(
        {"format": KEYS_FORMAT, "spec": spec.model_dump(mode="json"), "keys": sheets}, indent=2) + "\n")
    if merger is not None:
        io.write_bytes(out / "all-exams.pdf", merger.result())
        written.append(out / "all-exams.pdf")
    return Written(files=written + [out / "students", out / "teacher"], kept=kept)


class PdfMerger:
    """Concatenates PDFs in order as they arrive (out of order is fine), so a class build merges
    while its workers are still typesetting (pikepdf/qpdf: 300 exams take about 2 s to copy, where
    a pure-Python merge took 20)."""

    def __init__(self):
        import pikepdf

        self._pikepdf = pikepdf
        self.pdf = pikepdf.Pdf.new()
        self.pending: dict[int, bytes] = {}
        self.sources: list = []  # must stay open until the merged PDF is saved
        self.next = 0

    def add(self, index: int, data: bytes) -> None:
        import io as _io

        self.pending[index] = data
        while self.next in self.pending:
            src = self._pikepdf.Pdf.open(_io.BytesIO(self.pending.pop(self.next)))
            self.pdf.pages.extend(src.pages)
            self.sources.append(src)
            self.next += 1

    def result(self) -> bytes:
        import io as _io

        if self.pending:
            raise ValueError(f"PDFs {sorted(self.pending)} arrived without the ones before them")
        buf = _io.BytesIO()
        self.pdf.save(buf)
        return buf.getvalue()
