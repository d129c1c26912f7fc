"""Oracles for the lecture-12 (sne, autoencoder, vae_latent) and lecture-14 (discounted_return,
q_learning, epsilon_greedy, value_iteration, reinforce) generators: every step of every question,
over ORACLE_SEEDS seeds (default 200), against an independent computation in PyTorch (float64):
autograd for every gradient, torch.nn modules for parameter counts and layers, torch.optim for the
updates, torch.distributions for entropies, KL divergences and mixtures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ..conftest import SEEDS, close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.distributions import Bernoulli, Categorical, MixtureSameFamily, kl_divergence  # noqa: E402

from examgen import registry  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64
MOVES = ["up", "down", "left", "right"]


def T(x) -> torch.Tensor:
    return torch.tensor(x, dtype=DT)


def test_every_generator_here_is_registered():
    ids = {g.id for g in registry.all_generators()}
    assert {"sne", "autoencoder", "vae_latent", "discounted_return", "q_learning", "epsilon_greedy",
            "value_iteration", "reinforce"} <= ids


# --- lecture 12 -------------------------------------------------------------------------------


def test_sne_matches_torch_softmax_distributions_and_autograd():
    for q, g, v in questions("sne"):
        D, sigma = T(g.d2), T(g.sigma)
        n = len(D)
        eye = torch.eye(n, dtype=torch.bool)
        off = ~eye
        # p_{j|i}: a softmax over j != i of -d^2 / (2 sigma_i^2)
        p_cond = torch.softmax((-D / (2 * sigma[:, None] ** 2)).masked_fill(eye, -math.inf), dim=1)
        close(v["p_cond"], p_cond, msg=f"seed {q.seed}")
        k = g.perp_point - 1
        H = Categorical(probs=p_cond[k][off[k]]).entropy() / math.log(2)  # nats -> bits
        close(v["entropy"], H, msg=f"seed {q.seed}")
        close(v["perplexity"], torch.exp2(H), msg=f"seed {q.seed}")
        P = (p_cond + p_cond.T) / (2 * n)
        close(v["p_joint"], P, msg=f"seed {q.seed}")
        assert abs(P.sum().item() - 1) < 1e-12, f"seed {q.seed}"

        y = T(g.y).requires_grad_(True)
        d2y = ((y[:, None, :] - y[None, :, :]) ** 2).sum(-1)
        # symmetric SNE: one softmax over all ordered pairs k != l
        q_sne = torch.softmax((-d2y).masked_fill(eye, -math.inf).flatten(), 0).reshape(n, n)
        close(v["q_sne"], q_sne, msg=f"seed {q.seed}")
        w = torch.where(off, 1 / (1 + d2y), torch.zeros_like(d2y))
        Q = w / w.sum()
        close(v["q_tsne"], Q, msg=f"seed {q.seed}")
        kl = F.kl_div(Q[off].log(), P[off], reduction="sum")  # sum p (ln p - ln q)
        close(v["kl"], kl, msg=f"seed {q.seed}")
        kl.backward()
        close(v["grad"], y.grad[g.grad_point - 1], msg=f"seed {q.seed}")


class TiedDecoderLayer(nn.Module):
    """Uses the encoder layer's weight transposed; only the bias is its own parameter."""

    def __init__(self, enc: nn.Linear):
        super().__init__()
        self.enc = enc  # shared: Module.parameters() counts it once
        self.bias = nn.Parameter(torch.zeros(enc.in_features, device="meta"))


