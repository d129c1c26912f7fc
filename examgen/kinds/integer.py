"""A whole number, right only when exact (sizes, counts, indices)."""

from __future__ import annotations

from . import Kind, kind, lms, parse, text_input


@kind
class Integer(Kind):
    name = "integer"

    def read(self, step, raw):
        return parse.integer(raw)

    def hint(self, step):
        return "a whole number"

    def html_field(self, step, field_id, data):
        return text_input(self, field_id, data, ' inputmode="numeric"')

    def answer_schema(self, step):
        return {"type": ["integer", "string", "null"]}

    def lms(self, step, value=None):
        return lms.Number(value=int(step.value if value is None else value), exact=True)
