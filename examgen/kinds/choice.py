"""One word from a fixed set (``Step.options``): a yes/no, an activation's name, an action."""

from __future__ import annotations

from . import Kind, kind, lms, parse


@kind
class Choice(Kind):
    name = "choice"
    needs_options = True

    def read(self, step, raw):
        return parse.choice(raw, step.options or [])

    def latex(self, step):
        return rf"\text{{{step.value}}}"

    def hint(self, step):
        return "one of: " + ", ".join(step.options or [])

    def answer_schema(self, step):
        return {"type": ["string", "null"], "description": "one of: " + ", ".join(step.options or [])}

    def lms(self, step, value=None):
        return lms.Options(options=tuple(step.options or []), correct=(step.value if value is None else value,))
