"""A formula in the step's variables (``Step.variables``), right when it is the same function as the
reference (compared by evaluation at fixed points; see :mod:`.formula`)."""

from __future__ import annotations

from html import escape

from . import FIELD_MAX_CHARS, Kind, kind, lms

FUNCTIONS = ("exp", "log", "ln", "sqrt", "sigma", "sigmoid", "tanh", "relu")
"""The function names the grammar knows (:mod:`.formula_parser`), for the browser's name check."""

_SCRIPT = r"""
(function () {
  /* The preview of what was understood. The practice app sets examgen.previewExpression(text,
     variables) to ask the server, which parses with the grader's own parser and answers with the
     typeset formula. Offline (exam.html) the page cannot parse the way the grader does, so it only
     checks what it can be sure of: the names used and the brackets; the formula itself is read when
     the answers are graded. */
  const known = new Set(["e", "pi", "σ", ...__FUNCTIONS__]);
  function offline(text, variables) {
    let depth = 0;
    for (const ch of text) { depth += ch === "(" ? 1 : ch === ")" ? -1 : 0; if (depth < 0) break; }
    if (depth !== 0) return {error: depth > 0 ? "a '(' is not closed" : "a ')' has no '('"};
    const names = (text.match(/[A-Za-z_][A-Za-z_0-9]*/g) || []);
    const bad = names.filter(n => !variables.includes(n) && !known.has(n.toLowerCase()));
    if (bad.length) return {error: "unknown name " + bad[0] + " (names: " + variables.join(", ") + ")"};
    return {note: "names and brackets look right; the formula is read when graded"};
  }
  function show(out, answer) {
    out.classList.toggle("bad", !!answer.error);
    if (answer.html) out.innerHTML = answer.html; else out.textContent = answer.error || answer.note || "";
  }
  examgen.widgets.expression = {
    get: el => { const v = el.querySelector("input").value.trim(); return v === "" ? null : v; },
    set: (el, value) => { el.querySelector("input").value = value == null ? "" : value; },
    init(el) {
      const input = el.querySelector("input"), out = el.querySelector("output"), vars = el.dataset.variables.split(",");
      let timer = null;
      const update = () => {
        const text = input.value.trim();
        if (!text) { show(out, {}); return; }
        if (examgen.previewExpression) examgen.previewExpression(text, vars).then(
          a => { if (input.value.trim() === text) show(out, a); }, () => show(out, offline(text, vars)));
        else show(out, offline(text, vars));
      };
      input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 250); });
      update();
    },
  };
})();
""".replace("__FUNCTIONS__", repr(list(FUNCTIONS)))


@kind
class Expression(Kind):
    name = "expression"
    widget_script = _SCRIPT

    def read(self, step, raw):
        from .formula import parse_expression  # only expression steps pay for the formula engine

        return parse_expression(raw, step.variables or [])

    def reference(self, step, value=None):
        return self.read(step, step.value if value is None else value)

    def matches(self, step, x, ref):
        from .formula import equivalent

        return equivalent(x, ref, step.variables or [])

    def latex(self, step):
        from .formula import latex

        return latex(step.value, step.variables or [])

    def hint(self, step):
        return ("a formula in " + ", ".join(step.variables or []) +
                " (write * for products, ^ for powers; functions exp, log, sqrt, sigma, tanh, relu)")

    def html_field(self, step, field_id, data):
        """A text field and, under it, a preview of what was understood (see the script)."""
        names = escape(",".join(step.variables or []))
        return (f'<span class="expression" {self.attrs(data)} data-variables="{names}">'
                f'<input id="{field_id}" type="text" autocomplete="off" spellcheck="false" '
                f'maxlength="{FIELD_MAX_CHARS}">'
                '<output class="preview" aria-live="polite"></output></span>')

    def marking(self, step):
        return self.hint(step)

    def answer_schema(self, step):
        return {"type": ["string", "null"], "description": self.hint(step)}

    def lms(self, step, value=None):
        return lms.Unsupported("a formula is right when it is the same function as the reference, which examgen "
                               "checks by evaluating it; an LMS can only compare the text",
                               str(step.value if value is None else value))
