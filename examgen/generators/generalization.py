"""Lecture 08: generalization (the VC bound, L2 regularisation, dropout, transfer learning)."""


import math
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..fmt import num as _num, par as _par
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..steps import Steps
from ._draw import pick

SIG3 = Tolerance.significant(3)
PLACES3 = Tolerance.places(3)
TYPABLE_INTEGER = 10 ** 15
"""The largest whole number a student can type as an integer answer (see ``kinds/parse.py``)."""


# The worked solutions format many small numbers again and again: cache the formatting.
num = lru_cache(maxsize=8192)(_num)
par = lru_cache(maxsize=8192)(_par)


def row(values, digits: int = 4) -> str:
    """``(1, -0.5, 2)``: a vector written inline (as ``fmt.row``, with cached numbers)."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return "(" + ", ".join(num(v, digits) for v in values) + ")"


def sci(x: float, digits: int = 3) -> str:
    """A number in LaTeX to ``digits`` significant figures, in scientific notation when it is
    very large or very small."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return num(x)
    if 1e-3 <= abs(x) < 1e5:
        text = f"{x:.{digits}g}"
        if "e" not in text:
            return text
    mantissa, exp = f"{x:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return rf"{mantissa} \times 10^{{{int(exp)}}}"


def big(n) -> str:
    """A whole number in LaTeX with thin spaces between groups of three digits."""
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        return f"{int(n):,}".replace(",", r"\,")
    return sci(n)


def dot_work(ws, xs, b) -> str:
    """``w_1 x_1 + ... + b`` with the numbers put in (Python floats: the formatting is cached)."""
    return " + ".join(f"{par(wi)} \\cdot {par(xi)}" for wi, xi in zip(ws, xs)) + f" + {par(b)}"


