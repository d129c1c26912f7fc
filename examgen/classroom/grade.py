"""Grading a class against the teacher's files (``examgen grade SUBMISSIONS... --class CLASS``).

Each submitted file is matched to its student by the sheet's ``student`` field, checked against
the variant it answers (its exam id, which is different for every variant), and graded against
that variant's stored ``teacher/<folder>/exam.json``: never against an exam rebuilt from a spec
inside the submitted file. The gradebook has a row per roster student, in roster order, and rows
for the files that belong to nobody on the roster; a row's flags (:data:`examgen.model.Flag`) say
what needs the teacher's eye:

* ``no_sheet``: a roster student with no sheet (score left empty);
* ``duplicate``: two or more sheets name one student: every one is graded and listed;
* ``wrong_variant``: the sheet names one student but answers another student's variant (it is
  graded against the variant it answers, and the note names whose it is);
* ``not_on_roster``: the sheet names someone who is not in the class;
* ``unnamed``: the sheet names no student (saved without one): matched by its variant;
* ``unknown_exam``: the sheet is for an exam that is no variant of this class;
* ``unreadable``: the file cannot be read (its error in the row).

Rows with a flag that needs a decision keep their score out of ``canvas.csv`` (see
:data:`examgen.model.HELD`). Sheets are graded in parallel, one process per core, each of which
also writes the student's feedback page (:mod:`.feedback`) into the output's staging folder.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .. import io
from ..errors import ExamgenError
from ..model import AnswerSheet, ClassRecord, ClassStudent, Exam, Gradebook, GradebookRow, GradeReport, Student

MAX_SUBMISSIONS = 10_000
CHUNK = 16
"""Sheets per task sent to a worker process (fewer, larger messages)."""


class ClassError(ExamgenError, ValueError):
    """The class folder or the submissions cannot be used."""


def load_class(class_dir: Path) -> ClassRecord:
    """The class a ``make --students`` run wrote into ``class_dir``."""
    path = class_dir / "class.json"
    if not path.is_file():
        raise ClassError(f"{class_dir}: no class.json here; give the folder `examgen make --students` wrote")
    return io.load(path, ClassRecord)


def exam_path(class_dir: Path, student: ClassStudent) -> Path:
    return class_dir / "teacher" / student.folder / "exam.json"


def collect(paths: list[Path]) -> list[Path]:
    """The submitted files: each file given, and every ``*.json`` below each folder given (hidden
    files and folders skipped, symlinked folders not followed), in order, each once."""
    out: dict[Path, None] = {}
    for p in paths:
        if p.is_dir():
            found = []
            for folder, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(folder) / f for f in sorted(files) if f.endswith(".json") and not f.startswith(".")]
        else:
            found = [p]
        for f in found:
            out.setdefault(f, None)
            if len(out) > MAX_SUBMISSIONS:
                raise ClassError(f"more than {MAX_SUBMISSIONS:,} submitted files; grade the class in parts")
    return list(out)


@dataclass
class Sheet:
    """One submitted file as read: its sheet or why it could not be read."""

    path: Path
    sheet: AnswerSheet | None = None
    error: str | None = None


def read(path: Path) -> Sheet:
    try:
        return Sheet(path, io.load(path, AnswerSheet, max_bytes=io.MAX_ANSWERS_BYTES))
    except ExamgenError as e:
        message = str(e)
        return Sheet(path, error=message if message.startswith(str(path)) else f"{path}: {message}")


@dataclass
class Match:
    """Where a sheet goes: the gradebook row's student and flags, and the exam to grade it with."""

    student: ClassStudent | Student | None
    on_roster: bool
    flags: list[str]
    notes: list[str]
    exam_of: ClassStudent | None  # whose variant the sheet answers (None: no variant of this class)


