"""Small helpers for drawing hand-computable numbers from a ``numpy.random.Generator``."""


from typing import Sequence, TypeVar

import numpy as np

T = TypeVar("T")


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One of ``options``, uniformly."""
    return options[int(rng.integers(len(options)))]


def decimal(rng: np.random.Generator, low: float, high: float, places: int = 1,
            nonzero: bool = False) -> float:
    """A number in [low, high] with ``places`` decimals (optionally never 0)."""
    scale = 10 ** places
    lo, hi = int(round(low * scale)), int(round(high * scale))
    while True:
        k = int(rng.integers(lo, hi + 1))
        if k or not nonzero:
            return k / scale


def decimals(rng: np.random.Generator, n: int, low: float, high: float, places: int = 1,
             nonzero: bool = False) -> list[float]:
    return [decimal(rng, low, high, places, nonzero) for _ in range(n)]


def matrix(rng: np.random.Generator, rows: int, cols: int, low: float, high: float,
           places: int = 1, nonzero: bool = False) -> list[list[float]]:
    return [decimals(rng, cols, low, high, places, nonzero) for _ in range(rows)]
