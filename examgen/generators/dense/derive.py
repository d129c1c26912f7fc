"""Derive a neuron's gradient as a formula, then use it."""

from typing import Literal

from pydantic import Field, model_validator

from ...fmt import num, par
from ...kinds.formula import evaluate, latex, text
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._stems import given_values
from .._mistakes import (ACTIVATION_DERIVATIVE_MISSING, ERROR_SIGN, GRADIENT_ASCENT, HALF_FORGOTTEN,
                         INNER_DERIVATIVE_MISSING, LOSS_SIGN, POWER_RULE_FACTOR, SIGMOID_DERIVATIVE_TWICE,
                         TANH_SQUARE_MISSING)
from ._neuron import ACT_TEX, DA_DZ, DL_DA, GRAD, LOSS_TEX, prod, table_value


A_Y = ["a", "y"]
A_ONLY = ["a"]
A_Y_X = ["a", "y", "x"]
A_Y_X_W = ["a", "y", "x", "w", "alpha"]  # with an L2 term (alpha/2) w^2


class DeriveGivens(Givens):
    activation: Literal["identity", "sigmoid", "tanh"] = Field(description="f in a = f(z)")
    loss: Literal["half_squared", "squared", "cross_entropy"]
    wrt: Literal["w", "b"] = Field(description="the parameter the gradient is taken with respect to")
    x: float = Field(ge=-10, le=10, description="the input")
    w: float = Field(ge=-10, le=10)
    b: float = Field(ge=-10, le=10)
    y: float = Field(ge=-10, le=10, description="the target")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")
    l2: float = Field(0, ge=0, le=10, description="alpha of an L2 term (alpha/2) w^2 added to the loss (0: none)")

    @model_validator(mode="after")
    def _consistent(self):
        if self.l2 and self.wrt != "w":
            raise ValueError("the L2 term (alpha/2) w^2 regularises the weight: ask for wrt 'w' (or give l2 = 0)")
        if self.loss == "cross_entropy":
            if self.activation != "sigmoid":
                raise ValueError("the cross-entropy loss needs an output in (0, 1): use activation 'sigmoid'")
            if not 0 <= self.y <= 1:
                raise ValueError("with the cross-entropy loss the target y must lie in [0, 1]")
        if self.wrt == "w" and self.x == 0:
            raise ValueError("x = 0 makes dL/dw zero whatever the formula: choose x != 0")
        z = self.w * self.x + self.b
        if abs(z) > 20:
            raise ValueError(f"z = wx + b = {z:g} is too large for the table of activation values")
        if abs(table_value(self.activation, z) - self.y) < 1e-9:
            raise ValueError("the output equals the target: every gradient is zero")
        return self


@generator(id="derive", topic="dense", goal="03.9", version=3,
           title="Derive a neuron's gradient as a formula, then use it")
