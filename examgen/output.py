"""Writing exams to disk: one exam's files, or a variant per student of a class.

One exam (``examgen make``)::

    DIR/exam.html  exam.pdf  solutions.html  solutions.pdf  exam.json  answers.json  key.json

A class (``examgen make --students roster.csv``): a keyed variant per student (the same
questions, parts and points, their own numbers, derived from the teacher's secret; see
:mod:`examgen.exam` and :mod:`examgen.classroom.secret`)::

    DIR/students/<folder>/exam.html  exam.pdf  answers.json   what the student gets
    DIR/teacher/<folder>/exam.json  solutions.html  solutions.pdf   reference answers per variant
    DIR/teacher/secret.key   the secret (unless --secret-file or EXAMGEN_SECRET names another)
    DIR/class.json       the roster with each student's folder, variant code and exam id
    DIR/keys.json        every variant's answer key (one file)
    DIR/all-exams.pdf    every student's exam, in roster order, for printing

The teacher's files (``teacher/``, ``keys.json``, ``class.json``) are private (0600 files in 0700
folders). Every set of files is written all or nothing, and ``--force`` replaces only files
examgen wrote and nobody changed (an ``answers.json`` someone filled in is kept): see
:mod:`examgen.files`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from . import files as fileset, io
from .errors import ExamgenError
from .exam import answer_sheet, build_exam, variant_code, variant_key
from .model import ClassRecord, ClassStudent, Exam, ExamSpec, OutlinePart, OutlineQuestion, Student

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

        files["exam.html"] = exam_html(exam, student).encode()
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


@dataclass
class Written:
    files: list[Path]
    kept: list[Path]


def write_exam(exam: Exam, out: Path, formats: tuple[str, ...] = FORMATS, force: bool = False) -> Written:
    """Write one exam's files into ``out`` (all or nothing; see :mod:`examgen.files`)."""
    rendered = _render(exam, formats)
    plan = fileset.Plan(out, list(rendered))
    plan.check(force)
    with plan.staging() as stage:
        for name, data in rendered.items():
            stage.write(name, data)
        kept = stage.commit()
    return Written(files=[out / n for n in rendered], kept=[out / k for k in kept])


# --- a class: a keyed variant per student ---------------------------------------------------

def folder_name(student_id: str) -> str:
    """A safe folder name for one student id (a class names all its folders at once, so that
    they differ on case-insensitive file systems too: :func:`examgen.classroom.roster.folder_names`)."""
    from .classroom.roster import folder_names

    return folder_names([student_id])[0]


STUDENT_FILES = ("exam.html", "exam.pdf", "answers.json")
TEACHER_FILES = ("exam.json", "solutions.html", "solutions.pdf")
CLASS_FILES = ("class.json", "keys.json")


def _private(rel: str) -> bool:
    return rel.startswith("teacher/") or rel in CLASS_FILES


def _planned(folder: str, formats: tuple[str, ...]) -> dict[str, str]:
    """Where each of a student's files goes, relative to the class folder (only the formats asked for)."""
    wanted = {"exam.json", "answers.json"} | {f"{kind}.{fmt}" for kind in ("exam", "solutions") for fmt in formats}
    places = {name: f"students/{folder}/{name}" for name in STUDENT_FILES}
    places |= {name: f"teacher/{folder}/{name}" for name in TEACHER_FILES}
    return {name: rel for name, rel in places.items() if name in wanted}


def _student_job(spec: ExamSpec, key: bytes, student: Student, formats: tuple[str, ...],
                 places: dict[str, tuple[str, bool]]) -> tuple[bytes, bytes | None, dict[str, str], ClassRecord]:
    """Make one student's variant and write its files into the staging folder (in a worker
    process). Returns what the class build still needs: the answer key, the exam PDF for the
    combined PDF, the digests of the files written, and the exam's id and outline."""
    exam = build_exam(spec, key=key)
    rendered = _render(exam, formats, student=student, threads=False)
    digests = {}
    for name, (path, private) in places.items():
        fileset.write_staged(Path(path), rendered[name], private)
        digests[name] = fileset.digest(rendered[name])
    about = ClassRecord(title=exam.title, spec=spec, points=sum(p.points for q in exam.questions for p in q.parts),
                        questions=outline(exam), students=[ClassStudent(id=student.id, folder="", exam_id=exam.id)])
    return rendered["key.json"], rendered.get("exam.pdf"), digests, about