def test_autoencoder_matches_torch_modules_and_distributions():
    for q, g, v in questions("autoencoder"):
        sizes = g.sizes
        enc = nn.Sequential(*[nn.Linear(a, b, device="meta") for a, b in zip(sizes, sizes[1:])])
        if g.tied:
            dec = nn.Sequential(*[TiedDecoderLayer(layer) for layer in reversed(enc)])
        else:
            back = sizes[::-1]
            dec = nn.Sequential(*[nn.Linear(a, b, device="meta") for a, b in zip(back, back[1:])])
        n_enc = sum(p.numel() for p in enc.parameters())
        n_all = sum(p.numel() for p in nn.Sequential(enc, dec).parameters())
        assert (v["enc_params"], v["dec_params"], v["total_params"]) == (n_enc, n_all - n_enc, n_all), q.seed
        close(v["ratio"], sizes[0] / sizes[-1], msg=f"seed {q.seed}")

        x, x_hat = T(g.x), T(g.x_hat)
        if g.noise == "mask":
            x_tilde = torch.where(T(g.u) < g.nu, torch.zeros_like(x), x)
        else:
            x_tilde = x + g.noise_std * T(g.eps)
        close(v["x_tilde"], x_tilde, msg=f"seed {q.seed}")
        close(v["loss"], F.mse_loss(x_hat, x, reduction="sum"), msg=f"seed {q.seed}")

        rho_hat = T(g.activations).mean(dim=0)
        close(v["rho_hat"], rho_hat, msg=f"seed {q.seed}")
        kl = kl_divergence(Bernoulli(probs=torch.full_like(rho_hat, g.rho)), Bernoulli(probs=rho_hat))
        close(v["kl"], kl, msg=f"seed {q.seed}")
        close(v["omega"], kl.sum(), msg=f"seed {q.seed}")


