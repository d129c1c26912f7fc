"""SGD, momentum, RMSprop and AdaGrad updates."""

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Degenerate, Steps
from .._draw import decimal, pick
from .._mistakes import GRADIENT_ASCENT, NO_SQUARE_ROOT

WEIGHT = Tolerance.places(4)
VARIANCE = Tolerance.significant(3)
Method = Literal["sgd", "momentum", "rmsprop", "adagrad"]
METHOD_NAMES = {"sgd": "plain SGD", "momentum": "SGD with momentum", "rmsprop": "RMSprop",
                "adagrad": "AdaGrad"}


def _as_step(x: np.ndarray):
    """A one-entry array as a float (a scalar step), a longer one as itself (a vector step)."""
    x = np.asarray(x, dtype=float)
    return float(x.reshape(-1)[0]) if x.size == 1 else x


def _arr(v) -> np.ndarray:
    """A step's value (scalar or vector, possibly a student's) as a float array."""
    return np.atleast_1d(np.asarray(v, dtype=float))


def _shifted(var: str, c: float) -> str:
    """``w - 1``, ``w + 0.5`` or ``w``."""
    if c == 0:
        return var
    return f"{var} - {num(c)}" if c > 0 else f"{var} + {num(-c)}"


def _each(fmt, *arrays) -> str:
    """Worked numbers per component: ``fmt(x_i, y_i, ...)``, a tuple of them for vectors."""
    terms = [fmt(*vals) for vals in zip(*(np.atleast_1d(x) for x in arrays))]
    return terms[0] if len(terms) == 1 else r"\left(" + r",\ ".join(terms) + r"\right)"


def _minus(w: float, c: float) -> str:
    """``w - c`` with the numbers put in: ``1.5 - 2``, ``-1.8 + 1``, ``0.4``."""
    if c == 0:
        return num(w)
    return f"{num(w)} - {num(c)}" if c > 0 else f"{num(w)} + {num(-c)}"


def _grad_term(a: float, w: float, c: float, alpha: float) -> str:
    inner = _minus(w, c)
    text = inner if a == 1 else (rf"{num(a)} \cdot ({inner})" if c else rf"{num(a)} \cdot {par(w)}")
    return text + (rf" + {num(alpha)} \cdot {par(w)}" if alpha else "")


def _square_term(a: float, var: str, c: float) -> str:
    """``a/2 (var - c)^2`` written simply: ``(w - 1)^2``, ``0.5 w^2``."""
    coef = "" if a == 2 else num(a / 2) + " "
    return f"{coef}{var}^2" if c == 0 else rf"{coef}\left({_shifted(var, c)}\right)^2"


def _scaled(a: float, inner: str) -> str:
    """``a (inner)``, or just ``inner`` when a = 1."""
    return inner if a == 1 else rf"{num(a)}\left({inner}\right)"


class OptimizersGivens(Givens):
    method: Method = Field(description="sgd, momentum, rmsprop or adagrad")
    w0: list[float] = Field(min_length=1, max_length=2, description="initial weight(s): one or two")
    a: list[float] = Field(min_length=1, max_length=2,
                           description="curvatures a_i > 0 of L(w) = sum_i a_i/2 (w_i - c_i)^2")
    c: list[float] = Field(min_length=1, max_length=2, description="the minimum c_i of L")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")
    steps: int = Field(ge=1, le=3, description="number of iterations T")
    mu: float | None = Field(None, gt=0, lt=1, description="momentum (method momentum only)")
    rho: float | None = Field(None, gt=0, lt=1, description="decay rate of RMSprop's average (rmsprop only)")
    eps: float = Field(1e-8, ge=0, le=1, description="epsilon of RMSprop / AdaGrad, outside the root")
    weight_decay: float = Field(0.0, ge=0, le=10, description="L2 weight decay alpha (0: none)")
    lr_decay: float = Field(1.0, gt=0, le=1, description="gamma: lambda_t = lambda gamma^(t-1) (1: none)")

    @model_validator(mode="after")
    def _consistent(self):
        if not len(self.w0) == len(self.a) == len(self.c):
            raise ValueError("w0, a and c must have the same length (1 or 2)")
        if min(self.a) <= 0 or max(self.a) > 100:
            raise ValueError("every curvature a_i must lie in (0, 100]")
        if max(map(abs, self.w0 + self.c)) > 1000:
            raise ValueError("w0 and c must lie in [-1000, 1000]")
        if (self.mu is not None) != (self.method == "momentum"):
            raise ValueError("give mu exactly when the method is momentum")
        if (self.rho is not None) != (self.method == "rmsprop"):
            raise ValueError("give rho exactly when the method is rmsprop")
        return self


