"""Trace PyTorch autograd: the .grad of each tensor."""

from typing import Any

import numpy as np

from ...fmt import num, plain
from ...model import Tolerance
from ...registry import Generator, generator
from ...render.figures import graph
from ...steps import CommonMistake, Steps
from .._draw import pick
from .._maths import sigmoid
from ._derivations import _formula_text, _formulas, _numpy_grads
from ._snippet import BINARY, AutogradGivens, _forward, code_lines
from ._torch_run import MISTAKES, NO_ACCUMULATION, _ops, run_torch

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


@generator(id="autograd_trace", topic="pytorch", goal="04.2", version=2,
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
        sig, rectified = [], []
        grads = _numpy_grads(g, sig, rectified)
        if any(np.abs(r).min() < 0.25 for r in rectified):
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
            table = (" Use " + ", ".join(rf"$\sigma({num(v)}) = {num(round(float(sigmoid(v)), 4))}$"
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
            if (s.mistake(why, values=vals) if isinstance(why, CommonMistake) else s.mistake(m, why, values=vals)):
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
            s.part(prompt)
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
