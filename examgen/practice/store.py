"""The practice history: an SQLite database in the user's data folder (``platformdirs``), or the
file ``--db`` names.

It records every question shown (generator, its version, seed, bank item, learning goal, time),
every answer marked (the raw answers, the score, the whole report, the rating given to the
scheduler) and each learning goal's scheduling card (:mod:`.schedule`). The database is written
in WAL mode with ``synchronous=FULL``, and each marked answer is one transaction (the answer and
its goal's card together), so a crash loses nothing that was already marked.

A file that is not an SQLite database, a database of another program, a corrupted one, or one
written by a newer examgen (``PRAGMA user_version`` above :data:`SCHEMA_VERSION`) is refused with a
:class:`HistoryError` that says so; such a file is never written to.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ExamgenError

SCHEMA_VERSION = 1
APPLICATION_ID = 0x45584731  # "EXG1": marks the file as examgen's
_HEADER = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    generator TEXT NOT NULL, version INTEGER NOT NULL, seed INTEGER NOT NULL, item TEXT,
    topic TEXT NOT NULL, goal TEXT NOT NULL, reason TEXT NOT NULL, shown_at TEXT NOT NULL);
CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions(id),
    answered_at TEXT NOT NULL, answers TEXT NOT NULL,
    score REAL NOT NULL, points INTEGER NOT NULL, rating INTEGER NOT NULL, report TEXT NOT NULL);
CREATE INDEX answers_question ON answers(question_id);
CREATE TABLE cards (goal TEXT PRIMARY KEY, card TEXT NOT NULL, due TEXT NOT NULL, updated_at TEXT NOT NULL);
"""


class HistoryError(ExamgenError):
    """The history database cannot be used (corrupted, another program's, or a newer schema)."""


def default_path() -> Path:
    """``<user data folder>/examgen/practice.sqlite3`` (e.g. ~/.local/share/examgen on Linux)."""
    import platformdirs

    return platformdirs.user_data_path("examgen", appauthor=False) / "practice.sqlite3"


def now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Seen:
    """A question shown, as the history stores it."""

    id: int
    generator: str
    version: int
    seed: int
    item: str | None
    topic: str
    goal: str
    reason: str
    shown_at: datetime


@dataclass(frozen=True)
class GoalStats:
    goal: str
    answered: int
    mean: float | None  # mean score fraction over every answer
    recent: float | None  # mean score fraction of the last RECENT answers
    last: datetime | None
    due: datetime | None


RECENT = 3
"""How many of a goal's latest answers its recent score averages."""


