"""Oracles for the derivation generators: every reference formula against PyTorch autograd (float64)
at random points, and every numeric step against autograd / torch.nn.functional / torch.optim on
the question's own numbers, over ORACLE_SEEDS seeds (default 200)."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402

from examgen.kinds.formula import evaluate  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


def t(x, grad=False):
    return torch.tensor(float(x), dtype=DT, requires_grad=grad)


ACT = {"identity": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def loss_fn(loss, a, y):
    if loss == "half_squared":
        return 0.5 * (a - y) ** 2
    if loss == "squared":
        return (a - y) ** 2
    return F.binary_cross_entropy(a.reshape(1), y.reshape(1))  # -y log a - (1 - y) log(1 - a)


def test_derive_formulas_match_autograd_at_random_points():
    rng = np.random.default_rng(0)
    for q, g, v in questions("derive"):
        for _ in range(3):
            a0 = rng.uniform(0.05, 0.95) if g.activation != "identity" else rng.uniform(-2, 2)
            y0 = rng.uniform(0, 1) if g.loss == "cross_entropy" else rng.uniform(-2, 2)
            x0, w0 = rng.uniform(-2, 2), rng.uniform(-2, 2)
            # dL/da with a as the leaf
            a = t(a0, True)
            loss_fn(g.loss, a, t(y0)).backward()
            close(evaluate(v["dL_da"], ["a", "y"], a=a0, y=y0), a.grad.item(), msg=f"seed {q.seed}")
            # da/dz at the z whose activation is a0
            z0 = (a0 if g.activation == "identity" else
                  np.log(a0 / (1 - a0)) if g.activation == "sigmoid" else np.arctanh(a0))
            z = t(z0, True)
            act = ACT[g.activation](z)
            if g.activation != "identity":
                act.backward()
                close(evaluate(v["da_dz"], ["a"], a=act.item()), z.grad.item(), msg=f"seed {q.seed}")
            # dL/dw or dL/db through the whole neuron (and the L2 term), with b chosen to give that z
            w, b = t(w0, True), t(z0 - w0 * x0, True)
            zz = w * x0 + b
            aa = ACT[g.activation](zz)
            alpha = rng.uniform(0.1, 2) if g.l2 else 0.0
            (loss_fn(g.loss, aa, t(y0)) + alpha / 2 * w ** 2).backward()
            want = (w if g.wrt == "w" else b).grad.item()
            at = dict(a=aa.item(), y=y0, x=x0) | (dict(w=w0, alpha=alpha) if g.l2 else {})
            close(evaluate(v[f"dL_d{g.wrt}"], list(at), **at), want, 1e-8, msg=f"seed {q.seed}")


def test_derive_numbers_match_autograd_and_sgd():
    for q, g, v in questions("derive"):
        w, b = t(g.w, True), t(g.b, True)
        z = w * g.x + b
        a = ACT[g.activation](z)
        close(v["z"], z.item(), msg=f"seed {q.seed}")
        # the question's table: the activation rounded to 4 decimals
        close(v["a"], round(a.item(), 4) if g.activation != "identity" else a.item(), msg=f"seed {q.seed}")
        assert abs(v["a"] - a.item()) <= 5e-5, f"seed {q.seed}"
        (loss_fn(g.loss, a, t(g.y)) + g.l2 / 2 * w ** 2).backward()
        p = w if g.wrt == "w" else b
        # the step uses the table value of a; autograd uses the exact one
        exact = p.grad.item()
        assert abs(v["grad"] - exact) <= 1e-3 * max(1.0, abs(exact)), (q.seed, v["grad"], exact)
        # the same formula at the table's a, by autograd with a as a leaf fed the rounded value
        a_leaf = t(v["a"], True)
        loss_fn(g.loss, a_leaf, t(g.y)).backward()
        chain = a_leaf.grad.item() * ({"identity": 1.0, "sigmoid": v["a"] * (1 - v["a"]),
                                        "tanh": 1 - v["a"] ** 2}[g.activation])
        close(v["grad"], chain * (g.x if g.wrt == "w" else 1.0) + g.l2 * g.w, 1e-8, msg=f"seed {q.seed}")
        # one SGD step with that gradient
        param = torch.tensor([g.w if g.wrt == "w" else g.b], dtype=DT, requires_grad=True)
        opt = torch.optim.SGD([param], lr=g.lr)
        param.grad = torch.tensor([v["grad"]], dtype=DT)
        opt.step()
        close(v[f"{g.wrt}_new"], param.item(), msg=f"seed {q.seed}")


def test_softmax_formulas_match_autograd_at_random_points():
    rng = np.random.default_rng(1)
    for q, g, v in questions("derive_softmax"):
        tt, k = g.target - 1, g.other - 1
        names = [f"p{g.target}", f"p{g.other}"]
        for _ in range(3):
            z = torch.tensor(rng.uniform(-2, 2, size=len(g.z)), dtype=DT, requires_grad=True)
            p = torch.softmax(z, 0)
            J = torch.autograd.functional.jacobian(lambda u: torch.softmax(u, 0), z.detach())
            at = {names[0]: p[tt].item(), names[1]: p[k].item()}
            close(evaluate(v["dp_tt"], names[:1], **{names[0]: p[tt].item()}), J[tt, tt].item(), msg=f"seed {q.seed}")
            close(evaluate(v["dp_tk"], names, **at), J[tt, k].item(), msg=f"seed {q.seed}")
            F.cross_entropy(z[None], torch.tensor([tt])).backward()
            close(evaluate(v["dL_dzt"], names, **at), z.grad[tt].item(), msg=f"seed {q.seed}")
            close(evaluate(v["dL_dzk"], names, **at), z.grad[k].item(), msg=f"seed {q.seed}")


def linear_layer(g, rng):
    """A random W (K x D) with b = z - Wx: a layer that gives the question's scores from its input."""
    x = torch.tensor(g.x, dtype=DT)
    W = torch.tensor(rng.uniform(-1, 1, size=(len(g.z), len(g.x))), dtype=DT, requires_grad=True)
    b = (torch.tensor(g.z, dtype=DT) - W.detach() @ x).requires_grad_()
    return x, W, b


