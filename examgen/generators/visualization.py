"""Lecture 10: visualization and adversarial fooling (saliency maps and guided backprop, class
activation maps, the fast gradient sign method)."""



import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par, row
from ..registry import Generator, Givens, generator
from ..steps import Degenerate, Steps
from ._draw import Draws


def _relu_mask(z) -> np.ndarray:
    return (np.asarray(z, dtype=float) > 0).astype(float)


def _index(v: int, n: int) -> int:
    """A 1-based class/input number (maybe a student's) as a 0-based index; Degenerate if out of range."""
    v = int(v)
    if not 1 <= v <= n:
        raise Degenerate(f"number {v} is not in 1..{n}")
    return v - 1


def _clean(a) -> np.ndarray:
    """Round away floating-point noise (1e-17 for 0) so worked solutions read cleanly."""
    return np.round(np.asarray(a, dtype=float), 12) + 0.0


def _argmax1(v) -> int:
    """1-based index of the largest entry."""
    return int(np.argmax(np.asarray(v, dtype=float))) + 1


def _dot(a, b) -> float:
    return sum(u * v for u, v in zip(a, b))


def _matvec(m, v) -> list[float]:
    return [sum(u * w for u, w in zip(r, v)) for r in m]


def _margin(v) -> float:
    """The largest entry minus the second largest."""
    s = sorted(v)
    return s[-1] - s[-2]


def _unique_max(v, margin: float) -> bool:
    return _margin(v) >= margin - 1e-9


def _first_max(v) -> int:
    return max(range(len(v)), key=v.__getitem__)


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
        h = self.x
        if self.W1 is not None:
            z1 = [z + b for z, b in zip(_matvec(self.W1, self.x), self.b1)]
            if any(abs(z) < 1e-12 for z in z1):
                raise ValueError("a hidden pre-activation is exactly 0, where the ReLU has no derivative")
            h = [max(z, 0.0) for z in z1]
        if _margin([s + b for s, b in zip(_matvec(self.W2, h), self.b2)]) < 1e-9:
            raise ValueError("two classes tie for the highest score: the predicted class is ambiguous")
        return self


@generator(id="saliency", topic="visualization", goal="10.3", version=1,
           title="Saliency map and guided backpropagation")