def match(s: Sheet, record: ClassRecord, by_id: dict[str, ClassStudent],
          by_exam: dict[str, ClassStudent]) -> Match:
    """Which student a sheet belongs to and what is wrong with it (see the module docstring)."""
    if s.sheet is None:
        return Match(None, False, ["unreadable"], [s.error or "cannot be read"], None)
    claimed, answered = s.sheet.student, by_exam.get(s.sheet.exam_id)
    flags, notes = [], []
    if answered is None:
        flags.append("unknown_exam")
        notes.append(f"the sheet is for exam {io.shorten(s.sheet.exam_id)}, which is no variant of this class")
    if claimed is None:
        flags.append("unnamed")
        if answered is None:
            notes.append("the sheet names no student")
            return Match(None, False, flags, notes, None)
        notes.append(f"the sheet names no student: matched by its variant to {answered.id}")
        return Match(answered, True, flags, notes, answered)
    student = by_id.get(claimed.id)
    if student is None:
        flags.append("not_on_roster")
        notes.append(f"{io.shorten(claimed.id)} is not on the class roster")
        return Match(claimed, False, flags, notes, answered)
    if answered is not None and answered.id != student.id:
        flags.append("wrong_variant")
        notes.append(f"the sheet names {student.id} but answers the variant of {answered.id} "
                     f"(graded against that variant)")
    return Match(student, True, flags, notes, answered)


@lru_cache(maxsize=4)
def _exam(path: str) -> Exam:
    return io.load_own(path, Exam)


def _grade_chunk(jobs: list[tuple[str, str | None, str, str | None, dict | None]], feedback: bool,
                 class_title: str) -> list[tuple[str | None, str | None, dict[str, str]]]:
    """In a worker: grade each (exam path, sheet JSON, own exam path, staged feedback path,
    feedback header) and write the feedback page. Returns per job the report as JSON, an error,
    and the digests of the files written."""
    from .. import files as fileset
    from ..grading.mark import grade_sheet

    out = []
    for exam_file, sheet_json, own_exam, page_path, about in jobs:
        report_json = error = None
        digests: dict[str, str] = {}
        report = None
        try:
            if sheet_json is not None and exam_file is not None:
                report = grade_sheet(AnswerSheet.model_validate_json(sheet_json), _exam(exam_file))
                report_json = report.model_dump_json()
            if feedback and page_path is not None:
                from .feedback import feedback_page

                page = feedback_page(_exam(own_exam), report, class_title=class_title,
                                     solutions=Path(own_exam).with_name("solutions.html"), **about).encode()
                fileset.write_staged(Path(page_path), page, private=True)
                digests[page_path] = fileset.digest(page)
        except ExamgenError as e:
            error = str(e)[:500]
        out.append((report_json, error, digests))
    return out


@dataclass
class Grading:
    """A class grading run, prepared: the gradebook rows of every submitted file and the tasks
    (a sheet to grade, or a feedback page only) that :meth:`run` does."""

    record: ClassRecord
    rows: list[GradebookRow]
    per_student: dict[str, list[int]]
    tasks: list[tuple[int | None, tuple]]
    feedback: bool

    def run(self, jobs: int | None = None, progress: Callable[[int], None] | None = None,
            stage=None) -> Gradebook:
        """Grade (in parallel) and assemble the gradebook: roster order, then the other files."""
        record, rows = self.record, self.rows
        results = _run(self.tasks, self.feedback, record.title, jobs, progress)
        for (i, _), (report_json, error, digests) in zip(self.tasks, results):
            if stage is not None:
                stage.wrote({Path(p).relative_to(stage.path("")).as_posix(): d for p, d in digests.items()})
            if i is None:
                continue
            if report_json is not None:
                report = GradeReport.model_validate_json(report_json)
                rows[i].report, rows[i].score = report, report.score
            if error is not None:
                rows[i].notes.append(f"could not be graded: {error}")
        ordered = []
        for st in record.students:
            mine = self.per_student.get(st.id)
            if mine:
                ordered += [rows[i] for i in mine]
            else:
                ordered.append(GradebookRow(student=st, on_roster=True, points=record.points, flags=["no_sheet"],
                                            notes=["no sheet was handed in"]))
        ordered += [r for r in rows if not r.on_roster]
        return Gradebook(title=record.title, spec=record.spec, points=record.points, questions=record.questions,
                         rows=ordered)


