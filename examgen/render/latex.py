"""A small LaTeX math parser with three writers: MathML (HTML), Typst math (PDF), Unicode text.

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

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Union

from ..errors import ExamgenError


class LatexError(ExamgenError, ValueError):
    """A formula outside the supported subset (the message says where)."""


# --- symbols -------------------------------------------------------------------------------

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ",
    "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
    "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
OPERATORS = {  # binary operators, relations, arrows, punctuation-like symbols
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "odot": "⊙", "otimes": "⊗",
    "oplus": "⊕", "circ": "∘", "ast": "∗", "star": "⋆", "bullet": "•", "setminus": "∖",
    "cap": "∩", "cup": "∪", "land": "∧", "lor": "∨", "neg": "¬", "wedge": "∧", "vee": "∨",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼",
    "simeq": "≃", "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "in": "∈", "notin": "∉",
    "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "mid": "∣", "parallel": "∥", "perp": "⊥",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "Rightarrow": "⇒", "Leftarrow": "⇐",
    "leftrightarrow": "↔", "Leftrightarrow": "⇔", "mapsto": "↦", "implies": "⟹", "iff": "⟺",
    "uparrow": "↑", "downarrow": "↓", "colon": ":", "ldots": "…", "dots": "…", "cdots": "⋯",
    "vdots": "⋮", "ddots": "⋱", "forall": "∀", "exists": "∃",
}
ORDINARY = {  # symbols that behave like letters
    "infty": "∞", "partial": "∂", "nabla": "∇", "ell": "ℓ", "emptyset": "∅", "varnothing": "∅",
    "prime": "′", "top": "⊤", "bot": "⊥", "hbar": "ℏ", "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ",
    "checkmark": "✓", "triangle": "△", "square": "□", "dagger": "†", "angle": "∠", "degree": "°",
}
DELIMITERS = {
    "(": "(", ")": ")", "[": "[", "]": "]", "|": "|", ".": "", "\\{": "{", "\\}": "}", "\\|": "‖",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "langle": "⟨", "rangle": "⟩",
    "lvert": "|", "rvert": "|", "lVert": "‖", "rVert": "‖", "vert": "|", "Vert": "‖",
}
BIG = {"sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂"}
FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "dim", "ker",
             "deg", "gcd", "Pr", "arg"}
LIMIT_FUNCTIONS = {"max", "min", "lim", "sup", "inf", "argmax", "argmin", "limsup", "liminf"}
SPACES = {",": 0.1667, ":": 0.2222, ">": 0.2222, ";": 0.2778, " ": 0.25, "quad": 1.0, "qquad": 2.0,
          "!": 0.0, "thinspace": 0.1667, "enspace": 0.5}
ACCENTS = {"hat": "^", "widehat": "^", "tilde": "~", "widetilde": "~", "bar": "¯", "overline": "¯",
           "vec": "→", "dot": "˙", "ddot": "¨", "check": "ˇ", "breve": "˘"}
TYPST_ACCENT = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "overline",
                "overline": "overline", "vec": "arrow", "dot": "dot", "ddot": "dot.double",
                "check": "caron", "breve": "breve"}
STYLES = {"mathbf": "bold", "boldsymbol": "bold", "bm": "bold", "mathbb": "bb", "mathcal": "cal",
          "mathscr": "cal", "mathit": "italic", "mathsf": "sans", "mathrm": "upright",
          "textbf": "text", "text": "text", "textrm": "text", "textit": "text", "mbox": "text"}
ENVIRONMENTS = {"bmatrix": ("[", "]"), "pmatrix": ("(", ")"), "vmatrix": ("|", "|"),
                "Bmatrix": ("{", "}"), "matrix": ("", ""), "cases": ("{", ""), "aligned": ("", "")}

# Unicode mathematical alphanumerics for \mathbb, \mathcal, \mathbf (MathML Core has no mathvariant).
_BB_SPECIAL = {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"}
_CAL_SPECIAL = {"B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "L": "ℒ", "M": "ℳ", "R": "ℛ"}


def _alphanumeric(style: str, ch: str) -> str:
    if style == "bb":
        if ch in _BB_SPECIAL:
            return _BB_SPECIAL[ch]
        if "A" <= ch <= "Z":
            return chr(0x1D538 + ord(ch) - ord("A"))
        if "a" <= ch <= "z":
            return chr(0x1D552 + ord(ch) - ord("a"))
        if "0" <= ch <= "9":
            return chr(0x1D7D8 + ord(ch) - ord("0"))
    if style == "cal" and "A" <= ch <= "Z":
        return _CAL_SPECIAL.get(ch) or chr(0x1D49C + ord(ch) - ord("A"))
    if style == "bold":
        if "A" <= ch <= "Z":
            return chr(0x1D400 + ord(ch) - ord("A"))
        if "a" <= ch <= "z":
            return chr(0x1D41A + ord(ch) - ord("a"))
        if "0" <= ch <= "9":
            return chr(0x1D7CE + ord(ch) - ord("0"))
    return ch


# --- the tree --------------------------------------------------------------------------------

@dataclass
class Atom:
    kind: str  # "mi" (identifier), "mn" (number), "mo" (operator), "text", "fn" (function name), "big"
    text: str
    limits: bool = False  # a big operator or function whose scripts go below/above in display
    prefix: bool = False  # a sign (unary minus or plus), spaced as such


@dataclass
class Row:
    items: list = field(default_factory=list)


@dataclass
class Frac:
    num: "Node"
    den: "Node"
    line: bool = True  # False for \binom


@dataclass
class Sqrt:
    body: "Node"
    index: "Node | None" = None


@dataclass
class Script:
    base: "Node"
    sub: "Node | None" = None
    sup: "Node | None" = None


@dataclass
class Accent:
    name: str
    body: "Node"


@dataclass
class Styled:
    style: str  # bold, bb, cal, italic, sans, upright
    body: "Node"


@dataclass
class Fenced:
    open: str
    body: "Node"
    close: str


@dataclass
class Table:
    env: str
    rows: list  # list of rows, each a list of cell nodes


@dataclass
class Space:
    em: float


Node = Union[Atom, Row, Frac, Sqrt, Script, Accent, Styled, Fenced, Table, Space]


# --- parsing ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"\\([A-Za-z]+)\*?|\\(.)|(\d+(?:\.\d+)?|\.\d+)|([A-Za-z])|(\s+)|(.)", re.S)
MAX_LENGTH = 20_000
NBSP = "\u00a0"


class _Parser:
    def __init__(self, src: str):
        if len(src) > MAX_LENGTH:
            raise LatexError("the formula is too long")
        self.src = src
        # a token: (text, command name, escaped char, number, letter, whitespace, other char)
        matches = [m for m in _TOKEN.finditer(src) if m[5] is None]
        self.tokens = [(m[0], *m.groups()) for m in matches]
        self.starts = [m.start() for m in matches] + [len(src)]
        self.pos = 0

    def error(self, message: str) -> LatexError:
        return LatexError(f"{message} in formula: {self.src[:120]}")

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end")
        self.pos += 1
        return tok

    def parse(self) -> Row:
        row = self.row(stop=())
        if self.peek() is not None:
            raise self.error(f"unexpected '{self.peek()[0]}'")
        return row

    def row(self, stop: tuple[str, ...]) -> Row:
        """Items until a token in ``stop`` ('}', '&', '\\\\', '\\right', '\\end')."""
        items: list = []
        while True:
            tok = self.peek()
            if tok is None or tok[0] in stop or (tok[1] in ("right", "end") and ("right" in stop or "end" in stop)):
                return Row(items)
            if tok[0] in ("^", "_"):
                self.take()
                base = items.pop() if items else Row([])
                arg = self.argument()
                if not isinstance(base, Script) or (base.sub if tok[0] == "_" else base.sup) is not None:
                    base = Script(base)
                if tok[0] == "_":
                    base.sub = arg
                else:
                    base.sup = arg
                items.append(base)
                continue
            if tok[0] == "'":
                self.take()
                base = items.pop() if items else Row([])
                prime = Atom("mo", "′")
                if isinstance(base, Script) and base.sub is not None and base.sup is None:
                    base.sup = prime
                    items.append(base)
                else:
                    items.append(Script(base, sup=prime))
                continue
            node = self.atom(items)
            if node is not None:
                items.append(node)

    def argument(self) -> Node:
        """A {group} or a single token (for scripts and command arguments). As in TeX, an
        unbraced argument is one character: ``\frac14`` is 1/4 and ``x^12`` is x¹2."""
        tok = self.peek()
        if tok is None:
            raise self.error("missing argument")
        if tok[3] is not None and len(tok[3]) > 1:
            first, rest = tok[3][0], tok[3][1:]
            self.tokens[self.pos] = (rest, None, None, rest if rest[0] != "." else None, None, None,
                                     "." if rest[0] == "." else None)
            if rest[0] == "." and len(rest) > 1:  # "1.5" split after "1": ".", then "5"
                self.tokens[self.pos:self.pos + 1] = [(".", None, None, None, None, None, "."),
                                                      (rest[1:], None, None, rest[1:], None, None, None)]
                self.starts[self.pos:self.pos + 1] = [self.starts[self.pos]] * 2
            return Atom("mn", first)
        if tok[0] == "{":
            self.take()
            row = self.row(stop=("}",))
            self.expect("}")
            return row
        node = self.atom([])
        if node is None:
            raise self.error("missing argument")
        return node

    def raw_group(self) -> str:
        """The text of a {group}, unparsed (for \\text and \\operatorname)."""
        self.expect("{")
        depth, out = 1, []
        while True:
            tok = self.take()
            if tok[0] == "{":
                depth += 1
            elif tok[0] == "}":
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append(tok[0])

    def raw_text(self) -> str:
        """The text of a {group}, with its original spacing."""
        start = self.starts[self.pos]
        self.raw_group()
        return self.src[start:self.starts[self.pos - 1] + 1][1:-1]

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok[0] != text:
            raise self.error(f"expected '{text}', found '{tok[0]}'")

    def atom(self, before: list) -> Node | None:
        tok = self.take()
        whole, name, escaped, number, letter, _, other = tok
        if number is not None:
            return Atom("mn", number)
        if letter is not None:
            return Atom("mi", letter)
        if whole == "{":
            row = self.row(stop=("}",))
            self.expect("}")
            return row
        if whole == "}":
            raise self.error("unbalanced '}'")
        if escaped is not None:
            if escaped in SPACES:
                return Space(SPACES[escaped])
            if escaped in "{}%#$&_|":
                return Atom("mo", {"|": "‖"}.get(escaped, escaped))
            if escaped == "\\":
                raise self.error("'\\\\' outside a matrix or cases")
            raise self.error(f"unknown command '\\{escaped}'")
        if name is not None:
            return self.command(name, whole)
        if other == "-" and self._negative_sign(before):
            nxt = self.peek()
            if nxt is not None and nxt[3] is not None:
                self.take()
                return Atom("mn", "−" + nxt[3])
        if other is not None:
            sign = other in "+-" and self._negative_sign(before)
            return Atom("mo", {"-": "−", "*": "∗"}.get(other, other), prefix=sign)
        raise self.error(f"unexpected '{whole}'")

    @staticmethod
    def _negative_sign(before: list) -> bool:
        """A minus right at the start, or after an operator or opening bracket, belongs to a number."""
        if not before:
            return True
        last = before[-1]
        return isinstance(last, Atom) and last.kind == "mo" and last.text not in (")", "]", "|", "}", "′")

    def command(self, name: str, whole: str) -> Node:
        star = whole.endswith("*")
        if name in GREEK:
            return Atom("mi", GREEK[name])
        if name in ORDINARY:
            return Atom("mi", ORDINARY[name])
        if name in OPERATORS:
            return Atom("mo", OPERATORS[name])
        if name in BIG:
            return Atom("big", BIG[name], limits=name != "int")
        if name in FUNCTIONS:
            return Atom("fn", name)
        if name in LIMIT_FUNCTIONS:
            return Atom("fn", {"argmax": "arg max", "argmin": "arg min"}.get(name, name), limits=True)
        if name in SPACES:
            return Space(SPACES[name])
        if name in ("frac", "tfrac", "dfrac", "cfrac", "binom"):
            num = self.argument()
            return Frac(num, self.argument(), line=name != "binom")
        if name == "sqrt":
            index = None
            if self.peek() is not None and self.peek()[0] == "[":
                self.take()
                index = self.row(stop=("]",))
                self.expect("]")
            return Sqrt(self.argument(), index)
        if name in ACCENTS:
            return Accent(name, self.argument())
        if name == "operatorname":
            text = re.sub(r"\\[,;:! ]|\s+", " ", self.raw_group()).strip()
            return Atom("fn", text, limits=star)
        if name in STYLES:
            style = STYLES[name]
            if style == "text":
                return Atom("text", self.raw_text())
            if style == "upright":
                text = self.raw_group()
                if re.fullmatch(r"[A-Za-z]{2,}", text):
                    return Atom("text", text)
                return Styled("upright", _Parser(text).parse())
            return Styled(style, self.argument())
        if name == "left":
            open_ = self.delimiter()
            body = self.row(stop=("right",))
            tok = self.take()
            if tok[1] != "right":
                raise self.error("\\left without \\right")
            return Fenced(open_, body, self.delimiter())
        if name in ("big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"):
            return Atom("mo", self.delimiter())
        if name == "begin":
            return self.environment()
        if name in ("displaystyle", "textstyle", "limits", "nolimits", "mathstrut"):
            return Row([])
        if name in DELIMITERS:
            return Atom("mo", DELIMITERS[name])
        raise self.error(f"unknown command '\\{name}'")

    def delimiter(self) -> str:
        tok = self.take()
        key = tok[1] if tok[1] is not None else tok[0]
        if key not in DELIMITERS:
            raise self.error(f"'{tok[0]}' is not a delimiter")
        return DELIMITERS[key]

    def environment(self) -> Table:
        env = self.raw_group()
        if env not in ENVIRONMENTS:
            raise self.error(f"unknown environment '{env}'")
        rows: list[list] = [[]]
        while True:
            cell = self.row(stop=("&", "\\\\", "end"))
            rows[-1].append(cell)
            tok = self.take()
            if tok[0] == "&":
                continue
            if tok[0] == "\\\\":
                rows.append([])
                continue
            if tok[1] == "end":
                if self.raw_group() != env:
                    raise self.error(f"\\begin{{{env}}} ended by another \\end")
                break
        if rows and len(rows[-1]) == 1 and not rows[-1][0].items and len(rows) > 1:
            rows.pop()  # a trailing \\
        return Table(env, rows)


@lru_cache(maxsize=16384)
def parse(latex: str) -> Row:
    """The formula's tree (shared by the writers: treat it as read-only); :class:`LatexError`
    outside the subset."""
    return _Parser(latex).parse()


# --- MathML ----------------------------------------------------------------------------------

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


def _restyle(node: Node, style: str) -> Node:
    """Letters of a styled group as Unicode math alphanumerics (upright: plain text)."""
    if isinstance(node, Atom) and node.kind in ("mi", "mn"):
        if style == "upright":
            return Atom("fn" if node.kind == "mi" else "mn", node.text)
        if style in ("bb", "cal", "bold"):
            return Atom("mi" if node.kind == "mi" else "mn",
                        "".join(_alphanumeric(style, ch) for ch in node.text))
        return node
    if isinstance(node, Row):
        return Row([_restyle(n, style) for n in node.items])
    if isinstance(node, Script):
        return Script(_restyle(node.base, style), node.sub, node.sup)
    return node


def mathml(latex: str, display: bool = False) -> str:
    tree = parse(latex)
    mode = "block" if display else "inline"
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}">{_ml(tree, display)}</math>'


# --- Typst -----------------------------------------------------------------------------------

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


# --- text ------------------------------------------------------------------------------------

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
