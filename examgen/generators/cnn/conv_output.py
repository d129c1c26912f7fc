"""Output shapes and parameter counts of a CNN (images or 1-D signals), with its classifier head."""

import math
from typing import Literal

from pydantic import Field, model_validator

from ...registry import Generator, Givens, generator
from ...render.figures import layer_stack
from ...steps import Degenerate, Steps
from .._draw import Draws
from .._mistakes import (BIASES_NOT_COUNTED, CEIL_INSTEAD_OF_FLOOR, DILATION_IGNORED, FLATTEN_SPATIAL_IGNORED,
                         INPUT_CHANNELS_IGNORED, MISSING_PLUS_ONE, PADDING_ONCE)
from ._layers import WindowLayer


HEAD_TYPES = ("flatten", "gap", "dense")
"""Layers of the classifier head: they make (or take) a vector, and have no window."""


class Layer(WindowLayer):
    """A convolution or pooling layer (a window), or a head layer: flatten, global average pooling
    ("gap") or a dense layer (one model with a ``type``, so every field is listed in the givens help)."""

    type: Literal["conv", "maxpool", "avgpool", "flatten", "gap", "dense"] = Field(
        description="conv, maxpool or avgpool (a window); flatten, gap (global average pooling) or dense")
    kernel: int | None = Field(None, ge=1, le=15, description="window size k (conv and pooling layers)")
    padding: int = Field(0, ge=0, le=10)
    dilation: int = Field(1, ge=1, le=8)
    filters: int | None = Field(None, ge=1, le=4096, description="number of filters (conv only)")
    units: int | None = Field(None, ge=1, le=100_000, description="number of units (dense only)")

    @model_validator(mode="after")
    def _fields_of_the_type(self):
        if (self.type == "conv") != (self.filters is not None):
            raise ValueError("a conv layer needs 'filters'; other layers have none")
        if (self.type == "dense") != (self.units is not None):
            raise ValueError("a dense layer needs 'units'; other layers have none")
        if self.type in HEAD_TYPES:
            if self.kernel is not None or (self.stride, self.padding, self.dilation) != (1, 0, 1):
                raise ValueError(f"a {self.type} layer has no kernel, stride, padding or dilation")
            return self
        if self.kernel is None:
            raise ValueError(f"a {self.type} layer needs 'kernel'")
        if self.type != "conv" and 2 * self.padding > self.kernel:
            raise ValueError("a pooling layer's padding can be at most half its kernel size (as in PyTorch)")
        return self

    def describe(self, one_d: bool = False) -> str:
        if self.type == "flatten":
            return "flatten (the feature map becomes one vector)"
        if self.type == "gap":
            return "global average pooling"
        if self.type == "dense":
            return f"dense (fully connected) layer with {self.units} units"
        size = str(self.kernel) if one_d else self.window
        if self.type == "conv":
            return (f"convolution with {self.filters} filters of size {size}, stride {self.stride}, "
                    f"padding {self.padding}, dilation {self.dilation}")
        return f"{self.pooling} pooling {size}, stride {self.stride}, padding {self.padding}"


class ConvOutputGivens(Givens):
    height: int | None = Field(None, ge=1, le=1024, description="image height (give length for a 1-D input)")
    width: int | None = Field(None, ge=1, le=1024, description="image width")
    length: int | None = Field(None, ge=1, le=100_000, description="length of a 1-D input (instead of height, width)")
    channels: int = Field(ge=1, le=1024)
    layers: list[Layer] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _shape_and_order(self):
        if (self.length is None) == (self.height is None or self.width is None) or \
                (self.length is not None and (self.height, self.width) != (None, None)):
            raise ValueError("give height and width (an image) or length (a 1-D input), not both")
        vector = False  # after flatten, global pooling or a dense layer the data is a vector
        for i, layer in enumerate(self.layers, 1):
            if layer.type == "dense" and not vector:
                raise ValueError(f"layer {i}: a dense layer needs a vector: put a flatten or a global "
                                 "average pooling layer before it")
            if layer.type != "dense" and vector:
                raise ValueError(f"layer {i}: a {layer.type} layer needs a feature map, but the layers before "
                                 "it already made a vector")
            vector = layer.type in HEAD_TYPES
        return self

    @property
    def one_d(self) -> bool:
        return self.length is not None


