"""examgen practice without a browser: the app through FastAPI's TestClient (pages, JSON API,
security rules), the SQLite history (durable, never overwriting what it cannot read) and the
FSRS schedule per learning goal."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from examgen import tutor
from examgen.practice import schedule
from examgen.practice.app import create_app
from examgen.practice.web import MAX_ANSWER_CHARS
from examgen.practice.guard import MAX_BODY
from examgen.practice.store import SCHEMA_VERSION, GoalStats, History, HistoryError

from .conftest import key_answers
from .test_render import LAYOUT_ATTRIBUTE, _significant_values, visible_text

PORT = 8123
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def app(tmp_path):
    history = History(tmp_path / "history.sqlite3")
    yield create_app(history, port=PORT), history
    history.close()


@pytest.fixture
def client(app):
    with TestClient(app[0], base_url=BASE, raise_server_exceptions=False) as c:
        yield c


def csrf(client, path="/") -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(path).text).group(1)


def post(client, path, token=None, **fields):
    data = {"csrf": token if token is not None else csrf(client), **fields}
    return client.post(path, data=data, headers={"Origin": BASE}, follow_redirects=False)


def question_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(re.fullmatch(r"/q/(\d+)", response.headers["location"]).group(1))


def rebuilt(history, qid):
    seen = history.question(qid)
    return tutor.rebuild(tutor.QuestionRef(generator=seen.generator, version=seen.version, seed=seen.seed,
                                           item=seen.item))


def assert_no_key_data(q, text):
    """No reference value a student must compute appears in ``text`` (as test_render checks exam.html)."""
    text = LAYOUT_ATTRIBUTE.sub("", text)
    numbers = set(re.findall(r"-?\d+(?:\.\d+)?", visible_text(text) + " " + text))
    leaked = [(name, value) for name, value in _significant_values(q) if value in numbers]
    assert not leaked, (q.generator, leaked[:5])


# --- pages ----------------------------------------------------------------------------------


def test_a_student_draws_answers_and_is_marked(client, app):
    _, history = app
    assert "Your progress" in client.get("/").text
    qid = question_id(post(client, "/next"))
    q = rebuilt(history, qid)
    page = client.get(f"/q/{qid}").text
    assert q.title in page and 'data-kind="' in page
    r = post(client, f"/q/{qid}/check", answers=json.dumps(key_answers(q)))
    assert r.status_code == 303 and r.headers["location"] == f"/q/{qid}/result"
    result = client.get(f"/q/{qid}/result").text
    points = sum(p.points for p in q.parts)
    assert f"Score <strong>{points:.1f}</strong> of {points}" in result
    assert "Worked solution" in result
    stats = history.stats()[q.goal]
    assert stats.answered == 1 and stats.recent == 1.0 and stats.due > datetime.now(timezone.utc) + timedelta(hours=12)


def test_question_pages_and_the_api_hold_no_key_data(client, app):
    _, history = app
    for goal in ("07.4", "14.3", "05.2", "09.6", "11.1", "03.6"):
        for _ in range(3):
            qid = question_id(post(client, f"/goal/{goal}"))
            q = rebuilt(history, qid)
            assert_no_key_data(q, client.get(f"/q/{qid}").text)
    token = client.get("/api/session").json()["csrf"]
    for gen in ("adam", "bellman", "conv2d_values", "backprop", "rnn_forward", "overlap_metrics"):
        drawn = client.post("/api/questions", json={"generator": gen, "seed": 3},
                            headers={"X-CSRF-Token": token}).json()
        q = tutor.rebuild(drawn["question"]["ref"])
        assert_no_key_data(q, json.dumps(drawn))


def test_same_question_new_numbers_and_a_chosen_goal(client, app):
    _, history = app
    qid = question_id(post(client, "/goal/07.4"))
    again = question_id(post(client, f"/q/{qid}/again"))
    a, b = history.question(qid), history.question(again)
    assert (a.generator, a.item, a.goal) == (b.generator, b.item, b.goal) and a.seed != b.seed
    assert post(client, "/goal/99.1").status_code == 404


def test_help_states_the_scheduling_rule_and_the_mapping(client):
    text = visible_text(client.get("/help").text)
    assert schedule.RULE[:80] in text
    for below, rating in schedule.RATINGS:
        assert rating.name in text
    assert "Easy" in text and "FSRS" in text


# --- the JSON API for tutoring tools ----------------------------------------------------------


def test_api_draw_grade_solution(client):
    token = client.get("/api/session").json()["csrf"]
    h = {"X-CSRF-Token": token}
    drawn = client.post("/api/questions", json={"goal": "07.4", "seed": 11}, headers=h)
    assert drawn.status_code == 200, drawn.text
    view = drawn.json()["question"]
    assert view["goal"] == "07.4" and view["parts"][0]["fields"][0]["kind"]
    q = tutor.rebuild(view["ref"])
    graded = client.post("/api/grade", json={"ref": view["ref"], "answers": key_answers(q)}, headers=h).json()
    assert graded["report"]["score"] == sum(p.points for p in q.parts) and "Score" in graded["html"]
    solved = client.post("/api/solution", json={"ref": view["ref"]}, headers=h).json()
    assert [s["name"] for p in solved["solution"]["parts"] for s in p["steps"]] == \
           [n for p in q.parts for n in p.steps]
    schema = client.get("/openapi.json").json()
    assert {"/api/questions", "/api/grade", "/api/solution", "/api/session"} <= set(schema["paths"])


def test_api_preview_reads_with_the_graders_parser(client):
    h = {"X-CSRF-Token": client.get("/api/session").json()["csrf"]}
    ok = client.post("/api/preview", json={"text": "a*(1-a)", "variables": ["a"]}, headers=h).json()
    assert ok["error"] is None and "<math" in ok["html"]
    bad = client.post("/api/preview", json={"text": "__import__('os')", "variables": ["a"]}, headers=h).json()
    assert bad["html"] is None and bad["error"]


# --- security ---------------------------------------------------------------------------------


def test_posts_from_another_origin_or_without_the_token_are_refused(client, app):
    _, history = app
    token = csrf(client)
    assert client.post("/next", data={"csrf": token}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/next", data={"csrf": token}, headers={"Origin": "null"}).status_code == 403
    assert client.post("/next", data={"csrf": token}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert post(client, "/next", token="").status_code == 403
    assert post(client, "/next", token="0" * 32).status_code == 403
    r = client.post("/api/questions", json={"goal": "07.4"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    assert history.counts() == (0, 0)  # nothing was drawn by any of these
    assert post(client, "/next").status_code == 303


def test_a_foreign_host_name_is_refused(client):
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1."""
    assert client.get("/", headers={"Host": "evil.example:8123"}).status_code == 421
    assert client.get("/", headers={"Host": f"127.0.0.1:{PORT + 1}"}).status_code == 421
    assert client.get("/", headers={"Host": f"localhost:{PORT}"}).status_code == 200


