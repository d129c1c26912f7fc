"""Batch normalisation at training and test time, of one feature or of several (normalised each
on its own, over the minibatch)."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Degenerate, Steps
from .._draw import decimal, pick
from .._mistakes import DIVIDED_BY_VARIANCE, SAMPLE_VARIANCE
from .._stems import calculator
from ._normalisation import _nice_deviations

PerFeature = float | list[float]
"""One number, or one per feature (a single number applies to every feature)."""


class BatchNormGivens(Givens):
    z: list[float] | list[list[float]] = Field(
        min_length=2, max_length=12, description="the node's values over the minibatch, or one row per example "
                                                 "with one column per feature")
    gamma: PerFeature
    beta: PerFeature
    eps: float = Field(0.0, ge=0, le=1)
    momentum: float = Field(0.1, gt=0, lt=1, description="PyTorch convention: new = (1-m) old + m batch")
    running_mean: PerFeature = Field(description="running mean before this batch")
    running_var: PerFeature = Field(description="running variance before this batch")
    running_var_unbiased: bool = Field(False, description="update the running variance with the N-1 estimate")
    x_test: PerFeature = Field(description="a value (an example: one value per feature) seen at test time")

    @model_validator(mode="after")
    def _valid(self):
        z = self.z
        if isinstance(z[0], list):
            if any(len(r) != len(z[0]) for r in z) or not 1 <= len(z[0]) <= 6:
                raise ValueError("z: every example (row) needs the same number of features, 1 to 6")
        d = self.features
        for name in ("gamma", "beta", "running_mean", "running_var", "x_test"):
            v = np.atleast_1d(np.asarray(getattr(self, name), dtype=float))
            if isinstance(getattr(self, name), list) and (len(v) != d or not self.multi):
                raise ValueError(f"{name}: give one number, or one per feature ({d})"
                                 if self.multi else f"{name}: give one number (z is one feature)")
            if np.abs(v).max() > (1e6 if name == "running_var" else 1000):
                raise ValueError(f"{name}: out of range")
        if np.min(self.running_var) <= 0:
            raise ValueError("running_var must be positive")
        spread = np.ptp(np.asarray(z, dtype=float).reshape(len(z), -1), axis=0)
        if self.eps == 0 and not spread.all():
            raise ValueError("the minibatch values of a feature are all equal: its variance is 0")
        return self

    @property
    def multi(self) -> bool:
        return isinstance(self.z[0], list)

    @property
    def features(self) -> int:
        return len(self.z[0]) if self.multi else 1


def _each(g: BatchNormGivens, text, *columns) -> str:
    """A worked line per feature (``text`` of the feature's numbers), as a list when there are several."""
    d = g.features
    cols = [[float(c)] * d if np.ndim(c) == 0 else np.ravel(c).tolist() for c in columns]
    return r",\ ".join([text(*vals) for vals in zip(*cols)])


@generator(id="batchnorm", topic="training", goal="07.3", version=3,
           title="Batch normalisation at training and test time")
class BatchNorm(Generator):
    """A minibatch of one feature (or of several, one vector per example), normalised per feature:
    statistics, normalised outputs, running averages (with the unbiased variance where they use it),
    and the normalised value and output at test time."""

    Givens = BatchNormGivens

    def draw(self, rng):
        d = 2 if rng.random() < 0.3 else 1
        n = pick(rng, [4, 4, 5]) if d > 1 else pick(rng, [4, 4, 5, 6])
        devs = _nice_deviations(n)
        cols = []
        for _ in range(d):
            dev = np.array(devs[int(rng.integers(len(devs)))], dtype=float)
            rng.shuffle(dev)
            scale = pick(rng, [1.0, 1.0, 0.5, 2.0])
            mean = decimal(rng, -3, 3, 0) + pick(rng, [0.0, 0.5])
            cols.append([round(mean + scale * x, 2) for x in dev.tolist()])

        def per_feature(low, high):
            vals = [decimal(rng, low, high, 1) for _ in range(d)]
            return vals if d > 1 else vals[0]
        return BatchNormGivens.model_construct(
            z=[list(r) for r in zip(*cols)] if d > 1 else cols[0], gamma=per_feature(0.5, 3),
            beta=per_feature(-2, 2), eps=0.0, momentum=pick(rng, [0.1, 0.1, 0.2, 0.5]),
            running_mean=per_feature(-2, 2), running_var=per_feature(0.5, 4),
            running_var_unbiased=bool(rng.random() < 0.25), x_test=per_feature(-4, 4))

    def stem(self, g):
        n = len(g.z)
        est = (r"the unbiased estimate $s^2 = \frac{1}{N-1}\sum_i (z_i-\mu_B)^2$, as PyTorch does"
               if g.running_var_unbiased else r"the batch variance $\sigma_B^2$ itself")
        if g.multi:
            d = g.features
            batch = (f"a minibatch of $N = {n}$ examples with $D = {d}$ features each (one row per example):"
                     f"\n\n$$Z = {mat(g.z)}$$\n\nEach feature (column) is normalised on its own, with the "
                     "statistics of its column ($z_i$ is example $i$'s value of the feature). In training these "
                     r"are the minibatch statistics $\mu_B = \frac{1}{N}\sum_i z_i$ and the population variance ")
            before = (f"Before this minibatch, per feature, $\\mu_{{run}} = {self._vec(g.running_mean, d)}$ and "
                      f"$\\sigma^2_{{run}} = {self._vec(g.running_var, d)}$.")
            params = (f"$\\gamma = {self._vec(g.gamma, d)}$, $\\beta = {self._vec(g.beta, d)}$ (one per feature), "
                      f"$\\epsilon = {num(g.eps)}$. ")
        else:
            batch = (f"one node's pre-activations over a minibatch of $N = {n}$ examples: $z = {row(g.z)}$. "
                     r"In training it normalises with the minibatch statistics $\mu_B = \frac{1}{N}\sum_i z_i$ "
                     "and the population variance ")
            before = (f"Before this minibatch $\\mu_{{run}} = {num(g.running_mean)}$ and "
                      f"$\\sigma^2_{{run}} = {num(g.running_var)}$.")
            params = f"$\\gamma = {num(g.gamma)}$, $\\beta = {num(g.beta)}$, $\\epsilon = {num(g.eps)}$. "
        return (
            "A batch-normalisation layer sees " + batch +
            r"$\sigma_B^2 = \frac{1}{N}\sum_i (z_i - \mu_B)^2$ (divide by $N$), then scales and shifts:"
            "\n\n"
            r"$$\hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad "
            r"\tilde z_i = \gamma \hat z_i + \beta$$"
            "\n\n"
            "with " + params +
            "For test time it keeps running averages, updated after each minibatch with momentum "
            f"$m = {num(g.momentum)}$ (PyTorch's convention): "
            r"$\mu_{run} \leftarrow (1-m)\,\mu_{run} + m\,\mu_B$ and "
            r"$\sigma^2_{run} \leftarrow (1-m)\,\sigma^2_{run} + m\,s^2$, where $s^2$ is " + est + ". "
            "At test time it normalises with the running averages instead of the batch statistics. "
            + before + " Give answers to 3 decimals. " + calculator("the square roots at test time")
        )

    @staticmethod
    def _vec(v, d: int) -> str:
        return row(v) if isinstance(v, list) else row([v] * d)

    def solve(self, s: Steps, g: BatchNormGivens):
        z = np.array(g.z, dtype=float)
        n, d, multi = len(z), g.features, g.multi
        Z = z.reshape(n, d)

        def vec(v):  # a step's value (the student's, in follow-through) per feature
            return np.reshape(np.asarray(v, dtype=float), (d,))

        def out(v):  # per-feature values as the step's value: a scalar (a vector of N) for one feature
            return v if multi else (float(v[0]) if v.ndim == 1 else v[:, 0])

        gamma, beta = (np.broadcast_to(np.asarray(x, dtype=float), (d,)) for x in (g.gamma, g.beta))
        s.part(r"Compute the minibatch mean $\mu_B$ and variance $\sigma_B^2$" + (" of every feature." if multi else "."))
        mu = vec(s.step("mean", out(Z.mean(axis=0)), r"\mu_B = \frac{1}{N}\sum_i z_i",
                        lambda: _each(g, lambda *c: rf"\frac{{{' + '.join(par(x) for x in c)}}}{{{n}}}", *Z) if multi
                        else rf"\frac{{{' + '.join(par(x) for x in z)}}}{{{n}}}",
                        label=r"$\mu_B$"))
        ddof = 1 if s.mistake(SAMPLE_VARIANCE) else 0
        var = vec(s.step("var", out(((Z - mu) ** 2).sum(axis=0) / (n - ddof)),
                         r"\sigma_B^2 = \frac{1}{N}\sum_i (z_i-\mu_B)^2",
                         lambda: _each(g, lambda m, *c: rf"\frac{{{' + '.join(f'{par(x - m)}^2' for x in c)}}}{{{n}}}",
                                       mu, *Z),
                         label=r"$\sigma_B^2$", answer=True))
        if np.any(var + g.eps <= 0):
            raise Degenerate("the minibatch variance is 0")

        s.part(r"Compute the normalised values $\hat z_i$ and the outputs $\tilde z_i$.")
        if s.mistake(DIVIDED_BY_VARIANCE):
            z_hat = (Z - mu) / (var + g.eps)
        else:
            z_hat = (Z - mu) / np.sqrt(var + g.eps)
        z_hat = np.reshape(np.asarray(s.step(
            "z_hat", out(z_hat), r"\hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}",
            (lambda: self._entries(Z, lambda x, j: rf"\frac{{{num(x)} - {par(mu[j])}}}{{\sqrt{{{num(var[j])} + {num(g.eps)}}}}}"))
            if multi else (lambda: rf"\frac{{z_i - {par(mu[0])}}}{{\sqrt{{{num(var[0])} + {num(g.eps)}}}}}"),
            label=r"$\hat z$"), dtype=float), (n, d))
        scale_shift = not s.mistake("scale_shift_forgotten", "left out gamma and beta: the layer's output is "
                                                             "gamma times the normalised value plus beta")
        s.step("z_tilde", out(gamma * z_hat + beta if scale_shift else z_hat), r"\tilde z_i = \gamma \hat z_i + \beta",
               (lambda: self._entries(z_hat, lambda x, j: rf"{num(gamma[j])} \cdot {par(x)} + {par(beta[j])}"))
               if multi else (lambda: rf"{num(gamma[0])} \hat z_i + {par(beta[0])}"),
               label=r"$\tilde z$")

        run_mean, run_var = self._running(s, g, mu, var, n, vec, out)

        x = np.broadcast_to(np.asarray(g.x_test, dtype=float), (d,))
        what = f"example is $x = {self._vec(g.x_test, d)}$" if multi else f"node's pre-activation is $z = {num(g.x_test)}$"
        s.part(f"At test time the {what}. Compute the normalised value $\\hat z$ and the layer's output $\\tilde z$.")
        if s.mistake("test_uses_batch_statistics", "used the last minibatch's statistics at test "
                                                   "time; test time uses the running averages"):
            t_mean, t_var = mu, var
        else:
            t_mean, t_var = run_mean, run_var
        x_hat = vec(s.step("x_hat_test", out((x - t_mean) / np.sqrt(t_var + g.eps)),
                           r"\hat z = \frac{z - \mu_{run}}{\sqrt{\sigma^2_{run} + \epsilon}}",
                           lambda: _each(g, lambda a, m, v: rf"\frac{{{num(a)} - {par(m)}}}{{\sqrt{{{num(v, 6)} + "
                                                            rf"{num(g.eps)}}}}}", x, t_mean, t_var),
                           label=r"$\hat z_{test}$"))
        s.step("y_test", out(gamma * x_hat + beta if scale_shift else x_hat), r"\tilde z = \gamma \hat z + \beta",
               lambda: _each(g, lambda c, h, b: rf"{num(c)} \cdot {par(h)} + {par(b)}", gamma, x_hat, beta),
               label=r"$\tilde z_{test}$", answer=True)

    @staticmethod
    def _entries(a: np.ndarray, text) -> str:
        """A matrix worked entry by entry (``text(value, column)``)."""
        body = r" \\ ".join(" & ".join(text(x, j) for j, x in enumerate(r)) for r in a)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"

    @staticmethod
    def _running(s: Steps, g: BatchNormGivens, mu, var, n: int, vec, out):
        """Part c: the unbiased variance (when the running variance uses it) and the running averages."""
        unbiased = g.running_var_unbiased
        s.part((r"Compute the unbiased variance estimate $s^2$, then update " if unbiased else "Update ")
               + r"the running averages $\mu_{run}$ and $\sigma^2_{run}$.")
        m = g.momentum
        swapped = s.mistake("momentum_swapped", "swapped the weights of the running average: "
                                                "new = (1-m) old + m batch in PyTorch's convention")
        keep, take = (m, 1 - m) if swapped else (1 - m, m)
        other = s.mistake("running_var_estimator", "used the other variance estimate for the running "
                                                   "variance than the question states (N vs N-1)")
        if unbiased:
            s2 = vec(s.step("var_unbiased", out(var if other else var * n / (n - 1)),
                            r"s^2 = \frac{N}{N-1}\,\sigma_B^2",
                            lambda: _each(g, lambda v: rf"\frac{{{n}}}{{{n - 1}}} \cdot {num(v, 6)}", var),
                            label=r"$s^2$"))
        else:
            s2 = var * n / (n - 1) if other else var
        rm0, rv0 = (np.broadcast_to(np.asarray(x, dtype=float), mu.shape) for x in (g.running_mean, g.running_var))
        run_mean = vec(s.step("run_mean", out(keep * rm0 + take * mu), r"\mu_{run} \leftarrow (1-m)\,\mu_{run} + m\,\mu_B",
                              lambda: _each(g, lambda a, b: rf"{num(1 - m)} \cdot {par(a)} + {num(m)} \cdot {par(b)}",
                                            rm0, mu),
                              label=r"$\mu_{run}$"))
        run_var = vec(s.step("run_var", out(keep * rv0 + take * s2), r"\sigma^2_{run} \leftarrow (1-m)\,\sigma^2_{run} + m\,s^2",
                             lambda: _each(g, lambda a, b: rf"{num(1 - m)} \cdot {num(a)} + {num(m)} \cdot {num(b, 6)}",
                                           rv0, s2),
                             label=r"$\sigma^2_{run}$"))
        return run_mean, run_var
