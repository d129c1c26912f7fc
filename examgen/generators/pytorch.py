"""Lecture 04: PyTorch's automatic differentiation -- trace a short snippet, give the ``.grad`` values.

The snippet is part of the givens as a *structured description* (tensors and lines, each line an
expression tree in a few allowed operations), from which the code text is printed. The reference
answers come from running that description with PyTorch, imported only inside the solver, so the
grader (which never re-runs this solver: ``rerun = False``) and ``examgen make`` for other topics
never import torch. The named mistakes are PyTorch runs with one backward rule changed (ReLU's
derivative taken as 1, the mean's 1/n left out, ...), all computed in the same batched run, and
stored with the question.

The description (all names are single lower-case letters for tensors, short names for lines)::

    tensors: [{"name": "a", "value": [1, 2], "requires_grad": true}, {"name": "b", "value": 3}]
    lines:   [{"name": "h", "expr": ["+", ["*", "a", "b"], 1]},     # h = a * b + 1
              {"name": "L", "expr": ["sum", "h"]},                    # L = h.sum()
              {"backward": "L"}]                                      # L.backward()

An expression is a number, a name, or ``[op, args...]`` with op one of ``+ - * **`` (binary;
``**`` only with the exponent 2 or 3), ``relu``, ``sigmoid`` (``torch.relu(u)``,
``torch.sigmoid(u)``), ``sum``, ``mean`` (``u.sum()``, ``u.mean()``, only as the last operation of
a line, whose value may then only be used for ``backward()``). After a ``backward()`` the graph is
freed, so later lines may use only the tensors and the names assigned after it.
"""


import json
import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import Field, JsonValue, field_validator, model_validator

from ..exam import SpecError
from ..fmt import num, plain
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..render.figures import graph
from ..steps import Steps
from ._draw import pick

INSTALL = "pip install 'in5400-examgen[torch]'"


class TorchMissing(SpecError, ImportError):
    """PyTorch is not installed, and a generator that needs it was asked for."""


def _torch():
    try:
        import torch
    except ImportError:
        raise TorchMissing(f"the autograd_trace generator runs PyTorch to compute its answers, and PyTorch "
                           f"is not installed; install it with: {INSTALL} (torch==2.13.0)") from None
    return torch


BINARY = ("+", "-", "*", "**")
UNARY = ("relu", "sigmoid")
REDUCE = ("sum", "mean")
MAX_NODES = 20
MAX_DEPTH = 6


# --- the description: validation, shapes, printing ---------------------------------------------


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


# --- the reference: PyTorch, with every mistake as another row of one batched run -------------

MISTAKES = {
    "relu_derivative_one": "passed the gradient through ReLU where its input is negative: "
                           "ReLU's derivative is 0 there",
    "mean_without_1_over_n": "left out the mean's 1/n: the gradient of u.mean() is 1/n for each entry",
    "sigmoid_derivative": "used sigmoid(u) as the sigmoid's derivative: it is sigmoid(u)(1 - sigmoid(u))",
    "power_rule_factor": "left out the factor k of the power rule: d(u**k)/du = k u**(k-1)",
}
NO_ACCUMULATION = ("no_accumulation", "gave only the last backward()'s gradient: .grad accumulates (adds up) "
                                      "over backward() calls until it is zeroed")


def _ops(g: AutogradGivens) -> set[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, list):
            found.add(node[0])
            for a in node[1:]:
                walk(a)
    for line in g.lines:
        walk(line.expr)
    return found


