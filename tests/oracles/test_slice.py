"""Oracles for the first six generators (backprop's is in test_backprop.py): every reference solver
against an independent PyTorch computation in float64, over ORACLE_SEEDS seeds (default 200)."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import SEEDS, close, needs_module, questions

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
    """Each drawn question (eps = 0), the same givens with eps = 0.01, and typed-in batches larger
    than the draws: up to 12 examples of up to 6 features, unrounded values."""
    gen = registry.get("batchnorm")
    for q, g, v in questions("batchnorm"):
        yield f"seed {q.seed}", g, v
        g2 = g.model_copy(update={"eps": 0.01})
        yield f"typed-in givens {g2.model_dump()}", g2, {s.name: s.value for s in gen.build(g2).steps}
    rng = np.random.default_rng(11)
    for _ in range(max(20, len(SEEDS) // 4)):
        n, d = int(rng.integers(2, 13)), int(rng.integers(1, 7))
        per = lambda lo, hi: [float(x) for x in rng.uniform(lo, hi, d)]  # noqa: E731
        givens = dict(z=rng.normal(0, 20, (n, d)).round(3).tolist(), gamma=per(-5, 5), beta=per(-5, 5),
                      eps=float(rng.choice([0, 1e-5, 0.1])), momentum=float(rng.uniform(0.01, 0.99)),
                      running_mean=per(-50, 50), running_var=per(0.1, 500), x_test=per(-50, 50),
                      running_var_unbiased=bool(rng.random() < 0.5))
        g = gen.givens(givens)
        yield f"typed-in givens {g.model_dump()}", g, {s.name: s.value for s in gen.build(g).steps}


def test_batchnorm_matches_torch_batchnorm1d():
    forms = set()
    for where, g, v in _batchnorm_cases():
        d = g.features
        forms.add((g.multi, g.running_var_unbiased))
        z = torch.tensor(g.z, dtype=DT).reshape(len(g.z), d)
        shape = (d,) if g.multi else ()
        # PyTorch refuses eps = 0 in training; 1e-300 vanishes next to any variance in float64
        bn = torch.nn.BatchNorm1d(d, eps=g.eps or 1e-300, momentum=g.momentum, dtype=DT)
        with torch.no_grad():
            bn.weight.copy_(torch.as_tensor(g.gamma, dtype=DT).expand(d))
            bn.bias.copy_(torch.as_tensor(g.beta, dtype=DT).expand(d))
            bn.running_mean.copy_(torch.as_tensor(g.running_mean, dtype=DT).expand(d))
            bn.running_var.copy_(torch.as_tensor(g.running_var, dtype=DT).expand(d))
        bn.train()
        out = bn(z).detach()
        ref = lambda t: t.detach().reshape(shape).numpy()  # noqa: E731  one feature: scalars
        col = lambda t: (t if g.multi else t[:, 0]).detach().numpy()  # noqa: E731
        close(v["mean"], ref(z.mean(0)), msg=where)
        close(v["var"], ref(z.var(0, unbiased=False)), msg=where)
        close(v["z_hat"], col((out - bn.bias) / bn.weight), 1e-8, msg=where)
        close(v["z_tilde"], col(out), msg=where)
        close(v["run_mean"], ref(bn.running_mean), msg=where)
        if g.running_var_unbiased:  # PyTorch's own convention
            close(v["var_unbiased"], ref(z.var(0, unbiased=True)), msg=where)
            close(v["run_var"], ref(bn.running_var), msg=where)
        else:  # the population variance in PyTorch's update rule
            assert "var_unbiased" not in v
            close(v["run_var"], ref((1 - g.momentum) * torch.as_tensor(g.running_var, dtype=DT)
                                    + g.momentum * z.var(0, unbiased=False)), msg=where)
        with torch.no_grad():
            bn.running_var.copy_(torch.as_tensor(v["run_var"], dtype=DT).expand(d))
        bn.eval()
        x = torch.as_tensor(g.x_test, dtype=DT).expand(d)[None]
        y = bn(x).detach()[0]
        close(v["y_test"], ref(y), msg=where)
        close(v["x_hat_test"], ref((y - bn.bias) / bn.weight), 1e-8, msg=where)
    assert forms == {(False, False), (False, True), (True, False), (True, True)}


def _vae_kl_cases():
    """Each drawn question, and typed-in encoders larger than the draws: up to 8 dimensions,
    unrounded sigma (or log-variances) and samples."""
    for q, g, v in questions("vae_kl"):
        yield f"seed {q.seed}", g, v
    rng = np.random.default_rng(13)
    gen = registry.get("vae_kl")
    for i in range(max(20, len(SEEDS) // 4)):
        d = int(rng.integers(1, 9))
        spread = dict(sigma=rng.uniform(0.01, 20, d).tolist()) if i % 2 else dict(logvar=rng.uniform(-20, 20, d).tolist())
        g = gen.givens(dict(mu=rng.normal(0, 5, d).tolist(), eps=rng.normal(0, 1, d).tolist(), **spread))
        yield f"typed-in givens {g.model_dump()}", g, {s.name: s.value for s in gen.build(g).steps}


def test_vae_kl_matches_torch_distributions():
    from torch.distributions import Normal, kl_divergence

    for where, g, v in _vae_kl_cases():
        mu = torch.tensor(g.mu, dtype=DT)
        sigma = torch.tensor(g.sigma, dtype=DT) if g.sigma is not None else torch.exp(0.5 * torch.tensor(g.logvar, dtype=DT))
        kl = kl_divergence(Normal(mu, sigma), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
        close(v["sigma2"], (sigma ** 2).numpy(), msg=where)
        close(v["kl"], kl.numpy(), msg=where)
        close(v["kl_total"], kl.sum().item(), msg=where)
        eps = torch.tensor(g.eps, dtype=DT)
        close(v["z"], (mu + eps * sigma).numpy(), msg=where)
        if g.logvar is not None:
            close(v["sigma"], sigma.numpy(), msg=where)
            assert "logvar" not in v
        else:  # log sigma^2 from the distribution's own log-density: log p(mu) = -log sigma - log(2 pi)/2
            log_var = -2 * (Normal(mu, sigma).log_prob(mu) + 0.5 * np.log(2 * np.pi))
            close(v["logvar"], log_var.numpy(), msg=where)
            assert "sigma" not in v

