"""The ``examgen`` command: a thin layer over the library API (:mod:`examgen.api`).

Every command parses its options, calls the library and prints. Errors a user can cause
are reported in one line naming the file and field, with a non-zero exit status; set
``EXAMGEN_DEBUG=1`` to see a traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

EXIT_INPUT = 1
EXIT_INTERNAL = 70  # EX_SOFTWARE


def _fail(message: str) -> None:
    click.echo(f"examgen: error: {message}", err=True)
    sys.exit(EXIT_INPUT)


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


class _Group(click.Group):
    """Turns the library's user-facing errors (:class:`~examgen.errors.ExamgenError`) into one-line
    messages. Anything else is a bug in examgen: it is reported as an internal error, in one line
    too (``EXAMGEN_DEBUG=1`` shows the traceback)."""

    def invoke(self, ctx):
        from .errors import ExamgenError

        try:
            return super().invoke(ctx)
        except ExamgenError as e:
            _fail(str(e))
        except BrokenPipeError:  # e.g. `examgen list | head`: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # never a traceback for a user, but say it is our bug
            if os.environ.get("EXAMGEN_DEBUG"):
                raise
            click.echo(f"examgen: internal error ({type(e).__name__}: {e}); please report it "
                       "(EXAMGEN_DEBUG=1 shows the traceback)", err=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="in5400-examgen", prog_name="examgen")
def main():
    """Exam practice for IN5400: generate randomized exam questions, worked solutions and
    answer keys, and grade answers 0-10 per subtask with credit for partial results."""


@main.command()
@click.option("--topics", "-t", help="Comma-separated topic names or lecture numbers "
              "(e.g. rl,cnn or 14,05). Default: every implemented topic.")
@click.option("--seed", "-s", type=int, help="Seed; the same seed gives the same exam. Default: random (printed).")
@click.option("--count", "-n", type=click.IntRange(1, 50),
              help="Questions per topic. Default: each of the topic's generators once, at most 3.")
@click.option("--generators", "-g", help="Comma-separated generator ids, instead of topics.")
@click.option("--mix", help="Share of conceptual questions from the question bank, e.g. concept=0.4 "
              "(default: none).")
@click.option("--format", "formats", default="html,pdf", show_default=True,
              help="Output formats, comma-separated: html, pdf.")
@click.option("--students", type=click.Path(dir_okay=False, path_type=Path),
              help="Roster CSV (columns id, name): a variant per student, seeded by exam seed and student id.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), help="Processes for --students (default: all cores).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder. Default: exam-SEED (class-SEED with --students).")
@click.option("--force", is_flag=True, help="Overwrite existing files (never an answers.json with answers).")
def make(topics, seed, count, generators, mix, formats, students, jobs, out, force):
    """Make an exam (exam and solutions as HTML and PDF, exam.json, answers.json, key.json),
    or with --students a variant for every student of a class."""
    from . import api, output

    formats = output.parse_formats(formats)
    roster = output.read_roster(students) if students else None
    if roster is None:
        output.prepare(formats)  # fonts load while the questions are drawn
    exam = api.generate(topics=_csv(topics), seed=seed, count=count, generators=_csv(generators),
                        concept_share=_mix(mix))
    n = len(exam.questions)
    summary = (f"seed {exam.spec.seed} · {n} question{'s' * (n != 1)} per exam "
               f"({', '.join(exam.spec.topics)})")
    if roster is None:
        out = out or Path(f"exam-{exam.spec.seed}")
        written = output.write_exam(exam, out, formats, force)
        click.echo(f"{summary} · exam {exam.id} -> {out}/")
    else:
        out = out or Path(f"class-{exam.spec.seed}")
        with click.progressbar(length=len(roster), label=f"{len(roster)} variants", file=sys.stderr) as bar:
            written = output.build_class(exam.spec, roster, out, formats, force, jobs, progress=bar.update)
        click.echo(f"{summary} · {len(roster)} students -> {out}/")
    for path in written.files:
        click.echo(f"  {path}" + ("  (kept: it holds answers)" if path in written.kept else ""))
    if roster is not None and written.kept:
        click.echo(f"  kept {len(written.kept)} answers.json file(s) that hold answers, e.g. {written.kept[0]}")
    if roster is None:
        click.echo(f"Open {out / 'exam.html'} (or print exam.pdf), then: examgen grade {out / 'answers.json'}")
    else:
        click.echo(f"Grade the class with: examgen grade {out}/students/*/answers.json")


@main.command()
@click.argument("answers", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--exam", "exam_path", type=click.Path(path_type=Path),
              help="The exam.json the answers belong to (optional when the answers name their spec).")
@click.option("--json", "as_json", is_flag=True, help="Print the GradeReport as JSON.")
def grade(answers, exam_path, as_json):
    """Grade answers file(s): 0-10 per part, with follow-through credit and named mistakes."""
    from . import api, io
    from .exam import SpecError
    from .grading.mark import ExamMismatch
    from .model import AnswerSheet, Exam
    from .render.text import report_text

    exam = io.load(exam_path, Exam) if exam_path else None
    failed, reports = 0, []
    for path in answers:
        try:
            sheet = io.load(path, AnswerSheet)
            its_exam = exam if exam is not None else api.exam_for(sheet)
            report = api.grade(sheet, its_exam)
        except (io.InputError, ExamMismatch, SpecError) as e:
            message = str(e) if str(e).startswith(str(path)) else f"{path}: {e}"
            click.echo(f"examgen: error: {message}", err=True)
            failed += 1
            continue
        reports.append((path, report))
        if as_json:
            continue
        click.echo(report_text(report, its_exam))
        if len(answers) > 1:
            click.echo("")
    if as_json and reports:
        out = [r.model_dump(mode="json") for _, r in reports]
        click.echo(json.dumps(out[0] if len(answers) == 1 and out else out, indent=2))
    elif len(reports) > 1:
        click.echo("Gradebook")
        for path, r in reports:
            who = r.student.id if r.student else path.name
            click.echo(f"  {who:<30} {r.score:>6g} / {r.points}")
    if failed:
        sys.exit(EXIT_INPUT)


@main.command(name="export")
@click.option("--format", "fmt", required=True, type=click.Choice(["qti21", "moodle", "canvas"]),
              help="qti21: IMS QTI 2.1 package (Inspera, Canvas New Quizzes); moodle: Moodle XML; "
              "canvas: Canvas Classic Quizzes (QTI 1.2).")
@click.option("--flavour", type=click.Choice(["inspera"]), help="With qti21: only what Inspera imports.")
@click.option("--topics", "-t", help="Comma-separated topic names or lecture numbers, as for make.")
@click.option("--seed", "-s", type=int, help="Seed. Default: random (printed).")
@click.option("--count", "-n", type=click.IntRange(1, 50), help="Questions per topic, as for make.")
@click.option("--generators", "-g", help="Comma-separated generator ids, instead of topics.")
@click.option("--mix", help="Share of conceptual questions, e.g. concept=0.4.")
@click.option("--variants", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Variants of every question: a pool the LMS draws one from for each student.")
@click.option("--exam", "exam_paths", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Export stored exam.json file(s) instead, each one a variant (repeat the option).")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="The export file. Default: examgen-SEED-FORMAT.zip (.xml for moodle).")
@click.option("--force", is_flag=True, help="Overwrite an existing export, manifest and exams.")
def export_cmd(fmt, flavour, topics, seed, count, generators, mix, variants, exam_paths, out, force):
    """Export questions to an LMS, with variants as pools, a manifest mapping LMS items back to
    examgen, and the variants' exams (keep both to grade the LMS's responses with examgen)."""
    from . import api, export, io, registry
    from .model import Exam

    if fmt != "qti21" and flavour:
        _fail(f"--flavour {flavour} goes with --format qti21")
    if exam_paths:
        if variants != 1 or topics or generators or seed is not None or count or mix:
            _fail("--exam exports stored exams: give no --topics, --generators, --seed, --count, --mix or --variants")
        exams = [io.load(p, Exam) for p in exam_paths]
        exams = [e.model_copy(update={"questions": [registry.with_mistake_values(q) for q in e.questions]})
                 for e in exams]
        ids = [f"v{k}" for k in range(1, len(exams) + 1)]
    else:
        exams, ids = api.export_variants(topics=_csv(topics), seed=seed, count=count, generators=_csv(generators),
                                         concept_share=_mix(mix), variants=variants)
    name = f"{fmt}-{flavour}" if flavour else fmt
    out = out or Path(f"examgen-{exams[0].spec.seed}-{name}{export.FORMATS[fmt]}")
    written = export.write(exams, ids, fmt, out, flavour=flavour, force=force)
    click.echo(f"{name}: {len(exams[0].questions)} question(s) x {len(exams)} variant(s), seed {exams[0].spec.seed} "
               f"-> {out}")
    click.echo(f"  {written.files[1]}  (which examgen question and step each LMS item and field is)")
    click.echo(f"  {written.files[2]}/  (the variants' exams with their keys: keep them with the teacher)")
    click.echo("What the LMS will not do as examgen grade does:")
    for note in written.notes:
        click.echo(f"  - {note}")
    if fmt == "moodle":
        click.echo(f"Read Moodle's Responses report back with: examgen import responses.csv --export-manifest "
                   f"{written.files[1]}")


@main.command(name="import")
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--export-manifest", "manifest_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .manifest.json examgen export wrote beside the exported file.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the answers files. Default: beside the CSV, named after it.")
@click.option("--force", is_flag=True, help="Overwrite answers files written by an earlier import.")
def import_cmd(responses, manifest_path, out, force):
    """Read Moodle's quiz Responses report (CSV) back into answers files, one folder per attempt
    (answers.json and the exam.json of the variants that student drew), for examgen grade."""
    from .export import manifest as export_manifest, moodle_responses
    from .output import folder_name
    from . import io

    manifest, exams = export_manifest.load(manifest_path)
    if manifest.lms != "moodle":
        _fail(f"{manifest_path}: is the manifest of a {manifest.lms} export; only Moodle's Responses report "
              "can be read back")
    attempts = moodle_responses.read(responses, manifest, exams)
    out = out or responses.with_name(responses.stem + "-answers")
    used: dict[str, int] = {}
    written, problems = 0, []
    for a in attempts:
        problems += a.problems
        if a.sheet is None:
            continue
        base = folder_name(a.student.id)
        used[base] = used.get(base, 0) + 1
        folder = out / (base if used[base] == 1 else f"{base}-attempt{used[base]}")
        targets = [folder / "answers.json", folder / "exam.json"]
        if any(t.exists() for t in targets) and not force:
            problems.append(f"{folder}: already holds an import; use --force or another --out")
            continue
        io.write_text(targets[1], io.dump(a.exam))
        io.write_text(targets[0], io.dump(a.sheet))
        written += 1
        shown = "".join(c if c.isprintable() else "?" for c in a.student.id)  # never raw control codes
        click.echo(f"  {shown:<30} {len(a.exam.questions)} question(s) -> {folder}/")
    for p in problems:
        click.echo(f"examgen: warning: {p}", err=True)
    click.echo(f"{written} attempt(s) read from {responses} -> {out}/")
    if written:
        click.echo(f"Grade each with: examgen grade {out}/ID/answers.json --exam {out}/ID/exam.json")
    if problems or not written:
        sys.exit(EXIT_INPUT)


def _mix(text: str | None) -> float:
    """'concept=0.4' (or 'concept=40%') -> 0.4."""
    if not text:
        return 0.0
    key, sep, value = text.partition("=")
    if key.strip().lower() not in ("concept", "concepts") or not sep:
        _fail(f"--mix '{text}': write concept=SHARE, e.g. concept=0.4")
    try:
        share = float(value.strip().rstrip("%")) / (100 if value.strip().endswith("%") else 1)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        _fail(f"--mix '{text}': the share must be a number from 0 to 1")
    return share


def _given_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text  # a bare word such as relu


class _SolveCommand(click.Command):
    """``examgen solve GEN --help`` also lists GEN's givens (the help text is built before the
    arguments are parsed, so the raw arguments are kept to find GEN)."""

    def parse_args(self, ctx, args):
        ctx.meta["examgen.solve_args"] = list(args)
        return super().parse_args(ctx, args)

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        gid = self._generator_argument(ctx.meta.get("examgen.solve_args", []))
        if gid is None:
            return
        from . import registry
        from .errors import UnknownName

        try:
            gen = registry.get(gid)
        except UnknownName as e:
            formatter.write(f"\n{e}\n")
            return
        formatter.write("\n" + _givens_text(gen) + "\n")

    def _generator_argument(self, args: list[str]) -> str | None:
        takes_value = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
        skip = False
        for a in args:
            if skip:
                skip = False
            elif a in takes_value:
                skip = True
            elif not a.startswith("-"):
                return a
        return None


def _givens_text(gen, seed: int | None = None) -> str:
    import textwrap

    from . import givens_help

    note = (f"Values are also checked together when solving (sizes must agree, no degenerate "
            f"problem). A complete line to edit: examgen solve {gen.id} --template (or "
            f"--template --json > FILE, then examgen solve {gen.id} --givens-file FILE).")
    return (f"Givens of {gen.id} ({gen.title}); the example is drawn from seed "
            f"{givens_help.EXAMPLE_SEED if seed is None else seed}:\n\n"
            + givens_help.table(gen, givens_help.example(gen, seed)) + "\n\n"
            + textwrap.fill(note, 79, break_on_hyphens=False))


@main.command(cls=_SolveCommand)
@click.argument("generator")
@click.option("--given", "givens", multiple=True, metavar="NAME=VALUE",
              help="A given number (JSON for lists: grads=[0.5,-0.2]). Repeat for each given; "
              "it overrides the same given of --givens-file or --seed.")
@click.option("--givens-file", type=click.Path(path_type=Path),
              help="Read the givens from a JSON file (written by --template --json).")
@click.option("--seed", type=int, help="Draw random givens with this seed instead (with --given: "
              "the seed's givens, changed where --given says).")
@click.option("--template", is_flag=True, help="Print a complete 'examgen solve' line to edit instead of "
              "solving (with --json a givens file): your --given values, completed from the example drawn "
              "with --seed (default 0).")
@click.option("--json", "as_json", is_flag=True, help="Print the question with its steps as JSON.")
def solve(generator, givens, givens_file, seed, template, as_json):
    """Worked solution and marking scheme for GENERATOR, from your own givens or a seed.
    'examgen solve GENERATOR --help' lists GENERATOR's givens."""
    from . import givens_help, io, registry
    from .render.text import question_text

    gen = registry.get(generator)
    if givens_file is not None and seed is not None:
        _fail("give --givens-file or --seed, not both")
    typed = {}
    for item in givens:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            _fail(f"--given '{item}': write NAME=VALUE")
        typed[name.strip()] = _given_value(text.strip())
    if givens_file is not None:
        values = givens_help.read_file(givens_file, gen) | typed
    elif (seed is not None and (givens or template)) or (template and not givens_help.solvable(gen, typed)):
        values = givens_help.example(gen, seed) | typed  # the drawn givens, changed where --given says
    else:
        values = typed
    where = str(givens_file) if givens_file is not None else None
    if template:
        values = givens_help.check(gen, values, where).model_dump(mode="json")  # a template that solves
        click.echo(givens_help.template_file(gen, values) if as_json else givens_help.template_line(gen, values),
                   nl=not as_json)
        return
    if values or givens_file is not None:
        q = gen.build(givens_help.check(gen, values, where))
    elif seed is not None:
        q = gen.generate(seed)
    else:
        fields = ", ".join(gen.Givens.model_fields)
        _fail(f"give the givens with --given NAME=VALUE ({generator} takes: {fields}), a --givens-file "
              f"or a --seed; 'examgen solve {generator} --help' lists them")
    click.echo(io.dump(q) if as_json else question_text(q))


