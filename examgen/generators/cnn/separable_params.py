"""Depthwise separable convolutions and classifier heads: parameter counts."""

import math
from typing import Literal

from pydantic import Field

from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._mistakes import BIASES_NOT_COUNTED, FLATTEN_SPATIAL_IGNORED, INPUT_CHANNELS_IGNORED, RATIO_INVERTED


class SeparableGivens(Givens):
    c_in: int = Field(ge=1, le=4096, description="input channels of the layer")
    c_out: int = Field(ge=1, le=4096, description="output channels of the layer")
    kernel: int = Field(ge=1, le=11)
    bias: bool = Field(True, description="every conv and dense layer has biases")
    height: int = Field(ge=1, le=256, description="height of the last feature map")
    width: int = Field(ge=1, le=256, description="width of the last feature map")
    classes: int = Field(ge=2, le=100_000)
    head: Literal["gap_dense", "conv1x1_gap"] = Field(
        "gap_dense", description="the compact head: global average pooling + dense, or 1×1 conv + GAP")


@generator(id="separable_params", topic="cnn", goal="05.6", version=2,
           title="Depthwise separable convolutions and classifier heads: parameter counts")
class SeparableParams(Generator):
    """Standard vs depthwise separable convolution (counts and ratio); dense vs global-pooling head."""

    Givens = SeparableGivens

    def draw(self, rng):
        c_in = pick(rng, [16, 32, 32, 64, 64, 128, 256])
        c_out = c_in * pick(rng, [1, 2, 2, 4]) if c_in < 256 else c_in
        hw = pick(rng, [4, 7, 7, 8, 14])
        return SeparableGivens(c_in=c_in, c_out=c_out, kernel=pick(rng, [3, 3, 3, 5]),
                               bias=bool(rng.random() < 0.7), height=hw, width=hw,
                               classes=pick(rng, [10, 10, 20, 100, 1000]),
                               head=pick(rng, ["gap_dense", "conv1x1_gap"]))

    def stem(self, g):
        k, b = g.kernel, g.bias
        biases = ("Every convolution filter and every dense output unit has one bias."
                  if b else "No layer has biases (they are followed by batch normalisation).")
        compact = ("global average pooling over the spatial positions followed by a dense layer to the "
                   f"{g.classes} class scores" if g.head == "gap_dense" else
                   f"a $1 \\times 1$ convolution with {g.classes} filters (one per class) followed by global "
                   "average pooling of each of its channels into a class score")
        return (
            f"A convolutional layer maps a feature map with $C_{{in}} = {g.c_in}$ channels to "
            f"$C_{{out}} = {g.c_out}$ channels with ${k} \\times {k}$ kernels (stride 1, padding that keeps "
            f"the height and width). {biases} It could be replaced by a depthwise separable convolution: a "
            f"depthwise ${k} \\times {k}$ convolution with one filter per input channel, each seeing only its "
            f"own channel (in PyTorch: $\\mathrm{{groups}} = C_{{in}}$), followed by a pointwise "
            f"$1 \\times 1$ convolution from $C_{{in}}$ to $C_{{out}}$ channels."
            "\n\n"
            f"This layer is the last one of a classifier's feature extractor: its output is a "
            f"${g.height} \\times {g.width} \\times {g.c_out}$ feature map, which a head turns into "
            f"{g.classes} class scores, either (i) by flattening it and a dense layer, or (ii) by {compact}."
        )

    def solve(self, s: Steps, g: SeparableGivens):
        k, ci, co, n = g.kernel, g.c_in, g.c_out, g.classes
        b = 1 if g.bias else 0

        s.part("How many parameters does one filter of the standard convolutional layer have, and how "
               "many does the whole layer have?")
        if b and s.mistake(BIASES_NOT_COUNTED):
            v = k * k * ci
        elif s.mistake(INPUT_CHANNELS_IGNORED):
            v = k * k + b
        else:
            v = k * k * ci + b
        per_filter = s.step("per_filter", v,
                            r"k \cdot k \cdot C_{in} + 1" if b else r"k \cdot k \cdot C_{in}",
                            rf"{k} \cdot {k} \cdot {ci}" + (" + 1" if b else ""), label="parameters of one filter")
        standard = s.step("standard", per_filter * co, r"(\text{one filter}) \cdot C_{out}",
                          lambda: rf"{per_filter} \cdot {co}", label="standard convolution", answer=True)

        s.part("How many parameters do the depthwise convolution, the pointwise convolution and the "
               "whole depthwise separable convolution have?")
        if b and s.mistake(BIASES_NOT_COUNTED):
            v = k * k * ci
        elif s.mistake("depthwise_full", "counted depthwise filters spanning all input channels; each "
                                         "depthwise filter sees only its own channel"):
            v = (k * k * ci + b) * ci
        else:
            v = (k * k + b) * ci
        dw = s.step("depthwise", v, *self._count([r"k \cdot k", "C_{in}"], [rf"{k} \cdot {k}", str(ci)], b),
                    label="depthwise convolution")
        if b and s.mistake(BIASES_NOT_COUNTED):
            v = ci * co
        elif k > 1 and s.mistake("pointwise_kernel_k", "gave the pointwise convolution k×k kernels; it is 1×1"):
            v = (k * k * ci + b) * co
        else:
            v = (ci + b) * co
        pw = s.step("pointwise", v, *self._count([r"1 \cdot 1 \cdot C_{in}", "C_{out}"],
                                                 [rf"1 \cdot 1 \cdot {ci}", str(co)], b),
                    label="pointwise convolution")
        if s.mistake("no_pointwise", "counted only the depthwise part; the separable convolution also "
                                     "needs the pointwise 1×1 convolution to mix the channels"):
            v = dw
        else:
            v = dw + pw
        separable = s.step("separable", v, r"\text{depthwise} + \text{pointwise}", lambda: f"{dw} + {pw}",
                           label="depthwise separable convolution", answer=True)

        s.part("How many times more parameters does the standard convolution have than the depthwise "
               "separable one? Give the ratio to 3 significant figures.")
        if s.mistake(RATIO_INVERTED):
            ratio = separable / standard if standard else math.nan
        else:
            ratio = standard / separable if separable else math.nan
        s.step("ratio", ratio, r"\frac{\text{standard}}{\text{separable}}",
               lambda: rf"\frac{{{standard}}}{{{separable}}}", label="ratio", tol=Tolerance.significant(3))

        s.part("How many parameters does each head have: (i) flatten + dense, (ii) the compact head?")
        hwc = g.height * g.width * co
        if b and s.mistake(BIASES_NOT_COUNTED):
            v = hwc * n
        elif s.mistake(FLATTEN_SPATIAL_IGNORED):
            v = (co + b) * n
        else:
            v = (hwc + b) * n
        s.step("dense_head", v, *self._count([r"H \cdot W \cdot C", "N"],
                                             [rf"{g.height} \cdot {g.width} \cdot {co}", str(n)], b),
               label="flatten + dense head", answer=True)
        if b and s.mistake(BIASES_NOT_COUNTED):
            v = co * n
        elif s.mistake("pooling_counted_as_dense", "counted the spatial positions; after global pooling (or "
                                                   "with a 1×1 convolution) each class needs one weight per channel"):
            v = (hwc + b) * n
        else:
            v = (co + b) * n
        s.step("gap_head", v, *self._count(["C", "N"], [str(co), str(n)], b),
               label="compact head", answer=True)

    @staticmethod
    def _count(symbols: list[str], numbers: list[str], b: int) -> tuple[str, str]:
        """Formula and work of 'weights per output (+ 1 bias) times outputs'."""
        if b:
            return rf"({symbols[0]} + 1) \cdot {symbols[1]}", rf"({numbers[0]} + 1) \cdot {numbers[1]}"
        return rf"{symbols[0]} \cdot {symbols[1]}", rf"{numbers[0]} \cdot {numbers[1]}"
