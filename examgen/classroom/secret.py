"""The teacher's secret, from which every keyed variant of a class is derived (see
:func:`examgen.exam.variant_key`).

It comes from ``--secret-file PATH`` (created, mode 0600, when it does not exist), else from the
environment variable ``EXAMGEN_SECRET``, else from ``CLASS/teacher/secret.key`` (created there on
the first build). With the secret and the exam seed the teacher can rebuild any variant; without
it, nothing a student holds (their exam.html, PDF, answers.json, examgen itself) does.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ExamgenError

ENV = "EXAMGEN_SECRET"
MIN_CHARS = 16
MAX_BYTES = 4096
DEFAULT_FILE = Path("teacher") / "secret.key"


class SecretError(ExamgenError, ValueError):
    """The secret cannot be read, made or used."""


@dataclass(frozen=True)
class Secret:
    key: bytes
    source: str
    """Where it came from, for messages ('class/teacher/secret.key', '$EXAMGEN_SECRET')."""
    created: bool = False
    warning: str | None = None


def _check(text: str, where: str) -> bytes:
    value = text.strip()
    if len(value) < MIN_CHARS:
        raise SecretError(f"{where}: the secret must have at least {MIN_CHARS} characters")
    return value.encode("utf-8", "surrogateescape")


def _read(path: Path) -> Secret:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SecretError(f"{path}: is not a file")
        if info.st_size > MAX_BYTES:
            raise SecretError(f"{path}: a secret file holds at most {MAX_BYTES} bytes")
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as e:
        raise SecretError(f"{path}: cannot be read ({e.strerror or e})") from None
    warning = None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warning = f"{path} can be read by other users; make it private with: chmod 600 {path}"
    return Secret(_check(text, str(path)), str(path), warning=warning)


def _create(path: Path) -> Secret:
    value = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value + "\n")
        os.chmod(path, 0o600)
    except FileExistsError:
        return _read(path)  # made at the same moment by another run
    except OSError as e:
        raise SecretError(f"{path}: cannot be created ({e.strerror or e})") from None
    return Secret(value.encode(), str(path), created=True)


def load(secret_file: Path | None, class_dir: Path | None = None, create: bool = True) -> Secret | None:
    """The secret (see the module docstring); None when there is none and ``create`` is False."""
    if secret_file is not None:
        if os.path.lexists(secret_file):
            return _read(secret_file)
        if not create:
            raise SecretError(f"{secret_file}: no such file")
        return _create(secret_file)
    if os.environ.get(ENV):
        return Secret(_check(os.environ[ENV], f"${ENV}"), f"${ENV}")
    if class_dir is not None:
        path = class_dir / DEFAULT_FILE
        if os.path.lexists(path):
            return _read(path)
        if create:
            return _create(path)
    return None
