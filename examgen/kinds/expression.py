"""A formula in the step's variables (``Step.variables``), right when it is the same function as the
reference (compared by evaluation at fixed points; see :mod:`.formula`)."""

from __future__ import annotations

from . import Kind, kind, lms


@kind
class Expression(Kind):
    name = "expression"

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

    def marking(self, step):
        return self.hint(step)

    def answer_schema(self, step):
        return {"type": ["string", "null"], "description": self.hint(step)}

    def lms(self, step, value=None):
        return lms.Unsupported("a formula is right when it is the same function as the reference, which examgen "
                               "checks by evaluating it; an LMS can only compare the text",
                               str(step.value if value is None else value))
