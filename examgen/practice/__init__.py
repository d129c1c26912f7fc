"""``examgen practice``: a local web app for practising one question at a time.

:mod:`.app` (FastAPI pages and JSON endpoints) over :mod:`examgen.tutor` (draw, show, grade,
solve), :mod:`.schedule` (FSRS per learning goal), :mod:`.store` (the SQLite history),
:mod:`.guard` (Host, Origin and size checks), :mod:`.chart` (SVG progress), :mod:`.server`
(start-up and ``--history``). Nothing here is imported by ``examgen make`` or ``grade``.
"""
