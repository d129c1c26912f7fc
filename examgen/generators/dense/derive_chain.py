"""Derive the gradient through a hidden unit (a two-layer chain) as formulas, then use it."""

from typing import Literal

from pydantic import Field, model_validator

from ...fmt import num, par
from ...kinds.formula import evaluate, latex, text
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import Draws
from .._mistakes import (ACTIVATION_DERIVATIVE_MISSING, ERROR_SIGN, GRADIENT_ASCENT, INNER_DERIVATIVE_MISSING,
                         SIGMOID_DERIVATIVE_TWICE, TANH_SQUARE_MISSING)
from .._stems import given_values
from ._neuron import ACT_TEX, GRAD, LOSS_TEX, prod, table_value

_HIDDEN_TEX = {"sigmoid": r"h = \sigma(z_1)", "tanh": r"h = \tanh(z_1)", "relu": r"h = \mathrm{ReLU}(z_1) = \max(0, z_1)"}
_DH_DZ = {"sigmoid": "h*(1 - h)", "tanh": "1 - h^2", "relu": "1"}
_DH_DZ_TEX = {"sigmoid": r"\sigma'(z_1) = h(1 - h)", "tanh": r"\tanh'(z_1) = 1 - h^2",
              "relu": r"\mathrm{ReLU}'(z_1) = 1 \text{ for } z_1 > 0"}
A_Y = ["a", "y"]
A_Y_W = ["a", "y", "w2"]
H = ["h"]
ALL = ["a", "y", "w2", "h", "x"]


class DeriveChainGivens(Givens):
    hidden: Literal["sigmoid", "tanh", "relu"] = Field(description="the hidden unit's activation, h = f(z1)")
    output: Literal["identity", "sigmoid"] = Field(description="the output's activation, a = g(z2)")
    loss: Literal["half_squared", "squared", "cross_entropy"]
    x: float = Field(ge=-10, le=10, description="the input")
    w1: float = Field(ge=-10, le=10, description="the hidden unit's weight")
    b1: float = Field(ge=-10, le=10)
    w2: float = Field(ge=-10, le=10, description="the output's weight")
    b2: float = Field(ge=-10, le=10)
    y: float = Field(ge=-10, le=10, description="the target")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")

    @model_validator(mode="after")
    def _consistent(self):
        if self.loss == "cross_entropy" and (self.output != "sigmoid" or not 0 <= self.y <= 1):
            raise ValueError("the cross-entropy loss needs output 'sigmoid' and a target y in [0, 1]")
        if self.x == 0 or self.w2 == 0:
            raise ValueError("x = 0 or w2 = 0 makes dL/dw1 zero whatever the formula")
        z1 = self.w1 * self.x + self.b1
        if abs(z1) > 20 or abs(self.w2 * table_value(self.hidden, z1) + self.b2) > 20:
            raise ValueError("z1 and z2 must lie within +-20 for the table of activation values")
        if self.hidden == "relu" and z1 <= 0:
            raise ValueError(f"z1 = w1 x + b1 = {z1:g} leaves the ReLU unit inactive (every gradient through it is 0): "
                             "give z1 > 0")
        return self


def _forward(g):
    z1 = g.w1 * g.x + g.b1
    h = table_value(g.hidden, z1) if g.hidden != "relu" else max(z1, 0.0)
    z2 = g.w2 * h + g.b2
    return z1, h, z2, table_value(g.output, z2)


@generator(id="derive_chain", topic="dense", goal="03.9", version=1,
           title="Derive the gradient through a hidden unit as formulas, then use it")
