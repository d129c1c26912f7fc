"""Lecture 07: training and architectures: ADAM, batch normalisation, SGD / momentum / RMSprop /
AdaGrad updates, weight initialisation, activation functions, normalisation axes and
hyperparameter search on a log scale."""


import itertools
import math
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..fmt import num, par, row
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..steps import Degenerate, Steps
from ._draw import decimal, pick

MOMENT = Tolerance.places(4)
VARIANCE = Tolerance.significant(3)


class AdamGivens(Givens):
    w0: float = Field(ge=-1000, le=1000, description="initial weight")
    grads: list[float] = Field(min_length=1, max_length=5, description="gradients g_1..g_T")
    lr: float = Field(0.1, gt=0, le=10, description="learning rate lambda")
    rho1: float = Field(0.9, gt=0, lt=1)
    rho2: float = Field(0.999, gt=0, lt=1)
    eps: float = Field(1e-8, ge=0, le=1)

    @model_validator(mode="after")
    def _first_gradient_nonzero(self):
        if self.grads[0] == 0 and self.eps == 0:
            raise ValueError("g_1 = 0 with eps = 0 divides by zero")
        return self


@generator(id="adam", topic="training", goal="07.4", version=1, title="ADAM with bias correction")
class Adam(Generator):
    """T = 1-3 ADAM steps on one weight, with the course's bias correction."""

    Givens = AdamGivens

    def draw(self, rng):
        T = pick(rng, [1, 2, 2, 3])
        rho1, rho2 = pick(rng, [(0.9, 0.999)] * 3 + [(0.8, 0.99), (0.5, 0.9), (0.9, 0.99)])
        return AdamGivens(w0=decimal(rng, -2, 2), lr=pick(rng, [0.1, 0.01, 0.05, 0.2, 0.5]),
                          grads=[decimal(rng, -1, 1, nonzero=True) for _ in range(T)],
                          rho1=rho1, rho2=rho2, eps=1e-8)

    def stem(self, g):
        grads = ", ".join(f"g_{t} = {num(x)}" for t, x in enumerate(g.grads, 1))
        return (
            "A single weight $w$ is trained with ADAM with bias correction, as in the course. "
            r"Both moments start at zero, $\mu_{\partial w} = \mathrm{var}_{\partial w} = 0$, and at "
            "iteration $t = 1, 2, \\dots$ with gradient $g_t$:\n\n"
            r"$$\mu_{\partial w} \leftarrow \rho_1 \mu_{\partial w} + (1-\rho_1)\,g_t, \qquad "
            r"\hat\mu_t = \frac{\mu_{\partial w}}{1-\rho_1^t}$$"
            "\n\n"
            r"$$\mathrm{var}_{\partial w} \leftarrow \rho_2 \mathrm{var}_{\partial w} + (1-\rho_2)\,g_t^2, \qquad "
            r"\hat v_t = \frac{\mathrm{var}_{\partial w}}{1-\rho_2^t}$$"
            "\n\n"
            r"$$w \leftarrow w - \lambda \frac{\hat\mu_t}{\sqrt{\hat v_t} + \epsilon}$$"
            "\n\n"
            f"($\\epsilon$ is added outside the square root). Given $w_0 = {num(g.w0)}$, "
            f"$\\lambda = {num(g.lr)}$, $\\rho_1 = {num(g.rho1)}$, $\\rho_2 = {num(g.rho2)}$, "
            f"$\\epsilon = {num(g.eps)}$ and the gradients ${grads}$. "
            "Give $\\mu_{\\partial w}$, $\\hat\\mu_t$ and $w$ to 4 decimals, and the variances "
            "$\\mathrm{var}_{\\partial w}$, $\\hat v_t$ to 3 significant figures."
        )

    def solve(self, s: Steps, g: AdamGivens):
        r1, r2, lr, eps = g.rho1, g.rho2, g.lr, g.eps
        m = v = 0.0
        w = g.w0
        for t, grad in enumerate(g.grads, start=1):
            m0, v0, w0 = m, v, w
            s.part(chr(ord("a") + t - 1),
                   lambda: f"Iteration $t = {t}$ ($g_{t} = {num(grad)}$): compute "
                           rf"$\mu_{{\partial w}}$, $\mathrm{{var}}_{{\partial w}}$, $\hat\mu_{t}$, "
                           rf"$\hat v_{t}$ and the new weight $w_{t}$.")
            m = s.step(f"m{t}", r1 * m0 + (1 - r1) * grad,
                       rf"\mu_{{\partial w}}^{{({t})}} = \rho_1 \mu_{{\partial w}}^{{({t - 1})}} + (1-\rho_1) g_{t}",
                       lambda: rf"{num(r1)} \cdot {par(m0)} + {num(1 - r1)} \cdot {par(grad)}",
                       label=rf"$\mu_{{\partial w}}^{{({t})}}$", tol=MOMENT)
            v = s.step(f"v{t}", r2 * v0 + (1 - r2) * grad ** 2,
                       rf"\mathrm{{var}}_{{\partial w}}^{{({t})}} = \rho_2 \mathrm{{var}}_{{\partial w}}^{{({t - 1})}}"
                       rf" + (1-\rho_2) g_{t}^2",
                       lambda: rf"{num(r2)} \cdot {par(v0)} + {num(1 - r2)} \cdot {par(grad)}^2",
                       label=rf"$\mathrm{{var}}_{{\partial w}}^{{({t})}}$", tol=VARIANCE)
            if s.mistake("no_bias_correction",
                         "used the moments without bias correction; ADAM divides by 1 - rho^t "
                         "because the moments start at zero and are biased towards it"):
                m_hat, v_hat = m, v
            elif t > 1 and s.mistake("bias_power_missing",
                                     "divided by 1 - rho instead of 1 - rho^t: the correction uses "
                                     "the t-th power of rho"):
                m_hat, v_hat = m / (1 - r1), v / (1 - r2)
            else:
                m_hat, v_hat = m / (1 - r1 ** t), v / (1 - r2 ** t)
            m_hat = s.step(f"m_hat{t}", m_hat,
                           rf"\hat\mu_{t} = \frac{{\mu_{{\partial w}}^{{({t})}}}}{{1-\rho_1^{{{t}}}}}",
                           lambda: rf"\frac{{{num(m)}}}{{1-{num(r1)}^{{{t}}}}}",
                           label=rf"$\hat\mu_{t}$", tol=MOMENT)
            v_hat = s.step(f"v_hat{t}", v_hat,
                           rf"\hat v_{t} = \frac{{\mathrm{{var}}_{{\partial w}}^{{({t})}}}}{{1-\rho_2^{{{t}}}}}",
                           lambda: rf"\frac{{{num(v)}}}{{1-{num(r2)}^{{{t}}}}}",
                           label=rf"$\hat v_{t}$", tol=VARIANCE)
            if s.mistake("no_square_root", "divided by the variance instead of its square root"):
                step = m_hat / (v_hat + eps)
            else:
                step = m_hat / (np.sqrt(v_hat) + eps)
            w = s.step(f"w{t}", w0 - lr * step,
                       rf"w_{t} = w_{t - 1} - \lambda \frac{{\hat\mu_{t}}}{{\sqrt{{\hat v_{t}}} + \epsilon}}",
                       lambda: rf"{num(w0)} - {num(lr)} \cdot \frac{{{num(m_hat)}}}"
                               rf"{{\sqrt{{{num(v_hat, 6)}}} + {num(eps)}}}",
                       label=f"$w_{t}$", tol=MOMENT, answer=True)


