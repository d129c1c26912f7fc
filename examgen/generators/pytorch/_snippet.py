"""The snippet's structured description: validation, shapes, the code text, forward values in NumPy."""

import math
from typing import Any

import numpy as np
from pydantic import Field, JsonValue, field_validator, model_validator

from ...registry import Givens
from .._maths import relu, sigmoid

BINARY = ("+", "-", "*", "**")
UNARY = ("relu", "sigmoid")
REDUCE = ("sum", "mean")
MAX_NODES = 20
MAX_DEPTH = 6


def _check_expr(node: Any, depth: int = 0, count: list | None = None) -> None:
    """The expression's form (ops, arity, literals); names are checked against the lines later."""
    count = count if count is not None else [0]
    count[0] += 1
    if count[0] > MAX_NODES or depth > MAX_DEPTH:
        raise ValueError("an expression is too large")
    if isinstance(node, bool):
        raise ValueError("true/false is not a tensor expression")
    if isinstance(node, (int, float)):
        if not (math.isfinite(node) and 0 <= node <= 100):
            raise ValueError(f"numbers in expressions must lie in [0, 100] (use '-' to subtract), got {node}")
        return
    if isinstance(node, str):
        return
    if not isinstance(node, list) or not node or node[0] not in BINARY + UNARY + REDUCE:
        raise ValueError(f"an expression is a number, a name or [op, args...] with op one of "
                         f"{', '.join(BINARY + UNARY + REDUCE)}; got {node!r:.60}")
    op, args = node[0], node[1:]
    want = 2 if op in BINARY else 1
    if len(args) != want:
        raise ValueError(f"'{op}' takes {want} argument{'s' * (want > 1)}, got {len(args)}")
    if op == "**" and args[1] not in (2, 3):
        raise ValueError("'**' is allowed only with the exponent 2 or 3")
    if op in BINARY and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        raise ValueError(f"'{op}' of two numbers: write the number itself")
    for i, a in enumerate(args):
        if op in REDUCE + UNARY or not (op == "**" and i == 1):
            if isinstance(a, list) and a and a[0] in REDUCE:
                raise ValueError("sum/mean may only be the last operation of a line")
        _check_expr(a, depth + 1, count)


def _names(node: Any) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, list):
        return set().union(*(_names(a) for a in node[1:]))
    return set()


class TensorSpec(Givens):
    name: str = Field(pattern=r"^[a-z]$", description="a single lower-case letter")
    value: float | list[float] = Field(description="a number (0-dimensional tensor) or a list of 1-4 numbers")
    requires_grad: bool = True

    @field_validator("value")
    @classmethod
    def _small(cls, v):
        vals = v if isinstance(v, list) else [v]
        if not 1 <= len(vals) <= 4:
            raise ValueError("a tensor has 1 to 4 entries")
        if any(not math.isfinite(x) or abs(x) > 100 for x in vals):
            raise ValueError("tensor entries must be finite numbers in [-100, 100]")
        return v


class Line(Givens):
    name: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,7}$", description="assigned name")
    expr: JsonValue = Field(None, description="the expression assigned to name")
    backward: str | None = Field(None, description="call .backward() on this name")

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.backward is None) == (self.name is None):
            raise ValueError("a line is either {name, expr} (an assignment) or {backward} (a backward() call)")
        if self.name is not None:
            if self.expr is None:
                raise ValueError(f"line '{self.name}' has no expr")
            _check_expr(self.expr)
        elif self.expr is not None:
            raise ValueError("a backward() line has no expr")
        return self


class AutogradGivens(Givens):
    tensors: list[TensorSpec] = Field(min_length=1, max_length=3)
    lines: list[Line] = Field(min_length=2, max_length=8)

    @model_validator(mode="after")
    def _snippet(self):
        _analyse(self)  # raises ValueError with a one-line reason
        return self