@generator(id="optimizers", topic="training", goal="07.4", version=2,
           title="SGD, momentum, RMSprop and AdaGrad updates")
class Optimizers(Generator):
    """1-3 iterations of an optimizer on a scalar or 2-vector weight of a quadratic loss,
    optionally with L2 weight decay or an exponentially decaying learning rate."""

    Givens = OptimizersGivens

    def draw(self, rng):
        method = pick(rng, ["sgd", "momentum", "momentum", "rmsprop", "rmsprop", "adagrad", "adagrad"])
        n = pick(rng, [1, 1, 2])
        extra = pick(rng, ["none", "none", "wd", "decay"])
        T = pick(rng, [2, 3]) if method == "sgd" or extra == "decay" else pick(rng, [1, 2, 2, 3])
        a = [float(pick(rng, [1, 2])) for _ in range(n)]
        eps, mu, rho = 1e-8, None, None
        if method in ("sgd", "momentum"):
            lr = pick(rng, [0.1, 0.2, 0.5]) if max(a) == 1 else pick(rng, [0.1, 0.2, 0.25])
            mu = pick(rng, [0.9, 0.9, 0.5, 0.8]) if method == "momentum" else None
        else:
            eps = pick(rng, [1e-8, 1e-8, 0.1])
            if method == "rmsprop":  # the first step has length lr / sqrt(1 - rho): keep it below 1
                rho = pick(rng, [0.9, 0.9, 0.99, 0.5, 0.8])
                lr = pick(rng, [0.01, 0.05, 0.1] if rho == 0.99 else [0.05, 0.1, 0.2])
            else:
                lr = pick(rng, [0.1, 0.2, 0.5])
        wd = pick(rng, [0.1, 0.2, 0.5]) if extra == "wd" else 0.0
        while True:  # the first gradient is clearly nonzero in every component
            c = [float(rng.integers(-2, 3)) for _ in range(n)]
            w0 = [decimal(rng, -2, 2) for _ in range(n)]
            if all(abs(ai * (wi - ci) + wd * wi) >= 0.1 for ai, wi, ci in zip(a, w0, c)):
                break
        return OptimizersGivens(method=method, w0=w0, a=a, c=c, lr=lr, steps=T, eps=eps, mu=mu, rho=rho,
                                weight_decay=wd, lr_decay=pick(rng, [0.5, 0.8, 0.9]) if extra == "decay" else 1.0)

    def stem(self, g):
        n = len(g.w0)
        if n == 1:
            loss = "L(w) = " + _square_term(g.a[0], "w", g.c[0])
            grad = rf"\frac{{\partial L}}{{\partial w}} = {_scaled(g.a[0], _shifted('w', g.c[0]))}"
            what = f"A single weight $w$, starting at $w_0 = {num(g.w0[0])}$,"
        else:
            terms = [_square_term(a, f"w_{i}", c) for i, (a, c) in enumerate(zip(g.a, g.c), 1)]
            loss = "L(w) = " + " + ".join(terms)
            grads = [_scaled(a, _shifted(f"w_{i}", c)) for i, (a, c) in enumerate(zip(g.a, g.c), 1)]
            grad = r"\nabla L(w) = \left(" + ",\\ ".join(grads) + r"\right)"
            what = f"A weight vector $w = (w_1, w_2)$, starting at $w_0 = {row(g.w0)}$,"
        T = g.steps
        text = (f"{what} minimises the loss $${loss}, \\qquad {grad}.$$\n\n"
                f"It is trained for {T} iteration{'s' if T > 1 else ''} with "
                f"{METHOD_NAMES[g.method]}, learning rate $\\lambda = {num(g.lr)}$. At iteration "
                "$t = 1, 2, \\dots$ the gradient is taken at the current weights, "
                + (r"$g_t = \nabla L(w_{t-1})$" if not g.weight_decay else
                   rf"with L2 weight decay $\alpha = {num(g.weight_decay)}$ (the gradient of "
                   r"$L(w) + \frac{\alpha}{2}\|w\|^2$): $g_t = \nabla L(w_{t-1}) + \alpha\, w_{t-1}$")
                + ". The update is" + (" (elementwise for vectors)" if n > 1 else "") + ":\n\n")
        lam = r"\lambda_t" if g.lr_decay != 1 else r"\lambda"
        if g.method == "sgd":
            text += rf"$$w_t = w_{{t-1}} - {lam}\, g_t$$"
        elif g.method == "momentum":
            text += (rf"$$v_t = \mu\, v_{{t-1}} + g_t, \qquad w_t = w_{{t-1}} - {lam}\, v_t$$" "\n\n"
                     f"with $v_0 = 0$ and momentum $\\mu = {num(g.mu)}$ (PyTorch's convention: the "
                     "velocity adds up gradients and the learning rate multiplies it in the update).")
        elif g.method == "rmsprop":
            text += (rf"$$r_t = \rho\, r_{{t-1}} + (1-\rho)\, g_t^2, \qquad "
                     rf"w_t = w_{{t-1}} - {lam} \frac{{g_t}}{{\sqrt{{r_t}} + \epsilon}}$$" "\n\n"
                     f"with $r_0 = 0$, $\\rho = {num(g.rho)}$ and $\\epsilon = {num(g.eps)}$ added "
                     "outside the square root (as in PyTorch).")
        else:
            text += (rf"$$G_t = G_{{t-1}} + g_t^2, \qquad "
                     rf"w_t = w_{{t-1}} - {lam} \frac{{g_t}}{{\sqrt{{G_t}} + \epsilon}}$$" "\n\n"
                     f"with the accumulator starting at $G_0 = 0$ and $\\epsilon = {num(g.eps)}$ added "
                     "outside the square root (as in PyTorch).")
        if g.lr_decay != 1:
            text += ("\n\nThe learning rate decays exponentially: it is multiplied by "
                     f"$\\gamma = {num(g.lr_decay)}$ after every iteration, so iteration $t$ uses "
                     r"$\lambda_t = \lambda\,\gamma^{t-1}$.")
        prec = ("Give answers to 4 decimals" +
                (", and the accumulators to 3 significant figures." if g.method in ("rmsprop", "adagrad") else "."))
        return text + "\n\n" + prec

    def solve(self, s: Steps, g: OptimizersGivens):
        a, c = np.array(g.a), np.array(g.c)
        w = np.array(g.w0, dtype=float)
        state = np.zeros_like(w)
        method, eps, alpha = g.method, g.eps, g.weight_decay
        acc = {"momentum": "v", "rmsprop": "r", "adagrad": "G"}.get(method)
        for t in range(1, g.steps + 1):
            w_prev, state_prev = w, state
            asked = ["g_{%d}" % t] + ([f"{acc}_{t}"] if acc else []) + [f"w_{t}"]
            if g.lr_decay != 1 and t > 1:
                asked.insert(0, rf"\lambda_{t}")
            s.part(lambda: f"Iteration $t = {t}$: compute " + ", ".join(f"${x}$" for x in asked[:-1])
                           + f" and ${asked[-1]}$.")
            lr = g.lr
            if g.lr_decay != 1 and t > 1:
                k = t if s.mistake("lr_decay_exponent", "decayed once too often: iteration t uses "
                                                        "lambda gamma^(t-1), the first iteration the "
                                                        "undecayed lambda") else t - 1
                lr = s.step(f"lr{t}", g.lr * g.lr_decay ** k, r"\lambda_t = \lambda\,\gamma^{t-1}",
                            lambda: rf"{num(g.lr)} \cdot {num(g.lr_decay)}^{{{t - 1}}}",
                            label=rf"$\lambda_{t}$", tol=WEIGHT)
            grad = a * (w_prev - c)
            if alpha and not s.mistake("no_weight_decay", "left out the weight decay: the gradient of "
                                                          "(alpha/2)||w||^2 adds alpha w to g"):
                grad = grad + alpha * w_prev
            grad = _arr(s.step(
                f"g{t}", _as_step(grad),
                rf"g_{t} = \nabla L(w_{{{t - 1}}})" + (rf" + \alpha\, w_{{{t - 1}}}" if alpha else ""),
                lambda: _each(lambda ai, wi, ci: _grad_term(ai, wi, ci, alpha), a, w_prev, c),
                label=f"$g_{t}$", tol=WEIGHT))
            ascent = s.mistake(GRADIENT_ASCENT)
            sign = 1.0 if ascent else -1.0
            lam = r"\lambda_{%d}" % t if g.lr_decay != 1 else r"\lambda"
            if method == "sgd":
                new = w_prev + sign * lr * grad
                formula = rf"w_{t} = w_{{{t - 1}}} - {lam}\, g_{t}"
                work = lambda: _each(lambda wi, gi: rf"{num(wi)} - {num(lr)} \cdot {par(gi)}", w_prev, grad)
            elif method == "momentum":
                lr_inside = s.mistake("velocity_includes_lr",
                                      "used the other momentum convention v = mu v - lambda g, w = w + v; "
                                      "here the velocity sums gradients and lambda multiplies it in the update")
                if s.mistake("momentum_as_average", "averaged like ADAM's first moment, "
                                                    "v = mu v + (1 - mu) g; momentum SGD adds the full gradient"):
                    v = g.mu * state_prev + (1 - g.mu) * grad
                elif lr_inside:
                    v = g.mu * state_prev - lr * grad
                else:
                    v = g.mu * state_prev + grad
                state = _arr(s.step(f"v{t}", _as_step(v), rf"v_{t} = \mu\, v_{{{t - 1}}} + g_{t}",
                                    lambda: _each(lambda vi, gi: rf"{num(g.mu)} \cdot {par(vi)} + {par(gi)}",
                                                  state_prev, grad),
                                    label=f"$v_{t}$", tol=WEIGHT))
                new = w_prev + state if lr_inside else w_prev + sign * lr * state
                formula = rf"w_{t} = w_{{{t - 1}}} - {lam}\, v_{t}"
                work = lambda: _each(lambda wi, vi: rf"{num(wi)} - {num(lr)} \cdot {par(vi)}", w_prev, state)
            else:
                if method == "rmsprop":
                    if s.mistake("rmsprop_one_minus_rho_missing", "left out the factor (1 - rho) on the "
                                                                  "squared gradient of the moving average"):
                        r = g.rho * state_prev + grad ** 2
                    else:
                        r = g.rho * state_prev + (1 - g.rho) * grad ** 2
                    state = _arr(s.step(f"r{t}", _as_step(r), rf"r_{t} = \rho\, r_{{{t - 1}}} + (1-\rho)\, g_{t}^2",
                                        lambda: _each(lambda ri, gi: rf"{num(g.rho)} \cdot {num(ri, 6)} + "
                                                                     rf"{num(1 - g.rho)} \cdot {par(gi)}^2",
                                                      state_prev, grad),
                                        label=f"$r_{t}$", tol=VARIANCE))
                else:
                    if t > 1 and s.mistake("accumulator_not_accumulating",
                                           "used only the current squared gradient; AdaGrad's "
                                           "accumulator sums the squared gradients of all iterations"):
                        G = grad ** 2
                    else:
                        G = state_prev + grad ** 2
                    state = _arr(s.step(f"G{t}", _as_step(G), rf"G_{t} = G_{{{t - 1}}} + g_{t}^2",
                                        lambda: _each(lambda Gi, gi: rf"{num(Gi, 6)} + {par(gi)}^2", state_prev, grad),
                                        label=f"$G_{t}$", tol=VARIANCE))
                sym = "r" if method == "rmsprop" else "G"
                if s.mistake(NO_SQUARE_ROOT):
                    den = state + eps
                elif eps >= 0.01 and s.mistake("eps_inside_root", f"put eps inside the square root, "
                                                                   f"sqrt({sym}_t + eps); here it is "
                                                                   f"added outside, sqrt({sym}_t) + eps"):
                    den = np.sqrt(state + eps)
                else:
                    den = np.sqrt(state) + eps
                if eps == 0 and np.any(den == 0):
                    raise Degenerate("a zero gradient with eps = 0 divides by zero")
                new = w_prev + sign * lr * grad / den
                formula = rf"w_{t} = w_{{{t - 1}}} - {lam} \frac{{g_{t}}}{{\sqrt{{{sym}_{t}}} + \epsilon}}"
                work = lambda: _each(lambda wi, gi, si: rf"{num(wi)} - {num(lr)} \cdot \frac{{{num(gi)}}}"
                                                         rf"{{\sqrt{{{num(si, 6)}}} + {num(eps)}}}",
                                     w_prev, grad, state)
            w = _arr(s.step(f"w{t}", _as_step(new), formula, work, label=f"$w_{t}$", tol=WEIGHT,
                            answer=True))
