"""Values of a convolutional layer's output."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par
from ...registry import Generator, Givens, generator
from ...render.figures import grids
from ...steps import Steps
from .._draw import pick
from .._maths import output_size, relu
from .._mistakes import (BIAS_FORGOTTEN, KERNEL_FLIPPED, MISSING_PLUS_ONE, PADDING_ONCE, RELU_FORGOTTEN,
                         STRIDE_IGNORED)
from ._feature_maps import _check_map, _dims, _patches, _whole


def _pad(x: np.ndarray, p: int) -> np.ndarray:
    """``x`` with p zeros on every side."""
    if not p:
        return x
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p))
    out[p:p + x.shape[0], p:p + x.shape[1]] = x
    return out


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


@generator(id="conv2d_values", topic="cnn", goal="05.2", version=2,
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

        s.part("Give the size of the zero-padded input $\\tilde X$ and the size of the output map $Z$"
               + (" (one number each: both maps are square)." if len(dims) == 1 else " (height and width)."))
        padded = {}
        for d, n, what in dims:
            if p and s.mistake("padding_forgotten", "left out the padding: the kernel slides over the "
                                                    "input with p zeros added on every side"):
                v = n
            elif p and s.mistake(PADDING_ONCE):
                v = n + p
            else:
                v = n + 2 * p
            padded[d] = s.step(f"{d}_pad", v, r"\tilde n = n + 2p", lambda n=n: rf"{n} + 2 \cdot {p}",
                               label=f"{what} of the padded input $\\tilde X$")
        for d, n, what in dims:
            npad = padded[d]
            if st > 1 and s.mistake(STRIDE_IGNORED):
                v = npad - k + 1
            elif s.mistake(MISSING_PLUS_ONE):
                v = (npad - k) // st
            else:
                v = output_size(npad, k, st)
            s.step(f"{d}_out", v, r"n_{out} = \left\lfloor \frac{\tilde n - k}{s} \right\rfloor + 1",
                   lambda npad=npad: rf"\left\lfloor \frac{{{npad} - {k}}}{{{st}}} \right\rfloor + 1",
                   label=f"{what} of the output $Z$", answer=True)

        s.part("Compute the output map $Z$ (with the bias" + (", before the ReLU)." if g.relu else ")."))
        if s.mistake(KERNEL_FLIPPED):
            used = kern[::-1, ::-1]
        else:
            used = kern
        if g.bias and s.mistake(BIAS_FORGOTTEN):
            bias = 0.0
        else:
            bias = g.bias
        z = correlate(x, used, st, p) + bias
        z = s.step("z", z, r"z_{ij} = b + \sum_{u,v} K_{uv}\, \tilde X_{s(i-1)+u,\ s(j-1)+v}",
                   lambda: self._work(x, kern, g), label="$Z$", answer=True)

        if g.relu:
            s.part("Apply the ReLU: give $A = \\max(0, Z)$.")
            if s.mistake(RELU_FORGOTTEN):
                a = z
            else:
                a = relu(z)
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
