"""What the question bank's kinds share: options named by letters A, B, C ... in display order."""

from __future__ import annotations

from . import Kind
from .parse import LETTERS


def letter(step, option: str) -> str:
    """The letter of an option (the option's text itself if it is not one of the step's)."""
    options = step.options or []
    return LETTERS[options.index(option)] if option in options else option


def letters(step, chosen) -> str:
    """'A, C': the letters of the chosen options."""
    return ", ".join(letter(step, o) for o in chosen)


def option_letters(step) -> list[str]:
    """The letters naming the step's options, in display order (A, B, C ...)."""
    return list(LETTERS[:len(step.options or [])])


def last_letter(step) -> str:
    return LETTERS[len(step.options or []) - 1] if step.options else "A"


class OptionKind(Kind):
    """Base of the lettered kinds (single, multiple choice, ordering, true/false)."""

    needs_options = True
    concept = True

    def reference(self, step, value=None):
        value = step.value if value is None else value
        return tuple(value) if isinstance(value, list) else value

    def latex(self, step):
        return str(step.value)

    def solution_markup(self, step):
        return self.answer_markup(step) + (f"\n\n{step.explanation}" if step.explanation else "")

    def answer_markup(self, step) -> str:
        raise NotImplementedError

    def answer_schema(self, step):
        return {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": ["string", "null"]}],
                "description": self.hint(step)}
