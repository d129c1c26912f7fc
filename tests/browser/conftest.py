"""Browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``; Playwright's own
browser download is never used). Without Chromium these tests are skipped on a developer's
machine and fail under CI (env ``CI`` set), where .ci/run installs it.

Screenshots land in ``tests/browser/screenshots/`` (or ``$EXAMGEN_SCREENSHOTS``); the summary at
the end of a run names the folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import needs_module, needs_tool

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-quic", "--no-first-run"]
SHOTS = Path(os.environ.get("EXAMGEN_SCREENSHOTS") or Path(__file__).with_name("screenshots"))


@pytest.fixture(scope="session")
def browser():
    chromium = needs_tool("chromium")  # skipped without it, but a failure under CI
    playwright = needs_module("playwright.sync_api")

    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 1300}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def pytest_terminal_summary(terminalreporter):
    if SHOTS.exists() and any(SHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {SHOTS}")


class Server:
    """``examgen practice`` as a user starts it (the real CLI, in its own process)."""

    def __init__(self, db: Path, *args: str):
        self.db, self.args = db, args
        self.proc = None
        self.url = ""

    def start(self) -> "Server":
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "examgen.cli", "practice", "--no-browser", "--db",
                                      str(self.db), *self.args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        deadline = time.monotonic() + 60
        line = self.proc.stdout.readline()
        while "http://" not in line and time.monotonic() < deadline and self.proc.poll() is None:
            line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert m, f"no URL printed: {line!r} {self.proc.stderr.read() if self.proc.poll() is not None else ''}"
        self.url = m.group(0).rstrip("/")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def practice_server(tmp_path):
    servers: list[Server] = []

    def start(*args: str, db: Path | None = None) -> Server:
        s = Server(db or tmp_path / "history.sqlite3", *args).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()
