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
from .._stems import calculator, given_values
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
def _vc_draws() -> tuple[dict[int, list], list]:
    """(N, d, eps) whose bound is useful (1e-8 to 0.5), by d, and some that are vacuous but not
    absurdly so (2 to 10^6): the useful ones span d = 1..5, N = 10^3..10^6 and bounds from 1e-8 to 0.5.

    2N is a power of ten times a power of two (or five), so ln 2 and ln 10 suffice by hand; the stem
    gives the exponentials. The growth bound is a whole number while a student can type it, else a
    number to 3 significant figures; the small values are graded relative to their size
    (:data:`SIG3_RELATIVE`), so a tiny exponential is not matched by any tiny answer.
    """
    useful: dict[int, list] = {}
    vacuous = []
    for N in (1000, 2000, 2500, 4000, 5000, 10000, 20000, 25000, 40000, 50000, 100000, 200000, 250000,
              500000, 1000000):
        for d in (1, 2, 3, 4, 5):
            for eps in (0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4,
                        0.45, 0.5, 0.6):
                x = eps ** 2 * N / 8
                if not 0.5 <= x <= 150:
                    continue
                bound = math.exp(math.log(4) + math.log((2 * N) ** (d + 1) + 1) - x)
                if 1e-8 <= bound <= 0.5:
                    useful.setdefault(d, []).append((N, d, eps))
                elif 2 <= bound <= 1e6:
                    vacuous.append((N, d, eps))
    return useful, vacuous


SIG3_RELATIVE = Tolerance(rel=10.0 ** -2, abs=0.0, sigfigs=3)
"""3 significant figures without the absolute floor of ``Tolerance.significant``: the exponential
here can be 1e-60, and an answer of 0 must not match it."""
_FACTOR_4 = ("left out the factor 4 in front of the growth function; the VC inequality is "
             "4 m_H(2N) e^(-eps^2 N / 8)")


@generator(id="vc_bound", topic="generalization", goal="08.8", version=2,
           title="The Vapnik-Chervonenkis inequality for a perceptron")
class VcBound(Generator):
    """d_vc of a perceptron, the growth-function bound, the VC bound for given eps, the eps for
    a given confidence (the course's / Abu-Mostafa's form of the inequality)."""

    Givens = VcBoundGivens

    def draw(self, rng):
        useful, vacuous = _vc_draws()
        if rng.random() < 0.75:  # mostly a bound that says something, for any d
            N, d, eps = pick(rng, useful[pick(rng, sorted(useful))])
        else:
            N, d, eps = pick(rng, vacuous)
        return VcBoundGivens(d=d, N=N, eps=eps, delta=pick(rng, [0.01, 0.05, 0.05, 0.1]))

    def stem(self, g):
        x = g.eps ** 2 * g.N / 8
        exps = [f"e^{{-{num(v)}}} = {sci(math.exp(-v), 4)}" for v in (x / 2, x, 2 * x)]
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
            + given_values(exps + [r"\ln 2 = 0.6931", r"\ln 10 = 2.3026"]) + " "
            + calculator("the square root and any other logarithm") + " "
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
        # a whole number only while it stays typable for a student one off in d_vc, too
        exact = isinstance(growth_bound(2 * N, d + 2), int)
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
                        label=r"$e^{-\epsilon^2 N/8}$", tol=SIG3_RELATIVE)
        four = 1 if s.mistake("missing_factor_4", _FACTOR_4) else 4
        bound = s.step("bound", four * growth * factor,
                       r"4\, m_{\mathcal{H}}(2N)\, e^{-\frac{1}{8}\epsilon^2 N}",
                       lambda: rf"4 \cdot {big(growth)} \cdot {sci(factor, 4)}",
                       label=r"bound on $P[|E_{in} - E_{out}| > \epsilon]$", tol=SIG3_RELATIVE, answer=True)
        useful = bound < 1
        s.step("useful", "yes" if useful else "no", None,
               lambda: r"\text{is } " + sci(bound) + r" < 1 \text{?}",
               label="is the bound below 1?", options=["yes", "no"], answer=True,
               explanation=(f"Yes: with probability at least $1 - {sci(bound)}$, $E_{{out}}$ is within "
                            f"$\\epsilon = {num(g.eps)}$ of $E_{{in}}$." if useful else
                            "No: a probability is at most 1, so a bound above 1 says nothing (it is vacuous): "
                            f"$N = {N}$ examples are too few for $d_{{vc}} = {d + 1}$ at this $\\epsilon$."))

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
        far = float(eps_conf) > 1
        s.step("eps_conf", float(eps_conf),
               r"\epsilon = \sqrt{\frac{8}{N} \ln \frac{4\, m_{\mathcal{H}}(2N)}{\delta}}",
               lambda: rf"\sqrt{{\frac{{8}}{{{N}}} \ln \frac{{4 \cdot {big(growth)}}}{{{num(g.delta)}}}}}"
                       rf" = \sqrt{{{num(8 / N, 6)} \cdot {num(np.log(4 * float(growth) / g.delta))}}}",
               label=r"$\epsilon$ for confidence $1 - \delta$", tol=PLACES3,
               explanation=("An $\\epsilon$ above 1 guarantees nothing: $E_{in}$ and $E_{out}$ lie in $[0, 1]$, "
                            "so $|E_{in} - E_{out}| \\le 1$ always; the bound is vacuous at this confidence."
                            if far else None))