def test_large_requests_and_long_answers_are_refused(client, app):
    _, history = app
    qid = question_id(post(client, "/goal/07.4"))
    q = rebuilt(history, qid)
    r = post(client, f"/q/{qid}/check", answers="x" * (MAX_BODY + 10))
    assert r.status_code == 413 and "Traceback" not in r.text
    part, step = q.parts[0].id, q.parts[0].steps[0]
    r = post(client, f"/q/{qid}/check", answers=json.dumps({part: {step: "1" * (MAX_ANSWER_CHARS + 1)}}))
    assert r.status_code == 422 and "too long" in r.text
    r = post(client, f"/q/{qid}/check", answers=json.dumps({part: {step: [[[[[[1]]]]]]}}))
    assert r.status_code == 422
    assert history.counts()[1] == 0


@pytest.mark.parametrize("body, status", [
    ("{not json", 400), ('["a list"]', 422), ('{"a": 3}', 422), ('{"a": {"x": {"y": 1}}}', 422)])
def test_malformed_answers_get_a_message_not_a_traceback(client, app, body, status):
    qid = question_id(post(client, "/goal/07.4"))
    r = post(client, f"/q/{qid}/check", answers=body)
    assert r.status_code == status and "Traceback" not in r.text and "<h1>" in r.text