class History:
    """The practice history in one SQLite file (thread-safe: one connection behind a lock)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._check_file()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._open()
        except OSError as e:
            raise HistoryError(f"{self.path}: cannot open the practice history ({e.strerror or e}); "
                               "use --db to choose another file") from None
        except sqlite3.DatabaseError as e:
            raise HistoryError(f"{self.path}: the practice history cannot be read ({e}); it was left as it "
                               "is: move it away, or use --db to choose another file") from None

    def _check_file(self) -> None:
        if self.path.is_dir():
            raise HistoryError(f"{self.path}: is a folder, not a practice history database")
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("rb") as f:
                if f.read(16) != _HEADER:
                    raise HistoryError(f"{self.path}: is not a practice history database (not SQLite); it was "
                                       "left as it is: move it away, or use --db to choose another file")

    def _open(self) -> None:
        db = self.db
        row = db.execute("PRAGMA quick_check").fetchone()
        if row[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {row[0]}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        app = db.execute("PRAGMA application_id").fetchone()[0]
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        if version == 0 and not tables:
            db.execute("PRAGMA journal_mode=WAL")
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif app != APPLICATION_ID:
            raise HistoryError(f"{self.path}: is an SQLite database of another program, not a practice "
                               "history; it was left as it is: use --db to choose another file")
        elif version > SCHEMA_VERSION:
            raise HistoryError(f"{self.path}: was written by a newer examgen (history schema {version}; this "
                               f"examgen reads up to {SCHEMA_VERSION}); it was left as it is: upgrade examgen, "
                               "or use --db to choose another file")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")

    def _transaction(self):
        db = self.db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, value, tb):
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- writing ----------------------------------------------------------------------------

    def shown(self, *, generator: str, version: int, seed: int, item: str | None, topic: str, goal: str,
              reason: str, when: datetime | None = None) -> int:
        """Record a question shown; its id."""
        with self._lock, self._transaction():
            cur = self.db.execute(
                "INSERT INTO questions (generator, version, seed, item, topic, goal, reason, shown_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (generator, version, seed, item, topic, goal, reason, _iso(when or now())))
            return int(cur.lastrowid)

    def answered(self, question_id: int, answers: Any, score: float, points: int, rating: int,
                 report_json: str, goal: str, card_json: str, due: datetime, when: datetime | None = None) -> int:
        """Record a marked answer and its goal's new card, in one transaction."""
        t = _iso(when or now())
        with self._lock, self._transaction():
            cur = self.db.execute(
                "INSERT INTO answers (question_id, answered_at, answers, score, points, rating, report) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (question_id, t, json.dumps(answers), score, points, rating, report_json))
            self.db.execute("INSERT INTO cards (goal, card, due, updated_at) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT(goal) DO UPDATE SET card=excluded.card, due=excluded.due, "
                            "updated_at=excluded.updated_at", (goal, card_json, _iso(due), t))
            return int(cur.lastrowid)

    # --- reading ----------------------------------------------------------------------------

    def question(self, question_id: int) -> Seen | None:
        with self._lock:
            row = self.db.execute("SELECT id, generator, version, seed, item, topic, goal, reason, shown_at "
                                  "FROM questions WHERE id = ?", (question_id,)).fetchone()
        return Seen(*row[:8], datetime.fromisoformat(row[8])) if row else None

    def card(self, goal: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT card FROM cards WHERE goal = ?", (goal,)).fetchone()
        return row[0] if row else None

    def last_answer(self, question_id: int) -> tuple[str, str] | None:
        """(raw answers JSON, report JSON) of a question's latest marked answer."""
        with self._lock:
            return self.db.execute("SELECT answers, report FROM answers WHERE question_id = ? "
                                   "ORDER BY id DESC LIMIT 1", (question_id,)).fetchone()

    def stats(self) -> dict[str, GoalStats]:
        """Per learning goal that has been answered or scheduled: counts, scores, last time, next due."""
        with self._lock:
            rows = self.db.execute(
                "SELECT q.goal, a.score * 1.0 / a.points, a.answered_at FROM answers a "
                "JOIN questions q ON q.id = a.question_id ORDER BY a.id").fetchall()
            due = dict(self.db.execute("SELECT goal, due FROM cards").fetchall())
        by_goal: dict[str, list[tuple[float, str]]] = {}
        for goal, fraction, at in rows:
            by_goal.setdefault(goal, []).append((fraction, at))
        out = {}
        for goal in by_goal.keys() | due.keys():
            answers = by_goal.get(goal, [])
            fractions = [f for f, _ in answers]
            out[goal] = GoalStats(
                goal=goal, answered=len(answers),
                mean=sum(fractions) / len(fractions) if fractions else None,
                recent=sum(fractions[-RECENT:]) / len(fractions[-RECENT:]) if fractions else None,
                last=datetime.fromisoformat(answers[-1][1]) if answers else None,
                due=datetime.fromisoformat(due[goal]) if goal in due else None)
        return out

    def last_goal(self) -> str | None:
        """The learning goal of the latest question shown."""
        with self._lock:
            row = self.db.execute("SELECT goal FROM questions ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def counts(self) -> tuple[int, int]:
        """(questions shown, answers marked)."""
        with self._lock:
            return (self.db.execute("SELECT count(*) FROM questions").fetchone()[0],
                    self.db.execute("SELECT count(*) FROM answers").fetchone()[0])
