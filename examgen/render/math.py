"""LaTeX math -> MathML (HTML) and -> plain Unicode text (terminal).

MathML keeps the HTML self-contained and offline (no JavaScript, no CDN); browsers render
MathML Core natively. ``latex2mathml`` does the conversion; a small fix-up pass first
rewrites the few commands it mishandles (``\\arg\\max``, ``\\operatorname*``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_FIXES = (
    (re.compile(r"\\arg\s*\\max"), r"\\operatorname{arg\\,max}"),
    (re.compile(r"\\arg\s*\\min"), r"\\operatorname{arg\\,min}"),
    (re.compile(r"\\operatorname\*"), r"\\operatorname"),
    (re.compile(r"\\arg(?![a-zA-Z])"), r"\\operatorname{arg}"),
    (re.compile(r"\\tfrac"), r"\\frac"),
)


def _fix(latex: str) -> str:
    for pattern, repl in _FIXES:
        latex = pattern.sub(repl, latex)
    return latex


# A minus sign that starts a number (after an operator, an opening bracket or at the start) is
# part of the number: "R = -1" must not be spaced like a subtraction.
_CLOSERS = "|".join(["&#x00029;", "&#x0005D;", "&#x0007D;", "&#x0230B;", "&#x02309;", "&#x0007C;", "&#x02016;"])
_NEGATIVE = re.compile(rf"(<mo[^>]*>(?!{_CLOSERS})[^<]*</mo>|<mrow>|<mtd[^>]*>)<mo>&#x02212;</mo><mn>([^<]+)</mn>")


@lru_cache(maxsize=8192)
def mathml(latex: str, display: bool = False) -> str:
    """MathML for a LaTeX formula (cached: exams repeat their formulas)."""
    from latex2mathml.converter import convert  # imported on first use: it is slow to import

    out = convert(_fix(latex), display="block" if display else "inline")
    return _NEGATIVE.sub(r"\1<mn>&#x02212;\2</mn>", out)


# --- plain text --------------------------------------------------------------------------

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ",
    "Omega": "Ω", "partial": "∂", "cdot": "·", "times": "×", "leftarrow": "←", "rightarrow": "→",
    "to": "→", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "approx": "≈", "infty": "∞",
    "sum": "Σ", "prod": "Π", "odot": "⊙", "mid": "|", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
    "rceil": "⌉", "log": "log", "ln": "ln", "exp": "exp", "max": "max", "min": "min", "nabla": "∇",
    "in": "∈", "sim": "~", "pm": "±", "dots": "…", "ldots": "…", "cdots": "⋯", "qquad": "  ",
    "quad": " ", "langle": "⟨", "rangle": "⟩", "|": "‖", "arg": "arg", "tanh": "tanh",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "vert": "|", "lvert": "|", "rvert": "|",
}
_ACCENT = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "vec": "\u20d7"}
_STYLE = {"mathrm", "text", "operatorname", "mathbf", "mathit", "boldsymbol", "mathcal", "textrm"}
_BB = {"E": "𝔼", "R": "ℝ", "N": "ℕ", "1": "𝟙", "P": "ℙ"}


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at ``s[i]``: a {braced group} or a single token."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
            j += 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([a-zA-Z]+|.)", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def _wrap(t: str) -> str:
    return t if re.fullmatch(r"[\w.∂]+", t) else f"({t})"


@lru_cache(maxsize=8192)
def text(latex: str) -> str:
    """A readable Unicode rendering of a formula, for the terminal."""
    out, i, s = [], 0, latex
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            m = re.match(r"\\([a-zA-Z]+|.)", s[i:])
            name, i = m.group(1), i + len(m.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                a, i = _group(s, i)
                b, i = _group(s, i)
                out.append(f"{_wrap(text(a))}/{_wrap(text(b))}")
            elif name == "sqrt":
                a, i = _group(s, i)
                out.append(f"√{_wrap(text(a))}")
            elif name in _ACCENT:
                a, i = _group(s, i)
                out.append(text(a) + _ACCENT[name])
            elif name == "mathbb":
                a, i = _group(s, i)
                out.append(_BB.get(a, a))
            elif name in _STYLE:
                a, i = _group(s, i)
                out.append(text(a) if name != "text" else a)
            elif name == "begin":
                env, i = _group(s, i)
                end = s.find(rf"\end{{{env}}}", i)
                body = s[i:end if end >= 0 else len(s)]
                i = end + len(rf"\end{{{env}}}") if end >= 0 else len(s)
                rows = [", ".join(text(c).strip() for c in r.split("&")) for r in body.split(r"\\")]
                out.append("[" + "; ".join(rows) + "]" if env != "cases" else "{ " + "; ".join(rows) + " }")
            elif name in ("left", "right", "big", "Big", "bigl", "bigr", "displaystyle", "limits"):
                continue
            elif name in (",", ";", ":", " ", "!"):
                out.append(" " if name != "!" else "")
            else:
                out.append(_SYMBOLS.get(name, name))
        elif ch in "_^":
            a, i = _group(s, i + 1)
            t = text(a)
            out.append(("_" if ch == "_" else "^") + (t if len(t) == 1 else f"{{{t}}}"))
        elif ch in "{}":
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)
