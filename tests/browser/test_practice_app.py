"""examgen practice in Chromium, started with the real CLI: a session end to end (a right answer,
follow-through credit, a named mistake with its explanation, Next, a restart that keeps history
and schedule) and the security rules seen from a browser (a foreign site's form post, a post
without the token, a post over the size limit)."""

from __future__ import annotations

import functools
import http.server
import re
import sqlite3
import subprocess
import sys
import threading

import pytest

from examgen import registry, tutor
from examgen.grading.mark import grade_question
from examgen.practice.guard import MAX_BODY
from examgen.steps import to_json

from .fill import fill_question

pytestmark = pytest.mark.slow  # a real browser and server

MAX_TRIES = 60  # drawing a goal's question until it is the generator wanted: 1 in 4 each time


def question(server, page):
    qid = int(re.search(r"/q/(\d+)$", page.url).group(1))
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as db:
        generator, version, seed, item = db.execute(
            "SELECT generator, version, seed, item FROM questions WHERE id = ?", (qid,)).fetchone()
    return tutor.rebuild(tutor.QuestionRef(generator=generator, version=version, seed=seed, item=item))


def practise_until(server, page, goal: str, generator: str):
    for _ in range(MAX_TRIES):
        page.goto(server.url + "/")
        page.locator(f'form[action="/goal/{goal}"] button').click()
        q = question(server, page)
        if q.generator == generator:
            return q
    raise AssertionError(f"no {generator} question for goal {goal} in {MAX_TRIES} draws")


def check(page) -> None:
    page.click("#check")
    page.wait_for_url(re.compile(r"/result$"))


def test_a_practice_session_end_to_end(practice_server, page, shots):
    server = practice_server()
    page.goto(server.url + "/")
    assert "0 answers marked" in page.inner_text("header")

    # 1. the scheduler's first question, answered right
    page.click("nav >> text=Next question")
    q = question(server, page)
    assert "because you have not practised it yet" in page.inner_text(".why")
    page.screenshot(path=str(shots / "practice-question.png"), full_page=True)
    fill_question(page, q)
    check(page)
    points = sum(p.points for p in q.parts)
    assert page.inner_text(".feedback .total") == f"Score {points:.1f} of {points}"
    assert "Worked solution" in page.inner_text("body")

    # 2. a multi-step question: a wrong first step, the later steps consistent with it
    q = practise_until(server, page, "07.4", "adam")
    page.screenshot(path=str(shots / "practice-question-adam.png"), full_page=True)
    gen = registry.get("adam")
    g = gen.Givens.model_validate(q.givens)
    wrong = q.step("m1").value + 0.37
    values = gen.run(g, substitute={"m1": wrong}).values
    values = {n: to_json(v) for n, v in values.items()}
    values["m1"] = wrong
    part_a = {n: values[n] for n in q.parts[0].steps}
    fill_question(page, q, part_a)
    check(page)
    expected = grade_question(q, {"a": part_a}).parts[0]
    assert [s.status for s in expected.steps].count("follow_through") >= 2
    rows = page.locator(".part.marked").first.locator("tr")
    shown = [r.get_attribute("class").removeprefix("status-") for r in rows.all()]
    assert shown == [s.status for s in expected.steps]
    assert page.locator(".part.marked").first.locator(".badge", has_text="follow-through").count() >= 2
    assert f"{expected.score:.1f}" in page.locator(".part.marked .points").first.inner_text()
    page.screenshot(path=str(shots / "practice-feedback-follow-through.png"), full_page=True)

    # 3. the same question with new numbers, answered with a named mistake
    page.click("#again")
    page.wait_for_url(re.compile(r"/q/\d+$"))
    q = question(server, page)
    assert q.generator == "adam"
    g = gen.Givens.model_validate(q.givens)
    mistake = q.mistakes[0]
    values = {n: to_json(v) for n, v in gen.run(g, mistake=mistake.name).values.items()}
    fill_question(page, q, {n: values[n] for n in q.parts[0].steps if n in values})
    check(page)
    feedback = page.locator(".feedback")
    assert feedback.locator("code", has_text=mistake.name).count() >= 1
    first_words = " ".join(re.sub(r"\$[^$]*\$", " ", mistake.description).split()[:4])
    assert first_words in feedback.inner_text()
    feedback.screenshot(path=str(shots / "practice-feedback-mistake.png"))

    # 4. Next
    page.click("#next")
    page.wait_for_url(re.compile(r"/q/\d+$"))
    assert page.locator("#check").is_visible()
    page.goto(server.url + "/")
    assert "3 answers marked" in page.inner_text("header")
    page.screenshot(path=str(shots / "practice-progress.png"), full_page=True)

    # 5. a restart keeps the history and the schedule
    server.stop()
    again = practice_server(db=server.db)
    page.goto(again.url + "/")
    assert "3 answers marked" in page.inner_text("header")
    row = page.locator("tr", has=page.locator("td", has_text="07.4")).first
    cells = [c.inner_text() for c in row.locator("td").all()]
    assert cells[2] == "2" and cells[6] not in ("–", "")  # answered twice, and a due date
    training = page.locator("#topic-training svg.progress")
    assert training.locator("rect[fill]").count() >= 1  # a bar for 07.4
    page.locator("#topic-training").screenshot(path=str(shots / "practice-progress-after-restart.png"))
    table = subprocess.run([sys.executable, "-m", "examgen.cli", "practice", "--history", "--db", str(server.db)],
                           capture_output=True, text=True)
    line = next(x for x in table.stdout.splitlines() if x.startswith("07.4"))
    assert line.split()[1] == "2", table.stdout
    page.click("nav >> text=Next question")
    assert re.search(r"because (it is due for review|it has your lowest recent score|you have not practised it yet)",
                     page.inner_text(".why"))


