"""Lecture 02: linear models (one gradient-descent step of linear, logistic and softmax regression).

Conventions, printed in every stem:

* ``linreg_step``: the mean squared error averaged over the N examples, either
  ``L = 1/N sum (y_hat - y)^2`` or ``L = 1/(2N) sum (y_hat - y)^2`` (the givens say which).
* ``logreg_step``: the binary cross-entropy averaged over the examples, natural log.
* ``softmax_ce``: the cross-entropy of one example, natural log, classes numbered from 1.

All three take one step of (full-batch) gradient descent ``theta <- theta - lambda dL/dtheta``.
"""


import math
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par, row
from ..registry import Generator, Givens, generator
from ._draw import Draws
from ..steps import Degenerate, Steps
from .dense import sigmoid, softmax

Value = Annotated[float, Field(ge=-1000, le=1000)]
Label = Annotated[int, Field(ge=0, le=1)]


def _dot_work(a, b) -> str:
    """``a_1 b_1 + a_2 b_2 + ...`` with the numbers put in."""
    return " + ".join(rf"{par(x)} \cdot {par(y)}" for x, y in zip(a, b))


def _names(d: int) -> list[str]:
    """Parameter names: ``w`` for one feature, ``w1, w2, ...`` for several."""
    return ["w"] if d == 1 else [f"w{j}" for j in range(1, d + 1)]


def _wsub(d: int, j: int) -> str:
    return "w" if d == 1 else f"w_{j + 1}"


def _xsub(d: int, j: int) -> str:
    return "x_i" if d == 1 else f"x_{{i,{j + 1}}}"


def _linear(d: int) -> str:
    """``w x_i + b`` or ``w_1 x_{i,1} + w_2 x_{i,2} + b``."""
    return "w x_i + b" if d == 1 else " + ".join(f"w_{j} x_{{i,{j}}}" for j in range(1, d + 1)) + " + b"


def _params(g) -> str:
    """``$w = 0.5$, $b = 1$`` or ``$w = (w_1, w_2) = (0.5, -1)$, $b = 1$``."""
    d = len(g.w)
    names = "" if d == 1 else "(" + ", ".join(f"w_{j}" for j in range(1, d + 1)) + ") = "
    return f"$w = {names}{num(g.w[0]) if d == 1 else row(g.w)}$, $b = {num(g.b)}$"


def _examples(x: list[list[float]], y: list[float]) -> str:
    d = len(x[0])
    xs = (lambda r: num(r[0])) if d == 1 else row
    return "\n".join(f"- example {i}: $x_{i} = {xs(r)}$, $y_{i} = {num(t)}$"
                     for i, (r, t) in enumerate(zip(x, y), 1))


class _RegressionGivens(Givens):
    x: list[list[Value]] = Field(min_length=1, max_length=10,
                                 description="the examples' features, one row per example")
    y: list[Value] = Field(min_length=1, max_length=10, description="the targets, one per example")
    w: list[Value] = Field(min_length=1, max_length=4, description="the weights, one per feature")
    b: Value = Field(description="the bias")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")

    @model_validator(mode="after")
    def _shapes(self):
        d = len(self.w)
        if any(len(r) != d for r in self.x):
            raise ValueError(f"every example needs {d} features (one per weight)")
        if len(self.y) != len(self.x):
            raise ValueError(f"give one target y per example ({len(self.x)})")
        return self


# ---------------------------------------------------------------------------------------------


class LinRegGivens(_RegressionGivens):
    half: bool = Field(False, description="loss 1/(2N) sum (instead of 1/N sum) of the squared errors")


@generator(id="linreg_step", topic="linear", goal="02.2", version=1,
           title="Linear regression: mean squared error and one gradient-descent step")
