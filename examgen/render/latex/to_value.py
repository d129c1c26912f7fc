"""The formula tree as a number or an array: what a worked line adds up to.

``value(latex)`` evaluates a step's worked numbers the way a reader redoes them by hand;
``sides(latex)`` gives each side of ``a = b = ...`` (the tests check every side against the
step's value). Supported, as the generators write it:

- numbers: ``3``, ``-0.25``, ``1 \\times 10^{-8}``, thousands with thin spaces ``4\\,096``; ``e``;
- ``+ - \\cdot \\times / \\div``, implicit products (``2(1 - p)``, ``0.5 \\log 0.9``), powers,
  ``\\frac \\tfrac \\dfrac``, ``\\sqrt``, ``( )``, ``[ ]``, ``\\left ... \\right``, ``|x|``, floor
  and ceiling brackets;
- functions (of a parenthesised argument list, or of the next factor: ``\\log 0.21``):
  ``\\log \\ln`` (natural), ``\\log_b``, ``\\exp \\tanh``, ``\\sigma`` (logistic), ``\\Phi``
  (standard normal CDF), ReLU (``\\mathrm{ReLU}``), ``\\operatorname{sign}``, softmax
  (``\\operatorname{softmax}``, ``\\mathrm{softmax}``), ``\\max \\min`` (of several arguments:
  entrywise; of one array: its largest entry), ``\\arg\\max`` (1-based, as the course numbers
  classes);
- arrays: ``bmatrix`` as a matrix (a column vector is n x 1); a tuple ``(a, b, c)`` or a
  top-level list ``a,\\ b,\\ c`` as a vector (a list of equal vectors as a matrix); the product
  of two arrays side by side or with ``\\cdot`` is the matrix product, a vector taken as the
  column or row that makes it defined (``W x``; a column times a tuple is an outer product);
  ``\\odot`` is entrywise; ``+ -`` need equal shapes (or a scalar); a power of a vector is
  entrywise.

Refused with :class:`NotComputable` (a clear message, never a guess): letters other than ``e``
(symbols such as ``x``, ``z_i``, ``\\nabla_0``), text other than a function name, relations other
than ``=`` (``<``, ``\\le``), ``\\dots``, sums and limits, accents, a power of a function
(``\\tanh^2``) or of a matrix, shapes that do not fit, and results with no real value (log of a
negative number, division by zero).
"""

from __future__ import annotations

import math
import re

import numpy as np

from .parser import Cursor, LatexError, parse
from .tree import SPACES, Atom, Fenced, Frac, Node, Row, Script, Space, Sqrt, Table

class NotComputable(LatexError):
    """A formula that is not a plain computation (symbols, text, comparisons, unfit shapes...)."""


def _softmax(x):
    x = np.asarray(x, float)
    ex = np.exp(x - x.max())
    return ex / ex.sum()


_phi = np.vectorize(lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2))), otypes=[float])
UNARY = {"log": np.log, "ln": np.log, "exp": np.exp, "tanh": np.tanh, "sign": np.sign,
         "σ": lambda x: 1 / (1 + np.exp(-np.asarray(x, float))), "Φ": _phi,
         "ReLU": lambda x: np.maximum(x, 0.0), "softmax": _softmax}
NARY = {"max", "min", "argmax", "softmax"}  # of several arguments (softmax: or of one vector)
FUNCTION_NAMES = set(UNARY) | NARY | {"arg"}  # "arg" as in \arg\max
OPERATORS = {"+": "+", "−": "−", "·": "·", "×": "·", "/": "/", "÷": "/", "⊙": "⊙", ",": ",", "=": "=",
             "(": "(", ")": ")", "[": "[", "]": "]", "⌈": "⌈", "⌉": "⌉", "⌊": "⌊", "⌋": "⌋", "|": "|"}
CLOSING = {"(": ")", "[": "]", "⌈": "⌉", "⌊": "⌋", "|": "|"}
THIN = SPACES[","]


def _tokens(node: Node, src: str) -> list[tuple]:
    """The items of a row as (kind, payload) tokens: num, op, fn, e, node, sup, sub."""
    items = node.items if isinstance(node, Row) else [node]
    out: list[tuple] = []
    for i, item in enumerate(items):
        if isinstance(item, Space):
            continue
        if isinstance(item, Script):
            out += _tokens(item.base, src) if not isinstance(item.base, Row) else [("node", item.base)]
            out += [("sub", item.sub)] if item.sub is not None else []
            out += [("sup", item.sup)] if item.sup is not None else []
        elif isinstance(item, (Frac, Sqrt, Fenced, Table, Row)):
            out.append(("node", item))
        elif isinstance(item, Atom):
            out += _atom(item, items[i - 1] if i else None, src, out)
        else:
            raise NotComputable(f"'{type(item).__name__.lower()}' is not a computation in: {src[:120]}")
    return out


