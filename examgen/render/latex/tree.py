"""The formula tree and the symbol tables the parser and the writers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

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
