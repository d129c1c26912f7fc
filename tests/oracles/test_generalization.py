"""Oracles for lecture 08 (generalization): every step of vc_bound, l2_step, dropout and
transfer_params against an independent computation (PyTorch in float64, SciPy, closed forms),
over ORACLE_SEEDS seeds (default 200)."""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
import pytest

from ..conftest import SEEDS, close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402
from scipy.optimize import brentq, linprog  # noqa: E402

from examgen import registry  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


# --- vc_bound ---------------------------------------------------------------------------------


def _separable(points: np.ndarray, labels: np.ndarray) -> bool:
    """Is there (w, w_0) with y_i (w^T x_i + w_0) >= 1 for all i? (an LP feasibility problem)"""
    n, d = points.shape
    a_ub = -labels[:, None] * np.hstack([points, np.ones((n, 1))])
    res = linprog(np.zeros(d + 1), A_ub=a_ub, b_ub=-np.ones(n), bounds=[(None, None)] * (d + 1),
                  method="highs")
    return res.status == 0


@lru_cache(maxsize=None)
def perceptron_vc_dimension(d: int) -> int:
    """The largest k for which some k points tried here are shattered by sign(w^T x + w_0) in R^d:
    the origin and the unit vectors (d + 1 points) are, and random sets of d + 2 points never are."""
    rng = np.random.default_rng(d)
    corners = np.vstack([np.zeros(d), np.eye(d)])
    shattered = all(_separable(corners, np.array(y)) for y in itertools.product([-1.0, 1.0], repeat=d + 1))
    assert shattered
    for _ in range(5):
        pts = rng.normal(size=(d + 2, d))
        labelings = itertools.product([-1.0, 1.0], repeat=d + 2)
        assert not all(_separable(pts, np.array(y)) for y in labelings)
    return d + 1


