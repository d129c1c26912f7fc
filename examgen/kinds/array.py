"""Vectors, matrices and n-d arrays of real numbers, of the step's shape (``Step.shape``), each
entry right within the step's tolerance and credited on its own."""

from __future__ import annotations

import numpy as np

from ..fmt import matrix, plain
from . import Kind, kind, parse
from .number import NEAR_MISS_FACTOR, precision, within

GRID_MAX = 8
"""Vectors and matrices up to this many rows and columns get a box per entry in the PDF."""


def describe_shape(shape) -> str:
    """'a vector of 3 numbers', 'a 2×3 matrix', 'an array of shape 2×2×3'."""
    return parse.describe_shape(shape)


def text(value) -> str:
    """An array as the student writes it: ``[1, 2; 3, 4]`` for a matrix, nested brackets otherwise."""
    if isinstance(value, list) and value and isinstance(value[0], list) and value[0] \
            and not isinstance(value[0][0], list):
        return "[" + "; ".join(", ".join(_entry(v) for v in r) for r in value) + "]"
    return _entry(value)


def _entry(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_entry(v) for v in value) + "]"
    return plain(float(value)) if isinstance(value, (int, float)) else str(value)


def tensor_latex(value) -> str:
    """An n-d array as its 2-d slices, each labelled by its leading indices (from 1)."""
    a = np.asarray(value, dtype=float)
    slices = []
    for index in np.ndindex(*a.shape[:-2]):
        label = ",".join(str(i + 1) for i in index)
        slices.append(rf"[{label}]: {matrix(a[index])}")
    return r",\ ".join(slices)


class _Array(Kind):
    numeric = True

    def read(self, step, raw):
        return parse.array(raw, step.shape or [])

    def reference(self, step, value=None):
        return np.asarray(step.value if value is None else value, dtype=float)

    def matches(self, step, x, ref):
        if np.shape(x) != np.shape(ref):
            return np.zeros(np.shape(x), dtype=bool)
        return within(x, ref, step.tolerance)

    def near(self, step, x, ref):
        if np.shape(x) != np.shape(ref):
            return np.zeros(np.shape(x), dtype=bool)
        return within(x, ref, step.tolerance, NEAR_MISS_FACTOR)

    def show(self, step, value):
        return text(value)

    def latex(self, step):
        return matrix(step.value)

    def hint(self, step):
        return describe_shape(step.shape or []) + precision(step.tolerance)

    def marking(self, step):
        text = self.hint(step)
        return text + (f"; accepted within {step.tolerance.describe()}" if step.tolerance is not None else "")

    def pdf_field(self, step, label):
        rows, cols = self.grid(step)
        if rows and cols and rows <= GRID_MAX and cols <= GRID_MAX:
            return f"#answer-grid([{label}], {rows}, {cols})"
        shape = step.shape or [1]
        height = 0.85 + 0.55 * (shape[0] - 1) if len(shape) > 1 else 0.85
        return f"#answer-line([{label}], {min(height, 6):.2f}cm)"

    def grid(self, step) -> tuple[int, int]:
        """Rows and columns of a box per entry (0, 0 where the array is not drawn as a grid)."""
        return 0, 0

    def answer_schema(self, step):
        depth = len(step.shape or [1])
        item: dict = {"type": ["number", "string"]}
        for _ in range(depth):
            item = {"type": "array", "items": item}
        return {"anyOf": [item, {"type": ["string", "null"]}],
                "description": f"{describe_shape(step.shape or [])}: a JSON list or text such as [1, 2; 3, 4]"}


@kind
class Vector(_Array):
    name = "vector"

    def grid(self, step):
        return 1, step.shape[0]


@kind
class Matrix(_Array):
    name = "matrix"

    def grid(self, step):
        return step.shape[0], step.shape[1]


@kind
class Tensor(_Array):
    name = "tensor"

    def latex(self, step):
        return tensor_latex(step.value)
