"""A small LaTeX math parser with three writers: MathML (HTML), Typst math (PDF), Unicode text;
and an evaluator of worked numbers (:mod:`.to_value`), which checks that a worked line adds up.

Why our own: examgen writes its formulas itself, in a known subset of LaTeX, and renders them
thousands of times per class. One parser for the three outputs keeps them consistent, makes a
formula cost tens of microseconds instead of milliseconds (the converters we tried took about
1 ms each, half of ``examgen make``'s time), and fails loudly (:class:`LatexError`) on anything
outside the subset, which the rendering tests turn into a failing test instead of raw LaTeX in
a student's exam.

The subset: letters, numbers, operators; ``^`` and ``_``; ``\\frac \\tfrac \\dfrac \\sqrt \\binom``;
Greek letters and the usual symbols, relations, arrows and big operators; function names
(``\\log \\exp \\max ...``, ``\\operatorname{...}``); ``\\text \\mathrm \\mathbf \\boldsymbol \\mathbb
\\mathcal``; accents ``\\hat \\tilde \\bar \\overline \\vec \\dot``; ``\\left ... \\right``; spacing;
the environments ``bmatrix pmatrix vmatrix matrix cases aligned``.
"""

from .parser import LatexError, parse
from .to_mathml import mathml
from .to_text import text
from .to_typst import typst
from .to_value import NotComputable, sides, value

__all__ = ["LatexError", "NotComputable", "parse", "mathml", "typst", "text", "sides", "value"]
