"""The formula tree as Typst math (PDFs)."""

from __future__ import annotations

from .parser import parse
from .tree import (Accent, Atom, ENVIRONMENTS, Fenced, Frac, Node, Row, Script, Space, Sqrt, Styled,
                    TYPST_ACCENT, Table)


_TYPST_ESCAPE = {"/": "\\/", "#": "\\#", "$": "\\$", "\\": "\\\\", "_": "\\_", "^": "\\^", "&": "\\&",
                 '"': '\\"', "@": "\\@", "<": "<", ">": ">", "{": "\\{", "}": "\\}", "[": "\\[", "]": "\\]",
                 "*": "∗", "'": "′", "~": "∼", "`": "\\`"}
_TYPST_FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "dim", "ker",
                    "deg", "gcd", "Pr", "max", "min", "lim", "sup", "inf", "arg", "limsup", "liminf"}


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ty(node: Node, in_args: bool) -> str:
    """Typst math for a node; ``in_args``: inside a function's arguments, where ',' and ';' separate."""
    if isinstance(node, Row):
        return " ".join(t for t in (_ty(n, in_args) for n in node.items) if t) if node.items else '""'
    if isinstance(node, Atom):
        if node.kind == "mi":
            return {"∞": "infinity", "∂": "partial", "∇": "nabla"}.get(node.text, node.text)
        if node.kind == "mn":
            return node.text.replace("−", "-")
        if node.kind == "text":
            return _typst_string(node.text)
        if node.kind == "fn":
            if node.text in _TYPST_FUNCTIONS:
                return node.text
            limits = ", limits: #true" if node.limits else ""
            return f"op({_typst_string(node.text)}{limits})"
        if node.kind == "big":
            return node.text
        text = node.text
        if text == "," and in_args:
            return "comma"
        if text == ";" and in_args:
            return "semi"
        if text == "−":
            return "-"
        if text in "()[]" :
            return "\\" + text  # never a grouping or a function call: literal brackets
        return _TYPST_ESCAPE.get(text, text)
    if isinstance(node, Frac):
        if not node.line:
            return f"binom({_ty(node.num, True)}, {_ty(node.den, True)})"
        return f"frac({_ty(node.num, True)}, {_ty(node.den, True)})"
    if isinstance(node, Sqrt):
        if node.index is not None:
            return f"root({_ty(node.index, True)}, {_ty(node.body, True)})"
        return f"sqrt({_ty(node.body, True)})"
    if isinstance(node, Script):
        base = _ty(node.base, in_args) if not (isinstance(node.base, Row) and not node.base.items) else '""'
        out = f"lr({_ty(node.base, True)})" if isinstance(node.base, Row) and len(node.base.items) > 1 else base
        if node.sub is not None:
            out += f"_({_ty(node.sub, True)})"
        if node.sup is not None:
            out += f"^({_ty(node.sup, True)})"
        return out
    if isinstance(node, Accent):
        return f"{TYPST_ACCENT[node.name]}({_ty(node.body, True)})"
    if isinstance(node, Styled):
        if node.style == "upright":
            return f"upright({_ty(node.body, True)})"
        name = {"bold": "bold", "bb": "bb", "cal": "cal", "italic": "italic", "sans": "sans"}[node.style]
        return f"{name}({_ty(node.body, True)})"
    if isinstance(node, Fenced):
        left = _typst_delimiter(node.open, "(")
        right = _typst_delimiter(node.close, ")")
        return f"lr({left} {_ty(node.body, True)} {right})"
    if isinstance(node, Table):
        if node.env == "cases":
            return "cases(" + ", ".join(" & ".join(_ty(c, True) for c in r) for r in node.rows) + ")"
        if node.env == "aligned":
            return " \\ ".join(" & ".join(_ty(c, in_args) for c in r) for r in node.rows)
        open_, _ = ENVIRONMENTS[node.env]
        delim = {"[": '"["', "(": '"("', "|": '"|"', "{": '"{"', "": "#none"}[open_]
        rows = "; ".join(", ".join(_ty(c, True) for c in r) for r in node.rows)
        return f"mat(delim: {delim}, {rows})"
    if isinstance(node, Space):
        em = node.em
        return "" if em == 0 else ("thin" if em < 0.2 else "med" if em < 0.25 else "thick" if em < 0.5
                                   else "quad" if em <= 1 else "wide")
    raise AssertionError(node)


def _typst_delimiter(d: str, side: str) -> str:
    if not d:
        return ""
    return {"(": "\\(", ")": "\\)", "[": "\\[", "]": "\\]", "{": "\\{", "}": "\\}"}.get(d, d)


def typst(latex: str, display: bool = False) -> str:
    body = _ty(parse(latex), False)
    return f"$ {body} $" if display else f"${body}$"

