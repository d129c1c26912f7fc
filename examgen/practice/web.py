"""What every route of the practice app shares: the browser session and its CSRF token, reading a
posted form, rendering a page, and the bounds on submitted answers.

The session is a random cookie (``httponly``, ``samesite=strict``); its CSRF token is an HMAC of it
under a secret made when the app starts, so a token is good for one session of one server run and
nothing is stored. A form or JSON POST must carry it (field ``csrf`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ..kinds import FIELD_MAX_CHARS
from .words import ago, pct, until

SESSION_COOKIE = "examgen_session"
MAX_ANSWER_CHARS = FIELD_MAX_CHARS
"""Characters: the longest single answer accepted, as long as a widget's field takes (the grader's
own limits are lower for numbers and formulas)."""
MAX_ANSWER_VALUES = 400
"""Numbers and texts in one submitted question (the largest step is a 4x4 matrix)."""
MAX_DEPTH = 4
MAX_FORM_FIELDS = 10


class Sessions:
    """Sessions and their CSRF tokens, under a secret of this server run."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def csrf_for(self, session: str) -> str:
        return hmac.new(self._secret, session.encode(), hashlib.sha256).hexdigest()[:32]

    def of(self, request: Request) -> tuple[str, bool]:
        """The request's session id, and whether it is new (no valid cookie yet)."""
        sid = request.cookies.get(SESSION_COOKIE)
        if sid and len(sid) == 32 and sid.isalnum():
            return sid, False
        return secrets.token_hex(16), True

    def keep(self, response: Response, sid: str, new: bool) -> Response:
        """Set the session cookie on a response to a request that had none."""
        if new:
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", path="/")
        return response

    def check(self, request: Request, token: str | None) -> None:
        """A 403 unless ``token`` is the CSRF token of the request's session."""
        sid = request.cookies.get(SESSION_COOKIE)
        if not sid or not token or not hmac.compare_digest(self.csrf_for(sid), token):
            raise HTTPException(403, "the form is out of date or was not sent by this app's page "
                                     "(missing or wrong CSRF token): reload the page and try again")

    def page(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        """A rendered page (never cached) with the session's CSRF token for its forms."""
        sid, new = self.of(request)
        response = HTMLResponse(render(template, csrf=self.csrf_for(sid), **context), status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return self.keep(response, sid, new)

    async def form(self, request: Request) -> dict[str, str]:
        """The fields of a posted form (first value of each), after its CSRF token is checked."""
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise HTTPException(415, "expected a form (application/x-www-form-urlencoded)")
        try:
            fields = parse_qs((await request.body()).decode("utf-8"), max_num_fields=MAX_FORM_FIELDS,
                              strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            raise HTTPException(400, "the form could not be read") from None
        values = {k: v[0] for k, v in fields.items()}
        self.check(request, values.get("csrf"))
        return values


def sessions(request: Request) -> Sessions:
    """The app's :class:`Sessions` (set on ``app.state`` by ``create_app``)."""
    return request.app.state.sessions


def render(template: str, **context) -> str:
    from ..render.html import _env

    return _env().get_template(template).render(pct=pct, ago=ago, until=until, **context)


def bounded_answers(answers: Any) -> dict:
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
