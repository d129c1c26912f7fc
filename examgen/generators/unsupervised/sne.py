"""SNE and t-SNE: neighbour probabilities, KL divergence, gradient and perplexity."""

import math
from functools import lru_cache
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick, subset
from .._givens import Number
from .._mistakes import KL_REVERSED

SMALL = Tolerance.significant(3)  # KL terms are often below 0.01


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


@generator(id="sne", topic="unsupervised", goal="12.8", version=2,
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
            x = space[subset(rng, len(space), n)]
            mapped = self.HALVES1 if m == 1 else self.HALVES2
            y = mapped[subset(rng, len(mapped), n)]
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

        s.part(rf"Compute the conditional probabilities $p_{{j|i}}$, then the entropy $H(P_{k + 1})$ and "
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

        s.part(r"Compute the joint probabilities $p_{ij}$.")
        denom = 2.0 if s.mistake("forgot_2n", "divided by 2 instead of 2n when symmetrising; the p_ij of all "
                                              "pairs must sum to 1") else 2.0 * n
        P = s.step("p_joint", (pc + pc.T) / denom * offf, r"p_{ij} = \frac{p_{j|i} + p_{i|j}}{2n}",
                   lambda: rf"\frac{{p_{{j|i}} + p_{{i|j}}}}{{{2 * n}}}", label=r"$p_{ij}$")

        s.part(r"Compute the map's $q_{ij}$ under symmetric SNE's Gaussian kernel and under t-SNE's "
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

        s.part(r"Compute the cost $C = KL(P \| Q)$ with t-SNE's $Q$.")
        P, Q = np.asarray(P, dtype=float), np.asarray(Q, dtype=float)
        p_off, q_off = P[off], Q[off]
        if s.mistake(KL_REVERSED):
            kl = np.sum(q_off * np.log(q_off / p_off))
        else:
            kl = np.sum(p_off * np.log(p_off / q_off))
        s.step("kl", float(kl), r"C = \sum_{i \neq j} p_{ij} \ln \frac{p_{ij}}{q_{ij}}",
               lambda: r"2 \left(" + " + ".join(rf"{num(P[a, b])} \ln \frac{{{num(P[a, b])}}}{{{num(Q[a, b])}}}"
                                                  for a, b in pairs) + r"\right) \text{ (each pair twice)}",
               label=r"$KL(P \| Q)$", tol=SMALL)

        s.part(rf"Compute the gradient $\partial C / \partial y_{i + 1}$.")
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
