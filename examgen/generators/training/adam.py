"""ADAM with bias correction."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import decimal, pick
from .._mistakes import NO_SQUARE_ROOT

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


@generator(id="adam", topic="training", goal="07.4", version=2, title="ADAM with bias correction")
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
            s.part(lambda: f"Iteration $t = {t}$ ($g_{t} = {num(grad)}$): compute "
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
            if s.mistake(NO_SQUARE_ROOT):
                step = m_hat / (v_hat + eps)
            else:
                step = m_hat / (np.sqrt(v_hat) + eps)
            w = s.step(f"w{t}", w0 - lr * step,
                       rf"w_{t} = w_{t - 1} - \lambda \frac{{\hat\mu_{t}}}{{\sqrt{{\hat v_{t}}} + \epsilon}}",
                       lambda: rf"{num(w0)} - {num(lr)} \cdot \frac{{{num(m_hat)}}}"
                               rf"{{\sqrt{{{num(v_hat, 6)}}} + {num(eps)}}}",
                       label=f"$w_{t}$", tol=MOMENT, answer=True)
