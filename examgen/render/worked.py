"""How a step reads in a worked solution: formula, numbers put in, value; and its answer hint."""

from __future__ import annotations

import json

from ..fmt import matrix, num
from ..grading.parse import describe_shape
from ..model import Step


def value_latex(st: Step) -> str:
    """A step's reference value as LaTeX."""
    if st.kind in ("vector", "matrix"):
        return matrix(st.value)
    if st.kind == "tensor":
        return r"\text{" + json.dumps(st.value) + "}"
    if st.kind == "scalar":
        return num(st.value)
    if st.kind == "expression":
        from ..grading.expr import latex
        return latex(st.value, st.variables or [])
    return rf"\text{{{st.value}}}" if st.kind == "choice" else str(st.value)


def worked_latex(st: Step) -> str:
    """``formula = numbers = value``, leaving out the parts a step does not have."""
    pieces = [p for p in (st.formula, st.work) if p]
    return " = ".join(pieces + [value_latex(st)])


def hint(st: Step) -> str:
    """What form the answer takes, shown under its field."""
    if st.kind == "integer":
        return "a whole number"
    if st.kind == "choice":
        return "one of: " + ", ".join(st.options or [])
    if st.kind == "expression":
        return ("a formula in " + ", ".join(st.variables or []) +
                " (write * for products, ^ for powers; functions exp, log, sqrt, sigma, tanh, relu)")
    what = describe_shape(st.shape) if st.shape else "a number"
    tol = st.tolerance
    if tol is None:
        return what
    if tol.sigfigs is not None:
        return f"{what}, {tol.sigfigs} significant figures"
    return f"{what}, {tol.decimals} decimals" if tol.decimals is not None else what
