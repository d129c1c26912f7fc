"""Hand-computable batches for the normalisation questions (batchnorm, normalization_axes)."""

import itertools
import math
from functools import lru_cache


@lru_cache(maxsize=None)
def _nice_deviations(n: int) -> tuple[tuple[int, ...], ...]:
    """Integer deviations d (sum 0, |d| <= 6, not all 0) whose standard deviation is a whole or
    half number, so the normalised values can be computed by hand."""
    found = []
    for d in itertools.combinations_with_replacement(range(-6, 7), n):
        if sum(d) == 0 and any(d):
            four_var = 4 * sum(x * x for x in d)
            if four_var % n == 0 and math.isqrt(four_var // n) ** 2 == four_var // n:
                found.append(d)
    return tuple(found)

