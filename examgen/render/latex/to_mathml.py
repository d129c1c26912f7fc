"""The formula tree as MathML Core (HTML pages)."""

from __future__ import annotations

from html import escape

from .parser import NBSP, parse
from .tree import (ACCENTS, Accent, Atom, ENVIRONMENTS, Fenced, Frac, Node, Row, Script, Space, Sqrt, Styled,
                    Table, _restyle)


def _mo(text: str, **attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"<mo{extra}>{escape(text)}</mo>"


def _ml(node: Node, display: bool) -> str:
    if isinstance(node, Row):
        parts = []
        for i, n in enumerate(node.items):
            parts.append(_ml(n, display))
            if _is_function(n) and i + 1 < len(node.items) and not _opens(node.items[i + 1]):
                parts.append('<mspace width="0.1667em"></mspace>')  # log x, not logx
        inner = "".join(parts)
        return inner if len(parts) == 1 else f"<mrow>{inner}</mrow>"
    if isinstance(node, Atom):
        if node.kind == "mi":
            upright = len(node.text) == 1 and ("Α" <= node.text <= "Ω")  # capital Greek is upright
            return f'<mi mathvariant="normal">{escape(node.text)}</mi>' if upright else f"<mi>{escape(node.text)}</mi>"
        if node.kind == "mn":
            return f"<mn>{escape(node.text)}</mn>"
        if node.kind == "text":  # MathML trims a token's edge spaces: keep them as no-break spaces
            inner = node.text.strip(" ")
            lead = len(node.text) - len(node.text.lstrip(" "))
            trail = len(node.text) - len(node.text.rstrip(" ")) if inner else 0
            return f"<mtext>{NBSP * lead}{escape(inner)}{NBSP * trail}</mtext>"
        if node.kind == "fn":
            return f'<mi mathvariant="normal">{escape(node.text)}</mi>' if len(node.text) == 1 else \
                f"<mi>{escape(node.text)}</mi>"
        if node.kind == "big":
            return _mo(node.text, largeop="true", movablelimits="true" if node.limits else "false")
        if node.text in "()[]":
            return _mo(node.text, stretchy="false")
        return _mo(node.text, form="prefix") if node.prefix else _mo(node.text)
    if isinstance(node, Frac):
        attrs = "" if node.line else ' linethickness="0"'
        inner = f"<mfrac{attrs}>{_ml(node.num, display)}{_ml(node.den, display)}</mfrac>"
        return inner if node.line else f"<mrow>{_mo('(')}{inner}{_mo(')')}</mrow>"
    if isinstance(node, Sqrt):
        if node.index is not None:
            return f"<mroot>{_ml(node.body, display)}{_ml(node.index, display)}</mroot>"
        return f"<msqrt>{_ml(node.body, display)}</msqrt>"
    if isinstance(node, Script):
        base = _ml(node.base, display) if not (isinstance(node.base, Row) and not node.base.items) else "<mrow></mrow>"
        limits = isinstance(node.base, Atom) and node.base.limits
        if limits and node.base.kind == "fn":
            base = f'<mo movablelimits="true" form="prefix">{escape(node.base.text)}</mo>'
        sub = _ml(node.sub, display) if node.sub is not None else None
        sup = _ml(node.sup, display) if node.sup is not None else None
        if limits:
            if sub is not None and sup is not None:
                return f"<munderover>{base}{sub}{sup}</munderover>"
            return f"<munder>{base}{sub}</munder>" if sub is not None else f"<mover>{base}{sup}</mover>"
        if sub is not None and sup is not None:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        return f"<msub>{base}{sub}</msub>" if sub is not None else f"<msup>{base}{sup}</msup>"
    if isinstance(node, Accent):
        stretch = "true" if node.name in ("overline", "widehat", "widetilde", "vec") else "false"
        return f'<mover accent="true">{_ml(node.body, display)}{_mo(ACCENTS[node.name], stretchy=stretch)}</mover>'
    if isinstance(node, Styled):
        return _ml(_restyle(node.body, node.style), display)
    if isinstance(node, Fenced):
        inner = _ml(node.body, display)
        left = _mo(node.open, fence="true", form="prefix", stretchy="true") if node.open else ""
        right = _mo(node.close, fence="true", form="postfix", stretchy="true") if node.close else ""
        return f"<mrow>{left}{inner}{right}</mrow>"
    if isinstance(node, Table):
        align = ' columnalign="left"' if node.env in ("cases", "aligned") else ""
        rows = "".join("<mtr>" + "".join(f"<mtd{align}>{_ml(c, display)}</mtd>" for c in r) + "</mtr>"
                       for r in node.rows)
        table = f"<mtable>{rows}</mtable>"
        open_, close = ENVIRONMENTS[node.env]
        left = _mo(open_, fence="true", form="prefix", stretchy="true") if open_ else ""
        right = _mo(close, fence="true", form="postfix", stretchy="true") if close else ""
        return f"<mrow>{left}{table}{right}</mrow>"
    if isinstance(node, Space):
        return f'<mspace width="{node.em:g}em"></mspace>' if node.em else ""
    raise AssertionError(node)


def _is_function(node: Node) -> bool:
    base = node.base if isinstance(node, Script) else node
    return isinstance(base, Atom) and base.kind == "fn"


def _opens(node: Node) -> bool:
    return isinstance(node, Fenced) or (isinstance(node, Atom) and node.kind == "mo" and node.text in "([")


def mathml(latex: str, display: bool = False) -> str:
    tree = parse(latex)
    mode = "block" if display else "inline"
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}">{_ml(tree, display)}</math>'

