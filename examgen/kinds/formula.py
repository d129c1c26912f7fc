"""Expression answers: a whitelist grammar, a NumPy evaluator, equivalence by evaluation.

A step of ``kind="expression"`` asks for a formula, e.g. ``s*(1-s)`` or ``(p - y)*x``. The
student's text and the reference (the step's value, written in the same grammar) are both
read by :func:`parse_expression`; :func:`equivalent` decides whether two formulas are the same
function by evaluating them at fixed pseudo-random points.

Never ``eval``, never SymPy: a small recursive-descent parser turns the text into a tree of
tuples, which is compiled to a NumPy-vectorised function.

**The grammar** (``^`` and ``**`` are powers; precedence as in mathematics)::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary | implicit)*
    unary   := ("+" | "-") unary | power
    power   := atom (("^" | "**") unary)?          # right-associative: 2^-1, x^y^z
    atom    := number | variable | constant | function "(" sum ")" | "(" sum ")"

* numbers: ``2``, ``0.5``, ``.5``, ``2.5e-1`` (a decimal point, not a comma);
* variables: exactly the names the question lists (case-sensitive);
* constants: ``e`` and ``pi`` (unless the question uses that name as a variable);
* functions (case-insensitive): ``exp``, ``log`` and ``ln`` (both the natural logarithm),
  ``sqrt``, ``sigma`` / ``sigmoid`` (the logistic function), ``tanh``, ``relu``;
* Unicode a student may paste: ``−`` (minus), ``·`` ``⋅`` ``×`` (times), ``÷``, ``σ``, ``²``, ``³``.

**Implicit multiplication** is accepted where it has one reading: a factor followed by a
variable, a function or an opening parenthesis, as in ``2x``, ``2(a - y)``, ``s(1-s)`` (``s`` is
a variable, not a function), ``(a-y)(1-a)``, ``(p - y) x``, ``x exp(z)``. Its right-hand factor
binds like a power (``2x^2`` is ``2*(x^2)``). It is refused where it is ambiguous or unusual:
a number after a factor (``x 2``, ``(a-y)2``) and a factor right after a division (``1/2x``:
write ``(1/2)*x`` or ``1/(2*x)``). Adjacent letters are one name (``sx`` is not ``s*x``).

**Limits** (a format error says which was exceeded; the parser is in :mod:`.formula_parser`):
at most :data:`MAX_CHARS` characters, :data:`MAX_DEPTH` levels of nesting, :data:`MAX_NODES` operations, and a constant exponent of
at most :data:`MAX_EXPONENT` in size (``9**9**9`` is refused). Constant sub-formulas are worked
out while parsing, so ``1/0`` or ``log(0)`` is a format error, not a wrong answer.

**Equivalence.** Both formulas are evaluated at :data:`N_POINTS` points drawn once from a fixed
seed (grading is reproducible). Each variable gets a range by the convention of its name:
probability-like names -- ``p``, ``q``, ``s``, ``a``, ``y``, optionally with an index or
``hat`` (``p1``, ``p_2``, ``yhat``, ``y_hat``) -- are drawn from (0.05, 0.95), where
``log(p)``, ``log(1-p)`` and ``1/(p(1-p))`` are defined; every other name from (-2.5, 2.5).
Points where either side is not finite are skipped; at least :data:`MIN_VALID` points (and at
least half of the points where either side is finite) must remain, and at all of them the
values must agree to a relative tolerance of :data:`REL_TOL` (absolute floor :data:`ABS_TOL`).
A parsed formula caches its compiled function and its values at the points, so after parsing
a comparison costs a few microseconds; parsing itself is cached for repeated texts.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

from .formula_parser import _NUMPY, _UNICODE, _Parser
from .parse import FormatError

MAX_CHARS = 300
N_POINTS = 24
MIN_VALID = 8
REL_TOL = 1e-6
ABS_TOL = 1e-9
POINT_SEED = 5400


class Expression:
    """A parsed formula: its tree, canonical text, and (cached) values at the test points."""

    __slots__ = ("tree", "variables", "text", "_fn", "_scalar", "_values")

    def __init__(self, tree: tuple, variables: tuple[str, ...]):
        self.tree = tree
        self.variables = variables
        self.text = _unparse(tree, variables)
        self._fn: Callable | None = None
        self._scalar: Callable | None = None
        self._values: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __str__(self) -> str:
        return self.text

    @property
    def function(self) -> Callable[[np.ndarray], Any]:
        """``f(X)`` with ``X[i]`` the values of ``variables[i]`` (arrays broadcast)."""
        if self._fn is None:
            self._fn = _compile(self.tree)
        return self._fn

    def values(self) -> np.ndarray:
        """The values at the fixed test points of this expression's variables."""
        if self._values is None:
            self._values = _evaluate(self.function, _points(self.variables))
        return self._values

    def __call__(self, **values: float) -> float:
        """The value at one point, e.g. ``expr(a=0.5, y=1, x=2)``."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise KeyError(f"no value for {', '.join(missing)}")
        if self._scalar is None:
            self._scalar = _compile_math(self.tree)
        try:
            return float(self._scalar([float(values[v]) for v in self.variables]))
        except (ArithmeticError, ValueError):  # outside a function's domain, or too large
            return math.nan


# --- compiling and evaluating --------------------------------------------------------------


def _compile(node: tuple, funcs: dict | None = None, power: Callable = np.power) -> Callable:
    """The expression as a function of the variables' values ``X`` (NumPy arrays by default; with
    ``funcs=_MATH, power=math.pow`` on plain floats, much faster for one point, raising outside a
    function's domain, which the caller turns into NaN)."""
    funcs = _NUMPY if funcs is None else funcs
    kind = node[0]
    if kind == "num":
        c = node[1]
        return lambda X: c
    if kind == "var":
        i = node[1]
        return lambda X: X[i]
    if kind == "neg":
        f = _compile(node[1], funcs, power)
        return lambda X: -f(X)
    if kind == "call":
        fn, f = funcs[node[1]], _compile(node[2], funcs, power)
        return lambda X: fn(f(X))
    f, g = _compile(node[1], funcs, power), _compile(node[2], funcs, power)
    if kind == "add":
        return lambda X: f(X) + g(X)
    if kind == "sub":
        return lambda X: f(X) - g(X)
    if kind == "mul":
        return lambda X: f(X) * g(X)
    if kind == "div":
        return lambda X: f(X) / g(X)
    if kind == "pow":
        return lambda X: power(f(X), g(X))
    raise AssertionError(kind)