@main.command(name="list")
@click.argument("generator", required=False)
@click.option("--concepts", is_flag=True, help="Count the question bank's items per lecture and learning goal.")
def list_cmd(generator, concepts):
    """List topics, their generators and learning goals; with GENERATOR, that generator's givens."""
    from . import registry
    from .topics import TOPICS

    if concepts:
        _list_concepts()
        return
    if generator is not None:
        gen = registry.get(generator)
        t = next(t for t in TOPICS if t.id == gen.topic)
        click.echo(f"{gen.id}: {gen.title}\n  lecture {t.number} {t.id}, goal {gen.goal}: {t.goal(gen.goal).text}\n")
        click.echo(_givens_text(gen))
        return
    gens = [g for g in registry.all_generators() if not g.concept]
    for t in TOPICS:
        mine = [g for g in gens if g.topic == t.id]
        aliases = ", ".join(t.aliases)
        click.echo(f"{t.number} {t.id:<15} {t.name}  (also: {aliases})")
        for g in mine:
            click.echo(f"     {g.id:<22} {g.title}")
            click.echo(f"     {'':<22} goal {g.goal}: {t.goal(g.goal).text}")
        if not mine:
            click.echo("     (no generators yet)")


def _list_concepts() -> None:
    from . import bank
    from .topics import TOPICS

    counts = bank.coverage()
    for t in TOPICS:
        per_goal = counts[t.id]
        click.echo(f"{t.number} {t.id:<15} {sum(per_goal.values()):>4} items")
        for g in t.goals:
            click.echo(f"     {g.id:<6} {per_goal[g.id]:>3}  {g.text}")


