"""Small vector helpers on plain lists (saliency, class_activation_map, fgsm): 1-based class
numbers, argmax and margins, dot products."""

import numpy as np

from ...steps import Degenerate


def _index(v: int, n: int) -> int:
    """A 1-based class/input number (maybe a student's) as a 0-based index; Degenerate if out of range."""
    v = int(v)
    if not 1 <= v <= n:
        raise Degenerate(f"number {v} is not in 1..{n}")
    return v - 1


def _argmax1(v) -> int:
    """1-based index of the largest entry."""
    return int(np.argmax(np.asarray(v, dtype=float))) + 1


def _dot(a, b) -> float:
    return sum(u * v for u, v in zip(a, b))


def _matvec(m, v) -> list[float]:
    return [sum(u * w for u, w in zip(r, v)) for r in m]


def _margin(v) -> float:
    """The largest entry minus the second largest."""
    s = sorted(v)
    return s[-1] - s[-2]


def _unique_max(v, margin: float) -> bool:
    return _margin(v) >= margin - 1e-9


def _first_max(v) -> int:
    return max(range(len(v)), key=v.__getitem__)
