"""Small helpers for drawing hand-computable numbers from a ``numpy.random.Generator``.

``pick`` / ``decimal`` draw with ``rng.integers``; the ``quick_*`` helpers with ``rng.random``,
which is several times faster per call. They give different numbers from the same seed, so a
generator keeps the family it was written with (changing it changes every question it makes).
"""


import math
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


def quick_pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One of ``options``, uniformly (like ``pick``, from one ``rng.random()``)."""
    return options[int(rng.random() * len(options))]


def quick_int(rng: np.random.Generator, low: int, high: int) -> int:
    """A whole number in [low, high], from one ``rng.random()``."""
    return low + int(rng.random() * (high - low + 1))


def quick_decimals(rng: np.random.Generator, shape, low: float, high: float, places: int = 1,
                   nonzero: bool = False):
    """An array of numbers in [low, high] with ``places`` decimals, drawn in one call (one plain
    number when ``shape`` is None)."""
    scale = 10 ** places
    lo, hi = int(round(low * scale)), int(round(high * scale))
    skip = nonzero and lo <= 0 <= hi
    # uniform over lo..hi (without 0 when skipped)
    if shape is None:
        k = math.floor(rng.random() * (hi - lo + 1 - skip)) + lo
        return (k + (skip and k >= 0)) / scale
    k = np.floor(rng.random(shape) * (hi - lo + 1 - skip)) + lo
    if skip:
        k[k >= 0] += 1
    return k / scale


def quick_decimal(rng: np.random.Generator, low: float, high: float, places: int = 1,
                  nonzero: bool = False) -> float:
    """One number in [low, high] with ``places`` decimals (like ``decimal``, from one ``rng.random()``)."""
    return float(quick_decimals(rng, None, low, high, places, nonzero))


def subset(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """k distinct indices from range(n), in random order (cheaper than rng.choice without replacement)."""
    return rng.random(n).argsort()[:k]


class Draws:
    """Many small random choices from batches of ``rng.random``: drawing a question is rejection
    sampling of a tiny problem, where one NumPy call per number would dominate the time
    (generation must stay well under 0.5 ms)."""

    def __init__(self, rng: np.random.Generator, batch: int = 64):
        self.rng, self.batch, self.buf = rng, batch, []

    def u(self) -> float:
        if not self.buf:
            self.buf = self.rng.random(self.batch).tolist()
        return self.buf.pop()

    def int(self, lo: int, hi: int) -> int:
        """A whole number in lo..hi - 1."""
        return lo + int(self.u() * (hi - lo))

    def ints(self, lo: int, hi: int, n: int) -> list[int]:
        """``n`` whole numbers in lo..hi - 1 from one uniform number (its digits in base hi - lo)."""
        base = hi - lo
        k = int(self.u() * base ** n)
        out = []
        for _ in range(n):
            k, d = divmod(k, base)
            out.append(lo + d)
        return out

    def pick(self, options):
        return options[int(self.u() * len(options))]

    def dec(self, lo: float, hi: float, places: int = 1, nonzero: bool = False) -> float:
        """A number in [lo, hi] with ``places`` decimals."""
        scale = 10 ** places
        a, b = round(lo * scale), round(hi * scale)
        while True:
            k = a + int(self.u() * (b - a + 1))
            if k or not nonzero:
                return k / scale

    def shuffle(self, items: list) -> list:
        for i in range(len(items) - 1, 0, -1):
            j = int(self.u() * (i + 1))
            items[i], items[j] = items[j], items[i]
        return items

    def sample(self, options, k: int) -> list:
        """``k`` distinct options."""
        return self.shuffle(list(options))[:k]

    def between(self, lo: int, hi: int) -> int:
        """A whole number in lo..hi, both included."""
        return lo + int(self.u() * (hi - lo + 1))

    def below(self, k: int) -> int:
        """A whole number in 0..k - 1."""
        return int(self.u() * k)

    def nonzero(self, k: int) -> int:
        """A whole number in -k..k other than 0."""
        v = int(self.u() * 2 * k) - k
        return v + 1 if v >= 0 else v

    def chance(self, p: float) -> bool:
        return self.u() < p
