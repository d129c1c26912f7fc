"""Lecture 12: unsupervised learning (SNE and t-SNE, autoencoders, the VAE latent loss, sampling and
interpolating in a VAE's latent space)."""


import math
from functools import lru_cache
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par, row
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..steps import Steps
from ._draw import decimals, pick


class VaeKlGivens(Givens):
    mu: list[float] = Field(min_length=1, max_length=8, description="encoder means, one per latent dimension")
    sigma: list[float] | None = Field(None, description="encoder standard deviations (give sigma or logvar)")
    logvar: list[float] | None = Field(None, description="encoder log-variances log(sigma^2)")
    eps: list[float] = Field(description="standard-normal sample for the reparameterisation")

    @model_validator(mode="after")
    def _one_representation(self):
        if (self.sigma is None) == (self.logvar is None):
            raise ValueError("give exactly one of sigma and logvar")
        spread = self.sigma if self.sigma is not None else self.logvar
        if not (len(spread) == len(self.mu) == len(self.eps)):
            raise ValueError("mu, sigma/logvar and eps must have one entry per latent dimension")
        if self.sigma is not None and min(self.sigma) <= 0:
            raise ValueError("every sigma must be positive")
        if self.logvar is not None and max(map(abs, self.logvar)) > 20:
            raise ValueError("logvar entries must lie in [-20, 20]")
        return self


@generator(id="vae_kl", topic="unsupervised", goal="12.13", version=1,
           title="VAE latent loss and the reparameterisation trick")
