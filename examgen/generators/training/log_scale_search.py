"""Hyperparameter search on a log scale."""

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick

EXPONENT = Tolerance.places(3)
SCALE = Tolerance.significant(3)
HYPER_NAMES = {"learning_rate": ("learning rate", r"\lambda"), "weight_decay": ("weight-decay strength", r"\alpha")}


class LogScaleGivens(Givens):
    param: Literal["learning_rate", "weight_decay"] = Field(description="the hyperparameter searched")
    low: float = Field(gt=0, le=1000, description="lower end of the search range")
    high: float = Field(gt=0, le=1000, description="upper end of the search range")
    u: list[float] = Field(min_length=1, max_length=4, description="uniform draws u in [0, 1]")
    threshold: float = Field(gt=0, description="the value X in 'probability of a sample below X'")
    grid_size: int = Field(ge=2, le=12, description="number K of grid candidates")

    @model_validator(mode="after")
    def _valid(self):
        if not self.low < self.threshold < self.high:
            raise ValueError("need low < threshold < high")
        if any(not 0 <= u <= 1 for u in self.u):
            raise ValueError("every u must lie in [0, 1]")
        return self


def _frac(x: float) -> float:
    return round(x - math.floor(x + 1e-9), 6)


@generator(id="log_scale_search", topic="training", goal="07.5", version=1,
           title="Hyperparameter search on a log scale")
