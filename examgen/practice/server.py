"""Start the practice server: bound to 127.0.0.1 only, on a free port unless one is given, the
URL printed, the browser opened (unless told not to); and the ``--history`` table."""

from __future__ import annotations

import socket
import threading
import webbrowser
from pathlib import Path
from typing import Callable

from .store import History, default_path

HOST = "127.0.0.1"


def bind(port: int | None) -> socket.socket:
    """A listening socket on the loopback address (port 0 or None: a free one). Its protocol is named
    (IPPROTO_TCP), so asyncio turns Nagle's algorithm off on each connection: without that, a
    response written in two pieces waits for the browser's delayed ACK on a kept-alive connection,
    40 ms per page (measured: 50 ms a question page, 3 ms with it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((HOST, port or 0))
    except OSError as e:
        sock.close()
        from ..errors import ExamgenError

        raise ExamgenError(f"cannot listen on {HOST}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    return sock


def serve(*, topics: list[str] | None, port: int | None, open_browser: bool, db: Path | None,
          echo: Callable[[str], None] = print) -> None:
    """Run the app until interrupted (Ctrl-C)."""
    import uvicorn

    from .app import create_app

    history = History(db or default_path())
    sock = bind(port)
    port = sock.getsockname()[1]
    app = create_app(history, port=port, topics=topics)
    url = f"http://{HOST}:{port}/"
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=5,
                            h11_max_incomplete_event_size=16 * 1024, lifespan="off")
    server = uvicorn.Server(config)
    echo(f"examgen practice: {url}  (history: {history.path}; Ctrl-C stops)")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        history.close()


def history_table(db: Path | None, topics: list[str] | None = None) -> str:
    """The history by topic and learning goal: answered, mean score, last practised, next due."""
    from ..topics import TOPICS
    from .words import ago, pct, until

    history = History(db or default_path())
    try:
        stats = history.stats()
        shown, answered = history.counts()
    finally:
        history.close()
    lines = [f"{history.path}: {shown} questions seen, {answered} answers marked", "",
             f"{'goal':<7} {'answered':>8} {'mean':>6} {'recent':>7}  {'last practised':<18} {'next due':<16} text"]
    for t in TOPICS:
        if topics and t.id not in topics:
            continue
        rows = [(g, stats[g.id]) for g in t.goals if g.id in stats]
        if not rows:
            continue
        lines.append(f"{t.number} {t.name}")
        for g, st in rows:
            text = g.text if len(g.text) <= 50 else g.text[:47] + "..."
            lines.append(f"{g.id:<7} {st.answered:>8} {pct(st.mean):>6} {pct(st.recent):>7}  {ago(st.last):<18} "
                         f"{until(st.due):<16} {text}")
    if answered == 0:
        lines.append("(nothing practised yet: run examgen practice)")
    return "\n".join(lines)
