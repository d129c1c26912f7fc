"""Single choice: exactly one of the lettered options; right or wrong, and a wrong option says why."""

from __future__ import annotations

from . import kind, lms, parse
from .choice import radios
from .options import OptionKind, last_letter, letter, option_letters


@kind
class Single(OptionKind):
    name = "single"
    widget_script = "examgen.widgets.single = examgen.radio;"

    def read(self, step, raw):
        return parse.single(raw, step.options or [])

    def reasons(self, step, x, ref):
        fb = step.feedback or {}
        return [f"{x}: {fb[x]}"] if x != ref and x in fb else []

    def show(self, step, value):
        return f"{letter(step, value)} ({value})" if value in (step.options or []) else str(value)

    def answer_markup(self, step):
        return f"Answer {letter(step, step.value)}: {step.value}"

    def hint(self, step):
        return f"one letter, A-{last_letter(step)}"

    def html_field(self, step, field_id, data):
        """A radio button per option letter (the stem lists the options' texts)."""
        return radios(self, field_id, data, [(a, a) for a in option_letters(step)])

    def answer_schema(self, step):
        return {"type": ["string", "null"], "description": self.hint(step)}

    def lms(self, step, value=None):
        return lms.Options(options=tuple(step.options or []), correct=(step.value if value is None else value,),
                           feedback=dict(step.feedback or {}))
