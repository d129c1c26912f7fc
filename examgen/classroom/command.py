"""What ``examgen grade --class`` prints and writes (the command's body; :mod:`examgen.cli` parses
its options)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .. import files as fileset
from ..model import HELD
from ..render.text import safe as _safe
from . import analysis, gradebook
from .grade import ClassError, load_class, prepare


def grade_class_command(answers: list[Path], class_dir: Path, out: Path | None, force: bool,
                        jobs: int | None, progress) -> None:
    """``examgen grade ANSWERS... --class CLASS``: grade, write the gradebook files, feedback pages and
    report (all or nothing), print the gradebook. ``progress(length, label)``: a progress context."""
    record = load_class(class_dir)
    out = out or default_grades_folder(answers)
    inside = [a for a in answers if a.is_dir() and (out.resolve() == a.resolve() or a.resolve() in out.resolve().parents)]
    if inside:
        raise ClassError(f"--out {out} is inside the submissions folder {inside[0]}; nothing there is changed: "
                         "choose another --out")
    names = ["gradebook.csv", "gradebook.json", "canvas.csv", "report.html"]
    names += [f"feedback/{s.folder}.html" for s in record.students]
    plan = fileset.Plan(out, names, private=lambda rel: True)  # grades are personal data
    plan.check(force)
    with plan.staging() as stage:
        grading = prepare(answers, class_dir, record, stage)
        with progress(len(grading.tasks), f"grading {len(grading.rows)} files") as update:
            book = grading.run(jobs, update, stage)
        for name, data in gradebook.files(book).items():
            stage.write(name, data)
        result = analysis.analyse(book)
        stage.write("report.html", analysis.report_html(result, book.spec.seed).encode())
        stage.commit()
    _print_gradebook(book, result)
    click.echo(_safe(f"gradebook -> {out}/: gradebook.csv, gradebook.json, canvas.csv (Canvas import), "
                     f"report.html (item analysis), feedback/ ({len(record.students)} pages)"))


def default_grades_folder(answers: list[Path]) -> Path:
    """Beside the submissions: ``<folder>-grades`` next to the folder that holds them all (or
    ``grades`` in the current folder when that is the current folder)."""
    folders = [a.resolve() if a.is_dir() else a.resolve().parent for a in answers]
    common = Path(os.path.commonpath([str(f) for f in folders])) if folders else Path.cwd()
    if common == Path.cwd().resolve() or common.parent == common:
        return Path("grades")
    return common.parent / f"{common.name}-grades"


def _print_gradebook(book, result) -> None:

    for row in book.rows:
        s = row.student
        who = f"{s.id} ({s.name})" if s and s.name else (s.id if s else (row.file or "?"))
        score = "—" if row.score is None else f"{row.score:g} / {row.points}"
        hold = " (not in canvas.csv)" if row.on_roster and set(row.flags) & set(HELD) else ""
        click.echo(_safe(f"  {who[:40]:<40} {score:>12}  {' '.join(row.flags)}{hold}"))
    counts = {}
    for row in book.rows:
        for f in row.flags:
            counts[f] = counts.get(f, 0) + 1
    files = [r for r in book.rows if r.file]
    graded = sum(1 for r in files if r.report is not None)
    roster = {r.student.id for r in book.rows if r.on_roster}
    without = sum(1 for r in book.rows if "no_sheet" in r.flags)
    click.echo(f"{len(files)} files, {graded} graded · {len(roster)} roster students, {len(roster) - without} "
               f"with a sheet" + (" · flags: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts else ""))
    if result.n:
        click.echo(f"class mean {result.mean:.1f} / {result.points} over {result.n} counted sheets"
                   + (f" · Cronbach's alpha {result.alpha:.2f}" if result.alpha is not None else ""))
