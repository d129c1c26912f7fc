"""Lecture 03: dense neural network classifiers (forward pass, backpropagation, ...)."""


import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num
from ..registry import Generator, Givens, generator
from ..render.figures import network
from ..steps import Degenerate, Steps
from ._draw import Draws, decimals, matrix, pick


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


class BackpropGivens(Givens):
    x: list[float] = Field(min_length=1, max_length=4)
    W1: list[list[float]] = Field(min_length=1, max_length=4, description="hidden weights, shape (hidden, inputs)")
    b1: list[float]
    W2: list[list[float]] = Field(min_length=2, max_length=4, description="output weights, shape (classes, hidden)")
    b2: list[float]
    activation: Literal["sigmoid", "relu"]
    target: int = Field(ge=0, description="index of the true class (from 0)")
    lr: float = Field(gt=0, le=10)

    @model_validator(mode="after")
    def _shapes(self):
        n_in, n_hid, n_out = len(self.x), len(self.W1), len(self.W2)
        if any(len(r) != n_in for r in self.W1) or len(self.b1) != n_hid:
            raise ValueError(f"W1 must be {n_hid}x{n_in} and b1 must have {n_hid} entries")
        if any(len(r) != n_hid for r in self.W2) or len(self.b2) != n_out:
            raise ValueError(f"W2 must be {n_out}x{n_hid} and b2 must have {n_out} entries")
        if self.target >= n_out:
            raise ValueError(f"target must be a class index below {n_out}")
        return self


@generator(id="backprop", topic="dense", goal="03.6", version=2,
           title="Forward pass and backpropagation in a small dense network")
