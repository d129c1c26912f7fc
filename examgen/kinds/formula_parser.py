"""Reading formulas: the tokenizer and recursive-descent parser of the expression grammar.

The grammar, its limits and the error messages are described in :mod:`examgen.kinds.formula`;
this module turns text into a tree of tuples (``("add", a, b)``, ``("var", i)``, ``("num", x)``,
``("call", name, arg)`` ...), folding constant sub-formulas as it goes.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import numpy as np

from .parse import FormatError

MAX_DEPTH = 30
MAX_NODES = 200
MAX_EXPONENT = 64

FUNCTIONS = ("exp", "log", "ln", "sqrt", "sigma", "sigmoid", "tanh", "relu")
CONSTANTS = {"e": math.e, "pi": math.pi}

_UNICODE = str.maketrans({
    "\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-",
    "\u00d7": "*", "\u22c5": "*", "\u00b7": "*", "\u2219": "*", "\u2217": "*", "\u00f7": "/",
    "\u03c3": "sigma", "\u00b2": "^2", "\u00b3": "^3",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\t": " ", "\n": " ", "\r": " ",
})
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|[-+*/^()]))")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _relu(x):
    return np.maximum(x, 0.0)


_NUMPY = {"exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt, "sigma": _sigmoid,
          "sigmoid": _sigmoid, "tanh": np.tanh, "relu": _relu}
_CANONICAL = {"ln": "log", "sigmoid": "sigma"}


# --- parsing -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, variables: tuple[str, ...]):
        self.variables = variables
        self.index = {name: i for i, name in enumerate(variables)}
        self.tokens = _tokenize(text)
        self.pos = 0
        self.nodes = 0

    # tokens
    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def node(self, *parts) -> tuple:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormatError(f"the formula is too long (at most {MAX_NODES} operations)")
        return _fold(parts)

    def parse(self) -> tuple:
        if not self.tokens:
            raise FormatError("the answer is empty")
        tree = self.sum(0)
        tok = self.peek()
        if tok is not None:
            if tok == ("op", ")"):
                raise FormatError("a ')' has no matching '('")
            raise FormatError(f"unexpected {_show_token(tok)} after a complete formula")
        return tree

    # grammar
    def sum(self, depth: int) -> tuple:
        if depth > MAX_DEPTH:
            raise FormatError(f"the formula is nested too deeply (at most {MAX_DEPTH} levels)")
        left = self.product(depth)
        while (tok := self.peek()) in (("op", "+"), ("op", "-")):
            self.take()
            right = self.product(depth)
            left = self.node("add" if tok[1] == "+" else "sub", left, right)
        return left

    def product(self, depth: int) -> tuple:
        left = self.unary(depth)
        after_division = False
        while (tok := self.peek()) is not None:
            if tok in (("op", "*"), ("op", "/")):
                self.take()
                right = self.unary(depth)
                left = self.node("mul" if tok[1] == "*" else "div", left, right)
                after_division = tok[1] == "/"
            elif tok[0] == "name" or tok == ("op", "("):
                if after_division:
                    raise FormatError("a product right after '/' is ambiguous: write e.g. (1/2)*x or 1/(2*x)")
                left = self.node("mul", left, self.power(depth))
            elif tok[0] == "num":
                raise FormatError(f"write '*' before the number {_plain(tok[1])} (or check for a missing operator)")
            else:
                break
        return left

    def unary(self, depth: int) -> tuple:
        if depth > MAX_DEPTH:
            raise FormatError(f"the formula is nested too deeply (at most {MAX_DEPTH} levels)")
        tok = self.peek()
        if tok == ("op", "-"):
            self.take()
            return self.node("neg", self.unary(depth + 1))
        if tok == ("op", "+"):
            self.take()
            return self.unary(depth + 1)
        return self.power(depth)

    def power(self, depth: int) -> tuple:
        base = self.atom(depth)
        if self.peek() in (("op", "^"), ("op", "**")):
            self.take()
            exponent = self.unary(depth + 1)
            if exponent[0] == "num" and abs(exponent[1]) > MAX_EXPONENT:
                raise FormatError(f"the exponent {_plain(exponent[1])} is too large (at most {MAX_EXPONENT})")
            return self.node("pow", base, exponent)
        return base

    def atom(self, depth: int) -> tuple:
        tok = self.peek()
        if tok is None:
            raise FormatError("the formula ends too early (a term is missing)")
        kind, val = self.take()
        if kind == "num":
            return self.node("num", val)
        if kind == "name":
            if val in self.index:
                return self.node("var", self.index[val])
            fn = val.lower()
            if fn in _NUMPY:
                if self.peek() != ("op", "("):
                    raise FormatError(f"write {fn}(...) with parentheses around its argument")
                self.take()
                arg = self.sum(depth + 1)
                self.close(fn)
                return self.node("call", _CANONICAL.get(fn, fn), arg)
            if val in CONSTANTS:
                return self.node("num", CONSTANTS[val])
            raise FormatError(_unknown_name(val, self.variables))
        if val == "(":
            inner = self.sum(depth + 1)
            self.close(None)
            return inner
        if val == ")":
            raise FormatError("a term is missing before ')'")
        raise FormatError(f"a term is missing before '{val}'")

    def close(self, fn: str | None) -> None:
        tok = self.peek()
        if tok != ("op", ")"):
            what = f"the '(' of {fn}(" if fn else "a '('"
            raise FormatError(f"{what} is not closed" if tok is None else
                              f"expected ')' to close {what}, got {_show_token(tok)}")
        self.take()


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            rest = text[pos:].lstrip()
            if not rest:
                break
            raise FormatError(_bad_character(rest[0]))
        pos = m.end()
        if m.group("num") is not None:
            if len(m.group("num")) > 30:
                raise FormatError("a number in the formula is too long")
            value = float(m.group("num"))
            if not math.isfinite(value):
                raise FormatError(f"the number {m.group('num')} is too large")
            if tokens and tokens[-1][0] == "num":
                raise FormatError("two numbers in a row: check for a missing operator or a stray point")
            tokens.append(("num", value))
        elif m.group("name") is not None:
            tokens.append(("name", m.group("name")))
        else:
            tokens.append(("op", m.group("op")))
    return tokens


def _bad_character(ch: str) -> str:
    if ch == "=":
        return "write only the formula, without '=' (e.g. a*(1-a), not dL/dz = a*(1-a))"
    if ch == ",":
        return "unexpected ',': write decimals with a point and products with '*'"
    if ch == "'":
        return "unexpected \"'\": write the formula itself (e.g. a*(1-a), not sigma'(z)), without quotes"
    if ch in "[]{}":
        return f"unexpected '{ch}': use round parentheses"
    if ch == ".":
        return "unexpected '.': a point may only appear inside a number"
    return f"unexpected character {ch!r}"


def _unknown_name(name: str, variables: Sequence[str]) -> str:
    allowed = ", ".join(variables) if variables else "no variables"
    msg = f"unknown name '{name}' (the formula may use {allowed}; functions {', '.join(FUNCTIONS)})"
    if len(name) > 1 and all(ch in variables for ch in name):
        msg += f"; for a product write {'*'.join(name)}"
    return msg


def _show_token(tok: tuple[str, Any]) -> str:
    kind, val = tok
    return f"the number {_plain(val)}" if kind == "num" else f"'{val}'"


def _plain(x: float) -> str:
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else f"{x:g}"


# --- constant folding -----------------------------------------------------------------------


def _fold(parts: tuple) -> tuple:
    """Work out an operation on constants now; refuse a constant that is not a finite number."""
    kind = parts[0]
    if kind == "div" and parts[2] == ("num", 0.0):
        raise FormatError("the formula divides by zero")
    if kind in ("num", "var") or not all(p[0] == "num" for p in parts[1:] if isinstance(p, tuple)):
        return parts
    args = [p[1] for p in parts[1:] if isinstance(p, tuple)]
    with np.errstate(all="ignore"):
        value = float(_apply(parts, [np.float64(a) for a in args]))
    if not math.isfinite(value):
        raise FormatError("a constant part of the formula is not a finite number "
                          "(e.g. log(0), sqrt(-1) or a huge power)")
    return ("num", value)


def _apply(node: tuple, args: list):
    kind = node[0]
    if kind == "neg":
        return -args[0]
    if kind == "add":
        return args[0] + args[1]
    if kind == "sub":
        return args[0] - args[1]
    if kind == "mul":
        return args[0] * args[1]
    if kind == "div":
        return args[0] / args[1]
    if kind == "pow":
        return np.power(args[0], args[1])
    if kind == "call":
        return _NUMPY[node[1]](args[0])
    raise AssertionError(kind)


