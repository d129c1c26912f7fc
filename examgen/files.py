"""Writing a set of files into a folder: all of them or none, replacing only what examgen wrote.

Every folder examgen writes into gets a manifest, ``.examgen-files.json``: each file it wrote
there, with its SHA-256. A new set of files is

1. **checked**: a path that exists (a dangling symlink too) stops the run unless ``force``; with
   ``force`` it is replaced only when it is a regular file examgen wrote and nobody has changed
   since (its hash is in the manifest). An ``answers.json`` examgen wrote that someone has since
   filled in is *kept* (reported as kept); any other file, a user's own ``answers.json`` included,
   stops the run. So ``--force`` never loses anything a user wrote.
2. **staged**: written into a hidden staging folder inside the target folder (same file system);
   a failure here (a typesetting error, a full disk) leaves the target as it was.
3. **committed**: each staged file is renamed into place, the file it replaces moved aside first;
   if a rename fails, the ones done are rolled back. Then the manifest is updated.

Files marked private (answer keys, the teacher's folder) are written 0600 in folders made 0700,
whatever the umask; the others get the user's usual mode.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import ExamgenError

MANIFEST = ".examgen-files.json"
MANIFEST_FORMAT = "examgen-files/1"
KEEP_WHEN_FILLED = "answers.json"


class FileSetError(ExamgenError, ValueError):
    """The files cannot be written where asked (they exist, or are not examgen's to replace)."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


def read_manifest(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of the files examgen wrote into ``root`` ({} when there are none)."""
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"] if data.get("format") == MANIFEST_FORMAT else {}
        return {str(k): str(v) for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass
class Plan:
    """Where each file of a set goes (relative POSIX paths) and which of them are private."""

    root: Path
    names: list[str]
    private: Callable[[str], bool] = lambda rel: False
    kept: list[str] = field(default_factory=list)
    """Filled-in answers files examgen wrote, left as they are."""
    manifest: dict[str, str] = field(default_factory=dict)

    def check(self, force: bool, same: dict[str, str] | None = None) -> None:
        """Step 1 of the module docstring: raise :class:`FileSetError` naming what is in the way.
        ``same`` (relative path -> digest of the new content): a file examgen wrote that already
        holds exactly that is no conflict."""
        self.manifest = read_manifest(self.root)
        existing, foreign = [], []
        for rel in self.names:
            path = self.root / rel
            if not os.path.lexists(path):
                continue
            if same and rel in same and self.manifest.get(rel) == same[rel] and _file_digest(path) == same[rel]:
                continue
            if not force:
                existing.append(path)
                continue
            mine = path.is_file() and not path.is_symlink() and rel in self.manifest
            if mine and _file_digest(path) == self.manifest[rel]:
                continue
            if mine and path.name == KEEP_WHEN_FILLED:
                self.kept.append(rel)
                continue
            foreign.append(path)
        if existing:
            raise FileSetError(f"{_some(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                               "use another --out or --force")
        if foreign:
            raise FileSetError(f"{_some(foreign)}: not written by examgen (or changed since), so --force "
                               "does not replace it; move it away or use another --out")

    def staging(self) -> "Staging":
        return Staging(self)


def _some(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")


class Staging:
    """The hidden folder a set of files is written into before it is committed (see the module
    docstring). Use as a context manager: leaving it without :meth:`commit` removes everything it
    made, the target folder too if it did not exist before."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.created_root = not plan.root.exists()
        self.dir: Path | None = None
        self.digests: dict[str, str] = {}

    def __enter__(self) -> "Staging":
        try:
            self.plan.root.mkdir(parents=True, exist_ok=True)
            self.dir = self.plan.root / f".examgen-staging-{secrets.token_hex(4)}"
            self.dir.mkdir(mode=0o700)
        except OSError as e:
            raise FileSetError(f"{self.plan.root}: cannot be written ({e.strerror or e})") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        if self.created_root and exc[0] is not None:
            try:
                self.plan.root.rmdir()  # only if nothing else landed there
            except OSError:
                pass

    def path(self, rel: str) -> Path:
        """Where a worker writes ``rel`` (then reports its digest with :meth:`wrote`)."""
        return self.dir / "new" / rel

    def write(self, rel: str, data: bytes) -> None:
        write_staged(self.path(rel), data, self.plan.private(rel))
        self.digests[rel] = digest(data)

    def wrote(self, digests: dict[str, str]) -> None:
        self.digests.update(digests)

    def commit(self) -> list[str]:
        """Rename every staged file into place (rolled back if one fails); returns the kept files."""
        root, plan = self.plan.root, self.plan
        done: list[tuple[Path, Path | None]] = []
        try:
            for rel in plan.names:
                if rel in plan.kept or rel not in self.digests:
                    continue
                target = root / rel
                _make_dirs(root, rel, plan.private(rel))
                backup = None
                if os.path.lexists(target):
                    backup = self.dir / "old" / rel
                    backup.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(target, backup)
                done.append((target, backup))
                os.replace(self.path(rel), target)
        except OSError as e:
            for target, backup in reversed(done):
                try:
                    if backup is not None:
                        os.replace(backup, target)
                    elif os.path.lexists(target):
                        target.unlink()
                except OSError:
                    pass
            raise FileSetError(f"{root}: the files could not be put in place ({e.strerror or e}); "
                               "nothing was changed") from None
        placed = {t.relative_to(root).as_posix() for t, _ in done}
        manifest = {**plan.manifest, **{rel: self.digests[rel] for rel in placed}}
        from .io import write_bytes  # atomic

        write_bytes(root / MANIFEST, (json.dumps({"format": MANIFEST_FORMAT, "files": manifest},
                                                 indent=1, sort_keys=True) + "\n").encode())
        return plan.kept


def _make_dirs(root: Path, rel: str, private: bool) -> None:
    """The folders of ``rel`` under ``root``; a private file's folders (below root) are made 0700."""
    folder = root
    for part in Path(rel).parts[:-1]:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise FileSetError(f"{folder}: is not a folder examgen can write into")
        folder.mkdir(exist_ok=True, mode=0o700 if private else 0o777)
        if private:
            os.chmod(folder, stat.S_IRWXU)


def write_staged(path: Path, data: bytes, private: bool) -> None:
    """Write one file (its folders made as needed): 0600 when private, else the usual mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600 if private else 0o666 & ~_umask())


def write_set(root: Path, files: dict[str, bytes], force: bool = False,
              private: Callable[[str], bool] = lambda rel: False) -> list[str]:
    """Write ``files`` (relative path -> bytes) into ``root`` as one set; returns the kept files."""
    plan = Plan(root, list(files), private)
    plan.check(force)
    with plan.staging() as stage:
        for rel, data in files.items():
            stage.write(rel, data)
        return stage.commit()
