"""A class roster: a CSV file with a header row, one student per line.

Columns (any order, names case-insensitive): ``id`` (required, unique, at most 64 characters),
``name``, and for the Canvas gradebook (``canvas.csv``) optionally ``section``, ``sis_login_id``
and ``canvas_id`` (Canvas's own numeric student ID). Ids and names may use any letters
(``Æøå``, ``東京``) but no control or formatting characters. At most :data:`MAX_STUDENTS` students.

Each student gets a folder named after their id (:func:`folder_names`): the id itself when it is
a plain name; otherwise, and whenever two ids differ only in case (which collide on
case-insensitive file systems), a plain version with a short hash of the id appended.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from pathlib import Path

from .. import io
from ..model import ClassStudent

MAX_STUDENTS = 2000
"""A class of 2,000 builds in about 2.5 minutes on two cores; a bigger roster is most likely a mistake."""
COLUMNS = ("id", "name", "section", "sis_login_id", "canvas_id")
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _bad_char(text: str) -> str | None:
    for ch in text:
        if unicodedata.category(ch) in _UNSAFE:
            return f"U+{ord(ch):04X}"
    return None


def read_roster(path: Path) -> list[ClassStudent]:
    """Students from a roster CSV (see the module docstring); :class:`io.InputError` naming the
    file, line and field otherwise."""
    rows = list(csv.reader(io.read_text(path).splitlines()))
    if not rows:
        raise io.InputError(f"{path}: the roster is empty")
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    if "id" not in header:
        raise io.InputError(f"{path}: line 1: the header needs an 'id' column (and optionally 'name'), "
                            f"found: {io.shorten(', '.join(rows[0]), 80)}")
    where = {c: header.index(c) for c in COLUMNS if c in header}
    students: list[ClassStudent] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(students) == MAX_STUDENTS:
            raise io.InputError(f"{path}: more than {MAX_STUDENTS:,} students; split the class into rosters "
                                "of at most that many")
        values = {c: (row[i].strip() if i < len(row) else "") for c, i in where.items()}
        for column, value in values.items():
            bad = _bad_char(value)
            if bad:
                raise io.InputError(f"{path}: line {n}: field '{column}' holds the control or formatting "
                                    f"character {bad}")
            limit = 64 if column != "name" else 200
            if len(value) > limit:
                raise io.InputError(f"{path}: line {n}: field '{column}' is longer than {limit} characters")
        sid = values["id"]
        if not sid:
            raise io.InputError(f"{path}: line {n}: field 'id' is empty")
        if sid in seen:
            raise io.InputError(f"{path}: line {n}: field 'id' repeats {io.shorten(sid)} from line {seen[sid]}")
        seen[sid] = n
        students.append(ClassStudent(id=sid, name=values.get("name") or None, section=values.get("section") or None,
                                     sis_login_id=values.get("sis_login_id") or None,
                                     canvas_id=values.get("canvas_id") or None, folder=""))
    if not students:
        raise io.InputError(f"{path}: the roster names no students")
    for s, folder in zip(students, folder_names([s.id for s in students])):
        s.folder = folder
    return students


def _plain(student_id: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", student_id).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text).strip("._-")[:48]


def folder_names(ids: list[str]) -> list[str]:
    """A folder name per id, unique even on a case-insensitive file system (see the module docstring)."""
    plain = [_plain(i) for i in ids]
    count: dict[str, int] = {}
    for p in plain:
        count[p.lower()] = count.get(p.lower(), 0) + 1
    out = []
    for sid, p in zip(ids, plain):
        if p == sid and count[p.lower()] == 1 and p.lower() not in ("con", "prn", "aux", "nul"):
            out.append(p)
        else:
            out.append(f"{p or 'student'}-{hashlib.sha256(sid.encode('utf-8')).hexdigest()[:8]}")
    return out
