"""Backpropagation through time: vanishing and exploding gradients, clipping."""

import math

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import quick_decimal, quick_pick

PRODUCT = Tolerance.significant(3)
CLIP = Tolerance.places(3)


PYTHAGOREAN = ((3, 4), (6, 8), (5, 12), (8, 15), (1, 2, 2), (2, 3, 6), (4, 4, 2), (2, 6, 9), (1, 4, 8))


class BpttGivens(Givens):
    w: float = Field(ge=-10, le=10, description="recurrent weight")
    u: float = Field(ge=-10, le=10, description="input weight")
    b: float = Field(ge=-10, le=10, description="bias")
    h0: float = Field(ge=-1, le=1, description="initial state")
    x: list[float] = Field(min_length=1, max_length=5, description="inputs x_1..x_T")
    grad: list[float] = Field(min_length=2, max_length=4, description="a gradient vector to clip")
    clip: float = Field(gt=0, le=1000, description="the clipping threshold c")

    @model_validator(mode="after")
    def _finite(self):
        if max(map(abs, self.x + self.grad)) > 1000:
            raise ValueError("inputs and gradient entries must lie in [-1000, 1000]")
        if not any(self.grad):
            raise ValueError("the gradient must not be zero")
        return self


@generator(id="bptt_gradient", topic="rnn", goal="11.2", version=1,
           title="Backpropagation through time: vanishing and exploding gradients, clipping")