class VaeKl(Generator):
    """KL(N(mu, sigma^2) || N(0, 1)) per latent dimension and in total; z = mu + sigma * eps."""

    Givens = VaeKlGivens

    def draw(self, rng):
        d = pick(rng, [2, 2, 3, 4])
        mu = decimals(rng, d, -1.5, 1.5)
        eps = decimals(rng, d, -2, 2, nonzero=True)
        if rng.random() < 0.6:
            return VaeKlGivens(mu=mu, sigma=[pick(rng, [0.5, 1.0, 2.0, 1.5, 3.0]) for _ in range(d)], eps=eps)
        return VaeKlGivens(mu=mu, logvar=[float(pick(rng, [-2, -1, 0, 1, 2])) for _ in range(d)], eps=eps)

    def stem(self, g):
        d = len(g.mu)
        if g.sigma is not None:
            spread = f"standard deviations $\\sigma = {row(g.sigma)}$"
            hint = r"You may use $\ln 2 = 0.6931$ and $\ln 3 = 1.0986$."
        else:
            spread = f"log-variances $\\log\\sigma^2 = {row(g.logvar)}$"
            exps = sorted({x for lv in g.logvar for x in (lv, lv / 2)})
            hint = "You may use " + ", ".join(f"$e^{{{num(x)}}} = {num(math.exp(x))}$" for x in exps) + "."
        return (
            f"The encoder of a variational autoencoder maps an image $x$ to a {d}-dimensional Gaussian "
            f"$q = \\mathcal{{N}}(\\mu, \\sigma^2)$ with means $\\mu = {row(g.mu)}$ and {spread} "
            "(independent dimensions). The latent loss of one dimension is, as in the course,"
            "\n\n"
            r"$$D_{KL} = \frac{1}{2}\left(\mu^2 + \sigma^2 - \log\sigma^2 - 1\right)$$"
            "\n\n"
            "with the natural logarithm, and the latent loss of the image is the sum over the "
            "dimensions. To sample, the decoder's input is built with the reparameterisation "
            r"trick $z = \mu + \tilde z \cdot \sigma$ from a standard-normal sample "
            f"$\\tilde z = {row(g.eps)}$. {hint} Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: VaeKlGivens):
        mu, eps = np.array(g.mu), np.array(g.eps)
        s.part("a", r"Compute $\sigma_i^2$, the latent loss $D_{KL,i}$ of every dimension, and the total latent loss.")
        if g.sigma is not None:
            sigma = np.array(g.sigma)
            if s.mistake("sigma_for_variance", "used sigma where sigma^2 belongs"):
                var = sigma
            else:
                var = sigma ** 2
            var = s.step("sigma2", var, r"\sigma_i^2", lambda: rf"{row(sigma)}^2", label=r"$\sigma^2$")
        else:
            logvar = np.array(g.logvar)
            if s.mistake("logvar_as_variance", "took log(sigma^2) for sigma^2; sigma^2 = exp(log sigma^2)"):
                var = logvar
            else:
                var = np.exp(logvar)
            var = s.step("sigma2", var, r"\sigma_i^2 = e^{\log\sigma_i^2}",
                         lambda: ", ".join(f"e^{{{num(x)}}}" for x in logvar), label=r"$\sigma^2$")
        half = 1.0 if s.mistake("missing_half", "left out the factor 1/2") else 0.5
        if s.mistake("log_of_sigma", "used log(sigma) where log(sigma^2) belongs"):
            logs = np.log(var) / 2
        else:
            logs = np.log(var)
        kl = s.step("kl", half * (mu ** 2 + var - logs - 1),
                    r"D_{KL,i} = \frac{1}{2}\left(\mu_i^2 + \sigma_i^2 - \log\sigma_i^2 - 1\right)",
                    lambda: r",\ ".join(rf"\tfrac12({par(m)}^2 + {num(v)} - \log {num(v)} - 1)"
                                       for m, v in zip(mu, var)),
                    label=r"$D_{KL,i}$ per dimension")
        s.step("kl_total", float(np.sum(kl)), r"D_{KL} = \sum_i D_{KL,i}",
               lambda: " + ".join(par(k) for k in kl), label=r"$D_{KL}$ total", answer=True)

        s.part("b", r"Compute the decoder input $z$ for the given sample $\tilde z$.")
        if g.sigma is not None:
            sigma = np.array(g.sigma)
        else:
            if s.mistake("sigma_is_exp_logvar", "took exp(log sigma^2) = sigma^2 as sigma; "
                                                "sigma = exp(log(sigma^2) / 2)"):
                sigma = var
            else:
                sigma = np.sqrt(var)
            sigma = s.step("sigma", sigma, r"\sigma_i = \sqrt{\sigma_i^2} = e^{\frac12\log\sigma_i^2}",
                           lambda: ", ".join(f"e^{{{num(x / 2)}}}" for x in g.logvar), label=r"$\sigma$")
        if s.mistake("z_uses_variance", "multiplied the sample by sigma^2; z = mu + z~ * sigma"):
            spread = sigma ** 2
        else:
            spread = sigma
        s.step("z", mu + eps * spread, r"z_i = \mu_i + \tilde z_i \cdot \sigma_i",
               lambda: r",\ ".join(rf"{par(m)} + {par(e)} \cdot {par(sd)}" for m, e, sd in zip(mu, eps, spread)),
               label="$z$")


# ---------------------------------------------------------------------------------------------
# Shared helpers for the generators below.

Number = Annotated[float, Field(ge=-1000, le=1000)]
SMALL = Tolerance.significant(3)  # KL terms are often below 0.01




def _subset(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """k distinct indices from range(n), in random order (cheaper than rng.choice without replacement)."""
    return rng.random(n).argsort()[:k]


@lru_cache(maxsize=None)
def _off(n: int) -> np.ndarray:
    """1.0 off the diagonal, 0.0 on it (read-only)."""
    m = 1.0 - np.eye(n)
    m.flags.writeable = False
    return m


def _sq_dists(y: np.ndarray) -> np.ndarray:
    diff = y[:, None, :] - y[None, :, :]
    return (diff ** 2).sum(axis=2)


def _tsne_check(d2: list[list[float]], sigma: list[float], y: list[list[float]], i: int) -> tuple[float, float, float]:
    """The largest entry of t-SNE's gradient for point i, KL(P || Q) and KL(Q || P), in plain Python
    (small n; only to reject draws where the gradient is about 0 or the reversed KL is too close)."""
    n = len(d2)
    pc = []
    for a in range(n):
        row = [math.exp(-d2[a][b] / (2 * sigma[a] ** 2)) if b != a else 0.0 for b in range(n)]
        total = sum(row)
        pc.append([v / total for v in row])
    w = [[1 / (1 + sum((u - v) ** 2 for u, v in zip(y[a], y[b]))) if a != b else 0.0 for b in range(n)]
         for a in range(n)]
    wsum = sum(map(sum, w))
    kl = kl_rev = 0.0
    for a in range(n):
        for b in range(n):
            if a != b:
                p, q = (pc[a][b] + pc[b][a]) / (2 * n), w[a][b] / wsum
                kl += p * math.log(p / q)
                kl_rev += q * math.log(q / p)
    grad = [4 * sum(((pc[i][b] + pc[b][i]) / (2 * n) - w[i][b] / wsum) * w[i][b] * (y[i][c] - y[b][c])
                    for b in range(n)) for c in range(len(y[i]))]
    return max(map(abs, grad)), kl, kl_rev


# ---------------------------------------------------------------------------------------------


class SneGivens(Givens):
    d2: list[list[Annotated[float, Field(ge=0, le=1000)]]] = Field(
        min_length=3, max_length=5, description="squared distances ||x_i - x_j||^2 of the high-dimensional points")
    sigma: list[Annotated[float, Field(gt=0, le=100)]] = Field(description="Gaussian bandwidth sigma_i of every point")
    y: list[list[Number]] = Field(description="the low-dimensional map points y_i (1 to 3 coordinates each)")
    perp_point: int = Field(ge=1, description="the point i whose perplexity is asked (from 1)")
    grad_point: int = Field(ge=1, description="the point i whose gradient is asked (from 1)")

    @model_validator(mode="after")
    def _valid(self):
        d, n = self.d2, len(self.d2)
        if any(len(r) != n for r in d):
            raise ValueError(f"d2 must be a square {n}x{n} matrix")
        if any(d[i][i] != 0 for i in range(n)) or any(d[i][j] != d[j][i] for i in range(n) for j in range(i)):
            raise ValueError("d2 must be symmetric with zeros on the diagonal")
        if any(d[i][j] <= 0 for i in range(n) for j in range(i)):
            raise ValueError("two different points must have a positive squared distance")
        if len(self.sigma) != n or len(self.y) != n:
            raise ValueError(f"sigma and y need one entry per point ({n})")
        m = len(self.y[0])
        if not 1 <= m <= 3 or any(len(p) != m for p in self.y):
            raise ValueError("every map point y_i needs the same 1 to 3 coordinates")
        if self.perp_point > n or self.grad_point > n:
            raise ValueError(f"points are numbered 1 to {n}")
        return self


@generator(id="sne", topic="unsupervised", goal="12.8", version=1,
           title="SNE and t-SNE: neighbour probabilities, KL divergence, gradient and perplexity")
class Sne(Generator):
    """p_{j|i} with given sigma_i, the perplexity of one point, the joint p_ij, the map's q_ij under
    symmetric SNE's Gaussian and t-SNE's Student-t kernel, KL(P||Q) and t-SNE's gradient for one point."""

    Givens = SneGivens

    GRID2 = np.array([(a, b) for a in range(3) for b in range(3)], dtype=float)  # 2-d points, d^2 <= 8
    CUBE3 = np.array([(a, b, c) for a in range(2) for b in range(2) for c in range(2)], dtype=float)
    HALVES1 = np.arange(-4, 5)[:, None] / 2  # map points in [-2, 2]
    HALVES2 = np.array([(a, b) for a in range(-4, 5) for b in range(-4, 5)]) / 2
    SIGMAS = (1.0, 1.0, 1.5, 2.0)

    def draw(self, rng):
        while True:
            n, m = pick(rng, [3, 3, 3, 4]), pick(rng, [1, 2, 2])
            space = self.GRID2 if rng.random() < 0.5 else self.CUBE3
            x = space[_subset(rng, len(space), n)]
            mapped = self.HALVES1 if m == 1 else self.HALVES2
            y = mapped[_subset(rng, len(mapped), n)]
            u = rng.random(n + 2)
            sigma = [self.SIGMAS[int(v * len(self.SIGMAS))] for v in u[:n]]
            i, k = int(u[n] * n), int(u[n + 1] * n)
            d2, y = _sq_dists(x).tolist(), y.tolist()
            grad, kl, kl_rev = _tsne_check(d2, sigma, y, i)
            # a gradient of about 0, or a reversed KL within a few percent of KL(P || Q), is no question
            if grad < 0.02 or abs(kl_rev - kl) < 0.04 * kl:
                continue
            return SneGivens(d2=d2, sigma=sigma, y=y, perp_point=k + 1, grad_point=i + 1)

    def stem(self, g):
        n, m = len(g.d2), len(g.y[0])
        pts = ", ".join(f"y_{i} = {num(p[0]) if m == 1 else row(p)}" for i, p in enumerate(g.y, 1))
        sig = ", ".join(f"\\sigma_{i} = {num(x)}" for i, x in enumerate(g.sigma, 1))
        return (
            f"t-SNE embeds {n} high-dimensional points $x_1, \\dots, x_{n}$ in a {m}-dimensional map. The squared "
            r"distances $\|x_i - x_j\|^2$ (row $i$, column $j$) and the Gaussian bandwidths of the points are"
            "\n\n"
            f"$$D = {mat(g.d2)}, \\qquad {sig},$$"
            "\n\n"
            f"and the current map points are ${pts}$. Use, as in the course:"
            "\n\n"
            r"- conditional neighbour probabilities $p_{j|i} = \frac{\exp(-\|x_i - x_j\|^2 / 2\sigma_i^2)}"
            r"{\sum_{k \neq i} \exp(-\|x_i - x_k\|^2 / 2\sigma_i^2)}$ for $j \neq i$, and $p_{i|i} = 0$;"
            "\n"
            r"- the perplexity $\mathrm{Perp}(P_i) = 2^{H(P_i)}$ with the entropy "
            r"$H(P_i) = -\sum_j p_{j|i} \log_2 p_{j|i}$ in bits;"
            "\n"
            f"- joint probabilities $p_{{ij}} = \\frac{{p_{{j|i}} + p_{{i|j}}}}{{2n}}$ with $n = {n}$;"
            "\n"
            r"- in the map, symmetric SNE's Gaussian $q_{ij} = \frac{\exp(-\|y_i - y_j\|^2)}{\sum_{k \neq l} "
            r"\exp(-\|y_k - y_l\|^2)}$ and t-SNE's Student-t (one degree of freedom) "
            r"$q_{ij} = \frac{(1 + \|y_i - y_j\|^2)^{-1}}{\sum_{k \neq l} (1 + \|y_k - y_l\|^2)^{-1}}$, both "
            r"normalised over all pairs $k \neq l$ and with $q_{ii} = 0$;"
            "\n"
            r"- the cost $C = KL(P \| Q) = \sum_{i \neq j} p_{ij} \ln \frac{p_{ij}}{q_{ij}}$ (natural log) with "
            r"t-SNE's $Q$, whose gradient is $\frac{\partial C}{\partial y_i} = 4 \sum_j (p_{ij} - q_{ij})"
            r"(y_i - y_j)(1 + \|y_i - y_j\|^2)^{-1}$."
            "\n\n"
            f"Write probabilities as {n}×{n} matrices (row $i$, column $j$, zeros on the diagonal). A calculator "
            "is needed for the exponentials and logarithms. Give $C$ to 3 significant figures and the other "
            "answers to 3 decimals."
        )

    def solve(self, s: Steps, g: SneGivens):
        d2, sigma, y = np.array(g.d2, dtype=float), np.array(g.sigma, dtype=float), np.array(g.y, dtype=float)
        n = len(d2)
        offf = _off(n)
        off = offf > 0
        k, i = g.perp_point - 1, g.grad_point - 1

        s.part("a", rf"Compute the conditional probabilities $p_{{j|i}}$, then the entropy $H(P_{k + 1})$ and "
                    rf"the perplexity of point {k + 1}.")
        two = 1.0 if s.mistake("missing_factor_two", "left out the 2 in exp(-d^2 / 2 sigma_i^2)") else 2.0
        aff = np.exp(-d2 / (two * sigma[:, None] ** 2)) * offf
        if s.mistake("normalised_columns", "normalised p_{j|i} over the wrong index (the column); each point "
                                           "i's neighbours j must sum to 1: divide by the sum over k != i"):
            pc = aff / aff.sum(axis=0, keepdims=True)
        else:
            pc = aff / aff.sum(axis=1, keepdims=True)
        pc = s.step("p_cond", pc,
                    r"p_{j|i} = \frac{\exp(-\|x_i - x_j\|^2 / 2\sigma_i^2)}"
                    r"{\sum_{k \neq i} \exp(-\|x_i - x_k\|^2 / 2\sigma_i^2)}",
                    lambda: r"\text{row } i:\ \frac{\exp(-D_{ij} / 2\sigma_i^2)}"
                            r"{\sum_{k \neq i} \exp(-D_{ik} / 2\sigma_i^2)}"
                            rf",\ \text{{e.g. row {k + 1}: }} \exp(-D_{{{k + 1}j}} / {num(2 * sigma[k] ** 2)}) = "
                            + row(aff[k][off[k]]) + rf" \text{{ with sum }} {num(aff[k].sum())}",
                    label=r"$p_{j|i}$", answer=True)
        probs = np.asarray(pc)[k][off[k]]
        if s.mistake("entropy_natural_log", "used the natural log in the entropy; the perplexity 2^H needs H "
                                            "in bits (log base 2)"):
            H = -np.sum(probs * np.log(probs))
        else:
            H = -np.sum(probs * np.log2(probs))
        H = s.step("entropy", float(H), rf"H(P_{k + 1}) = -\sum_{{j}} p_{{j|{k + 1}}} \log_2 p_{{j|{k + 1}}}",
                   lambda: " ".join(rf"- {par(p)} \log_2 {par(p)}" for p in probs), label=rf"$H(P_{k + 1})$")
        s.step("perplexity", float(2.0 ** H), rf"\mathrm{{Perp}}(P_{k + 1}) = 2^{{H(P_{k + 1})}}",
               lambda: rf"2^{{{num(H)}}}", label=rf"$\mathrm{{Perp}}(P_{k + 1})$", answer=True)

        s.part("b", r"Compute the joint probabilities $p_{ij}$.")
        denom = 2.0 if s.mistake("forgot_2n", "divided by 2 instead of 2n when symmetrising; the p_ij of all "
                                              "pairs must sum to 1") else 2.0 * n
        P = s.step("p_joint", (pc + pc.T) / denom * offf, r"p_{ij} = \frac{p_{j|i} + p_{i|j}}{2n}",
                   lambda: rf"\frac{{p_{{j|i}} + p_{{i|j}}}}{{{2 * n}}}", label=r"$p_{ij}$")

        s.part("c", r"Compute the map's $q_{ij}$ under symmetric SNE's Gaussian kernel and under t-SNE's "
                    r"Student-t kernel.")
        dy = _sq_dists(y)
        gauss = np.exp(-dy) * offf
        student = offf / (1.0 + dy)
        q_sne = gauss / gauss.sum()
        pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
        s.step("q_sne", q_sne, r"q_{ij} = \frac{\exp(-\|y_i - y_j\|^2)}{\sum_{k \neq l} \exp(-\|y_k - y_l\|^2)}",
               lambda: self._pairs_work(dy, pairs, r"\exp(-\|y_k - y_l\|^2)", gauss.sum(),
                                        rf"q_{{12}} = \frac{{\exp(-{num(dy[0, 1])})}}{{{num(gauss.sum())}}}"),
               label=r"$q_{ij}$ (SNE, Gaussian)", answer=True)
        if s.mistake("gaussian_q", "used a Gaussian kernel for t-SNE's q_ij; t-SNE uses the heavy-tailed "
                                   "Student-t kernel (1 + d^2)^-1 in the map"):
            q_t = q_sne
        elif s.mistake("q_per_point", "normalised q_ij per point i; t-SNE's q_ij are normalised over all "
                                      "pairs k != l"):
            q_t = student / student.sum(axis=1, keepdims=True)
        else:
            q_t = student / student.sum()
        Q = s.step("q_tsne", q_t,
                   r"q_{ij} = \frac{(1 + \|y_i - y_j\|^2)^{-1}}{\sum_{k \neq l} (1 + \|y_k - y_l\|^2)^{-1}}",
                   lambda: self._pairs_work(dy, pairs, r"(1 + \|y_k - y_l\|^2)^{-1}", student.sum(),
                                            rf"q_{{12}} = \frac{{(1 + {num(dy[0, 1])})^{{-1}}}}{{{num(student.sum())}}}"),
                   label=r"$q_{ij}$ (t-SNE, Student-t)", answer=True)

        s.part("d", r"Compute the cost $C = KL(P \| Q)$ with t-SNE's $Q$.")
        P, Q = np.asarray(P, dtype=float), np.asarray(Q, dtype=float)
        p_off, q_off = P[off], Q[off]
        if s.mistake("kl_reversed", "computed KL(Q || P); t-SNE's cost is KL(P || Q) = sum p ln(p / q)"):
            kl = np.sum(q_off * np.log(q_off / p_off))
        else:
            kl = np.sum(p_off * np.log(p_off / q_off))
        s.step("kl", float(kl), r"C = \sum_{i \neq j} p_{ij} \ln \frac{p_{ij}}{q_{ij}}",
               lambda: r"2 \left(" + " + ".join(rf"{num(P[a, b])} \ln \frac{{{num(P[a, b])}}}{{{num(Q[a, b])}}}"
                                                  for a, b in pairs) + r"\right) \text{ (each pair twice)}",
               label=r"$KL(P \| Q)$", tol=SMALL)

        s.part("e", rf"Compute the gradient $\partial C / \partial y_{i + 1}$.")
        diff = y[i] - y
        sign = -1.0 if s.mistake("q_minus_p", "used (q_ij - p_ij); the gradient has (p_ij - q_ij)") else 1.0
        if s.mistake("sne_gradient", "left out t-SNE's factor (1 + ||y_i - y_j||^2)^-1 (that is the gradient "
                                     "of symmetric SNE)"):
            factor = np.ones(n)
        else:
            factor = 1.0 / (1.0 + dy[i])
        coef = sign * (P[i] - Q[i]) * factor
        coef[i] = 0.0
        s.step("grad", 4.0 * coef @ diff,
               rf"\frac{{\partial C}}{{\partial y_{i + 1}}} = 4 \sum_j (p_{{{i + 1}j}} - q_{{{i + 1}j}})"
               rf"(y_{i + 1} - y_j)(1 + \|y_{i + 1} - y_j\|^2)^{{-1}}",
               lambda: "4 \\left(" + " + ".join(
                   rf"({num(P[i, j])} - {num(Q[i, j])}) {par(diff[j, 0]) if len(diff[j]) == 1 else row(diff[j])} "
                   rf"\cdot {num(factor[j])}" for j in range(n) if j != i) + r"\right)",
               label=rf"$\partial C / \partial y_{i + 1}$")

    @staticmethod
    def _pairs_work(dy: np.ndarray, pairs, kernel: str, total: float, example: str) -> str:
        """The squared map distances of the pairs, the normaliser (each pair counted twice) and one entry."""
        dists = ", ".join(rf"\|y_{a + 1} - y_{b + 1}\|^2 = {num(dy[a, b])}" for a, b in pairs)
        return rf"{dists};\ \sum_{{k \neq l}} {kernel} = {num(total)};\ {example}"


# ---------------------------------------------------------------------------------------------


class AutoencoderGivens(Givens):
    sizes: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        min_length=2, max_length=5, description="encoder layer sizes from the input to the code, e.g. [784, 128, 32]")
    tied: bool = Field(False, description="the decoder reuses the transposed encoder weights (own biases only)")
    x: list[Number] = Field(min_length=2, max_length=8, description="a clean input for the denoising part")
    noise: Literal["mask", "gaussian"] = Field(description="masking noise or additive Gaussian noise")
    nu: float | None = Field(None, gt=0, lt=1, description="mask: the probability of zeroing an input")
    u: list[Annotated[float, Field(ge=0, le=1)]] | None = Field(None, description="mask: uniform draws u_i")
    noise_std: float | None = Field(None, gt=0, le=100, description="gaussian: the noise's standard deviation")
    eps: list[Number] | None = Field(None, description="gaussian: standard-normal draws")
    x_hat: list[Number] = Field(description="the decoder's output for the corrupted input")
    rho: float = Field(gt=0, lt=1, description="sparsity target rho")
    activations: list[list[Annotated[float, Field(gt=0, lt=1)]]] = Field(
        min_length=1, max_length=8, description="hidden activations, one row per example, one column per unit")

    @model_validator(mode="after")
    def _valid(self):
        if self.sizes[-1] >= self.sizes[0]:
            raise ValueError("the code must be smaller than the input")
        d = len(self.x)
        if self.noise == "mask":
            if self.nu is None or self.u is None or self.noise_std is not None or self.eps is not None:
                raise ValueError("masking noise takes nu and u (and no noise_std or eps)")
            draws = self.u
        else:
            if self.noise_std is None or self.eps is None or self.nu is not None or self.u is not None:
                raise ValueError("gaussian noise takes noise_std and eps (and no nu or u)")
            draws = self.eps
        if len(draws) != d or len(self.x_hat) != d:
            raise ValueError(f"the noise draws and x_hat need one entry per input ({d})")
        s = len(self.activations[0])
        if not 1 <= s <= 8 or any(len(r) != s for r in self.activations):
            raise ValueError("activations must have the same 1 to 8 units in every row")
        return self


def layer_params(sizes: list[int], biases: bool = True) -> int:
    return sum(a * b + (b if biases else 0) for a, b in zip(sizes, sizes[1:]))


@generator(id="autoencoder", topic="unsupervised", goal="12.10", version=1,
           title="Autoencoders: parameters, compression, denoising and the sparsity penalty")
class Autoencoder(Generator):
    """A fully connected autoencoder: parameter counts (optionally tied weights) and compression
    ratio; a denoising corruption and its loss; the sparse autoencoder's KL penalty."""

    Givens = AutoencoderGivens

    def draw(self, rng):
        while True:
            side = pick(rng, [8, 16, 28, 32])
            d = side * side
            hidden = [h for h in (512, 256, 128, 64, 32) if h < d]
            depth = pick(rng, [1, 1, 2]) if len(hidden) >= 2 else 1
            layers = sorted((hidden[j] for j in _subset(rng, len(hidden), depth)), reverse=True)
            code = pick(rng, [c for c in (2, 8, 16, 32) if c < layers[-1]])
            sizes = [d, *layers, code]
            k = pick(rng, [4, 5, 6])
            x = (rng.integers(0, 11, size=k) / 10).tolist()
            u = v = None
            if rng.random() < 0.5:
                nu = pick(rng, [0.25, 0.3, 0.4, 0.5])
                u = (rng.integers(0, 100, size=k) / 100).tolist()
                masked = [ui < nu for ui in u]
                # some inputs zeroed and some kept, none of them already 0, no draw exactly at nu
                if all(masked) or not any(masked) or nu in u or not all(x[i] for i in range(k) if masked[i]):
                    continue
                noise = dict(noise="mask", nu=nu, u=u)
                corrupted = [0.0 if m else xi for xi, m in zip(x, masked)]
            else:
                std = pick(rng, [0.1, 0.2, 0.5])
                v = (rng.integers(-20, 21, size=k) / 10).tolist()
                if not all(v):
                    continue
                noise = dict(noise="gaussian", noise_std=std, eps=v)
                corrupted = [xi + std * e for xi, e in zip(x, v)]
            x_hat = np.round(np.array(x) + rng.integers(-2, 3, size=k) / 10, 1)
            if np.abs(x_hat - x).max() < 1e-9 or np.abs(x_hat - corrupted).max() < 1e-9:
                continue
            s_units, m_ex = pick(rng, [2, 3, 3]), pick(rng, [3, 4, 4])
            acts = rng.integers(1, 61, size=(m_ex, s_units)) / 100
            return AutoencoderGivens(sizes=sizes, tied=bool(rng.random() < 0.3), x=x, x_hat=x_hat.tolist(),
                                     rho=pick(rng, [0.05, 0.1, 0.1, 0.2]), activations=acts.tolist(), **noise)

    def stem(self, g):
        sizes, d = g.sizes, g.sizes[0]
        side = math.isqrt(d)
        what = (f"flattened {side}×{side} grey-scale images ($d = {d}$ inputs)" if side * side == d
                else f"inputs of size {d}")
        chain = " \\to ".join(map(str, sizes))
        back = " \\to ".join(map(str, sizes[::-1]))
        tied = ("The decoder uses tied weights: each decoder layer's weight matrix is the transpose of the "
                "matching encoder layer's, so only its biases are new parameters."
                if g.tied else "The decoder has its own weights and biases.")
        if g.noise == "mask":
            noise = (f"masking noise: every input is set to 0 where its uniform draw $u_i < \\nu = {num(g.nu)}$, and "
                     f"kept otherwise; the draws are $u = {row(g.u)}$")
        else:
            noise = (r"additive Gaussian noise $\tilde x = x + \sigma \epsilon$ with "
                     f"$\\sigma = {num(g.noise_std)}$ and "
                     f"the standard-normal draws $\\epsilon = {row(g.eps)}$")
        m, s = len(g.activations), len(g.activations[0])
        acts = mat(g.activations)
        return (
            f"A fully connected autoencoder for {what} has the encoder ${chain}$ and the mirrored decoder "
            f"${back}$ (the numbers are layer sizes; the last encoder layer is the code). Every layer is "
            f"fully connected with a bias per output unit. {tied} The compression ratio is the number of input "
            "values divided by the number of code values."
            "\n\n"
            f"Denoising: a clean input $x = {row(g.x)}$ is corrupted with {noise}. The decoder's output for the "
            f"corrupted input is $\\hat x = {row(g.x_hat)}$, and the reconstruction loss is the sum of squared "
            r"errors against the clean input, $L = \sum_i (\hat x_i - x_i)^2$."
            "\n\n"
            f"Sparsity: for a minibatch of {m} examples the {s} hidden units have the sigmoid activations "
            "(row: example, column: unit)"
            "\n\n"
            f"$$A = {acts}$$"
            "\n\n"
            f"The sparse autoencoder's penalty with target $\\rho = {num(g.rho)}$ is"
            "\n\n"
            r"$$\Omega = \sum_j KL(\rho \| \hat\rho_j) = \sum_j \left[ \rho \ln \frac{\rho}{\hat\rho_j} + "
            r"(1 - \rho) \ln \frac{1 - \rho}{1 - \hat\rho_j} \right]$$"
            "\n\n"
            r"where $\hat\rho_j$ is unit $j$'s mean activation over the minibatch (natural log). Give "
            "counts exactly, the KL terms and $\\Omega$ to 3 significant figures, other answers to 3 decimals."
        )

    def solve(self, s: Steps, g: AutoencoderGivens):
        sizes = list(g.sizes)
        back = sizes[::-1]
        s.part("a", "Count the parameters of the encoder, of the decoder and of the whole autoencoder.")
        biases = not s.mistake("biases_forgotten", "counted only the weights; every layer also has one bias per "
                                                   "output unit")
        enc = s.step("enc_params", layer_params(sizes, biases), r"\sum_l (n_{l} n_{l+1} + n_{l+1})",
                     lambda: " + ".join(f"({a} \\cdot {b} + {b})" for a, b in zip(sizes, sizes[1:])),
                     label="encoder parameters", answer=True)
        if g.tied and not s.mistake("tied_weights_counted",
                                    "counted the decoder's weights; with tied weights the decoder reuses the "
                                    "encoder's, only its biases are new"):
            dec = sum(back[1:]) if biases else 0
            formula, work = r"\sum_l n_{l+1} \text{ (biases only)}", lambda: " + ".join(map(str, back[1:]))
        else:
            dec = layer_params(back, biases)
            formula = r"\sum_l (n_{l} n_{l+1} + n_{l+1})"
            work = lambda: " + ".join(f"({a} \\cdot {b} + {b})" for a, b in zip(back, back[1:]))
        dec = s.step("dec_params", dec, formula, work, label="decoder parameters", answer=True)
        s.step("total_params", int(enc) + int(dec), r"\text{encoder} + \text{decoder}", lambda: f"{enc} + {dec}",
               label="total parameters", answer=True)

        s.part("b", "What is the compression ratio of the code?")
        if s.mistake("ratio_inverted", "divided the code size by the input size; the ratio is input values "
                                       "per code value"):
            ratio = sizes[-1] / sizes[0]
        elif len(sizes) > 2 and s.mistake("ratio_first_hidden", "used the first hidden layer; the compressed "
                                                                "representation is the code, the last encoder layer"):
            ratio = sizes[0] / sizes[1]
        else:
            ratio = sizes[0] / sizes[-1]
        s.step("ratio", float(ratio), r"\frac{d}{\text{code size}}", lambda: rf"\frac{{{sizes[0]}}}{{{sizes[-1]}}}",
               label="compression ratio")

        s.part("c", r"Give the corrupted input $\tilde x$ and the reconstruction loss $L$.")
        x = np.array(g.x, dtype=float)
        if g.noise == "mask":
            u = np.array(g.u)
            keep = u < g.nu if s.mistake("mask_inverted", "zeroed the inputs with u_i >= nu; an input is zeroed "
                                                          "(with probability nu) when u_i < nu") else u >= g.nu
            x_tilde = np.where(keep, x, 0.0)
            formula = r"\tilde x_i = 0 \text{ if } u_i < \nu, \text{ else } x_i"
            work = lambda: r"\text{zeroed: }" + ", ".join(f"x_{i + 1}" for i in np.flatnonzero(~keep))
        else:
            std = g.noise_std
            if std != 1 and s.mistake("noise_variance", "scaled the noise by the variance sigma^2; the standard "
                                                        "deviation sigma multiplies epsilon"):
                std = std ** 2
            eps = np.array(g.eps)
            x_tilde = x + std * eps
            formula = r"\tilde x_i = x_i + \sigma \epsilon_i"
            work = lambda: ", ".join(f"{num(a)} + {num(std)} \\cdot {par(e)}" for a, e in zip(x, eps))
        x_tilde = s.step("x_tilde", x_tilde, formula, work, label=r"$\tilde x$", answer=True)
        x_hat = np.array(g.x_hat)
        target = x
        if s.mistake("loss_vs_corrupted", "compared the output with the corrupted input; a denoising "
                                          "autoencoder is trained to reproduce the clean x"):
            target = np.asarray(x_tilde, dtype=float)
        s.step("loss", float(np.sum((x_hat - target) ** 2)), r"L = \sum_i (\hat x_i - x_i)^2",
               lambda: " + ".join(f"({num(a)} - {par(b)})^2" for a, b in zip(x_hat, target)), label="$L$",
               answer=True)

        s.part("d", r"Compute the mean activations $\hat\rho_j$, the terms $KL(\rho \| \hat\rho_j)$ and the "
                    r"penalty $\Omega$.")
        A = np.array(g.activations)
        m = len(A)
        rho_hat = s.step("rho_hat", A.mean(axis=0), r"\hat\rho_j = \frac{1}{m}\sum_{i=1}^{m} a_j^{(i)}",
                         lambda: ", ".join(rf"\frac{{{' + '.join(num(a) for a in col)}}}{{{m}}}" for col in A.T),
                         label=r"$\hat\rho$")
        rho, rh = g.rho, np.asarray(rho_hat, dtype=float)
        if s.mistake("kl_reversed", "computed KL(rho_hat || rho); the penalty is KL(rho || rho_hat), the "
                                    "target distribution first"):
            kl = rh * np.log(rh / rho) + (1 - rh) * np.log((1 - rh) / (1 - rho))
        elif s.mistake("kl_first_term_only", "kept only rho ln(rho / rho_hat); the KL divergence of two "
                                             "Bernoulli distributions also has the (1 - rho) term"):
            kl = rho * np.log(rho / rh)
        else:
            kl = rho * np.log(rho / rh) + (1 - rho) * np.log((1 - rho) / (1 - rh))
        kl = s.step("kl", kl, r"KL(\rho \| \hat\rho_j) = \rho \ln \frac{\rho}{\hat\rho_j} + (1 - \rho) \ln "
                              r"\frac{1 - \rho}{1 - \hat\rho_j}",
                    lambda: r",\ ".join(rf"{num(rho)} \ln \frac{{{num(rho)}}}{{{num(r)}}} + {num(1 - rho)} \ln "
                                        rf"\frac{{{num(1 - rho)}}}{{{num(1 - r)}}}" for r in rh),
                    label=r"$KL(\rho \| \hat\rho_j)$", tol=SMALL, answer=True)
        s.step("omega", float(np.sum(kl)), r"\Omega = \sum_j KL(\rho \| \hat\rho_j)",
               lambda: " + ".join(par(v) for v in np.asarray(kl)), label=r"$\Omega$", tol=SMALL, answer=True)


# ---------------------------------------------------------------------------------------------

Positive = Annotated[float, Field(gt=0, le=100)]


class VaeLatentGivens(Givens):
    mu_a: list[Number] = Field(min_length=1, max_length=6, description="encoder means of image A")
    sigma_a: list[Positive] = Field(description="encoder standard deviations of image A")
    eps_a: list[Number] = Field(description="standard-normal sample for image A")
    mu_b: list[Number] = Field(description="encoder means of image B")
    sigma_b: list[Positive] = Field(description="encoder standard deviations of image B")
    eps_b: list[Number] = Field(description="standard-normal sample for image B")
    alpha: float = Field(ge=0, le=1, description="interpolation weight: 0 gives z_A, 1 gives z_B")
    W: list[list[Number]] = Field(min_length=1, max_length=6, description="decoder's first layer: weights (k x d)")
    b: list[Number] = Field(description="decoder's first layer: biases (k)")

    @model_validator(mode="after")
    def _valid(self):
        d = len(self.mu_a)
        if any(len(v) != d for v in (self.sigma_a, self.eps_a, self.mu_b, self.sigma_b, self.eps_b)):
            raise ValueError(f"mu, sigma and eps of both images need one entry per latent dimension ({d})")
        if any(len(r) != d for r in self.W):
            raise ValueError(f"every row of W needs {d} entries (one per latent dimension)")
        if len(self.b) != len(self.W):
            raise ValueError("b needs one entry per row of W")
        return self


@generator(id="vae_latent", topic="unsupervised", goal="12.15", version=1,
           title="VAE: sampling latent codes and interpolating between two images")
class VaeLatent(Generator):
    """Sample z_A and z_B with the reparameterisation trick, interpolate between them, and put the
    interpolated code through the decoder's first (ReLU) layer."""

    Givens = VaeLatentGivens

    def draw(self, rng):
        while True:
            d, k = pick(rng, [2, 2, 3]), pick(rng, [2, 3])
            sig = np.array([0.5, 1.0, 2.0, 1.5, 0.5])
            mu = rng.integers(-15, 16, size=(2, d)) / 10
            sigma = sig[rng.integers(len(sig), size=(2, d))]
            eps = rng.integers(-20, 21, size=(2, d)) / 10
            if not eps.all() or np.all(sigma == 1):
                continue
            alpha = pick(rng, [0.25, 0.75, 0.2, 0.4, 0.6, 0.8, 0.5])
            W = rng.integers(-10, 11, size=(k, d)) / 10
            z = mu + eps * sigma
            wz = W @ ((1 - alpha) * z[0] + alpha * z[1])
            for b in rng.integers(-10, 11, size=(8, k)) / 10:
                pre = wz + b
                # the ReLU must matter and nothing may sit on its kink
                if pre.min() < -0.05 and pre.max() > 0.05 and np.abs(pre).min() >= 0.05:
                    break
            else:
                continue
            return VaeLatentGivens(mu_a=mu[0].tolist(), sigma_a=sigma[0].tolist(), eps_a=eps[0].tolist(),
                                   mu_b=mu[1].tolist(), sigma_b=sigma[1].tolist(), eps_b=eps[1].tolist(),
                                   alpha=alpha, W=W.tolist(), b=b.tolist())

    def stem(self, g):
        d = len(g.mu_a)
        return (
            f"A variational autoencoder with a {d}-dimensional latent space encodes two images. For image A the "
            f"encoder gives $\\mu_A = {row(g.mu_a)}$ and $\\sigma_A = {row(g.sigma_a)}$; for image B, "
            f"$\\mu_B = {row(g.mu_b)}$ and $\\sigma_B = {row(g.sigma_b)}$ (independent dimensions, "
            r"$q = \mathcal{N}(\mu, \sigma^2)$). Latent codes are sampled with the reparameterisation trick, "
            r"as in the course, $z = \mu + \tilde z \cdot \sigma$ (elementwise), with the standard-normal samples "
            f"$\\tilde z_A = {row(g.eps_a)}$ and $\\tilde z_B = {row(g.eps_b)}$."
            "\n\n"
            "To generate an image between the two, the decoder gets the linear interpolation of the two "
            r"sampled codes, $z_\alpha = (1 - \alpha) z_A + \alpha z_B$, here with "
            f"$\\alpha = {num(g.alpha)}$. The decoder's first layer is $h = \\mathrm{{ReLU}}(W z + b)$ with"
            "\n\n"
            f"$$W = {mat(g.W)}, \\qquad b = {mat(g.b)}.$$"
            "\n\n"
            "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: VaeLatentGivens):
        s.part("a", r"Sample the latent codes $z_A$ and $z_B$.")
        spread = {}
        variance = s.mistake("z_uses_variance", "multiplied the sample by sigma^2; z = mu + z~ * sigma")
        codes = {}
        for name, mu, sigma, eps in (("A", g.mu_a, g.sigma_a, g.eps_a), ("B", g.mu_b, g.sigma_b, g.eps_b)):
            mu, sigma, eps = np.array(mu), np.array(sigma), np.array(eps)
            sd = sigma ** 2 if variance else sigma
            spread[name] = sd
            codes[name] = s.step(f"z_{name.lower()}", mu + eps * sd,
                                 rf"z_{name} = \mu_{name} + \tilde z_{name} \cdot \sigma_{name}",
                                 lambda: ", ".join(rf"{num(m)} + {par(e)} \cdot {num(v)}" for m, e, v in zip(mu, eps, sd)),
                                 label=f"$z_{name}$", answer=True)
        alpha = g.alpha
        s.part("b", rf"Compute the interpolated code $z_\alpha$ for $\alpha = {num(alpha)}$.")
        za, zb = np.asarray(codes["A"], dtype=float), np.asarray(codes["B"], dtype=float)
        if alpha != 0.5 and s.mistake("alpha_swapped", "swapped the weights: alpha = 0 must give z_A, so z_A is "
                                                       "weighted by 1 - alpha"):
            wa, wb = alpha, 1 - alpha
        else:
            wa, wb = 1 - alpha, alpha
        if s.mistake("interpolated_means", "interpolated the means mu_A, mu_B; the question interpolates the "
                                           "sampled codes z_A, z_B"):
            za, zb = np.array(g.mu_a), np.array(g.mu_b)
        z = s.step("z_alpha", wa * za + wb * zb, r"z_\alpha = (1 - \alpha) z_A + \alpha z_B",
                   lambda: rf"{num(wa)} {row(za)} + {num(wb)} {row(zb)}", label=r"$z_\alpha$")

        s.part("c", r"Compute the decoder's first layer for $z_\alpha$: the pre-activation $W z_\alpha + b$ "
                    r"and the output $h$.")
        W, b = np.array(g.W), np.array(g.b)
        z = np.asarray(z, dtype=float)
        bias = b
        if s.mistake("bias_forgotten", "left out the bias b"):
            bias = np.zeros_like(b)
        pre = s.step("pre", W @ z + bias, r"W z_\alpha + b",
                     lambda: rf"{mat(W)} {mat(z)} + {mat(b)}", label=r"$W z_\alpha + b$", answer=True)
        pre = np.asarray(pre, dtype=float)
        if s.mistake("relu_forgotten", "left out the ReLU; negative pre-activations become 0"):
            h = pre
        else:
            h = np.maximum(pre, 0.0)
        s.step("h", h, r"h = \mathrm{ReLU}(W z_\alpha + b) = \max(0, W z_\alpha + b)",
               lambda: rf"\max\left(0, {row(pre)}\right)", label="$h$", answer=True)