def outline(exam: Exam) -> list[OutlineQuestion]:
    """What an exam asks, without numbers (the same for every variant of a class)."""
    from .render.markup import plain

    return [OutlineQuestion(id=q.id, generator=q.generator, title=q.title, parts=[
        OutlinePart(id=p.id, points=p.points, steps=[plain(q.step(n).label) for n in p.steps]) for p in q.parts])
        for q in exam.questions]


def _clean_processes():
    """Worker processes that start from a fresh interpreter (a fork server; spawn where there is
    none). A plain fork would copy this process's typesetting threads' held locks: once a process
    has typeset a PDF (``write_exam``, then ``build_class``), its forked workers hang for ever."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["examgen.output"])  # imported once, then forked per worker
        return ctx
    return multiprocessing.get_context("spawn")


def build_class(spec: ExamSpec, students: list[ClassStudent], out: Path, secret: bytes,
                formats: tuple[str, ...] = FORMATS, force: bool = False, jobs: int | None = None,
                progress: Callable[[int], None] | None = None) -> Written:
    """A keyed variant of ``spec`` per student, built in parallel on ``jobs`` processes (default:
    all cores), written all or nothing. The workers start from a fresh interpreter, so a script
    calling this needs the usual ``if __name__ == "__main__":`` guard."""
    base = spec.model_copy(update={"variant": None, "keyed": True})
    codes = {s.id: variant_code(secret, spec.seed, s.id) for s in students}
    if len(set(codes.values())) != len(codes):
        raise OutputError("two students' variant codes coincide; use another seed")
    places = [_planned(s.folder, formats) for s in students]
    names = [rel for pl in places for rel in pl.values()] + list(CLASS_FILES)
    names += ["all-exams.pdf"] if "pdf" in formats else []
    plan = fileset.Plan(out, names, _private)
    plan.check(force)

    keys: dict[int, bytes] = {}
    about: dict[int, ClassRecord] = {}
    merger = PdfMerger() if "pdf" in formats else None
    with plan.staging() as stage:
        pool = ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1, mp_context=_clean_processes())
        try:
            futures = {}
            for i, s in enumerate(students):
                variant = base.model_copy(update={"variant": codes[s.id]})
                staged = {name: (str(stage.path(rel)), _private(rel)) for name, rel in places[i].items()}
                futures[pool.submit(_student_job, variant, variant_key(secret, spec.seed, s.id),
                                    Student(id=s.id, name=s.name), formats, staged)] = i
            for fut in as_completed(futures):
                i = futures[fut]
                keys[i], exam_pdf, digests, about[i] = fut.result()
                stage.wrote({places[i][name]: d for name, d in digests.items()})
                if merger is not None:
                    merger.add(i, exam_pdf)
                if progress:
                    progress(1)
        finally:  # a failure stops the class at once (nothing of it is kept)
            pool.shutdown(wait=True, cancel_futures=True)
        first = about[0]
        shape = lambda r: [(q.id, q.generator, [(p.id, p.points, len(p.steps)) for p in q.parts]) for q in r.questions]
        unequal = [students[i].id for i, a in about.items() if shape(a) != shape(first)]
        if unequal:  # exam.build_exam draws every variant with the same structure: a bug if not
            raise AssertionError(f"variants of {', '.join(unequal[:3])} ask other parts than the first")
        record = ClassRecord(title=first.title, spec=base, points=first.points, questions=first.questions,
                             students=[s.model_copy(update={"variant": codes[s.id], "exam_id": about[i].students[0].exam_id})
                                       for i, s in enumerate(students)])
        sheets = [json.loads(keys[i]) for i in range(len(students))]
        stage.write("keys.json", (json.dumps({"format": KEYS_FORMAT, "spec": base.model_dump(mode="json"),
                                              "keys": sheets}, indent=2) + "\n").encode())
        stage.write("class.json", io.dump(record).encode())
        if merger is not None:
            stage.write("all-exams.pdf", merger.result())
        kept = stage.commit()
    written = [out / "class.json", out / "keys.json"] + ([out / "all-exams.pdf"] if merger else [])
    return Written(files=written + [out / "students", out / "teacher"], kept=[out / k for k in kept])


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