# ---------------------------------------------------------------------------------------------


class BatchNormGivens(Givens):
    z: list[float] = Field(min_length=2, max_length=12, description="the node's values over the minibatch")
    gamma: float = Field(ge=-100, le=100)
    beta: float = Field(ge=-100, le=100)
    eps: float = Field(0.0, ge=0, le=1)
    momentum: float = Field(0.1, gt=0, lt=1, description="PyTorch convention: new = (1-m) old + m batch")
    running_mean: float = Field(ge=-1000, le=1000, description="running mean before this batch")
    running_var: float = Field(gt=0, le=1e6, description="running variance before this batch")
    running_var_unbiased: bool = Field(False, description="update the running variance with the N-1 estimate")
    x_test: float = Field(ge=-1000, le=1000, description="a value seen at test time")

    @model_validator(mode="after")
    def _not_constant(self):
        if max(self.z) == min(self.z) and self.eps == 0:
            raise ValueError("the minibatch values are all equal: the variance is 0")
        return self


@lru_cache(maxsize=None)
def _nice_deviations(n: int) -> tuple[tuple[int, ...], ...]:
    """Integer deviations d (sum 0, |d| <= 6, not all 0) whose standard deviation is a whole or
    half number, so the normalised values can be computed by hand."""
    found = []
    for d in itertools.combinations_with_replacement(range(-6, 7), n):
        if sum(d) == 0 and any(d):
            four_var = 4 * sum(x * x for x in d)
            if four_var % n == 0 and math.isqrt(four_var // n) ** 2 == four_var // n:
                found.append(d)
    return tuple(found)


@generator(id="batchnorm", topic="training", goal="07.3", version=1,
           title="Batch normalisation at training and test time")
class BatchNorm(Generator):
    """One node over a minibatch: statistics, normalised outputs, running averages, test time."""

    Givens = BatchNormGivens

    def draw(self, rng):
        n = pick(rng, [4, 4, 5, 6])
        devs = _nice_deviations(n)
        d = np.array(devs[int(rng.integers(len(devs)))], dtype=float)
        rng.shuffle(d)
        scale = pick(rng, [1.0, 1.0, 0.5, 2.0])
        mean = decimal(rng, -3, 3, 0) + pick(rng, [0.0, 0.5])
        z = [round(mean + scale * x, 2) for x in d]
        return BatchNormGivens(
            z=z, gamma=decimal(rng, 0.5, 3, 1), beta=decimal(rng, -2, 2, 1), eps=0.0,
            momentum=pick(rng, [0.1, 0.1, 0.2, 0.5]), running_mean=decimal(rng, -2, 2, 1),
            running_var=decimal(rng, 0.5, 4, 1), running_var_unbiased=bool(rng.random() < 0.25),
            x_test=decimal(rng, -4, 4, 1))

    def stem(self, g):
        n = len(g.z)
        est = (r"the unbiased estimate $\frac{1}{N-1}\sum_i (z_i-\mu_B)^2$, as PyTorch does"
               if g.running_var_unbiased else r"the batch variance $\sigma_B^2$ itself")
        return (
            f"A batch-normalisation layer sees one node's pre-activations over a minibatch of $N = {n}$ "
            f"examples: $z = {row(g.z)}$. In training it normalises with the minibatch statistics "
            r"$\mu_B = \frac{1}{N}\sum_i z_i$ and the population variance "
            r"$\sigma_B^2 = \frac{1}{N}\sum_i (z_i - \mu_B)^2$ (divide by $N$), then scales and shifts:"
            "\n\n"
            r"$$\hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad "
            r"\tilde z_i = \gamma \hat z_i + \beta$$"
            "\n\n"
            f"with $\\gamma = {num(g.gamma)}$, $\\beta = {num(g.beta)}$, $\\epsilon = {num(g.eps)}$. "
            "For test time it keeps running averages, updated after each minibatch with momentum "
            f"$m = {num(g.momentum)}$ (PyTorch's convention): "
            r"$\mu_{run} \leftarrow (1-m)\,\mu_{run} + m\,\mu_B$ and "
            r"$\sigma^2_{run} \leftarrow (1-m)\,\sigma^2_{run} + m\,s^2$, where $s^2$ is " + est + ". "
            f"Before this minibatch $\\mu_{{run}} = {num(g.running_mean)}$ and "
            f"$\\sigma^2_{{run}} = {num(g.running_var)}$. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: BatchNormGivens):
        z = np.array(g.z, dtype=float)
        n = len(z)
        s.part("a", "Compute the minibatch mean $\\mu_B$ and variance $\\sigma_B^2$.")
        mu = s.step("mean", z.mean(), r"\mu_B = \frac{1}{N}\sum_i z_i",
                    lambda: rf"\frac{{{' + '.join(par(x) for x in z)}}}{{{n}}}", label=r"$\mu_B$")
        ddof = 1 if s.mistake("sample_variance",
                              "divided by N-1 (sample variance); batch norm normalises with the "
                              "population variance of the minibatch (divide by N)") else 0
        var = s.step("var", ((z - mu) ** 2).sum() / (n - ddof), r"\sigma_B^2 = \frac{1}{N}\sum_i (z_i-\mu_B)^2",
                     lambda: rf"\frac{{{' + '.join(f'{par(x - mu)}^2' for x in z)}}}{{{n}}}",
                     label=r"$\sigma_B^2$", answer=True)
        if var + g.eps <= 0:
            raise Degenerate("the minibatch variance is 0")
        s.part("b", r"Compute the normalised values $\hat z_i$ and the outputs $\tilde z_i$.")
        if s.mistake("divided_by_variance", "divided by the variance sigma^2 instead of the "
                                            "standard deviation sqrt(sigma^2 + eps)"):
            z_hat = (z - mu) / (var + g.eps)
        else:
            z_hat = (z - mu) / np.sqrt(var + g.eps)
        z_hat = s.step("z_hat", z_hat, r"\hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}",
                       lambda: rf"\frac{{z_i - {par(mu)}}}{{\sqrt{{{num(var)} + {num(g.eps)}}}}}",
                       label=r"$\hat z$")
        s.step("z_tilde", g.gamma * z_hat + g.beta, r"\tilde z_i = \gamma \hat z_i + \beta",
               lambda: rf"{num(g.gamma)} \hat z_i + {par(g.beta)}", label=r"$\tilde z$")

        s.part("c", r"Update the running averages $\mu_{run}$ and $\sigma^2_{run}$.")
        m = g.momentum
        if s.mistake("momentum_swapped", "swapped the weights of the running average: "
                                         "new = (1-m) old + m batch in PyTorch's convention"):
            keep, take = m, 1 - m
        else:
            keep, take = 1 - m, m
        run_mean = s.step("run_mean", keep * g.running_mean + take * mu,
                          r"\mu_{run} \leftarrow (1-m)\,\mu_{run} + m\,\mu_B",
                          lambda: rf"{num(1 - m)} \cdot {par(g.running_mean)} + {num(m)} \cdot {par(mu)}",
                          label=r"$\mu_{run}$")
        unbiased = g.running_var_unbiased
        if s.mistake("running_var_estimator", "used the other variance estimate for the running "
                                              "variance than the question states (N vs N-1)"):
            unbiased = not unbiased
        s2 = var * n / (n - 1) if unbiased else var
        run_var = s.step("run_var", keep * g.running_var + take * s2,
                         r"\sigma^2_{run} \leftarrow (1-m)\,\sigma^2_{run} + m\,s^2",
                         lambda: rf"{num(1 - m)} \cdot {num(g.running_var)} + {num(m)} \cdot {num(s2)}",
                         label=r"$\sigma^2_{run}$")

        s.part("d", f"At test time the node's pre-activation is $z = {num(g.x_test)}$. "
                    r"What is the layer's output $\tilde z$?")
        if s.mistake("test_uses_batch_statistics", "used the last minibatch's statistics at test "
                                                   "time; test time uses the running averages"):
            t_mean, t_var = mu, var
        else:
            t_mean, t_var = run_mean, run_var
        s.step("y_test", g.gamma * (g.x_test - t_mean) / np.sqrt(t_var + g.eps) + g.beta,
               r"\tilde z = \gamma \frac{z - \mu_{run}}{\sqrt{\sigma^2_{run} + \epsilon}} + \beta",
               lambda: rf"{num(g.gamma)} \cdot \frac{{{num(g.x_test)} - {par(t_mean)}}}"
                       rf"{{\sqrt{{{num(t_var)} + {num(g.eps)}}}}} + {par(g.beta)}",
               label=r"$\tilde z_{test}$")


# ---------------------------------------------------------------------------------------------
# Optimizers: SGD, momentum SGD, RMSprop and AdaGrad on a small quadratic loss


WEIGHT = Tolerance.places(4)
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


@generator(id="optimizers", topic="training", goal="07.4", version=1,
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
            s.part(chr(ord("a") + t - 1),
                   lambda: f"Iteration $t = {t}$: compute " + ", ".join(f"${x}$" for x in asked[:-1])
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
            ascent = s.mistake("gradient_ascent", "added the step to the weights; gradient descent "
                                                  "moves against the gradient")
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
                if s.mistake("no_square_root", f"divided by {sym}_t + eps instead of the square root "
                                               f"sqrt({sym}_t) + eps"):
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


# ---------------------------------------------------------------------------------------------
# Weight initialisation: He and Xavier/Glorot scales from fan-in and fan-out


SCALE = Tolerance.significant(3)
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}


class WeightInitGivens(Givens):
    layer: Literal["conv", "dense"] = Field(description="a k x k convolution, or a dense layer on a "
                                                        "flattened feature map")
    c_in: int = Field(ge=1, le=4096, description="input channels (conv) / channels of the flattened map (dense)")
    c_out: int = Field(ge=1, le=4096, description="filters (conv) / units (dense)")
    kernel: int | None = Field(None, ge=1, le=11, description="kernel size k (conv only)")
    height: int | None = Field(None, ge=1, le=64, description="height of the flattened map (dense only)")
    width: int | None = Field(None, ge=1, le=64, description="width of the flattened map (dense only)")
    activation: Literal["relu", "leaky_relu", "tanh", "sigmoid"]
    slope: float | None = Field(None, gt=0, lt=1, description="negative slope a of the leaky ReLU")
    distribution: Literal["normal", "uniform"]

    @model_validator(mode="after")
    def _consistent(self):
        conv = self.layer == "conv"
        if conv != (self.kernel is not None):
            raise ValueError("give kernel exactly for a conv layer")
        if (not conv) != (self.height is not None and self.width is not None) or \
                (conv and (self.height is not None or self.width is not None)):
            raise ValueError("give height and width exactly for a dense layer")
        if (self.activation == "leaky_relu") != (self.slope is not None):
            raise ValueError("give slope exactly for the leaky ReLU")
        return self

    def fans(self) -> tuple[int, int]:
        if self.layer == "conv":
            return self.c_in * self.kernel ** 2, self.c_out * self.kernel ** 2
        return self.height * self.width * self.c_in, self.c_out


def _he_variance(fan: float, slope: float) -> float:
    return 2.0 / ((1 + slope ** 2) * fan)


def _is_nice(x: float) -> bool:
    """1/x is a whole number: a standard deviation or bound like 1/8 that needs no calculator."""
    k = 1.0 / x
    return abs(k - round(k)) < 1e-9


@generator(id="weight_init", topic="training", goal="07.2", version=1,
           title="He and Xavier weight initialisation")
class WeightInit(Generator):
    """Fan-in and fan-out of a layer, the scheme its activation calls for, and the variance and
    standard deviation (normal) or bound (uniform) of the initial weights."""

    Givens = WeightInitGivens

    def draw(self, rng):
        act = pick(rng, ["relu", "relu", "leaky_relu", "tanh", "sigmoid"])
        slope = pick(rng, [0.2, 0.5]) if act == "leaky_relu" else None
        dist = pick(rng, ["normal", "uniform"])
        conv = rng.random() < 0.6
        g = None
        for _ in range(200):
            if conv:
                g = WeightInitGivens(layer="conv", c_in=pick(rng, [3, 8, 16, 24, 32, 48, 64, 96, 128]),
                                     c_out=pick(rng, [8, 16, 24, 32, 48, 64, 96, 128]),
                                     kernel=pick(rng, [1, 3, 3, 5]), activation=act, slope=slope,
                                     distribution=dist)
            else:
                hw = pick(rng, [2, 4, 4, 7, 8])
                g = WeightInitGivens(layer="dense", c_in=pick(rng, [4, 8, 16, 24, 32, 64, 96]), height=hw, width=hw,
                                     c_out=pick(rng, [10, 16, 32, 64, 100, 128, 256]), activation=act,
                                     slope=slope, distribution=dist)
            n_in, n_out = g.fans()
            var = (_he_variance(n_in, slope or 0.0) if act in ("relu", "leaky_relu")
                   else 2.0 / (n_in + n_out))
            if n_in != n_out and (act == "leaky_relu" or _is_nice(math.sqrt(var * (3 if dist == "uniform" else 1)))):
                return g
        return g

    def stem(self, g):
        if g.layer == "conv":
            layer = (f"A convolutional layer has $C_{{in}} = {g.c_in}$ input channels and $C_{{out}} = {g.c_out}$ "
                     f"filters of size ${g.kernel} \\times {g.kernel}$ (weight tensor of shape "
                     f"${g.c_out} \\times {g.c_in} \\times {g.kernel} \\times {g.kernel}$)")
        else:
            layer = (f"A feature map of size $H \\times W \\times C = {g.height} \\times {g.width} \\times {g.c_in}$ "
                     f"is flattened and fed to a dense layer of {g.c_out} units")
        act = ACTIVATION_NAMES[g.activation] + (f" with negative slope $a = {num(g.slope)}$"
                                                if g.slope is not None else "")
        if g.distribution == "normal":
            dist = r"a zero-mean normal distribution $\mathcal{N}(0, \sigma^2)$"
            ask = r"the standard deviation $\sigma$"
        else:
            dist = (r"a uniform distribution $\mathcal{U}(-b, b)$ (which has variance $b^2/3$)")
            ask = "the bound $b$"
        return (
            f"{layer}, followed by the activation function {act}. Its weights are initialised from "
            f"{dist}, with the variance of one of two schemes:\n\n"
            r"- He (Kaiming) initialisation: $\mathrm{Var}(w) = \frac{2}{(1 + a^2)\, n_{in}}$, where $a$ is "
            r"the negative slope of a leaky ReLU ($a = 0$ for the ReLU);" "\n"
            r"- Xavier (Glorot) initialisation, gain 1: $\mathrm{Var}(w) = \frac{2}{n_{in} + n_{out}}$." "\n\n"
            r"Here $n_{in}$ and $n_{out}$ are the fan-in and fan-out of the weights, counted as in PyTorch "
            r"(for a convolution both include the $k \times k$ receptive field). "
            f"Use the scheme that suits the activation function, and find {ask}. "
            "Give the variance and the scale to 3 significant figures."
        )

    def solve(self, s: Steps, g: WeightInitGivens):
        conv = g.layer == "conv"
        s.part("a", "Compute the fan-in $n_{in}$ and the fan-out $n_{out}$ of the layer's weights.")
        k2 = g.kernel ** 2 if conv else 1
        if conv:
            ignored = s.mistake("kernel_size_ignored", "counted channels only; every one of the k x k "
                                                      "kernel positions is a connection (n_in = C_in k^2)")
            n_in = g.c_in if ignored else g.c_in * k2
            n_in = s.step("fan_in", n_in, r"n_{in} = C_{in} \cdot k \cdot k",
                          lambda: rf"{g.c_in} \cdot {g.kernel} \cdot {g.kernel}", label=r"$n_{in}$", answer=True)
            n_out = s.step("fan_out", g.c_out if ignored else g.c_out * k2, r"n_{out} = C_{out} \cdot k \cdot k",
                           lambda: rf"{g.c_out} \cdot {g.kernel} \cdot {g.kernel}", label=r"$n_{out}$",
                           answer=True)
        else:
            flat = g.height * g.width * g.c_in
            if s.mistake("spatial_size_ignored", "counted the channels only; the flattened map has "
                                                 "H x W x C inputs"):
                flat = g.c_in
            n_in = s.step("fan_in", flat, r"n_{in} = H \cdot W \cdot C",
                          lambda: rf"{g.height} \cdot {g.width} \cdot {g.c_in}", label=r"$n_{in}$", answer=True)
            n_out = s.step("fan_out", g.c_out, r"n_{out} = \text{number of units}", label=r"$n_{out}$",
                           answer=True)

        s.part("b", f"Which scheme suits the {ACTIVATION_NAMES[g.activation]}? Compute the variance "
                    "$\\mathrm{Var}(w)$ and " + ("the standard deviation $\\sigma$."
                                                 if g.distribution == "normal" else "the bound $b$."))
        relu_family = g.activation in ("relu", "leaky_relu")
        if s.mistake("he_xavier_swapped", "He is for the ReLU family (it makes up for the half of the "
                                          "inputs the ReLU zeroes), Xavier for tanh and sigmoid"):
            relu_family = not relu_family
        scheme = s.step("scheme", "He" if relu_family else "Xavier",
                        lambda: (r"\text{%s is in the ReLU family: }" if g.activation in ("relu", "leaky_relu")
                                 else r"\text{%s is symmetric and saturating: }") % ACTIVATION_NAMES[g.activation],
                        label="scheme",
                        options=["He", "Xavier"])
        a = g.slope or 0.0
        n_in_f, n_out_f = np.float64(n_in), np.float64(n_out)
        if scheme == "He":
            fan, gain2 = n_in_f, 2.0 / (1 + a * a)
            if n_in != n_out and s.mistake("he_fan_out", "divided by the fan-out; He (fan-in mode) "
                                                         "divides by the number of inputs"):
                fan = n_out_f
            if s.mistake("he_factor_missing", "left out the factor 2 of He initialisation (1/n_in is "
                                              "LeCun's variance, for activations that keep the whole input)"):
                gain2 = gain2 / 2
            elif a and s.mistake("leaky_slope_ignored", "used 2/n_in; with a leaky ReLU the negative side "
                                                         "passes a, so the variance is 2/((1+a^2) n_in)"):
                gain2 = 2.0
            var = gain2 / fan
            formula = r"\mathrm{Var}(w) = \frac{2}{(1+a^2)\, n_{in}}"
            work = lambda: rf"\frac{{2}}{{(1 + {num(a)}^2) \cdot {n_in}}}" if a else rf"\frac{{2}}{{{n_in}}}"
        else:
            if n_in != n_out and s.mistake("xavier_fan_in_only", "used 1/n_in; Xavier averages the fan-in "
                                                                 "and the fan-out, 2/(n_in + n_out)"):
                var = 1.0 / n_in_f
            else:
                var = 2.0 / (n_in_f + n_out_f)
            formula = r"\mathrm{Var}(w) = \frac{2}{n_{in} + n_{out}}"
            work = lambda: rf"\frac{{2}}{{{n_in} + {n_out}}}"
        var = s.step("var", var, formula, work, label=r"$\mathrm{Var}(w)$", tol=SCALE)
        if g.distribution == "normal":
            if s.mistake("variance_as_std", "gave the variance as the standard deviation; sigma is its "
                                            "square root"):
                std = var
            else:
                std = np.sqrt(var)
            s.step("std", std, r"\sigma = \sqrt{\mathrm{Var}(w)}", lambda: rf"\sqrt{{{num(var, 6)}}}",
                   label=r"$\sigma$", tol=SCALE, answer=True)
        else:
            if s.mistake("bound_without_sqrt3", "used the standard deviation as the bound; U(-b, b) has "
                                                "variance b^2/3, so b = sqrt(3 Var)"):
                bound = np.sqrt(var)
            else:
                bound = np.sqrt(3 * var)
            s.step("bound", bound, r"b = \sqrt{3\, \mathrm{Var}(w)}", lambda: rf"\sqrt{{3 \cdot {num(var, 6)}}}",
                   label="$b$", tol=SCALE, answer=True)


# ---------------------------------------------------------------------------------------------
# Activation functions: values, derivatives and saturation


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
ACT_LATEX = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}",
             "leaky_relu": r"\mathrm{LReLU}", "elu": r"\mathrm{ELU}"}
ACT_NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU"}
ACT_TITLES = {"sigmoid": "The sigmoid", "tanh": "The hyperbolic tangent", "relu": "The ReLU",
              "leaky_relu": "The leaky ReLU", "elu": "The ELU"}
SATURATES = {  # does f'(z) -> 0 as z -> +inf / -inf?
    "sigmoid": ("yes", "yes"), "tanh": ("yes", "yes"), "relu": ("no", "yes"),
    "leaky_relu": ("no", "no"), "elu": ("no", "yes")}
ACTIVATION_VALUE = Tolerance.places(3)


class ActivationsGivens(Givens):
    functions: list[Literal["sigmoid", "tanh", "relu", "leaky_relu", "elu"]] = Field(
        min_length=1, max_length=5, description="the activation functions asked about")
    z: list[float] = Field(min_length=1, max_length=4, description="the inputs z")
    slope: float = Field(0.1, gt=0, lt=1, description="negative slope a of the leaky ReLU")
    alpha: float = Field(1.0, gt=0, le=10, description="alpha of the ELU")

    @model_validator(mode="after")
    def _valid(self):
        if len(set(self.functions)) != len(self.functions):
            raise ValueError("each function may be listed once")
        if max(map(abs, self.z)) > 10:
            raise ValueError("the inputs must lie in [-10, 10]")
        if 0 in self.z and set(self.functions) & {"relu", "leaky_relu", "elu"}:
            raise ValueError("z = 0: the ReLU-type derivatives are not defined there")
        return self


def _exp_hints(g: ActivationsGivens) -> list[float]:
    """The exponents x whose e^x the question gives."""
    xs = set()
    for f in g.functions:
        for z in g.z:
            if f == "sigmoid":
                xs.add(-z)
            elif f == "tanh":
                xs.add(-2 * z)
            elif f == "elu" and z < 0:
                xs.add(z)
    return sorted(xs)


@generator(id="activations", topic="training", goal="07.1", version=1,
           title="Activation functions: values, derivatives, saturation")
class Activations(Generator):
    """Three of sigmoid, tanh, ReLU, leaky ReLU and ELU at 2-3 inputs: value and derivative of
    each, and which of them saturate (f' -> 0) for large positive and large negative inputs."""

    Givens = ActivationsGivens

    def draw(self, rng):
        saturating = pick(rng, ["sigmoid", "tanh"])
        relu_type = pick(rng, ["relu", "leaky_relu", "elu"])
        others = [f for f in ACTIVATIONS if f not in (saturating, relu_type)]
        third = others[int(rng.integers(len(others)))]
        functions = [f for f in ACTIVATIONS if f in (saturating, relu_type, third)]
        n = pick(rng, [2, 3, 3])
        while True:
            z = [float(x) for x in rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], size=n, replace=False)]
            if min(z) < 0 < max(z):
                break
        return ActivationsGivens(functions=functions, z=z, slope=pick(rng, [0.1, 0.2, 0.01]),
                                 alpha=pick(rng, [1.0, 1.0, 0.5, 2.0]))

    def stem(self, g):
        defs = {
            "sigmoid": r"the sigmoid $\sigma(z) = \frac{1}{1 + e^{-z}}$",
            "tanh": r"the hyperbolic tangent $\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = "
                    r"\frac{1 - e^{-2z}}{1 + e^{-2z}}$",
            "relu": r"the ReLU $\mathrm{ReLU}(z) = \max(0, z)$",
            "leaky_relu": rf"the leaky ReLU $\mathrm{{LReLU}}(z) = \max({num(g.slope)}\,z,\ z)$ (negative "
                          rf"slope $a = {num(g.slope)}$)",
            "elu": rf"the ELU $\mathrm{{ELU}}(z) = z$ for $z > 0$ and $\alpha\,(e^{{z}} - 1)$ for $z \le 0$, "
                   rf"with $\alpha = {num(g.alpha)}$",
        }
        hints = ", ".join(f"$e^{{{num(x)}}} = {num(math.exp(x), 4)}$" for x in _exp_hints(g))
        return (
            "Consider the activation functions\n\n" + "\n".join(f"- {defs[f]}" for f in g.functions) +
            f"\n\nat the inputs $z = {row(g.z)}$. "
            + (f"You may use {hints}. " if hints else "")
            + "Give values and derivatives to 3 decimals. A function saturates on a side when its "
            r"derivative $f'(z)$ tends to 0 as $z \to +\infty$ (or $z \to -\infty$)."
        )

    def solve(self, s: Steps, g: ActivationsGivens):
        z = np.array(g.z, dtype=float)
        for i, f in enumerate(g.functions):
            name, sym = ACT_NAMES[f], ACT_LATEX[f]
            s.part(chr(ord("a") + i), f"{ACT_TITLES[f]}: compute ${sym}(z)$ and its derivative ${sym}'(z)$ at "
                                      "each input.")
            if f == "sigmoid":
                sign = -1.0 if s.mistake("sigmoid_sign", "used 1/(1 + e^z); the sigmoid is "
                                                         "1/(1 + e^-z), above 1/2 for positive z") else 1.0
                val = 1.0 / (1.0 + np.exp(-sign * z))
                formula, work = r"\sigma(z) = \frac{1}{1 + e^{-z}}", \
                    lambda: r",\ ".join(rf"\frac{{1}}{{1 + {num(math.exp(-x))}}}" for x in z)
            elif f == "tanh":
                val = np.tanh(z)
                formula, work = r"\tanh(z) = \frac{1 - e^{-2z}}{1 + e^{-2z}}", \
                    lambda: r",\ ".join(rf"\frac{{1 - {num(math.exp(-2 * x))}}}{{1 + {num(math.exp(-2 * x))}}}"
                                        for x in z)
            elif f == "relu":
                val = np.maximum(z, 0.0)
                formula, work = r"\mathrm{ReLU}(z) = \max(0, z)", \
                    lambda: r",\ ".join(rf"\max(0, {num(x)})" for x in z)
            elif f == "leaky_relu":
                if s.mistake("leaky_as_relu", "set the negative inputs to 0; the leaky ReLU passes "
                                              "a z for z < 0"):
                    val = np.maximum(z, 0.0)
                else:
                    val = np.where(z > 0, z, g.slope * z)
                formula, work = r"\mathrm{LReLU}(z) = \max(a z, z)", \
                    lambda: r",\ ".join(rf"\max({num(g.slope)} \cdot {par(x)}, {num(x)})" for x in z)
            else:
                val = np.where(z > 0, z, g.alpha * (np.exp(np.minimum(z, 0.0)) - 1))
                formula, work = r"\mathrm{ELU}(z) = z \ (z > 0), \quad \alpha (e^{z} - 1) \ (z \le 0)", \
                    lambda: r",\ ".join(num(x) if x > 0 else rf"{num(g.alpha)} ({num(math.exp(x))} - 1)"
                                        for x in z)
            a = s.step(f"{f}_value", val, formula, work, label=f"${sym}(z)$", tol=ACTIVATION_VALUE)
            a = np.asarray(a, dtype=float)

            if f == "sigmoid":
                if s.mistake("sigmoid_derivative_of_z", "used z(1 - z); the derivative is "
                                                        "sigma(z)(1 - sigma(z)), in terms of the output"):
                    d = z * (1 - z)
                else:
                    d = a * (1 - a)
                formula, work = r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))", \
                    lambda: r",\ ".join(rf"{num(x)} (1 - {num(x)})" for x in a)
            elif f == "tanh":
                if s.mistake("tanh_derivative_of_z", "used 1 - z^2; the derivative is 1 - tanh(z)^2, "
                                                     "in terms of the output"):
                    d = 1 - z ** 2
                else:
                    d = 1 - a ** 2
                formula, work = r"\tanh'(z) = 1 - \tanh^2(z)", \
                    lambda: r",\ ".join(rf"1 - {par(x)}^2" for x in a)
            elif f == "relu":
                d = (z > 0).astype(float)
                formula, work = r"\mathrm{ReLU}'(z) = 1 \ (z > 0), \quad 0 \ (z < 0)", None
            elif f == "leaky_relu":
                if s.mistake("leaky_derivative_zero", "gave 0 for negative inputs; the leaky ReLU's "
                                                      "slope there is a"):
                    d = (z > 0).astype(float)
                else:
                    d = np.where(z > 0, 1.0, g.slope)
                formula, work = r"\mathrm{LReLU}'(z) = 1 \ (z > 0), \quad a \ (z < 0)", None
            else:
                if s.mistake("elu_derivative_alpha", "gave alpha for negative inputs, like a leaky ReLU; "
                                                     "the ELU's derivative there is alpha e^z"):
                    d = np.where(z > 0, 1.0, g.alpha)
                elif g.alpha != 1 and s.mistake("elu_derivative_without_alpha",
                                                "gave e^z for negative inputs; the derivative of "
                                                "alpha (e^z - 1) is alpha e^z"):
                    d = np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))
                else:
                    d = np.where(z > 0, 1.0, a + g.alpha)
                formula = (r"\mathrm{ELU}'(z) = 1 \ (z > 0), \quad \alpha e^{z} = \mathrm{ELU}(z) + \alpha "
                           r"\ (z \le 0)")
                work = lambda: r",\ ".join("1" if x > 0 else rf"{par(v)} + {num(g.alpha)}" for x, v in zip(z, a))
            s.step(f"{f}_grad", d, formula, work, label=f"${sym}'(z)$", tol=ACTIVATION_VALUE, answer=True)

        s.part(chr(ord("a") + len(g.functions)),
               r"Which of the functions saturate, i.e. have $f'(z) \to 0$, for large positive inputs "
               r"($z \to +\infty$), and which for large negative inputs ($z \to -\infty$)?")
        for f in g.functions:
            pos, neg = SATURATES[f]
            name = ACT_NAMES[f]
            if f == "elu" and s.mistake("elu_saturation_side", "said the ELU saturates for large "
                                                               "positive inputs; it is linear there and "
                                                               "saturates (at -alpha) for large negative ones"):
                pos, neg = neg, pos
            s.step(f"{f}_sat_pos", pos, rf"\lim_{{z \to +\infty}} {ACT_LATEX[f]}'(z) = "
                   + ("0" if SATURATES[f][0] == "yes" else r"1 \neq 0"),
                   label=f"{name} saturates for $z \\to +\\infty$", options=["yes", "no"], answer=True)
            s.step(f"{f}_sat_neg", neg, rf"\lim_{{z \to -\infty}} {ACT_LATEX[f]}'(z) = "
                   + ("0" if SATURATES[f][1] == "yes" else rf"{'a' if f == 'leaky_relu' else ''} \neq 0"),
                   label=f"{name} saturates for $z \\to -\\infty$", options=["yes", "no"], answer=True)


