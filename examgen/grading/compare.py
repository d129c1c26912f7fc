"""Does a value match another? Tolerances are data on each step (see ``model.Tolerance``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import Step, Tolerance
from . import parse

NEAR_MISS_FACTOR = 10.0
"""An answer within this many tolerances of the reference is a near miss (e.g. rounded too coarsely)."""


def _within(x: Any, ref: Any, tol: Tolerance, factor: float = 1.0) -> np.ndarray:
    ref = np.asarray(ref, dtype=float)
    x = np.asarray(x, dtype=float)
    bound = factor * np.maximum(tol.abs, tol.rel * np.abs(ref)) * (1 + 1e-9)  # fuzz for float rounding
    with np.errstate(invalid="ignore"):
        return np.abs(x - ref) <= bound


def matches(step: Step, x: Any, ref: Any) -> np.ndarray | bool:
    """Elementwise match of answer ``x`` against value ``ref`` (a plain bool for non-arrays)."""
    if ref is None:
        return np.zeros(np.shape(x), dtype=bool)
    if step.kind == "scalar" and isinstance(ref, float):  # the common case, without numpy
        tol = step.tolerance or Tolerance()
        return abs(x - ref) <= max(tol.abs, tol.rel * abs(ref)) * (1 + 1e-9)
    if step.kind in ("vector", "matrix", "tensor"):
        if np.shape(x) != np.shape(ref):
            return np.zeros(np.shape(x), dtype=bool)
        return _within(x, ref, step.tolerance or Tolerance())
    if step.kind == "truefalse":
        return np.array([a == b for a, b in zip(x, ref)]) if len(x) == len(ref) else np.zeros(len(x), bool)
    if step.kind == "expression":
        from .expr import equivalent  # only expression steps pay for the expression engine
        return equivalent(x, ref, step.variables or [])
    return x == ref


def partial_credit(step: Step, x: Any, ref: Any) -> float | None:
    """Credit for a partly right answer of a kind that is not credited entry by entry."""
    if step.kind == "multi":
        right, wrong = len(set(x) & set(ref)), len(set(x) - set(ref))
        return max(0.0, (right - wrong) / len(ref)) if ref else 0.0
    if step.kind == "ordering":
        position = {o: i for i, o in enumerate(x)}
        pairs = [(a, b) for i, a in enumerate(ref) for b in ref[i + 1:]]
        return sum(position[a] < position[b] for a, b in pairs) / len(pairs) if pairs else 0.0
    return None


def reasons(step: Step, x: Any, ref: Any) -> list[str]:
    """Why the chosen options or judged statements are wrong (question-bank steps)."""
    fb = step.feedback or {}
    if step.kind == "single" and x != ref:
        return [f"{x}: {fb[x]}"] if x in fb else []
    if step.kind == "multi":
        out = [f"ticked '{o}': {fb.get(o, 'not correct')}" for o in x if o not in ref]
        return out + [f"missed '{o}'" + (f": {fb[o]}" if o in fb else "") for o in ref if o not in x]
    if step.kind == "truefalse":
        statements = step.options or []
        return [f"statement {i + 1} is {r}: {fb.get(statements[i], '')}".rstrip(": ")
                for i, (a, r) in enumerate(zip(x, ref)) if a != r]
    return []


def show_answer(step: Step, value: Any) -> str | None:
    """A question-bank answer as the student writes it (letters, T/F); None for other kinds."""
    options = step.options or []
    if step.kind == "single":
        return f"{parse.LETTERS[options.index(value)]} ({value})" if value in options else str(value)
    if step.kind in ("multi", "ordering"):
        return ", ".join(parse.LETTERS[options.index(v)] for v in value if v in options)
    if step.kind == "truefalse":
        return " ".join("T" if v == "true" else "F" for v in value)
    return None


def near(step: Step, x: Any, ref: Any) -> np.ndarray:
    """Elementwise: close to ``ref`` but outside the tolerance (numeric steps only)."""
    if step.kind not in ("scalar", "vector", "matrix", "tensor") or np.shape(x) != np.shape(ref):
        return np.zeros(np.shape(x), dtype=bool)
    return _within(x, ref, step.tolerance or Tolerance(), NEAR_MISS_FACTOR)


def read(step: Step, raw: Any) -> Any:
    """Parse a student's answer for ``step``; raises ``parse.FormatError``."""
    if step.kind == "scalar":
        return parse.number(raw)
    if step.kind == "integer":
        return parse.integer(raw)
    if step.kind in ("vector", "matrix", "tensor"):
        return parse.array(raw, step.shape or [])
    if step.kind == "choice":
        return parse.choice(raw, step.options or [])
    if step.kind == "single":
        return parse.single(raw, step.options or [])
    if step.kind == "multi":
        return parse.multi(raw, step.options or [])
    if step.kind == "ordering":
        return parse.ordering(raw, step.options or [])
    if step.kind == "truefalse":
        return parse.truefalse(raw, len(step.options or []))
    if step.kind == "expression":
        from .expr import parse_expression
        return parse_expression(raw, step.variables or [])
    raise AssertionError(step.kind)


def reference(step: Step, value: Any = None) -> Any:
    """A step's reference value (or another stored value of it) in the solvers' in-memory form."""
    value = step.value if value is None else value
    if step.kind in ("vector", "matrix", "tensor"):
        return np.asarray(value, dtype=float)
    if step.kind in ("multi", "ordering", "truefalse"):
        return tuple(value)
    if step.kind == "expression":
        from .expr import parse_expression
        return parse_expression(value, step.variables or [])
    return value