class Derive(Generator):
    """dL/da, f'(z) and dL/dw (or dL/db) of one neuron as formulas, the loss with or without an L2
    term on the weight; then one gradient step."""

    Givens = DeriveGivens

    def draw(self, rng):
        while True:
            act = pick(rng, ["sigmoid", "sigmoid", "sigmoid", "tanh", "identity"])
            loss = pick(rng, ["cross_entropy", "cross_entropy", "half_squared", "squared"]) \
                if act == "sigmoid" else pick(rng, ["half_squared", "half_squared", "squared"])
            wrt = pick(rng, ["w", "w", "b"])
            z = float(pick(rng, [-2, -1, 0, 1, 2] if act != "tanh" else [-2, -1, 1, 2]))
            if act == "identity":
                z += pick(rng, [0.0, 0.5])
            x = pick(rng, [-2.0, -1.5, -0.5, 0.5, 1.5, 2.0, 3.0])
            w = pick(rng, [-1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0])
            b = round(z - w * x, 2)
            if abs(b) > 3:
                continue
            if act == "sigmoid":
                y = float(pick(rng, [0, 1]))
            elif act == "tanh":
                y = pick(rng, [-1.0, 1.0, 0.5, -0.5])
            else:
                y = round(z + pick(rng, [-2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2]), 1)
            l2 = pick(rng, [0.1, 0.2, 0.5, 1.0]) if wrt == "w" and rng.random() < 0.35 else 0.0
            try:
                return DeriveGivens(activation=act, loss=loss, wrt=wrt, x=x, w=w, b=b, y=y,
                                    lr=pick(rng, [0.1, 0.5, 1.0]), l2=l2)
            except ValueError:
                continue

    def stem(self, g):
        z = g.w * g.x + g.b
        table = ""
        if g.activation != "identity":
            f = r"\sigma" if g.activation == "sigmoid" else r"\tanh"
            points = sorted({-2.0, -1.0, 0.0, 1.0, 2.0, round(z, 6)})
            table = " " + given_values(f"{f}({num(p)}) = {num(table_value(g.activation, p))}" for p in points)
            table = table[:-1] + " (rounded to 4 decimals)."
        loss_note = " ($\\log$ is the natural logarithm)" if g.loss == "cross_entropy" else ""
        l2 = r" + \frac{\alpha}{2} w^2" if g.l2 else ""
        l2_note = (" The loss has an L2 term on the weight with strength $\\alpha$; type $\\alpha$ as alpha."
                   if g.l2 else "")
        return (
            "A single neuron with input $x$, weight $w$ and bias $b$ computes"
            "\n\n"
            rf"$$z = w x + b, \qquad {ACT_TEX[g.activation]}, \qquad {LOSS_TEX[g.loss]}{l2}$$"
            "\n\n"
            f"for a target $y${loss_note}.{l2_note} Derive the gradient with the chain rule, writing each "
            "derivative as a formula in the names asked for, typed as text like 3*x*(1 - a)^2 or "
            "exp(a)/(1 + y): * for products, ^ for powers, and the functions exp, log, "
            "sqrt, sigma, tanh. Then use your formula on numbers: "
            f"$x = {num(g.x)}$, $w = {num(g.w)}$, $b = {num(g.b)}$, $y = {num(g.y)}$, learning rate "
            f"$\\lambda = {num(g.lr)}$" + (f", $\\alpha = {num(g.l2)}$" if g.l2 else "") + f".{table} Give numbers to 3 decimals."
        )

    def solve(self, s: Steps, g: DeriveGivens):
        act, loss, wrt = g.activation, g.loss, g.wrt
        dz = "x" if wrt == "w" else "1"

        # (a) dL/da -------------------------------------------------------------------------
        s.part(r"Derive $\frac{\partial L}{\partial a}$ as a formula in $a$ and $y$.")
        ref_a = DL_DA[loss]
        value = ref_a
        if loss == "cross_entropy":
            if s.mistake("log_inner_derivative",
                         "differentiated log(1 - a) as 1/(1 - a): the inner derivative -1 is missing"):
                value = "-y/a - (1 - y)/(1 - a)"
            elif s.mistake(LOSS_SIGN):
                value = "y/a - (1 - y)/(1 - a)"
        else:
            if s.mistake(ERROR_SIGN):
                value = "y - a" if loss == "half_squared" else "2*(y - a)"
            elif loss == "squared" and s.mistake(POWER_RULE_FACTOR):
                value = "a - y"
            elif loss == "half_squared" and s.mistake(HALF_FORGOTTEN):
                value = "2*(a - y)"
        dLda = s.step("dL_da", value, r"\frac{\partial L}{\partial a}", lambda: _work_a(loss),
                      label=r"$\partial L / \partial a$", kind="expression", variables=A_Y)

        # (b) da/dz (not asked for the identity) -------------------------------------------------
        ref_b = DA_DZ[act]
        if act == "identity":
            dadz = ref_b
        else:
            s.part(r"Derive the activation's derivative $\frac{\partial a}{\partial z}$ "
                   r"as a formula in $a$ only.")
            value = ref_b
            if act == "sigmoid":
                if s.mistake("tanh_derivative_for_sigmoid", "used tanh's derivative 1 - a^2; the sigmoid's is a(1 - a)"):
                    value = "1 - a^2"
                elif s.mistake("sigmoid_inner_sign",
                               "lost the inner derivative -1 of e^(-z): the sigmoid is increasing, "
                               "so its derivative a(1 - a) is positive"):
                    value = "-a*(1 - a)"
            else:
                if s.mistake("sigmoid_derivative_for_tanh", "used the sigmoid's derivative a(1 - a); tanh's is 1 - a^2"):
                    value = "a*(1 - a)"
                elif s.mistake(TANH_SQUARE_MISSING):
                    value = "1 - a"
            dadz = s.step("da_dz", value, _DZ_FORMULA[act], lambda: _DZ_WORK[act],
                          label=r"$\partial a / \partial z$", kind="expression", variables=A_ONLY)

        # (c) dL/dw or dL/db ---------------------------------------------------------------------
        names = A_Y_X_W if g.l2 else A_Y_X
        s.part(rf"Derive $\frac{{\partial L}}{{\partial {wrt}}}$ as a formula in $a$, $y$"
               + (r", $x$, $w$ and $\alpha$" if g.l2 else " and $x$") + " (not all of them need to appear).")
        chain = [text(dLda)] + ([text(dadz)] if act != "identity" else [])
        if dLda == ref_a and dadz == ref_b:  # the student's (or the reference's) earlier formulas
            value = GRAD[act, loss] if wrt == "b" else f"({GRAD[act, loss]})*x"
        else:
            value = prod(*chain, dz)
        if wrt == "w" and s.mistake(INNER_DERIVATIVE_MISSING):
            value = prod(*chain)
        elif wrt == "b" and s.mistake("bias_times_x", "multiplied by x: dz/db = 1, only dz/dw = x"):
            value = prod(*chain, "x")
        elif act != "identity" and loss != "cross_entropy" and s.mistake(ACTIVATION_DERIVATIVE_MISSING):
            value = prod(text(dLda), dz)
        elif loss == "cross_entropy" and s.mistake(SIGMOID_DERIVATIVE_TWICE):
            value = prod(*chain, text(dadz), dz)
        if g.l2:  # d/dw (alpha/2) w^2 = alpha w
            if s.mistake("l2_term_forgotten", "left out the L2 term's derivative: d/dw (alpha/2) w^2 = alpha w"):
                pass
            elif s.mistake(HALF_FORGOTTEN):
                value = f"{value} + 2*alpha*w"
            else:
                value = f"{value} + alpha*w"
        l2_tex = r" + \alpha w" if g.l2 else ""
        dLdp = s.step(f"dL_d{wrt}", value,
                      rf"\frac{{\partial L}}{{\partial {wrt}}} = \frac{{\partial L}}{{\partial a}}"
                      + (r"\frac{\partial a}{\partial z}" if act != "identity" else "")
                      + rf"\frac{{\partial z}}{{\partial {wrt}}}" + l2_tex,
                      lambda: r" \cdot ".join([rf"\left({latex(dLda, A_Y)}\right)"]
                                              + ([rf"\left({latex(dadz, A_ONLY)}\right)"] if act != "identity" else [])
                                              + [dz]) + l2_tex,
                      label=rf"$\partial L / \partial {wrt}$", kind="expression", variables=names)

        # (d) numbers -------------------------------------------------------------------------
        p0 = g.w if wrt == "w" else g.b
        s.part(rf"Now use the numbers: compute $z$, $a$, the gradient "
               rf"$\frac{{\partial L}}{{\partial {wrt}}}$ with your formula, and the new "
               rf"${wrt}$ after one gradient-descent step.")
        z = s.step("z", g.w * g.x + g.b, "z = w x + b",
                   lambda: rf"{num(g.w)} \cdot {par(g.x)} + {par(g.b)}", label="$z$")
        fname = {"identity": "z", "sigmoid": r"\sigma(z)", "tanh": r"\tanh(z)"}[act]
        a = s.step("a", table_value(act, z), f"a = {fname}",
                   None if act == "identity" else (lambda: rf"{fname[:-3]}({num(z)})"), label="$a$")
        at = {"a": a, "y": g.y, "x": g.x} | ({"w": g.w, "alpha": g.l2} if g.l2 else {})
        grad = s.step("grad", evaluate(dLdp, names, **at),
                      rf"\frac{{\partial L}}{{\partial {wrt}}}",
                      lambda: latex(dLdp, names, values=at),
                      label=rf"$\partial L / \partial {wrt}$ (number)")
        sign = 1.0 if s.mistake(GRADIENT_ASCENT) else -1.0
        s.step(f"{wrt}_new", p0 + sign * g.lr * grad,
               rf"{wrt} \leftarrow {wrt} - \lambda \frac{{\partial L}}{{\partial {wrt}}}",
               lambda: rf"{num(p0)} - {num(g.lr)} \cdot {par(grad)}", label=f"new ${wrt}$")


def _work_a(loss: str) -> str:
    if loss == "half_squared":
        return r"\frac{1}{2} \cdot 2\left(a - y\right) \cdot 1"
    if loss == "squared":
        return r"2\left(a - y\right) \cdot 1"
    return r"-\frac{y}{a} - \frac{1 - y}{1 - a} \cdot \left(-1\right)"


_DZ_FORMULA = {"sigmoid": r"\frac{\partial a}{\partial z} = \sigma'(z)",
               "tanh": r"\frac{\partial a}{\partial z} = \tanh'(z)"}
_DZ_WORK = {"sigmoid": r"\frac{e^{-z}}{\left(1 + e^{-z}\right)^2} = \sigma(z)\left(1 - \sigma(z)\right)",
            "tanh": r"1 - \tanh^2(z)"}
