"""Benchmarks of ``examgen practice`` (called by bench.py; ``python benchmarks/practice.py`` runs them
alone): its start-up to the first page served, marking one submitted question, a question page
served, and a bounded load test on loopback. Everything talks to the real server (the CLI in its
own process) over 127.0.0.1 with the standard library's HTTP client.

Targets (issue 12): first page within 1 s of starting; marking a submitted question median
< 10 ms; a question page median < 30 ms; the load test without errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from examgen import tutor

FIRST_PAGE_TARGET, MARK_TARGET, PAGE_TARGET = 1.0, 0.010, 0.030


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def start(db: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "examgen.cli", "practice", "--no-browser", "--port", str(port),
                             "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())


def first_page(db: Path) -> float:
    """Seconds from starting the process to the home page's last byte."""
    port = _free_port()
    t0 = time.perf_counter()
    proc = start(db, port)
    try:
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/")
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    return time.perf_counter() - t0
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode()) from None
                time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait()


def _import_floor() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import examgen, fastapi, uvicorn"], check=True, env=_env())
    return time.perf_counter() - t


class Student:
    """One browser's worth of requests: its own session cookie and CSRF token, one connection."""

    def __init__(self, port: int, db: Path):
        self.port, self.db = port, db
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.origin = f"http://127.0.0.1:{port}"
        status, headers, body = self.request("GET", "/")
        self.cookie = headers["set-cookie"].split(";")[0]
        self.csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', body).group(1)

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if hasattr(self, "cookie"):
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode({"csrf": self.csrf, **form})
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin})
        self.c.request(method, path, body=body, headers=headers)
        r = self.c.getresponse()
        text = r.read().decode()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, text

    def next_question(self) -> int:
        status, headers, _ = self.request("POST", "/next", {})
        assert status == 303, status
        return int(headers["location"].rsplit("/", 1)[1])

    def question(self, qid: int):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            g, v, seed, item = db.execute("SELECT generator, version, seed, item FROM questions WHERE id = ?",
                                          (qid,)).fetchone()
        return tutor.rebuild(tutor.QuestionRef(generator=g, version=v, seed=seed, item=item))

    def answers(self, qid: int, right: bool) -> str:
        q = self.question(qid)
        # the key, or a wrong first step (the grader then re-runs the solver: the costly case)
        return json.dumps({p.id: {n: (q.step(n).value if right or i else "0.5") for i, n in enumerate(p.steps)}
                           for p in q.parts})


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def single_requests(port: int, db: Path, n: int) -> tuple[float, float, float]:
    """Median seconds of marking a submitted question (the whole POST), of grading alone (in this
    process, the same answers) and of serving a question page."""
    s = Student(port, db)
    marks, grades, pages = [], [], []
    for i in range(n):
        qid = s.next_question()
        dt, (status, _, _) = timed(lambda: s.request("GET", f"/q/{qid}"))
        assert status == 200
        pages.append(dt)
        answers = s.answers(qid, right=i % 2 == 0)
        dt, (status, _, _) = timed(lambda: s.request("POST", f"/q/{qid}/check", {"answers": answers}))
        assert status == 303, status
        marks.append(dt)
        q = s.question(qid)
        grades.append(timed(lambda: tutor.grade(q, json.loads(answers)))[0])
    return statistics.median(marks), statistics.median(grades), statistics.median(pages)


def load(port: int, db: Path, students: int, seconds: float) -> dict:
    """``students`` each answering a question every second for ``seconds``: per answer, the next
    question (POST /next), its page (GET) and the marking (POST check). Bounded in time and count."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(k: int) -> None:
        try:
            s = Student(port, db)
        except Exception as e:  # noqa: BLE001 (counted and reported)
            with lock:
                errors.append(f"connect: {e}")
            return
        tick = time.monotonic() + k / students  # spread the students over the second
        while tick < stop:
            time.sleep(max(0.0, tick - time.monotonic()))
            try:
                mine = []
                dt, qid = timed(s.next_question)
                mine.append(dt)
                dt, (status, _, _) = timed(lambda: s.request("GET", f"/q/{qid}"))
                mine.append(dt)
                assert status == 200, status
                answers = s.answers(qid, right=bool(k % 2))
                dt, (status, _, _) = timed(lambda: s.request("POST", f"/q/{qid}/check", {"answers": answers}))
                mine.append(dt)
                assert status == 303, status
                with lock:
                    latencies.extend(mine)
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")
            tick += 1.0

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(students)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {"requests": len(latencies), "per_second": len(latencies) / elapsed, "errors": errors,
            "p50": latencies[len(latencies) // 2] if latencies else float("nan"),
            "p95": latencies[int(len(latencies) * 0.95)] if latencies else float("nan"),
            "answers": len(latencies) // 3}


def run(students: int = 50, seconds: float = 60.0, quick: bool = False) -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        first_page(db)  # warm-up (bytecode, the history file)
        firsts = [first_page(db) for _ in range(3 if quick else 5)]
        first = statistics.median(firsts)
        floor = statistics.median(_import_floor() for _ in range(3 if quick else 5))
        ok &= first < FIRST_PAGE_TARGET
        print(f"practice: first page served {first:.3f} s after starting (median of {len(firsts)}; "
              f"target < {FIRST_PAGE_TARGET} s: {'met' if first < FIRST_PAGE_TARGET else 'NOT met'}); "
              f"a bare `python -c 'import examgen, fastapi, uvicorn'` takes {floor:.3f} s")
        port = _free_port()
        proc = start(db, port)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            single_requests(port, db, 5)  # warm-up: every generator module and the bank loaded
            mark, grading, page = single_requests(port, db, 30 if quick else 200)
            ok &= mark < MARK_TARGET and page < PAGE_TARGET
            print(f"practice: marking a submitted question (the whole POST: read, graded, scheduled, written to "
                  f"the history with fsync) median {mark * 1000:.1f} ms (target < {MARK_TARGET * 1000:.0f} ms: "
                  f"{'met' if mark < MARK_TARGET else 'NOT met'}); grading alone {grading * 1000:.2f} ms")
            print(f"practice: a question page served median {page * 1000:.1f} ms "
                  f"(target < {PAGE_TARGET * 1000:.0f} ms: {'met' if page < PAGE_TARGET else 'NOT met'})")
            r = load(port, db, students, seconds)
            ok &= not r["errors"]
            print(f"practice: load test, {students} students answering a question every second for {seconds:g} s "
                  f"on loopback: {r['answers']} answers, {r['requests']} requests, {r['per_second']:.0f} requests/s, "
                  f"p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms, {len(r['errors'])} errors"
                  + (f" (first: {r['errors'][0]})" if r["errors"] else ""))
        finally:
            proc.terminate()
            proc.wait()
    return ok


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sys.exit(0 if run(a.students, a.seconds, a.quick) else 1)
