"""Oracles for the lecture-07 generators optimizers, weight_init, activations, normalization_axes
and log_scale_search: every step against an independent computation in float64 (torch.optim,
torch.nn.init, autograd, torch.nn normalisation modules, SciPy), over ORACLE_SEEDS seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ..conftest import close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402

from examgen import registry  # noqa: E402
from examgen.fmt import num  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


# --- optimizers ----------------------------------------------------------------------------------

def _torch_optimizer(g, w):
    """The question's optimizer as torch.optim: the question states PyTorch's conventions
    (momentum v = mu v + g, w -= lr v; eps outside the root; AdaGrad's accumulator starts at 0)."""
    if g.method == "sgd":
        return torch.optim.SGD([w], lr=g.lr, weight_decay=g.weight_decay)
    if g.method == "momentum":
        return torch.optim.SGD([w], lr=g.lr, momentum=g.mu, dampening=0, weight_decay=g.weight_decay)
    if g.method == "rmsprop":
        return torch.optim.RMSprop([w], lr=g.lr, alpha=g.rho, eps=g.eps, weight_decay=g.weight_decay,
                                   momentum=0, centered=False)
    return torch.optim.Adagrad([w], lr=g.lr, lr_decay=0, weight_decay=g.weight_decay, eps=g.eps,
                               initial_accumulator_value=0)


STATE = {"momentum": ("v", "momentum_buffer"), "rmsprop": ("r", "square_avg"), "adagrad": ("G", "sum")}


def _optimizer_cases():
    gen = registry.get("optimizers")
    """(where, givens, step values): each drawn question, then variants of the first 40."""
    for q, g, v in questions("optimizers"):
        yield f"seed {q.seed}", g, v
    # every method with weight decay and with learning-rate decay, and RMSprop/AdaGrad with a large eps
    for q, g, v in questions("optimizers", range(40)):
        for update in ({"weight_decay": 0.3, "lr_decay": 1.0}, {"weight_decay": 0.0, "lr_decay": 0.7, "steps": 3},
                       {"eps": 0.1}):
            g2 = g.model_copy(update=update)
            yield f"seed {q.seed} with {update}", g2, {s.name: s.value for s in gen.build(g2).steps}


def test_optimizers_match_torch_optim():
    for where, g, v in _optimizer_cases():
        a, c = torch.tensor(g.a, dtype=DT), torch.tensor(g.c, dtype=DT)
        w = torch.tensor(g.w0, dtype=DT, requires_grad=True)
        opt = _torch_optimizer(g, w)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=g.lr_decay)
        for t in range(1, g.steps + 1):
            if g.lr_decay != 1 and t > 1:
                close(v[f"lr{t}"], opt.param_groups[0]["lr"], msg=where)
            opt.zero_grad()
            loss = 0.5 * (a * (w - c) ** 2).sum()
            loss.backward()
            # the gradient the update uses: the loss's gradient plus PyTorch's weight-decay term
            close(v[f"g{t}"], (w.grad + g.weight_decay * w.detach()).numpy(), msg=where)
            opt.step()
            sched.step()
            if g.method in STATE:
                name, key = STATE[g.method]
                close(v[f"{name}{t}"], opt.state[w][key].numpy(), msg=where)
            close(v[f"w{t}"], w.detach().numpy(), msg=where)


def test_optimizers_lr_decay_matches_the_closed_form():
    for q, g, v in questions("optimizers"):
        for t in range(2, g.steps + 1):
            if g.lr_decay != 1:
                close(v[f"lr{t}"], g.lr * g.lr_decay ** (t - 1), msg=f"seed {q.seed}")


# --- weight_init ---------------------------------------------------------------------------------

def _weight(g) -> torch.Tensor:
    shape = (g.c_out, g.c_in, g.kernel, g.kernel) if g.layer == "conv" else (g.c_out, g.height * g.width * g.c_in)
    return torch.empty(shape, dtype=DT)