class Backprop(Generator):
    """A 2-3 input, 2-3 hidden, 2-3 class network with softmax and cross-entropy: one SGD step."""

    Givens = BackpropGivens

    def draw(self, rng):
        while True:
            n_in, n_hid, n_out = pick(rng, [(2, 2, 2), (2, 2, 2), (2, 3, 2), (3, 2, 2), (2, 2, 3)])
            act = pick(rng, ["sigmoid", "relu"])
            g = BackpropGivens(
                x=decimals(rng, n_in, -2, 2, 0 if rng.random() < 0.5 else 1, nonzero=True),
                W1=matrix(rng, n_hid, n_in, -1, 1, nonzero=True), b1=decimals(rng, n_hid, -0.5, 0.5),
                W2=matrix(rng, n_out, n_hid, -1, 1, nonzero=True), b2=decimals(rng, n_out, -0.5, 0.5),
                activation=act, target=int(rng.integers(n_out)), lr=pick(rng, [0.1, 0.5, 1.0]))
            z1 = np.array(g.W1) @ np.array(g.x) + np.array(g.b1)
            if np.min(np.abs(z1)) < 0.05:
                continue  # z1 = 0 makes the ReLU derivative ambiguous
            if act == "relu" and not (z1 > 0).any():
                continue  # a dead hidden layer makes the backward pass trivial
            return g

    def figure(self, g):
        n = [len(g.x), len(g.W1), len(g.W2)]
        labels = [[f"x{k + 1}" for k in range(n[0])], [f"h{j + 1}" for j in range(n[1])],
                  [f"c{j + 1}" for j in range(n[2])]]
        return network(n, weights=[g.W1, g.W2], names=["input x", f"hidden ({g.activation})", "softmax"],
                       node_labels=labels)

    def stem(self, g):
        act = r"\sigma(z) = \frac{1}{1+e^{-z}}" if g.activation == "sigmoid" else r"\mathrm{ReLU}(z) = \max(0, z)"
        return (
            f"A dense network has {len(g.x)} inputs, one hidden layer of {len(g.W1)} nodes with activation "
            f"${act}$, and a softmax output layer of {len(g.W2)} classes, trained with the cross-entropy loss. "
            "With column vectors,"
            "\n\n"
            r"$$z^{[1]} = W^{[1]} x + b^{[1]},\quad a^{[1]} = f(z^{[1]}),\quad z^{[2]} = W^{[2]} a^{[1]} + b^{[2]},"
            r"\quad \hat y = \operatorname{softmax}(z^{[2]}),\quad L = -\sum_k y_k \log \hat y_k$$"
            "\n\n"
            r"where $w^{[l]}_{jk}$ (row $j$, column $k$ of $W^{[l]}$) connects node $k$ of layer $l-1$ to node $j$ "
            f"of layer $l$. The weights are $W^{{[1]}} = {mat(g.W1)}$, $b^{{[1]}} = {mat(g.b1)}$, "
            f"$W^{{[2]}} = {mat(g.W2)}$, $b^{{[2]}} = {mat(g.b2)}$, the input is $x = {mat(g.x)}$ and the "
            f"true class is class {g.target + 1} of {len(g.W2)} (one-hot $y$ with $y_{{{g.target + 1}}} = 1$). "
            f"One step of stochastic gradient descent uses learning rate $\\lambda = {num(g.lr)}$. "
            "The loss uses the natural logarithm. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: BackpropGivens):
        x, W1, b1 = np.array(g.x), np.array(g.W1), np.array(g.b1)
        W2, b2 = np.array(g.W2), np.array(g.b2)
        y = np.zeros(len(b2))
        y[g.target] = 1.0
        relu = g.activation == "relu"
        f = (lambda z: np.maximum(z, 0.0)) if relu else sigmoid
        fname = r"\mathrm{ReLU}" if relu else r"\sigma"

        s.part("a", r"Forward pass: compute $z^{[1]}$, $a^{[1]}$, $z^{[2]}$, $\hat y$ and the loss $L$.")
        z1 = s.step("z1", W1 @ x + b1, r"z^{[1]} = W^{[1]} x + b^{[1]}",
                    lambda: rf"{mat(W1)} {mat(x)} + {mat(b1)}", label=r"$z^{[1]}$")
        a1 = s.step("a1", f(z1), rf"a^{{[1]}} = {fname}(z^{{[1]}})", lambda: rf"{fname}\left({mat(z1)}\right)",
                    label=r"$a^{[1]}$")
        z2 = s.step("z2", W2 @ a1 + b2, r"z^{[2]} = W^{[2]} a^{[1]} + b^{[2]}",
                    lambda: rf"{mat(W2)} {mat(a1)} + {mat(b2)}", label=r"$z^{[2]}$")
        if np.any(np.asarray(z2) > 700):
            raise Degenerate("the output scores are too large to exponentiate")
        p = s.step("p", softmax(z2), r"\hat y_k = \frac{e^{z^{[2]}_k}}{\sum_j e^{z^{[2]}_j}}",
                   lambda: r"\operatorname{softmax}\left(" + mat(z2) + r"\right)", label=r"$\hat y$")
        s.step("loss", -np.log(p[g.target]), rf"L = -\log \hat y_{{{g.target + 1}}}",
               lambda: rf"-\log {num(p[g.target])}", label="$L$", answer=True)

        s.part("b", r"Output layer: compute $\delta^{[2]} = \partial L / \partial z^{[2]}$ and "
                    r"$\partial L / \partial W^{[2]}$.")
        sign = -1.0 if s.mistake("delta_sign", "wrote y - y_hat; the softmax-cross-entropy gradient is y_hat - y") else 1.0
        d2 = s.step("delta2", sign * (p - y), r"\delta^{[2]} = \hat y - y", lambda: rf"{mat(p)} - {mat(y)}",
                    label=r"$\delta^{[2]}$")
        dW2 = s.step("dW2", np.outer(d2, a1), r"\frac{\partial L}{\partial W^{[2]}} = \delta^{[2]} (a^{[1]})^T",
                     lambda: rf"{mat(d2)} {mat(np.atleast_2d(a1))}", label=r"$\partial L / \partial W^{[2]}$",
                     answer=True)

        s.part("c", r"Hidden layer: compute $\delta^{[1]} = \partial L / \partial z^{[1]}$ and "
                    r"$\partial L / \partial W^{[1]}$.")
        if W2.shape[0] == W2.shape[1] and s.mistake(
                "not_transposed", "multiplied by W^[2] instead of its transpose; the error flows backwards through W^T"):
            back = W2 @ d2
        else:
            back = W2.T @ d2
        if s.mistake("activation_derivative_missing", "left out the activation's derivative f'(z^[1])"):
            deriv = np.ones_like(z1)
        elif not relu and s.mistake("sigmoid_derivative_of_z", "used z(1-z) for the sigmoid's derivative; "
                                                               "it is sigma(z)(1 - sigma(z)) = a(1-a)"):
            deriv = z1 * (1 - z1)
        else:
            deriv = (np.asarray(z1) > 0).astype(float) if relu else a1 * (1 - a1)
        dname = r"\mathbb{1}[z^{[1]} > 0]" if relu else r"a^{[1]} \odot (1 - a^{[1]})"
        d1 = s.step("delta1", back * deriv, rf"\delta^{{[1]}} = (W^{{[2]}})^T \delta^{{[2]}} \odot {dname}",
                    lambda: rf"{mat(np.asarray(W2).T)} {mat(d2)} \odot {mat(deriv)}", label=r"$\delta^{[1]}$")
        dW1 = s.step("dW1", np.outer(d1, x), r"\frac{\partial L}{\partial W^{[1]}} = \delta^{[1]} x^T",
                     lambda: rf"{mat(d1)} {mat(np.atleast_2d(x))}", label=r"$\partial L / \partial W^{[1]}$",
                     answer=True)

        s.part("d", r"Take one SGD step: compute the updated $W^{[2]}$ and $W^{[1]}$.")
        direction = 1.0 if s.mistake("gradient_ascent", "added the gradient; gradient descent subtracts it") else -1.0
        s.step("W2_new", W2 + direction * g.lr * dW2, r"W^{[2]} \leftarrow W^{[2]} - \lambda \frac{\partial L}{\partial W^{[2]}}",
               lambda: rf"{mat(W2)} - {num(g.lr)} {mat(dW2)}", label=r"new $W^{[2]}$", answer=True)
        s.step("W1_new", W1 + direction * g.lr * dW1, r"W^{[1]} \leftarrow W^{[1]} - \lambda \frac{\partial L}{\partial W^{[1]}}",
               lambda: rf"{mat(W1)} - {num(g.lr)} {mat(dW1)}", label=r"new $W^{[1]}$", answer=True)


# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------

_Weight = Annotated[float, Field(ge=-100, le=100)]
_ACT_TEX = {"sigmoid": r"\sigma", "relu": r"\mathrm{ReLU}"}
_ACT_DEF = {"sigmoid": r"\sigma(z) = \frac{1}{1+e^{-z}}", "relu": r"\mathrm{ReLU}(z) = \max(0, z)"}


class DenseForwardGivens(Givens):
    x: list[_Weight] = Field(min_length=1, max_length=6, description="the input a^[0] = x")
    W: list[list[list[_Weight]]] = Field(min_length=2, max_length=4,
                                         description="W^[1], ..., W^[L]; W^[l] has shape (nodes of layer l, nodes of layer l-1)")
    b: list[list[_Weight]] = Field(min_length=2, max_length=4, description="b^[1], ..., b^[L]")
    activations: list[Literal["sigmoid", "relu"]] = Field(
        min_length=1, max_length=3, description="activation of hidden layers 1..L-1 (the output layer is softmax)")
    layer: int = Field(ge=1, description="the hidden layer of the asked node (from 1)")
    node: int = Field(ge=1, description="the asked node, numbered from 1 within its layer")

    @model_validator(mode="after")
    def _shapes(self):
        n_layers = len(self.W)
        if len(self.b) != n_layers or len(self.activations) != n_layers - 1:
            raise ValueError(f"give one b per W ({n_layers}) and one activation per hidden layer ({n_layers - 1})")
        width = len(self.x)
        for i, (W, b) in enumerate(zip(self.W, self.b), 1):
            if not W or any(len(r) != width for r in W):
                raise ValueError(f"every row of W^[{i}] needs {width} entries (one per node of layer {i - 1})")
            if len(b) != len(W):
                raise ValueError(f"b^[{i}] needs {len(W)} entries (one per row of W^[{i}])")
            width = len(W)
        if width < 2:
            raise ValueError("the softmax output layer needs at least 2 classes")
        if self.layer > n_layers - 1:
            raise ValueError(f"layer must be a hidden layer, from 1 to {n_layers - 1}")
        if self.node > len(self.W[self.layer - 1]):
            raise ValueError(f"layer {self.layer} has only {len(self.W[self.layer - 1])} nodes")
        return self


def _activate(z, act: str):
    return np.maximum(z, 0.0) if act == "relu" else sigmoid(z)


@generator(id="dense_forward", topic="dense", goal="03.1", version=1,
           title="Forward pass of a dense network: a named node and the softmax output")
class DenseForward(Generator):
    """A network of 2-3 layers (sigmoid / ReLU hidden layers, softmax output): the activation of a
    named node in a named hidden layer, the output probabilities and the predicted class."""

    Givens = DenseForwardGivens

    def draw(self, rng):
        while True:
            r = Draws(rng)
            n_layers = r.pick((2, 2, 3))
            widths = [r.pick((2, 3)) for _ in range(n_layers)] + [r.pick((2, 3, 3))]
            acts = [r.pick(("sigmoid", "relu")) for _ in range(n_layers - 1)]
            scale = r.pick((1, 10))
            x = [r.nonzero(2 * scale) / scale for _ in range(widths[0])]
            W = [[[r.nonzero(10) / 10 for _ in range(widths[i])] for _ in range(widths[i + 1])] for i in range(n_layers)]
            b = [[r.nonzero(5) / 10 for _ in range(widths[i + 1])] for i in range(n_layers)]
            layer = 1 + r.below(n_layers - 1)
            node = 1 + r.below(widths[layer])
            if self._good(x, W, b, acts, layer, node):
                return DenseForwardGivens(x=x, W=W, b=b, activations=acts, layer=layer, node=node)

    @staticmethod
    def _good(x, W, b, acts, layer, node) -> bool:
        """No ReLU at its kink, no dead layer or dead asked node, moderate scores, a clear winner."""
        a = x
        for i, act in enumerate(acts, 1):
            z = [sum(w * v for w, v in zip(r, a)) + c for r, c in zip(W[i - 1], b[i - 1])]
            if act == "relu":
                if min(map(abs, z)) < 0.05 or max(z) <= 0 or (i == layer and z[node - 1] <= 0):
                    return False
                a = [max(v, 0.0) for v in z]
            else:
                a = [1 / (1 + math.exp(-v)) for v in z]
        z = [sum(w * v for w, v in zip(r, a)) + c for r, c in zip(W[-1], b[-1])]
        if max(map(abs, z)) > 6:
            return False
        e = sorted(math.exp(v) for v in z)
        return (e[-1] - e[-2]) / sum(e) >= 0.02  # a clear predicted class

    def figure(self, g):
        sizes = [len(g.x)] + [len(W) for W in g.W]
        names = ["input x"] + [f"layer {i} ({a})" for i, a in enumerate(g.activations, 1)] + ["softmax"]
        labels = [[f"x{k + 1}" for k in range(sizes[0])]] + [[f"{j + 1}" for j in range(n)] for n in sizes[1:]]
        return network(sizes, weights=g.W, names=names, node_labels=labels)

    def stem(self, g):
        n_layers = len(g.W)
        hidden = ", ".join(f"hidden layer {i} of {len(W)} nodes with activation ${_ACT_DEF[a]}$"
                           for i, (W, a) in enumerate(zip(g.W, g.activations), 1))
        params = "\n".join(f"- layer {i}: $W^{{[{i}]}} = {mat(W)}$, $b^{{[{i}]}} = {mat(b)}$"
                           for i, (W, b) in enumerate(zip(g.W, g.b), 1))
        return (
            f"A dense network has {len(g.x)} inputs, {hidden}, and a softmax output layer (layer {n_layers}) "
            f"of {len(g.W[-1])} classes. With column vectors and $a^{{[0]}} = x$,"
            "\n\n"
            r"$$z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}, \quad a^{[l]} = f^{[l]}(z^{[l]}), \quad "
            rf"\hat y = \operatorname{{softmax}}(z^{{[{n_layers}]}}), \ \ \hat y_k = \frac{{e^{{z^{{[{n_layers}]}}_k}}}}"
            rf"{{\sum_j e^{{z^{{[{n_layers}]}}_j}}}}$$"
            "\n\n"
            r"where $w^{[l]}_{jk}$ (row $j$, column $k$ of $W^{[l]}$) connects node $k$ of layer $l-1$ to node $j$ "
            r"of layer $l$, and nodes and classes are numbered from 1. The parameters are:"
            "\n\n" + params + "\n\n"
            f"The input is $x = {mat(g.x)}$. The predicted class is the one with the largest $\\hat y_k$. "
            "A calculator may be used for the exponentials. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: DenseForwardGivens):
        n_layers, layer, j = len(g.W), g.layer, g.node - 1
        s.part("a", lambda: f"Compute the forward pass up to layer {layer} ("
               + ", ".join(f"$z^{{[{i}]}}$, $a^{{[{i}]}}$" for i in range(1, layer + 1))
               + f") and give the activation $a^{{[{layer}]}}_{{{g.node}}}$ of node {g.node} in layer {layer}.")
        a = np.array(g.x, dtype=float)
        for i in range(1, n_layers + 1):
            W, b = np.array(g.W[i - 1], dtype=float), np.array(g.b[i - 1], dtype=float)
            if i == layer + 1:
                s.part("b", lambda: "Complete the forward pass: compute "
                       + ", ".join(f"$z^{{[{k}]}}$, $a^{{[{k}]}}$" for k in range(layer + 1, n_layers))
                       + (", " if layer + 1 < n_layers else "")
                       + f"$z^{{[{n_layers}]}}$, the output $\\hat y$ and the predicted class.")
            a0 = a
            if s.mistake("bias_missing", "left out the bias b^[l] in z^[l] = W^[l] a^[l-1] + b^[l]"):
                z = W @ a0
            elif W.shape[0] == W.shape[1] and s.mistake(
                    "not_transposed", "multiplied by the transpose of W^[l]; row j of W^[l] holds the "
                                      "weights into node j, so z^[l] = W^[l] a^[l-1] + b^[l]"):
                z = W.T @ a0 + b
            else:
                z = W @ a0 + b
            z = s.step(f"z{i}", z, rf"z^{{[{i}]}} = W^{{[{i}]}} a^{{[{i - 1}]}} + b^{{[{i}]}}",
                       lambda W=W, a0=a0, b=b: rf"{mat(W)} {mat(a0)} + {mat(b)}", label=rf"$z^{{[{i}]}}$")
            if i < n_layers:
                act = g.activations[i - 1]
                if act == "sigmoid" and s.mistake("sigmoid_sign", "used 1/(1 + e^z); the sigmoid is 1/(1 + e^-z)"):
                    a = sigmoid(-np.asarray(z))
                else:
                    a = _activate(np.asarray(z), act)
                fn = _ACT_TEX[act]
                a = s.step(f"a{i}", a, rf"a^{{[{i}]}} = {fn}(z^{{[{i}]}})",
                           lambda fn=fn, z=z: rf"{fn}\left({mat(z)}\right)", label=rf"$a^{{[{i}]}}$")
                if i == layer:
                    s.step("node", float(a[j]), rf"a^{{[{layer}]}}_{{{g.node}}}", label=rf"$a^{{[{layer}]}}_{{{g.node}}}$",
                           answer=True)
            else:
                p = s.step("yhat", softmax(z), r"\hat y_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
                           lambda z=z: r"\operatorname{softmax}\left(" + mat(z) + r"\right)", label=r"$\hat y$",
                           answer=True)
                s.step("pred", int(np.argmax(p)) + 1, r"\text{the class } k \text{ with the largest } \hat y_k",
                       label="predicted class", answer=True)


# ---------------------------------------------------------------------------------------------


class VectorizedShapesGivens(Givens):
    m: int = Field(ge=1, le=100_000, description="minibatch size (examples processed at once)")
    widths: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        min_length=3, max_length=6, description="n^[0] (inputs), n^[1], ..., n^[L] (outputs)")
    layer: int = Field(ge=1, description="the layer l asked about (from 1)")

    @model_validator(mode="after")
    def _layer_exists(self):
        if self.layer > len(self.widths) - 1:
            raise ValueError(f"layer must be from 1 to L = {len(self.widths) - 1}")
        return self


@generator(id="vectorized_shapes", topic="dense", goal="03.10", version=1,
           title="Shapes in the vectorized forward and backward equations")
class VectorizedShapes(Generator):
    """A minibatch through a 2-3 layer dense network, examples as columns: the shapes of
    A^[l-1], W^[l], b^[l], Z^[l], A^[l] and of dZ^[l], dW^[l], db^[l], dA^[l-1]."""

    Givens = VectorizedShapesGivens

    def draw(self, rng):
        while True:
            n_layers = pick(rng, [2, 3, 3])
            n0 = pick(rng, [784, 3072, 100, 64, 20, 12, 5, 4])
            hidden = [pick(rng, [512, 256, 128, 100, 64, 50, 32, 16, 8, 6]) for _ in range(n_layers - 1)]
            out = pick(rng, [10, 10, 2, 3, 5, 100])
            widths = [n0, *hidden, out]
            m = pick(rng, [8, 16, 32, 60, 64, 128, 200, 256])
            layer = int(rng.integers(1, n_layers + 1))
            if len({m, widths[layer - 1], widths[layer]}) == 3 and 1 not in (widths[layer - 1], widths[layer]):
                return VectorizedShapesGivens(m=m, widths=widths, layer=layer)

    def stem(self, g):
        n_layers = len(g.widths) - 1
        sizes = ", ".join(f"$n^{{[{i}]}} = {n}$" for i, n in enumerate(g.widths))
        return (
            f"A fully-connected network with $L = {n_layers}$ layers has layer sizes {sizes} "
            f"($n^{{[0]}}$ inputs, $n^{{[{n_layers}]}}$ outputs). It processes a minibatch of $m = {g.m}$ "
            "examples at once with the vectorized equations of the course, with the examples as the "
            r"columns: $A^{[0]} = X$ holds one example per column, and for $l = 1, \dots, L$"
            "\n\n"
            r"$$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]})$$"
            "\n\n"
            r"where $b^{[l]}$ is a column vector, broadcast (added to every column of $W^{[l]} A^{[l-1]}$). "
            r"The cost $J$ is the average of the examples' losses, and the backward pass computes "
            r"$dZ^{[l]} = \partial J / \partial Z^{[l]}$, $dW^{[l]} = \partial J / \partial W^{[l]}$, "
            r"$db^{[l]} = \partial J / \partial b^{[l]}$ and $dA^{[l-1]} = \partial J / \partial A^{[l-1]}$. "
            "Give every shape as (rows, columns); a column vector of 5 entries has shape (5, 1)."
        )

    def solve(self, s: Steps, g: VectorizedShapesGivens):
        l, m = g.layer, g.m
        n_prev, n_l = g.widths[l - 1], g.widths[l]
        Ap, A, Z, W, b = rf"A^{{[{l - 1}]}}", rf"A^{{[{l}]}}", rf"Z^{{[{l}]}}", rf"W^{{[{l}]}}", rf"b^{{[{l}]}}"
        p = l - 1

        def shape(name, tex, rows, cols, rows_why, cols_why):
            r = s.step(f"{name}_rows", rows, rows_why, label=f"rows of ${tex}$", answer=True)
            c = s.step(f"{name}_cols", cols, cols_why, label=f"columns of ${tex}$", answer=True)
            return r, c

        s.part("a", lambda: f"Forward pass of layer {l}: give the shapes (rows, columns) of ${Ap}$, ${W}$, "
                            f"${b}$, ${Z}$ and ${A}$.")
        if s.mistake("examples_as_rows", "put the examples in the rows; in the course's layout each "
                                         "example is a column of A"):
            ap = (m, n_prev)
        else:
            ap = (n_prev, m)
        ap_r, ap_c = shape(f"A{p}", Ap, *ap, rf"n^{{[{p}]}} \text{{ (one row per node of layer {p})}}",
                           r"m \text{ (one column per example)}")
        if s.mistake("W_transposed", "wrote W^[l] as n^[l-1] x n^[l]; for Z = W A + b it must be "
                                     "n^[l] x n^[l-1] (one row per node of layer l)"):
            w_r, w_c = ap_r, n_l
        else:
            w_r, w_c = n_l, ap_r
        w_r, w_c = shape(f"W{l}", W, w_r, w_c, rf"n^{{[{l}]}} \text{{ (one row per node of layer {l})}}",
                         rf"\text{{rows of }} {Ap} \text{{ (so that }} {W} {Ap} \text{{ is defined)}}")
        if s.mistake("b_per_example", "gave b^[l] one column per example; it is one column, broadcast "
                                      "to all m examples"):
            b_c = ap_c
        else:
            b_c = 1
        b_r, b_c = shape(f"b{l}", b, w_r, b_c, rf"\text{{rows of }} {W} \text{{ (one bias per node)}}",
                         r"1 \text{ (broadcast over the columns)}")
        z_r, z_c = shape(f"Z{l}", Z, w_r, ap_c, rf"\text{{rows of }} {W}", rf"\text{{columns of }} {Ap}")
        shape(f"A{l}", A, z_r, z_c, rf"\text{{rows of }} {Z} \text{{ (applied entrywise)}}", rf"\text{{columns of }} {Z}")

        s.part("b", lambda: f"Backward pass of layer {l}: give the shapes of $d{Z}$, $d{W}$, $d{b}$ and $d{Ap}$.")
        dz_r, dz_c = shape(f"dZ{l}", f"d{Z}", z_r, z_c, rf"\text{{rows of }} {Z}", rf"\text{{columns of }} {Z}")
        shape(f"dW{l}", f"d{W}", dz_r, ap_r,
              rf"d{W} = \frac{{1}}{{m}}\, d{Z} \left({Ap}\right)^T: \text{{rows of }} d{Z}",
              rf"\text{{rows of }} {Ap}")
        if s.mistake("db_not_summed", "kept one column per example; db^[l] sums dZ^[l] over the "
                                      "m examples (columns)"):
            db_c = dz_c
        else:
            db_c = 1
        shape(f"db{l}", f"d{b}", dz_r, db_c,
              rf"d{b} = \frac{{1}}{{m}} \sum_{{i=1}}^{{m}} d{Z}_{{:,i}}: \text{{rows of }} d{Z}",
              r"1 \text{ (summed over the examples)}")
        shape(f"dA{p}", f"d{Ap}", w_c, dz_c,
              rf"d{Ap} = \left({W}\right)^T d{Z}: \text{{columns of }} {W}", rf"\text{{columns of }} d{Z}")
