"""How a step reads in a worked solution: formula, the numbers put in, and the value, each line
continuing the last with '=' (the HTML, PDF and terminal writers all show these lines)."""

from __future__ import annotations

from .. import kinds
from ..model import Step


def worked_lines(st: Step) -> list[str]:
    """The step's LaTeX lines: its formula, its work (the numbers put in), its value; those it has."""
    return [p for p in (st.formula, st.work) if p] + [kinds.of(st).latex(st)]


def notes(st: Step) -> list[str]:
    """Markup shown under the worked lines: the step's explanation, and its equally right answers."""
    out = [st.explanation] if st.explanation else []
    if st.alternatives:
        k = kinds.of(st)
        out.append("Equally right (a tie): " + ", ".join(k.show(st, a) for a in st.alternatives) + ".")
    return out


def worked_latex(st: Step) -> str:
    """``formula = numbers = value`` on one line."""
    return " = ".join(worked_lines(st))