def test_weight_init_matches_torch_nn_init():
    for q, g, v in questions("weight_init"):
        w = _weight(g)
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(w)
        assert (v["fan_in"], v["fan_out"]) == (fan_in, fan_out), q.seed
        he = g.activation in ("relu", "leaky_relu")
        assert v["scheme"] == ("He" if he else "Xavier"), f"seed {q.seed}"
        if he:
            gain = (torch.nn.init.calculate_gain("leaky_relu", g.slope) if g.slope is not None
                    else torch.nn.init.calculate_gain("relu"))
            std = gain / math.sqrt(fan_in)
        else:
            std = math.sqrt(2.0 / (fan_in + fan_out))  # torch.nn.init.xavier_normal_ with gain 1
        close(v["var"], std ** 2, msg=f"seed {q.seed}")
        # the very same draws from the same generator: torch's scale equals the question's
        ours, theirs = torch.empty_like(w), torch.empty_like(w)
        if g.distribution == "normal":
            close(v["std"], std, msg=f"seed {q.seed}")
            ours.normal_(0, v["std"], generator=torch.Generator().manual_seed(q.seed))
            init = torch.nn.init.kaiming_normal_ if he else torch.nn.init.xavier_normal_
        else:
            close(v["bound"], math.sqrt(3) * std, msg=f"seed {q.seed}")
            ours.uniform_(-v["bound"], v["bound"], generator=torch.Generator().manual_seed(q.seed))
            init = torch.nn.init.kaiming_uniform_ if he else torch.nn.init.xavier_uniform_
        kwargs = ({"a": g.slope or 0.0, "mode": "fan_in",
                   "nonlinearity": "leaky_relu" if g.slope is not None else "relu"} if he else {"gain": 1.0})
        init(theirs, generator=torch.Generator().manual_seed(q.seed), **kwargs)
        close(ours.numpy(), theirs.numpy(), 1e-12, msg=f"seed {q.seed}")


