"""Oracles for the first six generators: every reference solver against an independent PyTorch
computation in float64, over ORACLE_SEEDS seeds (default 200)."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402

from examgen import registry  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


def test_adam_matches_torch_optim_adam():
    for q, g, v in questions("adam"):
        w = torch.tensor([g.w0], dtype=DT, requires_grad=True)
        opt = torch.optim.Adam([w], lr=g.lr, betas=(g.rho1, g.rho2), eps=g.eps)
        for t, grad in enumerate(g.grads, 1):
            w.grad = torch.tensor([grad], dtype=DT)
            opt.step()
            state = opt.state[w]
            close(v[f"m{t}"], state["exp_avg"].item(), msg=f"seed {q.seed}")
            close(v[f"v{t}"], state["exp_avg_sq"].item(), msg=f"seed {q.seed}")
            close(v[f"m_hat{t}"], state["exp_avg"].item() / (1 - g.rho1 ** t), msg=f"seed {q.seed}")
            close(v[f"v_hat{t}"], state["exp_avg_sq"].item() / (1 - g.rho2 ** t), msg=f"seed {q.seed}")
            close(v[f"w{t}"], w.item(), msg=f"seed {q.seed}")


def _batchnorm_cases():
    """Each drawn question (eps = 0), and the same givens with eps = 0.01."""
    gen = registry.get("batchnorm")
    for q, g, v in questions("batchnorm"):
        yield f"seed {q.seed}", g, v
        g2 = g.model_copy(update={"eps": 0.01})
        yield f"seed {q.seed} with eps 0.01", g2, {s.name: s.value for s in gen.build(g2).steps}


def test_batchnorm_matches_torch_batchnorm1d():
    for where, g, v in _batchnorm_cases():
        z = torch.tensor(g.z, dtype=DT)[:, None]
        # PyTorch refuses eps = 0 in training; 1e-300 vanishes next to any variance in float64
        bn = torch.nn.BatchNorm1d(1, eps=g.eps or 1e-300, momentum=g.momentum, dtype=DT)
        with torch.no_grad():
            bn.weight.fill_(g.gamma)
            bn.bias.fill_(g.beta)
            bn.running_mean.fill_(g.running_mean)
            bn.running_var.fill_(g.running_var)
        bn.train()
        out = bn(z).detach()[:, 0]
        close(v["mean"], z.mean().item(), msg=where)
        close(v["var"], z.var(unbiased=False).item(), msg=where)
        close(v["z_hat"], ((out - g.beta) / g.gamma).numpy(), 1e-8, msg=where)
        close(v["z_tilde"], out.numpy(), msg=where)
        close(v["run_mean"], bn.running_mean.item(), msg=where)
        if g.running_var_unbiased:  # PyTorch's own convention
            close(v["run_var"], bn.running_var.item(), msg=where)
        else:  # the population variance in PyTorch's update rule
            close(v["run_var"], (1 - g.momentum) * g.running_var + g.momentum * z.var(unbiased=False).item(), msg=where)
        with torch.no_grad():
            bn.running_var.fill_(v["run_var"])
        bn.eval()
        close(v["y_test"], bn(torch.tensor([[g.x_test]], dtype=DT)).item(), msg=where)


def torch_sweep(vk: torch.Tensor, terminal: torch.Tensor, reward: float, gamma: float) -> torch.Tensor:
    """One synchronous sweep: 'replicate' padding makes a move off the grid stay in place."""
    p = F.pad(vk[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
    neighbours = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]
    new = reward + gamma * 0.25 * neighbours
    return torch.where(terminal, torch.zeros_like(new), new)


def test_bellman_matches_a_torch_sweep():
    for q, g, v in questions("bellman"):
        terminal = torch.zeros(g.rows, g.cols, dtype=torch.bool)
        for r, c in g.terminals:
            terminal[r, c] = True
        vk = torch.zeros(g.rows, g.cols, dtype=DT)
        for k in range(1, g.sweeps + 1):
            vk = torch_sweep(vk, terminal, g.reward, g.gamma)
            if k < g.sweeps:
                close(v[f"v{k}"], vk.numpy(), msg=f"seed {q.seed}")
        close(v[f"v{g.sweeps}_cell"], vk[g.cell[0], g.cell[1]].item(), msg=f"seed {q.seed}")


def test_bellman_course_example_by_hand():
    """The course's grid world: v_1(s[1,1]) = -1 and v_2(s[1,1]) = -2 (4x4, terminal corners)."""
    gen = registry.get("bellman")
    q = gen.build(gen.givens(dict(rows=4, cols=4, terminals=[[0, 0], [3, 3]], gamma=1, sweeps=2, cell=[1, 1])))
    v1 = np.array(q.step("v1").value)
    assert v1[1, 1] == -1.0 and v1[0, 0] == 0 and v1[3, 3] == 0
    assert q.step("v2_cell").value == -2.0
    # a cell next to the terminal corner: -1 + 0.25 (0 - 1 - 1 - 1) = -1.75
    q = gen.build(gen.givens(dict(rows=4, cols=4, terminals=[[0, 0], [3, 3]], gamma=1, sweeps=2, cell=[0, 1])))
    assert q.step("v2_cell").value == -1.75


