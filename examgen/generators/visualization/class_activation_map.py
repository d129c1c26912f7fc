"""Class activation map (CAM)."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import Draws
from .._mistakes import WEIGHTS_TRANSPOSED
from ._vectors import _argmax1, _first_max, _index, _margin, _matvec, _unique_max


def _clean(a) -> np.ndarray:
    """Round away floating-point noise (1e-17 for 0) so worked solutions read cleanly."""
    return np.round(np.asarray(a, dtype=float), 12) + 0.0


class CamGivens(Givens):
    maps: list[list[list[float]]] = Field(min_length=1, max_length=6,
                                          description="the K feature maps f_k of the last conv layer (K x H x W)")
    weights: list[list[float]] = Field(min_length=2, max_length=5,
                                       description="class weights w^c_k (classes x K)")

    @model_validator(mode="after")
    def _shapes(self):
        k = len(self.maps)
        h = len(self.maps[0])
        w = len(self.maps[0][0]) if h else 0
        if not (1 <= h <= 8 and 1 <= w <= 8) or any(len(m) != h or any(len(r) != w for r in m) for m in self.maps):
            raise ValueError("the feature maps must all have the same size, at most 8 x 8")
        if any(len(r) != k for r in self.weights):
            raise ValueError(f"every class needs one weight per feature map ({k})")
        if any(abs(v) > 1000 for m in self.maps for r in m for v in r) or \
                any(abs(v) > 1000 for r in self.weights for v in r):
            raise ValueError("values must lie in [-1000, 1000]")
        scores, cam = _cam(self.maps, self.weights)
        if _margin(scores) < 1e-9:
            raise ValueError("two classes tie for the highest score: the predicted class is ambiguous")
        if max(cam) - min(cam) < 1e-9:
            raise ValueError("the class activation map is constant: it cannot be rescaled")
        return self


def _cam(maps, weights) -> tuple[list[float], list[float]]:
    """The class scores, and the predicted class's CAM flattened (pure Python, for drawing)."""
    flat = [[v for r in m for v in r] for m in maps]
    gap = [sum(f) / len(f) for f in flat]
    scores = _matvec(weights, gap)
    wc = weights[_first_max(scores)]
    return scores, [sum(a * f[i] for a, f in zip(wc, flat)) for i in range(len(flat[0]))]


@generator(id="class_activation_map", topic="visualization", goal="10.3", version=2,
           title="Class activation map (CAM)")
class ClassActivationMap(Generator):
    """Global average pooling, class scores, and the class activation map of the predicted class."""

    Givens = CamGivens

    def draw(self, rng):
        r = Draws(rng, 128)
        k, c = r.pick((2, 2, 3)), r.pick((2, 3))
        while True:
            maps = [[[float(r.int(1, 5)) if r.u() < 0.7 else 0.0 for _ in range(3)] for _ in range(3)]
                    for _ in range(k)]
            if any(not any(map(any, m)) for m in maps):
                continue
            weights = [[r.dec(-1, 1, nonzero=True) for _ in range(k)] for _ in range(c)]
            scores, cam = _cam(maps, weights)
            if _unique_max(scores, 0.05) and max(cam) > 0 and max(cam) - min(cam) > 1e-9:
                return CamGivens.model_construct(maps=maps, weights=weights)

    def stem(self, g):
        k, c = len(g.maps), len(g.weights)
        h, w = len(g.maps[0]), len(g.maps[0][0])
        maps = ",\\quad ".join(f"f_{i} = {mat(m)}" for i, m in enumerate(g.maps, 1))
        return (
            f"The last convolutional layer of a CNN outputs {k} feature maps of size {h}×{w}:\n\n"
            f"$$ {maps} $$\n\n"
            "The network ends with global average pooling, $F_k = \\frac{1}{HW} \\sum_{x,y} f_k(x, y)$, and a "
            f"dense layer without bias that gives the {c} class scores $S_c = \\sum_k w^c_k F_k$, with the "
            f"weights $w^c_k$ in row $c$, column $k$ of\n\n$$W = {mat(g.weights)}.$$\n\n"
            r"The class activation map of class $c$ is $M_c(x, y) = \sum_k w^c_k f_k(x, y)$; for display it "
            r"is rescaled to $[0, 1]$ as $\frac{M_c - \min M_c}{\max M_c - \min M_c}$. Number the classes "
            "from 1. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: CamGivens):
        f = np.array(g.maps, dtype=float)
        W = np.array(g.weights, dtype=float)
        k, h, w = f.shape
        s.part(r"Compute the pooled features $F_k$, the class scores $S_c$ and the predicted class.")
        if s.mistake("gap_sum", "summed the feature map; global average pooling divides the sum by the "
                                "number of positions H W"):
            gap = f.sum(axis=(1, 2))
        else:
            gap = f.mean(axis=(1, 2))
        gap = s.step("gap", gap, r"F_k = \frac{1}{HW} \sum_{x,y} f_k(x, y)",
                     lambda: ",\\ ".join(rf"\frac{{{num(m.sum())}}}{{{h * w}}}" for m in f), label="$F$")
        if W.shape[0] == W.shape[1] and s.mistake(
                WEIGHTS_TRANSPOSED):
            scores = W.T @ gap
        else:
            scores = W @ gap
        scores = s.step("scores", scores, r"S_c = \sum_k w^c_k F_k", lambda: rf"{mat(W)} {mat(gap)}",
                        label="$S$")
        c = s.step("pred", _argmax1(scores), r"\hat c = \arg\max_c S_c", lambda: r"\arg\max " + row(scores),
                   label="predicted class", answer=True)
        wc = W[_index(c, len(W))]

        s.part(r"Compute the class activation map $M_{\hat c}$ of the predicted class.")
        cam = s.step("cam", _clean(np.tensordot(wc, f, axes=1)), r"M_{\hat c}(x, y) = \sum_k w^{\hat c}_k f_k(x, y)",
                     lambda: " + ".join(rf"{par(a)} {mat(m)}" for a, m in zip(wc, f)),
                     label=r"$M_{\hat c}$", answer=True)

        s.part(r"Rescale $M_{\hat c}$ to $[0, 1]$ for display.")
        cam = np.asarray(cam, dtype=float)
        lo, hi = float(cam.min()), float(cam.max())
        if hi > 0 and s.mistake("normalised_by_max", "divided by the maximum only; the rescaling first subtracts the "
                                          "minimum, so the smallest value becomes 0"):
            norm = cam / hi
        else:
            norm = (cam - lo) / (hi - lo)
        norm = _clean(norm)
        s.step("cam_norm", norm, r"\frac{M_{\hat c} - \min M_{\hat c}}{\max M_{\hat c} - \min M_{\hat c}}",
               lambda: rf"\frac{{M_{{\hat c}} - {par(lo)}}}{{{num(hi)} - {par(lo)}}}", label="rescaled CAM")