# ---------------------------------------------------------------------------------------------
# Normalisation axes: batch, layer, instance and group norm on a tiny N x C x H x W tensor


NORM_NAMES = {"batch": "batch norm", "layer": "layer norm", "instance": "instance norm", "group": "group norm"}
STAT = Tolerance.places(3)


def _sets(x: np.ndarray, kind: str, groups: int | None = None, interleaved: bool = False) -> np.ndarray:
    """``x`` (N, C, H, W) regrouped so that the last axis runs over one pooled set of values:
    (C, m) for batch norm, (N, m) layer norm, (N, C, m) instance norm, (N, G, m) group norm."""
    n, c, h, w = x.shape
    if kind == "batch":
        return x.transpose(1, 0, 2, 3).reshape(c, -1)
    if kind == "layer":
        return x.reshape(n, -1)
    if kind == "instance":
        return x.reshape(n, c, -1)
    if interleaved:  # channel j in group j mod G
        return x.reshape(n, c // groups, groups, h * w).transpose(0, 2, 1, 3).reshape(n, groups, -1)
    return x.reshape(n, groups, -1)  # consecutive channels: group g holds channels g C/G .. (g+1) C/G - 1


def _expand(stat, kind: str, shape: tuple[int, ...], groups: int | None = None) -> np.ndarray:
    """A statistic per pooled set, broadcast to every value of the tensor (consecutive groups)."""
    n, c = shape[:2]
    stat = np.asarray(stat, dtype=float)
    if kind == "batch":
        return stat.reshape(1, c, 1, 1)
    if kind == "layer":
        return stat.reshape(n, 1, 1, 1)
    if kind == "instance":
        return stat.reshape(n, c, 1, 1)
    return np.repeat(stat.reshape(n, groups), c // groups, axis=1).reshape(n, c, 1, 1)


NICE_SETS = {4: ((-5, 1, 1, 3), (-3, -1, -1, 5), (-3, -3, 3, 3), (-2, -2, 2, 2), (-1, -1, 1, 1)),
             6: tuple(d for d in _nice_deviations(6) if max(map(abs, d)) <= 4)}


class NormAxesGivens(Givens):
    x: list[list[list[list[float]]]] = Field(description="the feature map x[n][c][h][w]")
    focus: Literal["batch", "layer", "instance", "group"] = Field(
        description="the normalisation whose output is asked for")
    groups: int | None = Field(None, ge=1, le=8, description="number of groups G (group norm only)")

    @model_validator(mode="after")
    def _valid(self):
        try:
            x = np.array(self.x, dtype=float)
        except ValueError:
            raise ValueError("x must be a rectangular N x C x H x W array") from None
        if x.ndim != 4:
            raise ValueError("x must be a rectangular N x C x H x W array")
        n, c, h, w = x.shape
        if not (1 <= n <= 4 and 1 <= c <= 8 and 1 <= h <= 4 and 1 <= w <= 4):
            raise ValueError("x must have N <= 4, C <= 8, H <= 4 and W <= 4")
        if not np.all(np.abs(x) <= 1000):
            raise ValueError("the values of x must lie in [-1000, 1000]")
        if (self.groups is not None) != (self.focus == "group"):
            raise ValueError("give groups exactly when the focus is group norm")
        if self.groups is not None and c % self.groups:
            raise ValueError(f"C = {c} channels do not split into {self.groups} groups")
        if np.any(_sets(x, self.focus, self.groups).var(axis=-1) == 0):
            raise ValueError(f"a set pooled by {NORM_NAMES[self.focus]} has variance 0")
        return self


@lru_cache(maxsize=4096)
def _num(x: float) -> str:
    """``fmt.num``, cached: the worked numbers of a feature map repeat a few values many times."""
    return num(x)


@lru_cache(maxsize=4096)
def _par(x: float) -> str:
    return par(x)


def _sums(sets: np.ndarray, m) -> str:
    return r",\ ".join(rf"\frac{{{' + '.join(map(_par, row_))}}}{{{m}}}"
                       for row_ in sets.reshape(-1, sets.shape[-1]).tolist())


def _squares(sets: np.ndarray, means: np.ndarray, m) -> str:
    return r",\ ".join(rf"\frac{{{' + '.join(_par(v - mu) + '^2' for v in row_)}}}{{{m}}}"
                       for row_, mu in zip(sets.reshape(-1, sets.shape[-1]).tolist(),
                                           np.reshape(means, -1).tolist()))


def _normalised_work(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> str:
    """(x - mu) / sqrt(var) for every value, one group of terms per sample and channel."""
    n, c = x.shape[:2]
    xs = x.reshape(n, c, -1).tolist()
    mus = np.broadcast_to(mu, x.shape).reshape(n, c, -1).tolist()
    vs = np.broadcast_to(var, x.shape).reshape(n, c, -1).tolist()
    groups = []
    for i in range(n):
        for j in range(c):
            terms = [rf"\frac{{{_num(v)} - {_par(m_)}}}{{\sqrt{{{_num(s_)}}}}}"
                     for v, m_, s_ in zip(xs[i][j], mus[i][j], vs[i][j])]
            groups.append(rf"x_{{{i + 1},{j + 1}}}\!: " + r",\ ".join(terms))
    return r";\quad ".join(groups)


@lru_cache(maxsize=None)
def _set_index(shape: tuple[int, ...], focus: str, groups: int | None) -> np.ndarray:
    """Flat indices of the values of each set the focus normalisation pools, shape (sets, m)."""
    index = _sets(np.arange(int(np.prod(shape))).reshape(shape), focus, groups)
    return index.reshape(-1, index.shape[-1])


NICE_ARRAYS = {m: np.array(sets, dtype=float) for m, sets in NICE_SETS.items()}


def _channel(ch: list[list[float]]) -> str:
    """One channel's H x W map: a row ``(1, 3)`` when H = 1, else a matrix."""
    if len(ch) == 1:
        return "(" + ", ".join(map(_num, ch[0])) + ")"
    body = r" \\ ".join(" & ".join(map(_num, r)) for r in ch)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _feature_map(x: list) -> str:
    return "\n".join(f"- sample $n = {i}$: " + ", ".join(f"$x_{{{i},{j}}} = {_channel(ch)}$"
                                                          for j, ch in enumerate(sample, 1))
                     for i, sample in enumerate(x, 1))


@generator(id="normalization_axes", topic="training", goal="07.3", version=1,
           title="Batch, layer, instance and group normalisation of a feature map")
class NormalizationAxes(Generator):
    """Which values share statistics in batch, layer, instance and group norm; the batch-norm
    statistics per channel; the statistics and the output of one of the four."""

    Givens = NormAxesGivens

    def draw(self, rng):
        focus = pick(rng, ["batch", "layer", "instance", "group"])
        groups = None
        if focus == "batch":
            shape = (pick(rng, [2, 3]), 2, 1, 2)
        elif focus == "layer":
            shape = (2, pick(rng, [2, 3]), 1, 2)
        elif focus == "instance":
            shape = (2, 2, 2, 2)
        else:
            shape, groups = (2, 4, 1, 2), 2
        index = _set_index(shape, focus, groups)
        k, m = index.shape
        size = math.prod(shape)
        while True:
            devs = rng.permuted(NICE_ARRAYS[m][rng.integers(len(NICE_ARRAYS[m]), size=k)], axis=1)
            small = np.abs(devs).max(axis=1) <= 3
            scale = np.where(small & (rng.random(k) < 1 / 3), 0.5, 1.0)
            flat = np.empty(size)
            flat[index] = rng.integers(-2, 4, size=k)[:, None] + scale[:, None] * devs
            x = flat.reshape(shape)
            by_channel = x.transpose(1, 0, 2, 3).reshape(shape[1], -1)
            if not (by_channel.max(axis=1) > by_channel.min(axis=1)).all():
                continue  # a constant channel: batch norm's variance would be 0
            by_map = x.reshape(shape[0] * shape[1], -1)
            if focus == "batch" and not (by_map.max(axis=1) > by_map.min(axis=1)).all():
                continue  # the instance-norm mistake would divide by 0
            return NormAxesGivens(x=x.tolist(), focus=focus, groups=groups)

    def stem(self, g):
        x = np.array(g.x)
        n, c, h, w = x.shape
        gn = ""
        if g.groups is not None:
            per = c // g.groups
            gn = (f" Group norm uses $G = {g.groups}$ groups of {per} consecutive channels (channels "
                  + ", ".join(f"{k * per + 1}–{(k + 1) * per}" for k in range(g.groups)) + " form groups "
                  + ", ".join(str(k + 1) for k in range(g.groups)) + ").")
        return (
            f"A convolutional layer outputs a feature map $x$ of shape $N \\times C \\times H \\times W = "
            f"{n} \\times {c} \\times {h} \\times {w}$ ({n} samples, {c} channels, ${h} \\times {w}$ "
            "positions); $x_{n,c}$ is channel $c$ of sample $n$:\n\n" + _feature_map(g.x) + "\n\n"
            "Batch, layer, instance and group normalisation each split the values into sets, and "
            r"normalise every value with the mean $\mu$ and the population variance $\sigma^2 = "
            r"\frac{1}{m}\sum (x - \mu)^2$ of its own set of $m$ values (divide by $m$): "
            r"$\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}$, with $\epsilon = 0$ and no scale or shift "
            r"($\gamma = 1$, $\beta = 0$). Batch norm uses the statistics of the whole minibatch, as in "
            "training; layer norm normalises over all of a sample's channels and positions." + gn +
            " Number samples and channels from 1; give means, variances and normalised values to 3 "
            "decimals, matrices with one row per sample and the normalised tensor as nested lists "
            "$[n][c][h][w]$."
        )

    def solve(self, s: Steps, g: NormAxesGivens):
        x = np.array(g.x, dtype=float)
        n, c, h, w = x.shape
        G, focus = g.groups, g.focus
        s.part("a", "How many values $m$ does one mean (and variance) pool over in batch norm, layer norm"
                    + (", instance norm and group norm?" if G else " and instance norm?"))
        swapped = s.mistake("batch_layer_swapped", "swapped batch and layer norm: batch norm pools one "
                                                   "channel over all samples and positions, layer norm one "
                                                   "sample over all channels and positions")
        spatial = s.mistake("spatial_axes_missing", "left out the positions: on a feature map every "
                                                    "normalisation also pools over H x W")
        hw = 1 if spatial else h * w
        m = {"batch": s.step("m_batch", (c if swapped else n) * hw, r"m = N \cdot H \cdot W",
                             lambda: rf"{n} \cdot {h} \cdot {w}", label="$m$ of batch norm", answer=True),
             "layer": s.step("m_layer", (n if swapped else c) * hw, r"m = C \cdot H \cdot W",
                             lambda: rf"{c} \cdot {h} \cdot {w}", label="$m$ of layer norm", answer=True),
             "instance": s.step("m_instance", hw, r"m = H \cdot W", lambda: rf"{h} \cdot {w}",
                                label="$m$ of instance norm", answer=True)}
        if G:
            m["group"] = s.step("m_group", c // G * hw, r"m = \frac{C}{G} \cdot H \cdot W",
                                lambda: rf"\frac{{{c}}}{{{G}}} \cdot {h} \cdot {w}", label="$m$ of group norm",
                                answer=True)
        for k in m:
            m[k] = np.float64(m[k])

        def statistics(kind: str, names: tuple[str, str], labels: tuple[str, str]):
            interleaved = kind == "group" and s.mistake(
                "groups_interleaved", "put channels c and c + G in one group; group norm groups "
                                      "consecutive channels")
            sets = _sets(x, kind, G, interleaved)
            mk = m[kind]
            mean = s.step(names[0], sets.sum(axis=-1) / mk, r"\mu = \frac{1}{m}\sum x",
                          lambda: _sums(sets, num(mk)), label=labels[0], tol=STAT, answer=True)
            mean = np.asarray(mean, dtype=float)
            sample = s.mistake("sample_variance", "divided by m - 1 (sample variance); the "
                                                  "normalisations use the population variance (divide by m)")
            var = ((sets - mean[..., None]) ** 2).sum(axis=-1) / (mk - (1 if sample else 0))
            if s.mistake("std_for_variance", "gave the standard deviation; the variance is its square"):
                var = np.sqrt(var)
            var = s.step(names[1], var, r"\sigma^2 = \frac{1}{m}\sum (x - \mu)^2",
                         lambda: _squares(sets, mean, num(mk)), label=labels[1], tol=STAT, answer=True)
            return mean, np.asarray(var, dtype=float)

        s.part("b", r"Batch norm: compute the mean $\mu_c$ and the variance $\sigma_c^2$ of every channel $c$.")
        mean_b, var_b = statistics("batch", ("mean_batch", "var_batch"),
                                   (r"$\mu_c$ (batch norm)", r"$\sigma_c^2$ (batch norm)"))
        if focus == "batch":
            mean, var = mean_b, var_b
        else:
            what = {"layer": r"of every sample $n$ (a vector of $N$ values)",
                    "instance": r"of every sample $n$ and channel $c$ (an $N \times C$ matrix)",
                    "group": r"of every sample $n$ and group $g$ (an $N \times G$ matrix)"}[focus]
            sub = {"layer": "n", "instance": "n,c", "group": "n,g"}[focus]
            s.part("c", f"{NORM_NAMES[focus].capitalize()}: compute the mean and the variance {what}.")
            mean, var = statistics(focus, (f"mean_{focus}", f"var_{focus}"),
                                   (rf"$\mu_{{{sub}}}$ ({NORM_NAMES[focus]})",
                                    rf"$\sigma_{{{sub}}}^2$ ({NORM_NAMES[focus]})"))

        s.part(chr(ord("a") + len(s.parts)),
               rf"Compute the output $\hat x$ of {NORM_NAMES[focus]} (a ${n} \times {c} \times {h} \times {w}$ "
               "tensor).")
        kind = focus
        if focus != "batch" and s.mistake("used_batch_statistics", "normalised with the batch-norm "
                                                                   "statistics; each normalisation uses "
                                                                   "the statistics of its own sets"):
            mean, var, kind = mean_b, var_b, "batch"
        elif focus == "batch" and s.mistake("used_instance_statistics",
                                            "normalised each sample's channel on its own (instance norm); "
                                            "batch norm pools the channel over the whole minibatch"):
            sets = _sets(x, "instance")
            mean, var, kind = sets.mean(axis=-1), sets.var(axis=-1), "instance"
        mu_x, var_x = _expand(mean, kind, x.shape, G), _expand(var, kind, x.shape, G)
        if s.mistake("divided_by_variance", "divided by the variance instead of the standard deviation"):
            out = (x - mu_x) / var_x
        else:
            out = (x - mu_x) / np.sqrt(var_x)
        s.step("x_hat", out, r"\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}",
               lambda: _normalised_work(x, mu_x, var_x),
               label=r"$\hat x$", tol=STAT)


# ---------------------------------------------------------------------------------------------
# Hyperparameter search on a log scale


EXPONENT = Tolerance.places(3)
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
        s.part("a", rf"Compute $\log_{{10}}$ of the two ends of the range, the exponents $e_i$ and the "
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
        s.part("b", rf"What is the probability that one log-scale sample is below ${num(X)}$? And for a "
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
        s.part("c", f"The grid search: compute the ratio $r$ between neighbouring candidates and the {K} "
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