class BpttGradient(Generator):
    """A scalar tanh RNN: dh_T/dh_0 as a product of factors w(1 - h_t^2); then clipping by norm."""

    Givens = BpttGivens

    def draw(self, rng):
        while True:
            T = quick_pick(rng, [2, 3, 3, 4])
            explode = rng.random() < 0.5
            w = quick_decimal(rng, 1.5, 3, 1) if explode else quick_decimal(rng, 0.3, 1.5, 1)
            w *= quick_pick(rng, [1, -1])
            u = quick_pick(rng, [0.5, 1.0, 1.0, 1.5, 2.0, -1.0, -0.5])
            b = quick_decimal(rng, -0.3, 0.3, 1)
            h0 = 0.0 if rng.random() < 0.6 else quick_decimal(rng, -0.5, 0.5, 1, nonzero=True)
            h, xs = h0, []
            for _ in range(T):
                options = [x / 2 for x in range(-6, 7) if x]
                if explode:
                    fits = [x for x in options if 0.1 <= abs(w * h + u * x + b) <= 0.6]
                else:
                    fits = [x for x in options if 0.2 <= abs(w * h + u * x + b) <= 2.0]
                if not fits:
                    break
                xt = quick_pick(rng, fits)
                xs.append(xt)
                h = math.tanh(w * h + u * xt + b)
            if len(xs) < T:
                continue
            hs, h = [], h0
            for xt in xs:
                h = math.tanh(w * h + u * xt + b)
                hs.append(h)
            prod = math.prod(w * (1 - hh * hh) for hh in hs)
            if not 1 / 1.5 > abs(prod) > 0.002 and not abs(prod) > 1.5:
                continue  # the verdict must be clear, and the product not vanishingly small to write
            if abs(prod) > 1000:
                continue
            grad_dir = np.array(quick_pick(rng, PYTHAGOREAN), dtype=float)
            norm0 = float(np.linalg.norm(grad_dir))
            scale = quick_pick(rng, [0.1, 1.0, 1.0, 10.0])
            signs = [quick_pick(rng, [1, -1]) for _ in grad_dir]
            grad = [round(float(sg * gd * scale), 6) for sg, gd in zip(signs, grad_dir)]
            norm = norm0 * scale
            if rng.random() < 0.2:
                clip = round(norm * quick_pick(rng, [1.5, 2.0, 1.2]), 6)  # no clipping needed
            else:
                clip = quick_pick(rng, [1.0, 2.0, 5.0, 0.5]) * (scale if scale != 10 else 1.0)
                if clip >= norm:
                    continue
            return BpttGivens(w=w, u=u, b=b, h0=h0, x=xs, grad=grad, clip=clip)

    def stem(self, g):
        T = len(g.x)
        xs = ", ".join(f"x_{t} = {num(x)}" for t, x in enumerate(g.x, 1))
        return (
            "A recurrent network with a scalar hidden state updates it as"
            "\n\n"
            r"$$h_t = \tanh\left(w\,h_{t-1} + u\,x_t + b\right)$$"
            "\n\n"
            f"with $w = {num(g.w)}$, $u = {num(g.u)}$, $b = {num(g.b)}$ and $h_0 = {num(g.h0)}$. It reads "
            f"the inputs ${xs}$ ($T = {T}$). Backpropagation through time multiplies one factor "
            r"$\frac{\partial h_t}{\partial h_{t-1}}$ per step; use "
            r"$\tanh'(a) = 1 - \tanh^2(a)$. A calculator may be used. Give $h_t$ and the "
            r"factors to 3 decimals and the product to 3 significant figures."
            "\n\n"
            "During training another iteration gives the gradient "
            f"$g = {row(g.grad)}$ for the parameters. It is clipped by its Euclidean norm with "
            f"threshold $c = {num(g.clip)}$: "
            r"$g \leftarrow g \cdot \frac{c}{\|g\|}$ when $\|g\| > c$, and "
            "unchanged otherwise. Give these to 3 decimals."
        )

    def solve(self, s: Steps, g: BpttGivens):
        T = len(g.x)
        s.part("Forward pass: compute the hidden states " + ", ".join(f"$h_{t}$" for t in range(1, T + 1)) + ".")
        hs, h = [], g.h0
        for t, x in enumerate(g.x, 1):
            prev = h
            h = s.step(f"h{t}", math.tanh(g.w * prev + g.u * x + g.b),
                       rf"h_{t} = \tanh(w h_{t - 1} + u x_{t} + b)",
                       lambda: (rf"\tanh\left({par(g.w)} \cdot {par(prev)} + {par(g.u)} \cdot {par(x)} + "
                                rf"{par(g.b)}\right)"),
                       label=f"$h_{t}$")
            hs.append(h)

        s.part(r"Compute each factor $\frac{\partial h_t}{\partial h_{t-1}}$ and their product "
               rf"$\frac{{\partial h_{T}}}{{\partial h_0}}$. Is its magnitude below 1 (the gradient "
               "shrinks on its way back through time: vanishing) or above 1 (it grows: exploding)?")
        factors = []
        for t in range(1, T + 1):
            ht, hprev = hs[t - 1], (hs[t - 2] if t > 1 else g.h0)
            if s.mistake("no_tanh_derivative", "left out the tanh' factors: each factor is w (1 - h_t^2), not w"):
                f = g.w
            elif s.mistake("derivative_at_previous_state", "used the previous state in 1 - h^2; the "
                                                           "tanh' belongs to this step: 1 - h_t^2"):
                f = g.w * (1 - hprev * hprev)
            else:
                f = g.w * (1 - ht * ht)
            f = s.step(f"d{t}", f, rf"\frac{{\partial h_{t}}}{{\partial h_{t - 1}}} = w\left(1 - h_{t}^2\right)",
                       lambda: rf"{num(g.w)} \left(1 - {par(ht)}^2\right)",
                       label=rf"$\partial h_{t} / \partial h_{t - 1}$")
            factors.append(f)
        prod = s.step("dhT_dh0", math.prod(factors),
                      rf"\frac{{\partial h_{T}}}{{\partial h_0}} = " + r" ".join(
                          rf"\frac{{\partial h_{t}}}{{\partial h_{t - 1}}}" for t in range(T, 0, -1)),
                      lambda: r" \cdot ".join(par(f) for f in reversed(factors)),
                      label=rf"$\partial h_{T} / \partial h_0$", tol=PRODUCT, answer=True)

        s.step("verdict", "exploding" if abs(prod) > 1 else "vanishing",
               None,
               lambda: (rf"\left|\frac{{\partial h_{T}}}{{\partial h_0}}\right| = {num(abs(prod))} "
                        rf"{'>' if abs(prod) > 1 else '<'} 1,\ \text{{so the gradient is}}"),
               label="vanishing or exploding", options=["vanishing", "exploding"], answer=True)

        s.part(r"Compute $\|g\|$ and the gradient after clipping.")
        grad = np.array(g.grad, dtype=float)
        if s.mistake("norm_not_rooted", "forgot the square root: the norm is sqrt(sum g_i^2)"):
            norm = float(grad @ grad)
        else:
            norm = float(np.sqrt(grad @ grad))
        norm = s.step("norm", norm, r"\|g\| = \sqrt{\sum_i g_i^2}",
                      lambda: r"\sqrt{" + " + ".join(f"{par(v)}^2" for v in grad) + "}",
                      label=r"$\|g\|$", tol=CLIP)
        if s.mistake("clip_by_value", "clipped every entry to [-c, c]; clipping by norm rescales the "
                                      "whole vector and keeps its direction"):
            clipped = np.clip(grad, -g.clip, g.clip)
        elif norm > g.clip:
            clipped = grad * g.clip / norm
        else:
            clipped = grad
        c_ = g.clip
        s.step("g_clipped", clipped,
               r"g \leftarrow g \cdot \frac{c}{\|g\|} \text{ if } \|g\| > c",
               lambda: (rf"{row(grad)} \cdot \frac{{{num(c_)}}}{{{num(norm)}}}" if norm > c_ else
                        rf"\|g\| = {num(norm)} \le {num(c_)}: \text{{unchanged}}"),
               label="clipped $g$", tol=CLIP)
