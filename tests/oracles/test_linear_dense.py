"""Oracles for the lecture-02 (linear models) and lecture-03 (dense networks) generators: every
step against an independent PyTorch computation in float64 (autograd, torch.nn.functional losses,
torch.optim.SGD, nn.Linear), over ORACLE_SEEDS seeds (default 200)."""

from __future__ import annotations

import math

import pytest

from ..conftest import close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402

from examgen import registry  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


def tensor(x, grad=False):
    return torch.tensor(x, dtype=DT, requires_grad=grad)


def _param_names(d):
    return ["w"] if d == 1 else [f"w{j}" for j in range(1, d + 1)]


def _check_regression_step(v, g, X, w, b, loss, where):
    """Gradients by autograd and the update by torch.optim.SGD, for linreg_step and logreg_step."""
    loss.backward()
    names = _param_names(len(g.w))
    for j, name in enumerate(names):
        close(v[f"d{name}"], w.grad[j].item(), msg=where)
    close(v["db"], b.grad.item(), msg=where)
    torch.optim.SGD([w, b], lr=g.lr).step()
    for j, name in enumerate(names):
        close(v[f"{name}_new"], w[j].item(), msg=where)
    close(v["b_new"], b.item(), msg=where)


# --- lecture 02 ------------------------------------------------------------------------------


def test_linreg_step_matches_mse_loss_autograd_and_sgd():
    halves = set()
    for q, g, v in questions("linreg_step"):
        X, y = tensor(g.x), tensor(g.y)
        w, b = tensor(g.w, grad=True), tensor(g.b, grad=True)
        yhat = X @ w + b
        loss = F.mse_loss(yhat, y, reduction="mean") * (0.5 if g.half else 1.0)
        close(v["yhat"], yhat.detach().numpy(), msg=f"seed {q.seed}")
        close(v["loss"], loss.item(), msg=f"seed {q.seed}")
        _check_regression_step(v, g, X, w, b, loss, f"seed {q.seed}")
        halves.add(g.half)
    assert halves == {True, False}, "both MSE conventions are drawn"


def test_linreg_step_stem_states_the_convention():
    gen = registry.get("linreg_step")
    for seed in range(40):
        q = gen.generate(seed)
        assert ("frac{1}{2N}" in q.stem) == q.givens["half"], f"seed {seed}"
        assert "3 decimals" in q.stem, f"seed {seed}"


def test_logreg_step_matches_binary_cross_entropy_autograd_and_sgd():
    for q, g, v in questions("logreg_step"):
        X, y = tensor(g.x), tensor([float(t) for t in g.y])
        w, b = tensor(g.w, grad=True), tensor(g.b, grad=True)
        z = X @ w + b
        yhat = torch.sigmoid(z)
        loss = F.binary_cross_entropy(yhat, y, reduction="mean")
        close(v["z"], z.detach().numpy(), msg=f"seed {q.seed}")
        close(v["yhat"], yhat.detach().numpy(), msg=f"seed {q.seed}")
        close(v["loss"], loss.item(), msg=f"seed {q.seed}")
        # the same loss from the logits (a second, numerically different route)
        close(v["loss"], F.binary_cross_entropy_with_logits(z, y).item(), msg=f"seed {q.seed}")
        _check_regression_step(v, g, X, w, b, loss, f"seed {q.seed}")


def test_logreg_step_stem_gives_the_sigmoid_values_it_needs():
    """Every |z_i| has its sigmoid and log-sigmoid values in the stem, correctly rounded."""
    for q, g, v in questions("logreg_step"):
        for t in {abs(z) for z in v["z"]}:
            if t == 0:
                assert r"\sigma(0) = 0.5" in q.stem, f"seed {q.seed}"
                continue
            s = 1 / (1 + math.exp(-t))
            t_s = f"{t:g}"
            for text in (rf"\sigma({t_s}) = {s:.4f}".rstrip("0"), rf"\ln \sigma({t_s}) = {math.log(s):.4f}".rstrip("0"),
                         rf"\ln \sigma(-{t_s}) = {math.log(1 - s):.4f}".rstrip("0")):
                assert text in q.stem, (q.seed, text)