def test_softmax_linear_layer_formulas_match_autograd_at_random_points():
    rng = np.random.default_rng(3)
    seen = 0
    for q, g, v in questions("derive_softmax"):
        if g.x is None:
            continue
        seen += 1
        tt, k = g.target - 1, g.other - 1
        names = [f"p{g.target}", f"p{g.other}", "x1"]
        for _ in range(3):
            x = torch.tensor(rng.uniform(-2, 2, size=len(g.x)), dtype=DT)
            W = torch.tensor(rng.uniform(-1, 1, size=(len(g.z), len(g.x))), dtype=DT, requires_grad=True)
            bias = torch.tensor(rng.uniform(-1, 1, size=len(g.z)), dtype=DT)
            z = W @ x + bias
            p = torch.softmax(z, 0).detach()
            F.cross_entropy(z[None], torch.tensor([tt])).backward()
            at = {names[0]: p[tt].item(), names[1]: p[k].item(), "x1": x[0].item()}
            close(evaluate(v["dL_dWt1"], names, **at), W.grad[tt, 0].item(), msg=f"seed {q.seed}")
            close(evaluate(v["dL_dWk1"], names, **at), W.grad[k, 0].item(), msg=f"seed {q.seed}")
    assert seen >= 20, "too few linear-layer draws to check"


def test_softmax_numbers_match_torch():
    for q, g, v in questions("derive_softmax"):
        z = torch.tensor(g.z, dtype=DT, requires_grad=True)
        loss = F.cross_entropy(z[None], torch.tensor([g.target - 1]))
        loss.backward()
        close(v["p"], torch.softmax(z, 0).detach().numpy(), msg=f"seed {q.seed}")
        close(v["loss"], loss.item(), msg=f"seed {q.seed}")
        close(v["grad"], z.grad.numpy(), msg=f"seed {q.seed}")
        if g.x is not None:  # the same loss through z = Wx + b, differentiated for W and b
            x, W, b = linear_layer(g, np.random.default_rng(q.seed))
            loss = F.cross_entropy((W @ x + b)[None], torch.tensor([g.target - 1]))
            loss.backward()
            close(v["grad_W"], W.grad.numpy(), msg=f"seed {q.seed}")
            close(v["grad_b"], b.grad.numpy(), msg=f"seed {q.seed}")