def run_torch(g: AutogradGivens, mistakes: list[str]) -> list[dict[str, np.ndarray]]:
    """Run the snippet with torch, batched: row 0 is plain PyTorch, row i+1 has ``mistakes[i]``'s
    backward rule. Returns, per backward() call, each requires-grad tensor's .grad (rows x entries)."""
    torch = _torch()
    V = 1 + len(mistakes)
    dt = torch.float64
    masks = {m: torch.tensor([[i == j + 1] for i in range(V)]) for j, m in enumerate(mistakes)}
    env: dict[str, Any] = {}
    leaves = []
    for t in g.tensors:
        vals = t.value if isinstance(t.value, list) else [t.value]
        x = torch.tensor([vals] * V, dtype=dt)  # (rows, entries); a 0-dim tensor has one entry
        if t.requires_grad:
            x.requires_grad_(True)
            leaves.append((t.name, x))
        env[t.name] = x

    def alt(name: str, ref, other):
        """``ref`` in every row but the one simulating mistake ``name``, where ``other`` is used."""
        return torch.where(masks[name], other, ref) if name in masks else ref

    def ev(node):
        if isinstance(node, (int, float)):
            return float(node)
        if isinstance(node, str):
            return env[node]
        op, args = node[0], [ev(a) for a in node[1:]]
        if op == "+":
            return args[0] + args[1]
        if op == "-":
            return args[0] - args[1]
        if op == "*":
            return args[0] * args[1]
        if op == "**":
            u, k = args
            out = u ** k
            # forward u**k, backward u**(k-1): the power rule without its factor k
            return alt("power_rule_factor", out, out / k + (out - out / k).detach())
        if op == "relu":
            u = args[0]
            out = torch.relu(u)
            return alt("relu_derivative_one", out, u + (out - u).detach())
        if op == "sigmoid":
            u = args[0]
            out = torch.sigmoid(u)
            s = out.detach()
            return alt("sigmoid_derivative", out, s * u + (out - s * u).detach())
        u = args[0]
        if not torch.is_tensor(u):
            u = torch.full((V, 1), u, dtype=dt)
        total = u.sum(dim=1, keepdim=True)
        if op == "sum":
            return total
        mean = u.mean(dim=1, keepdim=True)
        return alt("mean_without_1_over_n", mean, total + (mean - total).detach())

    snapshots = []
    for line in g.lines:
        if line.name is not None:
            env[line.name] = ev(line.expr)
        else:
            # every row is its own scalar loss: summing the rows keeps their gradients apart
            env[line.backward].sum().backward()
            snapshots.append({name: x.grad.detach().numpy().copy() for name, x in leaves})
    return snapshots


# --- the generator -----------------------------------------------------------------------------

TEMPLATES = [  # elementwise expressions of the tensors X, Y (and the constant C); k a number
    lambda X, Y, C, k: ["+", ["*", X, Y], k],
    lambda X, Y, C, k: ["**", ["+", X, Y], 2],
    lambda X, Y, C, k: ["*", X, ["**", Y, 2]],
    lambda X, Y, C, k: ["*", ["**", X, 2], Y],
    lambda X, Y, C, k: ["relu", ["-", ["*", X, Y], k]],
    lambda X, Y, C, k: ["*", ["relu", ["-", X, k]], Y],
    lambda X, Y, C, k: ["-", ["*", X, Y], ["**", X, 2]],
    lambda X, Y, C, k: ["*", ["**", ["-", X, Y], 2], k],
    lambda X, Y, C, k: ["sigmoid", ["*", X, Y]],
    lambda X, Y, C, k: ["*", ["sigmoid", X], Y],
    lambda X, Y, C, k: ["+", ["*", X, C], ["**", Y, 2]],
    lambda X, Y, C, k: ["*", ["**", ["-", X, C], 2], Y],
    lambda X, Y, C, k: ["*", ["relu", ["+", X, C]], Y],
]
NEEDS_C = {10, 11, 12}
SIGMOID = {8, 9}
SECOND = [  # the second loss's elementwise expression (only the tensors: the first graph is freed)
    lambda X, Y, k: ["*", X, k],
    lambda X, Y, k: ["**", Y, 2],
    lambda X, Y, k: ["*", X, Y],
    lambda X, Y, k: ["relu", X],
    lambda X, Y, k: ["+", X, Y],
    lambda X, Y, k: ["**", X, 2],
]
NAMES = [("a", "b"), ("x", "w"), ("w", "b"), ("u", "v"), ("p", "q")]
GRAD = Tolerance.places(3)


@generator(id="autograd_trace", topic="pytorch", goal="04.2", version=1,
           title="Trace PyTorch autograd: the .grad of each tensor")