def test_softmax_ce_matches_cross_entropy_autograd_and_sgd():
    for q, g, v in questions("softmax_ce"):
        x = tensor(g.x)
        W, b = tensor(g.W, grad=True), tensor(g.b, grad=True)
        z = W @ x + b
        z.retain_grad()
        loss = F.cross_entropy(z[None], torch.tensor([g.true_class - 1]))
        loss.backward()
        close(v["z"], z.detach().numpy(), msg=f"seed {q.seed}")
        close(v["p"], torch.softmax(z, 0).detach().numpy(), msg=f"seed {q.seed}")
        close(v["loss"], loss.item(), msg=f"seed {q.seed}")
        close(v["delta"], z.grad.numpy(), msg=f"seed {q.seed}")
        close(v["dW"], W.grad.numpy(), msg=f"seed {q.seed}")
        close(b.grad.numpy(), z.grad.numpy(), msg=f"seed {q.seed}")  # dL/db = delta, as the prompt says
        torch.optim.SGD([W, b], lr=g.lr).step()
        close(v["W_new"], W.detach().numpy(), msg=f"seed {q.seed}")
        close(v["b_new"], b.detach().numpy(), msg=f"seed {q.seed}")


def test_softmax_ce_stem_gives_the_exponentials_it_needs():
    for q, g, v in questions("softmax_ce"):
        for t in set(v["z"]):
            assert t == int(t) and abs(t) <= 3, f"seed {q.seed}"
            if t != 0:
                assert f"e^{{{int(t)}}} = {math.exp(t):.4f}".rstrip("0") in q.stem, (q.seed, t)


# --- lecture 03 ------------------------------------------------------------------------------


def test_dense_forward_matches_torch_linear_layers():
    depths, layers_asked = set(), set()
    for q, g, v in questions("dense_forward"):
        n_layers = len(g.W)
        a = tensor(g.x)
        with torch.no_grad():
            for i in range(1, n_layers + 1):
                W = tensor(g.W[i - 1])
                lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=DT)
                lin.weight.copy_(W)
                lin.bias.copy_(tensor(g.b[i - 1]))
                z = lin(a)
                close(v[f"z{i}"], z.numpy(), msg=f"seed {q.seed}")
                if i < n_layers:
                    a = torch.sigmoid(z) if g.activations[i - 1] == "sigmoid" else torch.relu(z)
                    close(v[f"a{i}"], a.numpy(), msg=f"seed {q.seed}")
                    if i == g.layer:
                        close(v["node"], a[g.node - 1].item(), msg=f"seed {q.seed}")
                else:
                    p = torch.softmax(z, 0)
                    close(v["yhat"], p.numpy(), msg=f"seed {q.seed}")
                    assert v["pred"] == int(torch.argmax(p)) + 1, f"seed {q.seed}"
                    top2 = torch.topk(p, 2).values
                    assert (top2[0] - top2[1]).item() >= 0.02, (f"seed {q.seed}", "a clear predicted class")
        depths.add(n_layers)
        layers_asked.add(g.layer)
    assert depths == {2, 3} and layers_asked == {1, 2}, "the structure varies"


def test_dense_forward_asked_relu_node_is_alive():
    for q, g, v in questions("dense_forward"):
        if g.activations[g.layer - 1] == "relu":
            assert v["node"] > 0, q.seed


def _shape(v, name):
    return (v[f"{name}_rows"], v[f"{name}_cols"])


