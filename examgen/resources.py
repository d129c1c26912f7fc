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


def cache_dir() -> Path | None:
    """A per-user cache folder (``$XDG_CACHE_HOME/examgen/<version>``), or None if none can be made."""
    import os

    from . import __version__

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "examgen" / __version__
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def template_environment(*, html: bool):
    """The Jinja2 environment for ``templates/``: HTML (autoescaped) or Typst. Compiled templates
    are cached on disk (Jinja's bytecode cache), which saves a tenth of a second per run."""
    import jinja2

    folder = cache_dir()
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=jinja2.select_autoescape(["html", "j2"]) if html else False,
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=not html,
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(folder)) if folder else None)
