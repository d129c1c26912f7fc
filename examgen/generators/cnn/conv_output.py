"""Output shapes and parameter counts of a CNN."""

import math

from pydantic import Field, model_validator

from ...registry import Generator, Givens, generator
from ...render.figures import layer_stack
from ...steps import Degenerate, Steps
from .._draw import pick
from .._mistakes import (BIASES_NOT_COUNTED, CEIL_INSTEAD_OF_FLOOR, DILATION_IGNORED, INPUT_CHANNELS_IGNORED,
                         MISSING_PLUS_ONE, PADDING_ONCE)
from ._layers import WindowLayer


class Layer(WindowLayer):
    padding: int = Field(0, ge=0, le=10)
    dilation: int = Field(1, ge=1, le=8)
    filters: int | None = Field(None, ge=1, le=4096, description="number of filters (conv only)")

    @model_validator(mode="after")
    def _filters_for_conv(self):
        if (self.type == "conv") != (self.filters is not None):
            raise ValueError("a conv layer needs 'filters'; a pooling layer has none")
        return self

    def describe(self) -> str:
        if self.type == "conv":
            return (f"convolution with {self.filters} filters of size {self.window}, stride {self.stride}, "
                    f"padding {self.padding}, dilation {self.dilation}")
        return f"{self.pooling} pooling {self.window}, stride {self.stride}, padding {self.padding}"


class ConvOutputGivens(Givens):
    height: int = Field(ge=1, le=1024)
    width: int = Field(ge=1, le=1024)
    channels: int = Field(ge=1, le=1024)
    layers: list[Layer] = Field(min_length=1, max_length=6)


def out_size(n: int, layer: Layer, *, plus_one: bool = True, padding_twice: bool = True,
             dilated: bool = True, ceil: bool = False) -> int:
    """PyTorch's output size ⌊(n + 2p - d(k-1) - 1)/s⌋ + 1; the flags simulate mistakes."""
    span = (layer.dilation if dilated else 1) * (layer.kernel - 1) + 1
    inner = n + (2 if padding_twice else 1) * layer.padding - span
    q = math.ceil(inner / layer.stride) if ceil else inner // layer.stride
    return q + (1 if plus_one else 0)


@generator(id="conv_output", topic="cnn", goal="05.2", version=2,
           title="Output shapes and parameter counts of a CNN")