class Saliency(Generator):
    """The gradient of the predicted class's score with respect to the input of a linear model or a
    tiny two-layer ReLU network, its saliency map, and the guided-backprop rule at the ReLU."""

    Givens = SaliencyGivens

    def draw(self, rng):
        r = Draws(rng, 128)
        if r.u() < 0.3:
            while True:
                x = [v / 10 for v in r.ints(0, 11, 4)]
                W = [[v / 10 if v < 0 else (v + 1) / 10 for v in r.ints(-10, 10, 4)] for _ in range(3)]
                b = [v / 10 for v in r.ints(-5, 6, 3)]
                s = [v + bb for v, bb in zip(_matvec(W, x), b)]
                w = W[_first_max(s)]
                if _unique_max(s, 0.1) and min(w) < 0 and _unique_max([abs(v) for v in w], 0.1):
                    return SaliencyGivens.model_construct(x=x, W2=W, b2=b)
        n_hid, n_cls = r.pick((3, 3, 4)), r.pick((2, 3))
        c = r.int(0, n_cls)
        hidden = range(n_hid)
        while True:
            x = [v / 10 for v in r.ints(0, 11, 4)]
            W1 = [[float(v) for v in r.ints(-2, 3, 4)] for _ in hidden]
            b1 = [v / 10 for v in r.ints(-5, 6, n_hid)]
            z1 = [z + b for z, b in zip(_matvec(W1, x), b1)]
            if min(abs(z) for z in z1) < 0.099:
                continue
            # one or two dead hidden units: negating a unit's weights and bias flips the sign of its z
            dead = set(r.sample(hidden, 1 if n_hid == 3 else r.int(1, 3)))
            for j in hidden:
                if (z1[j] > 0) == (j in dead):
                    W1[j], b1[j], z1[j] = [0.0 - v for v in W1[j]], 0.0 - b1[j], -z1[j]
            active = [z > 0 for z in z1]
            # the predicted class's output weights: guided backprop, the ReLU mask and the deconvnet
            # rule must all matter (an active unit with w > 0 and one with w < 0, an inactive one with w > 0)
            on = r.shuffle([j for j in hidden if active[j]])
            signs = [2.0 * v - 1.0 for v in r.ints(0, 2, n_hid)]
            signs[on[0]], signs[on[1]], signs[r.pick(sorted(dead))] = 1.0, -1.0, 1.0
            w = [sg * v for sg, v in zip(signs, r.ints(1, 3, n_hid))]
            dz = [v if a else 0.0 for v, a in zip(w, active)]
            gdz = [max(v, 0.0) for v in dz]
            grad = [sum(W1[j][i] * dz[j] for j in hidden) for i in range(4)]
            guided = [sum(W1[j][i] * gdz[j] for j in hidden) for i in range(4)]
            if min(grad) >= 0 or not _unique_max([abs(v) for v in grad], 1) or guided == grad:
                continue
            h = [max(z, 0.0) for z in z1]
            b2 = [v / 10 for v in r.ints(-5, 6, n_cls)]
            top = _dot(w, h) + b2[c]
            W2 = []
            for k in range(n_cls):  # another class's weights, negated if that makes it lose to class c
                wk = w if k == c else [float(v) for v in r.ints(-2, 2, n_hid)]
                wk = [v + 1.0 if v >= 0 else v for v in wk]  # -2, -1, 1, 2
                if k != c and _dot(wk, h) + b2[k] > top - 0.2:
                    wk = [0.0 - v for v in wk]
                W2.append(wk)
            s = [v + bb for v, bb in zip(_matvec(W2, h), b2)]
            if _first_max(s) == c and _unique_max(s, 0.2):
                return SaliencyGivens.model_construct(x=x, W1=W1, b1=b1, W2=W2, b2=b2)

    def stem(self, g):
        n, c = len(g.x), len(g.W2)
        if g.W1 is None:
            model = (f"A linear classifier gives the {c} class scores $s = W x + b$ of an image with {n} pixels "
                     f"$x = {mat(g.x)}$, where\n\n$$W = {mat(g.W2)}, \\qquad b = {mat(g.b2)}.$$")
        else:
            model = (f"A small network gives {c} class scores for an image with {n} pixels $x = {mat(g.x)}$:"
                     "\n\n"
                     r"$$z^{[1]} = W^{[1]} x + b^{[1]}, \quad h = \mathrm{ReLU}(z^{[1]}), \quad "
                     r"s = W^{[2]} h + b^{[2]}$$"
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
            s.part("a", r"Forward pass: compute $z^{[1]}$, the scores $s$ and the predicted class $\hat c$.")
            z1 = s.step("z1", W1 @ x + b1, r"z^{[1]} = W^{[1]} x + b^{[1]}",
                        lambda: rf"{mat(W1)} {mat(x)} + {mat(b1)}", label=r"$z^{[1]}$")
            h = np.maximum(z1, 0.0)
            scores = s.step("scores", W2 @ h + b2, r"s = W^{[2]} \mathrm{ReLU}(z^{[1]}) + b^{[2]}",
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


@generator(id="class_activation_map", topic="visualization", goal="10.3", version=1,
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
        if abs(_dot(self.w, self.x) + self.b) < 1e-9:
            raise ValueError("the score w.x + b is exactly 0: the predicted class is ambiguous")
        return self


@generator(id="fgsm", topic="visualization", goal="10.5", version=1,
           title="An adversarial example with the fast gradient sign method")
class Fgsm(Generator):
    """Logistic regression: the loss gradient with respect to the input, its sign, the FGSM input
    x + eps sign(grad), the new score, and whether the prediction flips."""

    Givens = FgsmGivens

    def draw(self, rng):
        r = Draws(rng)
        n = r.pick((3, 4, 4))
        while True:
            w = [(1.0 if r.u() < 0.5 else -1.0) * r.int(1, 4) for _ in range(n)]
            x = [r.int(0, 11) / 10 for _ in range(n)]
            b = r.int(-10, 11) / 10
            z = round(_dot(w, x) + b, 9)
            eps = r.pick((0.1, 0.1, 0.2, 0.3))
            shift = eps * sum(map(abs, w))
            if not 0.3 <= abs(z) <= 3 or all(v in (0.0, 1.0) for v in x):
                continue
            y = int(z > 0)  # attack a correctly classified input
            z_adv = z - shift if y else z + shift
            if 0.2 <= abs(z_adv) <= 4:
                return FgsmGivens.model_construct(w=w, b=b, x=x, y=y, eps=eps)

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
                      lambda: rf"\operatorname{{sign}}\left({mat(grad)}\right)",
                      label=r"$\operatorname{sign}(\nabla_x L)$")
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