def test_vae_kl_matches_torch_distributions():
    from torch.distributions import Normal, kl_divergence

    for q, g, v in questions("vae_kl"):
        mu = torch.tensor(g.mu, dtype=DT)
        sigma = torch.tensor(g.sigma, dtype=DT) if g.sigma is not None else torch.exp(0.5 * torch.tensor(g.logvar, dtype=DT))
        kl = kl_divergence(Normal(mu, sigma), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
        close(v["sigma2"], (sigma ** 2).numpy(), msg=f"seed {q.seed}")
        close(v["kl"], kl.numpy(), msg=f"seed {q.seed}")
        close(v["kl_total"], kl.sum().item(), msg=f"seed {q.seed}")
        eps = torch.tensor(g.eps, dtype=DT)
        close(v["z"], (mu + eps * sigma).numpy(), msg=f"seed {q.seed}")
        if g.logvar is not None:
            close(v["sigma"], sigma.numpy(), msg=f"seed {q.seed}")


def test_conv_output_matches_torch_layers():
    for q, g, v in questions("conv_output"):
        x = torch.zeros(1, g.channels, g.height, g.width)
        total = 0
        for i, layer in enumerate(g.layers, 1):
            if layer.type == "conv":
                m = torch.nn.Conv2d(x.shape[1], layer.filters, layer.kernel, stride=layer.stride,
                                    padding=layer.padding, dilation=layer.dilation)
            elif layer.type == "maxpool":
                m = torch.nn.MaxPool2d(layer.kernel, stride=layer.stride, padding=layer.padding)
            else:
                m = torch.nn.AvgPool2d(layer.kernel, stride=layer.stride, padding=layer.padding)
            with torch.no_grad():
                x = m(x)
            n = sum(p.numel() for p in m.parameters())
            total += n
            assert (v[f"c{i}"], v[f"h{i}"], v[f"w{i}"]) == tuple(x.shape[1:]), (q.seed, i)
            assert v[f"params{i}"] == n, f"seed {q.seed}"
        assert v["total_params"] == total, f"seed {q.seed}"


def test_backprop_matches_torch_autograd_and_sgd():
    for q, g, v in questions("backprop"):
        x = torch.tensor(g.x, dtype=DT)
        W1 = torch.tensor(g.W1, dtype=DT, requires_grad=True)
        b1 = torch.tensor(g.b1, dtype=DT, requires_grad=True)
        W2 = torch.tensor(g.W2, dtype=DT, requires_grad=True)
        b2 = torch.tensor(g.b2, dtype=DT, requires_grad=True)
        z1 = W1 @ x + b1
        z1.retain_grad()
        a1 = torch.sigmoid(z1) if g.activation == "sigmoid" else torch.relu(z1)
        z2 = W2 @ a1 + b2
        z2.retain_grad()
        loss = F.cross_entropy(z2[None], torch.tensor([g.target]))
        loss.backward()
        close(v["z1"], z1.detach().numpy(), msg=f"seed {q.seed}")
        close(v["a1"], a1.detach().numpy(), msg=f"seed {q.seed}")
        close(v["z2"], z2.detach().numpy(), msg=f"seed {q.seed}")
        close(v["p"], torch.softmax(z2, 0).detach().numpy(), msg=f"seed {q.seed}")
        close(v["loss"], loss.item(), msg=f"seed {q.seed}")
        close(v["delta2"], z2.grad.numpy(), msg=f"seed {q.seed}")
        close(v["dW2"], W2.grad.numpy(), msg=f"seed {q.seed}")
        close(v["delta1"], z1.grad.numpy(), msg=f"seed {q.seed}")
        close(v["dW1"], W1.grad.numpy(), msg=f"seed {q.seed}")
        opt = torch.optim.SGD([W1, b1, W2, b2], lr=g.lr)
        opt.step()
        close(v["W1_new"], W1.detach().numpy(), msg=f"seed {q.seed}")
        close(v["W2_new"], W2.detach().numpy(), msg=f"seed {q.seed}")
