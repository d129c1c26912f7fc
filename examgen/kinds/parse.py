"""The text grammars answers are read with (numbers, arrays, option letters), shared by the answer
kinds. Student text -> value. Never ``eval``: small grammars only, with bounded size.

Numbers accept ``0.25``, ``1/4``, ``2.5e-1``, ``2.5·10^-1``, ``0,25`` (decimal comma),
``−0.25`` (unicode minus) and ``25%``. Arrays accept JSON lists, ``[1, 2; 3, 4]`` (rows
separated by ``;``), nested brackets and whitespace-separated entries; inside an array a
comma separates entries, so write decimals there with a point. An answer that cannot be
read raises :class:`FormatError` with a message meant for the student.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from ..errors import ExamgenError

MAX_NUMBER_CHARS = 100
MAX_ANSWER_CHARS = 10_000
MAX_DEPTH = 6


class FormatError(ExamgenError, ValueError):
    """The answer is not of the form the step expects (as opposed to a wrong value)."""


_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-",
                        "\u00a0": "", "\u2009": "", "\u202f": "", " ": "", "\u00d7": "*", "\u22c5": "*",
                        "\u00b7": "*"})
_DECIMAL = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"({_DECIMAL})(?:\*10\^\(?([+-]?\d+)\)?)?(%?)")


def _decimal(match: re.Match) -> float:
    mantissa, power, percent = match.groups()
    value = float(mantissa.replace(",", "."))
    if power is not None:
        if abs(int(power)) > 300:
            raise FormatError("the exponent is too large")
        value *= 10.0 ** int(power)
    return value / 100 if percent else value


def number(raw: Any) -> float:
    """A finite real number from a JSON number or a string."""
    if isinstance(raw, bool) or raw is None:
        raise FormatError(f"expected a number, got {_show(raw)}")
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        if len(raw) > MAX_NUMBER_CHARS:
            raise FormatError(f"a number of {len(raw)} characters is too long")
        text = raw.translate(_MINUS)
        if not text:
            raise FormatError("the answer is empty")
        parts = text.split("/")
        if len(parts) > 2:
            raise FormatError(f"cannot read {_show(raw)} as a number")
        values = []
        for p in parts:
            m = _NUMBER.fullmatch(p.strip("()") if len(parts) == 2 else p)
            if m is None:
                raise FormatError(f"cannot read {_show(raw)} as a number "
                                  "(write e.g. 0.25, 1/4, 2.5e-1 or -0,25)")
            values.append(_decimal(m))
        if len(values) == 2:
            if values[1] == 0:
                raise FormatError(f"{_show(raw)} divides by zero")
            value = values[0] / values[1]
        else:
            value = values[0]
    else:
        raise FormatError(f"expected a number, got {_show(raw)}")
    if not math.isfinite(value):
        raise FormatError(f"{_show(raw)} is not a finite number")
    return value


def integer(raw: Any) -> int:
    """A whole number (``3``, ``3.0``, ``"12"``)."""
    value = number(raw)
    if abs(value - round(value)) > 1e-9 or abs(value) > 2.0 ** 53:
        raise FormatError(f"expected a whole number, got {_show(raw)}")
    return int(round(value))


_TOKEN = re.compile(r"\[|\]|;|,|[^\[\],;\s]+")


def _nested(tokens: list[str], pos: int, depth: int) -> tuple[list, int]:
    """Parse ``[ item (,|;|space) item ... ]`` starting after '['; ';' separates rows."""
    if depth > MAX_DEPTH:
        raise FormatError("the answer is nested too deeply")
    rows: list[list] = [[]]
    while pos < len(tokens):
        tok = tokens[pos]
        if tok == "]":
            return (rows[0] if len(rows) == 1 else rows), pos + 1
        if tok == "[":
            item, pos = _nested(tokens, pos + 1, depth + 1)
            rows[-1].append(item)
            continue
        if tok == ";":
            rows.append([])
        elif tok != ",":
            rows[-1].append(number(tok))
        pos += 1
    raise FormatError("a '[' is not closed")


def _from_json_list(raw: list, depth: int = 0) -> list:
    if depth > MAX_DEPTH:
        raise FormatError("the answer is nested too deeply")
    return [_from_json_list(v, depth + 1) if isinstance(v, list) else number(v) for v in raw]


def array(raw: Any, shape: list[int] | tuple[int, ...]) -> np.ndarray:
    """An array of the given shape from a JSON list or a string."""
    if isinstance(raw, list):
        values = _from_json_list(raw)
    elif isinstance(raw, str):
        if len(raw) > MAX_ANSWER_CHARS:
            raise FormatError(f"an answer of {len(raw)} characters is too long")
        tokens = _TOKEN.findall(raw.translate({0x2212: "-", 0x2013: "-"}))
        if not tokens:
            raise FormatError("the answer is empty")
        values, end = _nested(tokens, 1, 0) if tokens[0] == "[" else _nested(tokens + ["]"], 0, 0)
        if end != len(tokens if tokens[0] == "[" else tokens + ["]"]):
            raise FormatError(f"unexpected text after the closing ']' in {_show(raw)}")
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.prod(shape) == 1:
        values = [number(raw)]
    else:
        raise FormatError(f"expected {describe_shape(shape)}, got {_show(raw)}")
    try:
        a = np.array(values, dtype=float)
    except ValueError:
        raise FormatError("the rows have different lengths") from None
    want = tuple(shape)
    if a.shape != want:
        squeezed = a.reshape(-1) if a.size == math.prod(want) and (a.ndim <= 2 and 1 in a.shape) else None
        if squeezed is not None and len(want) == 1:
            return squeezed
        if a.ndim == 1 and len(want) == 2 and 1 in want and a.size == math.prod(want):
            return a.reshape(want)  # a matrix of one row (or column) written as a plain list
        raise FormatError(f"expected {describe_shape(want)}, got {describe_shape(a.shape)}")
    return a


def choice(raw: Any, options: list[str]) -> str:
    """One of ``options`` (case and surrounding space ignored)."""
    if not isinstance(raw, str):
        raw = str(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
    if raw is None or len(raw) > MAX_NUMBER_CHARS:
        raise FormatError(f"expected one of: {', '.join(options)}")
    key = " ".join(raw.split()).lower()
    for opt in options:
        if opt.lower() == key:
            return opt
    raise FormatError(f"{_show(raw)} is not one of: {', '.join(options)}")


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTER = re.compile(r"^\(?([A-Za-z])[).:]?$")


def _option(token: Any, options: list[str]) -> str:
    """An option named by its letter (A, b, (c), d.) or by its text."""
    if not isinstance(token, str):
        raise FormatError(f"expected an option letter or text, got {_show(token)}")
    key = " ".join(token.split())
    m = _LETTER.match(key)
    if m:
        i = LETTERS.index(m.group(1).upper())
        if i < len(options):
            return options[i]
        raise FormatError(f"there is no option {m.group(1).upper()}; the options are A-{LETTERS[len(options) - 1]}")
    for opt in options:
        if " ".join(opt.split()).lower() == key.lower():
            return opt
    raise FormatError(f"{_show(token)} names no option; answer with a letter A-{LETTERS[len(options) - 1]}")


def _tokens(raw: Any, what: str, options: list[str] | None = None) -> list:
    """Items of a list answer: a JSON list, or a string split at commas, semicolons or spaces
    (letters may also be run together: 'ACD')."""
    if isinstance(raw, list):
        if len(raw) > 50:
            raise FormatError(f"too many {what}")
        return raw
    if not isinstance(raw, str) or len(raw) > MAX_ANSWER_CHARS:
        raise FormatError(f"expected a list of {what}, got {_show(raw)}")
    text = raw.strip().strip("[]")
    parts = [p for p in re.split(r"[,;\s]+", text) if p]
    texts = {o.lower() for o in options or []}
    if len(parts) == 1 and re.fullmatch(r"[A-Za-z]{2,26}", parts[0]) and parts[0].lower() not in texts:
        parts = list(parts[0])  # "ACD"
    return parts


def single(raw: Any, options: list[str]) -> str:
    """One option, by letter or text."""
    return _option(raw, options)


def multi(raw: Any, options: list[str]) -> tuple[str, ...]:
    """A set of options (by letters or texts), returned in the options' order."""
    if isinstance(raw, str) and any(" ".join(raw.split()).lower() == o.lower() for o in options):
        return (_option(raw, options),)  # one option given by its (multi-word) text
    chosen = {_option(t, options) for t in _tokens(raw, "options", options)}
    return tuple(o for o in options if o in chosen)


