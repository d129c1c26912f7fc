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
        for i, text in enumerate(_texts(st, value)):
            cells.nth(i).fill(text)
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
        w.locator("input").fill(_texts(st, value)[0])
    else:  # one text field: scalar, integer
        w.fill(_texts(st, value)[0])


def typed(v) -> str:
    """A number as a student would type it from a calculator: 10 significant digits (0.29, not the
    float's 0.29000000000000004), far finer than any step's tolerance."""
    return format(float(v), ".10g")


def _texts(st, value) -> list[str]:
    """What a student types into the step's text field(s), in order; [] for a kind that is clicked."""
    if st.kind in ("vector", "matrix", "tensor"):
        return [typed(v) for v in np.ravel(np.asarray(value, dtype=float))]
    if st.kind == "expression":
        return [str(value)]
    if st.kind in ("scalar", "integer"):
        return [kinds.of(st).show(st, value) if st.kind != "scalar" else typed(value)]
    return []


_TYPE_ALL = """entries => { for (const [sel, texts] of entries) {
  const w = document.querySelector(sel);
  const fields = w.matches("input") ? [w] : [...w.querySelectorAll("input")];
  texts.forEach((t, i) => { fields[i].value = t;
    fields[i].dispatchEvent(new Event("input", {bubbles: true})); });
  fields[fields.length - 1].dispatchEvent(new Event("change", {bubbles: true})); } }"""


def fill_exam(page, exam) -> None:
    """Every asked step of every question filled with the key. The first widget of each kind is
    typed into and clicked as a student would (``fill_step``); the other text fields get their text
    in one script call that fires the same input and change events: 900 typed fields took 80 s on
    a busy 2-core machine, which bought no more than the typing of one widget per kind."""
    open_working(page)
    typed, bulk = set(), []
    for q in exam.questions:
        for p in q.parts:
            for n in p.steps:
                st = q.step(n)
                texts = _texts(st, st.value)
                if st.kind in typed and texts:
                    bulk.append((f'[data-q="{q.id}"][data-p="{p.id}"][data-s="{st.name}"]', texts))
                else:
                    fill_step(page, q.id, p.id, st, st.value)
                    typed.add(st.kind)
    page.evaluate(_TYPE_ALL, bulk)


def fill_question(root, q, values: dict | None = None, qid: str | None = None) -> None:
    """Every asked step of ``q`` (values: step name -> value; default the key)."""
    open_working(root)
    for p in q.parts:
        for n in p.steps:
            value = q.step(n).value if values is None else values.get(n)
            if value is not None:
                fill_step(root, qid or q.id, p.id, q.step(n), value)
