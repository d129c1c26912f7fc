"""Saliency map and guided backpropagation."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import Draws
from .._maths import relu
from ._vectors import _argmax1, _dot, _first_max, _index, _margin, _matvec, _unique_max


def _relu_mask(z) -> np.ndarray:
    return (np.asarray(z, dtype=float) > 0).astype(float)


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
        hidden = g.W1 is not None
        if hidden:
            W1, b1 = np.array(g.W1), np.array(g.b1)
            s.part(r"Forward pass: compute $z^{[1]}$, the scores $s$ and the predicted class $\hat c$.")
            z1 = s.step("z1", W1 @ x + b1, r"z^{[1]} = W^{[1]} x + b^{[1]}",
                        lambda: rf"{mat(W1)} {mat(x)} + {mat(b1)}", label=r"$z^{[1]}$")
            h = relu(z1)
            scores = s.step("scores", W2 @ h + b2, r"s = W^{[2]} \mathrm{ReLU}(z^{[1]}) + b^{[2]}",
                            lambda: rf"{mat(W2)} {mat(h)} + {mat(b2)}", label="$s$")
        else:
            s.part(r"Compute the scores $s$ and the predicted class $\hat c$.")
            scores = s.step("scores", W2 @ x + b2, r"s = W x + b", lambda: rf"{mat(W2)} {mat(x)} + {mat(b2)}",
                            label="$s$")
        c = s.step("pred", _argmax1(scores), r"\hat c = \arg\max_k s_k",
                   lambda: r"\arg\max " + row(scores), label=r"$\hat c$", answer=True)
        ci = _index(c, n_cls)
        w = W2[ci]

        if hidden:
            s.part(r"Backpropagate $s_{\hat c}$: compute $\partial s_{\hat c} / \partial z^{[1]}$, the "
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
            s.part(r"Compute the gradient $\partial s_{\hat c} / \partial x$, the saliency map $M$ and the "
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

        if hidden:
            s.part(r"Guided backpropagation of $s_{\hat c}$: compute the guided gradient at $z^{[1]}$ and "
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
