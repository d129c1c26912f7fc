"""One word from a fixed set (``Step.options``): a yes/no, an activation's name, an action."""

from __future__ import annotations

from html import escape

from . import Kind, kind, lms, parse


def radios(k: Kind, field_id: str, data: str, choices: list[tuple[str, str]], cls: str = "choices") -> str:
    """A group of radio buttons (``choices``: value and label HTML), the widget of a one-of answer."""
    buttons = "".join(
        f'<label><input type="radio" name="{field_id}" value="{escape(value)}"'
        f'{f" id={chr(34)}{field_id}{chr(34)}" if i == 0 else ""}> {label}</label>'
        for i, (value, label) in enumerate(choices))
    return f'<span class="{cls}" {k.attrs(data)} role="radiogroup">{buttons}</span>'


@kind
class Choice(Kind):
    name = "choice"
    needs_options = True
    widget_script = "examgen.widgets.choice = examgen.radio;"

    def read(self, step, raw):
        return parse.choice(raw, step.options or [])

    def latex(self, step):
        return rf"\text{{{step.value}}}"

    def hint(self, step):
        return "one of: " + ", ".join(step.options or [])

    def html_field(self, step, field_id, data):
        """Radio buttons, one per word."""
        return radios(self, field_id, data, [(o, escape(o)) for o in step.options or []])

    def answer_schema(self, step):
        return {"type": ["string", "null"], "description": "one of: " + ", ".join(step.options or [])}

    def lms(self, step, value=None):
        return lms.Options(options=tuple(step.options or []), correct=(step.value if value is None else value,))
