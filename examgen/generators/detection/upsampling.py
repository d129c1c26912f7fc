"""Unpooling and transposed convolution for segmentation."""

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat
from ...registry import Generator, Givens, generator
from ...render.figures import grids
from ...steps import Steps
from .._draw import Draws
from .._mistakes import KERNEL_FLIPPED

UpMethod = Literal["nearest", "bed_of_nails"]


class UpsamplingGivens(Givens):
    x: list[list[float]] = Field(min_length=2, max_length=8,
                                 description="the feature map before 2x2 max pooling (even height and width)")
    method: UpMethod = Field(description="the fixed 2x upsampling asked for: nearest or bed_of_nails")
    kernel: list[list[float]] = Field(min_length=1, max_length=4, description="the transposed convolution's kernel")
    stride: int = Field(ge=1, le=4)
    padding: int = Field(0, ge=0, le=3)

    @model_validator(mode="after")
    def _consistent(self):
        x = np.array(self.x, dtype=float) if all(len(r) == len(self.x[0]) for r in self.x) else None
        if x is None or x.shape[0] % 2 or x.shape[1] % 2 or x.shape[1] > 8 or not x.size:
            raise ValueError("x must be a rectangular map with an even number (2-8) of rows and columns")
        if np.abs(x).max() > 1000 or np.abs(self.kernel).max() > 1000:
            raise ValueError("values must lie in [-1000, 1000]")
        blocks = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).transpose(0, 2, 1, 3).reshape(-1, 4)
        if any(int((b == b.max()).sum()) > 1 for b in blocks):
            raise ValueError("every 2x2 pooling window needs a unique maximum (else the switch is ambiguous)")
        k = len(self.kernel)
        if any(len(r) != k for r in self.kernel):
            raise ValueError("the kernel must be square")
        n = min(x.shape) // 2
        if (n - 1) * self.stride - 2 * self.padding + k < 1:
            raise ValueError("the transposed convolution's padding leaves no output")
        return self


