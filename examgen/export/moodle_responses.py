"""Moodle's quiz "Responses" report, downloaded as CSV, read back into examgen answers files, so that
``examgen grade`` marks what students typed in Moodle with follow-through credit.

The report (Quiz > Results > Responses, "Download table data as" CSV) has one row per attempt:
the student's columns ("Surname" or "Last name", "First name", and identity fields such as
"ID number", "Institution", "Department", "Email address"), "State", "Started on", "Completed",
"Time taken", "Grade/<max>", then for each quiz slot N the columns chosen in the report's options:
"Question N" (the question's text as plain text), "Response N" (Moodle's summary of the response)
and "Right answer N". A summary is the number as typed, an option's text (several joined by "; "),
"True"/"False", or for a Cloze question "part 1: ...; part 2: ...", one part per subquestion.

Which variant of a pool a student drew is read from the "examgen item q3-v2" line every exported
question ends with, in the "Question N" column (tick "Question text" in the report's options);
without that column, from "Right answer N" (the variant whose key it is), and with a single
variant, slot N is question qN. Each attempt gives a folder ``<student>/`` with ``exam.json`` (the
questions that student drew, with their keys) and ``answers.json``; grade each with
``examgen grade <student>/answers.json --exam <student>/exam.json``.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import io, kinds
from ..kinds import lms
from ..model import AnswerSheet, Exam, Question, Student
from .manifest import ItemRef, Manifest

ITEM_TAG = re.compile(r"examgen item ([A-Za-z0-9_.-]+)")
_COLUMN = re.compile(r"^(Question|Response|Right answer)\s+(\d+)$", re.I)
_PART = re.compile(r"(?:^|;\s)[^\s;:]+\s(\d+)\s?:\s?")
_BLANK = ("", "-")


@dataclass
class Attempt:
    """One row of the report read back: who, which items, and the answers file."""

    row: int
    student: Student
    exam: Exam | None = None
    sheet: AnswerSheet | None = None
    problems: list[str] = field(default_factory=list)


def _rows(path: Path) -> list[list[str]]:
    text = io.read_text(path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [r for r in csv.reader(text.splitlines(), dialect)]


def _student(header: list[str], row: list[str], number: int) -> Student:
    cell = {h.strip().lower(): (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
    first = cell.get("first name", "")
    last = cell.get("last name") or cell.get("surname", "")
    name = " ".join(p for p in (first, last) if p) or None
    sid = cell.get("id number") or cell.get("email address") or cell.get("email") or name or f"row{number}"
    return Student(id=sid[:64], name=name)


def _shown(text: str) -> str:
    return " ".join(text.split())


def _choice(text: str, choices: dict[str, str] | None) -> str:
    if not choices:
        return text
    key = _shown(text)
    if key in choices:
        return choices[key]
    lowered = {k.lower(): v for k, v in choices.items()}
    return lowered.get(key.lower(), text)


def _choices_many(text: str, choices: dict[str, str] | None) -> list[str]:
    """Several options joined by '; ' (an option's own text may hold '; ': known texts first)."""
    out, rest = [], _shown(text)
    while rest:
        known = next((k for k in sorted(choices or {}, key=len, reverse=True)
                      if rest == k or rest.startswith(k + "; ")), None)
        head = known if known is not None else rest.split("; ", 1)[0]
        out.append(_choice(head, choices))
        rest = rest[len(head):].removeprefix("; ")
    return out


def _parts(summary: str, count: int) -> list[str | None]:
    """A Cloze summary 'part 1: x; part 2: y' -> [x, y] (None where blank)."""
    marks = list(_PART.finditer(summary))
    values: list[str | None] = [None] * count
    for m, nxt in zip(marks, marks[1:] + [None]):
        i = int(m.group(1)) - 1
        value = summary[m.end():nxt.start() if nxt else len(summary)].strip()
        if 0 <= i < count and value not in _BLANK:
            values[i] = value
    return values


def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", ".")) for x in re.findall(r"-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?", text)]


def _by_right_answer(right: str, candidates: list[ItemRef], exams: dict[str, Exam]) -> ItemRef | None:
    """The one variant whose key is the report's right answer: its numbers (within their margins) and
    chosen options; None when none or several fit."""
    fits = []
    for ref in candidates:
        q = next(q for q in exams[ref.variant].questions if q.id == ref.question)
        shown = _parts(right, len(ref.fields)) if len(ref.fields) > 1 else [right]
        matched = 0
        for f, text in zip(ref.fields, shown):
            form = kinds.of(q.step(f.step)).lms(q.step(f.step))
            leaf = form.entries[f.entry or 0] if isinstance(form, lms.Entries) else form
            if isinstance(leaf, lms.Options) and not leaf.multiple:
                if _choice(text or "", f.choices) not in leaf.correct:
                    break
            elif isinstance(leaf, lms.Number):
                found = _numbers(text or "")
                if len(found) != 1 or abs(found[0] - leaf.value) > max(leaf.margin, 1e-9 * abs(leaf.value)):
                    break
            else:
                continue
            matched += 1
        else:
            if matched:
                fits.append(ref)
    return fits[0] if len(fits) == 1 else None


def _answers(q: Question, ref: ItemRef, responses: list[str | None]) -> dict[str, dict[str, Any]]:
    """part -> step -> raw answer, from the responses to the item's fields (manifest order)."""
    per_step: dict[tuple[str, str], list] = {}
    for f, r in zip(ref.fields, responses):
        st = q.step(f.step)
        form = kinds.of(st).lms(st)
        if r is not None and isinstance(form, lms.Options) and form.multiple:
            r = _choices_many(r, f.choices)
        elif r is not None:
            r = _choice(r, f.choices)
        per_step.setdefault((f.part, f.step), []).append(r)
    out: dict[str, dict[str, Any]] = {p.id: {n: None for n in p.steps} for p in q.parts}
    for (part, step), rs in per_step.items():
        st = q.step(step)
        if isinstance(kinds.of(st).lms(st), lms.Order):  # one dropdown per position
            rs = [rs] if any(r is not None for r in rs) else [None]
        out[part][step] = kinds.of(st).lms_answer(st, rs)
    return out


def read(path: Path, manifest: Manifest, exams: dict[str, Exam]) -> list[Attempt]:
    """Every attempt of the report, with the exam its student drew and their answers."""
    rows = _rows(path)
    if not rows:
        raise io.InputError(f"{path}: the file is empty")
    header = rows[0]
    slots: dict[int, dict[str, int]] = {}
    for i, h in enumerate(header):
        m = _COLUMN.match(h.strip())
        if m:
            slots.setdefault(int(m.group(2)), {})[m.group(1).lower()] = i
    if not any("response" in cols for cols in slots.values()):
        raise io.InputError(f"{path}: line 1: no 'Response N' columns; download Moodle's Responses report "
                            "(Quiz > Results > Responses) as CSV, with English column names")
    pools: dict[str, list[ItemRef]] = {}
    for it in manifest.items:
        pools.setdefault(it.slot, []).append(it)
    attempts = []
    for number, row in enumerate(rows[1:], start=2):
        cells = lambda i: row[i].strip() if i is not None and i < len(row) else ""  # noqa: E731
        if not any(cells(cols.get("response")) not in _BLANK for cols in slots.values()):
            continue  # no responses: an overall-average row, or a student without an attempt
        attempt = Attempt(row=number, student=_student(header, row, number))
        chosen: list[tuple[ItemRef, Question, list]] = []
        for n, cols in sorted(slots.items()):
            tag = ITEM_TAG.search(cells(cols.get("question")))
            ref = manifest.item(tag.group(1)) if tag else None
            candidates = pools.get(f"q{n}", [])
            if ref is None and len(candidates) == 1:
                ref = candidates[0]
            if ref is None and cells(cols.get("right answer")):
                ref = _by_right_answer(cells(cols.get("right answer")), candidates, exams)
            if ref is None:
                attempt.problems.append(f"{path}: line {number}: question {n}: cannot tell which exported "
                                        "variant it is; include the 'Question text' column in the report")
                continue
            q = next(q for q in exams[ref.variant].questions if q.id == ref.question)
            summary = cells(cols.get("response"))
            responses = (_parts(summary, len(ref.fields)) if len(ref.fields) > 1
                         else [None if summary in _BLANK else summary])
            chosen.append((ref, q, responses))
        if chosen:
            _assemble(attempt, manifest, exams, chosen)
        attempts.append(attempt)
    return attempts


def _assemble(attempt: Attempt, manifest: Manifest, exams: dict[str, Exam], chosen) -> None:
    """The student's own exam (the variants they drew) and their answers to it."""
    base = exams[chosen[0][0].variant]
    drawn = " ".join(ref.ident for ref, _, _ in chosen)
    digest = hashlib.sha256((" ".join(v.exam_id for v in manifest.variants) + "|" + drawn).encode()).hexdigest()[:8]
    questions = [q for _, q, _ in chosen]
    attempt.exam = Exam(id=f"{base.spec.seed}-{manifest.lms}-{digest}", title=base.title,
                        spec=base.spec.model_copy(update={"variant": f"{manifest.lms}: {drawn}"}), questions=questions)
    answers = {q.id: _answers(q, ref, responses) for ref, q, responses in chosen}
    attempt.sheet = AnswerSheet(exam_id=attempt.exam.id, student=attempt.student, answers=answers)
