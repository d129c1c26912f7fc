"""Lecture 05: convolutional neural networks (output shapes and parameter counts, convolution and
pooling values, receptive fields, depthwise separable convolutions and classifier heads)."""


import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..fmt import matrix as mat, num, par
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..render.figures import grids, layer_stack
from ..steps import Degenerate, Steps
from ._draw import pick


class Layer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["conv", "maxpool", "avgpool"]
    kernel: int = Field(ge=1, le=15)
    stride: int = Field(1, ge=1, le=8)
    padding: int = Field(0, ge=0, le=10)
    dilation: int = Field(1, ge=1, le=8)
    filters: int | None = Field(None, ge=1, le=4096, description="number of filters (conv only)")

    @model_validator(mode="after")
    def _filters_for_conv(self):
        if (self.type == "conv") != (self.filters is not None):
            raise ValueError("a conv layer needs 'filters'; a pooling layer has none")
        if self.type != "conv" and self.dilation != 1:
            raise ValueError("pooling layers here have dilation 1")
        return self

    def describe(self) -> str:
        k = f"{self.kernel}×{self.kernel}"
        if self.type == "conv":
            return (f"convolution with {self.filters} filters of size {k}, stride {self.stride}, "
                    f"padding {self.padding}, dilation {self.dilation}")
        kind = "max" if self.type == "maxpool" else "average"
        return f"{kind} pooling {k}, stride {self.stride}, padding {self.padding}"


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


@generator(id="conv_output", topic="cnn", goal="05.2", version=1,
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
            s.part(chr(ord("a") + i - 1), f"Layer {i} ({layer.describe()}): give its output height, "
                                          "width and number of channels, and its number of parameters.")
            flags = dict(plus_one=not s.mistake("missing_plus_one", "left out the +1 in the output-size formula"),
                         padding_twice=not (layer.padding and s.mistake(
                             "padding_once", "added the padding once; it is added on both sides (2p)")),
                         dilated=not (layer.dilation > 1 and s.mistake(
                             "dilation_ignored", "ignored the dilation; a dilated kernel spans d(k-1)+1 inputs")),
                         ceil=bool(s.mistake("ceil_instead_of_floor", "rounded up; the formula rounds down")))
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
                if s.mistake("bias_missing", "left out the bias: each filter has one"):
                    params = k2 * c0 * layer.filters
                elif s.mistake("input_channels_ignored",
                               "counted one kernel channel; each filter spans all input channels"):
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
        s.part(chr(ord("a") + len(g.layers)), "How many parameters does the network have in total?")
        s.step("total_params", sum(params_steps), r"\sum_i \text{params}_i",
               lambda: " + ".join(str(p) for p in params_steps), label="total parameters")


# ---------------------------------------------------------------------------------------------
# Shared helpers for the value-level questions (conv2d_values, pooling_values)


def _letters(i: int) -> str:
    return chr(ord("a") + i)


def _check_map(rows: list[list[float]], name: str, lo: int = 2, hi: int = 8) -> tuple[int, int]:
    """A rectangular matrix of finite numbers in [-1000, 1000]; returns its shape."""
    h, w = len(rows), len(rows[0]) if rows else 0
    if not (lo <= h <= hi and lo <= w <= hi) or any(len(r) != w for r in rows):
        raise ValueError(f"{name} must be a rectangular matrix with {lo} to {hi} rows and columns")
    if not all(abs(v) <= 1000 for r in rows for v in r):
        raise ValueError(f"the entries of {name} must be finite numbers in [-1000, 1000]")
    return h, w


def _dims(h: int, w: int) -> list[tuple[str, int, str]]:
    """Step prefixes: one size ('n') for a square map, height and width otherwise."""
    if h == w:
        return [("n", h, "side")]
    return [("h", h, "height"), ("w", w, "width")]


def _patches(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """The k×k windows of ``x`` at the given stride (floor convention), as an array of shape
    (k*k, rows, cols): entry [u*k + v, i, j] is x[i*stride + u, j*stride + v]."""
    rows, cols = (x.shape[0] - k) // stride + 1, (x.shape[1] - k) // stride + 1
    return np.array([x[u:u + stride * (rows - 1) + 1:stride, v:v + stride * (cols - 1) + 1:stride]
                     for u in range(k) for v in range(k)])


def _pad(x: np.ndarray, p: int) -> np.ndarray:
    """``x`` with p zeros on every side."""
    if not p:
        return x
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p))
    out[p:p + x.shape[0], p:p + x.shape[1]] = x
    return out