def test_vectorized_shapes_match_torch_matmul_and_autograd():
    """The stated shapes make Z = W A + b work in torch, and autograd's gradients have the stated
    shapes of dZ, dW, db and dA (a whole forward pass through every layer, examples as columns, and
    the model's own loss for linear, logistic and softmax regression); nn.Linear's parameter counts."""
    models = set()
    for q, g, v in questions("vectorized_shapes"):
        l, m, n = g.layer, g.m, g.widths
        torch.manual_seed(q.seed)
        A = torch.randn(n[0], m, dtype=DT, requires_grad=True)
        acts, params, zs = [A], [], []
        for k in range(1, len(n)):
            if k == l:  # the layer asked about: built from the answer's shapes
                W = torch.randn(*_shape(v, f"W{l}"), dtype=DT, requires_grad=True)
                b = torch.randn(*_shape(v, f"b{l}"), dtype=DT, requires_grad=True)
                assert tuple(acts[-1].shape) == _shape(v, f"A{l - 1}"), f"seed {q.seed}"
            else:
                W = torch.randn(n[k], n[k - 1], dtype=DT, requires_grad=True)
                b = torch.randn(n[k], 1, dtype=DT, requires_grad=True)
            Z = torch.matmul(W, acts[-1]) + b  # broadcasting b over the m columns
            Z.retain_grad()
            params.append((W, b))
            zs.append(Z)
            Ak = torch.relu(Z) if k < len(n) - 1 else Z
            if k < len(n) - 1:
                Ak.retain_grad()
            acts.append(Ak)
        assert tuple(zs[l - 1].shape) == _shape(v, f"Z{l}"), f"seed {q.seed}"
        assert tuple(acts[l].shape) == _shape(v, f"A{l}"), f"seed {q.seed}"
        out = acts[-1]
        if g.model == "linear_regression":  # J: the mean of the m examples' losses
            loss = F.mse_loss(out, torch.randn(1, m, dtype=DT))
        elif g.model == "logistic_regression":
            loss = F.binary_cross_entropy_with_logits(out, torch.randint(0, 2, (1, m)).to(DT))
        else:
            loss = F.cross_entropy(out.T, torch.randint(0, n[-1], (m,)))
        loss.backward()
        W, b = params[l - 1]
        assert tuple(zs[l - 1].grad.shape) == _shape(v, f"dZ{l}"), f"seed {q.seed}"
        assert tuple(W.grad.shape) == _shape(v, f"dW{l}"), f"seed {q.seed}"
        assert tuple(b.grad.shape) == _shape(v, f"db{l}"), f"seed {q.seed}"
        assert tuple(acts[l - 1].grad.shape) == _shape(v, f"dA{l - 1}"), f"seed {q.seed}"
        # the vectorized backward equations the worked solution names, against autograd
        dZ = zs[l - 1].grad
        close(W.grad.numpy(), (dZ @ acts[l - 1].detach().T).numpy(), 1e-9, msg=f"seed {q.seed}")
        close(b.grad.numpy(), dZ.sum(dim=1, keepdim=True).numpy(), 1e-9, msg=f"seed {q.seed}")
        close(acts[l - 1].grad.numpy(), (W.detach().T @ dZ).numpy(), 1e-9, msg=f"seed {q.seed}")
        # parameter counts: torch.nn.Linear layers of the network's widths
        linears = [torch.nn.Linear(n[k - 1], n[k]) for k in range(1, len(n))]
        assert v[f"params{l}"] == sum(p.numel() for p in linears[l - 1].parameters()), q.seed
        if len(n) > 2:
            assert v["params_total"] == sum(p.numel() for lin in linears for p in lin.parameters()), q.seed
        else:
            assert "params_total" not in v, f"seed {q.seed}"
        models.add(g.model)
    assert models == {"network", "linear_regression", "logistic_regression", "softmax_regression"}


def test_vectorized_shapes_by_hand():
    """784 inputs, hidden 128, 10 outputs, m = 64, layer 2: written out from the course's layout."""
    gen = registry.get("vectorized_shapes")
    q = gen.build(gen.givens({"m": 64, "widths": [784, 128, 10], "layer": 2}))
    v = {s.name: s.value for s in q.steps}
    assert _shape(v, "A1") == (128, 64)   # one column per example
    assert _shape(v, "W2") == (10, 128)   # n^[2] x n^[1]
    assert _shape(v, "b2") == (10, 1)     # a column, broadcast
    assert _shape(v, "Z2") == (10, 64) and _shape(v, "A2") == (10, 64)
    assert _shape(v, "dZ2") == (10, 64)
    assert _shape(v, "dW2") == (10, 128)  # (10 x 64)(64 x 128)
    assert _shape(v, "db2") == (10, 1)    # summed over the 64 columns
    assert _shape(v, "dA1") == (128, 64)  # (128 x 10)(10 x 64)
