"""He and Xavier weight initialisation."""

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._mistakes import FLATTEN_SPATIAL_IGNORED

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


@generator(id="weight_init", topic="training", goal="07.2", version=2,
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
        s.part("Compute the fan-in $n_{in}$ and the fan-out $n_{out}$ of the layer's weights.")
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
            if s.mistake(FLATTEN_SPATIAL_IGNORED):
                flat = g.c_in
            n_in = s.step("fan_in", flat, r"n_{in} = H \cdot W \cdot C",
                          lambda: rf"{g.height} \cdot {g.width} \cdot {g.c_in}", label=r"$n_{in}$", answer=True)
            n_out = s.step("fan_out", g.c_out, r"n_{out} = \text{number of units}", label=r"$n_{out}$",
                           answer=True)

        s.part(f"Which scheme suits the {ACTIVATION_NAMES[g.activation]}? Compute the variance "
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
