"""Hand derivations for the worked solution (LaTeX), and NumPy gradients for the draw's checks."""

import json
import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

from ...fmt import num
from .._maths import sigmoid
from ._snippet import REDUCE, AutogradGivens, Line, TensorSpec, _apply, _names


def _inline(g: AutogradGivens) -> list[tuple[str, Any]]:
    """Each backward()'s loss as (reduction, elementwise expression in the tensors only)."""
    defs: dict[str, Any] = {}
    out = []

    def sub(node):
        if isinstance(node, str) and node in defs:
            return sub(defs[node])
        if isinstance(node, list):
            return [node[0]] + [sub(a) for a in node[1:]]
        return node

    for line in g.lines:
        if line.name is not None:
            defs[line.name] = line.expr
        else:
            expr = defs[line.backward]
            out.append((expr[0], sub(expr[1])) if isinstance(expr, list) and expr[0] in REDUCE
                       else ("sum", sub(expr)))
    return out


def _diff(node: Any, leaf: str) -> Any:
    """d(node)/d(leaf), elementwise, as a tree (None for zero, 1 for one)."""
    if isinstance(node, (int, float)):
        return None
    if isinstance(node, str):
        return 1 if node == leaf else None
    op, args = node[0], node[1:]
    if op in ("+", "-"):
        da, db = _diff(args[0], leaf), _diff(args[1], leaf)
        if db is None:
            return da
        if da is None:
            return db if op == "+" else _mul(-1, db)
        return [op, da, db]
    if op == "*":
        da, db = _diff(args[0], leaf), _diff(args[1], leaf)
        terms = [t for t in (_mul(da, args[1]), _mul(args[0], db)) if t is not None]
        return None if not terms else terms[0] if len(terms) == 1 else ["+", terms[0], terms[1]]
    if op == "**":
        du = _diff(args[0], leaf)
        k = args[1]
        power = args[0] if k == 2 else ["**", args[0], k - 1]
        return _mul(_mul(k, power), du)
    if op == "relu":
        return _mul(["step", args[0]], _diff(args[0], leaf))
    if op == "sigmoid":
        return _mul(["dsig", args[0]], _diff(args[0], leaf))
    raise AssertionError(op)


def _factors(node) -> list:
    return _factors(node[1]) + _factors(node[2]) if isinstance(node, list) and node[0] == "*" else [node]


def _is_number(x) -> bool:
    return isinstance(x, (int, float, Fraction)) and not isinstance(x, bool)


def _mul(a, b):
    """a * b with the numbers multiplied out in front (as a fraction): 2 * (p * q) -> [*, 2, [*, p, q]]."""
    if a is None or b is None:
        return None
    factors = _factors(a) + _factors(b)
    coef = Fraction(math.prod(Fraction(f).limit_denominator(1000) for f in factors if _is_number(f)))
    rest = [f for f in factors if not _is_number(f)]
    if coef == 0:
        return None
    out = rest[0] if rest else coef
    for f in rest[1:]:
        out = ["*", out, f]
    return out if coef == 1 or not rest else ["*", coef, out]


def _tex_number(x) -> str:
    q = Fraction(x).limit_denominator(1000)
    if q.denominator == 1:
        return num(q.numerator)
    return ("-" if q < 0 else "") + rf"\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def _tex(node: Any, vec: set[str]) -> str:
    """LaTeX of a derivative tree; tensors with entries get the index i."""
    if _is_number(node):
        return _tex_number(node)
    if isinstance(node, str):
        return f"{node}_i" if node in vec else node
    op, args = node[0], node[1:]
    if op == "neg":
        inner = args[0]
        text = _tex(inner, vec)
        return "-" + (rf"\left({text}\right)" if isinstance(inner, list) and inner[0] in "+-" else text)
    if op == "step":
        return rf"\mathbb{{1}}[{_tex(args[0], vec)} > 0]"
    if op == "dsig":
        u = _tex(args[0], vec)
        return rf"\sigma({u})\left(1 - \sigma({u})\right)"
    if op == "relu":
        return rf"\mathrm{{ReLU}}({_tex(args[0], vec)})"
    if op == "sigmoid":
        return rf"\sigma({_tex(args[0], vec)})"
    if op == "**":
        base = _tex(args[0], vec)
        return (base if isinstance(args[0], str) else rf"\left({base}\right)") + f"^{{{_tex_number(args[1])}}}"
    if op == "*":
        factors = _factors(node)
        coef = [f for f in factors if _is_number(f)]
        rest = [f for f in factors if not _is_number(f)]
        texts = [rf"\left({_tex(f, vec)}\right)" if isinstance(f, list) and f[0] in ("+", "-", "neg")
                 else _tex(f, vec) for f in rest]
        body = r"\,".join(texts)
        if not coef:
            return body
        c = _tex_number(math.prod(Fraction(f).limit_denominator(1000) for f in coef))
        return ("-" + body if c == "-1" else body if c == "1" else rf"{c}\,{body}") if body else c
    right = _tex(args[1], vec)
    if op == "-" and isinstance(args[1], list) and args[1][0] in ("+", "-"):
        right = rf"\left({right}\right)"
    return f"{_tex(args[0], vec)} {op} {right}"


