"""A real number, right within the step's tolerance (``Step.tolerance``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..fmt import num, plain, sig
from . import Kind, kind, lms, parse, text_input

NEAR_MISS_FACTOR = 10.0
"""An answer within this many tolerances of the reference is a near miss (e.g. rounded too coarsely)."""
FUZZ = 1 + 1e-9
"""Widens every bound a little, so that a value exactly one unit in the last place away (the
tolerance's edge) is accepted despite floating-point rounding."""


def bound(tolerance, ref: Any, factor: float = 1.0):
    """``factor * max(abs, rel * |ref|)``: how far from ``ref`` an answer may be."""
    tol_abs, tol_rel = (tolerance.abs, tolerance.rel) if tolerance is not None else (0.0, 0.0)
    return factor * np.maximum(tol_abs, tol_rel * np.abs(ref)) * FUZZ


def within(x: Any, ref: Any, tolerance, factor: float = 1.0) -> np.ndarray:
    """Elementwise ``|x - ref| <= bound`` for arrays of the same shape."""
    ref = np.asarray(ref, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(x, dtype=float) - ref) <= bound(tolerance, ref, factor)


def precision(tolerance) -> str:
    """', 3 decimals' or ', 2 significant figures' (what the question asks for), or ''."""
    if tolerance is None:
        return ""
    if tolerance.sigfigs is not None:
        return f", {tolerance.sigfigs} significant figures"
    return f", {tolerance.decimals} decimals" if tolerance.decimals is not None else ""


def number_form(value: float, tolerance) -> lms.Number:
    """The LMS form of a real number: right within ``max(abs, rel * |value|)`` of ``value`` (the
    relative tolerance named when it is the larger), a near miss within NEAR_MISS_FACTOR times that."""
    tol_abs, tol_rel = (tolerance.abs, tolerance.rel) if tolerance is not None else (0.0, 0.0)
    margin = max(tol_abs, tol_rel * abs(value))
    relative = tol_rel if tol_rel > 0 and tol_rel * abs(value) >= tol_abs else None
    return lms.Number(value=value, margin=margin, relative=relative, near=NEAR_MISS_FACTOR * margin)


def number_latex(value: float, tolerance) -> str:
    """A reference number as LaTeX: one significant figure more than asked, or as ``fmt.num`` writes it."""
    if tolerance is not None and tolerance.sigfigs is not None:
        return sig(value, tolerance.sigfigs + 1)
    return num(value)


@kind
class Number(Kind):
    name = "scalar"
    numeric = True

    def read(self, step, raw):
        return parse.number(raw)

    def reference(self, step, value=None):
        return float(step.value if value is None else value)

    def matches(self, step, x, ref):
        tol = step.tolerance
        limit = max(tol.abs, tol.rel * abs(ref)) if tol is not None else 0.0
        return abs(x - ref) <= limit * FUZZ  # plain floats: grading's hot path, without NumPy

    def near(self, step, x, ref):
        return bool(within(x, ref, step.tolerance, NEAR_MISS_FACTOR))

    def show(self, step, value):
        return plain(float(value)) if isinstance(value, (int, float)) else str(value)

    def latex(self, step):
        return number_latex(step.value, step.tolerance)

    def hint(self, step):
        return "a number" + precision(step.tolerance)

    def marking(self, step):
        text = self.hint(step)
        return text + (f"; accepted within {step.tolerance.describe()}" if step.tolerance is not None else "")

    def html_field(self, step, field_id, data):
        return text_input(self, field_id, data, ' inputmode="decimal"')

    def answer_schema(self, step):
        return {"type": ["number", "string", "null"], "description": "a number: 0.25, 1/4, 2.5e-1, 0,25, 25%"}

    def lms(self, step, value=None):
        return number_form(float(step.value if value is None else value), step.tolerance)
