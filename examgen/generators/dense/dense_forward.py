"""Forward pass of a dense network: a named node and the softmax output."""

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat
from ...registry import Generator, Givens, generator
from ...render.figures import network
from ...steps import Steps
from .._draw import Draws
from .._maths import sigmoid, softmax
from .._mistakes import BIAS_FORGOTTEN, SIGMOID_SIGN, WEIGHTS_TRANSPOSED
from .._stems import calculator
from ._layers import ACT_DEF, ACT_TEX, activate

_Weight = Annotated[float, Field(ge=-100, le=100)]


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


@generator(id="dense_forward", topic="dense", goal="03.1", version=3,
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
                a = sigmoid(np.array(z)).tolist()
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
        hidden = ", ".join(f"hidden layer {i} of {len(W)} nodes with activation ${ACT_DEF[a]}$"
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
            + calculator("the exponentials") + " Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: DenseForwardGivens):
        n_layers, layer, j = len(g.W), g.layer, g.node - 1
        s.part(lambda: f"Compute the forward pass up to layer {layer} ("
          + ", ".join(f"$z^{{[{i}]}}$, $a^{{[{i}]}}$" for i in range(1, layer + 1))
          + f") and give the activation $a^{{[{layer}]}}_{{{g.node}}}$ of node {g.node} in layer {layer}.")
        a = np.array(g.x, dtype=float)
        for i in range(1, n_layers + 1):
            W, b = np.array(g.W[i - 1], dtype=float), np.array(g.b[i - 1], dtype=float)
            if i == layer + 1:
                s.part(lambda: "Complete the forward pass: compute "
                  + ", ".join(f"$z^{{[{k}]}}$, $a^{{[{k}]}}$" for k in range(layer + 1, n_layers))
                  + (", " if layer + 1 < n_layers else "")
                  + f"$z^{{[{n_layers}]}}$, the output $\\hat y$ and the predicted class.")
            a0 = a
            if s.mistake(BIAS_FORGOTTEN):
                z = W @ a0
            elif W.shape[0] == W.shape[1] and s.mistake(
                    WEIGHTS_TRANSPOSED):
                z = W.T @ a0 + b
            else:
                z = W @ a0 + b
            z = s.step(f"z{i}", z, rf"z^{{[{i}]}} = W^{{[{i}]}} a^{{[{i - 1}]}} + b^{{[{i}]}}",
                       lambda W=W, a0=a0, b=b: rf"{mat(W)} {mat(a0)} + {mat(b)}", label=rf"$z^{{[{i}]}}$")
            if i < n_layers:
                act = g.activations[i - 1]
                if act == "sigmoid" and s.mistake(SIGMOID_SIGN):
                    a = sigmoid(-np.asarray(z))
                else:
                    a = activate(np.asarray(z), act)
                fn = ACT_TEX[act]
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
