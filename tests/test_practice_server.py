"""The practice server as a process: started by the CLI, it prints its loopback URL; an answer it
has marked survives the process being killed (SIGKILL) straight after."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from examgen import tutor
from examgen.practice.store import History

from .conftest import key_answers

pytestmark = pytest.mark.slow  # the real server in its own process


def test_a_marked_answer_survives_killing_the_server(tmp_path):
    db = tmp_path / "history.sqlite3"
    proc = subprocess.Popen([sys.executable, "-m", "examgen.cli", "practice", "--no-browser", "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/")
        r = c.getresponse()
        page = r.read().decode()
        cookie = r.getheader("set-cookie").split(";")[0]
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}",
                   "Content-Type": "application/x-www-form-urlencoded"}

        def post(path, **fields):
            c.request("POST", path, body=urlencode({"csrf": token, **fields}), headers=headers)
            r = c.getresponse()
            r.read()
            return r

        r = post("/next")
        assert r.status == 303
        qid = int(r.getheader("location").rsplit("/", 1)[1])
        with _Reader(db) as h:
            seen = h.question(qid)
        q = tutor.rebuild(tutor.QuestionRef(generator=seen.generator, version=seen.version, seed=seen.seed,
                                            item=seen.item))
        assert post(f"/q/{qid}/check", answers=json.dumps(key_answers(q))).status == 303
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    h = History(db)
    try:
        st = h.stats()[q.goal]
        assert st.answered == 1 and st.recent == 1.0 and st.due is not None
    finally:
        h.close()


class _Reader:
    """The history opened beside the running server (WAL lets both read and write)."""

    def __init__(self, path):
        self.h = History(path)

    def __enter__(self):
        return self.h

    def __exit__(self, *exc):
        self.h.close()
