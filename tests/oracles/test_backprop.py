"""Oracle for backprop: every step against torch.nn.Linear layers, torch's activations and losses
(F.cross_entropy, F.binary_cross_entropy, F.mse_loss), autograd and torch.optim.SGD in float64 -- over
ORACLE_SEEDS random draws, and over typed-in givens of every combination of depth, hidden activation,
output and loss, with larger layers and numbers than the draws use."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ..conftest import close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402

from examgen import registry, solve  # noqa: E402
from examgen.registry import GivenError  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64
ACT = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}
COMBOS = [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("sigmoid", "half_squared"),
          ("sigmoid", "mean_squared"), ("linear", "half_squared"), ("linear", "mean_squared")]


def torch_loss(g, out):
    """The loss of the network's last pre-activation ``out`` (z^[L]), by torch's own functions."""
    if g.output == "softmax":
        return F.cross_entropy(out[None], torch.tensor([g.target]))
    yhat = torch.sigmoid(out) if g.output == "sigmoid" else out
    y = torch.tensor(g.y, dtype=DT)
    if g.loss == "cross_entropy":
        return F.binary_cross_entropy(yhat, y, reduction="sum")
    if g.loss == "half_squared":
        return 0.5 * F.mse_loss(yhat, y, reduction="sum")
    return F.mse_loss(yhat, y, reduction="mean")  # 1/K sum over the K outputs


def check(g, v, where):
    """Every step of one question against torch."""
    layers = []
    for W, b in g.layers:
        lin = torch.nn.Linear(len(W[0]), len(W), dtype=DT)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W, dtype=DT))
            lin.bias.copy_(torch.tensor(b, dtype=DT))
        layers.append(lin)
    n = len(layers)
    a = torch.tensor(g.x, dtype=DT)
    zs, acts = [], [a]
    for l, lin in enumerate(layers, 1):
        z = lin(acts[-1])
        z.retain_grad()
        zs.append(z)
        if l < n:
            a = ACT[g.activation](z)
            a.retain_grad()
            acts.append(a)
    loss = torch_loss(g, zs[-1])
    loss.backward()
    try:
        for l in range(1, n + 1):
            close(v[f"z{l}"], zs[l - 1].detach().numpy(), msg=where)
            close(v[f"delta{l}"], zs[l - 1].grad.numpy(), msg=where)
            close(v[f"dW{l}"], layers[l - 1].weight.grad.numpy(), msg=where)
            close(v[f"db{l}"], layers[l - 1].bias.grad.numpy(), msg=where)
            if l < n:
                close(v[f"a{l}"], acts[l].detach().numpy(), msg=where)
                close(v[f"da{l}"], acts[l].grad.numpy(), msg=where)  # dL/dh of the hidden layer
        close(v["loss"], loss.item(), msg=where)
        if g.output == "softmax":
            close(v["p"], torch.softmax(zs[-1], 0).detach().numpy(), msg=where)
        elif g.output == "sigmoid":
            yhat = torch.sigmoid(zs[-1].detach()).requires_grad_()
            torch_loss_of_yhat(g, yhat).backward()
            close(v["yhat"], yhat.detach().numpy(), msg=where)
            if g.loss != "cross_entropy":
                close(v["dyhat"], yhat.grad.numpy(), msg=where)
        torch.optim.SGD([p for lin in layers for p in lin.parameters()], lr=g.lr).step()
        for l, lin in enumerate(layers, 1):
            close(v[f"W{l}_new"], lin.weight.detach().numpy(), msg=where)
            close(v[f"b{l}_new"], lin.bias.detach().numpy(), msg=where)
    except AssertionError as e:
        raise AssertionError(f"{where}: {e}") from None
    expected = {f"z{l}" for l in range(1, n + 1)} | {f"a{l}" for l in range(1, n)} | {"loss"} | {
        f"{s}{l}" for l in range(1, n + 1) for s in ("delta", "dW", "db")} | {f"da{l}" for l in range(1, n)} | {
        f"{p}{l}_new" for l in range(1, n + 1) for p in "Wb"} | (
        {"p"} if g.output == "softmax" else {"yhat"} if g.output == "sigmoid" else set()) | (
        {"dyhat"} if g.output == "sigmoid" and g.loss != "cross_entropy" else set())
    assert set(v) == expected, f"{where}: steps {sorted(set(v) ^ expected)} unchecked or missing"


def torch_loss_of_yhat(g, yhat):
    y = torch.tensor(g.y, dtype=DT)
    if g.loss == "cross_entropy":
        return F.binary_cross_entropy(yhat, y, reduction="sum")
    return 0.5 * F.mse_loss(yhat, y, reduction="sum") if g.loss == "half_squared" else F.mse_loss(yhat, y)


def test_backprop_draws_match_torch():
    seen = set()
    for q, g, v in questions("backprop"):
        check(g, v, f"seed {q.seed}")
        seen.add((len(g.layers) - 1, g.activation, g.output, g.loss))
    assert {d for d, *_ in seen} == {1, 2} and {a for _, a, *_ in seen} == {"sigmoid", "relu", "tanh"}
    assert {(o, lo) for *_, o, lo in seen} == set(COMBOS), "every output and loss is drawn"


def typed_in(rng, hidden, act, output, loss):
    """Givens a teacher might type: up to 4 inputs and 4 nodes a layer, two decimals, up to +-3."""
    widths = [int(rng.integers(1, 5)) for _ in range(hidden + 1)]
    widths.append(int(rng.integers(2, 5)) if output == "softmax" else int(rng.integers(1, 4)))
    g = {"x": np.round(rng.uniform(-3, 3, widths[0]), 2).tolist(), "activation": act, "output": output,
         "loss": loss, "lr": float(rng.choice([0.01, 0.05, 0.3, 2.0]))}
    for l, (m, k) in enumerate(zip(widths, widths[1:]), 1):
        g[f"W{l}"] = np.round(rng.uniform(-3, 3, (k, m)), 2).tolist()
        g[f"b{l}"] = np.round(rng.uniform(-3, 3, k), 2).tolist()
    if output == "softmax":
        g["target"] = int(rng.integers(widths[-1]))
    else:
        g["y"] = (rng.integers(0, 2, widths[-1]).astype(float) if loss == "cross_entropy"
                  else np.round(rng.uniform(-5, 5, widths[-1]), 2)).tolist()
    return g


@pytest.mark.parametrize("hidden,act,combo", list(itertools.product((1, 2), ("sigmoid", "relu", "tanh"), COMBOS)),
                         ids=lambda p: "-".join(p) if isinstance(p, tuple) else str(p))
def test_backprop_typed_in_givens_of_every_combination_match_torch(hidden, act, combo):
    rng = np.random.default_rng([hidden, len(act), len(combo[0]), len(combo[1])])
    gen = registry.get("backprop")
    checked = 0
    for _ in range(12):
        given = typed_in(rng, hidden, act, *combo)
        try:
            q = solve("backprop", given)  # through Generator.givens, which validates
        except GivenError as e:  # large scores can saturate a sigmoid output to exactly 0 or 1
            assert "exactly 0 or 1" in str(e)
            continue
        check(gen.Givens.model_validate(q.givens), {s.name: s.value for s in q.steps}, f"typed-in {given}")
        checked += 1
    assert checked >= 10