def _analyse(g: AutogradGivens) -> dict:
    """Check names, shapes and PyTorch's rules; return shapes and the forward values (NumPy)."""
    leaves = {t.name: t for t in g.tensors}
    if len(leaves) != len(g.tensors):
        raise ValueError("tensor names must differ")
    sizes = {len(t.value) for t in g.tensors if isinstance(t.value, list)}
    if len(sizes) > 1:
        raise ValueError("all 1-dimensional tensors must have the same length")
    grad_leaves = [t.name for t in g.tensors if t.requires_grad]
    if not grad_leaves:
        raise ValueError("at least one tensor must have requires_grad=True")
    values: dict[str, np.ndarray] = {t.name: np.array(t.value, dtype=float) for t in g.tensors}
    kind: dict[str, str] = {n: "leaf" for n in leaves}  # leaf / elementwise / reduced
    deps: dict[str, set[str]] = {n: ({n} if leaves[n].requires_grad else set()) for n in leaves}
    usable = set(leaves)
    used_backward: list[set[str]] = []
    for i, line in enumerate(g.lines, 1):
        if line.name is not None:
            if line.name in kind:
                raise ValueError(f"line {i}: '{line.name}' is assigned twice")
            names = _names(line.expr)
            for n in sorted(names):
                if n not in kind:
                    raise ValueError(f"line {i}: '{n}' is not defined before it is used")
                if n not in usable:
                    raise ValueError(f"line {i}: '{n}' belongs to a graph already freed by backward(); "
                                     "use the tensors or names assigned after it")
                if kind[n] == "reduced":
                    raise ValueError(f"line {i}: '{n}' is a sum/mean; it may only be used for backward()")
            reduced = isinstance(line.expr, list) and line.expr[0] in REDUCE
            with np.errstate(all="ignore"):
                values[line.name] = _forward(line.expr, values)
            v = values[line.name]
            if not np.all(np.isfinite(v)) or np.max(np.abs(v)) > 1e4:
                raise ValueError(f"line {i}: the values of '{line.name}' are too large")
            kind[line.name] = "reduced" if reduced else "elementwise"
            deps[line.name] = set().union(*(deps[n] for n in names)) if names else set()
            usable.add(line.name)
        else:
            n = line.backward
            if n not in kind or kind[n] == "leaf":
                raise ValueError(f"line {i}: backward() needs a name assigned before it, got '{n}'")
            if n not in usable:
                raise ValueError(f"line {i}: '{n}' was already used in a backward(): its graph is freed")
            if values[n].ndim != 0:
                raise ValueError(f"line {i}: backward() needs a scalar (0-dimensional) tensor: "
                                 f"'{n}' has {values[n].size} entries (take .sum() or .mean() first)")
            if not deps[n]:
                raise ValueError(f"line {i}: '{n}' does not depend on a tensor with requires_grad=True")
            if not used_backward and set(grad_leaves) - deps[n]:
                missing = ", ".join(sorted(set(grad_leaves) - deps[n]))
                raise ValueError(f"line {i}: the first backward() must reach every tensor with "
                                 f"requires_grad=True ({missing}.grad would be None)")
            used_backward.append(deps[n])
            usable = set(leaves)
    if not used_backward:
        raise ValueError("the snippet calls no backward()")
    if g.lines[-1].backward is None:
        raise ValueError("the snippet must end with a backward() call")
    return {"values": values, "grad_leaves": grad_leaves, "backwards": len(used_backward)}


def _forward(node: Any, env: dict[str, np.ndarray], sigmoid_args: list | None = None,
             relu_args: list | None = None) -> np.ndarray:
    """Forward values in NumPy (for validation and the stem's table of sigmoid values)."""
    if isinstance(node, (int, float)):
        return np.array(float(node))
    if isinstance(node, str):
        return env[node]
    op, args = node[0], [_forward(a, env, sigmoid_args, relu_args) for a in node[1:]]
    if op == "relu" and relu_args is not None:
        relu_args.append(args[0])
    if op == "sigmoid" and sigmoid_args is not None:
        sigmoid_args.append(args[0])
    if op == "sum":
        return np.array(args[0].sum())
    if op == "mean":
        return np.array(args[0].mean())
    return _apply(op, args)


_PREC = {"+": 1, "-": 1, "*": 2, "**": 4}


def _number_text(x: float) -> str:
    return str(int(x)) if float(x) == int(x) else repr(float(x))


def _code(node: Any) -> tuple[str, int]:
    """Python text of an expression and its precedence (5 = atom)."""
    if isinstance(node, (int, float)):
        return _number_text(node), 5
    if isinstance(node, str):
        return node, 5
    op, args = node[0], node[1:]
    if op in UNARY:
        return f"torch.{op}({_code(args[0])[0]})", 5
    if op in REDUCE:
        text, p = _code(args[0])
        return (text if p >= 5 else f"({text})") + f".{op}()", 5
    (lt, lp), (rt, rp) = _code(args[0]), _code(args[1])
    prec = _PREC[op]
    if op == "**":
        return (lt if lp >= 5 else f"({lt})") + f" ** {rt}", prec
    left = lt if lp >= prec else f"({lt})"
    right = rt if rp > prec or (rp == prec and op in "+*") else f"({rt})"
    return f"{left} {op} {right}", prec


def _tensor_code(t: TensorSpec) -> str:
    v = t.value
    text = f"[{', '.join(f'{float(x)!r}' for x in v)}]" if isinstance(v, list) else f"{float(v)!r}"
    return f"{t.name} = torch.tensor({text}" + (", requires_grad=True)" if t.requires_grad else ")")


def code_lines(g: AutogradGivens) -> list[str]:
    """The snippet as Python lines (without ``import torch``)."""
    out = [_tensor_code(t) for t in g.tensors]
    for line in g.lines:
        out.append(f"{line.backward}.backward()" if line.backward else f"{line.name} = {_code(line.expr)[0]}")
    return out


def _apply(op: str, a: list) -> np.ndarray:
    if op == "+":
        return a[0] + a[1]
    if op == "-":
        return a[0] - a[1]
    if op == "*":
        return a[0] * a[1]
    if op == "**":
        return a[0] ** a[1]
    if op == "relu":
        return relu(a[0])
    if op == "sigmoid":
        return sigmoid(a[0])
    raise AssertionError(op)