def out_size(n: int, layer: Layer, *, plus_one: bool = True, padding_twice: bool = True,
             dilated: bool = True, ceil: bool = False) -> int:
    """PyTorch's output size ⌊(n + 2p - d(k-1) - 1)/s⌋ + 1; the flags simulate mistakes."""
    span = (layer.dilation if dilated else 1) * (layer.kernel - 1) + 1
    inner = n + (2 if padding_twice else 1) * layer.padding - span
    q = math.ceil(inner / layer.stride) if ceil else inner // layer.stride
    return q + (1 if plus_one else 0)


HEADS = (("flatten", 10), ("flatten", 10), ("gap", 10), ("gap", 100), ("flatten", 64, 10))
"""Classifier heads the draw adds: flatten or global average pooling, then dense layers of these sizes."""


@generator(id="conv_output", topic="cnn", goal="05.2", version=3,
           title="Output shapes and parameter counts of a CNN")
class ConvOutput(Generator):
    """A stack of conv and pooling layers (2-D or 1-D), maybe with a head (flatten or global average
    pooling, then dense layers): output size per layer, the flatten length, parameters per layer and
    in total."""

    Givens = ConvOutputGivens

    def draw(self, rng):
        r = Draws(rng)
        exact = r.u() < 0.8
        one_d = r.u() < 0.2
        head = r.pick(HEADS) if r.u() < 0.5 else None
        flat = head is not None and head[0] == "flatten"
        while True:  # layers as (type, kernel, stride, padding, dilation, filters): cheap to reject
            if one_d:
                h = w = r.pick([32, 64, 100, 128, 256])
                c = r.pick([1, 1, 2, 3])
            else:
                h = r.pick([28, 32, 32, 48] if flat else [28, 32, 32, 48, 64, 64, 96, 128])
                w = h if r.u() < 0.8 else r.pick([32, 48, 64, 96])
                c = r.pick([1, 3, 3])
            specs, hh, ww, tiles = [], h, w, True
            for i in range(r.pick([2, 3, 3, 4])):
                for _ in range(4):  # redraw a layer that does not tile when the sizes must divide exactly
                    spec = self._draw_layer(r, i, flat)
                    span = spec[4] * (spec[1] - 1) + 1
                    fits = all((n + 2 * spec[3] - span) % spec[2] == 0 for n in ((hh,) if one_d else (hh, ww)))
                    if fits or not exact:
                        break
                specs.append(spec)
                tiles = tiles and fits
                hh, ww = ((n + 2 * spec[3] - span) // spec[2] + 1 for n in (hh, ww))
            ok = hh >= 2 and ww >= 2 and tiles == exact
            if ok and (not flat or (hh if one_d else hh * ww) <= 64):  # a flatten length worked by hand
                break
        def layer(t, k=None, st=1, p=0, d=1, f=None, units=None):
            return Layer.model_construct(type=t, kernel=k, stride=st, padding=p, dilation=d, filters=f, units=units)
        layers = [layer(*spec) for spec in specs]
        if head is not None:
            layers.append(layer("flatten" if flat else "gap"))
            layers += [layer("dense", units=u) for u in head[1:]]
        if one_d:
            return ConvOutputGivens.model_construct(height=None, width=None, length=h, channels=c, layers=layers)
        return ConvOutputGivens.model_construct(height=h, width=w, length=None, channels=c, layers=layers)

    @staticmethod
    def _draw_layer(r: Draws, i: int, flat: bool) -> tuple:
        """(type, kernel, stride, padding, dilation, filters) of layer i (0 first: a convolution)."""
        if i == 0 or r.u() < 0.6:
            k = r.pick([1, 3, 3, 3, 5, 7])
            d = r.pick([1, 1, 1, 2]) if k > 1 else 1
            p = (d * (k - 1)) // 2 if r.u() < 0.5 else r.int(0, k // 2 + 1)
            return "conv", k, r.pick([1, 2, 2] if flat else [1, 1, 2]), p, d, r.pick([8, 16, 32, 64])
        k, st, p = r.pick([(2, 2, 0), (2, 2, 0), (3, 2, 1), (3, 2, 0)])
        return r.pick(["maxpool", "avgpool"]), k, st, p, 1, None

    def figure(self, g):
        blocks = [("Input", f"{g.length}×{g.channels}" if g.one_d else f"{g.height}×{g.width}×{g.channels}")]
        for i, layer in enumerate(g.layers, 1):
            if layer.type in HEAD_TYPES:
                blocks.append((f"{i}: {dict(flatten='flatten', gap='global avg pool', dense='dense')[layer.type]}",
                               f"{layer.units} units" if layer.type == "dense" else ""))
                continue
            k = str(layer.kernel) if g.one_d else f"{layer.kernel}×{layer.kernel}"
            if layer.type == "conv":
                blocks.append((f"{i}: conv {k}", f"{layer.filters} filters\ns{layer.stride} p{layer.padding} d{layer.dilation}"))
            else:
                blocks.append((f"{i}: {'max' if layer.type == 'maxpool' else 'avg'} pool {k}",
                               f"s{layer.stride} p{layer.padding}"))
        return layer_stack(blocks)

    def stem(self, g):
        lines = "\n".join(f"- Layer {i}: {layer.describe(g.one_d)}" for i, layer in enumerate(g.layers, 1))
        types = {layer.type for layer in g.layers}
        if g.one_d:
            start = (f"A 1-D input signal of length $L = {g.length}$ with $C = {g.channels}$ channel"
                     f"{'s' if g.channels > 1 else ''} goes through these layers, in order:\n\n")
            where = "along the signal"
        else:
            start = (f"An input image of size $H \\times W \\times C = {g.height} \\times {g.width} \\times "
                     f"{g.channels}$ goes through these layers, in order:\n\n")
            where = "in each spatial direction"
        heads = []
        if "flatten" in types:
            heads.append("Flatten turns the feature map into one vector holding every value of every channel.")
        if "gap" in types:
            heads.append("Global average pooling averages each channel's whole map into one value.")
        if "dense" in types:
            heads.append("Every unit of a dense layer is connected to every value of its input and has one bias.")
        return (
            start + lines + "\n\n"
            "Use PyTorch's conventions: a layer with kernel size $k$, stride $s$, padding $p$ (zeros on "
            "every side) and dilation $d$ gives output size "
            r"$$n_{out} = \left\lfloor \frac{n_{in} + 2p - d(k-1) - 1}{s} \right\rfloor + 1$$"
            f"{where}. A convolution filter spans all input channels and has one "
            "bias; pooling has no parameters and keeps the number of channels."
            + (" " + " ".join(heads) if heads else "")
        )

    def solve(self, s: Steps, g: ConvOutputGivens):
        h, w, c = (g.length, g.length, g.channels) if g.one_d else (g.height, g.width, g.channels)
        n_vec = None  # the vector's length once the map is flattened or pooled away
        params_steps = []
        for i, layer in enumerate(g.layers, 1):
            if layer.type == "flatten":
                s.part(f"Layer {i} (flatten): how many values does the flattened vector have?")
                if s.mistake(FLATTEN_SPATIAL_IGNORED):
                    n = c
                elif s.mistake("flatten_channels_ignored", "counted the positions of one channel only; the "
                                                           "flattened vector holds every channel's map"):
                    n = h if g.one_d else h * w
                else:
                    n = c * h if g.one_d else h * w * c
                n_vec = s.step(f"flat{i}", n, r"n = L \cdot C" if g.one_d else r"n = H \cdot W \cdot C",
                               (lambda h=h, c=c: rf"{h} \cdot {c}") if g.one_d else
                               (lambda h=h, w=w, c=c: rf"{h} \cdot {w} \cdot {c}"),
                               label=f"length after layer {i} (flatten)", answer=True)
            elif layer.type == "gap":
                s.part(f"Layer {i} (global average pooling): how many values does it output, and how many "
                       "parameters does it have?")
                if s.mistake("gap_as_flatten", "kept every position; global average pooling averages each "
                                               "channel's map into one value, so it outputs C values"):
                    n = c * h if g.one_d else h * w * c
                else:
                    n = c
                n_vec = s.step(f"c{i}", n, r"n = C", label=f"values after layer {i}", answer=True)
                params_steps.append(s.step(f"params{i}", 0, r"\text{pooling has no parameters}",
                                           label=f"parameters of layer {i}", answer=True))
            elif layer.type == "dense":
                s.part(f"Layer {i}, a dense layer with {layer.units} units: how many parameters does it have?")
                n_in = n_vec
                params = n_in * layer.units if s.mistake(BIASES_NOT_COUNTED) else (n_in + 1) * layer.units
                params_steps.append(s.step(f"params{i}", params, r"(n_{in} + 1) \cdot m",
                                           lambda n_in=n_in, m=layer.units: rf"({n_in} + 1) \cdot {m}",
                                           label=f"parameters of layer {i}", answer=True))
                n_vec = layer.units
            else:
                h, w, c, p = self._window_layer(s, g, i, layer, h, w, c)
                params_steps.append(p)
        s.part("How many parameters does the network have in total?")
        s.step("total_params", sum(params_steps), r"\sum_i \text{params}_i",
               lambda: " + ".join(str(p) for p in params_steps), label="total parameters")

    @staticmethod
    def _window_layer(s: Steps, g: ConvOutputGivens, i: int, layer: Layer, h: int, w: int, c: int):
        """A conv or pooling layer's part: its output size (per direction), channels and parameters."""
        size = "length" if g.one_d else "height, width"
        s.part(f"Layer {i} ({layer.describe(g.one_d)}): give its output {size} and number of channels, "
               "and its number of parameters.")
        flags = dict(plus_one=not s.mistake(MISSING_PLUS_ONE),
                     padding_twice=not (layer.padding and s.mistake(PADDING_ONCE)),
                     dilated=not (layer.dilation > 1 and s.mistake(DILATION_IGNORED)),
                     ceil=bool(s.mistake(CEIL_INSTEAD_OF_FLOOR)))
        h0, w0, c0 = h, w, c
        span = layer.dilation * (layer.kernel - 1) + 1
        formula = r"n_{out} = \left\lfloor \frac{n_{in} + 2p - d(k-1) - 1}{s} \right\rfloor + 1"

        def work(n):
            return lambda: (rf"\left\lfloor \frac{{{n} + 2 \cdot {layer.padding} - {span - 1} - 1}}"
                            rf"{{{layer.stride}}} \right\rfloor + 1")
        if g.one_d:
            h = w = s.step(f"n{i}", out_size(h0, layer, **flags), formula, work(h0),
                           label=f"length after layer {i}", answer=True)
        else:
            h = s.step(f"h{i}", out_size(h0, layer, **flags), formula, work(h0),
                       label=f"height after layer {i}", answer=True)
            w = s.step(f"w{i}", out_size(w0, layer, **flags), formula, work(w0),
                       label=f"width after layer {i}", answer=True)
        if h < 1 or w < 1:
            raise Degenerate(f"layer {i} has no output left (size {h}×{w})")
        if layer.type != "conv":
            c = s.step(f"c{i}", c0, r"C_{out} = C_{in}", label=f"channels after layer {i}", answer=True)
            return h, w, c, s.step(f"params{i}", 0, r"\text{pooling has no parameters}",
                                   label=f"parameters of layer {i}", answer=True)
        c = s.step(f"c{i}", layer.filters, r"C_{out} = \text{number of filters}",
                   label=f"channels after layer {i}", answer=True)
        taps = layer.kernel if g.one_d else layer.kernel ** 2
        if s.mistake(BIASES_NOT_COUNTED):
            params = taps * c0 * layer.filters
        elif s.mistake(INPUT_CHANNELS_IGNORED):
            params = (taps + 1) * layer.filters
        else:
            params = (taps * c0 + 1) * layer.filters
        if g.one_d:
            p = s.step(f"params{i}", params, r"(k \cdot C_{in} + 1) \cdot F",
                       lambda: rf"({layer.kernel} \cdot {c0} + 1) \cdot {layer.filters}",
                       label=f"parameters of layer {i}", answer=True)
        else:
            p = s.step(f"params{i}", params, r"(k \cdot k \cdot C_{in} + 1) \cdot F",
                       lambda: rf"({layer.kernel} \cdot {layer.kernel} \cdot {c0} + 1) \cdot {layer.filters}",
                       label=f"parameters of layer {i}", answer=True)
        return h, w, c, p