class _Site(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_a_foreign_site_a_missing_token_and_a_large_post_are_refused(practice_server, page, tmp_path):
    server = practice_server()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "attack.html").write_text(
        f'<form method="post" action="{server.url}/next"><input name="csrf" value="guess"></form>'
        "<script>document.forms[0].submit()</script>")
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Site, directory=tmp_path / "site"))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        page.goto(server.url + "/")  # the student has the app open (a session cookie)
        token = page.locator('input[name="csrf"]').first.get_attribute("value")
        with page.expect_response(f"{server.url}/next") as response:
            page.goto(f"http://127.0.0.1:{site.server_address[1]}/attack.html")
        assert response.value.status == 403 and "cross-site" in response.value.text()
    finally:
        site.shutdown()
    origin = {"Origin": server.url}
    r = page.request.post(server.url + "/next", form={"csrf": ""}, headers=origin, max_redirects=0)
    assert r.status == 403 and "CSRF" in r.text()
    r = page.request.post(server.url + "/next", form={"csrf": token}, headers={"Origin": "http://evil.example"},
                          max_redirects=0)
    assert r.status == 403
    r = page.request.post(server.url + "/next", form={"csrf": token, "pad": "x" * (MAX_BODY + 1)}, headers=origin,
                          max_redirects=0)
    assert r.status == 413
    r = page.request.post(server.url + "/next", form={"csrf": token}, headers=origin, max_redirects=0)
    assert r.status == 303  # the app's own post, with its token, goes through
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM questions").fetchone()[0] == 1


def test_an_expression_answer_is_previewed_as_the_grader_reads_it(practice_server, page):
    server = practice_server()
    q = practise_until(server, page, "03.9", "derive")
    part, name = next((p, n) for p in q.parts for n in p.steps if q.step(n).kind == "expression")
    st = q.step(name)
    widget = page.locator(f'[data-p="{part.id}"][data-s="{name}"]')
    page.locator("details.working:not([open]) > summary").evaluate_all("ss => ss.forEach(s => s.click())")
    widget.locator("input").fill(st.value)
    widget.locator("output math").wait_for()  # typeset by the server from the grader's parse
    widget.locator("input").fill(st.value + " + zz")
    page.wait_for_function("el => el.classList.contains('bad')", arg=widget.locator("output").element_handle())
    assert "zz" in widget.locator("output").inner_text()


def test_exam_html_checks_expression_names_offline(page, tmp_path):
    from examgen.render.html import exam_html

    from ..test_widgets import every_kind_exam

    exam = every_kind_exam()
    (tmp_path / "exam.html").write_text(exam_html(exam), encoding="utf-8")
    page.goto((tmp_path / "exam.html").as_uri())
    q, p, st = next((q, p, q.step(n)) for q in exam.questions for p in q.parts for n in p.steps
                    if q.step(n).kind == "expression")
    widget = page.locator(f'[data-q="{q.id}"][data-p="{p.id}"][data-s="{st.name}"]')
    page.locator("details.working:not([open]) > summary").evaluate_all("ss => ss.forEach(s => s.click())")
    widget.locator("input").fill(st.value)
    page.wait_for_function("el => el.textContent.includes('read when graded')",
                           arg=widget.locator("output").element_handle())
    widget.locator("input").fill(f"({st.value}")
    page.wait_for_function("el => el.classList.contains('bad')", arg=widget.locator("output").element_handle())
    assert "not closed" in widget.locator("output").inner_text()
