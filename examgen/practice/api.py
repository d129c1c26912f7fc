"""The practice app's JSON API for tutoring tools (``/api/...``, described at ``/openapi.json``):
``GET /api/session`` gives the CSRF token for the ``X-CSRF-Token`` header; ``POST /api/questions``
draws a question (data and HTML fragment, no key data), ``/api/grade`` marks answers,
``/api/solution`` gives the worked solution, ``/api/preview`` shows how an expression answer is
read. They are :mod:`examgen.tutor`'s calls and keep no history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field, JsonValue

from .. import tutor
from ..errors import ExamgenError
from ..model import Model, QuestionReport
from .web import MAX_ANSWER_CHARS, bounded_answers, sessions

router = APIRouter(prefix="/api")


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


def _checked(request: Request) -> None:
    """A 403 unless the request carries its session's CSRF token in ``X-CSRF-Token``."""
    sessions(request).check(request, request.headers.get("x-csrf-token"))


@router.get("/session", response_model=Session, summary="The CSRF token for this session's POSTs")
def api_session(request: Request):
    web = sessions(request)
    sid, new = web.of(request)
    return web.keep(JSONResponse({"csrf": web.csrf_for(sid)}), sid, new)


@router.post("/questions", response_model=Drawn, summary="Draw a question (no key data)")
def api_draw(request: Request, body: DrawRequest):
    _checked(request)
    q = tutor.draw(topic=body.topic, goal=body.goal, generator=body.generator, seed=body.seed)
    return Drawn(question=tutor.question_data(q), html=tutor.question_html(q))


@router.post("/grade", response_model=Graded, summary="Mark a question's answers, as `examgen grade` does")
def api_grade(request: Request, body: GradeRequest):
    _checked(request)
    q = tutor.rebuild(body.ref)
    report = tutor.grade(q, bounded_answers(body.answers))
    return Graded(report=report, html=tutor.feedback_html(q, report))


@router.post("/solution", response_model=Solved, summary="The worked solution")
def api_solution(request: Request, body: SolutionRequest):
    _checked(request)
    q = tutor.rebuild(body.ref)
    return Solved(solution=tutor.solution_data(q), html=tutor.solution_html(q))


@router.post("/preview", response_model=Preview, summary="How an expression answer is read")
def api_preview(request: Request, body: PreviewRequest):
    _checked(request)
    return preview(body.text, body.variables)


def preview(text: str, variables: list[str]) -> Preview:
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