def _formulas(g: AutogradGivens) -> dict[tuple[str, int], str]:
    """The hand derivation of each backward()'s contribution to each tensor's .grad (LaTeX);
    it depends only on the snippet's structure, so it is cached by that."""
    shape = tuple((t.name, len(t.value) if isinstance(t.value, list) else 0, t.requires_grad) for t in g.tensors)
    return _formulas_of(shape, json.dumps([line.model_dump() for line in g.lines]))


@lru_cache(maxsize=2048)
def _formulas_of(shape: tuple, lines: str) -> dict[tuple[str, int], str]:
    g = AutogradGivens.model_construct(
        tensors=[TensorSpec.model_construct(name=name, value=[0.0] * n if n else 0.0, requires_grad=rg)
                 for name, n, rg in shape],
        lines=[Line.model_construct(**line) for line in json.loads(lines)])
    vec = {t.name for t in g.tensors if isinstance(t.value, list)}
    n = max((len(t.value) for t in g.tensors if isinstance(t.value, list)), default=1)
    out = {}
    for b, (red, expr) in enumerate(_inline(g)):
        size = n if _names(expr) & vec else 1  # entries of the reduced expression
        for t in g.tensors:
            if not t.requires_grad:
                continue
            d = _diff(expr, t.name)
            if red == "mean" and size > 1:
                d = _mul(Fraction(1, size), d)
            if d is None:
                out[t.name, b] = "0"
            elif t.name in vec:
                out[t.name, b] = _tex(d, vec)
            elif _names(d) & vec:  # a 0-dim tensor broadcast over the entries: the gradients add up
                body = _tex(d, vec)
                out[t.name, b] = r"\sum_i " + (rf"\left({body}\right)" if isinstance(d, list) and d[0] in "+-"
                                               else body)
            else:  # the same contribution from each of the entries
                out[t.name, b] = _tex(_mul(size, d) if size > 1 else d, vec)
    return out


def _formula_text(formulas: dict, name: str, b: int, losses: list[str], vector: bool) -> str:
    """``a.grad = dL/da = ...`` (first backward), ``a.grad = dL/da + dM/da = (...) + (...)`` (later)."""
    i = "_i" if vector else ""
    grad = r"\mathrm{" + name + r".grad}" + i
    parts = [formulas.get((name, j), "") for j in range(b + 1)]
    ders = " + ".join(rf"\frac{{\partial {loss}}}{{\partial {name}{i}}}" for loss in losses[:b + 1])
    if b == 0:
        return f"{grad} = {ders} = {parts[0]}"
    return f"{grad} = {ders} = " + " + ".join(rf"\left({p}\right)" for p in parts)


def _numpy_grads(g: AutogradGivens, sigmoid_args: list | None = None,
                 relu_args: list | None = None) -> list[dict[str, np.ndarray]]:
    """The .grad values after each backward(), by reverse mode in NumPy (used to reject
    degenerate draws without running torch); collects the inputs of sigmoid and relu."""
    env = {t.name: np.array(t.value, dtype=float) for t in g.tensors}
    grads = {t.name: np.zeros_like(env[t.name]) for t in g.tensors if t.requires_grad}
    out = []
    for red, expr in _inline(g):
        vals: dict[int, np.ndarray] = {}

        def fwd(node):
            if isinstance(node, (int, float)):
                v = np.array(float(node))
            elif isinstance(node, str):
                v = env[node]
            else:
                args = [fwd(x) for x in node[1:]]
                if node[0] == "sigmoid" and sigmoid_args is not None:
                    sigmoid_args.append(args[0])
                elif node[0] == "relu" and relu_args is not None:
                    relu_args.append(args[0])
                v = _apply(node[0], args)
            vals[id(node)] = v
            return v

        def back(node, upstream):
            if isinstance(node, str):
                if node in grads:
                    grads[node] += _unbroadcast(upstream, grads[node].shape)
                return
            if not isinstance(node, list):
                return
            op, args = node[0], node[1:]
            a = [vals[id(x)] for x in args]
            if op == "+":
                back(args[0], upstream)
                back(args[1], upstream)
            elif op == "-":
                back(args[0], upstream)
                back(args[1], -upstream)
            elif op == "*":
                back(args[0], upstream * a[1])
                back(args[1], upstream * a[0])
            elif op == "**":
                back(args[0], upstream * a[1] * a[0] ** (a[1] - 1))
            elif op == "relu":
                back(args[0], upstream * (a[0] > 0))
            elif op == "sigmoid":
                sg = sigmoid(a[0])
                back(args[0], upstream * sg * (1 - sg))

        with np.errstate(all="ignore"):
            fwd(expr)
            ones = np.ones(np.broadcast_shapes(*(np.shape(env[n]) for n in _names(expr))))
            back(expr, ones / (ones.size if red == "mean" else 1))
        out.append({k: v.copy() for k, v in grads.items()})
    return out


def _unbroadcast(x: np.ndarray, shape: tuple) -> np.ndarray:
    """A gradient summed over the entries a 0-dimensional tensor was broadcast to."""
    x = np.asarray(x, dtype=float)
    if shape == ():
        return np.array(x.sum())
    return np.broadcast_to(x, shape)