class DeriveChain(Generator):
    """x -> h = f(w1 x + b1) -> a = g(w2 h + b2) -> L(a, y), with a sigmoid, tanh or ReLU hidden unit:
    dL/dz2, dL/dh, dh/dz1 and dL/dw1 as formulas (the backward pass in symbols), then the numbers."""

    Givens = DeriveChainGivens

    def draw(self, rng):
        r = Draws(rng)
        while True:
            hidden = r.pick(("sigmoid", "tanh", "relu"))
            output = r.pick(("identity", "sigmoid", "sigmoid"))
            loss = r.pick(("cross_entropy", "cross_entropy", "half_squared", "squared")) if output == "sigmoid" \
                else r.pick(("half_squared", "half_squared", "squared"))
            x = r.pick((-2.0, -1.0, 1.0, 2.0, 0.5))
            w1 = r.pick((-1.0, -0.5, 0.5, 1.0, 1.5))
            z1 = float(r.pick((0.5, 1.0, 2.0) if hidden == "relu" else (-2.0, -1.0, 0.0, 1.0, 2.0)))
            b1 = round(z1 - w1 * x, 2)
            w2 = r.pick((-2.0, -1.0, -0.5, 0.5, 1.0, 2.0))
            b2 = r.dec(-1, 1)
            y = float(r.below(2)) if output == "sigmoid" else r.between(-20, 20) / 10
            g = DeriveChainGivens(hidden=hidden, output=output, loss=loss, x=x, w1=w1, b1=b1, w2=w2, b2=b2,
                                  y=y, lr=r.pick((0.1, 0.5, 1.0)))
            if abs(b1) <= 3 and abs(_forward(g)[3] - y) >= 0.1:
                return g

    def stem(self, g):
        z1, h, z2, a = _forward(g)
        values = []
        if g.hidden != "relu":
            f = r"\sigma" if g.hidden == "sigmoid" else r"\tanh"
            values.append(f"{f}({num(z1)}) = {num(h)}")
        if g.output == "sigmoid":
            values.append(rf"\sigma({num(z2, 6)}) = {num(a)}")
        table = (" " + given_values(values)[:-1] + " (rounded to 4 decimals).") if values else ""
        return (
            "A network with one hidden unit computes, from an input $x$,"
            "\n\n"
            rf"$$z_1 = w_1 x + b_1, \quad {_HIDDEN_TEX[g.hidden]}, \quad z_2 = w_2 h + b_2, \quad "
            rf"{ACT_TEX[g.output].replace('z', 'z_2')}, \quad {LOSS_TEX[g.loss]}$$"
            "\n\n"
            "for a target $y$" + (" ($\\log$ is the natural logarithm)" if g.loss == "cross_entropy" else "")
            + ". Derive the gradient of $L$ with respect to the first weight $w_1$ by the chain rule, "
            "writing each derivative as a formula in the names asked for, typed as text like "
            "3*x*(1 - a)^2 or w2*h/(1 + y): * for products, ^ for powers (write $w_2$ as w2). Then use "
            f"your formula on numbers: $x = {num(g.x)}$, $w_1 = {num(g.w1)}$, $b_1 = {num(g.b1)}$, "
            f"$w_2 = {num(g.w2)}$, $b_2 = {num(g.b2)}$, $y = {num(g.y)}$, learning rate "
            f"$\\lambda = {num(g.lr)}$.{table} Give numbers to 3 decimals."
        )

    def solve(self, s: Steps, g: DeriveChainGivens):
        out, loss, hid = g.output, g.loss, g.hidden

        s.part(r"Derive the output's error $\frac{\partial L}{\partial z_2}$ as a formula in $a$ and $y$.")
        ref = GRAD[out, loss]
        value = ref
        if s.mistake(ERROR_SIGN):
            value = f"-({ref})"
        elif out == "sigmoid" and loss == "cross_entropy" and s.mistake(SIGMOID_DERIVATIVE_TWICE):
            value = "(a - y)*a*(1 - a)"
        elif out == "sigmoid" and loss != "cross_entropy" and s.mistake(ACTIVATION_DERIVATIVE_MISSING):
            value = GRAD["identity", loss]
        dz2 = s.step("dL_dz2", value, r"\frac{\partial L}{\partial z_2} = \frac{\partial L}{\partial a}"
                     r"\frac{\partial a}{\partial z_2}", lambda: latex(ref, A_Y), label=r"$\partial L / \partial z_2$",
                     kind="expression", variables=A_Y)

        s.part(r"Back through the output weight: derive $\frac{\partial L}{\partial h}$ as a formula in "
               r"$a$, $y$ and $w_2$.")
        value = prod(text(dz2), "w2")
        if s.mistake("output_weight_missing", "left out dz2/dh = w2: the error reaches h through the weight w2"):
            value = text(dz2)
        dh = s.step("dL_dh", value, r"\frac{\partial L}{\partial h} = \frac{\partial L}{\partial z_2} w_2",
                    lambda: rf"\left({latex(dz2, A_Y)}\right) w_2", label=r"$\partial L / \partial h$",
                    kind="expression", variables=A_Y_W)

        s.part(r"Derive the hidden unit's derivative $\frac{\partial h}{\partial z_1}$ as a formula in $h$"
               + (r" (at the given numbers $z_1 > 0$)." if hid == "relu" else " only."))
        value = _DH_DZ[hid]
        if hid == "tanh" and s.mistake(TANH_SQUARE_MISSING):
            value = "1 - h"
        elif hid == "relu" and s.mistake("relu_derivative_as_output",
                                         "wrote the ReLU's output h; its derivative is 1 where z > 0 (and 0 below)"):
            value = "h"
        elif hid == "sigmoid" and s.mistake("sigmoid_derivative_as_output",
                                            "wrote sigma(z) = h; the sigmoid's derivative is h(1 - h)"):
            value = "h"
        dhdz = s.step("dh_dz1", value, r"\frac{\partial h}{\partial z_1} = " + _DH_DZ_TEX[hid],
                      label=r"$\partial h / \partial z_1$", kind="expression", variables=H)

        s.part(r"Derive $\frac{\partial L}{\partial w_1}$ as a formula in $a$, $y$, $w_2$, $h$ and $x$ "
               "(not all of them need to appear).")
        value = prod(text(dh), text(dhdz), "x")
        if s.mistake(INNER_DERIVATIVE_MISSING):
            value = prod(text(dh), text(dhdz))
        elif s.mistake(ACTIVATION_DERIVATIVE_MISSING):
            value = prod(text(dh), "x")
        dw1 = s.step("dL_dw1", value, r"\frac{\partial L}{\partial w_1} = \frac{\partial L}{\partial h}"
                     r"\frac{\partial h}{\partial z_1} \frac{\partial z_1}{\partial w_1}",
                     lambda: rf"\left({latex(dh, A_Y_W)}\right) \cdot \left({latex(dhdz, H)}\right) \cdot x",
                     label=r"$\partial L / \partial w_1$", kind="expression", variables=ALL)

        s.part(r"Now use the numbers: compute $z_1$, $h$, $z_2$, $a$, the gradient $\frac{\partial L}{\partial w_1}$ "
               r"with your formula, and the new $w_1$ after one gradient-descent step.")
        z1 = s.step("z1", g.w1 * g.x + g.b1, "z_1 = w_1 x + b_1",
                    lambda: rf"{num(g.w1)} \cdot {par(g.x)} + {par(g.b1)}", label="$z_1$")
        fn = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}[hid]
        h = s.step("h", table_value(hid, z1) if hid != "relu" else max(z1, 0.0), rf"h = {fn}(z_1)",
                   lambda: rf"{fn}({num(z1)})", label="$h$")
        z2 = s.step("z2", g.w2 * h + g.b2, "z_2 = w_2 h + b_2",
                    lambda: rf"{num(g.w2)} \cdot {par(h)} + {par(g.b2)}", label="$z_2$")
        a = s.step("a", table_value(out, z2), r"a = \sigma(z_2)" if out == "sigmoid" else "a = z_2",
                   (lambda: rf"\sigma({num(z2, 6)})") if out == "sigmoid" else None, label="$a$")
        at = {"a": a, "y": g.y, "w2": g.w2, "h": h, "x": g.x}
        grad = s.step("grad", evaluate(dw1, ALL, **at), r"\frac{\partial L}{\partial w_1}",
                      lambda: latex(dw1, ALL, values=at), label=r"$\partial L / \partial w_1$ (number)")
        sign = 1.0 if s.mistake(GRADIENT_ASCENT) else -1.0
        s.step("w1_new", g.w1 + sign * g.lr * grad, r"w_1 \leftarrow w_1 - \lambda \frac{\partial L}{\partial w_1}",
               lambda: rf"{num(g.w1)} - {num(g.lr)} \cdot {par(grad)}", label="new $w_1$")