def _sigmoid_scalar(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


_MATH = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sigma": _sigmoid_scalar,
         "tanh": math.tanh, "relu": lambda x: x if x > 0 else 0.0}


def _compile_math(node: tuple) -> Callable:
    return _compile(node, _MATH, math.pow)


_PROBABILITY = re.compile(r"[pqsay](?:_?\d+)?(?:_?hat)?|[pqsay]hat(?:_?\d+)?")


def domain(name: str) -> tuple[float, float]:
    """The range the test points of a variable are drawn from (by the convention of its name)."""
    return (0.05, 0.95) if _PROBABILITY.fullmatch(name) else (-2.5, 2.5)


@lru_cache(maxsize=256)
def _points(variables: tuple[str, ...]) -> np.ndarray:
    u = np.random.default_rng(POINT_SEED).random((max(len(variables), 1), N_POINTS))
    pts = np.empty((len(variables), N_POINTS))
    for i, name in enumerate(variables):
        lo, hi = domain(name)
        pts[i] = lo + (hi - lo) * u[i]
    pts.setflags(write=False)
    return pts


def _evaluate(fn: Callable, points: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.asarray(fn(list(points)), dtype=float)
    out = np.broadcast_to(out, (N_POINTS,)).copy()
    out.setflags(write=False)
    return out


# --- the API used by the expression kind -------------------------------------------------------


@lru_cache(maxsize=4096)
def _parse_cached(text: str, variables: tuple[str, ...]) -> Expression:
    if len(text) > MAX_CHARS:
        raise FormatError(f"a formula of {len(text)} characters is too long (at most {MAX_CHARS})")
    tree = _Parser(text.translate(_UNICODE), variables).parse()
    return Expression(tree, variables)


def parse_expression(raw: Any, variables: Sequence[str]) -> Expression:
    """A formula in ``variables`` from a student's text (or a reference value); raises FormatError."""
    names = tuple(variables)
    if isinstance(raw, Expression):
        return raw if raw.variables == names else _parse_cached(raw.text, names)
    if isinstance(raw, bool) or raw is None:
        raise FormatError(f"expected a formula, got {raw!r}")
    if isinstance(raw, int) and abs(raw) > 10 ** 300:  # float() of it would overflow
        raise FormatError("the number is too large")
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            raise FormatError(f"{raw!r} is not a finite number")
        raw = repr(float(raw))
    if not isinstance(raw, str):
        raise FormatError(f"expected a formula (text), got {type(raw).__name__}")
    if len(raw) > MAX_CHARS:  # checked before anything else touches the text
        raise FormatError(f"a formula of {len(raw)} characters is too long (at most {MAX_CHARS})")
    return _parse_cached(raw.strip(), names)


def equivalent(a: Any, b: Any, variables: Sequence[str]) -> bool:
    """True when ``a`` and ``b`` (parsed, or text in the grammar) agree at the test points."""
    names = tuple(variables)
    try:
        va = parse_expression(a, names).values()
        vb = parse_expression(b, names).values()
    except FormatError:
        return False
    fa, fb = np.isfinite(va), np.isfinite(vb)
    both = fa & fb
    n = int(both.sum())
    if n < MIN_VALID or 2 * n < int((fa | fb).sum()):
        return False
    x, y = va[both], vb[both]
    return bool(np.all(np.abs(x - y) <= REL_TOL * np.maximum(np.abs(x), np.abs(y)) + ABS_TOL))


def evaluate(expr: Any, variables: Sequence[str], **values: float) -> float:
    """The value of a formula (parsed or text) at one point: ``evaluate("a*x", ["a", "x"], a=1, x=2)``."""
    return parse_expression(expr, variables)(**values)


def text(expr: Any) -> str:
    """The formula's text in the grammar (a reference string as it is; a parsed one canonical)."""
    return expr.text if isinstance(expr, Expression) else str(expr)


# --- writing a tree back: canonical text and LaTeX -----------------------------------------

_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def _prec(node: tuple) -> int:
    if node[0] == "num" and node[1] < 0:
        return 3  # prints like a negation
    return _PREC.get(node[0], 5)


def _unparse(node: tuple, names: Sequence[str]) -> str:
    """Text in the grammar that parses back to the same tree (not meant to be pretty)."""
    kind = node[0]
    if kind == "num":
        return repr(node[1]) if node[1] >= 0 else f"({node[1]!r})"
    if kind == "var":
        return names[node[1]]
    if kind == "call":
        return f"{node[1]}({_unparse(node[2], names)})"
    if kind == "neg":
        return f"(-{_unparse(node[1], names)})"
    op = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}[kind]
    return f"({_unparse(node[1], names)}{op}{_unparse(node[2], names)})"


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "rho", "tau"}