class AutogradTrace(Generator):
    """A 4-8 line snippet (tensors, an elementwise expression, sum/mean, backward, sometimes a
    second loss and backward without zeroing) -> the .grad of each tensor."""

    Givens = AutogradGivens
    needs_torch = True
    rerun = False

    def draw(self, rng):
        while True:
            X, Y = pick(rng, NAMES)
            n = pick(rng, [2, 3, 3])
            ti = int(rng.integers(len(TEMPLATES)))
            sig = ti in SIGMOID
            ints = sig or rng.random() < 0.7
            choices = [-2.0, -1.0, 1.0, 2.0, 3.0] if ints else [-1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0]
            y_scalar = rng.random() < 0.5
            tensors = [{"name": X, "value": [pick(rng, choices) for _ in range(n)]},
                       {"name": Y, "value": pick(rng, choices) if y_scalar else [pick(rng, choices) for _ in range(n)]}]
            if len(set(tensors[0]["value"])) == 1:
                continue  # equal entries: one number computed three times
            C = None
            if ti in NEEDS_C:
                C = "c"
                tensors.append({"name": "c", "value": [pick(rng, [0.0, 1.0, 2.0, -1.0, 0.5]) for _ in range(n)],
                                "requires_grad": False})
            k = float(pick(rng, [1, 2, 0.5] if ti == 0 else [2, 3, 0.5] if ti == 7 else [1, 2, 3]))
            expr = TEMPLATES[ti](X, Y, C, k)
            reduce = "mean" if rng.random() < 0.4 else "sum"
            two = C is None and rng.random() < 0.4
            if two or rng.random() < 0.5:
                lines = [{"name": "L", "expr": [reduce, expr]}]
            else:
                lines = [{"name": "h", "expr": expr}, {"name": "L", "expr": [reduce, "h"]}]
            lines.append({"backward": "L"})
            if two:
                second = pick(rng, SECOND)(X, Y, float(pick(rng, [2, 3])))
                lines += [{"name": "M", "expr": [pick(rng, ["sum", "sum", "mean"]), second]}, {"backward": "M"}]
            try:
                g = AutogradGivens.model_validate({"tensors": tensors, "lines": lines})
            except ValueError:
                continue
            if self._degenerate(g):
                continue
            return g

    @staticmethod
    def _degenerate(g: AutogradGivens) -> bool:
        """Relu inputs at 0 (PyTorch's derivative there is a convention), sigmoid inputs off the
        table, a gradient that is all zero or large."""
        sig, relu = [], []
        grads = _numpy_grads(g, sig, relu)
        if any(np.abs(r).min() < 0.25 for r in relu):
            return True
        if any(np.abs(x).max() > 3 or np.any(x != np.round(x)) for x in sig):
            return True
        last, first = [np.abs(v) for v in grads[-1].values()], [np.abs(v) for v in grads[0].values()]
        return any(v.max() < 1e-9 or v.max() > 60 for v in last) or any(v.max() < 1e-9 for v in first)

    def figure(self, g):
        """The computation graph autograd builds: leaf tensors, one node per operation, and the
        names the snippet assigns (a backward() runs from a loss back along these edges)."""
        column: dict[str, int] = {t.name: 0 for t in g.tensors}
        labels: dict[str, str] = {t.name: f"{t.name} (leaf)" if t.requires_grad else t.name for t in g.tensors}
        edges: list[tuple[str, str]] = []
        counter = [0]

        def visit(node) -> str | None:
            if isinstance(node, str):
                return node
            if not isinstance(node, list):
                return None  # a number: written into its operation's label
            key = f"op{counter[0]}"
            counter[0] += 1
            op, args = node[0], node[1:]
            consts = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
            label = {"sum": ".sum()", "mean": ".mean()"}.get(op, op)
            if consts:
                label = f"{label} {plain(consts[0])}" if op in BINARY else label
            inputs = [k for k in (visit(a) for a in args) if k is not None]
            column[key] = 1 + max((column[k] for k in inputs), default=0)
            labels[key] = label
            edges.extend((k, key) for k in inputs)
            return key

        for line in g.lines:
            if line.name is not None:
                root = visit(line.expr)
                if root is None:
                    continue
                if root.startswith("op"):
                    labels[root] = f"{line.name} = {labels[root]}"
                    column[line.name] = column[root]
                    labels[line.name] = labels[root]
                    # the assigned name stands for the root operation from here on
                    edges[:] = [(line.name if a == root else a, line.name if b == root else b) for a, b in edges]
                    del labels[root], column[root]
                else:  # a plain alias such as h = x
                    column[line.name] = column[root] + 1
                    labels[line.name] = line.name
                    edges.append((root, line.name))
        layers = [[(k, labels[k]) for k in labels if column[k] == c] for c in range(max(column.values()) + 1)]
        return graph([col for col in layers if col], edges)

    def stem(self, g):
        lines = code_lines(g)
        code = "\n".join("    " + c for c in lines)
        grads = [t.name for t in g.tensors if t.requires_grad]
        asked = " and ".join(f"{n}.grad" for n in grads)
        env = {t.name: np.array(t.value, dtype=float) for t in g.tensors}
        sig: list = []
        for line in g.lines:
            if line.name is not None:
                env[line.name] = _forward(line.expr, env, sig)
        table = ""
        if sig:
            args = sorted({round(float(v), 6) for s in sig for v in np.ravel(s)})
            table = (" Use " + ", ".join(rf"$\sigma({num(v)}) = {num(round(1 / (1 + math.exp(-v)), 4))}$"
                                         for v in args) + r" (with $\sigma$ = torch.sigmoid).")
        n_back = sum(1 for line in g.lines if line.backward)
        when = ("after the code has run" if n_back == 1 else
                "right after the first backward() call, and again after the whole snippet has run")
        return (
            "The following PyTorch code is run (after import torch):"
            "\n\n" + code + "\n\n"
            f"What are {asked} {when}? Give each as PyTorch holds it: a number for a "
            "0-dimensional tensor, a vector for a 1-dimensional one, to 3 decimals." + table
        )

    def solve(self, s: Steps, g: AutogradGivens):
        ops = _ops(g)
        applicable = [m for m in MISTAKES if
                      (m == "relu_derivative_one" and "relu" in ops) or
                      (m == "mean_without_1_over_n" and "mean" in ops) or
                      (m == "sigmoid_derivative" and "sigmoid" in ops) or
                      (m == "power_rule_factor" and "**" in ops)]
        snaps = run_torch(g, applicable)
        leaves = {t.name: t for t in g.tensors if t.requires_grad}
        B = len(snaps)

        def value(snap: dict, name: str, row: int):
            v = snap[name][row]
            return float(v[0]) if not isinstance(leaves[name].value, list) else v

        def steps_of(row: int) -> dict[str, Any]:
            out = {}
            for b, snap in enumerate(snaps):
                for name in leaves:
                    out[_step_name(name, b, B)] = value(snap, name, row)
            return out

        reference = steps_of(0)
        stored: dict[str, dict] = {}
        for i, m in enumerate(applicable, 1):
            changed = {k: v for k, v in steps_of(i).items() if _differs(v, reference[k])}
            if changed:
                stored[m] = changed
        if B > 1:
            last = {_step_name(n, B - 1, B): value(snaps[-1], n, 0) - value(snaps[-2], n, 0) for n in leaves}
            changed = {k: v for k, v in last.items() if _differs(v, reference[k])}
            if changed:
                stored[NO_ACCUMULATION[0]] = changed
        active: dict[str, Any] = {}
        for m, vals in stored.items():
            why = NO_ACCUMULATION[1] if m == NO_ACCUMULATION[0] else MISTAKES[m]
            if s.mistake(m, why, values=vals):
                active = vals

        backward_lines = [i for i, line in enumerate(g.lines, len(g.tensors) + 1) if line.backward]
        losses = [line.backward for line in g.lines if line.backward]
        formulas = _formulas(g) if s.describing else {}
        for b in range(B):
            loss = losses[b]
            if B == 1:
                prompt = "Give " + " and ".join(f"{n}.grad" for n in leaves) + " after the code has run."
            elif b == 0:
                prompt = ("Give " + " and ".join(f"{n}.grad" for n in leaves) +
                          f" right after line {backward_lines[0]} ({loss}.backward()).")
            else:
                prompt = ("Give " + " and ".join(f"{n}.grad" for n in leaves) +
                          f" after line {backward_lines[b]} ({loss}.backward()), the end of the snippet.")
            s.part("abcdefgh"[b], prompt)
            for name in leaves:
                key = _step_name(name, b, B)
                val = active.get(key, reference[key])
                s.step(key, val,
                       (lambda name=name, b=b: _formula_text(formulas, name, b, losses,
                                                             isinstance(leaves[name].value, list))),
                       None, label=f"{name}.grad" + (f" after {loss}.backward()" if B > 1 else ""),
                       tol=GRAD, answer=True)


def _step_name(name: str, b: int, B: int) -> str:
    return f"{name}_grad" if B == 1 else f"{name}_grad{b + 1}"


def _differs(a, b) -> bool:
    return bool(np.any(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) > 2e-3))


# --- hand derivations for the worked solution (LaTeX), and NumPy gradients for the checks ---------


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
                sg = 1 / (1 + np.exp(-a[0]))
                back(args[0], upstream * sg * (1 - sg))

        with np.errstate(all="ignore"):
            fwd(expr)
            ones = np.ones(np.broadcast_shapes(*(np.shape(env[n]) for n in _names(expr))))
            back(expr, ones / (ones.size if red == "mean" else 1))
        out.append({k: v.copy() for k, v in grads.items()})
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
        return np.maximum(a[0], 0.0)
    if op == "sigmoid":
        return 1 / (1 + np.exp(-a[0]))
    raise AssertionError(op)


def _unbroadcast(x: np.ndarray, shape: tuple) -> np.ndarray:
    """A gradient summed over the entries a 0-dimensional tensor was broadcast to."""
    x = np.asarray(x, dtype=float)
    if shape == ():
        return np.array(x.sum())
    return np.broadcast_to(x, shape)