def prepare(paths: list[Path], class_dir: Path, record: ClassRecord | None = None, stage=None) -> Grading:
    """Read and match every submitted file against the class in ``class_dir`` (its ``record``,
    read if not given). With ``stage`` (a :class:`examgen.files.Staging`), every roster student's
    feedback page will be written into it as ``feedback/<folder>.html``."""
    record = record or load_class(class_dir)
    by_id = {s.id: s for s in record.students}
    by_exam = {s.exam_id: s for s in record.students if s.exam_id}
    sheets = [read(p) for p in collect(paths)]
    matches = [match(s, record, by_id, by_exam) for s in sheets]

    rows: list[GradebookRow] = []
    per_student: dict[str, list[int]] = {}
    for i, (s, m) in enumerate(zip(sheets, matches)):
        rows.append(GradebookRow(student=m.student, on_roster=m.on_roster, file=str(s.path), points=record.points,
                                 flags=m.flags, notes=m.notes))
        if m.on_roster:
            per_student.setdefault(m.student.id, []).append(i)
    for sid, idx in per_student.items():
        if len(idx) > 1:
            files = ", ".join(rows[i].file for i in idx)
            for i in idx:
                rows[i].flags.append("duplicate")
                rows[i].notes.append(f"{len(idx)} sheets name {sid}: {files}")

    # a task per sheet that can be graded, and per roster student without a sheet (feedback only)
    page = (lambda st: str(stage.path(f"feedback/{st.folder}.html"))) if stage is not None else (lambda st: None)
    tasks: list[tuple[int | None, tuple]] = []
    paged: set[str] = set()
    for i, (s, m) in enumerate(zip(sheets, matches)):
        if m.exam_of is None:
            continue
        own = by_id[m.student.id] if m.on_roster else None
        first = own is not None and own.id not in paged
        if first:
            paged.add(own.id)
        about = dict(student=m.student, flags=rows[i].notes, file=str(s.path))
        tasks.append((i, (str(exam_path(class_dir, m.exam_of)), s.sheet.model_dump_json(),
                          str(exam_path(class_dir, own or m.exam_of)), page(own) if first else None, about)))
    for st in record.students:
        if st.id not in paged:
            notes = ["no sheet was handed in"] if st.id not in per_student else rows[per_student[st.id][0]].notes
            tasks.append((None, (None, None, str(exam_path(class_dir, st)), page(st),
                                 dict(student=st, flags=notes, file=None))))
    return Grading(record, rows, per_student, tasks, stage is not None)


def grade_class(paths: list[Path], class_dir: Path, record: ClassRecord | None = None, stage=None,
                jobs: int | None = None, progress: Callable[[int], None] | None = None) -> Gradebook:
    """:func:`prepare` and :meth:`Grading.run` in one."""
    return prepare(paths, class_dir, record, stage).run(jobs, progress, stage)


def _run(tasks, feedback: bool, title: str, jobs: int | None, progress) -> list:
    """The tasks' results in order: in this process for a few, else on ``jobs`` processes."""
    chunks = [tasks[k:k + CHUNK] for k in range(0, len(tasks), CHUNK)]
    workers = min(jobs or os.cpu_count() or 1, len(chunks))
    results = []
    if workers <= 1:
        for chunk in chunks:
            results += _grade_chunk([job for _, job in chunk], feedback, title)
            if progress:
                progress(len(chunk))
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_grade_chunk, [job for _, job in chunk], feedback, title) for chunk in chunks]
        for chunk, fut in zip(chunks, futures):
            results += fut.result()
            if progress:
                progress(len(chunk))
    return results
