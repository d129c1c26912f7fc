"""Batch normalisation at training and test time."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Degenerate, Steps
from .._draw import decimal, pick
from .._mistakes import DIVIDED_BY_VARIANCE, SAMPLE_VARIANCE
from ._normalisation import _nice_deviations


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


@generator(id="batchnorm", topic="training", goal="07.3", version=2,
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
        s.part("Compute the minibatch mean $\\mu_B$ and variance $\\sigma_B^2$.")
        mu = s.step("mean", z.mean(), r"\mu_B = \frac{1}{N}\sum_i z_i",
                    lambda: rf"\frac{{{' + '.join(par(x) for x in z)}}}{{{n}}}", label=r"$\mu_B$")
        ddof = 1 if s.mistake(SAMPLE_VARIANCE) else 0
        var = s.step("var", ((z - mu) ** 2).sum() / (n - ddof), r"\sigma_B^2 = \frac{1}{N}\sum_i (z_i-\mu_B)^2",
                     lambda: rf"\frac{{{' + '.join(f'{par(x - mu)}^2' for x in z)}}}{{{n}}}",
                     label=r"$\sigma_B^2$", answer=True)
        if var + g.eps <= 0:
            raise Degenerate("the minibatch variance is 0")
        s.part(r"Compute the normalised values $\hat z_i$ and the outputs $\tilde z_i$.")
        if s.mistake(DIVIDED_BY_VARIANCE):
            z_hat = (z - mu) / (var + g.eps)
        else:
            z_hat = (z - mu) / np.sqrt(var + g.eps)
        z_hat = s.step("z_hat", z_hat, r"\hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}",
                       lambda: rf"\frac{{z_i - {par(mu)}}}{{\sqrt{{{num(var)} + {num(g.eps)}}}}}",
                       label=r"$\hat z$")
        s.step("z_tilde", g.gamma * z_hat + g.beta, r"\tilde z_i = \gamma \hat z_i + \beta",
               lambda: rf"{num(g.gamma)} \hat z_i + {par(g.beta)}", label=r"$\tilde z$")

        s.part(r"Update the running averages $\mu_{run}$ and $\sigma^2_{run}$.")
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

        s.part(f"At test time the node's pre-activation is $z = {num(g.x_test)}$. "
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