class LinRegStep(Generator):
    """3-4 examples with 1-2 features: predictions, MSE, its gradient and one update."""

    Givens = LinRegGivens

    def draw(self, rng):
        while True:
            r = Draws(rng)
            n, d = r.pick((3, 4)), r.pick((1, 1, 2))
            lo = -3 if d == 1 else -2
            x = [[float(r.between(lo, 3)) for _ in range(d)] for _ in range(n)]
            cols = list(zip(*x))
            if any(min(c) == max(c) for c in cols) or (d == 2 and cols[0] == cols[1]):
                continue  # a constant feature (or two equal ones) makes the data trivial
            w = [r.nonzero(20) / 10 for _ in range(d)]
            b = r.between(-10, 10) / 10
            y = [r.between(-40, 40) / 10 for _ in range(n)] if r.chance(0.5) else [float(r.between(-4, 4)) for _ in range(n)]
            lr = r.pick((0.1, 0.05, 0.01))
            half = r.chance(0.3)
            c = (1.0 if half else 2.0) / n
            e = [sum(wj * xj for wj, xj in zip(w, xi)) + b - yi for xi, yi in zip(x, y)]
            grads = [c * sum(ei * xi[j] for ei, xi in zip(e, x)) for j in range(d)] + [c * sum(e)]
            size = [abs(v) for v in grads]
            if min(size) < 0.1 or max(size) > 15 or lr * min(size) < 0.005:
                continue  # a vanishing gradient hides the mistakes; a huge one is no fun by hand
            return LinRegGivens(x=x, y=y, w=w, b=b, lr=lr, half=half)

    def stem(self, g):
        n, d = len(g.x), len(g.w)
        model = r"\hat y_i = " + _linear(d)
        params = _params(g)
        loss = (r"$$L = \frac{1}{2N}\sum_{i=1}^{N} (\hat y_i - y_i)^2$$" if g.half
                else r"$$L = \frac{1}{N}\sum_{i=1}^{N} (\hat y_i - y_i)^2$$")
        factor = "with the factor $\\frac{1}{2}$" if g.half else "without a factor $\\frac{1}{2}$"
        return (
            f"A linear regression model ${model}$ is trained on $N = {n}$ examples:\n\n"
            + _examples(g.x, g.y) + "\n\n"
            "The loss is the mean squared error, averaged over the examples " + factor + ":"
            "\n\n" + loss + "\n\n"
            f"The parameters are now {params}. One step of (full-batch) gradient descent with "
            f"learning rate $\\lambda = {num(g.lr)}$ updates every parameter as "
            r"$\theta \leftarrow \theta - \lambda \frac{\partial L}{\partial \theta}$. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: LinRegGivens):
        X, y, w = np.array(g.x, dtype=float), np.array(g.y, dtype=float), np.array(g.w, dtype=float)
        n, d = X.shape
        names = _names(d)
        half = g.half
        frac = r"\frac{1}{2N}" if half else r"\frac{1}{N}"
        gfrac = r"\frac{1}{N}" if half else r"\frac{2}{N}"

        s.part("a", r"Compute the predictions $\hat y_i$ of all examples and the loss $L$.")
        yhat = s.step("yhat", X @ w + g.b, r"\hat y_i = " + (r"w x_i + b" if d == 1 else r"w^T x_i + b"),
                      lambda: r",\ ".join(f"{_dot_work(w, r)} + {par(g.b)}" for r in X),
                      label=r"$\hat y = (\hat y_1, \dots, \hat y_N)$")
        if s.mistake("loss_not_averaged", "summed the squared errors without dividing by N; "
                                          "the mean squared error averages over the examples"):
            scale = 0.5 if half else 1.0
        else:
            scale = 1 / (2 * n) if half else 1 / n
        s.step("loss", scale * float(np.sum((yhat - y) ** 2)), rf"L = {frac}\sum_i (\hat y_i - y_i)^2",
               lambda: rf"\frac{{1}}{{{2 * n if half else n}}}\left("
                       + " + ".join(f"{par(a - t)}^2" for a, t in zip(yhat, y)) + r"\right)", label="$L$")

        s.part("b", "Compute the gradient of the loss with respect to every parameter: "
                    + ", ".join(rf"$\partial L / \partial {_wsub(d, j)}$" for j in range(d))
                    + r" and $\partial L / \partial b$.")
        e = yhat - y
        factor = (1.0 if half else 2.0) / n
        if s.mistake("factor_two", "kept the factor 2 from differentiating the square; with "
                                   "1/(2N) in the loss it cancels" if half else
                                   "left out the factor 2 from differentiating the square"):
            factor = (2.0 if half else 1.0) / n
        elif s.mistake("gradient_not_averaged", "summed over the examples without the 1/N of the mean"):
            factor = 1.0 if half else 2.0
        if s.mistake("error_sign", "used (y - y_hat) instead of (y_hat - y): the gradient has the wrong sign"):
            factor = -factor
        grads = []
        for j in range(d):
            grads.append(s.step(
                f"d{names[j]}", factor * float(e @ X[:, j]),
                rf"\frac{{\partial L}}{{\partial {_wsub(d, j)}}} = {gfrac}\sum_i (\hat y_i - y_i)\, {_xsub(d, j)}",
                lambda j=j: rf"\frac{{{1 if half else 2}}}{{{n}}}\left({_dot_work(e, X[:, j])}\right)",
                label=rf"$\partial L / \partial {_wsub(d, j)}$", answer=True))
        db = s.step("db", factor * float(e.sum()), rf"\frac{{\partial L}}{{\partial b}} = {gfrac}\sum_i (\hat y_i - y_i)",
                    lambda: rf"\frac{{{1 if half else 2}}}{{{n}}}\left(" + " + ".join(par(v) for v in e) + r"\right)",
                    label=r"$\partial L / \partial b$", answer=True)

        _update(s, names, d, w, grads, g.b, db, g.lr)


def _update(s: Steps, names, d, w, grads, b, db, lr):
    """Part c of the regression generators: one gradient-descent step on every parameter."""
    s.part("c", "Take one gradient-descent step: compute the updated "
                + ", ".join(f"${_wsub(d, j)}$" for j in range(d)) + " and $b$.")
    sign = 1.0 if s.mistake("gradient_ascent", "added the gradient; gradient descent subtracts it") else -1.0
    for j in range(d):
        s.step(f"{names[j]}_new", w[j] + sign * lr * grads[j],
               rf"{_wsub(d, j)} \leftarrow {_wsub(d, j)} - \lambda \frac{{\partial L}}{{\partial {_wsub(d, j)}}}",
               lambda j=j: rf"{num(w[j])} - {num(lr)} \cdot {par(grads[j])}", label=rf"new ${_wsub(d, j)}$",
               answer=True)
    s.step("b_new", b + sign * lr * db, r"b \leftarrow b - \lambda \frac{\partial L}{\partial b}",
           lambda: rf"{num(b)} - {num(lr)} \cdot {par(db)}", label="new $b$", answer=True)


# ---------------------------------------------------------------------------------------------


def _sigmoid_table(z) -> str:
    """The sigmoid values a hand computation needs, as a bullet list."""
    ts = sorted({abs(float(t)) for t in z})
    lines = []
    for t in ts:
        if t == 0:
            lines.append(r"- $\sigma(0) = 0.5$, $\ln 0.5 = -0.6931$")
        else:
            st = sigmoid(t)
            lines.append(rf"- $\sigma({num(t)}) = {num(st)}$, $\sigma(-{num(t)}) = {num(1 - st)}$, "
                         rf"$\ln \sigma({num(t)}) = {num(math.log(st))}$, $\ln \sigma(-{num(t)}) = {num(math.log(1 - st))}$")
    return "\n".join(lines)


class LogRegGivens(_RegressionGivens):
    y: list[Label] = Field(min_length=1, max_length=10, description="the class labels (0 or 1), one per example")


@generator(id="logreg_step", topic="linear", goal="02.4", version=1,
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
            e = [1 / (1 + math.exp(-v)) - t for v, t in zip(z, y)]
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
            r"$\theta \leftarrow \theta - \lambda \frac{\partial L}{\partial \theta}$. You may use these "
            r"values (note $\sigma(-t) = 1 - \sigma(t)$):" "\n\n" + _sigmoid_table(z) + "\n\n"
            "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: LogRegGivens):
        X, y, w = np.array(g.x, dtype=float), np.array(g.y, dtype=float), np.array(g.w, dtype=float)
        n, d = X.shape
        names = _names(d)

        if np.max(np.abs(X @ w + g.b)) > 30:
            raise Degenerate("a logit beyond +-30 makes a probability 0 or 1 to machine precision")
        s.part("a", r"Compute $z_i$ and $\hat y_i = \sigma(z_i)$ for every example, and the loss $L$.")
        z = s.step("z", X @ w + g.b, r"z_i = " + (r"w x_i + b" if d == 1 else r"w^T x_i + b"),
                   lambda: r",\ ".join(f"{_dot_work(w, r)} + {par(g.b)}" for r in X),
                   label=r"$z = (z_1, \dots, z_N)$")
        yhat = s.step("yhat", sigmoid(z), r"\hat y_i = \sigma(z_i) = \frac{1}{1+e^{-z_i}}",
                      lambda: r",\ ".join(rf"\sigma({num(v)})" for v in z), label=r"$\hat y = (\hat y_1, \dots, \hat y_N)$")
        log = np.log
        if s.mistake("log10", "used the base-10 logarithm; the cross-entropy uses the natural logarithm"):
            log = np.log10
        sign = -1.0
        if s.mistake("loss_sign", "left out the minus sign: the cross-entropy loss is positive"):
            sign = 1.0
        terms = np.where(y == 1, log(yhat), log(1 - yhat))
        s.step("loss", sign * float(terms.mean()),
               r"L = -\frac{1}{N}\sum_i \left( y_i \ln \hat y_i + (1-y_i) \ln (1-\hat y_i) \right)",
               lambda: rf"-\frac{{1}}{{{n}}}\left("
                       + " + ".join(rf"\ln {num(p)}" if t == 1 else rf"\ln(1 - {num(p)})" for p, t in zip(yhat, y))
                       + r"\right)", label="$L$")

        s.part("b", "Compute the gradient of the loss with respect to every parameter: "
                    + ", ".join(rf"$\partial L / \partial {_wsub(d, j)}$" for j in range(d))
                    + r" and $\partial L / \partial b$.")
        e = yhat - y
        factor = 1.0 / n
        if s.mistake("sigmoid_derivative", "multiplied by sigma'(z) = y_hat (1 - y_hat); with the "
                                           "cross-entropy loss it cancels, leaving (y_hat - y) x"):
            e = e * yhat * (1 - yhat)
        elif s.mistake("gradient_not_averaged", "summed over the examples without the 1/N of the mean"):
            factor = 1.0
        if s.mistake("error_sign", "used (y - y_hat) instead of (y_hat - y): the gradient has the wrong sign"):
            factor = -factor
        grads = []
        for j in range(d):
            grads.append(s.step(
                f"d{names[j]}", factor * float(e @ X[:, j]),
                rf"\frac{{\partial L}}{{\partial {_wsub(d, j)}}} = \frac{{1}}{{N}}\sum_i (\hat y_i - y_i)\, {_xsub(d, j)}",
                lambda j=j: rf"\frac{{1}}{{{n}}}\left({_dot_work(e, X[:, j])}\right)",
                label=rf"$\partial L / \partial {_wsub(d, j)}$", answer=True))
        db = s.step("db", factor * float(e.sum()), r"\frac{\partial L}{\partial b} = \frac{1}{N}\sum_i (\hat y_i - y_i)",
                    lambda: rf"\frac{{1}}{{{n}}}\left(" + " + ".join(par(v) for v in e) + r"\right)",
                    label=r"$\partial L / \partial b$", answer=True)

        _update(s, names, d, w, grads, g.b, db, g.lr)


# ---------------------------------------------------------------------------------------------


class SoftmaxCeGivens(Givens):
    x: list[Value] = Field(min_length=1, max_length=4, description="the example's features")
    W: list[list[Value]] = Field(min_length=2, max_length=6, description="weights, shape (classes, features)")
    b: list[Value] = Field(description="biases, one per class")
    true_class: int = Field(ge=1, description="the true class, numbered from 1")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")

    @model_validator(mode="after")
    def _shapes(self):
        k, d = len(self.W), len(self.x)
        if any(len(r) != d for r in self.W):
            raise ValueError(f"W must be {k}x{d}: one row per class, one column per feature")
        if len(self.b) != k:
            raise ValueError(f"b must have one entry per class ({k})")
        if self.true_class > k:
            raise ValueError(f"true_class must be a class number from 1 to {k}")
        return self


@generator(id="softmax_ce", topic="linear", goal="02.7", version=1,
           title="Softmax classifier: cross-entropy loss and one gradient step")
class SoftmaxCe(Generator):
    """A linear softmax classifier with 3-4 classes on one example: scores, probabilities,
    cross-entropy, dL/dz = p - y, the weight gradient and one update."""

    Givens = SoftmaxCeGivens

    def draw(self, rng):
        while True:
            r = Draws(rng)
            k, d = r.pick((3, 3, 4)), r.pick((2, 2, 3))
            x = [float(r.pick((-2, -1, 1, 2, 3))) for _ in range(d)]
            W, b, z = [], [], []
            for _ in range(4 * k):  # candidate classes: keep the first k with a small score
                wk, bk = [float(r.between(-2, 2)) for _ in range(d)], float(r.pick((-1, 0, 0, 1)))
                zk = sum(wj * xj for wj, xj in zip(wk, x)) + bk
                if abs(zk) <= 3 and any(wk):
                    W.append(wk), b.append(bk), z.append(zk)
                    if len(z) == k:
                        break
            if len(z) < k or max(z) - min(z) > 4 or len(set(z)) < k - 1:
                continue  # small scores (e^z is given) that are not all alike
            c = r.below(k) + 1
            if math.exp(z[c - 1]) / sum(map(math.exp, z)) > 0.9:
                continue  # an almost-zero loss and gradient: nothing to learn
            lr = r.pick((0.1, 0.5, 1.0))
            return SoftmaxCeGivens(x=x, W=W, b=b, true_class=c, lr=lr)

    def stem(self, g):
        k, d = len(g.W), len(g.x)
        z = np.array(g.W) @ np.array(g.x) + np.array(g.b)
        exps = ", ".join(f"$e^{{{num(t)}}} = {num(math.exp(t))}$" for t in sorted(set(z.tolist())) if t != 0)
        return (
            f"A linear softmax classifier with {k} classes (numbered 1 to {k}) computes, for an input "
            f"$x$ with {d} features, the scores $z = Wx + b$ and the class probabilities"
            "\n\n"
            r"$$p_k = \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}$$"
            "\n\n"
            r"and is trained with the cross-entropy loss $L = -\sum_k y_k \ln p_k$ (natural logarithm), "
            r"where $y$ is the one-hot vector of the true class. Row $k$ of $W$ holds the weights of class $k$: "
            f"$W = {mat(g.W)}$, $b = {mat(g.b)}$. The example is $x = {mat(g.x)}$ and its true class is "
            f"class {g.true_class}, so $y_{{{g.true_class}}} = 1$. One step of stochastic gradient descent "
            f"on this example uses learning rate $\\lambda = {num(g.lr)}$. "
            + (f"You may use {exps}; a calculator may be used for the logarithm. " if exps
               else "A calculator may be used for the logarithm. ")
            + "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: SoftmaxCeGivens):
        x, W, b = np.array(g.x, dtype=float), np.array(g.W, dtype=float), np.array(g.b, dtype=float)
        k, c = len(b), g.true_class - 1
        y = np.zeros(k)
        y[c] = 1.0

        s.part("a", r"Compute the scores $z$, the probabilities $p = \operatorname{softmax}(z)$ and the loss $L$.")
        if np.max(W @ x + b) - np.min(W @ x + b) > 100:
            raise Degenerate("the scores are too far apart: a probability of 0 makes the loss infinite")
        z = s.step("z", W @ x + b, r"z = Wx + b", lambda: rf"{mat(W)} {mat(x)} + {mat(b)}", label="$z$")
        p = s.step("p", softmax(z), r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
                   lambda: r"\frac{1}{" + " + ".join(num(math.exp(t)) for t in z) + r"}"
                           + mat(np.exp(z)), label="$p$")
        if s.mistake("log10", "used the base-10 logarithm; the cross-entropy uses the natural logarithm"):
            loss = -np.log10(p[c])
        elif s.mistake("binary_ce_per_class", "added -ln(1 - p_k) for the wrong classes (binary cross-entropy "
                                              "per class); the softmax cross-entropy is -ln p of the true class"):
            loss = -np.log(p[c]) - float(np.sum(np.log(1 - np.delete(p, c))))
        else:
            loss = -np.log(p[c])
        s.step("loss", float(loss), rf"L = -\sum_k y_k \ln p_k = -\ln p_{{{c + 1}}}",
               lambda: rf"-\ln {num(p[c])}", label="$L$")

        s.part("b", r"Compute $\delta = \partial L / \partial z$ and the gradient $\partial L / \partial W$.")
        if s.mistake("delta_sign", "wrote y - p; the gradient of the softmax cross-entropy is p - y"):
            delta = y - p
        elif s.mistake("onehot_forgotten", "left out the one-hot target: dL/dz = p - y, so the true "
                                           "class's entry is p_k - 1"):
            delta = p
        else:
            delta = p - y
        d = s.step("delta", delta, r"\delta = \frac{\partial L}{\partial z} = p - y", lambda: rf"{mat(p)} - {mat(y)}",
                   label=r"$\delta = \partial L / \partial z$")
        dW = s.step("dW", np.outer(d, x), r"\frac{\partial L}{\partial W} = \delta\, x^T",
                    lambda: rf"{mat(d)} {mat(np.atleast_2d(x))}", label=r"$\partial L / \partial W$")

        s.part("c", r"Take one gradient-descent step: compute the updated $W$ and $b$ "
                    r"(note $\partial L / \partial b = \delta$).")
        sign = 1.0 if s.mistake("gradient_ascent", "added the gradient; gradient descent subtracts it") else -1.0
        s.step("W_new", W + sign * g.lr * dW, r"W \leftarrow W - \lambda \frac{\partial L}{\partial W}",
               lambda: rf"{mat(W)} - {num(g.lr)} {mat(dW)}", label="new $W$", answer=True)
        s.step("b_new", b + sign * g.lr * d, r"b \leftarrow b - \lambda\, \delta",
               lambda: rf"{mat(b)} - {num(g.lr)} {mat(d)}", label="new $b$", answer=True)
