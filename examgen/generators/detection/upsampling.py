"""Unpooling and transposed convolution for segmentation (of a pooled map, any given map, or a 1-D signal)."""

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...render.figures import grids
from ...steps import Steps
from .._draw import Draws
from .._mistakes import KERNEL_FLIPPED

UpMethod = Literal["nearest", "bed_of_nails"]
Values = list[float] | list[list[float]]


def _array(v, name: str, max_side: int) -> np.ndarray:
    """A vector or a rectangular matrix of at most ``max_side`` entries per side, values in ±1000."""
    if v and isinstance(v[0], list):
        if any(len(r) != len(v[0]) for r in v) or not v[0]:
            raise ValueError(f"{name} must be rectangular")
    a = np.array(v, dtype=float)
    if not a.size or max(a.shape) > max_side:
        raise ValueError(f"{name} needs 1-{max_side} entries per side")
    if np.abs(a).max() > 1000:
        raise ValueError(f"{name}: values must lie in [-1000, 1000]")
    return a


class UpsamplingGivens(Givens):
    x: list[list[float]] | None = Field(
        None, description="the feature map before 2x2 max pooling (even height and width); leave out to "
                          "ask the transposed convolution of 'input' only")
    method: UpMethod | None = Field(None, description="with x: the fixed 2x upsampling asked for, nearest or "
                                                      "bed_of_nails")
    input: Values | None = Field(None, description="the transposed convolution's input (a map or a 1-D signal); "
                                                   "without it, the pooled map of x")
    kernel: Values = Field(description="the transposed convolution's kernel (rectangular, or 1-D for a 1-D input)")
    stride: int = Field(ge=1, le=4)
    padding: int = Field(0, ge=0, le=3)

    @model_validator(mode="after")
    def _consistent(self):
        if self.x is None and self.input is None:
            raise ValueError("give x (a map to max-pool), input (the transposed convolution's input), or both")
        if (self.x is None) != (self.method is None):
            raise ValueError("method goes with x: give both or neither")
        if self.x is not None:
            x = _array(self.x, "x", 8)
            if x.ndim != 2 or x.shape[0] % 2 or x.shape[1] % 2:
                raise ValueError("x must be a rectangular map with an even number (2-8) of rows and columns")
            blocks = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).transpose(0, 2, 1, 3).reshape(-1, 4)
            if any(int((b == b.max()).sum()) > 1 for b in blocks):
                raise ValueError("every 2x2 pooling window needs a unique maximum (else the switch is ambiguous)")
        a = self.tconv_input
        k = _array(self.kernel, "kernel", 5)
        if k.ndim != a.ndim:
            raise ValueError(f"the kernel must be {'1-D' if a.ndim == 1 else '2-D'}, like the transposed "
                             "convolution's input")
        if any((n - 1) * self.stride - 2 * self.padding + kk < 1 for n, kk in zip(a.shape, k.shape)):
            raise ValueError("the transposed convolution's padding leaves no output")
        return self

    @property
    def tconv_input(self) -> np.ndarray:
        """The transposed convolution's input: ``input``, or the max-pooled ``x``."""
        if self.input is not None:
            return _array(self.input, "input", 12)
        x = np.array(self.x, dtype=float)
        return x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).max(axis=(1, 3))


