"""Where the non-Python files live: ``templates/`` and ``question_bank/``.

In a source checkout (or an editable install) they are top-level folders of the repository;
a wheel carries them inside the package as ``examgen/_data/`` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"examgen's '{name}' folder is missing; reinstall the package")
