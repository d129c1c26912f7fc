"""Reading and writing examgen's JSON files, with one-line errors that name the file and field.

Every file is untrusted: its size is bounded, numbers JSON cannot hold exactly (an integer of
thousands of digits, ``1e999999``, ``NaN``) are kept as their text, so the answer they stand for is
reported as unreadable rather than the file being rejected; lone surrogates (``"\\ud800"``) become
U+FFFD, so every string can be printed and written; and anything nested deeper than
:data:`MAX_DEPTH` is cut off there (an answer nested that deeply is then unreadable, the rest of
the file is kept). JSON nested deeper than Python's decoder allows (about 990 levels) is
rejected as a whole.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ExamgenError
from .registry import describe_validation

MAX_FILE_BYTES = 20_000_000
MAX_ANSWERS_BYTES = 2_000_000
"""An answers file is far smaller: a 200-question exam's answers take about 100 kB."""
MAX_DEPTH = 48
"""Lists and objects nested deeper than this are cut off (an exam file needs about 8 levels)."""
MAX_INT_DIGITS = 300

M = TypeVar("M", bound=BaseModel)


class InputError(ExamgenError):
    """A whole-file problem (cannot be read, parsed, validated or written); the message names the
    file (and field)."""


def read_text(path: str | os.PathLike, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 text file of bounded size; :class:`InputError` naming the file otherwise."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file" if not p.exists() else f"{p}: is not a file")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"{p}: the file is {size:,} bytes, more than the limit of {max_bytes:,}")
    try:
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror})") from None
    if len(data) > max_bytes:
        raise InputError(f"{p}: the file is more than the limit of {max_bytes:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None


def _int(text: str) -> int | str:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else text


def _float(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(s: str) -> str:
    return _SURROGATE.sub("\ufffd", s) if _SURROGATE.search(s) else s


def clean(value: Any, depth: int = 0) -> Any:
    """JSON data with lone surrogates replaced, nesting cut off at :data:`MAX_DEPTH`, and numbers a
    float cannot hold (an integer of more than :data:`MAX_INT_DIGITS` digits, NaN, infinities) as
    text: what :func:`parse_json` makes of a file, for values that did not come from one."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10 ** MAX_INT_DIGITS else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value] if depth < MAX_DEPTH else []
    if isinstance(value, dict):
        return {_string(k): clean(v, depth + 1) for k, v in value.items()} if depth < MAX_DEPTH else {}
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(text: str, where: str, constants: bool = True) -> Any:
    """Untrusted JSON text as data (see the module docstring); :class:`InputError` naming ``where``.
    With ``constants=False`` (files of numbers, such as givens) NaN and Infinity are an error."""
    try:
        # NaN, Infinity, 1e999 and huge integers stay text: the answer they stand for is then
        # unreadable, instead of the whole file being rejected (or Infinity written out as "JSON").
        data = json.loads(text, parse_constant=str if constants else _no_constant, parse_int=_int,
                          parse_float=_float)
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except ValueError as e:  # a constant refused
        raise InputError(f"{where}: {e}") from None
    except RecursionError:
        raise InputError(f"{where}: the JSON is nested too deeply (more than about 990 levels)") from None
    return clean(data)


def read_json(path: str | os.PathLike, max_bytes: int = MAX_FILE_BYTES, constants: bool = True) -> Any:
    """A JSON file, bounded (see the module docstring); ``constants=False``: NaN and Infinity are an
    error naming the file (files of numbers, such as givens)."""
    return parse_json(read_text(path, max_bytes), str(path), constants)


def load(path: str | os.PathLike, model: type[M], max_bytes: int = MAX_FILE_BYTES) -> M:
    """Read a JSON file as ``model``; raise :class:`InputError` naming the file and field."""
    data = read_json(path, max_bytes)
    if isinstance(data, dict) and "format" in data:
        expected = model.model_fields["format"].default if "format" in model.model_fields else None
        if expected and data["format"] != expected:
            raise InputError(f"{path}: field 'format' is {shorten(data['format'])}, expected '{expected}' "
                             f"(is this the right kind of file?)")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise InputError(describe_validation(e, str(path))) from None


def shorten(value: Any, limit: int = 40) -> str:
    """A value quoted for a message, cut to ``limit`` characters."""
    text = f"'{value}'" if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 4] + "...'"


def load_own(path: str | os.PathLike, model: type[M]) -> M:
    """Read a file examgen wrote into the teacher's folder (an exam.json of a class) with pydantic's
    JSON parser, three times faster than :func:`load` (which prepares untrusted JSON first); still
    bounded, and every problem an :class:`InputError` naming the file and field."""
    text = read_text(path)
    try:
        return model.model_validate_json(text)
    except ValidationError as e:
        raise InputError(describe_validation(e, str(path))) from None


def dump(model: BaseModel) -> str:
    return model.model_dump_json(indent=2) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> None:
    """Write atomically: a crash never leaves a half-written file in the user's folder."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the user's usual mode
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise InputError(f"{path}: cannot be written ({e.strerror or e})") from None
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