def _switches(x: np.ndarray) -> np.ndarray:
    """A 0/1 map with a 1 at the position of each 2x2 window's maximum."""
    h, w = x.shape
    blocks = x.reshape(h // 2, 2, w // 2, 2)
    m = (blocks == blocks.max(axis=(1, 3), keepdims=True)).astype(float)
    return m.reshape(h, w)


def _conv_transpose(a, k, stride, pad, summed: bool = True) -> np.ndarray:
    """Scatter each input value times the kernel into the output at offset stride * index (any number
    of axes), then crop ``pad`` from every border; ``summed=False`` overwrites overlaps (a mistake)."""
    a, k = np.asarray(a, dtype=float), np.asarray(k, dtype=float)
    full = np.zeros([(n - 1) * stride + kk for n, kk in zip(a.shape, k.shape)])
    for idx in np.ndindex(*a.shape):
        view = full[tuple(slice(i * stride, i * stride + kk) for i, kk in zip(idx, k.shape))]
        if summed:
            view += a[idx] * k
        else:
            view[...] = a[idx] * k
    return full[tuple(slice(pad, n - pad) for n in full.shape)]


def _up_nearest(p) -> np.ndarray:
    return np.repeat(np.repeat(np.asarray(p, dtype=float), 2, axis=0), 2, axis=1)


def _up_nails(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    out = np.zeros((2 * p.shape[0], 2 * p.shape[1]))
    out[::2, ::2] = p
    return out


def _whole(g: UpsamplingGivens) -> bool:
    """Are all the givens whole numbers (then every answer is one, given exactly)?"""
    values = [np.ravel(np.asarray(v, dtype=float)) for v in (g.x, g.input, g.kernel) if v is not None]
    return all(float(v).is_integer() for v in np.concatenate(values))


def _tol(g: UpsamplingGivens) -> Tolerance:
    return Tolerance.exact() if _whole(g) else Tolerance.places(3)


def _show(a) -> str:
    """A map as a matrix, a 1-D signal as a row."""
    return row(a) if np.ndim(a) == 1 else mat(a)


@generator(id="upsampling", topic="detection", goal="09.11", version=3,
           title="Unpooling and transposed convolution for segmentation")
class Upsampling(Generator):
    """A 4x4 map is max-pooled 2x2; the pooled map is upsampled by nearest neighbour or bed of
    nails, by max-unpooling with the remembered switches, and by a transposed convolution. Or a
    transposed convolution alone, of a given map (any size, rectangular kernels) or a 1-D signal."""

    Givens = UpsamplingGivens

    def draw(self, rng):
        r = Draws(rng)
        form = r.u()
        if form < 0.6:
            x, method, inp = self._draw_pooling(r), r.pick(("nearest", "bed_of_nails")), None
            shape = (2, 2)
        else:
            x = method = None
            shape = r.pick(((2, 2), (2, 3), (3, 2))) if form < 0.8 else (r.int(3, 5),)
            while True:
                inp = [float(r.int(-2, 4)) for _ in range(int(np.prod(shape)))]
                if sum(v != 0 for v in inp) >= len(inp) - 1 and len(set(inp)) > 1:
                    break
            inp = inp if len(shape) == 1 else [inp[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
        if len(shape) == 1:
            ks = (r.pick((2, 3, 3)),)
        else:
            ks = r.pick(((3, 3), (3, 3), (2, 2), (2, 3), (3, 2))) if x is None else r.pick(((3, 3), (3, 3), (2, 2), (2, 3)))
        while True:  # an output of at least 2 (after cropping) along every axis
            stride = r.pick((1, 2, 2))
            pad = r.pick((0, 0, 1))
            if all((n - 1) * stride - 2 * pad + k >= 2 for n, k in zip(shape, ks)):
                break
        while True:
            flat = [float(r.int(-1, 3)) for _ in range(int(np.prod(ks)))]
            if sum(v != 0 for v in flat) >= len(flat) - 2 and flat != flat[::-1] and len(set(flat)) > 1:
                break
        kern = flat if len(ks) == 1 else [flat[i * ks[1]:(i + 1) * ks[1]] for i in range(ks[0])]
        return UpsamplingGivens.model_construct(x=x, method=method, input=inp, kernel=kern, stride=stride, padding=pad)

    @staticmethod
    def _draw_pooling(r: Draws) -> list[list[float]]:
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
        return x

    def figure(self, g):
        first = ("X", g.x) if g.x is not None else ("input", g.input if isinstance(g.input[0], list) else [g.input])
        kernel = g.kernel if isinstance(g.kernel[0], list) else [g.kernel]
        panels = [(first[0], first[1], 0)]
        if g.x is not None and g.input is not None:
            panels.append(("input", g.input, 0))
        return grids(panels + [("kernel K", kernel, 0)], ["  "] * len(panels), label="the input map and the kernel")

    def stem(self, g):
        a = g.tconv_input
        one_d = a.ndim == 1
        name = "P" if g.input is None else ("a" if one_d else "A")
        entry = f"{name}_i" if one_d else f"{name}_{{ij}}"
        si, sj = (f"{g.stride}i", f"{g.stride}j") if g.stride > 1 else ("i", "j")
        where = (f"with its first entry at position {si} (counting from 0)" if one_d else
                 f"with its top-left corner at row {si}, column {sj} (counting from 0)")
        k = np.array(g.kernel, dtype=float)
        if one_d:
            size = f"$(n_{{in}} - 1) \\cdot {g.stride} + {k.shape[0]}$ entries"
        elif k.shape[0] == k.shape[1] and a.shape[0] == a.shape[1]:
            size = f"$(n_{{in}} - 1) \\cdot {g.stride} + {k.shape[0]}$ rows and columns"
        else:
            size = (f"$(h_{{in}} - 1) \\cdot {g.stride} + {k.shape[0]}$ rows and $(w_{{in}} - 1) \\cdot {g.stride} + "
                    f"{k.shape[1]}$ columns")
        cut = "entries at each end" if one_d else "rows and columns at every border"
        one = "entry at each end is" if one_d else "row and column at every border are"
        crop = (f"the padding crops it: {g.padding} {one if g.padding == 1 else cut + ' are'} removed"
                if g.padding else "with padding 0 nothing is cropped")
        tconv = (f"the kernel $K = {_show(g.kernel)}$, stride {g.stride} and padding {g.padding}: each input "
                 f"value ${entry}$ multiplies the whole kernel, which is added into the output {where}; "
                 "overlapping contributions are summed and the kernel is not flipped. "
                 f"Before cropping, the result has {size}; {crop} "
                 f"(PyTorch's convention for ConvTranspose{'1' if one_d else '2'}d, without output padding).")
        precision = "Give the values exactly (they are whole numbers)." if _whole(g) else "Give values to 3 decimals."
        if g.x is None:
            what = (f"the 1-D signal $a = {row(g.input)}$" if one_d else f"the feature map $$A = {mat(g.input)}$$")
            return (f"In the decoder of a segmentation network, a transposed convolution upsamples {what} with "
                    f"{tconv}\n\n{precision}")
        up = ("nearest-neighbour upsampling by 2 (each value is copied into its 2×2 block)"
              if g.method == "nearest" else
              "bed-of-nails upsampling by 2 (each value goes to the top-left position of its 2×2 block, "
              "the other three positions are 0)")
        h, w = len(g.x), len(g.x[0])
        other = (f" The transposed convolution is applied to the map $$A = {_show(g.input)}$$ (not to $P$)."
                 if g.input is not None else "")
        return (
            "In an encoder-decoder network for semantic segmentation, the encoder max-pools the feature map\n\n"
            f"$$X = {mat(g.x)}$$\n\n"
            "with 2×2 windows and stride 2, and remembers the position of each window's maximum (the "
            "switches). The decoder upsamples the pooled map $P$ in several ways:\n\n"
            f"- {up};\n"
            "- max-unpooling: each value of $P$ goes back to the position its maximum came from in $X$ "
            "(its switch); all other positions are 0;\n"
            f"- a transposed convolution with {tconv}\n\n"
            f"The input $X$ is {h}×{w}.{other} {precision}"
        )

    def solve(self, s: Steps, g: UpsamplingGivens):
        if g.x is not None:
            p = self._unpooling(s, g)
            a = p if g.input is None else g.tconv_input
        else:
            a = g.tconv_input
        a = np.asarray(a, dtype=float)
        one_d = a.ndim == 1
        kern = np.array(g.kernel, dtype=float)
        st, pad = g.stride, g.padding
        rect = not one_d and (a.shape[0] != a.shape[1] or kern.shape[0] != kern.shape[1])
        asked = "length" if one_d else ("height and width" if rect else "height")
        name = "P" if g.input is None else ("a" if one_d else "A")
        s.part(("Apply the transposed convolution to " + f"${name}$" if g.x is not None else
                "Apply the transposed convolution") + f": give the output {asked} and the output.")
        added = pad and s.mistake("padding_added", "added the padding; in a transposed convolution the padding "
                                                   "is removed from the output: (n - 1)s - 2p + k")
        sizes = []
        for axis, (step, label) in enumerate((("size", "output length" if one_d else "output height"),
                                              ("size_w", "output width"))[:2 if rect else 1]):
            n_in, k = a.shape[axis], kern.shape[axis]
            size = (n_in - 1) * st + (2 if added else -2) * pad + k
            sizes.append(s.step(step, int(size), r"n_{out} = (n_{in} - 1)\,s - 2p + k",
                                lambda n_in=n_in, k=k: rf"({n_in} - 1) \cdot {st} - 2 \cdot {pad} + {k}",
                                label=label))
        summed = not (max(kern.shape) > st and s.mistake(
            "overlap_not_summed", "overwrote overlapping contributions; a transposed convolution sums them"))
        if s.mistake(KERNEL_FLIPPED):
            kern = kern[::-1] if one_d else kern[::-1, ::-1]
        formula = (rf"y_{{s i + u - p}} \leftarrow y_{{s i + u - p}} + {name}_i K_u" if one_d else
                   rf"Y_{{s i + u - p,\, s j + v - p}} \leftarrow Y_{{s i + u - p,\, s j + v - p}} + {name}_{{ij}} K_{{uv}}")
        s.step("tconv", _conv_transpose(a, kern, st, pad, summed), formula,
               (lambda: rf"\text{{crop {pad} from }} {_show(_conv_transpose(a, kern, st, 0))}") if pad else None,
               label="transposed-convolution output", answer=True, tol=_tol(g))

    @staticmethod
    def _unpooling(s: Steps, g: UpsamplingGivens) -> np.ndarray:
        """Parts a-c: the pooled map, the fixed upsampling and max-unpooling; returns P."""
        x = np.array(g.x, dtype=float)
        h, w = x.shape
        s.part("Compute the max-pooled map $P$ (2×2 windows, stride 2).")
        blocks = x.reshape(h // 2, 2, w // 2, 2)
        p = s.step("pool", blocks.max(axis=(1, 3)), r"P_{ij} = \max_{a, b \in \{0, 1\}} X_{2i+a,\, 2j+b}",
                   label="$P$", tol=_tol(g))

        nails = g.method == "bed_of_nails"
        name = "bed of nails" if nails else "nearest neighbour"
        s.part(f"Upsample $P$ by 2 with {name}.")
        if s.mistake("nearest_vs_bed_of_nails", "mixed up the two: nearest neighbour copies each value into "
                                                "its whole 2×2 block, bed of nails puts it in the top-left "
                                                "position and zeros elsewhere"):
            nails = not nails
        up = _up_nails(p) if nails else _up_nearest(p)
        s.step("up", up, r"U_{2i+a,\, 2j+b} = P_{ij}\,[a = b = 0]" if g.method == "bed_of_nails"
               else r"U_{2i+a,\, 2j+b} = P_{ij}", label=f"{name} output", tol=_tol(g))

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
               lambda: r"\text{switches (row, column): } " + ", ".join(switches), label="max-unpooled map", tol=_tol(g))
        return p
