"""Oracles for the first six generators (backprop's is in test_backprop.py): every reference solver
against an independent PyTorch computation in float64, over ORACLE_SEEDS seeds (default 200)."""

from __future__ import annotations

import pytest

from ..conftest import close, needs_module, questions

torch = needs_module("torch")

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

