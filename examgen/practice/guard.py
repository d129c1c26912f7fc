"""The practice server's front door, as plain ASGI middleware in front of the app:

* the ``Host`` header must name this server (``127.0.0.1:PORT`` or ``localhost:PORT``), which
  defeats DNS rebinding (a foreign name that resolves to 127.0.0.1);
* a request with an ``Origin`` (or ``Sec-Fetch-Site: cross-site``) from anywhere else is refused
  unless it is a plain GET or HEAD: no cross-site form posts;
* a body larger than :data:`MAX_BODY` is refused (by its Content-Length, or while it streams in),
  so memory stays bounded whatever a client sends.

The per-session CSRF token that every POST carries is checked by the app itself (:mod:`.app`).
Refusals are short JSON (``/api/...``) or HTML messages with a 4xx status.
"""

from __future__ import annotations

import json
from html import escape

MAX_BODY = 64 * 1024
"""Bytes: the largest request body accepted (an answered question is a few hundred bytes)."""


class Guard:
    def __init__(self, app, *, port: int, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
                 max_body: int = MAX_BODY):
        self.app = app
        self.hosts = {f"{h}:{port}" for h in hosts}
        self.origins = {f"http://{h}" for h in self.hosts}
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope.get("path", "")
        safe = scope["method"] in ("GET", "HEAD")
        if headers.get("host", "").lower() not in self.hosts:
            return await _refuse(send, path, 421, "this server answers only to its own address "
                                 f"({' or '.join(sorted(self.origins))})")
        origin = headers.get("origin")
        if not safe and ((origin is not None and origin.lower() not in self.origins)
                         or headers.get("sec-fetch-site") == "cross-site"):
            return await _refuse(send, path, 403, "cross-site requests are refused")
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await _refuse(send, path, 413, f"the request is larger than {self.max_body // 1024} KiB")
        if safe:
            return await self.app(scope, receive, send)

        body, more = [], True  # read the whole (bounded) body first, then hand it on
        size = 0
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return await _refuse(send, path, 413, f"the request is larger than {self.max_body // 1024} KiB")
            body.append(chunk)
            more = message.get("more_body", False)
        data = b"".join(body)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


async def _refuse(send, path: str, status: int, message: str) -> None:
    if path.startswith("/api"):
        body, kind = json.dumps({"error": message}).encode(), b"application/json"
    else:
        body = (f"<!DOCTYPE html><meta charset=utf-8><title>Refused</title><h1>Refused</h1>"
                f"<p>{escape(message)}</p>").encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