def _switches(x: np.ndarray) -> np.ndarray:
    """A 0/1 map with a 1 at the position of each 2x2 window's maximum."""
    h, w = x.shape
    blocks = x.reshape(h // 2, 2, w // 2, 2)
    m = (blocks == blocks.max(axis=(1, 3), keepdims=True)).astype(float)
    return m.reshape(h, w)


def _conv_transpose(p, k, stride, pad, summed: bool = True) -> np.ndarray:
    """Scatter each input value times the kernel into the output at offset stride*(i, j), then crop
    ``pad`` from every border; ``summed=False`` overwrites overlaps instead (a mistake)."""
    p, k = np.asarray(p, dtype=float), np.asarray(k, dtype=float)
    (h, w), n = p.shape, k.shape[0]
    full = np.zeros(((h - 1) * stride + n, (w - 1) * stride + n))
    for i in range(h):
        for j in range(w):
            view = full[i * stride:i * stride + n, j * stride:j * stride + n]
            if summed:
                view += p[i, j] * k
            else:
                view[...] = p[i, j] * k
    return full[pad:full.shape[0] - pad, pad:full.shape[1] - pad]


def _up_nearest(p) -> np.ndarray:
    return np.repeat(np.repeat(np.asarray(p, dtype=float), 2, axis=0), 2, axis=1)


def _up_nails(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    out = np.zeros((2 * p.shape[0], 2 * p.shape[1]))
    out[::2, ::2] = p
    return out


@generator(id="upsampling", topic="detection", goal="09.11", version=2,
           title="Unpooling and transposed convolution for segmentation")
class Upsampling(Generator):
    """A 4x4 map is max-pooled 2x2; the pooled map is upsampled by nearest neighbour or bed of
    nails, by max-unpooling with the remembered switches, and by a transposed convolution."""

    Givens = UpsamplingGivens

    def draw(self, rng):
        r = Draws(rng)
        while True:
            # four 2x2 windows of distinct digits with distinct maxima, at least two of them away from
            # the window's top-left corner (else max-unpooling looks like bed of nails)
            blocks = []
            for m in r.sample(range(3, 10), 4):
                b = r.sample(range(m), 3)
                b.insert(r.int(0, 4), m)
                blocks.append(b)
            if sum(b[0] == max(b) for b in blocks) <= 2:
                break
        x = [[0.0] * 4 for _ in range(4)]
        for n, b in enumerate(blocks):
            i, j = 2 * (n // 2), 2 * (n % 2)
            x[i][j], x[i][j + 1], x[i + 1][j], x[i + 1][j + 1] = map(float, b)
        k, stride, pad = r.pick(((3, 2, 0), (3, 2, 0), (3, 2, 1), (3, 1, 0), (3, 1, 1), (2, 1, 0), (2, 2, 0)))
        while True:
            kern = [[float(r.int(-1, 3)) for _ in range(k)] for _ in range(k)]
            flat = [v for rw in kern for v in rw]
            if sum(v != 0 for v in flat) >= k * k - 2 and flat != flat[::-1] and len(set(flat)) > 1:
                break
        return UpsamplingGivens.model_construct(x=x, method=r.pick(("nearest", "bed_of_nails")), kernel=kern,
                                                stride=stride, padding=pad)

    def figure(self, g):
        return grids([("X", g.x, 0), ("kernel K", g.kernel, 0)], ["  "],
                     label="the input map and the kernel")

    def stem(self, g):
        h, w = len(g.x), len(g.x[0])
        up = ("nearest-neighbour upsampling by 2 (each value is copied into its 2×2 block)"
              if g.method == "nearest" else
              "bed-of-nails upsampling by 2 (each value goes to the top-left position of its 2×2 block, "
              "the other three positions are 0)")
        return (
            "In an encoder-decoder network for semantic segmentation, the encoder max-pools the feature map\n\n"
            f"$$X = {mat(g.x)}$$\n\n"
            "with 2×2 windows and stride 2, and remembers the position of each window's maximum (the "
            "switches). The decoder upsamples the pooled map $P$ in several ways:\n\n"
            f"- {up};\n"
            "- max-unpooling: each value of $P$ goes back to the position its maximum came from in $X$ "
            "(its switch); all other positions are 0;\n"
            f"- a transposed convolution with the kernel $K = {mat(g.kernel)}$, stride {g.stride} and padding "
            f"{g.padding}: each input value $P_{{ij}}$ multiplies the whole kernel, which is added into the "
            f"output with its top-left corner at row {g.stride}i, column {g.stride}j (counting from 0); "
            "overlapping contributions are summed and the kernel is not flipped; "
            + (f"the padding removes {g.padding} row{'s' if g.padding > 1 else ''} and "
               f"column{'s' if g.padding > 1 else ''} at every border of the result"
               if g.padding else "with padding 0 nothing is removed from the result")
            + " (PyTorch's ConvTranspose2d, no output padding).\n\n"
            f"The input $X$ is {h}×{w}."
        )

    def solve(self, s: Steps, g: UpsamplingGivens):
        x = np.array(g.x, dtype=float)
        h, w = x.shape
        s.part("Compute the max-pooled map $P$ (2×2 windows, stride 2).")
        blocks = x.reshape(h // 2, 2, w // 2, 2)
        p = s.step("pool", blocks.max(axis=(1, 3)), r"P_{ij} = \max_{a, b \in \{0, 1\}} X_{2i+a,\, 2j+b}",
                   label="$P$")

        nails = g.method == "bed_of_nails"
        name = "bed of nails" if nails else "nearest neighbour"
        s.part(f"Upsample $P$ by 2 with {name}.")
        if s.mistake("nearest_vs_bed_of_nails", "mixed up the two: nearest neighbour copies each value into "
                                                "its whole 2×2 block, bed of nails puts it in the top-left "
                                                "position and zeros elsewhere"):
            nails = not nails
        up = _up_nails(p) if nails else _up_nearest(p)
        s.step("up", up, r"U_{2i+a,\, 2j+b} = P_{ij}\,[a = b = 0]" if g.method == "bed_of_nails"
               else r"U_{2i+a,\, 2j+b} = P_{ij}", label=f"{name} output")

        s.part("Max-unpool $P$ with the switches remembered from the pooling.")
        sw = _switches(x)
        if s.mistake("unpool_to_top_left", "put each value in the top-left corner of its window (bed of "
                                           "nails); max-unpooling puts it where the maximum was"):
            unpool = _up_nails(p)
        else:
            unpool = _up_nearest(p) * sw
        switches = [f"({2 * i + a}, {2 * j + b})" for i in range(h // 2) for j in range(w // 2)
                    for a in range(2) for b in range(2) if sw[2 * i + a, 2 * j + b]]
        s.step("unpool", unpool, r"\text{value } P_{ij} \text{ at the switch of window } (i, j)",
               lambda: r"\text{switches (row, column): } " + ", ".join(switches), label="max-unpooled map")

        k, st, pad = len(g.kernel), g.stride, g.padding
        n_in = h // 2
        s.part("Apply the transposed convolution to $P$: give the output height and the output.")
        if pad and s.mistake("padding_added", "added the padding; in a transposed convolution the padding "
                                              "is removed from the output: (n - 1)s - 2p + k"):
            size = (n_in - 1) * st + 2 * pad + k
        else:
            size = (n_in - 1) * st - 2 * pad + k
        s.step("size", int(size), r"n_{out} = (n_{in} - 1)\,s - 2p + k",
               lambda: rf"({n_in} - 1) \cdot {st} - 2 \cdot {pad} + {k}", label="output height")
        kern = np.array(g.kernel, dtype=float)
        summed = not (k > st and s.mistake("overlap_not_summed", "overwrote overlapping contributions; a "
                                                                 "transposed convolution sums them"))
        if s.mistake(KERNEL_FLIPPED):
            kern = kern[::-1, ::-1]
        s.step("tconv", _conv_transpose(p, kern, st, pad, summed),
               r"Y_{s i + a - p,\, s j + b - p} \leftarrow Y_{s i + a - p,\, s j + b - p} + P_{ij} K_{ab}",
               (lambda: rf"\text{{crop {pad} from }} {mat(_conv_transpose(p, kern, st, 0))}") if pad else None,
               label="transposed-convolution output", answer=True)
