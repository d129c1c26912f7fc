"""What linear and logistic regression share (linreg_step, logreg_step): givens, the stem's
notation, the gradient-descent update."""


from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...registry import Givens
from ...steps import Steps
from .._givens import Number
from .._mistakes import GRADIENT_ASCENT


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
    x: list[list[Number]] = Field(min_length=1, max_length=10,
                                 description="the examples' features, one row per example")
    y: list[Number] = Field(min_length=1, max_length=10, description="the targets, one per example")
    w: list[Number] = Field(min_length=1, max_length=4, description="the weights, one per feature")
    b: Number = Field(description="the bias")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")

    @model_validator(mode="after")
    def _shapes(self):
        d = len(self.w)
        if any(len(r) != d for r in self.x):
            raise ValueError(f"every example needs {d} features (one per weight)")
        if len(self.y) != len(self.x):
            raise ValueError(f"give one target y per example ({len(self.x)})")
        return self


def _gradients(s: Steps, names, X, e, factor: float, frac: str, numerator: int):
    """Part b's gradient steps, dL/dw_j = frac sum_i e_i x_ij and dL/db = frac sum_i e_i, with the errors
    ``e = y_hat - y``: ``factor`` is frac's value (a mistake may change it), ``frac`` its LaTeX in the
    formula and ``numerator`` / N its value in the worked numbers. Returns the gradients and dL/db."""
    n, d = X.shape
    grads = [s.step(f"d{names[j]}", factor * float(e @ X[:, j]),
                    rf"\frac{{\partial L}}{{\partial {_wsub(d, j)}}} = {frac}\sum_i (\hat y_i - y_i)\, {_xsub(d, j)}",
                    lambda j=j: rf"\frac{{{numerator}}}{{{n}}}\left({_dot_work(e, X[:, j])}\right)",
                    label=rf"$\partial L / \partial {_wsub(d, j)}$", answer=True)
             for j in range(d)]
    db = s.step("db", factor * float(e.sum()), rf"\frac{{\partial L}}{{\partial b}} = {frac}\sum_i (\hat y_i - y_i)",
                lambda: rf"\frac{{{numerator}}}{{{n}}}\left(" + " + ".join(par(v) for v in e) + r"\right)",
                label=r"$\partial L / \partial b$", answer=True)
    return grads, db


def _update(s: Steps, names, d, w, grads, b, db, lr):
    """Part c of the regression generators: one gradient-descent step on every parameter."""
    s.part("Take one gradient-descent step: compute the updated "
           + ", ".join(f"${_wsub(d, j)}$" for j in range(d)) + " and $b$.")
    sign = 1.0 if s.mistake(GRADIENT_ASCENT) else -1.0
    for j in range(d):
        s.step(f"{names[j]}_new", w[j] + sign * lr * grads[j],
               rf"{_wsub(d, j)} \leftarrow {_wsub(d, j)} - \lambda \frac{{\partial L}}{{\partial {_wsub(d, j)}}}",
               lambda j=j: rf"{num(w[j])} - {num(lr)} \cdot {par(grads[j])}", label=rf"new ${_wsub(d, j)}$",
               answer=True)
    s.step("b_new", b + sign * lr * db, r"b \leftarrow b - \lambda \frac{\partial L}{\partial b}",
           lambda: rf"{num(b)} - {num(lr)} \cdot {par(db)}", label="new $b$", answer=True)