class LogScaleSearch(Generator):
    """Log-uniform samples of a learning rate or weight decay from uniform draws, how much of the
    range a linear-scale sampler wastes, and the candidates of a log-spaced grid."""

    Givens = LogScaleGivens

    def draw(self, rng):
        param = pick(rng, ["learning_rate", "weight_decay"])
        if param == "learning_rate":
            lo, hi = pick(rng, [-6, -5, -5, -4, -4]), pick(rng, [-2, -1, -1, 0])
        else:
            lo, hi = pick(rng, [-6, -5, -4]), pick(rng, [-2, -1])
        span = hi - lo
        ks = [span + 1] + ([2 * span + 1] if 2 * span + 1 <= 9 else []) + ([span // 2 + 1] if span % 2 == 0 else [])
        n = pick(rng, [2, 2, 3])
        while True:
            u = sorted(int(x) / 100 for x in rng.choice(np.arange(5, 96), size=n, replace=False))
            if len({_frac(x * span) for x in u}) == n and all(_frac(x * span) for x in u):
                break  # every exponent has a fractional part, and the samples differ in it
        return LogScaleGivens(param=param, low=10.0 ** lo, high=10.0 ** hi, u=u,
                              threshold=10.0 ** int(rng.integers(lo + 1, hi)), grid_size=pick(rng, ks))

    def stem(self, g):
        name, sym = HYPER_NAMES[g.param]
        lo, hi = math.log10(g.low), math.log10(g.high)
        fracs = {_frac(lo + u * (hi - lo)) for u in g.u}
        step = (hi - lo) / (g.grid_size - 1)
        fracs |= {_frac(lo + k * step) for k in range(g.grid_size)}
        fracs = sorted(f for f in fracs if 1e-6 < f < 1 - 1e-6)
        hints = ", ".join(f"$10^{{{num(f)}}} = {num(10 ** f, 3)}$" for f in fracs)
        return (
            f"To tune the {name} ${sym}$, a random search samples it on a log scale between "
            f"${num(g.low)}$ and ${num(g.high)}$: it draws $u \\sim \\mathcal{{U}}(0, 1)$, sets the base-10 "
            r"exponent $e = \log_{10}(" + num(g.low) + r") + u\,\left(\log_{10}(" + num(g.high) + r") - "
            r"\log_{10}(" + num(g.low) + r")\right)$ and tries $" + sym + r" = 10^{e}$. "
            f"Its draws were $u = {row(g.u)}$.\n\n"
            f"A grid search instead tries $K = {g.grid_size}$ values evenly spaced on the log scale from "
            f"${num(g.low)}$ to ${num(g.high)}$, both included.\n\n"
            + (f"You may use {hints}. " if hints else "")
            + "Give logarithms and exponents to 3 decimals and all other answers to 3 significant figures."
        )

    def solve(self, s: Steps, g: LogScaleGivens):
        name, sym = HYPER_NAMES[g.param]
        u = np.array(g.u, dtype=float)
        s.part(rf"Compute $\log_{{10}}$ of the two ends of the range, the exponents $e_i$ and the "
               rf"sampled values ${sym}_i$.")
        ln = s.mistake("natural_log", "took the natural logarithm; the exponents are base 10 "
                                      "(the sample is 10^e)")
        log = np.log if ln else np.log10
        lo = np.float64(s.step("log_low", float(log(g.low)), rf"\log_{{10}}({num(g.low)})",
                               label=r"$\log_{10}$ of the lower end", tol=EXPONENT))
        hi = np.float64(s.step("log_high", float(log(g.high)), rf"\log_{{10}}({num(g.high)})",
                               label=r"$\log_{10}$ of the upper end", tol=EXPONENT))
        e = np.asarray(s.step("exponents", lo + u * (hi - lo), r"e_i = \log_{10}(\text{low}) + u_i "
                              r"\left(\log_{10}(\text{high}) - \log_{10}(\text{low})\right)",
                              lambda: r",\ ".join(rf"{num(lo)} + {num(x)} \cdot ({num(hi)} - {par(lo)})" for x in u),
                              label="$e_i$", tol=EXPONENT), dtype=float)
        linear = s.mistake("linear_sampling", "sampled on the linear scale, low + u (high - low); the "
                                              "search samples the exponent uniformly")
        if linear:
            values = g.low + u * (g.high - g.low)
        else:
            values = np.exp(e) if ln else 10.0 ** e
        s.step("samples", values, rf"{sym}_i = 10^{{e_i}}", lambda: r",\ ".join(f"10^{{{num(x)}}}" for x in e),
               label=f"${sym}_i$", tol=SCALE, answer=True)

        X = g.threshold
        s.part(rf"What is the probability that one log-scale sample is below ${num(X)}$? And for a "
               rf"sample drawn uniformly on the linear scale between ${num(g.low)}$ and ${num(g.high)}$?")
        if linear:
            p_log = (X - g.low) / np.float64(g.high - g.low)
        else:
            p_log = (math.log10(X) - lo) / (hi - lo)
        s.step("p_log", float(p_log), r"P = \frac{\log_{10} X - \log_{10}(\text{low})}"
                                      r"{\log_{10}(\text{high}) - \log_{10}(\text{low})}",
               lambda: rf"\frac{{{num(math.log10(X))} - {par(lo)}}}{{{num(hi)} - {par(lo)}}}",
               label="$P$ (log scale)", tol=SCALE, answer=True)
        s.step("p_linear", (X - g.low) / (g.high - g.low), r"P = \frac{X - \text{low}}{\text{high} - \text{low}}",
               lambda: rf"\frac{{{num(X)} - {num(g.low)}}}{{{num(g.high)} - {num(g.low)}}}",
               label="$P$ (linear scale)", tol=SCALE, answer=True)

        K = g.grid_size
        s.part(f"The grid search: compute the ratio $r$ between neighbouring candidates and the {K} "
               "candidates.")
        if s.mistake("grid_fencepost", f"divided the range into K = {K} steps; K values with both "
                                       f"ends included are K - 1 = {K - 1} steps apart"):
            steps = K
        else:
            steps = K - 1
        r = np.float64(s.step("ratio", float(10.0 ** ((hi - lo) / steps)),
                              r"r = 10^{(\log_{10}(\text{high}) - \log_{10}(\text{low}))/(K-1)}",
                              lambda: rf"10^{{({num(hi)} - {par(lo)})/{K - 1}}}", label="$r$", tol=SCALE))
        if s.mistake("linear_grid", "spaced the candidates evenly on the linear scale; a log-scale grid "
                                    "multiplies by the same ratio at every step"):
            grid = np.linspace(g.low, g.high, K)
        else:
            grid = g.low * r ** np.arange(K)
        s.step("grid", grid, rf"{sym}_k = \text{{low}} \cdot r^{{k}},\ k = 0, \dots, {K - 1}",
               lambda: r",\ ".join(rf"{num(g.low)} \cdot {num(r)}^{{{k}}}" for k in range(K)),
               label="grid candidates", tol=SCALE, answer=True)
