"""An adversarial example with the fast gradient sign method."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import Draws
from .._maths import sigmoid
from .._mistakes import ERROR_SIGN
from ._vectors import _dot


class FgsmGivens(Givens):
    w: list[float] = Field(min_length=2, max_length=6, description="logistic-regression weights")
    b: float = Field(ge=-100, le=100, description="bias")
    x: list[float] = Field(min_length=2, max_length=6, description="the input")
    y: int = Field(ge=0, le=1, description="the true label (0 or 1)")
    eps: float = Field(gt=0, le=10, description="the perturbation size epsilon")

    @model_validator(mode="after")
    def _consistent(self):
        if len(self.w) != len(self.x):
            raise ValueError("w and x need the same number of entries")
        if any(abs(v) > 100 for v in self.w + self.x):
            raise ValueError("w and x entries must lie in [-100, 100]")
        if any(v == 0 for v in self.w):
            raise ValueError("a zero weight has a zero gradient, whose sign is undefined")
        if abs(_dot(self.w, self.x) + self.b) < 1e-9:
            raise ValueError("the score w.x + b is exactly 0: the predicted class is ambiguous")
        return self


@generator(id="fgsm", topic="visualization", goal="10.5", version=2,
           title="An adversarial example with the fast gradient sign method")
class Fgsm(Generator):
    """Logistic regression: the loss gradient with respect to the input, its sign, the FGSM input
    x + eps sign(grad), the new score, and whether the prediction flips."""

    Givens = FgsmGivens

    def draw(self, rng):
        r = Draws(rng)
        n = r.pick((3, 4, 4))
        while True:
            w = [(1.0 if r.u() < 0.5 else -1.0) * r.int(1, 4) for _ in range(n)]
            x = [r.int(0, 11) / 10 for _ in range(n)]
            b = r.int(-10, 11) / 10
            z = round(_dot(w, x) + b, 9)
            eps = r.pick((0.1, 0.1, 0.2, 0.3))
            shift = eps * sum(map(abs, w))
            if not 0.3 <= abs(z) <= 3 or all(v in (0.0, 1.0) for v in x):
                continue
            y = int(z > 0)  # attack a correctly classified input
            z_adv = z - shift if y else z + shift
            if 0.2 <= abs(z_adv) <= 4:
                return FgsmGivens.model_construct(w=w, b=b, x=x, y=y, eps=eps)

    def stem(self, g):
        z = round(float(np.dot(g.w, g.x) + g.b), 6)
        shift = g.eps * float(np.abs(g.w).sum())
        z_adv = round(z - shift if g.y else z + shift, 6)
        table = sorted({z, z_adv, -z, -z_adv, round(z + (0.5 if z > 0 else -0.5), 6), round(z_adv / 2, 6)})
        sig = ", ".join(rf"\sigma({num(v)}) = {num(float(sigmoid(v)), 4)}" for v in table)
        return (
            f"A logistic-regression classifier gives $P(y = 1 \\mid x) = \\sigma(z)$ with $z = w^T x + b$, "
            r"$\sigma(z) = \frac{1}{1 + e^{-z}}$, "
            f"$w = {mat(g.w)}$ and $b = {num(g.b)}$; it predicts class 1 when $\\sigma(z) \\ge 0.5$ and class 0 "
            f"otherwise. Its loss is the cross-entropy "
            r"$L = -\left[y \ln \sigma(z) + (1 - y) \ln(1 - \sigma(z))\right]$. "
            f"The input $x = {mat(g.x)}$ has true label $y = {g.y}$. An attacker builds an adversarial "
            r"example with the fast gradient sign method (FGSM), "
            f"$$x_{{adv}} = x + \\epsilon \\operatorname{{sign}}(\\nabla_x L), \\qquad \\epsilon = {num(g.eps)},$$"
            "\n\nwithout clipping to a pixel range. You may use "
            f"${sig}$ (4 decimals). Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: FgsmGivens):
        w, x = np.array(g.w), np.array(g.x)
        s.part(r"Compute the score $z$, the probability $\sigma(z)$ and the predicted class.")
        z = s.step("z", float(w @ x + g.b), r"z = w^T x + b",
                   lambda: " + ".join(rf"{par(a)} \cdot {par(b)}" for a, b in zip(w, x)) + f" + {par(g.b)}",
                   label="$z$")
        p = s.step("p", float(sigmoid(z)), r"\sigma(z) = \frac{1}{1 + e^{-z}}",
                   lambda: rf"\frac{{1}}{{1 + e^{{{num(-z)}}}}}", label=r"$\sigma(z)$")
        pred = s.step("pred", int(p >= 0.5), r"\hat y = \mathbb{1}[\sigma(z) \ge 0.5]", label="predicted class",
                      answer=True)

        s.part(r"Compute the gradient $\nabla_x L$, its sign, and the adversarial input $x_{adv}$.")
        if s.mistake("grad_wrt_weights", "took the gradient with respect to the weights, (sigma(z) - y) x; "
                                         "the attack needs the gradient with respect to the input"):
            grad = (p - g.y) * x
        elif s.mistake(ERROR_SIGN):
            grad = (g.y - p) * w
        else:
            grad = (p - g.y) * w
        grad = s.step("grad", grad, r"\nabla_x L = (\sigma(z) - y)\, w",
                      lambda: rf"({num(p)} - {g.y}) {mat(w)}", label=r"$\nabla_x L$")
        sign = s.step("sign", np.sign(grad), r"\operatorname{sign}(\nabla_x L)",
                      lambda: rf"\operatorname{{sign}}\left({mat(grad)}\right)",
                      label=r"$\operatorname{sign}(\nabla_x L)$")
        if s.mistake("gradient_sign_flipped", "subtracted: x - eps sign(grad) lowers the loss; FGSM adds "
                                              "eps sign(grad) to increase it"):
            x_adv = x - g.eps * np.asarray(sign, dtype=float)
        elif s.mistake("no_sign", "added eps times the gradient itself; FGSM uses only its sign"):
            x_adv = x + g.eps * np.asarray(grad, dtype=float)
        else:
            x_adv = x + g.eps * np.asarray(sign, dtype=float)
        x_adv = s.step("x_adv", x_adv, r"x_{adv} = x + \epsilon \operatorname{sign}(\nabla_x L)",
                       lambda: rf"{mat(x)} + {num(g.eps)} {mat(sign)}", label=r"$x_{adv}$", answer=True)

        s.part(r"Compute the new score $z_{adv}$, the probability $\sigma(z_{adv})$, and say whether the "
               "predicted class flips.")
        z_adv = s.step("z_adv", float(w @ x_adv + g.b), r"z_{adv} = w^T x_{adv} + b",
                       lambda: " + ".join(rf"{par(a)} \cdot {par(b)}" for a, b in zip(w, x_adv)) + f" + {par(g.b)}",
                       label=r"$z_{adv}$")
        p_adv = s.step("p_adv", float(sigmoid(z_adv)), r"\sigma(z_{adv})",
                       lambda: rf"\frac{{1}}{{1 + e^{{{num(-z_adv)}}}}}", label=r"$\sigma(z_{adv})$")
        flips = "yes" if int(p_adv >= 0.5) != int(pred) else "no"
        s.step("flips", flips, r"\mathbb{1}[\sigma(z_{adv}) \ge 0.5] \neq \hat y",
               lambda: rf"\text{{class }} {int(p_adv >= 0.5)} \text{{ vs }} {int(pred)}",
               label="does the prediction flip?", options=["yes", "no"], answer=True)
