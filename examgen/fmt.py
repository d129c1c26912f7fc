"""Numbers, vectors and matrices as LaTeX, for stems and worked solutions."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np


_MEMO: dict[int, dict[float, str]] = {}
"""Texts already written, per number of digits (bounded): drawn givens and the steps computed from
them repeat the same few numbers, and a matrix looks its entries up here directly (writing the
entries of backprop's matrices was a fifth of its generation time before)."""
_MEMO_SIZE = 50_000


def num(x: float, digits: int = 4) -> str:
    """A number as a human would write it: ``3``, ``-0.25``, ``0.0316``, ``1 \\times 10^{-8}``."""
    x = float(x)
    memo = _MEMO.get(digits)
    if memo is None:
        memo = _MEMO[digits] = {}
    text = memo.get(x)
    if text is None:
        text = _num(x, digits)
        if len(memo) < _MEMO_SIZE:
            memo[x] = text
    return text


def _num(x: float, digits: int) -> str:
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    if not math.isfinite(x):
        return r"\infty" if x > 0 else (r"-\infty" if x < 0 else r"\mathrm{NaN}")
    if 10.0 ** (1 - digits) <= abs(x) < 1e6:
        text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return sig(x, digits)


def sig(x: float, figures: int) -> str:
    """``x`` to ``figures`` significant figures, in scientific notation when very large or small."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return num(x)
    if 1e-3 <= abs(x) < 1e6:
        decimals = max(figures - 1 - math.floor(math.log10(abs(x))), 0)
        text = f"{x:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exp = f"{x:.{max(figures - 1, 1)}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10^{{{int(exp)}}}"
    return power if mantissa == "1" else (f"-{power}" if mantissa == "-1" else rf"{mantissa} \times {power}")


def par(x: float, digits: int = 4) -> str:
    """``num`` in parentheses when negative, for use inside a product or sum."""
    s = num(x, digits)
    return f"({s})" if s.startswith("-") else s


def row(values: Iterable[float], digits: int = 4) -> str:
    """``(1, -0.5, 2)``: a vector written inline."""
    return "(" + ", ".join(num(v, digits) for v in values) + ")"


def matrix(m: Sequence[Sequence[float]] | np.ndarray, digits: int = 4) -> str:
    """A bracketed matrix; a 1-d array is written as a column vector."""
    rows = m.tolist() if isinstance(m, np.ndarray) else m
    if rows and not isinstance(rows[0], (list, tuple)):
        rows = [[v] for v in rows]
    memo = _MEMO.get(digits, {})
    body = r" \\ ".join([" & ".join([memo.get(v) or num(v, digits) for v in r]) for r in rows])
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def plain(x: float, digits: int = 4) -> str:
    """A number for plain text (no LaTeX), e.g. in terminal output."""
    s = num(x, digits)
    return s.replace(r" \times 10^{", "e").replace("10^{", "1e").replace("}", "")
