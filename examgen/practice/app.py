"""The practice web app (FastAPI): pages for a student, JSON endpoints for tutoring tools.

Pages: ``/`` progress per topic and learning goal (an SVG chart per topic), ``/q/{id}`` a question
with its widgets, ``/q/{id}/result`` its marking and worked solution, ``/help`` the scheduling
rule and the marking policy. Every state change is a POST carrying the session's CSRF token:
``/next`` (the scheduler's next goal), ``/goal/{goal}`` (a goal chosen on the home page),
``/q/{id}/again`` (the same question with new numbers), ``/q/{id}/check`` (mark an answer).
The pages record every question and answer in the history (:mod:`.store`).

The JSON API for tutoring tools is :mod:`.api` (no ``/docs`` page, whose script comes from a CDN).
Routes are module-level functions on two routers; what they share lives on ``app.state``: the
:class:`~.web.Sessions` (cookie and CSRF token) and the :class:`_State` (history, drawing, marking).

Security: see :mod:`.guard` (Host, Origin, body size) and :mod:`.web` (CSRF, answer bounds);
answers are read by the grader's parsers only; errors are 4xx messages, and an unexpected one is
a 500 with one line, never a traceback.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import traceback
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import tutor
from ..errors import ExamgenError
from ..model import QuestionReport
from ..topics import TOPICS, topic as find_topic
from . import api, chart, schedule
from .guard import Guard
from .store import History, now
from .web import Sessions, bounded_answers, sessions


def create_app(history: History, *, port: int, topics: list[str] | None = None,
               hosts: tuple[str, ...] = ("127.0.0.1", "localhost")):
    """The practice app for a history, answering on ``port`` only (wrapped in :class:`Guard`)."""
    app = FastAPI(title="examgen practice", version="1", docs_url=None, redoc_url=None,  # they load a CDN
                  description="Exam practice for IN5400: draw a question, grade answers, get the worked solution.")
    app.state.sessions = Sessions()
    app.state.practice = _State(history, topics)
    app.include_router(pages)
    app.include_router(api.router)
    app.add_exception_handler(StarletteHTTPException, _http_error)  # FastAPI's and Starlette's 404, 405
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(ExamgenError, _user_error)
    app.add_exception_handler(Exception, _internal)
    return Guard(app, port=port, hosts=hosts)


# --- pages ---------------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


def _state(request: Request) -> _State:
    return request.app.state.practice


@pages.get("/")
def home(request: Request):
    state = _state(request)
    response = sessions(request).page(request, "practice/home.html.j2", **state.progress())
    state.warm_up()
    return response


@pages.get("/help")
def help_page(request: Request):
    from ..policy import POLICY

    return sessions(request).page(request, "practice/help.html.j2", rule=schedule.RULE, policy=POLICY,
                              ratings=schedule.RATINGS, mastered=schedule.MASTERED,
                              db=str(_state(request).history.path))


@pages.get("/q/{qid}")
def question_page(request: Request, qid: int):
    seen, q = _state(request).question(qid)
    return sessions(request).page(request, "practice/question.html.j2", q=q, seen=seen, goal=_goal_text(seen.goal),
                              reason=schedule.Choice(seen.goal, seen.reason).explain())


@pages.get("/q/{qid}/result")
def result_page(request: Request, qid: int):
    state = _state(request)
    seen, q = state.question(qid)
    last = state.history.last_answer(qid)
    if last is None:
        return RedirectResponse(f"/q/{qid}", status_code=303)
    report = QuestionReport.model_validate_json(last[1])
    return sessions(request).page(request, "practice/result.html.j2", q=q, seen=seen, goal=_goal_text(seen.goal),
                              report=report, stats=state.history.stats().get(seen.goal))


@pages.post("/next")
async def next_question(request: Request):
    await sessions(request).form(request)
    return RedirectResponse(f"/q/{_state(request).next()}", status_code=303)


@pages.post("/goal/{goal}")
async def goal_question(request: Request, goal: str):
    await sessions(request).form(request)
    return RedirectResponse(f"/q/{_state(request).for_goal(goal)}", status_code=303)


@pages.post("/q/{qid}/again")
async def again(request: Request, qid: int):
    await sessions(request).form(request)
    return RedirectResponse(f"/q/{_state(request).again(qid)}", status_code=303)


@pages.post("/q/{qid}/check")
async def check(request: Request, qid: int):
    values = await sessions(request).form(request)
    try:
        answers = json.loads(values.get("answers") or "{}")
    except ValueError:
        raise HTTPException(400, "the answers are not valid JSON") from None
    _state(request).mark(qid, bounded_answers(answers))
    return RedirectResponse(f"/q/{qid}/result", status_code=303)


@pages.get("/style.css")
def style():
    return Response(_style(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


# --- errors: a message with a 4xx, never a traceback -------------------------------------------


def _error(request: Request, status: int, message: str):
    if request.url.path.startswith("/api"):
        return JSONResponse({"error": message}, status_code=status)
    return sessions(request).page(request, "practice/error.html.j2", status=status, status_code=status, message=message)


async def _http_error(request: Request, exc: StarletteHTTPException):
    message = "there is no such page" if exc.status_code == 404 and exc.detail == "Not Found" else str(exc.detail)
    return _error(request, exc.status_code, message)


async def _invalid(request: Request, exc: RequestValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}"
                         for e in exc.errors()[:5])
    return _error(request, 422, f"the request is not valid: {problems}")


async def _user_error(request: Request, exc: ExamgenError):
    return _error(request, 400, str(exc))


async def _internal(request: Request, exc: Exception):
    traceback.print_exception(exc, file=sys.stderr)  # for the terminal that runs the server
    return _error(request, 500, f"internal error ({type(exc).__name__}); please report it")


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


_STYLE: list[str] = []


def _style() -> str:
    if not _STYLE:
        from ..render.html import math_font_css
        from ..resources import data_dir

        _STYLE.append(str(math_font_css()) + "\n" + (data_dir("templates") / "style.css").read_text()
                      + "\n" + (data_dir("templates") / "practice" / "practice.css").read_text())
    return _STYLE[0]