def _vc_cases():
    """Each drawn question, and typed-in ones beyond the draws: small N (vacuous, epsilon above 1),
    large N and d = 6 (the growth bound no longer a typable integer)."""
    for q, g, v in questions("vc_bound"):
        yield f"seed {q.seed}", g, v
    gen = registry.get("vc_bound")
    rng = np.random.default_rng(19)
    for _ in range(max(20, len(SEEDS) // 4)):
        d, N = int(rng.integers(1, 7)), int(10 ** rng.uniform(1, 7))  # the LP oracle enumerates 2^(d+2) labelings
        eps = float(min(1.0, math.sqrt(8 * 600 / N), rng.uniform(0.01, 1)))  # eps^2 N / 8 stays below 700
        if (d + 1) * math.log10(2 * N) > 250:
            continue
        g = gen.givens(dict(d=d, N=N, eps=eps, delta=float(rng.uniform(0.001, 0.5))))
        yield f"typed-in givens {g.model_dump()}", g, {s.name: s.value for s in gen.build(g).steps}


def test_vc_bound_matches_the_inequality():
    for where, g, v in _vc_cases():
        dvc = perceptron_vc_dimension(g.d)
        assert v["dvc"] == dvc, where
        if isinstance(v["growth"], int):
            assert v["growth"] == (2 * g.N) ** dvc + 1, where  # exact integer arithmetic
        else:  # too large to type as a whole number: a float
            close(v["growth"], float((2 * g.N) ** dvc + 1), msg=where)
        x = torch.tensor(g.eps, dtype=DT) ** 2 * g.N / 8
        close(v["exp_factor"], torch.exp(-x).item(), msg=where)
        # the bound computed in log space: log 4 + log m_H(2N) - eps^2 N / 8
        log_bound = math.log(4) + math.log(v["growth"]) - g.eps ** 2 * g.N / 8
        close(v["bound"], math.exp(log_bound), msg=where)
        assert v["useful"] == ("yes" if log_bound < 0 else "no"), where
        # eps for confidence 1 - delta: plugged back in, the bound equals delta ...
        e = v["eps_conf"]
        close(4 * v["growth"] * math.exp(-e ** 2 * g.N / 8), g.delta, msg=where)
        # ... and it is the root SciPy finds for bound(eps) = delta
        root = brentq(lambda t: math.log(4 * v["growth"]) - t ** 2 * g.N / 8 - math.log(g.delta),
                      0.0, 100.0, xtol=1e-14)
        close(e, root, msg=where)


# --- l2_step ----------------------------------------------------------------------------------


def test_l2_step_matches_torch_autograd_and_sgd_weight_decay():
    for q, g, v in questions("l2_step"):
        X = torch.tensor(g.x, dtype=DT)
        y = torch.tensor(g.y, dtype=DT)
        w = torch.tensor(g.w, dtype=DT, requires_grad=True)
        b = torch.tensor(g.b, dtype=DT, requires_grad=True)
        y_hat = X @ w + b
        data = F.mse_loss(y_hat, y)  # mean over the examples
        coef = g.lam / 2 if g.half else g.lam
        penalty = coef * (w ** 2).sum()
        loss = data + penalty
        close(v["y_hat"], y_hat.detach().numpy() if len(g.y) > 1 else y_hat.item(), msg=f"seed {q.seed}")
        close(v["data_loss"], data.item(), msg=f"seed {q.seed}")
        close(v["penalty"], penalty.item(), msg=f"seed {q.seed}")
        close(v["loss"], loss.item(), msg=f"seed {q.seed}")
        (grad_data_w, grad_data_b) = torch.autograd.grad(data, [w, b], retain_graph=True)
        close(v["grad_data"], grad_data_w.numpy(), msg=f"seed {q.seed}")
        loss.backward()
        close(v["grad_w"], w.grad.numpy(), msg=f"seed {q.seed}")
        close(v["grad_b"], b.grad.item(), msg=f"seed {q.seed}")
        # SGD's weight_decay adds wd * w to the data gradient: wd = 2 lambda for lambda ||w||^2,
        # wd = lambda for (lambda/2) ||w||^2; the bias is in a group without weight decay
        w2 = torch.tensor(g.w, dtype=DT, requires_grad=True)
        b2 = torch.tensor(g.b, dtype=DT, requires_grad=True)
        w2.grad, b2.grad = grad_data_w.clone(), grad_data_b.clone()
        opt = torch.optim.SGD([{"params": [w2], "weight_decay": 2 * coef},
                               {"params": [b2], "weight_decay": 0.0}], lr=g.lr)
        opt.step()
        close(v["w_new"], w2.detach().numpy(), msg=f"seed {q.seed}")
        close(v["b_new"], b2.item(), msg=f"seed {q.seed}")


# --- dropout ----------------------------------------------------------------------------------

DRAWS = 20_000


def test_dropout_matches_torch_dropout():
    for q, g, v in questions("dropout"):
        a = torch.tensor(g.a, dtype=DT)
        mask = torch.tensor(g.mask, dtype=DT)
        n, p = len(g.a), g.keep
        lin = torch.nn.Linear(n, 1, dtype=DT)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([g.w], dtype=DT))
            lin.bias.fill_(g.b)
        drop = torch.nn.Dropout(p=1 - p)  # PyTorch's p is the drop probability
        drop.train()
        torch.manual_seed(q.seed)
        with torch.no_grad():
            out = drop(a.expand(DRAWS, n))
            z = lin(out)[:, 0]
        # a draw in which torch made the question's mask (the activations are nonzero)
        hits = ((out != 0).to(DT) == mask).all(dim=1).nonzero()
        assert len(hits), (q.seed, "torch never drew the mask")
        row = hits[0, 0]
        close(v["h_train"], out[row].numpy(), msg=f"seed {q.seed}")
        close(v["z_train"], z[row].item(), msg=f"seed {q.seed}")
        # E[z] exactly, over all 2^n masks with their probabilities ...
        expected = 0.0
        for m in itertools.product([0.0, 1.0], repeat=n):
            prob = math.prod(p if mi else 1 - p for mi in m)
            expected += prob * (float(np.dot(g.w, np.array(m) * np.array(g.a))) / p + g.b)
        close(v["z_expected"], expected, msg=f"seed {q.seed}")
        # ... and statistically over torch's draws
        assert abs(z.mean().item() - v["z_expected"]) < 5 * z.std().item() / math.sqrt(DRAWS) + 1e-12, f"seed {q.seed}"
        drop.eval()
        with torch.no_grad():
            close(v["z_test"], lin(drop(a)).item(), msg=f"seed {q.seed}")
            # standard dropout: training output m * a = p * (inverted output); test time p * a
            close(v["z_train_std"], lin(out[row] * p).item(), msg=f"seed {q.seed}")
            close(v["z_test_std"], lin(p * a).item(), msg=f"seed {q.seed}")


# --- transfer_params --------------------------------------------------------------------------


def torch_network(g) -> list[torch.nn.Module]:
    """The network for the new task, one module per parameterised layer; the input size of the
    first dense layer is read off a forward pass (global average pooling or flatten)."""
    mods = []
    if g.layers[0].type == "conv":
        x = torch.zeros(1, g.in_channels, 16, 16)
    else:
        x = torch.zeros(1, g.in_channels)
    for i, layer in enumerate(g.layers):
        if layer.type == "conv":
            m = torch.nn.Conv2d(x.shape[1], layer.size, layer.kernel, padding=layer.kernel // 2)
        else:
            if x.dim() == 4:
                pool = torch.nn.AdaptiveAvgPool2d(1 if g.pool == "gap" else g.spatial)
                x = torch.flatten(pool(x), 1)
            out = g.new_classes if i == len(g.layers) - 1 else layer.size
            m = torch.nn.Linear(x.shape[1], out)
        with torch.no_grad():
            x = m(x)
        mods.append(m)
    return mods


def test_transfer_params_match_torch_modules():
    for q, g, v in questions("transfer_params"):
        mods = torch_network(g)
        frozen_layers = len(mods) - g.trained
        for m in mods[:frozen_layers]:
            for prm in m.parameters():
                prm.requires_grad_(False)
        for i, m in enumerate(mods, 1):
            assert v[f"p{i}"] == sum(prm.numel() for prm in m.parameters()), (q.seed, i)
        params = [prm for m in mods for prm in m.parameters()]
        assert v["total"] == sum(prm.numel() for prm in params), f"seed {q.seed}"
        assert v["trainable"] == sum(prm.numel() for prm in params if prm.requires_grad), f"seed {q.seed}"
        assert v["frozen"] == sum(prm.numel() for prm in params if not prm.requires_grad), f"seed {q.seed}"
