"""How a step reads in a worked solution: formula, numbers put in, value; and its answer hint."""

from __future__ import annotations

import numpy as np

from ..fmt import matrix, num, sig
from ..grading.parse import LETTERS, describe_shape
from ..model import CONCEPT_KINDS, Step


def value_latex(st: Step) -> str:
    """A step's reference value as LaTeX."""
    if st.kind in ("vector", "matrix"):
        return matrix(st.value)
    if st.kind == "tensor":
        return tensor_latex(st.value)
    if st.kind == "scalar":
        if st.tolerance is not None and st.tolerance.sigfigs is not None:
            return sig(st.value, st.tolerance.sigfigs + 1)  # one figure more than asked
        return num(st.value)
    if st.kind == "expression":
        from ..grading.expr import latex
        return latex(st.value, st.variables or [])
    return rf"\text{{{st.value}}}" if st.kind == "choice" else str(st.value)


def tensor_latex(value) -> str:
    """An n-d array as its 2-d slices, each labelled by its leading indices (from 1)."""
    a = np.asarray(value, dtype=float)
    slices = []
    for index in np.ndindex(*a.shape[:-2]):
        label = ",".join(str(i + 1) for i in index)
        slices.append(rf"[{label}]: {matrix(a[index])}")
    return r",\ ".join(slices)


def worked_latex(st: Step) -> str:
    """``formula = numbers = value``, leaving out the parts a step does not have."""
    pieces = [p for p in (st.formula, st.work) if p]
    return " = ".join(pieces + [value_latex(st)])


def answer_markup(st: Step) -> str | None:
    """The answer of a question-bank step as stem markup (its options may hold $math$), with the
    explanation; None for other steps, which are shown as formulas."""
    if st.kind not in CONCEPT_KINDS:
        return None
    options = st.options or []
    fb = st.feedback or {}
    if st.kind == "single":
        body = f"Answer {LETTERS[options.index(st.value)]}: {st.value}"
    elif st.kind == "multi":
        body = "Answer " + ", ".join(LETTERS[options.index(o)] for o in st.value) + ":\n\n" + \
            "\n".join(f"- {LETTERS[options.index(o)]}. {o}" for o in st.value)
    elif st.kind == "ordering":
        body = "Answer " + ", ".join(LETTERS[options.index(o)] for o in st.value) + ":\n\n" + \
            "\n".join(f"- {o}" for o in st.value)
    else:
        body = "Answer " + " ".join("T" if v == "true" else "F" for v in st.value) + ":\n\n" + "\n".join(
            f"- {i + 1}. {'True' if v == 'true' else 'False'}: {fb.get(text, '')}"
            for i, (text, v) in enumerate(zip(options, st.value)))
    return body + (f"\n\n{st.explanation}" if st.explanation else "")


def hint(st: Step) -> str:
    """What form the answer takes, shown under its field."""
    last = LETTERS[len(st.options or []) - 1] if st.options else "A"
    if st.kind == "single":
        return f"one letter, A-{last}"
    if st.kind == "multi":
        return f"every letter that applies, e.g. A, C (options A-{last})"
    if st.kind == "ordering":
        return f"all letters A-{last} in order, e.g. C, A, B"
    if st.kind == "truefalse":
        return f"T or F for each of the {len(st.options or [])} statements, in order, e.g. T F F T"
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


def marking(st: Step) -> str:
    """The answer form and, for numbers, the tolerance the grader uses (shown in solutions)."""
    text = hint(st)
    if st.tolerance is not None:
        text += f"; accepted within {st.tolerance.describe()}"
    elif st.kind in ("integer", "choice", "single", "ordering"):
        text += "; must be exact"
    return text
