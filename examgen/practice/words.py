"""Scores and times in words, for the pages and the ``--history`` table (no web stack here)."""

from __future__ import annotations

from datetime import datetime

from .store import now


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}".replace("%", " %")


def _span(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' * (n != 1)}"
    return "less than a minute"


def ago(t: datetime | None) -> str:
    """'3 hours ago'."""
    if t is None:
        return "–"
    seconds = (now() - t).total_seconds()
    return "just now" if seconds < 60 else _span(seconds) + " ago"


def until(t: datetime | None) -> str:
    """'now' or 'in 2 days'."""
    if t is None:
        return "–"
    seconds = (t - now()).total_seconds()
    return "now" if seconds <= 0 else "within a minute" if seconds < 60 else "in " + _span(seconds)
