"""Max and average pooling."""

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par
from ...registry import Generator, Givens, generator
from ...render.figures import grids
from ...steps import Steps
from .._draw import pick
from .._maths import output_size
from .._mistakes import CEIL_INSTEAD_OF_FLOOR, MISSING_PLUS_ONE, STRIDE_IGNORED
from ._feature_maps import _check_map, _dims, _patches, _whole


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


@generator(id="pooling_values", topic="cnn", goal="05.5", version=2, title="Max and average pooling")
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
        s.part("Give the size of the pooled output of one channel"
               + (" (it is square: one number)" if len(dims) == 1 else " (height and width)")
               + ", and the number of values in the whole pooled output (all channels).")
        outs = []
        for d, n, what in dims:
            if st > 1 and s.mistake(STRIDE_IGNORED):
                v = n - k + 1
            elif (n - k) % st and s.mistake(CEIL_INSTEAD_OF_FLOOR):
                v = -((k - n) // st) + 1
            elif s.mistake(MISSING_PLUS_ONE):
                v = (n - k) // st
            else:
                v = output_size(n, k, st)
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

        s.part(f"Compute the {g.pool}-pooled output of the channel $X$ shown.")
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
