"""True/false per statement (``Step.options`` are the statements): each statement is credited on
its own, and a wrongly judged one says why."""

from __future__ import annotations

import numpy as np

from . import kind, lms, parse
from .options import OptionKind


def tf(values) -> str:
    return " ".join("T" if v == "true" else "F" for v in values)


@kind
class TrueFalse(OptionKind):
    name = "truefalse"
    widget_script = """examgen.widgets.truefalse = {
  get: el => {
    const rows = [...el.querySelectorAll(".tf")].map(r => (r.querySelector("input:checked") || {}).value || "?");
    return rows.every(v => v === "?") ? null : rows.join(" ");
  },
  set: (el, value) => {
    const v = value == null ? [] : (Array.isArray(value) ? value : String(value).trim().split(/[\\s,;]+/));
    el.querySelectorAll(".tf").forEach((r, i) => r.querySelectorAll("input").forEach(c => {
      c.checked = v[i] != null && String(v[i]).toUpperCase().startsWith(c.value); }));
  },
};"""

    def read(self, step, raw):
        return parse.truefalse(raw, len(step.options or []))

    def matches(self, step, x, ref):
        if len(x) != len(ref):
            return np.zeros(len(x), dtype=bool)
        return np.array([a == b for a, b in zip(x, ref)])

    def reasons(self, step, x, ref):
        fb, statements = step.feedback or {}, step.options or []
        return [f"statement {i + 1} is {r}: {fb.get(statements[i], '')}".rstrip(": ")
                for i, (a, r) in enumerate(zip(x, ref)) if a != r]

    def show(self, step, value):
        return tf(value)

    def answer_markup(self, step):
        fb = step.feedback or {}
        return f"Answer {tf(step.value)}:\n\n" + "\n".join(
            f"- {i + 1}. {'True' if v == 'true' else 'False'}: {fb.get(text, '')}"
            for i, (text, v) in enumerate(zip(step.options or [], step.value)))

    def html_field(self, step, field_id, data):
        """True or false for each statement (numbered as in the stem); read as 'T F ? T'."""
        rows = []
        for i in range(len(step.options or [])):
            name = f"{field_id}.{i + 1}"
            first = f' id="{field_id}"' if i == 0 else ""
            rows.append(f'<span class="tf" role="radiogroup" aria-label="statement {i + 1}">{i + 1}. '
                        f'<label><input type="radio" name="{name}" value="T"{first}> true</label> '
                        f'<label><input type="radio" name="{name}" value="F"> false</label></span>')
        return f'<span class="truefalse" {self.attrs(data)}>' + "".join(rows) + "</span>"

    def marking(self, step):  # credited in part, not only when exact
        return self.hint(step)

    def hint(self, step):
        return f"T or F for each of the {len(step.options or [])} statements, in order, e.g. T F F T"

    def lms(self, step, value=None):
        """A true/false choice per statement, each credited on its own; a wrong judgement says why."""
        fb = step.feedback or {}
        values = step.value if value is None else value
        return lms.Entries(
            entries=tuple(lms.Options(options=("true", "false"), correct=(v,), labels=("True", "False"),
                                      feedback={"false" if v == "true" else "true": fb[text]} if fb.get(text) else {})
                          for text, v in zip(step.options or [], values)),
            labels=tuple(step.options or []))

    def lms_answer(self, step, responses):
        if not any(responses):
            return None
        return ["?" if r is None else r for r in responses]  # a blank statement: not readable
