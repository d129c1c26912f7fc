"""Logistic regression: cross-entropy loss and one gradient-descent step."""

import math
from typing import Annotated

import numpy as np
from pydantic import Field

from ...fmt import num, par
from ...registry import Generator, generator
from ...steps import Degenerate, Steps
from .._draw import Draws
from .._maths import sigmoid
from .._mistakes import ERROR_SIGN, GRADIENT_NOT_AVERAGED, LOG10, LOSS_SIGN, SIGMOID_DERIVATIVE_TWICE
from .._stems import given_values
from ._regression import (_dot_work, _examples, _gradients, _linear, _names, _params, _RegressionGivens,
                          _update, _wsub)

Label = Annotated[int, Field(ge=0, le=1)]


def _sigmoid_values(z) -> list[str]:
    """The sigmoid and log-sigmoid values a hand computation needs."""
    out = []
    for t in sorted({abs(float(t)) for t in z}):
        if t == 0:
            out += [r"\sigma(0) = 0.5", r"\ln 0.5 = -0.6931"]
        else:
            st = sigmoid(t)
            out += [rf"\sigma({num(t)}) = {num(st)}", rf"\sigma(-{num(t)}) = {num(1 - st)}",
                    rf"\ln \sigma({num(t)}) = {num(math.log(st))}", rf"\ln \sigma(-{num(t)}) = {num(math.log(1 - st))}"]
    return out


class LogRegGivens(_RegressionGivens):
    y: list[Label] = Field(min_length=1, max_length=10, description="the class labels (0 or 1), one per example")


@generator(id="logreg_step", topic="linear", goal="02.4", version=3,
           title="Logistic regression: cross-entropy loss and one gradient-descent step")
class LogRegStep(Generator):
    """3-4 labelled examples with 1-2 features: logits, sigmoid outputs, binary cross-entropy,
    its gradient and one update."""

    Givens = LogRegGivens

    def draw(self, rng):
        while True:
            r = Draws(rng)
            n, d = r.pick((3, 4)), r.pick((1, 1, 2))
            x = [[float(r.between(-2, 2)) for _ in range(d)] for _ in range(n)]
            if any(min(c) == max(c) for c in zip(*x)):
                continue
            y = [r.below(2) for _ in range(n)]
            if min(y) == max(y):
                continue  # both classes appear
            w = [r.nonzero(3) / 2 for _ in range(d)]
            b = r.pick((-1.0, -0.5, 0.0, 0.0, 0.5, 1.0))
            z = [sum(wj * xj for wj, xj in zip(w, xi)) + b for xi in x]
            if max(map(abs, z)) > 3 or len({abs(v) for v in z}) > 3:
                continue  # keep the sigmoid table short
            lr = r.pick((0.1, 0.5, 1.0))
            e = [p - t for p, t in zip(sigmoid(np.array(z)).tolist(), y)]
            grads = [sum(ei * xi[j] for ei, xi in zip(e, x)) / n for j in range(d)] + [sum(e) / n]
            if min(map(abs, grads)) < 0.05 or lr * min(map(abs, grads)) < 0.005:
                continue
            return LogRegGivens(x=x, y=y, w=w, b=b, lr=lr)

    def stem(self, g):
        n, d = len(g.x), len(g.w)
        z = np.array(g.x) @ np.array(g.w) + g.b
        lin = _linear(d)
        params = _params(g)
        return (
            f"A logistic regression model $\\hat y_i = \\sigma(z_i)$ with $z_i = {lin}$ and "
            r"$\sigma(z) = \frac{1}{1+e^{-z}}$ is trained on $N = " + str(n) + "$ examples with labels $y \\in \\{0, 1\\}$:\n\n"
            + _examples(g.x, g.y) + "\n\n"
            "The loss is the binary cross-entropy averaged over the examples, with the natural logarithm:\n\n"
            r"$$L = -\frac{1}{N}\sum_{i=1}^{N} \left( y_i \ln \hat y_i + (1 - y_i) \ln(1 - \hat y_i) \right)$$"
            "\n\n"
            f"The parameters are now {params}. One step of (full-batch) gradient descent with learning rate "
            f"$\\lambda = {num(g.lr)}$ updates every parameter as "
            r"$\theta \leftarrow \theta - \lambda \frac{\partial L}{\partial \theta}$. "
            + given_values(_sigmoid_values(z)) + r" (Note $\sigma(-t) = 1 - \sigma(t)$.) Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: LogRegGivens):
        X, y, w = np.array(g.x, dtype=float), np.array(g.y, dtype=float), np.array(g.w, dtype=float)
        n, d = X.shape
        names = _names(d)

        if np.max(np.abs(X @ w + g.b)) > 30:
            raise Degenerate("a logit beyond +-30 makes a probability 0 or 1 to machine precision")
        s.part(r"Compute $z_i$ and $\hat y_i = \sigma(z_i)$ for every example, and the loss $L$.")
        z = s.step("z", X @ w + g.b, r"z_i = " + (r"w x_i + b" if d == 1 else r"w^T x_i + b"),
                   lambda: r",\ ".join(f"{_dot_work(w, r)} + {par(g.b)}" for r in X),
                   label=r"$z = (z_1, \dots, z_N)$")
        yhat = s.step("yhat", sigmoid(z), r"\hat y_i = \sigma(z_i) = \frac{1}{1+e^{-z_i}}",
                      lambda: r",\ ".join(rf"\sigma({num(v)})" for v in z), label=r"$\hat y = (\hat y_1, \dots, \hat y_N)$")
        log = np.log
        if s.mistake(LOG10):
            log = np.log10
        sign = -1.0
        if s.mistake(LOSS_SIGN):
            sign = 1.0
        terms = np.where(y == 1, log(yhat), log(1 - yhat))
        s.step("loss", sign * float(terms.mean()),
               r"L = -\frac{1}{N}\sum_i \left( y_i \ln \hat y_i + (1-y_i) \ln (1-\hat y_i) \right)",
               lambda: rf"-\frac{{1}}{{{n}}}\left("
                       + " + ".join(rf"\ln {num(p)}" if t == 1 else rf"\ln(1 - {num(p)})" for p, t in zip(yhat, y))
                       + r"\right)", label="$L$")

        s.part("Compute the gradient of the loss with respect to every parameter: "
               + ", ".join(rf"$\partial L / \partial {_wsub(d, j)}$" for j in range(d))
               + r" and $\partial L / \partial b$.")
        e = yhat - y
        factor = 1.0 / n
        if s.mistake(SIGMOID_DERIVATIVE_TWICE):
            e = e * yhat * (1 - yhat)
        elif s.mistake(GRADIENT_NOT_AVERAGED):
            factor = 1.0
        if s.mistake(ERROR_SIGN):
            factor = -factor
        grads, db = _gradients(s, names, X, e, factor, r"\frac{1}{N}", 1)

        _update(s, names, d, w, grads, g.b, db, g.lr)
