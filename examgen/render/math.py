"""LaTeX math -> MathML (HTML) and -> plain Unicode text (terminal), through :mod:`latex`.

MathML keeps the HTML self-contained and offline (no JavaScript, no CDN); browsers render
MathML Core natively, with the math font the page embeds.
"""

from __future__ import annotations

from functools import lru_cache

from . import latex


@lru_cache(maxsize=8192)
def mathml(source: str, display: bool = False) -> str:
    """MathML for a LaTeX formula (cached: exams repeat their formulas)."""
    return latex.mathml(source, display)


@lru_cache(maxsize=8192)
def text(source: str) -> str:
    """A readable Unicode rendering of a formula, for the terminal."""
    return latex.text(source)
