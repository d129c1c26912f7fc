"""Filling a question's widgets in the browser with given values, as a student would: typing into
text fields and cells, clicking radio buttons and checkboxes, choosing from lists."""

from __future__ import annotations

import numpy as np

from examgen import kinds
from examgen.kinds.parse import LETTERS


def letter(st, option) -> str:
    return LETTERS[st.options.index(option)]


def open_working(root) -> None:
    closed = root.locator("details.working:not([open]) > summary")
    for _ in range(closed.count()):
        closed.first.click()


def fill_step(root, qid: str, pid: str, st, value) -> None:
    """Put ``value`` (a stored value of the step, e.g. the key's) into the step's widget."""
    w = root.locator(f'[data-q="{qid}"][data-p="{pid}"][data-s="{st.name}"]')
    kind = st.kind
    if kind in ("vector", "matrix", "tensor"):
        cells = w.locator("input")
        for i, v in enumerate(np.ravel(np.asarray(value, dtype=float))):
            cells.nth(i).fill(repr(float(v)))
    elif kind == "choice":
        w.locator(f'input[value="{value}"]').check()
    elif kind == "single":
        w.locator(f'input[value="{letter(st, value)}"]').check()
    elif kind == "multi":
        for option in value:
            w.locator(f'input[value="{letter(st, option)}"]').check()
    elif kind == "truefalse":
        for i, v in enumerate(value):
            w.locator(".tf").nth(i).locator(f'input[value="{"T" if v == "true" else "F"}"]').check()
    elif kind == "ordering":
        for i, option in enumerate(value):
            w.locator("select").nth(i).select_option(letter(st, option))
    elif kind == "expression":
        w.locator("input").fill(str(value))
    else:  # one text field: scalar, integer
        w.fill(kinds.of(st).show(st, value) if kind != "scalar" else repr(float(value)))


def fill_question(root, q, values: dict | None = None, qid: str | None = None) -> None:
    """Every asked step of ``q`` (values: step name -> value; default the key)."""
    open_working(root)
    for p in q.parts:
        for n in p.steps:
            value = q.step(n).value if values is None else values.get(n)
            if value is not None:
                fill_step(root, qid or q.id, p.id, q.step(n), value)