def ordering(raw: Any, options: list[str]) -> tuple[str, ...]:
    """All the options, once each, in the student's order."""
    chosen = [_option(t, options) for t in _tokens(raw, "options", options)]
    if sorted(chosen) != sorted(options):
        raise FormatError(f"give every option A-{LETTERS[len(options) - 1]} exactly once, in order")
    return tuple(chosen)


_TRUE = {"t", "true", "1", "yes", "y", "sant", "s"}
_FALSE = {"f", "false", "0", "no", "n", "usant", "u"}


def truefalse(raw: Any, count: int) -> tuple[str, ...]:
    """'true'/'false' for each of ``count`` statements: T F T, TFT, [true, false, true], 1 0 1."""
    items = raw if isinstance(raw, list) else None
    if items is None:
        if not isinstance(raw, str) or len(raw) > MAX_ANSWER_CHARS:
            raise FormatError(f"expected T or F for each of the {count} statements, got {_show(raw)}")
        compact = re.sub(r"[\s,;\[\]]", "", raw)
        items = list(compact) if re.fullmatch(r"[TFtf01]+", compact) else _tokens(raw, "answers")
    out = []
    for it in items:
        key = str(it).strip().lower() if not isinstance(it, bool) else ("true" if it else "false")
        if key in _TRUE:
            out.append("true")
        elif key in _FALSE:
            out.append("false")
        else:
            raise FormatError(f"{_show(it)} is neither true (T) nor false (F)")
    if len(out) != count:
        raise FormatError(f"expected T or F for each of the {count} statements, got {len(out)}")
    return tuple(out)


def describe_shape(shape: tuple[int, ...] | list[int]) -> str:
    shape = tuple(shape)
    if len(shape) == 1:
        return f"a vector of {shape[0]} numbers"
    if len(shape) == 2:
        return f"a {shape[0]}×{shape[1]} matrix"
    return "an array of shape " + "×".join(map(str, shape))


def _show(raw: Any) -> str:
    text = repr(raw) if not isinstance(raw, str) else f"'{raw}'"
    return text if len(text) <= 40 else text[:37] + "...'"
