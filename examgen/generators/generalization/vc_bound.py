"""The Vapnik-Chervonenkis inequality for a perceptron."""

import math
from functools import lru_cache

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from ._numbers import big, sci

SIG3 = Tolerance.significant(3)
PLACES3 = Tolerance.places(3)
TYPABLE_INTEGER = 10 ** 15
"""The largest whole number a student can type as an integer answer (see ``kinds/parse.py``)."""


class VcBoundGivens(Givens):
    d: int = Field(ge=1, le=50, description="input dimension d of the perceptron sign(w^T x + w_0)")
    N: int = Field(ge=1, le=10 ** 9, description="number of training examples")
    eps: float = Field(gt=0, le=1, description="tolerance epsilon in the VC inequality (part c)")
    delta: float = Field(gt=0, lt=1, description="allowed failure probability delta (part d)")

    @model_validator(mode="after")
    def _finite(self):
        if (self.d + 1) * math.log10(2 * self.N) > 250:
            raise ValueError("(2N)^(d+1) is too large to write down; use a smaller N or d")
        if self.eps ** 2 * self.N / 8 > 700:
            raise ValueError("eps^2 N / 8 is above 700: the exponential underflows; use a smaller eps or N")
        return self


def growth_bound(points, dvc):
    """``points**dvc + 1``: an exact int while a student can type it, else a float."""
    if isinstance(dvc, int) and isinstance(points, int) and 0 <= dvc <= 400 and points >= 0:
        value = points ** dvc + 1
        return value if value <= TYPABLE_INTEGER else float(value)
    return float(points) ** dvc + 1.0


@lru_cache(maxsize=None)
def _vc_draws() -> tuple[list, list]:
    """(N, d, eps) whose bound is clearly useful (below 1/2) or clearly vacuous (above 2).

    2N is a power of ten times a power of two, so ln 2 and ln 10 suffice by hand. A student one
    off in d_vc can still type the growth bound as an integer, and the exponential (at least
    1e-10) and a useful bound (at least 1e-8) stay well above the graders' absolute floor of 1e-12.
    """
    useful, vacuous = [], []
    for N in (100, 200, 250, 400, 500, 800, 1000, 1250, 2000, 2500, 5000, 10000):
        for d in (1, 2, 3, 4, 5):
            if (2 * N) ** (d + 2) + 1 > TYPABLE_INTEGER:
                continue
            for eps in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8):
                x = eps ** 2 * N / 8
                if x < 0.5 or math.exp(-x) < 1e-10:
                    continue
                bound = 4 * ((2 * N) ** (d + 1) + 1) * math.exp(-x)
                if 1e-8 <= bound < 0.5:
                    useful.append((N, d, eps))
                elif bound > 2:
                    vacuous.append((N, d, eps))
    return useful, vacuous


_FACTOR_4 = ("left out the factor 4 in front of the growth function; the VC inequality is "
             "4 m_H(2N) e^(-eps^2 N / 8)")


@generator(id="vc_bound", topic="generalization", goal="08.8", version=1,
           title="The Vapnik-Chervonenkis inequality for a perceptron")