# --- derive_chain: x -> h = f(w1 x + b1) -> a = g(w2 h + b2) -> L(a, y) ---------------------------
HIDDEN = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def test_derive_chain_formulas_match_autograd_at_random_points():
    rng = np.random.default_rng(2)
    seen = set()
    for q, g, v in questions("derive_chain"):
        seen.add((g.hidden, g.output, g.loss))
        out = ACT[g.output]
        for _ in range(3):
            x0, w2 = rng.uniform(-2, 2), rng.uniform(-2, 2)
            y0 = rng.uniform(0, 1) if g.loss == "cross_entropy" else rng.uniform(-2, 2)
            z1_0 = rng.uniform(0.1, 2) if g.hidden == "relu" else rng.uniform(-2, 2)
            w1 = t(rng.uniform(-2, 2), True)
            b1 = t(z1_0 - w1.item() * x0, True)
            z1 = w1 * x0 + b1
            z1.retain_grad()
            h = HIDDEN[g.hidden](z1)
            h.retain_grad()
            z2 = w2 * h + rng.uniform(-1, 1)
            z2.retain_grad()
            a = out(z2)
            loss_fn(g.loss, a, t(y0)).backward()
            at = {"a": a.item(), "y": y0, "w2": w2, "h": h.item(), "x": x0}
            close(evaluate(v["dL_dz2"], ["a", "y"], a=at["a"], y=y0), z2.grad.item(), 1e-8, msg=f"seed {q.seed}")
            close(evaluate(v["dL_dh"], ["a", "y", "w2"], a=at["a"], y=y0, w2=w2), h.grad.item(), 1e-8,
                  msg=f"seed {q.seed}")
            u = t(z1_0, True)
            close(evaluate(v["dh_dz1"], ["h"], h=at["h"]), torch.autograd.grad(HIDDEN[g.hidden](u), u)[0].item(), 1e-8,
                  msg=f"seed {q.seed}")
            close(evaluate(v["dL_dw1"], list(at), **at), w1.grad.item(), 1e-8, msg=f"seed {q.seed}")
    assert {h for h, *_ in seen} == {"sigmoid", "tanh", "relu"} and {o for _, o, _ in seen} == {"identity", "sigmoid"}


def test_derive_chain_numbers_match_autograd_and_sgd():
    for q, g, v in questions("derive_chain"):
        z1 = g.w1 * g.x + g.b1
        close(v["z1"], z1, msg=f"seed {q.seed}")
        exact_h = HIDDEN[g.hidden](t(z1)).item()
        assert abs(v["h"] - exact_h) <= 5e-5, f"seed {q.seed}"  # the table's value, rounded to 4 decimals
        close(v["z2"], g.w2 * v["h"] + g.b2, msg=f"seed {q.seed}")
        exact_a = ACT[g.output](t(v["z2"])).item()
        assert abs(v["a"] - exact_a) <= 5e-5, f"seed {q.seed}"
        # the gradient at the table's values: autograd with h and a fed the rounded values
        w1 = t(g.w1, True)
        zz1 = w1 * g.x + g.b1
        hh = HIDDEN[g.hidden](zz1)
        hh = hh + (v["h"] - hh.detach())  # the value the table gives, the derivative of the unit
        a = ACT[g.output](g.w2 * hh + g.b2)
        a = a + (v["a"] - a.detach())
        a_leaf_grad = torch.autograd.grad(loss_fn(g.loss, a, t(g.y)), a, retain_graph=True)[0].item()
        dadz2 = {"identity": 1.0, "sigmoid": v["a"] * (1 - v["a"])}[g.output]
        dhdz1 = {"sigmoid": v["h"] * (1 - v["h"]), "tanh": 1 - v["h"] ** 2, "relu": 1.0}[g.hidden]
        close(v["grad"], a_leaf_grad * dadz2 * g.w2 * dhdz1 * g.x, 1e-8, msg=f"seed {q.seed}")
        param = torch.tensor([g.w1], dtype=DT, requires_grad=True)
        opt = torch.optim.SGD([param], lr=g.lr)
        param.grad = torch.tensor([v["grad"]], dtype=DT)
        opt.step()
        close(v["w1_new"], param.item(), msg=f"seed {q.seed}")
