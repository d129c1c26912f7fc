"""Lecture 07: training and architectures (ADAM, batch normalisation, ...)."""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par, row
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..steps import Degenerate, Steps
from ._draw import decimal, pick

MOMENT = Tolerance.places(4)
VARIANCE = Tolerance.significant(3)


class AdamGivens(Givens):
    w0: float = Field(ge=-1000, le=1000, description="initial weight")
    grads: list[float] = Field(min_length=1, max_length=5, description="gradients g_1..g_T")
    lr: float = Field(0.1, gt=0, le=10, description="learning rate lambda")
    rho1: float = Field(0.9, gt=0, lt=1)
    rho2: float = Field(0.999, gt=0, lt=1)
    eps: float = Field(1e-8, ge=0, le=1)

    @model_validator(mode="after")
    def _first_gradient_nonzero(self):
        if self.grads[0] == 0 and self.eps == 0:
            raise ValueError("g_1 = 0 with eps = 0 divides by zero")
        return self


@generator(id="adam", topic="training", goal="07.4", version=1, title="ADAM with bias correction")
class Adam(Generator):
    """T = 1-3 ADAM steps on one weight, with the course's bias correction."""

    Givens = AdamGivens

    def draw(self, rng):
        T = pick(rng, [1, 2, 2, 3])
        rho1, rho2 = pick(rng, [(0.9, 0.999)] * 3 + [(0.8, 0.99), (0.5, 0.9), (0.9, 0.99)])
        return AdamGivens(w0=decimal(rng, -2, 2), lr=pick(rng, [0.1, 0.01, 0.05, 0.2, 0.5]),
                          grads=[decimal(rng, -1, 1, nonzero=True) for _ in range(T)],
                          rho1=rho1, rho2=rho2, eps=1e-8)

    def stem(self, g):
        grads = ", ".join(f"g_{t} = {num(x)}" for t, x in enumerate(g.grads, 1))
        return (
            "A single weight $w$ is trained with ADAM with bias correction, as in the course. "
            r"Both moments start at zero, $\mu_{\partial w} = \mathrm{var}_{\partial w} = 0$, and at "
            "iteration $t = 1, 2, \\dots$ with gradient $g_t$:\n\n"
            r"$$\mu_{\partial w} \leftarrow \rho_1 \mu_{\partial w} + (1-\rho_1)\,g_t, \qquad "
            r"\hat\mu_t = \frac{\mu_{\partial w}}{1-\rho_1^t}$$"
            "\n\n"
            r"$$\mathrm{var}_{\partial w} \leftarrow \rho_2 \mathrm{var}_{\partial w} + (1-\rho_2)\,g_t^2, \qquad "
            r"\hat v_t = \frac{\mathrm{var}_{\partial w}}{1-\rho_2^t}$$"
            "\n\n"
            r"$$w \leftarrow w - \lambda \frac{\hat\mu_t}{\sqrt{\hat v_t} + \epsilon}$$"
            "\n\n"
            f"($\\epsilon$ is added outside the square root). Given $w_0 = {num(g.w0)}$, "
            f"$\\lambda = {num(g.lr)}$, $\\rho_1 = {num(g.rho1)}$, $\\rho_2 = {num(g.rho2)}$, "
            f"$\\epsilon = {num(g.eps)}$ and the gradients ${grads}$. "
            "Give $\\mu_{\\partial w}$, $\\hat\\mu_t$ and $w$ to 4 decimals, and the variances "
            "$\\mathrm{var}_{\\partial w}$, $\\hat v_t$ to 3 significant figures."
        )

    def solve(self, s: Steps, g: AdamGivens):
        r1, r2, lr, eps = g.rho1, g.rho2, g.lr, g.eps
        m = v = 0.0
        w = g.w0
        for t, grad in enumerate(g.grads, start=1):
            m0, v0, w0 = m, v, w
            s.part(chr(ord("a") + t - 1),
                   lambda: f"Iteration $t = {t}$ ($g_{t} = {num(grad)}$): compute "
                           rf"$\mu_{{\partial w}}$, $\mathrm{{var}}_{{\partial w}}$, $\hat\mu_{t}$, "
                           rf"$\hat v_{t}$ and the new weight $w_{t}$.")
            m = s.step(f"m{t}", r1 * m0 + (1 - r1) * grad,
                       rf"\mu_{{\partial w}}^{{({t})}} = \rho_1 \mu_{{\partial w}}^{{({t - 1})}} + (1-\rho_1) g_{t}",
                       lambda: rf"{num(r1)} \cdot {par(m0)} + {num(1 - r1)} \cdot {par(grad)}",
                       label=rf"$\mu_{{\partial w}}^{{({t})}}$", tol=MOMENT)
            v = s.step(f"v{t}", r2 * v0 + (1 - r2) * grad ** 2,
                       rf"\mathrm{{var}}_{{\partial w}}^{{({t})}} = \rho_2 \mathrm{{var}}_{{\partial w}}^{{({t - 1})}}"
                       rf" + (1-\rho_2) g_{t}^2",
                       lambda: rf"{num(r2)} \cdot {par(v0)} + {num(1 - r2)} \cdot {par(grad)}^2",
                       label=rf"$\mathrm{{var}}_{{\partial w}}^{{({t})}}$", tol=VARIANCE)
            if s.mistake("no_bias_correction",
                         "used the moments without bias correction; ADAM divides by 1 - rho^t "
                         "because the moments start at zero and are biased towards it"):
                m_hat, v_hat = m, v
            elif t > 1 and s.mistake("bias_power_missing",
                                     "divided by 1 - rho instead of 1 - rho^t: the correction uses "
                                     "the t-th power of rho"):
                m_hat, v_hat = m / (1 - r1), v / (1 - r2)
            else:
                m_hat, v_hat = m / (1 - r1 ** t), v / (1 - r2 ** t)
            m_hat = s.step(f"m_hat{t}", m_hat,
                           rf"\hat\mu_{t} = \frac{{\mu_{{\partial w}}^{{({t})}}}}{{1-\rho_1^{{{t}}}}}",
                           lambda: rf"\frac{{{num(m)}}}{{1-{num(r1)}^{{{t}}}}}",
                           label=rf"$\hat\mu_{t}$", tol=MOMENT)
            v_hat = s.step(f"v_hat{t}", v_hat,
                           rf"\hat v_{t} = \frac{{\mathrm{{var}}_{{\partial w}}^{{({t})}}}}{{1-\rho_2^{{{t}}}}}",
                           lambda: rf"\frac{{{num(v)}}}{{1-{num(r2)}^{{{t}}}}}",
                           label=rf"$\hat v_{t}$", tol=VARIANCE)
            if s.mistake("no_square_root", "divided by the variance instead of its square root"):
                step = m_hat / (v_hat + eps)
            else:
                step = m_hat / (np.sqrt(v_hat) + eps)
            w = s.step(f"w{t}", w0 - lr * step,
                       rf"w_{t} = w_{t - 1} - \lambda \frac{{\hat\mu_{t}}}{{\sqrt{{\hat v_{t}}} + \epsilon}}",
                       lambda: rf"{num(w0)} - {num(lr)} \cdot \frac{{{num(m_hat)}}}"
                               rf"{{\sqrt{{{num(v_hat, 6)}}} + {num(eps)}}}",
                       label=f"$w_{t}$", tol=MOMENT, answer=True)


