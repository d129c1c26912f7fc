"""Vectors, matrices and n-d arrays of real numbers, of the step's shape (``Step.shape``), each
entry right within the step's tolerance and credited on its own."""

from __future__ import annotations

import numpy as np

from ..fmt import matrix, plain
from . import FIELD_MAX_CHARS, Kind, kind, lms, parse
from .number import NEAR_MISS_FACTOR, number_form, precision, within

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


_GRID_SCRIPT = r"""
(function () {
  const W = examgen.widgets;
  /* Text pasted into a cell fills the grid from that cell when it holds several entries:
     a JSON list, "[1, 2; 3, 4]" (rows split at ';'), "1,2,3", or rows and columns copied from
     a spreadsheet. A single number (also "0,25") pastes as usual. */
  function entries(text) {
    const t = text.trim();  /* one comma is a decimal comma (0,25); two or more separate entries */
    if (!/[\[;\n\t]|,\s|\s,|,.*,/.test(t) && !/\S\s+\S/.test(t)) return null;
    try {
      const v = JSON.parse(text);
      if (Array.isArray(v)) return v.flat(Infinity).map(String);
    } catch (e) { /* not JSON: the [1, 2; 3, 4] form */ }
    return text.replace(/[\[\]]/g, " ").split(/[;,\s]+/).filter(Boolean);
  }
  function reshape(flat, shape) {
    if (shape.length <= 1) return flat;
    const size = flat.length / shape[0], out = [];
    for (let i = 0; i < shape[0]; i++) out.push(reshape(flat.slice(i * size, (i + 1) * size), shape.slice(1)));
    return out;
  }
  const grid = {
    get(el) {
      const v = [...el.querySelectorAll("input")].map(c => c.value.trim());
      return v.every(x => x === "") ? null : reshape(v, JSON.parse(el.dataset.shape));
    },
    set(el, value) {
      const flat = value == null ? [] : [value].flat(Infinity);
      el.querySelectorAll("input").forEach((c, i) => { c.value = flat[i] == null ? "" : String(flat[i]); });
    },
    init(el) {
      const cells = [...el.querySelectorAll("input")];
      cells.forEach((cell, start) => cell.addEventListener("paste", ev => {
        const list = entries((ev.clipboardData || window.clipboardData).getData("text"));
        if (!list || list.length < 2) return;
        ev.preventDefault();
        list.slice(0, cells.length - start).forEach((v, i) => { cells[start + i].value = v; });
        cell.dispatchEvent(new Event("input", {bubbles: true}));
      }));
    },
  };
  W.vector = W.matrix = W.tensor = grid;
})();
"""


def _cell(field_id: str, index: int, name: str) -> str:
    first = f' id="{field_id}"' if index == 0 else ""
    return (f'<input{first} type="text" inputmode="decimal" autocomplete="off" spellcheck="false" '
            f'maxlength="{FIELD_MAX_CHARS}" aria-label="{name}">')


class _Array(Kind):
    numeric = True
    widget_script = _GRID_SCRIPT

    def html_field(self, step, field_id, data):
        """A box per entry, laid out in the step's shape (an n-d array as its 2-d slices, each
        labelled by its leading indices); the cells are read back in row-major order."""
        shape = list(step.shape or [1])
        rows, cols = (shape[-2], shape[-1]) if len(shape) >= 2 else (1, shape[0])
        slices, index = [], 0
        for lead in np.ndindex(*shape[:-2]):
            cells = []
            for r in range(rows):
                for c in range(cols):
                    where = [*(i + 1 for i in lead), *((r + 1,) if len(shape) >= 2 else ()), c + 1]
                    cells.append(_cell(field_id, index, f"entry {','.join(map(str, where))}"))
                    index += 1
            label = f'<span class="slice-label">[{",".join(str(i + 1) for i in lead)}, :, :]</span>' if lead else ""
            slices.append(f'<span class="slice">{label}<span class="cells" style="--cols: {cols}">'
                          + "".join(cells) + "</span></span>")
        return (f'<span class="grid" {self.attrs(data)} data-shape="{shape}" role="group">'
                + "".join(slices) + "</span>")

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

    def lms(self, step, value=None):
        """One number per entry (row-major), each with its own margin, credited on its own."""
        a = np.asarray(step.value if value is None else value, dtype=float)
        return lms.Entries(
            entries=tuple(number_form(float(v), step.tolerance) for v in a.reshape(-1)),
            labels=tuple("(" + ", ".join(str(i + 1) for i in index) + ")" for index in np.ndindex(*a.shape)),
            shape=tuple(a.shape))

    def lms_answer(self, step, responses):
        """The entries as a nested list of the step's shape ('' for an entry left blank)."""
        if not any(r not in (None, "") for r in responses):
            return None
        flat = ["" if r is None else r for r in responses]
        return np.array(flat, dtype=object).reshape(step.shape or [len(flat)]).tolist()


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