def test_malformed_api_requests_and_unknown_pages(client):
    h = {"X-CSRF-Token": client.get("/api/session").json()["csrf"], "Content-Type": "application/json"}
    for body in ("{", '{"ref": {"generator": "adam"}}', '{"ref": {"generator": "nope", "version": 1, "seed": 1}}',
                 '{"ref": {"generator": "adam", "version": 999, "seed": 1}}'):
        r = client.post("/api/solution", content=body, headers=h)
        assert 400 <= r.status_code < 500 and "error" in r.json() and "Traceback" not in r.text, (body, r.text)
    r = client.get("/q/12345")
    assert r.status_code == 404 and "no question 12345" in r.text
    assert client.get("/no/such/page").status_code == 404
    assert client.put("/next").status_code == 405


def test_garbage_answers_are_format_errors_of_the_grader_never_evaluated(client, app):
    _, history = app
    qid = question_id(post(client, "/goal/03.9"))
    q = rebuilt(history, qid)
    garbage = {p.id: {n: "__import__('os').system('false')" for n in p.steps} for p in q.parts}
    assert post(client, f"/q/{qid}/check", answers=json.dumps(garbage)).status_code == 303
    assert "could not be read" in client.get(f"/q/{qid}/result").text or \
           "wrong" in client.get(f"/q/{qid}/result").text


# --- history ----------------------------------------------------------------------------------


def test_history_is_wal_and_survives_a_reopen(tmp_path):
    path = tmp_path / "h.sqlite3"
    h = History(path)
    qid = h.shown(generator="adam", version=1, seed=5, item=None, topic="training", goal="07.4", reason="new")
    card, due, rating = schedule.review(None, 0.3, datetime.now(timezone.utc))
    h.answered(qid, {"a": {"m1": "0.1"}}, 3.0, 10, int(rating), "{}", "07.4", card, due)
    assert h.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    h.close()
    again = History(path)
    st = again.stats()["07.4"]
    assert st.answered == 1 and st.recent == pytest.approx(0.3) and again.question(qid).seed == 5
    again.close()


def test_a_corrupted_history_is_refused_and_left_as_it_is(tmp_path):
    path = tmp_path / "h.sqlite3"
    h = History(path)
    h.shown(generator="adam", version=1, seed=5, item=None, topic="training", goal="07.4", reason="new")
    h.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page is garbage now
    path.write_bytes(bytes(data))
    with pytest.raises(HistoryError, match="cannot be read.*left as it is"):
        History(path)
    assert path.read_bytes() == bytes(data)
    text = tmp_path / "notes.txt"
    text.write_text("my notes")
    with pytest.raises(HistoryError, match="not SQLite"):
        History(text)
    assert text.read_text() == "my notes"