def _vae_latent_cases():
    """Each drawn question, and typed-in encoders that give log-variances (for one image or both)."""
    for q, g, v in questions("vae_latent"):
        yield f"seed {q.seed}", g, v
    rng = np.random.default_rng(17)
    gen = registry.get("vae_latent")
    for i in range(max(20, len(SEEDS) // 4)):
        d, k = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        spread = {"logvar_a": rng.uniform(-20, 20, d).tolist(),
                  **({"sigma_b": rng.uniform(0.01, 100, d).tolist()} if i % 2 else
                     {"logvar_b": rng.uniform(-20, 20, d).tolist()})}
        g = gen.givens(dict(mu_a=rng.normal(0, 5, d).tolist(), eps_a=rng.normal(0, 1, d).tolist(),
                            mu_b=rng.normal(0, 5, d).tolist(), eps_b=rng.normal(0, 1, d).tolist(),
                            alpha=float(rng.random()), W=rng.normal(0, 2, (k, d)).tolist(),
                            b=rng.normal(0, 2, k).tolist(), **spread))
        yield f"typed-in givens {g.model_dump()}", g, {s.name: s.value for s in gen.build(g).steps}


def test_vae_latent_matches_torch_transforms_lerp_and_linear():
    affine = torch.distributions.transforms.AffineTransform
    for where, g, v in _vae_latent_cases():
        sigma = {}
        for name, given, logvar in (("a", g.sigma_a, g.logvar_a), ("b", g.sigma_b, g.logvar_b)):
            if given is None:  # the standard deviation: the square root of the variance e^{log sigma^2}
                sigma[name] = torch.exp(T(logvar)).sqrt()
                close(v[f"sigma_{name}"], sigma[name], msg=where)
            else:
                sigma[name] = T(given)
                assert f"sigma_{name}" not in v, where
        z_a = affine(loc=T(g.mu_a), scale=sigma["a"])(T(g.eps_a))
        z_b = affine(loc=T(g.mu_b), scale=sigma["b"])(T(g.eps_b))
        close(v["z_a"], z_a, msg=where)
        close(v["z_b"], z_b, msg=where)
        z = torch.lerp(z_a, z_b, g.alpha)
        close(v["z_alpha"], z, msg=where)
        layer = nn.Linear(len(g.mu_a), len(g.b), dtype=DT)
        with torch.no_grad():
            layer.weight.copy_(T(g.W))
            layer.bias.copy_(T(g.b))
            pre = layer(z)
        close(v["pre"], pre, msg=where)
        close(v["h"], F.relu(pre), msg=where)


# --- lecture 14 -------------------------------------------------------------------------------


def named(cases, check) -> None:
    """``check(q, g, v)`` for each case (question, givens, step values), naming the case's seed (or
    its typed-in givens) in a failure."""
    for q, g, v in cases:
        try:
            check(q, g, v)
        except AssertionError as e:
            where = f"seed {q.seed}" if q.seed is not None else f"givens {q.givens}"
            raise AssertionError(f"{q.generator}, {where}: {e}") from None


def torch_returns(rewards, gamma, tail=None) -> torch.Tensor:
    """G_t = sum_k gamma^k R_{t+k} as a matrix product; a constant tail summed term by term."""
    R = T(rewards)
    n = len(R)
    t = torch.arange(n)
    powers = (t[None, :] - t[:, None]).to(DT)
    discount = torch.where(powers >= 0, gamma ** powers.clamp(min=0), torch.zeros_like(powers))
    G = discount @ R
    if tail is not None:
        series = (tail * gamma ** torch.arange(5000, dtype=DT)).sum()  # R_T + gamma R_{T+1} + ...
        G = G + gamma ** (n - t).to(DT) * series
    return G


def test_discounted_return_matches_torch():
    named(questions("discounted_return"), check_discounted_return)


def check_discounted_return(q, g, v):
    G = torch_returns(g.rewards, g.gamma, g.tail)
    n = len(g.rewards)
    for t in range(n):
        close(v[f"G{t}"], G[t], msg=f"seed {q.seed}")
    if g.tail is not None:
        close(v[f"G{n}"], torch_returns([g.tail], g.gamma, g.tail)[0], msg=f"seed {q.seed}")
    if g.states is not None:
        visits = torch.tensor([x == g.estimate for x in g.states])
        close(v["v_hat"], G[visits].mean(), msg=f"seed {q.seed}")


def test_q_learning_matches_sgd_on_the_td_loss_and_the_dqn_loss():
    named(questions("q_learning"), check_q_learning)


def check_q_learning(q, g, v):
    letters = "ABCDEFGH"
    s = [letters.index(x) if x != "T" else None for x in g.states]
    a = [x - 1 for x in g.actions]
    table = T(g.q).requires_grad_(True)
    opt = torch.optim.SGD([table], lr=g.alpha)
    for t in range(2):
        nxt = s[t + 1]
        with torch.no_grad():
            y = torch.tensor(g.rewards[t], dtype=DT)
            if nxt is not None:
                # the max over the next state's actions, a step
                close(v[f"max{t}"], table[nxt].max(), msg=f"seed {q.seed}")
                y = y + g.gamma * table[nxt].max()
            else:
                assert f"max{t}" not in v, (f"seed {q.seed}", "no max after a terminal state")
            delta = y - table[s[t], a[t]]
        close(v[f"y{t}"], y, msg=f"seed {q.seed}")
        close(v[f"delta{t}"], delta, msg=f"seed {q.seed}")
        opt.zero_grad()
        loss = 0.5 * (table[s[t], a[t]] - y) ** 2  # its gradient is -(y - Q): SGD moves Q by alpha * delta
        loss.backward()
        opt.step()
        close(v[f"q{t}"], table[s[t], a[t]], msg=f"seed {q.seed}")

    online, target = T(g.q), T(g.target)
    rows = torch.tensor([x if x is not None else len(g.q) for x in s[1:]])
    done = torch.tensor([x is None for x in s[1:]], dtype=DT)
    y = T(g.rewards) + g.gamma * (1 - done) * target[rows].max(dim=1).values
    close(v["y_dqn"], y, msg=f"seed {q.seed}")
    close(v["loss"], F.mse_loss(online[s[:2], a], y), msg=f"seed {q.seed}")


def test_epsilon_greedy_matches_a_torch_mixture():
    named(questions("epsilon_greedy"), check_epsilon_greedy)


def check_epsilon_greedy(q, g, v):
    values = T(g.q)
    k = len(values)
    if g.epsilon is not None:
        eps = g.epsilon
    else:
        eps = max(g.eps_min, g.eps_start * g.eps_decay ** (g.episode - 1))
        close(v["eps"], eps, msg=f"seed {q.seed}")
    tied = values == values.max()  # the greedy actions: several when they tie
    step = q.step("greedy")
    assert {step.value, *(step.alternatives or [])} == {g.names[i] for i in torch.nonzero(tied)[:, 0]}, f"seed {q.seed}"
    # with probability eps a uniform action, otherwise the greedy one (a tie broken uniformly)
    mix = Categorical(probs=T([eps, 1 - eps]))
    uniform, greedy_only = torch.full((k,), 1 / k, dtype=DT), tied.to(DT) / tied.sum()
    comp = Categorical(probs=torch.stack([uniform, greedy_only]))
    policy = MixtureSameFamily(mix, comp)
    probs = policy.log_prob(torch.arange(k)).exp()
    close(v["probs"], probs, msg=f"seed {q.seed}")
    close(v["p_explore"], probs[~tied].sum(), msg=f"seed {q.seed}")
    close(v["expected"], (probs * values).sum(), msg=f"seed {q.seed}")


def torch_neighbours(a: torch.Tensor) -> torch.Tensor:
    """(4, rows, cols): a at the cell reached by up, down, left, right; 'replicate' padding keeps
    a move off the grid in place."""
    p = F.pad(a[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
    return torch.stack([p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]])


def test_value_iteration_matches_a_torch_sweep_and_argmax():
    def drawn(q, g, v):
        check_value_iteration(q, g, v)
        for r, c in g.cells:  # the draws avoid ties
            assert not q.step(f"pi_{r}_{c}").alternatives, (f"seed {q.seed}", r, c)
    named(questions("value_iteration"), drawn)


def check_value_iteration(q, g, v):
    R = T(g.rewards)
    terminal = torch.zeros(g.rows, g.cols, dtype=torch.bool)
    for r, c in g.terminals:
        terminal[r, c] = True
    vk = torch.zeros(g.rows, g.cols, dtype=DT)
    for k in range(1, g.sweeps + 1):
        backup = torch_neighbours(R) + g.gamma * torch_neighbours(vk)
        vk = torch.where(terminal, torch.zeros_like(vk), backup.max(dim=0).values)
        close(v[f"v{k}"], vk, msg=f"seed {q.seed}")
    backup = torch_neighbours(R) + g.gamma * torch_neighbours(vk)
    for r, c in g.cells:
        q_sa = backup[:, r, c]
        best = {MOVES[i] for i in torch.nonzero(q_sa >= q_sa.max() - 1e-9)[:, 0]}  # all tied moves
        step = q.step(f"pi_{r}_{c}")
        assert step.value in best and {step.value, *(step.alternatives or [])} == best, (f"seed {q.seed}", r, c)


def test_reinforce_matches_autograd_of_log_softmax_and_sgd_ascent():
    def drawn(q, g, v):
        check_reinforce(q, g, v)
        assert all(abs(x - g.baseline) > 1e-9 for x in v["G"]), \
            f"seed {q.seed}: a return equals the baseline (G_t - b = 0)"
    named(questions("reinforce"), drawn)


def check_reinforce(q, g, v):
    G = torch_returns(g.rewards, g.gamma)
    close(v["G"], G, msg=f"seed {q.seed}")
    X = T(g.features)
    acts = [a - 1 for a in g.actions]
    theta = T(g.theta).requires_grad_(True)
    close(v["h"], X @ theta.detach().T, msg=f"seed {q.seed}")
    close(v["pi"], torch.softmax(X @ theta.detach().T, dim=1), msg=f"seed {q.seed}")
    for t in range(len(acts)):
        logp = torch.log_softmax(theta @ X[t], dim=0)[acts[t]]
        (grad,) = torch.autograd.grad(logp, theta)
        close(v[f"grad{t}"], grad, msg=f"seed {q.seed}")
    for weights, name in ((G, "theta_new"), (G - g.baseline, "theta_base")):
        param = T(g.theta).requires_grad_(True)
        opt = torch.optim.SGD([param], lr=g.alpha, maximize=True)  # gradient ascent on J
        J = sum(weights[t] * torch.log_softmax(param @ X[t], dim=0)[acts[t]] for t in range(len(acts)))
        J.backward()
        opt.step()
        close(v[name], param.detach(), msg=f"seed {q.seed}")


# --- the reference solvers agree with the course's own numbers ---------------------------------


def test_course_formulas_spot_checks():
    """G_t = sum gamma^k R_{t+k}; y = r + gamma max_a' Q(s', a'); greedy action 1 - eps + eps/|A|."""
    q = registry.get("discounted_return").build(
        registry.get("discounted_return").givens({"rewards": [1, 0, 2], "gamma": 0.5}))
    assert q.step("G0").value == pytest.approx(1 + 0.5 * 0 + 0.25 * 2)
    q = registry.get("epsilon_greedy").build(registry.get("epsilon_greedy").givens({"q": [1, 3, 2, 0], "epsilon": 0.2}))
    assert q.step("probs").value == pytest.approx([0.05, 0.85, 0.05, 0.05])
