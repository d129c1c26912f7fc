"""Linear regression: mean squared error and one gradient-descent step."""

import numpy as np
from pydantic import Field

from ...fmt import num, par
from ...registry import Generator, generator
from ...steps import Steps
from .._draw import Draws
from .._mistakes import ERROR_SIGN, GRADIENT_NOT_AVERAGED
from ._regression import (_dot_work, _examples, _gradients, _linear, _names, _params, _RegressionGivens,
                          _update, _wsub)


class LinRegGivens(_RegressionGivens):
    half: bool = Field(False, description="loss 1/(2N) sum (instead of 1/N sum) of the squared errors")


@generator(id="linreg_step", topic="linear", goal="02.2", version=2,
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

        s.part(r"Compute the predictions $\hat y_i$ of all examples and the loss $L$.")
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

        s.part("Compute the gradient of the loss with respect to every parameter: "
               + ", ".join(rf"$\partial L / \partial {_wsub(d, j)}$" for j in range(d))
               + r" and $\partial L / \partial b$.")
        e = yhat - y
        factor = (1.0 if half else 2.0) / n
        if s.mistake("factor_two", "kept the factor 2 from differentiating the square; with "
                                   "1/(2N) in the loss it cancels" if half else
                                   "left out the factor 2 from differentiating the square"):
            factor = (2.0 if half else 1.0) / n
        elif s.mistake(GRADIENT_NOT_AVERAGED):
            factor = 1.0 if half else 2.0
        if s.mistake(ERROR_SIGN):
            factor = -factor
        grads, db = _gradients(s, names, X, e, factor, gfrac, 1 if half else 2)

        _update(s, names, d, w, grads, g.b, db, g.lr)