# ---------------------------------------------------------------------------------------------
# vc_bound: the VC inequality with the polynomial bound on the growth function


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
        s.part("a", r"What is the VC dimension $d_{vc}$ of this perceptron?")
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
        s.part("b", (r"Bound the growth function at $2N$: compute $m_{\mathcal{H}}(2N) \le (2N)^{d_{vc}} + 1$"
                     + (" (a whole number: give it exactly)." if exact else " (3 significant figures).")))
        growth = growth_bound(points, dvc)
        if not exact:
            growth = float(growth)  # a scalar step compares floats within its tolerance
        if s.mistake("growth_no_plus_one", "left out the +1 of the polynomial bound "
                                           "m_H(N) <= N^d_vc + 1"):
            growth = growth - 1
        growth = s.step("growth", growth, r"m_{\mathcal{H}}(2N) \le (2N)^{d_{vc}} + 1",
                        lambda: rf"({2 * N})^{{{dvc}}} + 1", label=r"$m_{\mathcal{H}}(2N)$", tol=SIG3)

        s.part("c", rf"Take $\epsilon = {num(g.eps)}$. Compute $e^{{-\frac18 \epsilon^2 N}}$ and the bound "
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

        s.part("d", rf"For which $\epsilon$ does the bound equal $\delta = {num(g.delta)}$? "
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


# ---------------------------------------------------------------------------------------------
# l2_step: a gradient step on a linear model with L2 regularisation


class L2StepGivens(Givens):
    x: list[list[float]] = Field(min_length=1, max_length=4, description="inputs x_i, one row per example")
    y: list[float] = Field(min_length=1, max_length=4, description="targets y_i")
    w: list[float] = Field(min_length=1, max_length=4, description="weights before the step")
    b: float = Field(ge=-100, le=100, description="bias before the step (not regularised)")
    lam: float = Field(gt=0, le=10, description="regularisation strength lambda")
    lr: float = Field(gt=0, le=10, description="learning rate eta")
    half: bool = Field(False, description="penalty (lambda/2)||w||^2 instead of lambda ||w||^2")

    @model_validator(mode="after")
    def _shapes(self):
        if len(self.x) != len(self.y):
            raise ValueError("x and y need one entry per example")
        if any(len(r) != len(self.w) for r in self.x):
            raise ValueError(f"every input x_i needs {len(self.w)} entries, one per weight")
        if max(abs(v) for v in [*self.w, *self.y, *(v for r in self.x for v in r)]) > 100:
            raise ValueError("inputs, targets and weights must lie in [-100, 100]")
        return self


_NONZERO_TENTHS = tuple(k / 10 for k in range(-10, 11) if k)  # -1.0 .. 1.0 without 0
_X_VALUES = (-2.0, -1.0, 1.0, 2.0)
_W_VALUES = tuple(s * k / 10 for s in (-1, 1) for k in range(2, 11))  # |w_j| in 0.2 .. 1.0


@generator(id="l2_step", topic="generalization", goal="08.9", version=2,
           title="A gradient step with L2 regularisation")
class L2Step(Generator):
    """A linear model with mean squared error plus an L2 penalty on the weights (not the bias):
    predictions, data loss, penalty, regularised loss, gradients, one gradient-descent step."""

    Givens = L2StepGivens

    def draw(self, rng):
        while True:
            n = pick(rng, [1, 1, 2])
            k = pick(rng, [2, 2, 3])
            x = [[_X_VALUES[i] for i in rw] for rw in rng.integers(len(_X_VALUES), size=(n, k)).tolist()]
            w = [_W_VALUES[i] for i in rng.integers(len(_W_VALUES), size=k).tolist()]
            b = _NONZERO_TENTHS[int(rng.integers(len(_NONZERO_TENTHS)))]
            y = [v / 10 for v in rng.integers(-20, 21, size=n).tolist()]
            r = [sum(wj * xj for wj, xj in zip(w, xi)) + b - yi for xi, yi in zip(x, y)]
            if min(map(abs, r)) < 0.1 or max(map(abs, r)) > 4:
                continue
            return L2StepGivens(x=x, y=y, w=w, b=b, lam=pick(rng, [0.1, 0.1, 0.05, 0.2, 0.5]),
                                lr=pick(rng, [0.1, 0.1, 0.05, 0.2]), half=bool(rng.random() < 0.5))

    def stem(self, g):
        n = len(g.y)
        pen = r"\frac{\lambda}{2}\|w\|_2^2" if g.half else r"\lambda \|w\|_2^2"
        examples = "\n".join(f"- $x_{i} = {row(xi)}$, $y_{i} = {num(yi)}$"
                             for i, (xi, yi) in enumerate(zip(g.x, g.y), 1))
        return (
            r"A linear model $\hat y = w^T x + b$ has weights "
            f"$w = {row(g.w)}$ and bias $b = {num(g.b)}$. It is trained on the "
            + (f"{n} examples" if n > 1 else "single example") + " below with the mean squared "
            "error and L2 regularisation (weight decay) of the weights; the bias is not regularised:"
            "\n\n"
            rf"$$L(w, b) = \frac{{1}}{{n}}\sum_{{i=1}}^{{n}} (\hat y_i - y_i)^2 + {pen}, \qquad "
            r"\|w\|_2^2 = \sum_j w_j^2$$"
            "\n\n"
            f"with $n = {n}$ and $\\lambda = {num(g.lam)}$. One step of gradient descent on $L$ uses "
            f"learning rate $\\eta = {num(g.lr)}$: $w \\leftarrow w - \\eta\\, \\partial L/\\partial w$, "
            r"$b \leftarrow b - \eta\, \partial L/\partial b$."
            "\n\n" + examples + "\n\n"
            "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: L2StepGivens):
        X, y, w0, b0 = np.array(g.x, dtype=float), np.array(g.y, dtype=float), np.array(g.w, dtype=float), g.b
        n = len(y)
        coef = g.lam / 2 if g.half else g.lam  # the penalty is coef * ||w||^2
        cname = r"\frac{\lambda}{2}" if g.half else r"\lambda"

        s.part("a", r"Compute the prediction(s) $\hat y_i$ and the data loss "
                    r"$L_{data} = \frac{1}{n}\sum_i (\hat y_i - y_i)^2$.")
        yh = X @ w0 + b0
        yh = s.step("y_hat", yh if n > 1 else float(yh[0]), r"\hat y_i = w^T x_i + b",
                    lambda: r",\ ".join(" + ".join(f"{par(wj)} \\cdot {par(xj)}" for wj, xj in zip(g.w, xi))
                                       + f" + {par(b0)}" for xi in g.x),
                    label=r"$\hat y$")
        yh = np.atleast_1d(np.asarray(yh, dtype=float))
        r = yh - y
        data = s.step("data_loss", float(np.mean(r ** 2)), r"L_{data} = \frac{1}{n}\sum_i (\hat y_i - y_i)^2",
                      lambda: rf"\frac{{1}}{{{n}}}\left("
                              + " + ".join(f"{par(v)}^2" for v in r.tolist()) + r"\right)",
                      label=r"$L_{data}$")

        s.part("b", r"Compute the penalty term and the regularised loss $L$.")
        bias_in = s.mistake("bias_regularised", "regularised the bias too; the question puts only the "
                                                "weights w in the penalty")
        sq = float(w0 @ w0) + (b0 ** 2 if bias_in else 0.0)
        if s.mistake("norm_not_squared", "used the norm ||w|| instead of its square ||w||^2"):
            pen = coef * math.sqrt(sq)
        elif s.mistake("penalty_convention",
                       "used the other convention for the penalty; this question's penalty is "
                       + ("(lambda/2)||w||^2" if g.half else "lambda ||w||^2, without the 1/2")):
            pen = (2 * coef if g.half else coef / 2) * sq
        else:
            pen = coef * sq
        pen = s.step("penalty", pen, rf"{cname} \|w\|_2^2",
                     lambda: rf"{num(coef)} \left(" + " + ".join(f"{par(v)}^2" for v in g.w) + r"\right)",
                     label="penalty")
        s.step("loss", data + pen, rf"L = L_{{data}} + {cname} \|w\|_2^2",
               lambda: rf"{num(data)} + {num(pen)}", label="$L$", answer=True)

        s.part("c", r"Compute the gradient of the data loss $\partial L_{data}/\partial w$, and the "
                    r"gradients of the regularised loss, $\partial L/\partial w$ and $\partial L/\partial b$.")
        two = 1.0 if s.mistake("mse_gradient_no_2", "left out the 2 from differentiating the square "
                                                    "(y_hat - y)^2") else 2.0
        gd = s.step("grad_data", two / n * (r @ X),
                    r"\frac{\partial L_{data}}{\partial w} = \frac{2}{n}\sum_i (\hat y_i - y_i)\, x_i",
                    lambda: rf"\frac{{2}}{{{n}}}\left("
                            + " + ".join(f"{par(ri)} {row(xi)}" for ri, xi in zip(r.tolist(), g.x))
                            + r"\right)",
                    label=r"$\partial L_{data}/\partial w$")
        if s.mistake("l2_gradient_factor",
                     "the ½ of (lambda/2)||w||^2 cancels the 2 from differentiating w^2: the penalty's "
                     "gradient is lambda w, not 2 lambda w" if g.half else
                     "left out the 2 from differentiating w^2: the gradient of lambda ||w||^2 is 2 lambda w"):
            reg = (4 * coef if g.half else coef) * w0
        else:
            reg = 2 * coef * w0
        greg = rf"{'' if g.half else '2'}\lambda w"
        gw = s.step("grad_w", gd + reg, rf"\frac{{\partial L}}{{\partial w}} = \frac{{\partial L_{{data}}}}"
                                        rf"{{\partial w}} + {greg}",
                    lambda: rf"{row(gd)} + {num(2 * coef)} \cdot {row(w0)}", label=r"$\partial L/\partial w$",
                    answer=True)
        gb = two / n * float(np.sum(r)) + (2 * coef * b0 if bias_in else 0.0)
        gb = s.step("grad_b", gb, r"\frac{\partial L}{\partial b} = \frac{2}{n}\sum_i (\hat y_i - y_i)",
                    lambda: rf"\frac{{2}}{{{n}}}\left(" + " + ".join(par(v) for v in r.tolist()) + r"\right)",
                    label=r"$\partial L/\partial b$", answer=True)

        s.part("d", r"Take one gradient-descent step: the new weights $w$ and the new bias $b$.")
        s.step("w_new", w0 - g.lr * np.asarray(gw, dtype=float),
               r"w \leftarrow w - \eta \frac{\partial L}{\partial w}",
               lambda: rf"{row(w0)} - {num(g.lr)} \cdot {row(gw)}", label="new $w$", answer=True)
        s.step("b_new", b0 - g.lr * gb, r"b \leftarrow b - \eta \frac{\partial L}{\partial b}",
               lambda: rf"{num(b0)} - {num(g.lr)} \cdot {par(gb)}", label="new $b$", answer=True)


# ---------------------------------------------------------------------------------------------
# dropout: inverted dropout in training, expectation, test time; the non-inverted variant


class DropoutGivens(Givens):
    a: list[float] = Field(min_length=2, max_length=8, description="activations of the layer")
    mask: list[int] = Field(description="dropout mask: 1 keeps the unit, 0 drops it")
    keep: float = Field(gt=0, lt=1, description="keep probability p")
    w: list[float] = Field(description="weights of the next unit")
    b: float = Field(ge=-100, le=100, description="bias of the next unit")

    @model_validator(mode="after")
    def _shapes(self):
        if not len(self.a) == len(self.mask) == len(self.w):
            raise ValueError("a, mask and w need one entry per unit")
        if any(m not in (0, 1) for m in self.mask):
            raise ValueError("mask entries must be 0 (dropped) or 1 (kept)")
        if max(abs(v) for v in [*self.a, *self.w]) > 100:
            raise ValueError("activations and weights must lie in [-100, 100]")
        return self


@generator(id="dropout", topic="generalization", goal="08.10", version=2,
           title="Dropout in training and at test time")
class Dropout(Generator):
    """A layer's activations through (inverted) dropout with a given mask, into one unit of the
    next layer: training output, its expectation over masks, test time, and the non-inverted variant."""

    Givens = DropoutGivens

    def draw(self, rng):
        while True:
            n = pick(rng, [3, 4, 4, 5])
            p = pick(rng, [0.5, 0.5, 0.8, 0.8, 0.4, 0.75])
            mask = (rng.random(n) < p).astype(int).tolist()
            if sum(mask) in (0, n):
                continue
            a = (rng.integers(1, 21, size=n) / 10).tolist()
            w = [_NONZERO_TENTHS[i] for i in rng.integers(len(_NONZERO_TENTHS), size=n).tolist()]
            b = _NONZERO_TENTHS[int(rng.integers(len(_NONZERO_TENTHS)))]
            wa = sum(wi * ai for wi, ai in zip(w, a))
            z_train = sum(wi * ai for wi, ai, mi in zip(w, a, mask) if mi) / p + b
            if abs(wa) < 0.2 or abs(z_train - (wa + b)) < 0.05:
                continue  # the sample should differ visibly from the expectation
            return DropoutGivens(a=a, mask=mask, keep=p, w=w, b=b)

    def stem(self, g):
        n = len(g.a)
        return (
            f"A hidden layer has the {n} activations $a = {row(g.a)}$, and one unit of the next layer "
            rf"computes $z = w^T h + b$ from the layer's output $h$, with $w = {row(g.w)}$ and "
            f"$b = {num(g.b)}$. Dropout is applied to the hidden layer with keep probability "
            f"$p = {num(g.keep)}$: in training each unit is kept independently with probability $p$. "
            f"In this training step the mask is $m = {row(g.mask)}$ ($m_i = 1$ keeps unit $i$, "
            "$m_i = 0$ drops it). Dropout is not applied to the bias. The network uses inverted dropout:"
            "\n\n"
            r"$$\text{training: } h = \frac{m \odot a}{p}, \qquad \text{test: } h = a$$"
            "\n\n"
            r"The last part compares it with standard (non-inverted) dropout, which uses $h = m \odot a$ "
            r"in training and scales the activations by $p$ at test time, $h = p\,a$. "
            "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: DropoutGivens):
        a, m, w = (np.array(v, dtype=float) for v in (g.a, g.mask, g.w))
        b, p = g.b, g.keep
        wa = float(w @ a)

        s.part("a", r"Training with inverted dropout: compute the layer's output $h$ and the next "
                    r"unit's $z = w^T h + b$ for the given mask.")
        if s.mistake("scaled_by_p_in_training", "multiplied the kept activations by p; inverted "
                                                "dropout divides them by p in training"):
            h = m * a * p
        elif s.mistake("no_training_scaling", "left out the division by p; inverted dropout scales "
                                              "the kept activations by 1/p in training"):
            h = m * a
        elif s.mistake("drop_probability_confused", "divided by the drop probability 1 - p; the "
                                                    "scale is 1/p with p the keep probability"):
            h = m * a / (1 - p)
        else:
            h = m * a / p
        h = s.step("h_train", h, r"h = \frac{m \odot a}{p}",
                   lambda: rf"\frac{{{row(g.mask)} \odot {row(g.a)}}}{{{num(p)}}}", label="$h$ (training)")
        h = np.asarray(h, dtype=float)
        s.step("z_train", float(w @ h) + b, r"z = w^T h + b", lambda: dot_work(g.w, h.tolist(), b),
               label="$z$ (training)", answer=True)

        s.part("b", r"What is the expected value $\mathbb{E}[z]$ of the next unit's training-time "
                    "$z$ over the random masks (inverted dropout)?")
        if s.mistake("expectation_times_p", "scaled the expectation by p; with inverted dropout "
                                            "E[h_i] = p a_i / p = a_i"):
            ez = p * wa + b
        elif s.mistake("expectation_from_mask", "used the sampled mask; the expectation averages "
                                                "over all masks, E[m_i] = p"):
            ez = float(w @ (m * a)) / p + b
        else:
            ez = wa + b
        s.step("z_expected", ez, r"\mathbb{E}[z] = w^T \mathbb{E}[h] + b = w^T a + b",
               lambda: dot_work(g.w, g.a, b),
               label=r"$\mathbb{E}[z]$")

        s.part("c", r"At test time (inverted dropout), what is the next unit's $z$?")
        if s.mistake("test_scaled_by_p", "scaled by p at test time; with inverted dropout the "
                                         "scaling was done in training and the test uses h = a"):
            zt = p * wa + b
        elif s.mistake("dropout_at_test", "applied the dropout mask at test time; dropout is off "
                                          "at test time"):
            zt = float(w @ (m * a)) / p + b
        else:
            zt = wa + b
        s.step("z_test", zt, r"z_{test} = w^T a + b", lambda: dot_work(g.w, g.a, b),
               label=r"$z_{test}$")

        s.part("d", r"With standard (non-inverted) dropout instead: compute the next unit's $z$ in "
                    r"training with the same mask, and its $z$ at test time.")
        hs = m * a
        s.step("z_train_std", float(w @ hs) + b, r"z = w^T (m \odot a) + b",
               lambda: dot_work(g.w, hs.tolist(), b),
               label="$z$ (training, standard dropout)")
        if s.mistake("test_not_scaled", "left out the scaling by p at test time; in training only a "
                                        "fraction p of the units was active, so standard dropout uses h = p a"):
            zs = wa + b
        elif s.mistake("bias_scaled", "scaled the bias by p too; only the dropped-out activations "
                                      "are scaled, z = w^T (p a) + b"):
            zs = p * (wa + b)
        else:
            zs = p * wa + b
        s.step("z_test_std", zs, r"z_{test} = w^T (p\, a) + b = p\, w^T a + b",
               lambda: rf"{num(p)} \cdot {par(wa)} + {par(b)}", label=r"$z_{test}$ (standard dropout)",
               answer=True)


# ---------------------------------------------------------------------------------------------
# transfer_params: trainable and frozen parameters when fine-tuning the last layers


class TLayer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["conv", "dense"]
    size: int = Field(ge=1, le=100_000, description="number of filters (conv) or of units (dense)")
    kernel: int = Field(1, ge=1, le=15, description="kernel size k of a k x k convolution")

    def describe(self) -> str:
        if self.type == "conv":
            return f"convolution, {self.size} filters of size {self.kernel}×{self.kernel}"
        return f"dense, {self.size} units"


class TransferGivens(Givens):
    in_channels: int = Field(ge=1, le=100_000, description="channels of the input image (CNN) or "
                                                           "number of input features (dense network)")
    layers: list[TLayer] = Field(min_length=2, max_length=8, description="the pretrained network's "
                                 "layers; the last is the old classifier")
    pool: Literal["gap", "flatten"] = Field("gap", description="between the last convolution and the "
                                            "first dense layer: global average pooling or flatten")
    spatial: int = Field(1, ge=1, le=64, description="side of the feature map that is flattened")
    new_classes: int = Field(ge=1, le=100_000)
    trained: int = Field(ge=1, description="number of last layers that are fine-tuned")

    @model_validator(mode="after")
    def _structure(self):
        types = [layer.type for layer in self.layers]
        if types[-1] != "dense":
            raise ValueError("the last layer (the classifier) must be dense")
        if "conv" in types and types.index("dense") < len(types) - types[::-1].index("conv"):
            raise ValueError("all convolutions must come before the dense layers")
        if any(layer.type == "dense" and layer.kernel != 1 for layer in self.layers):
            raise ValueError("dense layers have no kernel")
        if self.trained > len(self.layers):
            raise ValueError(f"trained must be at most the number of layers ({len(self.layers)})")
        if "conv" not in types and (self.pool != "gap" or self.spatial != 1):
            raise ValueError("pool and spatial only apply to a network with convolutions")
        if self.pool == "gap" and self.spatial != 1:
            raise ValueError("spatial only applies with pool = flatten")
        return self


@generator(id="transfer_params", topic="generalization", goal="08.12", version=1,
           title="Trainable and frozen parameters in transfer learning")
class TransferParams(Generator):
    """A pretrained CNN or dense network whose classifier is replaced for a new task and whose
    last layers are fine-tuned: parameters per layer, in total, trainable and frozen."""

    Givens = TransferGivens

    def draw(self, rng):
        old = pick(rng, [1000, 1000, 100, 10])
        new = pick(rng, [c for c in (2, 3, 5, 10, 20) if c != old])
        if rng.random() < 0.7:
            c = pick(rng, [1, 3, 3])
            layers, f = [], pick(rng, [8, 16, 16, 32])
            for _ in range(pick(rng, [1, 2, 2, 3])):
                layers.append(TLayer(type="conv", size=f, kernel=pick(rng, [3, 3, 3, 5, 1])))
                f = min(2 * f, 128) if rng.random() < 0.6 else f
            pool = pick(rng, ["gap", "flatten"])
            spatial = pick(rng, [2, 4]) if pool == "flatten" else 1
        else:
            c = pick(rng, [784, 1024, 100, 64])
            layers, pool, spatial = [], "gap", 1
        for _ in range(pick(rng, [1, 1, 2]) if layers else pick(rng, [1, 2, 2, 3])):
            layers.append(TLayer(type="dense", size=pick(rng, [32, 64, 100, 128, 256])))
        layers.append(TLayer(type="dense", size=old))
        trained = pick(rng, [1, 2, 2, 3][: len(layers) - 1])
        return TransferGivens(in_channels=c, layers=layers, pool=pool, spatial=spatial,
                              new_classes=new, trained=trained)

    def _inputs(self, g):
        """Each layer's input size (channels for a conv, features for a dense layer)."""
        sizes, prev = [], g.in_channels
        for i, layer in enumerate(g.layers):
            if layer.type == "dense" and i > 0 and g.layers[i - 1].type == "conv" and g.pool == "flatten":
                prev = g.spatial ** 2 * prev
            sizes.append(prev)
            prev = layer.size
        return sizes

    def stem(self, g):
        L = len(g.layers)
        cnn = g.layers[0].type == "conv"
        lines = ["- Input: " + (f"an image with {g.in_channels} channel{'s' if g.in_channels > 1 else ''}"
                                if cnn else f"a vector of {g.in_channels} features")]
        for i, layer in enumerate(g.layers, 1):
            if layer.type == "dense" and i > 1 and g.layers[i - 2].type == "conv":
                if g.pool == "gap":
                    lines.append("- Global average pooling: one value per channel "
                                 f"({g.layers[i - 2].size} values)")
                else:
                    lines.append(f"- Pooling and flatten: each of the {g.layers[i - 2].size} feature maps of "
                                 f"the last convolution is pooled to {g.spatial}×{g.spatial}, and the "
                                 "result is flattened into a vector")
            extra = " (the classifier of the old task)" if i == L else ""
            lines.append(f"- Layer {i}: {layer.describe()}{extra}")
        frozen = L - g.trained
        if g.trained == 1:
            which = f"Only the new layer {L} is trained"
        else:
            which = f"Layers {L - g.trained + 1}–{L} (the new layer {L} included) are fine-tuned"
        rest = ("; layer 1 is frozen" if frozen == 1 else f"; layers 1–{frozen} are frozen") if frozen else \
            "; no layer is frozen"
        return (
            f"A {'convolutional' if cnn else 'dense'} network was pretrained on a dataset with "
            f"{g.layers[-1].size} classes. Its layers, in order:\n\n" + "\n".join(lines) + "\n\n"
            "Every convolution and dense layer has a bias (one per filter or unit), a convolution "
            "filter spans all its input channels, and activations, pooling and flattening have no "
            f"parameters. For a new task with {g.new_classes} classes, layer {L} is replaced by a new "
            f"dense layer with {g.new_classes} units. {which}{rest} (their parameters have "
            "requires_grad = False)."
        )

    def solve(self, s: Steps, g: TransferGivens):
        L = len(g.layers)
        inputs = self._inputs(g)
        s.part("a", "Give the number of parameters (weights and biases) of every layer of the network "
                    "for the new task.")
        counts = []
        bias_missing = s.mistake("bias_forgotten", "left out the biases: every filter and every unit "
                                                   "has one")
        bias = 0 if bias_missing else 1
        for i, (layer, n_in) in enumerate(zip(g.layers, inputs), 1):
            out = g.new_classes if i == L else layer.size
            if i == L and s.mistake("old_head", "counted the old classifier; the new last layer has "
                                                "one unit per new class"):
                out = layer.size
            if layer.type == "conv":
                k2 = layer.kernel ** 2
                cin = n_in
                if n_in > 1 and s.mistake("input_channels_ignored", "counted one input channel per "
                                          "filter; a filter spans all input channels (k·k·C_in weights)"):
                    cin = 1
                p = s.step(f"p{i}", (k2 * cin + bias) * out, r"(k \cdot k \cdot C_{in} + 1) \cdot F",
                           lambda: rf"({layer.kernel} \cdot {layer.kernel} \cdot {n_in} + 1) \cdot {layer.size}",
                           label=f"parameters of layer {i}")
            else:
                fin = n_in
                flat = i > 1 and g.layers[i - 2].type == "conv" and g.pool == "flatten" and g.spatial > 1
                if flat and s.mistake("flatten_spatial_ignored", "took the number of channels as the "
                                      "input size; the flattened feature map has s·s·C values"):
                    fin = g.layers[i - 2].size
                p = s.step(f"p{i}", (fin + bias) * out, r"(n_{in} + 1) \cdot n_{out}",
                           lambda: (rf"({g.spatial} \cdot {g.spatial} \cdot {g.layers[i - 2].size} + 1)"
                                    rf" \cdot {out}"
                                    if flat else rf"({n_in} + 1) \cdot {out}"),
                           label=f"parameters of layer {i}")
            counts.append(p)

        s.part("b", "How many parameters does the new network have in total, how many are trainable, "
                    "and how many are frozen?")
        total = s.step("total", sum(counts), r"\sum_l \text{params}_l",
                       lambda: " + ".join(big(c) for c in counts), label="total parameters")
        first = L - g.trained  # index of the first trained layer
        if first > 0 and s.mistake("frozen_counted_trainable", "counted the frozen parameters as "
                                   "trainable; only the fine-tuned layers are trained"):
            trainable = sum(counts)
        else:
            trainable = sum(counts[first:])
        trainable = s.step("trainable", trainable, r"\sum_{l\ \text{fine-tuned}} \text{params}_l",
                           lambda: " + ".join(big(c) for c in counts[first:]), label="trainable parameters",
                           answer=True)
        s.step("frozen", total - trainable, r"\text{total} - \text{trainable}",
               lambda: rf"{big(total)} - {big(trainable)}", label="frozen parameters", answer=True)