def _whole(values) -> bool:
    return all(float(v).is_integer() for v in values)


# ---------------------------------------------------------------------------------------------


class Conv2dGivens(Givens):
    x: list[list[float]] = Field(min_length=2, max_length=8,
                                 description="single-channel input, a list of rows (2 to 8 each way)")
    kernel: list[list[float]] = Field(min_length=1, max_length=5, description="k×k kernel, a list of rows")
    bias: float = Field(ge=-1000, le=1000)
    stride: int = Field(1, ge=1, le=5)
    padding: int = Field(0, ge=0, le=4, description="zeros added on every side")
    relu: bool = Field(False, description="apply ReLU after adding the bias")

    @model_validator(mode="after")
    def _shapes(self):
        h, w = _check_map(self.x, "x")
        k = len(self.kernel)
        if any(len(r) != k for r in self.kernel):
            raise ValueError("the kernel must be square: k rows of k entries")
        if not all(abs(v) <= 1000 for r in self.kernel for v in r):
            raise ValueError("the kernel entries must be finite numbers in [-1000, 1000]")
        if min(h, w) + 2 * self.padding < k:
            raise ValueError("the kernel is larger than the padded input")
        return self


# (input side, kernel, stride, padding): outputs of 2×2 to 3×3 with at most 81 multiplications
_CONV_SETUPS = [
    (4, 3, 1, 0), (5, 3, 2, 0), (5, 3, 2, 1), (6, 3, 2, 0), (6, 3, 3, 0), (4, 3, 2, 1),
    (5, 3, 1, 0), (6, 3, 2, 1), (4, 2, 2, 0), (4, 2, 1, 0), (5, 2, 2, 0), (6, 2, 2, 0),
    (5, 2, 2, 1), (4, 2, 2, 1),
]


_KERNEL_VALUES = np.array([-1, -1, 0, 0, 1, 1, 2])


