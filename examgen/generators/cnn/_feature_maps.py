"""Feature maps for the value-level questions (conv2d_values, pooling_values): checks, windows."""

import numpy as np

from .._maths import output_size


def _check_map(rows: list[list[float]], name: str, lo: int = 2, hi: int = 8) -> tuple[int, int]:
    """A rectangular matrix of finite numbers in [-1000, 1000]; returns its shape."""
    h, w = len(rows), len(rows[0]) if rows else 0
    if not (lo <= h <= hi and lo <= w <= hi) or any(len(r) != w for r in rows):
        raise ValueError(f"{name} must be a rectangular matrix with {lo} to {hi} rows and columns")
    if not all(abs(v) <= 1000 for r in rows for v in r):
        raise ValueError(f"the entries of {name} must be finite numbers in [-1000, 1000]")
    return h, w


def _dims(h: int, w: int) -> list[tuple[str, int, str]]:
    """Step prefixes: one size ('n') for a square map, height and width otherwise."""
    if h == w:
        return [("n", h, "side")]
    return [("h", h, "height"), ("w", w, "width")]


def _patches(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """The k×k windows of ``x`` at the given stride (floor convention), as an array of shape
    (k*k, rows, cols): entry [u*k + v, i, j] is x[i*stride + u, j*stride + v]."""
    rows, cols = output_size(x.shape[0], k, stride), output_size(x.shape[1], k, stride)
    return np.array([x[u:u + stride * (rows - 1) + 1:stride, v:v + stride * (cols - 1) + 1:stride]
                     for u in range(k) for v in range(k)])


def _whole(values) -> bool:
    return all(float(v).is_integer() for v in values)