class VcBound(Generator):
    """d_vc of a perceptron, the growth-function bound, the VC bound for given eps, the eps for
    a given confidence (the course's / Abu-Mostafa's form of the inequality)."""

    Givens = VcBoundGivens

    def draw(self, rng):
        useful, vacuous = _vc_draws()
        N, d, eps = pick(rng, useful if rng.random() < 0.3 else vacuous)
        return VcBoundGivens(d=d, N=N, eps=eps, delta=pick(rng, [0.01, 0.05, 0.05, 0.1]))

    def stem(self, g):
        x = g.eps ** 2 * g.N / 8
        exps = ", ".join(f"$e^{{-{num(v)}}} = {sci(math.exp(-v), 4)}$" for v in (x / 2, x, 2 * x))
        return (
            r"A perceptron $h(x) = \mathrm{sign}(w^T x + w_0)$ on inputs $x \in \mathbb{R}^d$ with "
            f"$d = {g.d}$, with weights $w$ and a bias $w_0$, is learned from $N = {g.N}$ training "
            "examples. Use the Vapnik-Chervonenkis inequality in the course's form (Abu-Mostafa),"
            "\n\n"
            r"$$P\left[\,|E_{in}(g) - E_{out}(g)| > \epsilon\,\right] \le 4\, m_{\mathcal{H}}(2N)\, "
            r"e^{-\frac{1}{8}\epsilon^2 N}$$"
            "\n\n"
            "with the polynomial bound on the growth function,"
            "\n\n"
            r"$$m_{\mathcal{H}}(N) \le N^{d_{vc}} + 1,$$"
            "\n\n"
            r"and take this bound as the value of $m_{\mathcal{H}}$ wherever it is needed. "
            r"$\log$ and $\ln$ are the natural logarithm. "
            f"You may use {exps}, $\\ln 2 = 0.6931$ and $\\ln 10 = 2.3026$ (a calculator may be "
            "used for square roots and other logarithms). "
            "Give whole numbers exactly, the exponential and the bound to 3 significant figures, "
            r"and $\epsilon$ to 3 decimals."
        )

    def solve(self, s: Steps, g: VcBoundGivens):
        N, d = g.N, g.d
        s.part(r"What is the VC dimension $d_{vc}$ of this perceptron?")
        if s.mistake("dvc_without_bias", "counted only the d weights of x; with the bias w_0 a "
                                         "perceptron in R^d shatters d + 1 points, so d_vc = d + 1"):
            dvc = d
        else:
            dvc = d + 1
        dvc = s.step("dvc", dvc, r"d_{vc} = d + 1", lambda: f"{d} + 1", label=r"$d_{vc}$")

        points = 2 * N
        if s.mistake("growth_at_N", "evaluated the growth function at N; the VC inequality "
                                    "needs m_H(2N), at 2N points"):
            points = N
        exact = isinstance(growth_bound(2 * N, d + 1), int)
        s.part((r"Bound the growth function at $2N$: compute $m_{\mathcal{H}}(2N) \le (2N)^{d_{vc}} + 1$"
                + (" (a whole number: give it exactly)." if exact else " (3 significant figures).")))
        growth = growth_bound(points, dvc)
        if not exact:
            growth = float(growth)  # a scalar step compares floats within its tolerance
        if s.mistake("growth_no_plus_one", "left out the +1 of the polynomial bound "
                                           "m_H(N) <= N^d_vc + 1"):
            growth = growth - 1
        growth = s.step("growth", growth, r"m_{\mathcal{H}}(2N) \le (2N)^{d_{vc}} + 1",
                        lambda: rf"({2 * N})^{{{dvc}}} + 1", label=r"$m_{\mathcal{H}}(2N)$", tol=SIG3)

        s.part(rf"Take $\epsilon = {num(g.eps)}$. Compute $e^{{-\frac18 \epsilon^2 N}}$ and the bound "
               r"$4\, m_{\mathcal{H}}(2N)\, e^{-\frac18 \epsilon^2 N}$ on "
               r"$P[|E_{in} - E_{out}| > \epsilon]$. Does the bound tell us anything, "
               "that is, is it below 1 (yes/no)?")
        x = g.eps ** 2 * N / 8
        if s.mistake("eps_not_squared", "used eps instead of eps^2 in the exponent"):
            expo = g.eps * N / 8
        elif s.mistake("hoeffding_exponent", "used Hoeffding's exponent -2 eps^2 N (one fixed "
                                             "hypothesis); the VC inequality has -eps^2 N / 8"):
            expo = 2 * g.eps ** 2 * N
        else:
            expo = x
        factor = s.step("exp_factor", math.exp(-expo), r"e^{-\frac{1}{8}\epsilon^2 N}",
                        lambda: rf"e^{{-{num(g.eps)}^2 \cdot {N} / 8}} = e^{{-{num(x)}}}",
                        label=r"$e^{-\epsilon^2 N/8}$", tol=SIG3)
        four = 1 if s.mistake("missing_factor_4", _FACTOR_4) else 4
        bound = s.step("bound", four * growth * factor,
                       r"4\, m_{\mathcal{H}}(2N)\, e^{-\frac{1}{8}\epsilon^2 N}",
                       lambda: rf"4 \cdot {big(growth)} \cdot {sci(factor, 4)}",
                       label=r"bound on $P[|E_{in} - E_{out}| > \epsilon]$", tol=SIG3, answer=True)
        s.step("useful", "yes" if bound < 1 else "no", None,
               lambda: r"\text{is } " + sci(bound) + r" < 1 \text{?}",
               label="is the bound below 1?", options=["yes", "no"], answer=True)

        s.part(rf"For which $\epsilon$ does the bound equal $\delta = {num(g.delta)}$? "
               rf"(With probability at least $1 - \delta = {num(1 - g.delta)}$, "
               r"$|E_{in} - E_{out}| \le \epsilon$.)")
        four = 1 if s.mistake("missing_factor_4", _FACTOR_4) else 4
        with np.errstate(all="ignore"):
            eps2 = 8 / N * np.log(four * float(growth) / g.delta)
            if s.mistake("eps_no_sqrt", "gave eps^2; solving the bound for eps needs the square root"):
                eps_conf = eps2
            else:
                eps_conf = np.sqrt(eps2)
        s.step("eps_conf", float(eps_conf),
               r"\epsilon = \sqrt{\frac{8}{N} \ln \frac{4\, m_{\mathcal{H}}(2N)}{\delta}}",
               lambda: rf"\sqrt{{\frac{{8}}{{{N}}} \ln \frac{{4 \cdot {big(growth)}}}{{{num(g.delta)}}}}}"
                       rf" = \sqrt{{{num(8 / N, 6)} \cdot {num(np.log(4 * float(growth) / g.delta))}}}",
               label=r"$\epsilon$ for confidence $1 - \delta$", tol=PLACES3)
