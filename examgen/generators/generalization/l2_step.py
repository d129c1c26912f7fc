"""A gradient step with L2 regularisation."""

import math

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from ._numbers import _NONZERO_TENTHS


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

        s.part(r"Compute the prediction(s) $\hat y_i$ and the data loss "
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

        s.part(r"Compute the penalty term and the regularised loss $L$.")
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

        s.part(r"Compute the gradient of the data loss $\partial L_{data}/\partial w$, and the "
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

        s.part(r"Take one gradient-descent step: the new weights $w$ and the new bias $b$.")
        s.step("w_new", w0 - g.lr * np.asarray(gw, dtype=float),
               r"w \leftarrow w - \eta \frac{\partial L}{\partial w}",
               lambda: rf"{row(w0)} - {num(g.lr)} \cdot {row(gw)}", label="new $w$", answer=True)
        s.step("b_new", b0 - g.lr * gb, r"b \leftarrow b - \eta \frac{\partial L}{\partial b}",
               lambda: rf"{num(b0)} - {num(g.lr)} \cdot {par(gb)}", label="new $b$", answer=True)
