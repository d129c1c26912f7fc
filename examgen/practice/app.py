"""The practice web app (FastAPI): pages for a student, JSON endpoints for tutoring tools.

Pages: ``/`` progress per topic and learning goal (an SVG chart per topic), ``/q/{id}`` a question
with its widgets, ``/q/{id}/result`` its marking and worked solution, ``/help`` the scheduling
rule and the marking policy. Every state change is a POST carrying the session's CSRF token:
``/next`` (the scheduler's next goal), ``/goal/{goal}`` (a goal chosen on the home page),
``/q/{id}/again`` (the same question with new numbers), ``/q/{id}/check`` (mark an answer).

JSON (``/api/...``, described at ``/openapi.json``; no ``/docs`` page, whose script comes from a CDN): ``GET /api/session`` gives the
CSRF token for the ``X-CSRF-Token`` header; ``POST /api/questions`` draws a question (data and HTML
fragment, no key data), ``/api/grade`` marks answers, ``/api/solution`` gives the worked solution,
``/api/preview`` shows how an expression answer is read. They are :mod:`examgen.tutor`'s calls and
keep no history; the pages record every question and answer in the history (:mod:`.store`).

Security: see :mod:`.guard` (Host, Origin, body size) and :func:`_check_csrf`; answers are bounded
(:func:`_bounded_answers`) and read by the grader's parsers only; errors are 4xx messages, and an
unexpected one is a 500 with one line, never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
import threading
import traceback
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import Field, JsonValue
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import tutor
from ..errors import ExamgenError
from ..model import Model, QuestionReport
from ..topics import TOPICS, topic as find_topic
from . import chart, schedule
from .guard import Guard
from .store import History, now
from .words import ago, pct, until

SESSION_COOKIE = "examgen_session"
MAX_ANSWER_CHARS = 1000
"""Characters: the longest single answer accepted (the grader's own limits are lower for numbers
and formulas)."""
MAX_ANSWER_VALUES = 400
"""Numbers and texts in one submitted question (the largest step is a 4x4 matrix)."""
MAX_DEPTH = 4


# --- request and response models of the JSON API ---------------------------------------------


class DrawRequest(Model):
    topic: str | None = Field(None, max_length=40)
    goal: str | None = Field(None, max_length=10)
    generator: str | None = Field(None, max_length=60)
    seed: int | None = Field(None, ge=0, lt=2**63)


class Drawn(Model):
    question: tutor.QuestionView
    html: str = Field(description="The question as an HTML fragment with its widgets (no key data).")


class GradeRequest(Model):
    ref: tutor.QuestionRef
    answers: dict[str, dict[str, JsonValue]] = Field(description="part -> step -> raw answer (null: none)")


class Graded(Model):
    report: QuestionReport
    html: str = Field(description="The marking as an HTML fragment.")


class SolutionRequest(Model):
    ref: tutor.QuestionRef


class Solved(Model):
    solution: tutor.SolutionView
    html: str


class PreviewRequest(Model):
    text: str = Field(max_length=MAX_ANSWER_CHARS)
    variables: list[str] = Field(max_length=12)


class Preview(Model):
    html: str | None = Field(None, description="MathML of the formula as the grader reads it.")
    error: str | None = None


class Session(Model):
    csrf: str


# --- the app ---------------------------------------------------------------------------------


def create_app(history: History, *, port: int, topics: list[str] | None = None,
               hosts: tuple[str, ...] = ("127.0.0.1", "localhost")):
    """The practice app for a history, answering on ``port`` only (wrapped in :class:`Guard`)."""
    app = FastAPI(title="examgen practice", version="1", docs_url=None, redoc_url=None,  # they load a CDN
                  description="Exam practice for IN5400: draw a question, grade answers, get the worked solution.")
    state = _State(history, topics)
    secret = secrets.token_bytes(32)

    def csrf_for(session: str) -> str:
        return hmac.new(secret, session.encode(), hashlib.sha256).hexdigest()[:32]

    def session_of(request: Request) -> tuple[str, bool]:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid and len(sid) == 32 and sid.isalnum():
            return sid, False
        return secrets.token_hex(16), True

    def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        sid, new = session_of(request)
        html = _render(template, csrf=csrf_for(sid), **context)
        response = HTMLResponse(html, status_code=status)
        if new:
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", path="/")
        response.headers["Cache-Control"] = "no-store"
        return response

    def check_csrf(request: Request, token: str | None) -> None:
        sid = request.cookies.get(SESSION_COOKIE)
        if not sid or not token or not hmac.compare_digest(csrf_for(sid), token):
            raise HTTPException(403, "the form is out of date or was not sent by this app's page "
                                     "(missing or wrong CSRF token): reload the page and try again")

    async def form(request: Request) -> dict[str, str]:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise HTTPException(415, "expected a form (application/x-www-form-urlencoded)")
        try:
            fields = parse_qs((await request.body()).decode("utf-8"), max_num_fields=10, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            raise HTTPException(400, "the form could not be read") from None
        values = {k: v[0] for k, v in fields.items()}
        check_csrf(request, values.get("csrf"))
        return values

    # --- pages ------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request):
        response = page(request, "practice/home.html.j2", **state.progress())
        state.warm_up()
        return response

    @app.get("/help", response_class=HTMLResponse, include_in_schema=False)
    def help_page(request: Request):
        from ..policy import POLICY

        return page(request, "practice/help.html.j2", rule=schedule.RULE, policy=POLICY,
                    ratings=schedule.RATINGS, mastered=schedule.MASTERED, db=str(history.path))

    @app.get("/q/{qid}", response_class=HTMLResponse, include_in_schema=False)
    def question_page(request: Request, qid: int):
        seen, q = state.question(qid)
        return page(request, "practice/question.html.j2", q=q, seen=seen, goal=_goal_text(seen.goal),
                    reason=schedule.Choice(seen.goal, seen.reason).explain())

    @app.get("/q/{qid}/result", response_class=HTMLResponse, include_in_schema=False)
    def result_page(request: Request, qid: int):
        seen, q = state.question(qid)
        last = history.last_answer(qid)
        if last is None:
            return RedirectResponse(f"/q/{qid}", status_code=303)
        report = QuestionReport.model_validate_json(last[1])
        stats = history.stats().get(seen.goal)
        return page(request, "practice/result.html.j2", q=q, seen=seen, goal=_goal_text(seen.goal),
                    report=report, stats=stats)

    @app.post("/next", include_in_schema=False)
    async def next_question(request: Request):
        await form(request)
        return RedirectResponse(f"/q/{state.next()}", status_code=303)

    @app.post("/goal/{goal}", include_in_schema=False)
    async def goal_question(request: Request, goal: str):
        await form(request)
        return RedirectResponse(f"/q/{state.for_goal(goal)}", status_code=303)

    @app.post("/q/{qid}/again", include_in_schema=False)
    async def again(request: Request, qid: int):
        await form(request)
        return RedirectResponse(f"/q/{state.again(qid)}", status_code=303)

    @app.post("/q/{qid}/check", include_in_schema=False)
    async def check(request: Request, qid: int):
        values = await form(request)
        try:
            answers = json.loads(values.get("answers") or "{}")
        except ValueError:
            raise HTTPException(400, "the answers are not valid JSON") from None
        state.mark(qid, _bounded_answers(answers))
        return RedirectResponse(f"/q/{qid}/result", status_code=303)

    @app.get("/style.css", include_in_schema=False)
    def style():
        return Response(_style(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    # --- JSON API ---------------------------------------------------------------------------

    @app.get("/api/session", response_model=Session, summary="The CSRF token for this session's POSTs")
    def api_session(request: Request):
        sid, new = session_of(request)
        response = JSONResponse({"csrf": csrf_for(sid)})
        if new:
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", path="/")
        return response

    @app.post("/api/questions", response_model=Drawn, summary="Draw a question (no key data)")
    def api_draw(request: Request, body: DrawRequest):
        check_csrf(request, request.headers.get("x-csrf-token"))
        q = tutor.draw(topic=body.topic, goal=body.goal, generator=body.generator, seed=body.seed)
        return Drawn(question=tutor.question_data(q), html=tutor.question_html(q))

    @app.post("/api/grade", response_model=Graded, summary="Mark a question's answers, as `examgen grade` does")
    def api_grade(request: Request, body: GradeRequest):
        check_csrf(request, request.headers.get("x-csrf-token"))
        q = tutor.rebuild(body.ref)
        report = tutor.grade(q, _bounded_answers(body.answers))
        return Graded(report=report, html=tutor.feedback_html(q, report))

    @app.post("/api/solution", response_model=Solved, summary="The worked solution")
    def api_solution(request: Request, body: SolutionRequest):
        check_csrf(request, request.headers.get("x-csrf-token"))
        q = tutor.rebuild(body.ref)
        return Solved(solution=tutor.solution_data(q), html=tutor.solution_html(q))

    @app.post("/api/preview", response_model=Preview, summary="How an expression answer is read")
    def api_preview(request: Request, body: PreviewRequest):
        check_csrf(request, request.headers.get("x-csrf-token"))
        return _preview(body.text, body.variables)

    # --- errors: a message with a 4xx, never a traceback ---------------------------------------

    def error(request: Request, status: int, message: str):
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": message}, status_code=status)
        return page(request, "practice/error.html.j2", status=status, status_code=status, message=message)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's HTTPException and Starlette's 404, 405
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = "there is no such page" if exc.status_code == 404 and exc.detail == "Not Found" else str(exc.detail)
        return error(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}"
                             for e in exc.errors()[:5])
        return error(request, 422, f"the request is not valid: {problems}")

    @app.exception_handler(ExamgenError)
    async def user_error(request: Request, exc: ExamgenError):
        return error(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        traceback.print_exception(exc, file=sys.stderr)  # for the terminal that runs the server
        return error(request, 500, f"internal error ({type(exc).__name__}); please report it")

    return Guard(app, port=port, hosts=hosts)


class _State:
    """The app's work on the history: drawing, marking, scheduling."""

    def __init__(self, history: History, topics: list[str] | None):
        self.history = history
        self.topics = topics
        self.topic_ids = tutor.resolve_topics(topics) if topics else [t.id for t in TOPICS]
        self.warm = threading.Event()
        self._warming = threading.Lock()
        self._warm_started = False

    def warm_up(self) -> None:
        """Load every generator and the question bank in a thread, once: started after the first page
        is rendered, so that page does not wait for them."""
        with self._warming:
            if self._warm_started:
                return
            self._warm_started = True

        def run():
            tutor.sources(self.topics)
            self.warm.set()

        threading.Thread(target=run, daemon=True).start()

    def goals(self) -> list[str]:
        goals = list(tutor.sources(self.topics))
        self.warm.set()
        return goals

    def ready_goals(self) -> set[str] | None:
        """The goals with questions if they are known already, else None (the home page does not wait
        for every generator and the question bank to load: a thread started with the app loads them)."""
        return set(self.goals()) if self.warm.is_set() else None

    def question(self, qid: int):
        seen = self.history.question(qid)
        if seen is None:
            raise HTTPException(404, f"there is no question {qid} in this history")
        q = tutor.rebuild(tutor.QuestionRef(generator=seen.generator, version=seen.version, seed=seen.seed,
                                            item=seen.item))
        return seen, q

    def _show(self, q, reason: str) -> int:
        ref = tutor.ref_of(q)
        return self.history.shown(generator=ref.generator, version=ref.version, seed=ref.seed, item=ref.item,
                                  topic=q.topic, goal=q.goal, reason=reason)

    def next(self) -> int:
        choice = schedule.next_goal(self.goals(), self.history.stats(), now(), self.history.last_goal())
        return self._show(tutor.draw(goal=choice.goal, seed=secrets.randbits(62)), choice.reason)

    def for_goal(self, goal: str) -> int:
        if goal not in tutor.sources(self.topics):
            raise HTTPException(404, f"learning goal {goal!r} has no questions here")
        return self._show(tutor.draw(goal=goal, seed=secrets.randbits(62)), "asked")

    def again(self, qid: int) -> int:
        seen, q = self.question(qid)
        ref = tutor.QuestionRef(generator=seen.generator, version=seen.version, seed=secrets.randbits(62),
                                item=seen.item)
        return self._show(tutor.rebuild(ref), seen.reason)

    def mark(self, qid: int, answers: dict) -> QuestionReport:
        seen, q = self.question(qid)
        report = tutor.grade(q, answers)
        fraction = report.score / report.points if report.points else 0.0
        when = now()
        card, due, rating = schedule.review(self.history.card(seen.goal), fraction, when)
        self.history.answered(qid, answers, report.score, report.points, int(rating), report.model_dump_json(),
                              seen.goal, card, due, when)
        return report

    def progress(self) -> dict[str, Any]:
        stats = self.history.stats()
        goals_with_questions = self.ready_goals()
        t = now()
        topics = []
        for tid in self.topic_ids:
            topic = find_topic(tid)
            rows = [(g, stats.get(g.id), goals_with_questions is None or g.id in goals_with_questions)
                    for g in topic.goals]
            topics.append({"topic": topic, "rows": rows, "svg": chart.progress_svg(rows, t)})
        shown, answered = self.history.counts()
        return {"topics": topics, "shown": shown, "answered": answered, "now": t}