def test_a_newer_or_foreign_database_is_refused_and_left_as_it_is(tmp_path):
    path = tmp_path / "h.sqlite3"
    History(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer examgen"):
        History(path)
    assert path.read_bytes() == before
    other = tmp_path / "other.sqlite3"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE photos (id INTEGER)")
    db.commit()
    db.close()
    before = other.read_bytes()
    with pytest.raises(HistoryError, match="another program"):
        History(other)
    assert other.read_bytes() == before


def test_cli_history_table_and_its_error_for_a_bad_database(tmp_path, app):
    from click.testing import CliRunner

    from examgen.cli import main

    _, history = app
    qid = history.shown(generator="adam", version=1, seed=5, item=None, topic="training", goal="07.4", reason="new")
    card, due, rating = schedule.review(None, 1.0, datetime.now(timezone.utc))
    history.answered(qid, {}, 10.0, 10, int(rating), "{}", "07.4", card, due)
    r = CliRunner().invoke(main, ["practice", "--history", "--db", str(history.path)])
    assert r.exit_code == 0, r.output
    line = next(line for line in r.output.splitlines() if line.startswith("07.4"))
    assert "100 %" in line and re.search(r"in \d+ days?", line) and "07 Training" in r.output
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a database at all" * 10)
    r = CliRunner().invoke(main, ["practice", "--history", "--db", str(bad)])
    assert r.exit_code == 1 and "not SQLite" in r.output and "Traceback" not in r.output


# --- the schedule -----------------------------------------------------------------------------


def test_score_to_rating_mapping_is_the_stated_one():
    R = schedule.Rating
    assert [schedule.rating(f) for f in (0, 0.49, 0.5, 0.79, 0.8, 0.99, 1.0)] == \
           [R.Again, R.Again, R.Hard, R.Hard, R.Good, R.Good, R.Easy]


def test_fsrs_brings_a_poor_goal_back_soon_and_a_good_one_later():
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    _, poor, _ = schedule.review(None, 0.2, t)
    _, good, _ = schedule.review(None, 1.0, t)
    assert poor - t <= timedelta(minutes=10) and good - t >= timedelta(days=1)


def _stats(goal, recent, due, answered=1):
    return GoalStats(goal=goal, answered=answered, mean=recent, recent=recent, last=None, due=due)


def test_next_goal_due_first_then_lowest_recent_score_then_unseen():
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    goals = ["02.1", "02.2", "02.3", "02.4", "02.5"]
    later, past = t + timedelta(days=3), t - timedelta(hours=1)
    stats = {"02.1": _stats("02.1", 0.3, later), "02.2": _stats("02.2", 0.9, past),
             "02.3": _stats("02.3", 0.6, later)}
    assert schedule.next_goal(goals, stats, t) == schedule.Choice("02.2", "due")
    stats["02.2"] = _stats("02.2", 0.9, later)
    assert schedule.next_goal(goals, stats, t) == schedule.Choice("02.1", "weak")
    assert schedule.next_goal(goals, stats, t, last="02.1") == schedule.Choice("02.3", "weak")
    for g in ("02.1", "02.3"):
        stats[g] = _stats(g, 0.9, later)
    assert schedule.next_goal(goals, stats, t) == schedule.Choice("02.4", "new")
    stats = {g: _stats(g, 1.0, later + timedelta(days=i)) for i, g in enumerate(goals)}
    assert schedule.next_goal(goals, stats, t) == schedule.Choice("02.1", "soonest")
    assert schedule.next_goal(["02.1"], stats, t, last="02.1").goal == "02.1"  # nothing else to take


def test_the_app_follows_the_schedule(client, app):
    """A poor answer makes the goal due within minutes; a new goal comes next meanwhile."""
    _, history = app
    qid = question_id(post(client, "/next"))
    first = history.question(qid)
    assert first.reason == "new" and first.goal == list(tutor.sources())[0]  # the course's first goal
    post(client, f"/q/{qid}/check", answers="{}")
    st = history.stats()[first.goal]
    assert st.recent == 0 and st.due - datetime.now(timezone.utc) <= timedelta(minutes=2)
    nxt = history.question(question_id(post(client, "/next")))
    assert nxt.goal != first.goal and nxt.reason == "new"


def test_topics_limit_what_is_practised(tmp_path):
    history = History(tmp_path / "h.sqlite3")
    app = create_app(history, port=PORT, topics=["rl"])
    with TestClient(app, base_url=BASE) as c:
        home = c.get("/").text
        assert "Reinforcement" in home and "Linear models" not in home
        for _ in range(4):
            qid = question_id(post(c, "/next"))
            assert history.question(qid).topic == "rl"
        assert post(c, "/goal/07.4").status_code == 404
    history.close()


def test_pages_load_nothing_from_other_sites(client, app):
    """Offline and private: no script, style, font or image comes from anywhere but this server."""
    _, history = app
    qid = question_id(post(client, "/goal/14.3"))
    post(client, f"/q/{qid}/check", answers="{}")
    for path in ("/", "/help", f"/q/{qid}", f"/q/{qid}/result", "/style.css"):
        text = client.get(path).text
        assert not re.search(r"""(src|href)=["']?(https?:)?//|url\(["']?(https?:)?//|@import""", text), path
    assert client.get("/docs").status_code == 404


def test_the_server_binds_to_loopback_only_and_a_busy_port_is_a_clear_error():
    from examgen.errors import ExamgenError
    from examgen.practice.server import bind

    sock = bind(None)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
        with pytest.raises(ExamgenError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind(port).close()
    finally:
        sock.close()


def test_a_history_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="cannot open the practice history"):
        History(blocker / "sub" / "h.sqlite3")
    with pytest.raises(HistoryError, match="is a folder"):
        History(tmp_path)
