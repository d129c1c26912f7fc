"""The base of every error a user can cause (bad files, givens, specs, answers, names).

Each module keeps its own error class (``io.InputError``, ``exam.SpecError``, ``registry.GivenError``,
``kinds.parse.FormatError`` ...), all under :class:`ExamgenError`, so a caller catches one class to
tell "the input is wrong" (a one-line message that names the file and field) from a bug in examgen.
"""

from __future__ import annotations


class ExamgenError(Exception):
    """An error in what the user gave examgen; its message is meant for that user."""


class UnknownName(ExamgenError, KeyError):
    """An unknown topic, learning goal or generator (a KeyError too, for lookups)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown name"
