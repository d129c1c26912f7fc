"""Multiple choice ("tick all that apply"): credit = (right ticks - wrong ticks) / right options,
floored at 0, so each wrong tick cancels a right one and ticking everything earns nothing."""

from __future__ import annotations

from . import kind, lms, parse
from .options import OptionKind, last_letter, letter, letters, option_letters


@kind
class Multi(OptionKind):
    name = "multi"
    widget_script = """examgen.widgets.multi = {
  get: el => { const v = [...el.querySelectorAll("input:checked")].map(c => c.value); return v.length ? v : null; },
  set: (el, value) => { const on = new Set([].concat(value || [])); el.querySelectorAll("input").forEach(c => { c.checked = on.has(c.value); }); },
};"""

    def read(self, step, raw):
        return parse.multi(raw, step.options or [])

    def whole_credit(self, step, x, ref):
        right, wrong = len(set(x) & set(ref)), len(set(x) - set(ref))
        return max(0.0, (right - wrong) / len(ref)) if ref else 0.0

    def reasons(self, step, x, ref):
        fb = step.feedback or {}
        out = [f"ticked '{o}': {fb.get(o, 'not correct')}" for o in x if o not in ref]
        return out + [f"missed '{o}'" + (f": {fb[o]}" if o in fb else "") for o in ref if o not in x]

    def show(self, step, value):
        return letters(step, value)

    def answer_markup(self, step):
        return (f"Answer {letters(step, step.value)}:\n\n"
                + "\n".join(f"- {letter(step, o)}. {o}" for o in step.value))

    def marking(self, step):  # credited in part, not only when exact
        return self.hint(step)

    def html_field(self, step, field_id, data):
        """A checkbox per option letter (the stem lists the options' texts)."""
        boxes = "".join(f'<label><input type="checkbox" value="{a}"'
                        f'{f" id={chr(34)}{field_id}{chr(34)}" if i == 0 else ""}> {a}</label>'
                        for i, a in enumerate(option_letters(step)))
        return f'<span class="choices" {self.attrs(data)} role="group">{boxes}</span>'

    def hint(self, step):
        return f"every letter that applies, e.g. A, C (options A-{last_letter(step)})"

    def lms(self, step, value=None):
        return lms.Options(options=tuple(step.options or []), correct=tuple(step.value if value is None else value),
                           multiple=True, feedback=dict(step.feedback or {}))

    def lms_answer(self, step, responses):
        chosen = responses[0] if responses else None
        return list(chosen) if chosen else None