@pytest.mark.parametrize("given", [
    dict(layer="conv", c_in=32, c_out=64, kernel=3, activation="relu", distribution="normal"),
    dict(layer="conv", c_in=24, c_out=16, kernel=5, activation="leaky_relu", slope=0.2, distribution="uniform"),
    dict(layer="dense", c_in=16, height=4, width=4, c_out=128, activation="tanh", distribution="normal"),
    dict(layer="dense", c_in=8, height=2, width=2, c_out=64, activation="sigmoid", distribution="uniform"),
])
def test_weight_init_variance_of_torch_samples(given):
    """Statistically: the sample variance (and the largest |w| for uniform) of torch.nn.init on a
    large tensor agree with the question's scale."""
    gen = registry.get("weight_init")
    g = gen.givens(given)
    v = {s.name: s.value for s in gen.build(g).steps}
    w = _weight(g)
    he = g.activation in ("relu", "leaky_relu")
    big = torch.empty((max(2000, w.shape[0]),) + tuple(w.shape[1:]), dtype=DT)  # more filters, same fan-in
    gen_t = torch.Generator().manual_seed(0)
    if he:
        kwargs = {"a": g.slope or 0.0, "nonlinearity": "leaky_relu" if g.slope is not None else "relu",
                  "generator": gen_t}
        (torch.nn.init.kaiming_normal_ if g.distribution == "normal" else torch.nn.init.kaiming_uniform_)(big, **kwargs)
        samples = big
    else:
        # Xavier depends on the fan-out too: sample many tensors of the question's own shape
        samples = torch.stack([(torch.nn.init.xavier_normal_ if g.distribution == "normal"
                                else torch.nn.init.xavier_uniform_)(torch.empty_like(w), generator=gen_t)
                               for _ in range(max(1, 2_000_000 // w.numel()))])
    assert samples.var().item() == pytest.approx(v["var"], rel=0.02)
    if g.distribution == "uniform":
        assert samples.abs().max().item() == pytest.approx(v["bound"], rel=1e-3)
        assert samples.abs().max().item() <= v["bound"]


# --- activations ---------------------------------------------------------------------------------

def _torch_activation(name, g):
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
            "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=g.slope),
            "elu": lambda z: F.elu(z, alpha=g.alpha)}[name]


def test_activations_match_autograd():
    for q, g, v in questions("activations"):
        for name in g.functions:
            f = _torch_activation(name, g)
            z = torch.tensor(g.z, dtype=DT, requires_grad=True)
            y = f(z)
            (grad,) = torch.autograd.grad(y.sum(), z)
            close(v[f"{name}_value"], y.detach().numpy(), msg=f"seed {q.seed}")
            close(v[f"{name}_grad"], grad.numpy(), msg=f"seed {q.seed}")
            # saturation: does autograd's derivative vanish far out on each side?
            far = torch.tensor([30.0, -30.0], dtype=DT, requires_grad=True)
            (d,) = torch.autograd.grad(f(far).sum(), far)
            assert v[f"{name}_sat_pos"] == ("yes" if abs(d[0].item()) < 1e-9 else "no"), (q.seed, name)
            assert v[f"{name}_sat_neg"] == ("yes" if abs(d[1].item()) < 1e-9 else "no"), (q.seed, name)


def test_activations_exp_values_in_the_stem_suffice():
    """With the e^x values printed in the stem (4 decimals), the course's formulas land within
    the 3-decimal tolerance."""
    for q, g, v in questions("activations"):
        for name in g.functions:
            for i, z in enumerate(g.z):
                if name == "sigmoid":
                    s = 1 / (1 + round(math.exp(-z), 4))
                    value, deriv = s, s * (1 - s)
                elif name == "tanh":
                    e = round(math.exp(-2 * z), 4)
                    value = (1 - e) / (1 + e)
                    deriv = 1 - value ** 2
                elif name == "elu" and z < 0:
                    value = g.alpha * (round(math.exp(z), 4) - 1)
                    deriv = value + g.alpha
                else:
                    continue
                assert abs(value - v[f"{name}_value"][i]) <= 1e-3, f"seed {q.seed}"
                assert abs(deriv - v[f"{name}_grad"][i]) <= 1e-3, f"seed {q.seed}"
                # the value used is printed in the stem
                x = -z if name == "sigmoid" else (-2 * z if name == "tanh" else z)
                assert f"= {num(math.exp(x), 4)}$" in q.stem, (q.seed, name, x)


# --- normalization_axes ---------------------------------------------------------------------------

def _torch_norm(focus, c, groups):
    tiny = 1e-300  # PyTorch wants eps > 0; 1e-300 vanishes next to any variance in float64
    if focus == "batch":
        return torch.nn.BatchNorm2d(c, eps=tiny, affine=False, track_running_stats=False, dtype=DT)
    if focus == "instance":
        return torch.nn.InstanceNorm2d(c, eps=tiny, affine=False, dtype=DT)
    if focus == "group":
        return torch.nn.GroupNorm(groups, c, eps=tiny, affine=False, dtype=DT)
    return None


def test_normalization_axes_matches_torch_modules():
    for q, g, v in questions("normalization_axes"):
        x = torch.tensor(g.x, dtype=DT)
        n, c, h, w = x.shape
        dims = {"batch": (0, 2, 3), "layer": (1, 2, 3), "instance": (2, 3)}
        for kind, d in dims.items():
            assert v[f"m_{kind}"] == math.prod(x.shape[i] for i in d), (q.seed, kind)
        var_b, mean_b = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)
        close(v["mean_batch"], mean_b.numpy(), msg=f"seed {q.seed}")
        close(v["var_batch"], var_b.numpy(), msg=f"seed {q.seed}")
        if g.focus == "group":
            grouped = x.reshape(n, g.groups, -1)
            assert v["m_group"] == grouped.shape[-1], f"seed {q.seed}"
            var_f, mean_f = torch.var_mean(grouped, dim=-1, unbiased=False)
        elif g.focus != "batch":
            var_f, mean_f = torch.var_mean(x, dim=dims[g.focus], unbiased=False)
        if g.focus != "batch":
            close(v[f"mean_{g.focus}"], mean_f.numpy(), msg=f"seed {q.seed}")
            close(v[f"var_{g.focus}"], var_f.numpy(), msg=f"seed {q.seed}")
        if g.focus == "layer":
            out = F.layer_norm(x, (c, h, w), eps=1e-300)
            module = torch.nn.LayerNorm((c, h, w), eps=1e-300, elementwise_affine=False, dtype=DT)
            close(module(x).detach().numpy(), out.numpy(), msg=f"seed {q.seed}")
        else:
            module = _torch_norm(g.focus, c, g.groups)
            module.train()
            out = module(x).detach()
        assert np.shape(v["x_hat"]) == tuple(x.shape), f"seed {q.seed}"
        close(v["x_hat"], out.numpy(), msg=f"seed {q.seed}")


# --- log_scale_search -----------------------------------------------------------------------------

def test_log_scale_search_matches_scipy():
    stats = needs_module("scipy.stats")
    for q, g, v in questions("log_scale_search"):
        close(v["log_low"], math.log10(g.low), msg=f"seed {q.seed}")
        close(v["log_high"], math.log10(g.high), msg=f"seed {q.seed}")
        dist = stats.loguniform(g.low, g.high)
        samples = dist.ppf(np.array(g.u))  # the inverse CDF maps a uniform draw to a log-uniform sample
        close(v["samples"], samples, msg=f"seed {q.seed}")
        close(v["exponents"], np.log10(samples), msg=f"seed {q.seed}")
        close(v["p_log"], dist.cdf(g.threshold), msg=f"seed {q.seed}")
        close(v["p_linear"], stats.uniform(loc=g.low, scale=g.high - g.low).cdf(g.threshold), msg=f"seed {q.seed}")
        grid = torch.logspace(math.log10(g.low), math.log10(g.high), g.grid_size, dtype=DT).numpy()
        close(v["grid"], grid, msg=f"seed {q.seed}")
        close(v["ratio"], grid[1] / grid[0], msg=f"seed {q.seed}")
