"""Activation functions: values, derivatives, saturation."""

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._maths import relu, sigmoid
from .._mistakes import SIGMOID_DERIVATIVE_OF_Z, SIGMOID_SIGN

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


@generator(id="activations", topic="training", goal="07.1", version=2,
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
            s.part(f"{ACT_TITLES[f]}: compute ${sym}(z)$ and its derivative ${sym}'(z)$ at "
                   "each input.")
            if f == "sigmoid":
                sign = -1.0 if s.mistake(SIGMOID_SIGN) else 1.0
                val = sigmoid(sign * z)
                formula, work = r"\sigma(z) = \frac{1}{1 + e^{-z}}", \
                    lambda: r",\ ".join(rf"\frac{{1}}{{1 + {num(math.exp(-x))}}}" for x in z)
            elif f == "tanh":
                val = np.tanh(z)
                formula, work = r"\tanh(z) = \frac{1 - e^{-2z}}{1 + e^{-2z}}", \
                    lambda: r",\ ".join(rf"\frac{{1 - {num(math.exp(-2 * x))}}}{{1 + {num(math.exp(-2 * x))}}}"
                                        for x in z)
            elif f == "relu":
                val = relu(z)
                formula, work = r"\mathrm{ReLU}(z) = \max(0, z)", \
                    lambda: r",\ ".join(rf"\max(0, {num(x)})" for x in z)
            elif f == "leaky_relu":
                if s.mistake("leaky_as_relu", "set the negative inputs to 0; the leaky ReLU passes "
                                              "a z for z < 0"):
                    val = relu(z)
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
                if s.mistake(SIGMOID_DERIVATIVE_OF_Z):
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

        s.part(r"Which of the functions saturate, i.e. have $f'(z) \to 0$, for large positive inputs "
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