@main.group()
def bank():
    """The conceptual question bank (question_bank/*.yaml)."""


@bank.command(name="check")
@click.option("--dir", "folder", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Check this folder instead of the installed bank.")
def bank_check(folder):
    """Validate the bank and report coverage gaps and duplicate items."""
    from . import bank as qbank

    try:
        items = qbank.load(str(folder) if folder else None)
    except qbank.BankError as e:
        _fail(str(e))
    counts: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for tid, item in items.values():
        counts[tid] = counts.get(tid, 0) + 1
        kinds[item.type] = kinds.get(item.type, 0) + 1
    click.echo(f"{len(items)} items valid ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    problems = qbank.gaps() if folder is None else []
    dups = qbank.duplicates([item for _, item in items.values()])
    problems += [f"items '{a}' and '{b}' are (nearly) the same" for a, b in dups]
    for p in problems:
        click.echo(f"  gap: {p}" if not p.startswith("items") else f"  duplicate: {p}")
    if problems:
        click.echo(f"{len(problems)} problem(s)")
        sys.exit(EXIT_INPUT)
    click.echo("every learning goal has at least 2 items and every lecture at least 10; no duplicates")


@main.command()
@click.argument("which", type=click.Choice(["exam", "answers", "report", "givens"]))
@click.option("--exam", "exam_path", type=click.Path(path_type=Path),
              help="With 'answers': the schema of this exam's answers file (its questions, parts and steps).")
def schema(which, exam_path):
    """Print the JSON Schema of an exam, answers, report or givens file."""
    from .model import SCHEMAS

    if exam_path is not None:
        from . import api, io
        from .model import Exam

        if which != "answers":
            _fail("--exam goes with 'schema answers'")
        click.echo(json.dumps(api.answers_schema(io.load(exam_path, Exam)), indent=2))
        return
    click.echo(json.dumps(SCHEMAS[which].model_json_schema(), indent=2))


@main.command()
@click.option("--topics", "-t", help="Comma-separated topics to practise (e.g. rl,cnn). Default: every topic.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port on 127.0.0.1. Default: a free one.")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option("--history", "show_history", is_flag=True, help="Print the practice history by topic and goal, and exit.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The history database. Default: practice.sqlite3 in the user's data folder.")
def practice(topics, port, no_browser, show_history, db):
    """Practise in the browser: one question at a time, marked at once, with the worked solution;
    the next question is from the learning goal that needs it most (spaced repetition)."""
    from .exam import resolve_topics

    chosen = resolve_topics(_csv(topics)) if topics else None
    if show_history:
        from .practice.server import history_table

        click.echo(history_table(db, chosen))
        return
    from .practice.server import serve

    try:
        serve(topics=chosen, port=port, open_browser=not no_browser, db=db, echo=click.echo)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
