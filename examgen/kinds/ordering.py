"""Ordering: every option once, in order; credit = the share of pairs in the right relative order."""

from __future__ import annotations

from . import kind, lms, parse
from .options import OptionKind, last_letter, letters, option_letters


@kind
class Ordering(OptionKind):
    name = "ordering"
    widget_script = """examgen.widgets.ordering = {
  get: el => { const v = [...el.querySelectorAll("select")].map(s => s.value || "?"); return v.every(x => x === "?") ? null : v; },
  set: (el, value) => { const v = [].concat(value || []); el.querySelectorAll("select").forEach((s, i) => { s.value = v[i] || ""; }); },
};"""

    def read(self, step, raw):
        return parse.ordering(raw, step.options or [])

    def whole_credit(self, step, x, ref):
        position = {o: i for i, o in enumerate(x)}
        pairs = [(a, b) for i, a in enumerate(ref) for b in ref[i + 1:]]
        return sum(position[a] < position[b] for a, b in pairs) / len(pairs) if pairs else 0.0

    def show(self, step, value):
        return letters(step, value)

    def answer_markup(self, step):
        return f"Answer {letters(step, step.value)}:\n\n" + "\n".join(f"- {o}" for o in step.value)

    def html_field(self, step, field_id, data):
        """For each place in the order, a choice of the option letter that goes there."""
        letters_ = option_letters(step)
        choices = '<option value="">–</option>' + "".join(f'<option value="{a}">{a}</option>' for a in letters_)
        places = "".join(f'<label>{i + 1}. <select{f" id={chr(34)}{field_id}{chr(34)}" if i == 0 else ""} '
                         f'aria-label="place {i + 1}">{choices}</select></label>' for i in range(len(letters_)))
        return f'<span class="ordering" {self.attrs(data)} role="group">{places}</span>'

    def hint(self, step):
        return f"all letters A-{last_letter(step)} in order, e.g. C, A, B"

    def lms(self, step, value=None):
        return lms.Order(options=tuple(step.options or []), correct=tuple(step.value if value is None else value))

    def lms_answer(self, step, responses):
        order = responses[0] if responses else None
        return list(order) if order else None