# ---------------------------------------------------------------------------------------------


class BatchNormGivens(Givens):
    z: list[float] = Field(min_length=2, max_length=12, description="the node's values over the minibatch")
    gamma: float = Field(ge=-100, le=100)
    beta: float = Field(ge=-100, le=100)
    eps: float = Field(0.0, ge=0, le=1)
    momentum: float = Field(0.1, gt=0, lt=1, description="PyTorch convention: new = (1-m) old + m batch")
    running_mean: float = Field(ge=-1000, le=1000, description="running mean before this batch")
    running_var: float = Field(gt=0, le=1e6, description="running variance before this batch")
    running_var_unbiased: bool = Field(False, description="update the running variance with the N-1 estimate")
    x_test: float = Field(ge=-1000, le=1000, description="a value seen at test time")

    @model_validator(mode="after")
    def _not_constant(self):
        if max(self.z) == min(self.z) and self.eps == 0:
            raise ValueError("the minibatch values are all equal: the variance is 0")
        return self


@lru_cache(maxsize=None)
def _nice_deviations(n: int) -> tuple[tuple[int, ...], ...]:
    """Integer deviations d (sum 0, |d| <= 6, not all 0) whose standard deviation is a whole or
    half number, so the normalised values can be computed by hand."""
    found = []
    for d in itertools.combinations_with_replacement(range(-6, 7), n):
        if sum(d) == 0 and any(d):
            four_var = 4 * sum(x * x for x in d)
            if four_var % n == 0 and math.isqrt(four_var // n) ** 2 == four_var // n:
                found.append(d)
    return tuple(found)


@generator(id="batchnorm", topic="training", goal="07.3", version=1,
           title="Batch normalisation at training and test time")
class BatchNorm(Generator):
    """One node over a minibatch: statistics, normalised outputs, running averages, test time."""

    Givens = BatchNormGivens

    def draw(self, rng):
        n = pick(rng, [4, 4, 5, 6])
        devs = _nice_deviations(n)
        d = np.array(devs[int(rng.integers(len(devs)))], dtype=float)
        rng.shuffle(d)
        scale = pick(rng, [1.0, 1.0, 0.5, 2.0])
        mean = decimal(rng, -3, 3, 0) + pick(rng, [0.0, 0.5])
        z = [round(mean + scale * x, 2) for x in d]
        return BatchNormGivens(
            z=z, gamma=decimal(rng, 0.5, 3, 1), beta=decimal(rng, -2, 2, 1), eps=0.0,
            momentum=pick(rng, [0.1, 0.1, 0.2, 0.5]), running_mean=decimal(rng, -2, 2, 1),
            running_var=decimal(rng, 0.5, 4, 1), running_var_unbiased=bool(rng.random() < 0.25),
            x_test=decimal(rng, -4, 4, 1))

    def stem(self, g):
        n = len(g.z)
        est = (r"the unbiased estimate $\frac{1}{N-1}\sum_i (z_i-\mu_B)^2$, as PyTorch does"
               if g.running_var_unbiased else r"the batch variance $\sigma_B^2$ itself")
        return (
            f"A batch-normalisation layer sees one node's pre-activations over a minibatch of $N = {n}$ "
            f"examples: $z = {row(g.z)}$. In training it normalises with the minibatch statistics "
            r"$\mu_B = \frac{1}{N}\sum_i z_i$ and the population variance "
            r"$\sigma_B^2 = \frac{1}{N}\sum_i (z_i - \mu_B)^2$ (divide by $N$), then scales and shifts:"
            "\n\n"
            r"$$\hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad "
            r"\tilde z_i = \gamma \hat z_i + \beta$$"
            "\n\n"
            f"with $\\gamma = {num(g.gamma)}$, $\\beta = {num(g.beta)}$, $\\epsilon = {num(g.eps)}$. "
            "For test time it keeps running averages, updated after each minibatch with momentum "
            f"$m = {num(g.momentum)}$ (PyTorch's convention): "
            r"$\mu_{run} \leftarrow (1-m)\,\mu_{run} + m\,\mu_B$ and "
            r"$\sigma^2_{run} \leftarrow (1-m)\,\sigma^2_{run} + m\,s^2$, where $s^2$ is " + est + ". "
            f"Before this minibatch $\\mu_{{run}} = {num(g.running_mean)}$ and "
            f"$\\sigma^2_{{run}} = {num(g.running_var)}$. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: BatchNormGivens):
        z = np.array(g.z, dtype=float)
        n = len(z)
        s.part("a", "Compute the minibatch mean $\\mu_B$ and variance $\\sigma_B^2$.")
        mu = s.step("mean", z.mean(), r"\mu_B = \frac{1}{N}\sum_i z_i",
                    lambda: rf"\frac{{{' + '.join(par(x) for x in z)}}}{{{n}}}", label=r"$\mu_B$")
        ddof = 1 if s.mistake("sample_variance",
                              "divided by N-1 (sample variance); batch norm normalises with the "
                              "population variance of the minibatch (divide by N)") else 0
        var = s.step("var", ((z - mu) ** 2).sum() / (n - ddof), r"\sigma_B^2 = \frac{1}{N}\sum_i (z_i-\mu_B)^2",
                     lambda: rf"\frac{{{' + '.join(f'{par(x - mu)}^2' for x in z)}}}{{{n}}}",
                     label=r"$\sigma_B^2$", answer=True)
        if var + g.eps <= 0:
            raise Degenerate("the minibatch variance is 0")
        s.part("b", r"Compute the normalised values $\hat z_i$ and the outputs $\tilde z_i$.")
        if s.mistake("divided_by_variance", "divided by the variance sigma^2 instead of the "
                                            "standard deviation sqrt(sigma^2 + eps)"):
            z_hat = (z - mu) / (var + g.eps)
        else:
            z_hat = (z - mu) / np.sqrt(var + g.eps)
        z_hat = s.step("z_hat", z_hat, r"\hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}",
                       lambda: rf"\frac{{z_i - {par(mu)}}}{{\sqrt{{{num(var)} + {num(g.eps)}}}}}",
                       label=r"$\hat z$")
        s.step("z_tilde", g.gamma * z_hat + g.beta, r"\tilde z_i = \gamma \hat z_i + \beta",
               lambda: rf"{num(g.gamma)} \hat z_i + {par(g.beta)}", label=r"$\tilde z$")

        s.part("c", r"Update the running averages $\mu_{run}$ and $\sigma^2_{run}$.")
        m = g.momentum
        if s.mistake("momentum_swapped", "swapped the weights of the running average: "
                                         "new = (1-m) old + m batch in PyTorch's convention"):
            keep, take = m, 1 - m
        else:
            keep, take = 1 - m, m
        run_mean = s.step("run_mean", keep * g.running_mean + take * mu,
                          r"\mu_{run} \leftarrow (1-m)\,\mu_{run} + m\,\mu_B",
                          lambda: rf"{num(1 - m)} \cdot {par(g.running_mean)} + {num(m)} \cdot {par(mu)}",
                          label=r"$\mu_{run}$")
        unbiased = g.running_var_unbiased
        if s.mistake("running_var_estimator", "used the other variance estimate for the running "
                                              "variance than the question states (N vs N-1)"):
            unbiased = not unbiased
        s2 = var * n / (n - 1) if unbiased else var
        run_var = s.step("run_var", keep * g.running_var + take * s2,
                         r"\sigma^2_{run} \leftarrow (1-m)\,\sigma^2_{run} + m\,s^2",
                         lambda: rf"{num(1 - m)} \cdot {num(g.running_var)} + {num(m)} \cdot {num(s2)}",
                         label=r"$\sigma^2_{run}$")

        s.part("d", f"At test time the node's pre-activation is $z = {num(g.x_test)}$. "
                    r"What is the layer's output $\tilde z$?")
        if s.mistake("test_uses_batch_statistics", "used the last minibatch's statistics at test "
                                                   "time; test time uses the running averages"):
            t_mean, t_var = mu, var
        else:
            t_mean, t_var = run_mean, run_var
        s.step("y_test", g.gamma * (g.x_test - t_mean) / np.sqrt(t_var + g.eps) + g.beta,
               r"\tilde z = \gamma \frac{z - \mu_{run}}{\sqrt{\sigma^2_{run} + \epsilon}} + \beta",
               lambda: rf"{num(g.gamma)} \cdot \frac{{{num(g.x_test)} - {par(t_mean)}}}"
                       rf"{{\sqrt{{{num(t_var)} + {num(g.eps)}}}}} + {par(g.beta)}",
               label=r"$\tilde z_{test}$")
