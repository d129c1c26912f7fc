"""The reference answers: the snippet run with PyTorch (imported only here), every mistake as another
row of one batched run."""

from typing import Any

import numpy as np

from ...exam import SpecError
from .._mistakes import POWER_RULE_FACTOR
from ._snippet import AutogradGivens

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


MISTAKES = {
    "relu_derivative_one": "passed the gradient through ReLU where its input is negative: "
                           "ReLU's derivative is 0 there",
    "mean_without_1_over_n": "left out the mean's 1/n: the gradient of u.mean() is 1/n for each entry",
    "sigmoid_derivative": "used sigmoid(u) as the sigmoid's derivative: it is sigmoid(u)(1 - sigmoid(u))",
    POWER_RULE_FACTOR.name: POWER_RULE_FACTOR,
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
