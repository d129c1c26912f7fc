"""Numbers in LaTeX (scientific notation, digit groups) and a drawing pool, shared by the
lecture's generators."""

import math

import numpy as np

from ...fmt import num


def sci(x: float, digits: int = 3) -> str:
    """A number in LaTeX to ``digits`` significant figures, in scientific notation when it is
    very large or very small."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return num(x)
    if 1e-3 <= abs(x) < 1e5:
        text = f"{x:.{digits}g}"
        if "e" not in text:
            return text
    mantissa, exp = f"{x:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return rf"{mantissa} \times 10^{{{int(exp)}}}"


def big(n) -> str:
    """A whole number in LaTeX with thin spaces between groups of three digits."""
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        return f"{int(n):,}".replace(",", r"\,")
    return sci(n)


_NONZERO_TENTHS = tuple(k / 10 for k in range(-10, 11) if k)  # -1.0 .. 1.0 without 0
