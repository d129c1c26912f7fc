"""Lecture 10: visualization and adversarial fooling (saliency maps and guided backprop, class
activation maps, the fast gradient sign method)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pydantic import Field, model_validator

from .. import fmt as _fmt
from ..registry import Generator, Givens, generator
from ..steps import Steps
from ._draw import pick


@lru_cache(maxsize=1 << 16)
def num(x, digits: int = 4) -> str:
    """``fmt.num``, cached: the same few givens are formatted over and over."""
    return _fmt.num(x, digits)


def par(x, digits: int = 4) -> str:
    s = num(x, digits)
    return f"({s})" if s.startswith("-") else s


def row(values, digits: int = 4) -> str:
    return "(" + ", ".join(num(v, digits) for v in np.asarray(values, dtype=float).tolist()) + ")"


def mat(m, digits: int = 4) -> str:
    """``fmt.matrix`` with the cached ``num``."""
    a = np.asarray(m, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    body = r" \\ ".join(" & ".join(num(v, digits) for v in r) for r in a.tolist())
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _dec(rng, size, lo: float, hi: float, nonzero: bool = False) -> np.ndarray:
    """One-decimal numbers in [lo, hi] (optionally never 0), drawn in one go."""
    a, b = int(round(lo * 10)), int(round(hi * 10)) + 1
    v = rng.integers(a, b, size=size)
    while nonzero and (v == 0).any():
        zero = v == 0
        v[zero] = rng.integers(a, b, size=int(zero.sum()))
    return v / 10


def _relu_mask(z) -> np.ndarray:
    return (np.asarray(z, dtype=float) > 0).astype(float)


def _index(v: int, n: int) -> int:
    """A 1-based class/input number (maybe a student's) as a 0-based index; IndexError if out of range."""
    v = int(v)
    if not 1 <= v <= n:
        raise IndexError(f"number {v} is not in 1..{n}")
    return v - 1


def _clean(a) -> np.ndarray:
    """Round away floating-point noise (1e-17 for 0) so worked solutions read cleanly."""
    return np.round(np.asarray(a, dtype=float), 12) + 0.0


def _argmax1(v) -> int:
    """1-based index of the largest entry."""
    return int(np.argmax(np.asarray(v, dtype=float))) + 1


def _margin(a) -> np.ndarray:
    """Per row of ``a``: the largest entry minus the second largest."""
    s = np.sort(a, axis=-1)
    return s[..., -1] - s[..., -2]


def _unique_max(v, margin: float) -> bool:
    s = np.sort(np.asarray(v, dtype=float))
    return s[-1] - s[-2] >= margin


# ---------------------------------------------------------------------------------------------
# saliency


class SaliencyGivens(Givens):
    x: list[float] = Field(min_length=2, max_length=6, description="the input pixels x_1..x_n")
    W1: list[list[float]] | None = Field(None, max_length=5,
                                         description="hidden-layer weights (hidden x inputs); leave out for a "
                                                     "linear model")
    b1: list[float] | None = Field(None, description="hidden-layer biases")
    W2: list[list[float]] = Field(min_length=2, max_length=4,
                                  description="output weights (classes x hidden, or classes x inputs for a "
                                              "linear model)")
    b2: list[float] = Field(description="output biases, one per class")

    @model_validator(mode="after")
    def _shapes(self):
        n = len(self.x)
        if (self.W1 is None) != (self.b1 is None):
            raise ValueError("give both W1 and b1 (two-layer ReLU network) or neither (linear model)")
        if self.W1 is not None:
            if not self.W1 or any(len(r) != n for r in self.W1) or len(self.b1) != len(self.W1):
                raise ValueError(f"W1 must be (hidden x {n}) with 1-5 rows, and b1 must have one entry per row")
            n = len(self.W1)
        if any(len(r) != n for r in self.W2) or len(self.b2) != len(self.W2):
            raise ValueError(f"W2 must have {n} columns and b2 one entry per class")
        vals = [*self.x, *self.b2, *(v for r in self.W2 for v in r)]
        if self.W1 is not None:
            vals += [*self.b1, *(v for r in self.W1 for v in r)]
        if any(abs(v) > 1000 for v in vals):
            raise ValueError("values must lie in [-1000, 1000]")
        scores = self._scores()
        s = np.sort(scores)
        if s[-1] - s[-2] < 1e-9:
            raise ValueError("two classes tie for the highest score: the predicted class is ambiguous")
        if self.W1 is not None:
            z1 = np.array(self.W1) @ np.array(self.x) + np.array(self.b1)
            if np.any(z1 == 0):
                raise ValueError("a hidden pre-activation is exactly 0, where the ReLU has no derivative")
        return self

    def _scores(self) -> np.ndarray:
        x = np.array(self.x)
        if self.W1 is not None:
            x = np.maximum(np.array(self.W1) @ x + np.array(self.b1), 0.0)
        return np.array(self.W2) @ x + np.array(self.b2)


@generator(id="saliency", topic="visualization", goal="10.3", version=1,
           title="Saliency map and guided backpropagation")
class Saliency(Generator):
    """The gradient of the predicted class's score with respect to the input of a linear model or a
    tiny two-layer ReLU network, its saliency map, and the guided-backprop rule at the ReLU."""

    Givens = SaliencyGivens

    def draw(self, rng):
        """Batches of candidates at once (cheaper than one NumPy call per small array), keeping the
        first that is not degenerate."""
        B = 32
        if rng.random() < 0.3:
            while True:
                x, b = _dec(rng, (B, 4), 0, 1), _dec(rng, (B, 3), -0.5, 0.5)
                W = _dec(rng, (B, 3, 4), -1, 1, nonzero=True)
                s = np.einsum("bki,bi->bk", W, x) + b
                w = W[np.arange(B), np.argmax(s, axis=1)]
                ok = _margin(s) >= 0.1 - 1e-9
                ok &= (w < 0).any(axis=1) & (_margin(np.abs(w)) >= 0.1 - 1e-9)
                if ok.any():
                    i = int(np.argmax(ok))
                    return SaliencyGivens(x=x[i].tolist(), W2=W[i].tolist(), b2=b[i].tolist())
        n_hid = pick(rng, [3, 3, 4])
        n_cls = pick(rng, [2, 3])
        c = int(rng.integers(n_cls))
        rows = np.arange(B)[:, None]
        while True:
            x = _dec(rng, (B, 4), 0, 1)
            W1 = rng.integers(-2, 3, size=(B, n_hid, 4)).astype(float)
            b1 = _dec(rng, (B, n_hid), -0.5, 0.5)
            z1 = np.einsum("bhi,bi->bh", W1, x) + b1
            ok = np.abs(z1).min(axis=1) >= 0.099
            # one or two dead hidden units: negating a unit's weights and bias flips the sign of its z
            dead = 1 if n_hid == 3 else rng.integers(1, 3, size=(B, 1))
            want = np.argsort(rng.random((B, n_hid)), axis=1) >= dead
            flip = np.where((z1 > 0) == want, 1.0, -1.0)
            W1, b1, z1 = W1 * flip[:, :, None] + 0.0, b1 * flip + 0.0, z1 * flip
            active = z1 > 0
            # the predicted class's output weights: guided backprop, the ReLU mask and the deconvnet
            # rule must all matter (an active unit with w > 0 and one with w < 0, an inactive one with w > 0)
            signs = np.where(rng.random((B, n_hid)) < 0.5, 1.0, -1.0)
            on = np.argsort(np.where(active, rng.random((B, n_hid)), 2.0), axis=1)
            off = np.argmin(np.where(active, 2.0, rng.random((B, n_hid))), axis=1)
            signs[rows[:, 0], on[:, 0]] = 1.0
            signs[rows[:, 0], on[:, 1]] = -1.0
            signs[rows[:, 0], off] = 1.0
            w = signs * rng.integers(1, 3, size=(B, n_hid))
            grad = np.einsum("bhi,bh->bi", W1, w * active)
            guided = np.einsum("bhi,bh->bi", W1, w * active * (w > 0))
            ok &= (grad < 0).any(axis=1) & (_margin(np.abs(grad)) >= 1) & (guided != grad).any(axis=1)
            W2 = np.where(rng.random((B, n_cls, n_hid)) < 0.5, 1.0, -1.0) * rng.integers(1, 3, size=(B, n_cls, n_hid))
            W2[:, c] = w
            b2 = _dec(rng, (B, n_cls), -0.5, 0.5)
            s = np.einsum("bkh,bh->bk", W2, np.maximum(z1, 0.0)) + b2
            ok &= (np.argmax(s, axis=1) == c) & (_margin(s) >= 0.2 - 1e-9)
            if ok.any():
                i = int(np.argmax(ok))
                return SaliencyGivens(x=x[i].tolist(), W1=W1[i].tolist(), b1=b1[i].tolist(), W2=W2[i].tolist(),
                                      b2=b2[i].tolist())

    def stem(self, g):
        n, c = len(g.x), len(g.W2)
        if g.W1 is None:
            model = (f"A linear classifier gives the {c} class scores $s = W x + b$ of an image with {n} pixels "
                     f"$x = {mat(g.x)}$, where\n\n$$W = {mat(g.W2)}, \\qquad b = {mat(g.b2)}.$$")
        else:
            model = (f"A small network gives {c} class scores for an image with {n} pixels $x = {mat(g.x)}$:"
                     "\n\n"
                     r"$$z^{[1]} = W^{[1]} x + b^{[1]}, \quad h = \mathrm{ReLU}(z^{[1]}), \quad s = W^{[2]} h + b^{[2]}$$"
                     f"\n\nwith $W^{{[1]}} = {mat(g.W1)}$, $b^{{[1]}} = {mat(g.b1)}$, $W^{{[2]}} = {mat(g.W2)}$ "
                     f"and $b^{{[2]}} = {mat(g.b2)}$.")
        guided = "" if g.W1 is None else (
            " Guided backpropagation backpropagates the same score, but at the ReLU it passes a gradient "
            "only where the forward input was positive and the gradient arriving from above is positive: "
            r"$\frac{\partial s}{\partial z^{[1]}_j} \leftarrow \mathbb{1}[z^{[1]}_j > 0]\, "
            r"\mathbb{1}\left[\frac{\partial s}{\partial h_j} > 0\right] \frac{\partial s}{\partial h_j}$.")
        return (
            model + "\n\n"
            r"The saliency map is taken for the predicted class $\hat c$ (the largest score), from its raw "
            r"score $s_{\hat c}$ before any softmax: it is the absolute value of the gradient, "
            r"$M_i = \left|\frac{\partial s_{\hat c}}{\partial x_i}\right|$." + guided +
            " Number classes and pixels from 1. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: SaliencyGivens):
        x, W2, b2 = np.array(g.x), np.array(g.W2), np.array(g.b2)
        n_cls = len(b2)
        relu = g.W1 is not None
        if relu:
            W1, b1 = np.array(g.W1), np.array(g.b1)
            s.part("a", r"Forward pass: compute $z^{[1]}$, $h$, the scores $s$ and the predicted class $\hat c$.")
            z1 = s.step("z1", W1 @ x + b1, r"z^{[1]} = W^{[1]} x + b^{[1]}",
                        lambda: rf"{mat(W1)} {mat(x)} + {mat(b1)}", label=r"$z^{[1]}$")
            h = s.step("h", np.maximum(z1, 0.0), r"h = \mathrm{ReLU}(z^{[1]}) = \max(0, z^{[1]})",
                       lambda: rf"\max\left(0, {mat(z1)}\right)", label="$h$")
            scores = s.step("scores", W2 @ h + b2, r"s = W^{[2]} h + b^{[2]}",
                            lambda: rf"{mat(W2)} {mat(h)} + {mat(b2)}", label="$s$")
        else:
            s.part("a", r"Compute the scores $s$ and the predicted class $\hat c$.")
            scores = s.step("scores", W2 @ x + b2, r"s = W x + b", lambda: rf"{mat(W2)} {mat(x)} + {mat(b2)}",
                            label="$s$")
        c = s.step("pred", _argmax1(scores), r"\hat c = \arg\max_k s_k",
                   lambda: r"\arg\max " + row(scores), label=r"$\hat c$", answer=True)
        ci = _index(c, n_cls)
        w = W2[ci]

        if relu:
            s.part("b", r"Backpropagate $s_{\hat c}$: compute $\partial s_{\hat c} / \partial z^{[1]}$, the "
                        r"gradient $\partial s_{\hat c} / \partial x$, the saliency map $M$ and the number of the "
                        "most salient pixel.")
            if s.mistake("relu_mask_missing", "left out the ReLU's derivative: the gradient only flows "
                                              "through hidden units with z > 0"):
                dz1 = w.copy()
            else:
                dz1 = w * _relu_mask(z1)
            dz1 = s.step("dz1", dz1, r"\frac{\partial s_{\hat c}}{\partial z^{[1]}} = W^{[2]}_{\hat c,:} \odot "
                                     r"\mathbb{1}[z^{[1]} > 0]",
                         lambda: rf"{mat(w)} \odot {mat(_relu_mask(z1))}",
                         label=r"$\partial s_{\hat c} / \partial z^{[1]}$")
            grad = s.step("grad", W1.T @ dz1, r"\frac{\partial s_{\hat c}}{\partial x} = (W^{[1]})^T "
                                              r"\frac{\partial s_{\hat c}}{\partial z^{[1]}}",
                          lambda: rf"{mat(W1.T)} {mat(dz1)}", label=r"$\partial s_{\hat c} / \partial x$")
        else:
            s.part("b", r"Compute the gradient $\partial s_{\hat c} / \partial x$, the saliency map $M$ and the "
                        "number of the most salient pixel.")
            grad = s.step("grad", w.copy(), r"\frac{\partial s_{\hat c}}{\partial x} = W_{\hat c,:}",
                          lambda: rf"\text{{row {c} of }} W", label=r"$\partial s_{\hat c} / \partial x$")
        if s.mistake("saliency_no_abs", "kept the gradient's sign; the saliency map is its absolute value "
                                        "(how much each pixel matters, in either direction)"):
            sal = np.asarray(grad, dtype=float).copy()
        else:
            sal = np.abs(grad)
        sal = s.step("saliency", sal, r"M_i = \left|\frac{\partial s_{\hat c}}{\partial x_i}\right|",
                     lambda: rf"\left|{mat(grad)}\right|", label="$M$")
        s.step("top", _argmax1(sal), r"\arg\max_i M_i", lambda: r"\arg\max " + row(sal),
               label="most salient pixel", answer=True)

        if relu:
            s.part("c", r"Guided backpropagation of $s_{\hat c}$: compute the guided gradient at $z^{[1]}$ and "
                        r"at the input $x$.")
            mask = _relu_mask(z1)
            if s.mistake("guided_passes_negative", "passed the negative gradients through the ReLU; guided "
                                                   "backprop also zeroes gradients that arrive negative"):
                gdz1 = w * mask
            elif s.mistake("deconvnet_rule", "used only the sign of the arriving gradient (the deconvnet "
                                             "rule); guided backprop also keeps the forward ReLU mask z > 0"):
                gdz1 = w * (w > 0)
            else:
                gdz1 = w * mask * (w > 0)
            gdz1 = s.step("guided_dz1", gdz1,
                          r"R^{[1]} = \mathbb{1}[z^{[1]} > 0] \odot \mathbb{1}[W^{[2]}_{\hat c,:} > 0] \odot "
                          r"W^{[2]}_{\hat c,:}",
                          lambda: rf"{mat(mask)} \odot {mat((w > 0).astype(float))} \odot {mat(w)}",
                          label=r"guided gradient at $z^{[1]}$")
            s.step("guided", W1.T @ gdz1, r"R^{[0]} = (W^{[1]})^T R^{[1]}",
                   lambda: rf"{mat(W1.T)} {mat(gdz1)}", label="guided gradient at $x$", answer=True)


# ---------------------------------------------------------------------------------------------
# class_activation_map


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
        f = np.array(self.maps, dtype=float)
        scores = np.array(self.weights) @ f.mean(axis=(1, 2))
        srt = np.sort(scores)
        if srt[-1] - srt[-2] < 1e-9:
            raise ValueError("two classes tie for the highest score: the predicted class is ambiguous")
        cam = np.tensordot(np.array(self.weights)[int(np.argmax(scores))], f, axes=1)
        if np.ptp(cam) < 1e-9:
            raise ValueError("the class activation map is constant: it cannot be rescaled")
        return self


@generator(id="class_activation_map", topic="visualization", goal="10.3", version=1,
           title="Class activation map (CAM)")
class ClassActivationMap(Generator):
    """Global average pooling, class scores, and the class activation map of the predicted class."""

    Givens = CamGivens

    def draw(self, rng):
        k = pick(rng, [2, 2, 3])
        c = pick(rng, [2, 3])
        while True:
            maps = rng.integers(0, 5, size=(k, 3, 3)) * (rng.random((k, 3, 3)) < 0.75)
            if (maps.sum(axis=(1, 2)) == 0).any():
                continue
            weights = _dec(rng, (c, k), -1, 1, nonzero=True)
            scores = weights @ maps.mean(axis=(1, 2))
            if not _unique_max(scores, 0.05):
                continue
            cam = np.tensordot(weights[int(np.argmax(scores))], maps, axes=1)
            if np.ptp(cam) > 0 and abs(cam.min()) > 1e-9 and cam.max() > 0:
                return CamGivens(maps=maps.astype(float).tolist(), weights=weights.tolist())

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
        s.part("a", r"Compute the pooled features $F_k$, the class scores $S_c$ and the predicted class.")
        if s.mistake("gap_sum", "summed the feature map; global average pooling divides the sum by the "
                                "number of positions H W"):
            gap = f.sum(axis=(1, 2))
        else:
            gap = f.mean(axis=(1, 2))
        gap = s.step("gap", gap, r"F_k = \frac{1}{HW} \sum_{x,y} f_k(x, y)",
                     lambda: ",\\ ".join(rf"\frac{{{num(m.sum())}}}{{{h * w}}}" for m in f), label="$F$")
        if W.shape[0] == W.shape[1] and s.mistake(
                "weights_transposed", "used w^k_c for w^c_k (the weight matrix transposed); class c's "
                                      "weights are row c"):
            scores = W.T @ gap
        else:
            scores = W @ gap
        scores = s.step("scores", scores, r"S_c = \sum_k w^c_k F_k", lambda: rf"{mat(W)} {mat(gap)}",
                        label="$S$")
        c = s.step("pred", _argmax1(scores), r"\hat c = \arg\max_c S_c", lambda: r"\arg\max " + row(scores),
                   label="predicted class", answer=True)
        wc = W[_index(c, len(W))]

        s.part("b", r"Compute the class activation map $M_{\hat c}$ of the predicted class.")
        cam = s.step("cam", _clean(np.tensordot(wc, f, axes=1)), r"M_{\hat c}(x, y) = \sum_k w^{\hat c}_k f_k(x, y)",
                     lambda: " + ".join(rf"{par(a)} {mat(m)}" for a, m in zip(wc, f)),
                     label=r"$M_{\hat c}$", answer=True)

        s.part("c", r"Rescale $M_{\hat c}$ to $[0, 1]$ for display.")
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


# ---------------------------------------------------------------------------------------------
# fgsm


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class FgsmGivens(Givens):
    w: list[float] = Field(min_length=2, max_length=6, description="logistic-regression weights")
    b: float = Field(ge=-100, le=100, description="bias")
    x: list[float] = Field(min_length=2, max_length=6, description="the input")
    y: int = Field(ge=0, le=1, description="the true label (0 or 1)")
    eps: float = Field(gt=0, le=10, description="the perturbation size epsilon")

    @model_validator(mode="after")
    def _consistent(self):
        if len(self.w) != len(self.x):
            raise ValueError("w and x need the same number of entries")
        if any(abs(v) > 100 for v in self.w + self.x):
            raise ValueError("w and x entries must lie in [-100, 100]")
        if any(v == 0 for v in self.w):
            raise ValueError("a zero weight has a zero gradient, whose sign is undefined")
        z = float(np.dot(self.w, self.x) + self.b)
        if abs(z) < 1e-9:
            raise ValueError("the score w.x + b is exactly 0: the predicted class is ambiguous")
        return self


@generator(id="fgsm", topic="visualization", goal="10.5", version=1,
           title="An adversarial example with the fast gradient sign method")
class Fgsm(Generator):
    """Logistic regression: the loss gradient with respect to the input, its sign, the FGSM input
    x + eps sign(grad), the new score, and whether the prediction flips."""

    Givens = FgsmGivens

    def draw(self, rng):
        n = pick(rng, [3, 4, 4])
        while True:
            w = np.where(rng.random(n) < 0.5, 1.0, -1.0) * rng.integers(1, 4, size=n)
            x = _dec(rng, n, 0, 1)
            b = float(_dec(rng, 1, -1, 1)[0])
            z = round(float(w @ x + b), 9)
            eps = pick(rng, [0.1, 0.1, 0.2, 0.3])
            shift = eps * float(np.abs(w).sum())
            if not 0.3 <= abs(z) <= 3:
                continue
            y = int(z > 0)  # attack a correctly classified input
            z_adv = z - shift if y else z + shift
            if 0.2 <= abs(z_adv) <= 4 and not np.allclose(x, np.round(x)):
                return FgsmGivens(w=w.tolist(), b=b, x=x.tolist(), y=y, eps=eps)

    def stem(self, g):
        z = round(float(np.dot(g.w, g.x) + g.b), 6)
        shift = g.eps * float(np.abs(g.w).sum())
        z_adv = round(z - shift if g.y else z + shift, 6)
        table = sorted({z, z_adv, -z, -z_adv, round(z + (0.5 if z > 0 else -0.5), 6), round(z_adv / 2, 6)})
        sig = ", ".join(rf"\sigma({num(v)}) = {num(float(sigmoid(v)), 4)}" for v in table)
        return (
            f"A logistic-regression classifier gives $P(y = 1 \\mid x) = \\sigma(z)$ with $z = w^T x + b$, "
            r"$\sigma(z) = \frac{1}{1 + e^{-z}}$, "
            f"$w = {mat(g.w)}$ and $b = {num(g.b)}$; it predicts class 1 when $\\sigma(z) \\ge 0.5$ and class 0 "
            f"otherwise. Its loss is the cross-entropy "
            r"$L = -\left[y \ln \sigma(z) + (1 - y) \ln(1 - \sigma(z))\right]$. "
            f"The input $x = {mat(g.x)}$ has true label $y = {g.y}$. An attacker builds an adversarial "
            r"example with the fast gradient sign method (FGSM), "
            f"$$x_{{adv}} = x + \\epsilon \\operatorname{{sign}}(\\nabla_x L), \\qquad \\epsilon = {num(g.eps)},$$"
            "\n\nwithout clipping to a pixel range. You may use "
            f"${sig}$ (4 decimals). Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: FgsmGivens):
        w, x = np.array(g.w), np.array(g.x)
        s.part("a", r"Compute the score $z$, the probability $\sigma(z)$ and the predicted class.")
        z = s.step("z", float(w @ x + g.b), r"z = w^T x + b",
                   lambda: " + ".join(rf"{par(a)} \cdot {par(b)}" for a, b in zip(w, x)) + f" + {par(g.b)}",
                   label="$z$")
        p = s.step("p", float(sigmoid(z)), r"\sigma(z) = \frac{1}{1 + e^{-z}}",
                   lambda: rf"\frac{{1}}{{1 + e^{{{num(-z)}}}}}", label=r"$\sigma(z)$")
        pred = s.step("pred", int(p >= 0.5), r"\hat y = \mathbb{1}[\sigma(z) \ge 0.5]", label="predicted class",
                      answer=True)

        s.part("b", r"Compute the gradient $\nabla_x L$, its sign, and the adversarial input $x_{adv}$.")
        if s.mistake("grad_wrt_weights", "took the gradient with respect to the weights, (sigma(z) - y) x; "
                                         "the attack needs the gradient with respect to the input"):
            grad = (p - g.y) * x
        elif s.mistake("grad_y_minus_p", "wrote (y - sigma(z)) w; the cross-entropy gradient is "
                                         "(sigma(z) - y) w"):
            grad = (g.y - p) * w
        else:
            grad = (p - g.y) * w
        grad = s.step("grad", grad, r"\nabla_x L = (\sigma(z) - y)\, w",
                      lambda: rf"({num(p)} - {g.y}) {mat(w)}", label=r"$\nabla_x L$")
        sign = s.step("sign", np.sign(grad), r"\operatorname{sign}(\nabla_x L)",
                      lambda: rf"\operatorname{{sign}}\left({mat(grad)}\right)", label=r"$\operatorname{sign}(\nabla_x L)$")
        if s.mistake("gradient_sign_flipped", "subtracted: x - eps sign(grad) lowers the loss; FGSM adds "
                                              "eps sign(grad) to increase it"):
            x_adv = x - g.eps * np.asarray(sign, dtype=float)
        elif s.mistake("no_sign", "added eps times the gradient itself; FGSM uses only its sign"):
            x_adv = x + g.eps * np.asarray(grad, dtype=float)
        else:
            x_adv = x + g.eps * np.asarray(sign, dtype=float)
        x_adv = s.step("x_adv", x_adv, r"x_{adv} = x + \epsilon \operatorname{sign}(\nabla_x L)",
                       lambda: rf"{mat(x)} + {num(g.eps)} {mat(sign)}", label=r"$x_{adv}$", answer=True)

        s.part("c", r"Compute the new score $z_{adv}$, the probability $\sigma(z_{adv})$, and say whether the "
                    "predicted class flips.")
        z_adv = s.step("z_adv", float(w @ x_adv + g.b), r"z_{adv} = w^T x_{adv} + b",
                       lambda: " + ".join(rf"{par(a)} \cdot {par(b)}" for a, b in zip(w, x_adv)) + f" + {par(g.b)}",
                       label=r"$z_{adv}$")
        p_adv = s.step("p_adv", float(sigmoid(z_adv)), r"\sigma(z_{adv})",
                       lambda: rf"\frac{{1}}{{1 + e^{{{num(-z_adv)}}}}}", label=r"$\sigma(z_{adv})$")
        flips = "yes" if int(p_adv >= 0.5) != int(pred) else "no"
        s.step("flips", flips, r"\mathbb{1}[\sigma(z_{adv}) \ge 0.5] \neq \hat y",
               lambda: rf"\text{{class }} {int(p_adv >= 0.5)} \text{{ vs }} {int(pred)}",
               label="does the prediction flip?", options=["yes", "no"], answer=True)
