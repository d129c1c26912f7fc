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