class ConvOutput(Generator):
    """A stack of conv and pooling layers: output H×W×C per layer, parameters per layer and in total."""

    Givens = ConvOutputGivens

    def draw(self, rng):
        exact = rng.random() < 0.8
        while True:
            h = pick(rng, [28, 32, 32, 48, 64, 64, 96, 128])
            w = h if rng.random() < 0.8 else pick(rng, [32, 48, 64, 96])
            c = pick(rng, [1, 3, 3])
            layers, hh, ww = [], h, w
            for i in range(pick(rng, [2, 3, 3, 4])):
                if i == 0 or rng.random() < 0.6:
                    k = pick(rng, [1, 3, 3, 3, 5, 7])
                    d = pick(rng, [1, 1, 1, 2]) if k > 1 else 1
                    p = (d * (k - 1)) // 2 if rng.random() < 0.5 else int(rng.integers(0, k // 2 + 1))
                    layer = Layer(type="conv", kernel=k, stride=pick(rng, [1, 1, 2]), padding=p,
                                  dilation=d, filters=pick(rng, [8, 16, 32, 64]))
                else:
                    k, st, p = pick(rng, [(2, 2, 0), (2, 2, 0), (3, 2, 1), (3, 2, 0)])
                    layer = Layer(type=pick(rng, ["maxpool", "avgpool"]), kernel=k, stride=st, padding=p)
                layers.append(layer)
                hh, ww = out_size(hh, layer), out_size(ww, layer)
            sizes_ok = hh >= 2 and ww >= 2
            tiles = all(self._tiles(layers, n) for n in (h, w))
            if sizes_ok and tiles == exact:
                return ConvOutputGivens(height=h, width=w, channels=c, layers=layers)

    @staticmethod
    def _tiles(layers: list[Layer], n: int) -> bool:
        for layer in layers:
            span = layer.dilation * (layer.kernel - 1) + 1
            if (n + 2 * layer.padding - span) % layer.stride:
                return False
            n = out_size(n, layer)
        return True

    def figure(self, g):
        blocks = [("Input", f"{g.height}×{g.width}×{g.channels}")]
        for i, layer in enumerate(g.layers, 1):
            k = f"{layer.kernel}×{layer.kernel}"
            if layer.type == "conv":
                blocks.append((f"{i}: conv {k}", f"{layer.filters} filters\ns{layer.stride} p{layer.padding} d{layer.dilation}"))
            else:
                blocks.append((f"{i}: {'max' if layer.type == 'maxpool' else 'avg'} pool {k}",
                               f"s{layer.stride} p{layer.padding}"))
        return layer_stack(blocks)

    def stem(self, g):
        lines = "\n".join(f"- Layer {i}: {layer.describe()}" for i, layer in enumerate(g.layers, 1))
        return (
            f"An input image of size $H \\times W \\times C = {g.height} \\times {g.width} \\times {g.channels}$ "
            "goes through these layers, in order:\n\n" + lines + "\n\n"
            "Use PyTorch's conventions: a layer with kernel size $k$, stride $s$, padding $p$ (zeros on "
            "every side) and dilation $d$ gives output size "
            r"$$n_{out} = \left\lfloor \frac{n_{in} + 2p - d(k-1) - 1}{s} \right\rfloor + 1$$"
            "in each spatial direction. A convolution filter spans all input channels and has one "
            "bias; pooling has no parameters and keeps the number of channels."
        )

    def solve(self, s: Steps, g: ConvOutputGivens):
        h, w, c = g.height, g.width, g.channels
        params_steps = []
        for i, layer in enumerate(g.layers, 1):
            s.part(f"Layer {i} ({layer.describe()}): give its output height, "
                   "width and number of channels, and its number of parameters.")
            flags = dict(plus_one=not s.mistake(MISSING_PLUS_ONE),
                         padding_twice=not (layer.padding and s.mistake(
                             PADDING_ONCE)),
                         dilated=not (layer.dilation > 1 and s.mistake(
                             DILATION_IGNORED)),
                         ceil=bool(s.mistake(CEIL_INSTEAD_OF_FLOOR)))
            h0, w0, c0 = h, w, c
            span = layer.dilation * (layer.kernel - 1) + 1
            formula = (r"n_{out} = \left\lfloor \frac{n_{in} + 2p - d(k-1) - 1}{s} \right\rfloor + 1")
            h = s.step(f"h{i}", out_size(h0, layer, **flags), formula,
                       lambda: rf"\left\lfloor \frac{{{h0} + 2 \cdot {layer.padding} - {span - 1} - 1}}"
                               rf"{{{layer.stride}}} \right\rfloor + 1", label=f"height after layer {i}", answer=True)
            w = s.step(f"w{i}", out_size(w0, layer, **flags), formula,
                       lambda: rf"\left\lfloor \frac{{{w0} + 2 \cdot {layer.padding} - {span - 1} - 1}}"
                               rf"{{{layer.stride}}} \right\rfloor + 1", label=f"width after layer {i}", answer=True)
            if h < 1 or w < 1:
                raise Degenerate(f"layer {i} has no output left (size {h}×{w})")
            if layer.type == "conv":
                c = s.step(f"c{i}", layer.filters, r"C_{out} = \text{number of filters}",
                           label=f"channels after layer {i}", answer=True)
                k2 = layer.kernel ** 2
                if s.mistake(BIASES_NOT_COUNTED):
                    params = k2 * c0 * layer.filters
                elif s.mistake(INPUT_CHANNELS_IGNORED):
                    params = (k2 + 1) * layer.filters
                else:
                    params = (k2 * c0 + 1) * layer.filters
                p = s.step(f"params{i}", params, r"(k \cdot k \cdot C_{in} + 1) \cdot F",
                           lambda: rf"({layer.kernel} \cdot {layer.kernel} \cdot {c0} + 1) \cdot {layer.filters}",
                           label=f"parameters of layer {i}", answer=True)
            else:
                c = s.step(f"c{i}", c0, r"C_{out} = C_{in}", label=f"channels after layer {i}", answer=True)
                p = s.step(f"params{i}", 0, r"\text{pooling has no parameters}", label=f"parameters of layer {i}", answer=True)
            params_steps.append(p)
        s.part("How many parameters does the network have in total?")
        s.step("total_params", sum(params_steps), r"\sum_i \text{params}_i",
               lambda: " + ".join(str(p) for p in params_steps), label="total parameters")