def _goal_text(goal_id: str) -> str:
    return find_topic(goal_id.split(".")[0]).goal(goal_id).text


def _bounded_answers(answers: Any) -> dict:
    """The answers if they have the shape part -> step -> value and stay within the limits; else a 422."""
    if not isinstance(answers, dict) or not all(isinstance(v, dict) for v in answers.values()):
        raise HTTPException(422, "the answers must be an object: part -> step -> answer")
    count = 0

    def walk(value, depth):
        nonlocal count
        count += 1
        if count > MAX_ANSWER_VALUES:
            raise HTTPException(422, f"too many values in one answer (at most {MAX_ANSWER_VALUES})")
        if isinstance(value, str) and len(value) > MAX_ANSWER_CHARS:
            raise HTTPException(422, f"an answer of {len(value)} characters is too long (at most {MAX_ANSWER_CHARS})")
        if isinstance(value, list):
            if depth >= MAX_DEPTH:
                raise HTTPException(422, "an answer is nested too deeply")
            for v in value:
                walk(v, depth + 1)
        elif isinstance(value, dict):
            raise HTTPException(422, "an answer cannot be an object")

    for steps in answers.values():
        for value in steps.values():
            walk(value, 0)
    return answers


def _preview(text: str, variables: list[str]) -> Preview:
    """The formula as the grader's parser reads it, typeset (MathML); or why it cannot be read."""
    from ..kinds.formula import latex, parse_expression
    from ..kinds.parse import FormatError
    from ..render.math import mathml

    if any(len(v) > 20 or not v.replace("_", "").isalnum() for v in variables):
        return Preview(error="bad variable names")
    try:
        expr = parse_expression(text, variables)
    except FormatError as e:
        return Preview(error=str(e))
    try:
        return Preview(html=mathml(latex(expr, variables)))
    except ExamgenError:
        return Preview(error="read, but cannot be typeset")


def _render(template: str, **context) -> str:
    from ..render.html import _env

    return _env().get_template(template).render(pct=pct, ago=ago, until=until, **context)


_STYLE: list[str] = []


def _style() -> str:
    if not _STYLE:
        from ..render.html import math_font_css
        from ..resources import data_dir

        _STYLE.append(str(math_font_css()) + "\n" + (data_dir("templates") / "style.css").read_text()
                      + "\n" + (data_dir("templates") / "practice" / "practice.css").read_text())
    return _STYLE[0]
