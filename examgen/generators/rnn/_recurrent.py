"""States and weights of the recurrent generators (rnn_forward, gru_step): vectors, or plain numbers
when the state is one-dimensional; their shapes and their LaTeX."""


import numpy as np

from ...fmt import matrix as mat, num, par

Vec = list[float]
Mat = list[list[float]]

def _vec(v) -> np.ndarray:
    """A step value (scalar for a 1-d state, else a vector) as a 1-d array."""
    if v.__class__ is np.ndarray and v.ndim == 1:
        return v
    return np.atleast_1d(np.asarray(v, dtype=float))


def _out(v: np.ndarray, dim: int):
    """What a step records: a plain number when the state is 1-dimensional."""
    return float(v[0]) if dim == 1 else v


def _show(v) -> str:
    """A vector or matrix (a column for a vector), or a plain number when it has one entry."""
    a = v if v.__class__ is np.ndarray else np.asarray(v, dtype=float)
    return num(float(a.flat[0])) if a.size == 1 else mat(a)


def _plus(v) -> str:
    """Like ``_show``, with a negative plain number in parentheses (a term of a sum)."""
    a = v if v.__class__ is np.ndarray else np.asarray(v, dtype=float)
    return par(a.flat[0]) if a.size == 1 else mat(a)


def _times(m, v) -> str:
    """LaTeX for the product M v, with a dot when either factor is a plain number."""
    a = m if m.__class__ is np.ndarray else np.asarray(m, dtype=float)
    x = v if v.__class__ is np.ndarray else np.asarray(v, dtype=float)
    if a.size == 1 or x.size == 1:
        return rf"{_plus(a)} \cdot {_plus(x)}"
    return rf"{mat(a)} {mat(x)}"


def _shape(value) -> tuple[int, ...]:
    """The shape of a list (of lists) of numbers; () for anything ragged."""
    if not value or not isinstance(value[0], list):
        return (len(value),)
    widths = {len(r) for r in value}
    return (len(value), widths.pop()) if len(widths) == 1 else ()


def _check_shapes(hidden: int, inputs: int, named: dict[str, tuple[list, tuple[int, ...]]]) -> None:
    for name, (value, shape) in named.items():
        if _shape(value) != shape:
            raise ValueError(f"{name} must have shape {shape} (hidden size {hidden}, input size {inputs})")
