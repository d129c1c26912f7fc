"""Reading and writing examgen's JSON files, with one-line errors that name the file and field."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ExamgenError
from .registry import describe_validation

MAX_FILE_BYTES = 20_000_000

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
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror})") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(path: str | os.PathLike, max_bytes: int = MAX_FILE_BYTES, constants: bool = True) -> Any:
    """A JSON file. NaN and Infinity are not JSON: by default they are kept as text, so the answer
    they stand for is reported as unreadable rather than the whole file being rejected; with
    ``constants=False`` (files of numbers, such as givens) they are an error naming the file."""
    p = Path(path)
    text = read_text(p, max_bytes)
    try:
        return json.loads(text, parse_constant=(lambda name: name) if constants else _no_constant)
    except ValueError as e:
        if not isinstance(e, json.JSONDecodeError):
            raise InputError(f"{p}: {e}") from None
        raise InputError(f"{p}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise InputError(f"{p}: the JSON is nested too deeply") from None


def load(path: str | os.PathLike, model: type[M]) -> M:
    """Read a JSON file as ``model``; raise :class:`InputError` naming the file and field."""
    data = read_json(path)
    if isinstance(data, dict) and "format" in data:
        expected = model.model_fields["format"].default if "format" in model.model_fields else None
        if expected and data["format"] != expected:
            raise InputError(f"{path}: field 'format' is '{data['format']}', expected '{expected}' "
                             f"(is this the right kind of file?)")
    try:
        return model.model_validate(data)
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
