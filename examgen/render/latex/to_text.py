"""The formula tree as readable Unicode text (the terminal)."""

from __future__ import annotations

import re

from .parser import parse
from .tree import (Accent, Atom, Fenced, Frac, Node, Row, Script, Space, Sqrt, Styled, Table, _restyle)


_SUB = str.maketrans("0123456789+-−=()aeiorouxhklmnpstj", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑᵢₒᵣₒᵤₓₕₖₗₘₙₚₛₜⱼ")
_SUP = str.maketrans("0123456789+-−=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁱⁿ")


def _wrap(t: str) -> str:
    return t if re.fullmatch(r"[\w.∂′−-]+", t) else f"({t})"


def _tx(node: Node) -> str:
    if isinstance(node, Row):
        out, prev = "", None
        for n in node.items:
            t = _tx(n)
            if isinstance(n, Atom) and n.kind == "mo" and n.text not in "()[]|,;:!′'./":
                t = f" {t} "
            elif isinstance(n, Atom) and n.kind == "mo" and n.text in ",;:":
                t = f"{t} "
            elif isinstance(n, Atom) and n.kind == "fn" and out and not out.endswith(" "):
                t = f" {t}"
            if out and isinstance(prev, Script) and isinstance(prev.base, Atom) and prev.base.kind in ("fn", "big"):
                t = " " + t.lstrip()
            out += t
            prev = n
        return re.sub(r" {2,}", " ", out).strip()
    if isinstance(node, Atom):
        return node.text
    if isinstance(node, Frac):
        return f"{_wrap(_tx(node.num))}/{_wrap(_tx(node.den))}" if node.line else \
            f"C({_tx(node.num)}, {_tx(node.den)})"
    if isinstance(node, Sqrt):
        return f"√{_wrap(_tx(node.body))}"
    if isinstance(node, Script):
        out = _tx(node.base)
        for marker, part, table in (("_", node.sub, _SUB), ("^", node.sup, _SUP)):
            if part is None:
                continue
            t = _tx(part)
            if t == "′":
                out += "′"
            elif len(t) <= 3 and all(ord(ch) in table for ch in t):
                out += t.translate(table)
            else:
                out += f"{marker}{t}" if len(t) == 1 else f"{marker}{{{t}}}"
        return out
    if isinstance(node, Accent):
        mark = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303",
                "bar": "\u0304", "overline": "\u0305", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}
        return _tx(node.body) + mark.get(node.name, "")
    if isinstance(node, Styled):
        return _tx(_restyle(node.body, node.style)) if node.style in ("bb",) else _tx(node.body)
    if isinstance(node, Fenced):
        return f"{node.open}{_tx(node.body)}{node.close}"
    if isinstance(node, Table):
        rows = ["; ".join(", ".join(_tx(c) for c in r) for r in node.rows)]
        return "{ " + rows[0] + " }" if node.env == "cases" else "[" + rows[0] + "]"
    if isinstance(node, Space):
        return " " if node.em >= 0.25 else ""
    raise AssertionError(node)


def text(latex: str) -> str:
    """A readable Unicode rendering, for the terminal."""
    return _tx(parse(latex))