def correlate(x: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """Cross-correlation of a zero-padded map with a square kernel (no bias)."""
    return (kernel.reshape(-1, 1, 1) * _patches(_pad(x, padding), kernel.shape[0], stride)).sum(axis=0)


@generator(id="conv2d_values", topic="cnn", goal="05.2", version=1,
           title="Values of a convolutional layer's output")
class Conv2dValues(Generator):
    """One input channel, one filter: padded size, output size, output map (+ bias), optional ReLU."""

    Givens = Conv2dGivens

    def draw(self, rng):
        while True:
            n, k, st, p = pick(rng, _CONV_SETUPS)
            low, high = pick(rng, [(0, 4), (0, 5), (0, 3), (-2, 3)])
            x = rng.integers(low, high + 1, size=(n, n))
            kern = _KERNEL_VALUES[rng.integers(0, len(_KERNEL_VALUES), size=(k, k))]
            if np.count_nonzero(kern) < 2 or np.array_equal(kern, kern[::-1, ::-1]):
                continue  # a symmetric kernel hides the difference between correlation and convolution
            if np.count_nonzero(x) < n * n // 2:
                continue
            bias = int(pick(rng, [-3, -2, -1, 1, 2, 3]))
            relu = bool(rng.random() < 0.5)
            z = correlate(x.astype(float), kern.astype(float), st, p) + bias
            flipped = correlate(x.astype(float), kern[::-1, ::-1].astype(float), st, p) + bias
            if np.count_nonzero(z != flipped) < 2:
                continue
            if (z == z.flat[0]).all():
                continue
            if relu and not ((z < 0).any() and (z > 0).any()):
                continue  # the ReLU must change something and leave something
            return Conv2dGivens(x=x.tolist(), kernel=kern.tolist(), bias=bias, stride=st, padding=p, relu=relu)

    def figure(self, g):
        caption = "X padded" if g.padding else "X"
        return grids([(caption, g.x, g.padding), ("K", g.kernel, 0)], ["⋆"],
                     label="the input map and the kernel")

    def stem(self, g):
        h, w = len(g.x), len(g.x[0])
        k = len(g.kernel)
        whole = _whole([v for r in g.x + g.kernel for v in r] + [g.bias])
        act = (r"applies the ReLU, $a_{ij} = \max(0, z_{ij})$" if g.relu
               else "has no activation function")
        return (
            f"A convolutional layer has one input channel and one filter. Its input is the ${h} \\times {w}$ map "
            f"$X$, the filter is the ${k} \\times {k}$ kernel $K$ with bias $b = {num(g.bias)}$:"
            "\n\n"
            rf"$$X = {mat(g.x)}, \qquad K = {mat(g.kernel)}$$"
            "\n\n"
            f"The layer uses stride $s = {g.stride}$ in both directions and "
            + (f"zero padding $p = {g.padding}$ ({g.padding} row{'s' if g.padding > 1 else ''} and "
               f"column{'s' if g.padding > 1 else ''} of zeros on every side of $X$, giving the padded input "
               r"$\tilde X$)" if g.padding else r"no padding ($p = 0$, so the padded input $\tilde X$ is $X$)")
            + r". As in deep learning frameworks (PyTorch's "
            r"Conv2d) it computes the cross-correlation, without flipping the kernel: with indices from 1,"
            "\n\n"
            r"$$z_{ij} = b + \sum_{u=1}^{k}\sum_{v=1}^{k} K_{uv}\, \tilde X_{s(i-1)+u,\ s(j-1)+v}$$"
            "\n\n"
            f"for every position where the kernel fits entirely inside $\\tilde X$ (windows that would stick out "
            f"are dropped). After adding the bias, the layer {act}. "
            + ("All values are whole numbers." if whole else "Give values to 3 decimals.")
        )

    def solve(self, s: Steps, g: Conv2dGivens):
        x = np.array(g.x, dtype=float)
        kern = np.array(g.kernel, dtype=float)
        h, w = x.shape
        k, st, p = kern.shape[0], g.stride, g.padding
        dims = _dims(h, w)

        s.part("a", "Give the size of the zero-padded input $\\tilde X$ and the size of the output map $Z$"
                    + (" (one number each: both maps are square)." if len(dims) == 1 else " (height and width)."))
        padded = {}
        for d, n, what in dims:
            if p and s.mistake("padding_forgotten", "left out the padding: the kernel slides over the "
                                                    "input with p zeros added on every side"):
                v = n
            elif p and s.mistake("padding_once", "added the padding once; it is added on both sides (2p)"):
                v = n + p
            else:
                v = n + 2 * p
            padded[d] = s.step(f"{d}_pad", v, r"\tilde n = n + 2p", lambda n=n: rf"{n} + 2 \cdot {p}",
                               label=f"{what} of the padded input $\\tilde X$")
        for d, n, what in dims:
            npad = padded[d]
            if st > 1 and s.mistake("stride_ignored", "ignored the stride: the kernel moves s positions "
                                                      "at a time, so only every s-th window is kept"):
                v = npad - k + 1
            elif s.mistake("missing_plus_one", "left out the +1: the first window is at position 1, then "
                                               "one more for every s steps"):
                v = (npad - k) // st
            else:
                v = (npad - k) // st + 1
            s.step(f"{d}_out", v, r"n_{out} = \left\lfloor \frac{\tilde n - k}{s} \right\rfloor + 1",
                   lambda npad=npad: rf"\left\lfloor \frac{{{npad} - {k}}}{{{st}}} \right\rfloor + 1",
                   label=f"{what} of the output $Z$", answer=True)

        s.part("b", "Compute the output map $Z$ (with the bias" + (", before the ReLU)." if g.relu else ")."))
        if s.mistake("flipped_kernel", "flipped the kernel (true convolution); CNN layers compute the "
                                       "cross-correlation, with the kernel as given"):
            used = kern[::-1, ::-1]
        else:
            used = kern
        if g.bias and s.mistake("bias_forgotten", "left out the bias b, which is added to every output"):
            bias = 0.0
        else:
            bias = g.bias
        z = correlate(x, used, st, p) + bias
        z = s.step("z", z, r"z_{ij} = b + \sum_{u,v} K_{uv}\, \tilde X_{s(i-1)+u,\ s(j-1)+v}",
                   lambda: self._work(x, kern, g), label="$Z$", answer=True)

        if g.relu:
            s.part("c", "Apply the ReLU: give $A = \\max(0, Z)$.")
            if s.mistake("relu_forgotten", "left out the ReLU: negative outputs become 0"):
                a = z
            else:
                a = np.maximum(z, 0.0)
            s.step("a", a, r"a_{ij} = \max(0, z_{ij})", lambda: rf"\max\left(0, {mat(z)}\right)", label="$A$")

    @staticmethod
    def _work(x: np.ndarray, kern: np.ndarray, g: Conv2dGivens) -> str:
        """The first output entry written out (terms with a zero kernel entry left out)."""
        xp = _pad(x, g.padding)
        k = kern.shape[0]
        terms = "".join(rf" + {par(kern[u, v])} \cdot {par(xp[u, v])}"
                        for u in range(k) for v in range(k) if kern[u, v])
        first = rf"z_{{11}} = {num(g.bias)}{terms}, \ \dots"
        return first + (rf" \text{{ with }} \tilde X = {mat(xp)}" if g.padding else "")


# ---------------------------------------------------------------------------------------------


class PoolingGivens(Givens):
    x: list[list[float]] = Field(min_length=2, max_length=8,
                                 description="one channel of the feature map, a list of rows")
    pool: Literal["max", "average"]
    kernel: int = Field(ge=1, le=5, description="window size k (k×k)")
    stride: int = Field(ge=1, le=5)
    channels: int = Field(1, ge=1, le=4096, description="channels of the whole feature map")

    @model_validator(mode="after")
    def _fits(self):
        h, w = _check_map(self.x, "x")
        if self.kernel > min(h, w):
            raise ValueError("the pooling window is larger than the map")
        return self


# (map side, window, stride): outputs of 2×2 or 3×3, some not tiling the map
_POOL_SETUPS = [(4, 2, 2), (4, 2, 2), (6, 2, 2), (6, 2, 2), (5, 2, 2), (4, 2, 1), (4, 3, 1),
                (5, 3, 2), (6, 3, 3), (6, 3, 2), (5, 3, 1), (6, 4, 2)]


def pool_map(x: np.ndarray, kind: str, k: int, stride: int) -> np.ndarray:
    win = _patches(x, k, stride)
    return win.max(axis=0) if kind == "max" else win.mean(axis=0)


@generator(id="pooling_values", topic="cnn", goal="05.5", version=1, title="Max and average pooling")
class PoolingValues(Generator):
    """A small map through max or average pooling: output size, number of values, pooled map."""

    Givens = PoolingGivens

    def draw(self, rng):
        while True:
            n, k, st = pick(rng, _POOL_SETUPS)
            kind = pick(rng, ["max", "average"])
            low, high = pick(rng, [(0, 9), (-3, 6), (0, 6)])
            x = rng.integers(low, high + 1, size=(n, n)).astype(float)
            win = _patches(x, k, st)
            top = win.max(axis=0)
            if (top == win.min(axis=0)).any():
                continue  # a constant window has the same max and average
            if (top == top.flat[0]).all():
                continue
            return PoolingGivens(x=x.tolist(), pool=kind, kernel=k, stride=st,
                                 channels=pick(rng, [8, 16, 32, 64, 3, 6]))

    def figure(self, g):
        return grids([("one channel of X", g.x, 0)], label="the feature map")

    def stem(self, g):
        h, w = len(g.x), len(g.x[0])
        whole = _whole([v for r in g.x for v in r])
        prec = ("Give values to 3 decimals." if g.pool == "average" or not whole
                else "All values are whole numbers.")
        kind = "maximum" if g.pool == "max" else "average (mean)"
        return (
            f"A feature map of size $H \\times W \\times C = {h} \\times {w} \\times {g.channels}$ goes through "
            f"a {g.pool} pooling layer with a ${g.kernel} \\times {g.kernel}$ window and stride {g.stride} "
            "in both directions, without padding. Each channel is pooled separately: every output value is the "
            f"{kind} of one window. As in PyTorch, windows that would stick out of the map are dropped "
            f"(the output size is rounded down). One channel of the map is"
            "\n\n"
            rf"$$X = {mat(g.x)}$$"
            "\n\n" + prec
        )

    def solve(self, s: Steps, g: PoolingGivens):
        x = np.array(g.x, dtype=float)
        h, w = x.shape
        k, st = g.kernel, g.stride
        dims = _dims(h, w)
        s.part("a", "Give the size of the pooled output of one channel"
                    + (" (it is square: one number)" if len(dims) == 1 else " (height and width)")
                    + ", and the number of values in the whole pooled output (all channels).")
        outs = []
        for d, n, what in dims:
            if st > 1 and s.mistake("stride_ignored", "ignored the stride: the window moves s positions at "
                                                      "a time"):
                v = n - k + 1
            elif (n - k) % st and s.mistake("ceil_instead_of_floor", "rounded up; windows that do not fit "
                                                                    "are dropped, so the size rounds down"):
                v = -((k - n) // st) + 1
            elif s.mistake("missing_plus_one", "left out the +1 in the output-size formula"):
                v = (n - k) // st
            else:
                v = (n - k) // st + 1
            outs.append(s.step(f"{d}_out", v, r"n_{out} = \left\lfloor \frac{n - k}{s} \right\rfloor + 1",
                               lambda n=n: rf"\left\lfloor \frac{{{n} - {k}}}{{{st}}} \right\rfloor + 1",
                               label=f"{what} of the pooled output", answer=True))
        ho, wo = outs[0], outs[-1]
        if g.channels > 1 and s.mistake("channels_forgotten", "counted one channel; pooling keeps all C "
                                                              "channels (each is pooled separately)"):
            count = ho * wo
        else:
            count = ho * wo * g.channels
        s.step("values", count, r"H_{out} \cdot W_{out} \cdot C",
               lambda: rf"{ho} \cdot {wo} \cdot {g.channels}", label="values in the pooled output", answer=True)

        s.part("b", f"Compute the {g.pool}-pooled output of the channel $X$ shown.")
        other = "average" if g.pool == "max" else "max"
        if s.mistake("wrong_pool_type", f"took the {other} of each window; this layer takes the {g.pool}"):
            kind = other
        else:
            kind = g.pool
        if g.pool == "average" and s.mistake("sum_instead_of_mean", f"summed each window; average pooling "
                                                                     f"divides the sum by k² = {k * k}"):
            y = _patches(x, k, st).sum(axis=0)
        else:
            y = pool_map(x, kind, k, st)
        s.step("y", y, self._formula(g), lambda: self._work(x, g), label="pooled output $Y$")

    @staticmethod
    def _formula(g: PoolingGivens) -> str:
        entry = r"x_{s(i-1)+u,\ s(j-1)+v}"
        if g.pool == "max":
            return rf"y_{{ij}} = \max_{{1 \le u, v \le k}} {entry}"
        return rf"y_{{ij}} = \frac{{1}}{{k^2}} \sum_{{u=1}}^{{k}} \sum_{{v=1}}^{{k}} {entry}"

    @staticmethod
    def _work(x: np.ndarray, g: PoolingGivens) -> str:
        first = x[:g.kernel, :g.kernel]
        vals = ", ".join(num(v) for v in first.ravel())
        if g.pool == "max":
            return rf"y_{{11}} = \max({vals}), \ \dots"
        return rf"y_{{11}} = \frac{{{' + '.join(par(v) for v in first.ravel())}}}{{{g.kernel ** 2}}}, \ \dots"


# ---------------------------------------------------------------------------------------------


class RFLayer(BaseModel):
    """A layer as far as receptive fields go: padding and channels do not matter."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["conv", "maxpool", "avgpool"]
    kernel: int = Field(ge=1, le=15)
    stride: int = Field(1, ge=1, le=8)
    dilation: int = Field(1, ge=1, le=32)

    @model_validator(mode="after")
    def _pool_not_dilated(self):
        if self.type != "conv" and self.dilation != 1:
            raise ValueError("pooling layers here have dilation 1")
        return self

    def describe(self) -> str:
        k = f"{self.kernel}×{self.kernel}"
        if self.type == "conv":
            return f"{k} convolution, stride {self.stride}, dilation {self.dilation}"
        kind = "max" if self.type == "maxpool" else "average"
        return f"{k} {kind} pooling, stride {self.stride}"


class ReceptiveFieldGivens(Givens):
    layers: list[RFLayer] = Field(min_length=1, max_length=8)


def receptive_fields(layers: list[RFLayer]) -> list[tuple[int, int, int]]:
    """(effective kernel, receptive field, jump) after each layer: r_i = r_{i-1} + (k̂_i - 1) j_{i-1}."""
    out, r, j = [], 1, 1
    for layer in layers:
        ke = layer.dilation * (layer.kernel - 1) + 1
        r, j = r + (ke - 1) * j, j * layer.stride
        out.append((ke, r, j))
    return out


@generator(id="receptive_field", topic="cnn", goal="05.3", version=1,
           title="Theoretical receptive field with dilated and strided layers")
class ReceptiveField(Generator):
    """A stack of (dilated) convolutions and pooling layers: effective kernel sizes, jumps and the
    theoretical receptive field after every layer."""

    Givens = ReceptiveFieldGivens

    def draw(self, rng):
        while True:
            layers: list[RFLayer] = []
            style = pick(rng, ["context", "context", "mixed", "mixed", "mixed"])
            if style == "context":  # a context module: 3×3 convs with dilation growing by 2 each layer
                if rng.random() < 0.4:
                    layers.append(pick(rng, [RFLayer(type="conv", kernel=3, stride=2),
                                             RFLayer(type="maxpool", kernel=2, stride=2)]))
                start = pick(rng, [1, 1, 2])
                for i in range(pick(rng, [3, 3, 4]) - (len(layers) and 1)):
                    layers.append(RFLayer(type="conv", kernel=3, dilation=start * 2 ** i))
            else:
                for _ in range(pick(rng, [3, 3, 4])):
                    if rng.random() < 0.3:
                        k, st = pick(rng, [(2, 2), (2, 2), (3, 2)])
                        layers.append(RFLayer(type=pick(rng, ["maxpool", "avgpool"]), kernel=k, stride=st))
                    else:
                        layers.append(RFLayer(type="conv", kernel=pick(rng, [3, 3, 3, 5]),
                                              stride=pick(rng, [1, 1, 2]), dilation=pick(rng, [1, 1, 2, 3])))
                if not any(lay.stride > 1 for lay in layers[:-1]):
                    continue  # the jump must matter somewhere
            if not any(lay.dilation > 1 for lay in layers):
                continue
            if receptive_fields(layers)[-1][1] > 80:
                continue
            return ReceptiveFieldGivens(layers=layers)

    def figure(self, g):
        blocks = [("Input", "1 channel")]
        for i, layer in enumerate(g.layers, 1):
            kind = "conv" if layer.type == "conv" else ("max pool" if layer.type == "maxpool" else "avg pool")
            blocks.append((f"{i}: {kind} {layer.kernel}×{layer.kernel}", f"stride {layer.stride}\ndilation {layer.dilation}"))
        return layer_stack(blocks)

    def stem(self, g):
        lines = "\n".join(f"- Layer {i}: {layer.describe()}" for i, layer in enumerate(g.layers, 1))
        return (
            "A CNN applies these layers, in order, to a one-channel input image:\n\n" + lines + "\n\n"
            "The theoretical receptive field $r$ of a unit is the side, in input pixels, of the square "
            "input region that can affect its value (an input pixel has $r_0 = 1$). A kernel of size $k$ "
            "with dilation $d$ takes its $k$ inputs $d$ pixels apart (dilation 1 is an ordinary kernel). "
            "The jump $j$ of a layer's output is the distance, in input pixels, between the centres of the "
            "receptive fields of two neighbouring output units (the input has $j_0 = 1$). Padding does not "
            "change receptive fields, and pooling windows count like kernels. All answers are whole numbers."
        )

    def solve(self, s: Steps, g: ReceptiveFieldGivens):
        r, j = 1, 1
        last = len(g.layers)
        for i, layer in enumerate(g.layers, 1):
            k, d, st = layer.kernel, layer.dilation, layer.stride
            wants = (["the effective size $\\hat k$ of its dilated kernel"] if d > 1 else []) + \
                    ["the theoretical receptive field $r$ of one of its output units"] + \
                    (["the jump $j$ of its output"] if st > 1 and i < last else [])
            s.part(_letters(i - 1), f"Layer {i} ({layer.describe()}): give "
                   + (", ".join(wants[:-1]) + " and " + wants[-1] if len(wants) > 1 else wants[0]) + ".")
            if d > 1:
                if s.mistake("k_times_d", "took k·d as the effective kernel size; a dilated kernel spans "
                                          "d(k-1)+1 inputs (its k taps are d apart)"):
                    ke = k * d
                elif s.mistake("dilation_ignored", "ignored the dilation; a dilated kernel spans d(k-1)+1 inputs"):
                    ke = k
                else:
                    ke = d * (k - 1) + 1
                ke = s.step(f"k_eff{i}", ke, r"\hat k = d(k-1) + 1", rf"{d} \cdot ({k} - 1) + 1",
                            label=rf"$\hat k$ of layer {i}")
            else:
                ke = k
            r0, j0 = r, j
            if i > 1 and s.mistake("adds_k", "added the kernel size k; a new layer widens the field by "
                                             "(k-1)·jump, because neighbouring windows overlap in k-1 positions"):
                r = r0 + ke * j0
            elif j0 > 1 and s.mistake("jump_ignored", "added k-1 without the jump: after a strided layer "
                                                      "neighbouring units are j input pixels apart"):
                r = r0 + ke - 1
            elif st > 1 and s.mistake("own_stride_in_jump", "used the jump after this layer's own stride; "
                                                            "its kernel moves over the previous layer's output, "
                                                            "whose jump is the previous one"):
                r = r0 + (ke - 1) * j0 * st
            else:
                r = r0 + (ke - 1) * j0
            r = s.step(f"rf{i}", r, rf"r_{{{i}}} = r_{{{i - 1}}} + (\hat k_{{{i}}} - 1)\, j_{{{i - 1}}}",
                       lambda r0=r0, ke=ke, j0=j0: rf"{r0} + ({ke} - 1) \cdot {j0}",
                       label=f"receptive field $r_{{{i}}}$", answer=True)
            if st > 1 and i < last:
                if j0 > 1 and s.mistake("jump_not_cumulative", "took the stride alone as the jump; strides "
                                                              "multiply: the new jump is the previous jump times s"):
                    jn = st
                else:
                    jn = j0 * st
                j = s.step(f"jump{i}", jn, rf"j_{{{i}}} = j_{{{i - 1}}} \cdot s_{{{i}}}",
                           lambda j0=j0: rf"{j0} \cdot {st}", label=f"jump $j_{{{i}}}$")


# ---------------------------------------------------------------------------------------------


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


@generator(id="separable_params", topic="cnn", goal="05.6", version=1,
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
        bias_why = "left out the biases: every filter (and every dense unit) has one"

        s.part("a", "How many parameters does one filter of the standard convolutional layer have, and how "
                    "many does the whole layer have?")
        if b and s.mistake("bias_forgotten", bias_why):
            v = k * k * ci
        elif s.mistake("input_channels_ignored", "counted one k×k kernel per filter; a standard filter "
                                                 "spans all the input channels"):
            v = k * k + b
        else:
            v = k * k * ci + b
        per_filter = s.step("per_filter", v,
                            r"k \cdot k \cdot C_{in} + 1" if b else r"k \cdot k \cdot C_{in}",
                            rf"{k} \cdot {k} \cdot {ci}" + (" + 1" if b else ""), label="parameters of one filter")
        standard = s.step("standard", per_filter * co, r"(\text{one filter}) \cdot C_{out}",
                          lambda: rf"{per_filter} \cdot {co}", label="standard convolution", answer=True)

        s.part("b", "How many parameters do the depthwise convolution, the pointwise convolution and the "
                    "whole depthwise separable convolution have?")
        if b and s.mistake("bias_forgotten", bias_why):
            v = k * k * ci
        elif s.mistake("depthwise_full", "counted depthwise filters spanning all input channels; each "
                                         "depthwise filter sees only its own channel"):
            v = (k * k * ci + b) * ci
        else:
            v = (k * k + b) * ci
        dw = s.step("depthwise", v, *self._count([r"k \cdot k", "C_{in}"], [rf"{k} \cdot {k}", str(ci)], b),
                    label="depthwise convolution")
        if b and s.mistake("bias_forgotten", bias_why):
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

        s.part("c", "How many times more parameters does the standard convolution have than the depthwise "
                    "separable one? Give the ratio to 3 significant figures.")
        if s.mistake("ratio_inverted", "divided the other way round: the question asks standard / separable"):
            ratio = separable / standard if standard else math.nan
        else:
            ratio = standard / separable if separable else math.nan
        s.step("ratio", ratio, r"\frac{\text{standard}}{\text{separable}}",
               lambda: rf"\frac{{{standard}}}{{{separable}}}", label="ratio", tol=Tolerance.significant(3))

        s.part("d", "How many parameters does each head have: (i) flatten + dense, (ii) the compact head?")
        hwc = g.height * g.width * co
        if b and s.mistake("bias_forgotten", bias_why):
            v = hwc * n
        elif s.mistake("flatten_spatial_ignored", "counted one input per channel; the flattened map has "
                                                  "H·W·C inputs, each with its own weight to every class"):
            v = (co + b) * n
        else:
            v = (hwc + b) * n
        s.step("dense_head", v, *self._count([r"H \cdot W \cdot C", "N"],
                                             [rf"{g.height} \cdot {g.width} \cdot {co}", str(n)], b),
               label="flatten + dense head", answer=True)
        if b and s.mistake("bias_forgotten", bias_why):
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