def _atom(atom: Atom, before: Node | None, src: str, out: list) -> list[tuple]:
    kind, text = atom.kind, atom.text
    if kind == "mn":
        digits = text.lstrip("−")
        if (re.fullmatch(r"\d{3}", text) and isinstance(before, Space) and before.em == THIN
                and out and out[-1][0] == "num" and out[-1][2]):
            _, previous, _ = out.pop()  # 4\,096: a thousands separator
            return [("num", float(f"{previous:.0f}{text}"), True)]
        number = ("num", float(digits), re.fullmatch(r"\d+", digits) is not None)
        return [("op", "−"), number] if text.startswith("−") else [number]
    if kind == "mo" and text in OPERATORS:
        return [("op", OPERATORS[text])]
    if kind == "mi" and text == "e":
        return [("e", math.e)]
    if (kind == "mi" and text in ("σ", "Φ")) or (kind in ("fn", "text") and text.strip() in FUNCTION_NAMES):
        return [("fn", text.strip())]
    what = {"mi": "the symbol", "mo": "the operator", "text": "the text", "fn": "the function",
            "big": "the operator"}[kind]
    raise NotComputable(f"{what} '{text}' is not part of a computation in: {src[:120]}")


class _Evaluator(Cursor):
    def __init__(self, node: Node, src: str):
        self.src = src
        self.tokens = _tokens(node, src)
        self.pos = 0

    def error(self, message: str) -> NotComputable:
        return NotComputable(f"{message} in: {self.src[:120]}")

    def peek(self, kind: str | None = None, *texts: str):
        tok = super().peek()
        if tok is None or kind is None:
            return tok
        return tok if tok[0] == kind and (not texts or tok[1] in texts) else None

    def expect(self, text: str) -> None:
        if not self.peek("op", text):
            raise self.error(f"expected '{text}'")
        self.pos += 1

    def whole(self, parse_fn):
        out = parse_fn()
        if self.peek() is not None:
            raise self.error(f"unexpected '{self.peek()[1]}'")
        return out

    # grammar: sides = list ('=' list)*; list = sum (',' sum)*; sum = term (('+'|'-') term)*;
    # term = factor (('·'|'/'|'⊙')? factor)*; factor = '-' factor | primary ('^' script)*
    def separated(self, item, separator: str) -> list:
        """``item (separator item)*``: the sides of '=', the entries of a list."""
        out = [item()]
        while self.peek("op", separator):
            self.take()
            out.append(item())
        return out

    def sides(self) -> list:
        return self.separated(self.list_, "=")

    def list_(self):
        items = self.comma_sums()
        return items[0] if len(items) == 1 else self.stack(items)

    def stack(self, items: list):
        shapes = {np.shape(v) for v in items}
        if len(shapes) != 1 or len(next(iter(shapes))) > 1:
            raise self.error("a list of entries of different shapes")
        return np.array(items, dtype=float)

    def sum(self):
        out = self.term()
        while (op := self.peek("op", "+", "−")) is not None:
            self.take()
            right = self.term()
            a, b = self.align(out, right)
            out = a + b if op[1] == "+" else a - b
        return out

    def term(self):
        out = self.factor()
        while True:
            if (op := self.peek("op", "·", "/", "⊙")) is not None:
                self.take()
                out = self.product(out, self.factor(), op[1])
            elif self.starts_factor():
                out = self.product(out, self.factor(), "·")
            else:
                return out

    def starts_factor(self) -> bool:
        tok = self.peek()
        return tok is not None and (tok[0] in ("num", "fn", "e", "node") or
                                    (tok[0] == "op" and tok[1] in ("(", "[", "⌈", "⌊")))

    def factor(self):
        if self.peek("op", "−"):
            self.take()
            return -self.factor()
        if self.peek("op", "+"):
            self.take()
            return self.factor()
        out = self.primary()
        while self.peek("sup"):
            out = self.power(out, self.sub_value(self.take()[1]))
        if self.peek("sub"):
            raise self.error("a subscript is not a computation")
        return out

    def primary(self):
        kind, x, *_ = self.take()
        if kind in ("num", "e"):
            return x
        if kind == "fn":
            return self.apply(x)
        if kind == "node":
            return self.node(x)
        if kind == "op" and x in CLOSING:
            inner = self.list_() if x in "([" else self.sum()
            self.expect(CLOSING[x])
            return self.bracket(x, inner)
        raise self.error(f"unexpected '{x}'")

    def bracket(self, opening: str, inner):
        if opening in "([":
            return inner
        return {"⌈": np.ceil, "⌊": np.floor, "|": np.abs}[opening](inner)

    def apply(self, name: str):
        if name == "arg":
            if not self.peek("fn", "max"):
                raise self.error("'arg' without 'max'")
            self.take()
            name = "argmax"
        base = None
        if self.peek("sub"):
            if name not in ("log", "ln"):
                raise self.error(f"a subscript on '{name}' is not a computation")
            base = self.sub_value(self.take()[1])
        if self.peek("sup"):
            raise self.error(f"a power of '{name}' is symbolic")
        args = self.arguments()
        if name in UNARY and len(args) == 1:
            out = UNARY[name](args[0])
            return out / np.log(base) if base is not None else out
        if name in NARY:
            return self.nary(name, args)
        raise self.error(f"'{name}' takes one argument")

    def arguments(self) -> list:
        """A parenthesised argument list, or the next factor (``\\log 0.21``)."""
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "([":
            self.take()
            args = self.comma_sums()
            self.expect(CLOSING[tok[1]])
            return args
        if tok is not None and tok[0] == "node" and isinstance(tok[1], Fenced) and tok[1].open in "([":
            self.take()
            inner = _Evaluator(tok[1].body, self.src)
            return inner.whole(inner.comma_sums)
        return [self.factor()]

    def comma_sums(self) -> list:
        return self.separated(self.sum, ",")

    def nary(self, name: str, args: list):
        if name in ("max", "min") and len(args) > 1:
            out = args[0]
            for a in args[1:]:
                x, y = self.align(out, a)
                out = np.maximum(x, y) if name == "max" else np.minimum(x, y)
            return out
        if len(args) > 1 and any(np.ndim(a) for a in args):
            raise self.error(f"'{name}' of several arrays")
        values = np.array(args, dtype=float) if len(args) > 1 else np.ravel(args[0])
        if name == "softmax":
            return _softmax(values)
        return {"max": np.max, "min": np.min, "argmax": lambda v: float(np.argmax(v) + 1)}[name](values)

    def node(self, node: Node):
        if isinstance(node, Frac):
            return self.product(self.sub_value(node.num), self.sub_value(node.den), "/")
        if isinstance(node, Sqrt):
            body = self.sub_value(node.body)
            return np.sqrt(body) if node.index is None else self.power(body, 1 / self.sub_value(node.index))
        if isinstance(node, Fenced):
            if node.open not in CLOSING or CLOSING[node.open] != node.close:
                raise self.error(f"the brackets '{node.open}...{node.close}' are not a computation")
            inner = _Evaluator(node.body, self.src)
            return self.bracket(node.open, inner.whole(inner.list_ if node.open in "([" else inner.sum))
        if isinstance(node, Table):
            if node.env not in ("bmatrix", "pmatrix", "matrix"):
                raise self.error(f"the environment '{node.env}' is not a computation")
            rows = [[self.sub_value(cell) for cell in row] for row in node.rows]
            if len({len(r) for r in rows}) != 1 or any(np.ndim(c) for r in rows for c in r):
                raise self.error("a matrix with ragged rows or array entries")
            return np.array(rows, dtype=float)
        return self.sub_value(node)  # a {group}

    def sub_value(self, node: Node):
        inner = _Evaluator(node, self.src)
        return inner.whole(inner.sum)

    def power(self, base, exponent):
        if np.ndim(exponent) or np.ndim(base) > 1:
            raise self.error("a power of a matrix, or an array as an exponent")
        return np.power(np.asarray(base, dtype=float), float(exponent))

    def align(self, a, b):
        """Two operands of + - ⊙ /: equal shapes, or a scalar; a 1-d vector meets a column or row."""
        sa, sb = np.shape(a), np.shape(b)
        if not sa or not sb or sa == sb:
            return a, b
        if np.size(a) == np.size(b) and np.squeeze(a).shape == np.squeeze(b).shape and 1 in (len(sa), len(sb)):
            return (np.reshape(a, sb), b) if len(sa) == 1 else (a, np.reshape(b, sa))
        raise self.error(f"shapes {sa} and {sb} do not fit")

    def product(self, a, b, op: str):
        if op == "/" or op == "⊙" or not np.ndim(a) or not np.ndim(b):
            x, y = self.align(a, b) if op != "·" else (a, b)
            return x / y if op == "/" else x * y
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim == 1 and b.ndim == 1:
            raise self.error("two vectors side by side (write one as a row or a column)")
        vector = False  # W x with x a tuple is a vector; a column times a tuple, an outer product
        if b.ndim == 1:
            vector = a.shape[1] == b.size
            b = b[:, None] if vector else b[None, :]
        elif a.ndim == 1:
            vector = b.shape[0] == a.size
            a = a[None, :] if vector else a[:, None]
        if a.shape[1] != b.shape[0]:
            raise self.error(f"a {a.shape} matrix times a {b.shape} matrix")
        return np.ravel(a @ b) if vector else a @ b


def _plain(v):
    return float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float)


def sides(latex: str) -> list:
    """The value of each side of ``a = b = ...`` (one side for a plain computation);
    :class:`NotComputable` for anything that is not a plain computation."""
    evaluator = _Evaluator(parse(latex), latex)
    try:
        with np.errstate(divide="raise", invalid="raise", over="raise", under="ignore"):
            return [_plain(v) for v in evaluator.whole(evaluator.sides)]
    except (FloatingPointError, ZeroDivisionError, OverflowError) as e:
        raise NotComputable(f"no real value ({e}) in: {latex[:120]}") from None


def value(latex: str, rel: float = 1e-9):
    """The number or array a worked line adds up to; the sides of ``a = b`` must agree within
    ``rel`` (relative) or :class:`NotComputable` is raised."""
    first, *others = sides(latex)
    for other in others:
        if np.shape(other) != np.shape(first) or not np.allclose(other, first, rtol=rel, atol=0):
            raise NotComputable(f"the sides of '=' differ ({first} and {other}) in: {latex[:120]}")
    return first