@lru_cache(maxsize=1024)
def _latex_name(name: str) -> str:
    if name in _GREEK:  # a variable named for its letter: alpha -> \alpha
        return "\\" + name
    m = re.fullmatch(r"([A-Za-z]+?)_?(hat)?_?(\d*)(hat)?", name)
    if m and len(m.group(1)) == 1:
        base = rf"\hat{{{m.group(1)}}}" if (m.group(2) or m.group(4)) else m.group(1)
        return base + (f"_{{{m.group(3)}}}" if m.group(3) else "")
    escaped = name.replace("_", "\\_")
    return rf"\mathrm{{{escaped}}}"


def _latex_number(x: float) -> str:
    from ..fmt import num
    return num(x)


def _paren(s: str) -> str:
    return rf"\left({s}\right)"


def _latex(node: tuple, names: Sequence[str], vals: Sequence[float | None] = ()) -> str:
    kind = node[0]
    if kind == "num":
        if node[1] == math.e:
            return "e"
        if node[1] == math.pi:
            return r"\pi"
        return _latex_number(node[1])
    if kind == "var":
        v = vals[node[1]] if vals else None
        if v is None:
            return _latex_name(names[node[1]])
        return _latex_number(v) if v >= 0 else _paren(_latex_number(v))
    if kind == "call":
        fn, arg = node[1], _latex(node[2], names, vals)
        if fn == "sqrt":
            return rf"\sqrt{{{arg}}}"
        if fn == "exp":
            return f"e^{{{arg}}}"
        head = {"log": r"\log", "sigma": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}[fn]
        return head + _paren(arg)
    if kind == "neg":
        inner = node[1]
        s = _latex(inner, names, vals)
        return "-" + (_paren(s) if _prec(inner) <= 1 or s.startswith("-") else s)
    left, right = node[1], node[2]
    L, R = _latex(left, names, vals), _latex(right, names, vals)
    if kind == "add":
        return f"{L} + {_paren(R) if R.startswith('-') else R}"
    if kind == "sub":
        return f"{L} - {_paren(R) if _prec(right) <= 1 or R.startswith('-') else R}"
    if kind == "div":
        return rf"\frac{{{L}}}{{{R}}}"
    if kind == "pow":
        atom = _prec(left) >= 5 and not (left[0] == "call" and left[1] == "exp")
        return f"{L if atom else _paren(L)}^{{{R}}}"
    # mul: juxtaposition, with a dot before a number
    if _prec(left) <= 1:
        L = _paren(L)
    if (_prec(right) <= 2 and right[0] != "div") or R.startswith("-"):
        R = _paren(R)
    if L in ("1", "-1"):
        return R if L == "1" else "-" + R
    if R[0].isdigit():
        return rf"{L} \cdot {R}"
    return f"{L} {R}" if L[-1].isalpha() else f"{L}{R}"


def latex(expr: Any, variables: Sequence[str], values: dict[str, float] | None = None) -> str:
    """A formula (parsed, or text in the grammar) as LaTeX, e.g. ``a\\left(1 - a\\right)``;
    with ``values``, those variables are written as their numbers (to show a formula worked out)."""
    if isinstance(expr, str):
        return _latex_cached(expr, tuple(variables), tuple(sorted(values.items())) if values else ())
    return _latex_uncached(expr, variables, values)


@lru_cache(maxsize=4096)
def _latex_cached(expr: str, variables: tuple[str, ...], values: tuple) -> str:
    return _latex_uncached(expr, variables, dict(values))


def _latex_uncached(expr: Any, variables: Sequence[str], values: dict[str, float] | None) -> str:
    try:
        e = parse_expression(expr, variables)
    except FormatError:
        return r"\text{" + re.sub(r"[\\{}$]", "", str(expr)) + "}"
    vals = [None if values is None else values.get(n) for n in e.variables]
    return _latex(e.tree, e.variables, vals)
