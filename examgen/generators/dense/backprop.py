"""Forward pass and backpropagation in a small dense network."""

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num
from ...registry import Generator, Givens, generator
from ...render.figures import network
from ...steps import Degenerate, Steps
from .._draw import decimals, matrix, pick
from .._maths import relu, sigmoid, softmax
from .._mistakes import ACTIVATION_DERIVATIVE_MISSING, ERROR_SIGN, GRADIENT_ASCENT, SIGMOID_DERIVATIVE_OF_Z


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


@generator(id="backprop", topic="dense", goal="03.6", version=3,
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
        is_relu = g.activation == "relu"
        f = relu if is_relu else sigmoid
        fname = r"\mathrm{ReLU}" if is_relu else r"\sigma"

        s.part(r"Forward pass: compute $z^{[1]}$, $a^{[1]}$, $z^{[2]}$, $\hat y$ and the loss $L$.")
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

        s.part(r"Output layer: compute $\delta^{[2]} = \partial L / \partial z^{[2]}$ and "
               r"$\partial L / \partial W^{[2]}$.")
        sign = -1.0 if s.mistake(ERROR_SIGN) else 1.0
        d2 = s.step("delta2", sign * (p - y), r"\delta^{[2]} = \hat y - y", lambda: rf"{mat(p)} - {mat(y)}",
                    label=r"$\delta^{[2]}$")
        dW2 = s.step("dW2", np.outer(d2, a1), r"\frac{\partial L}{\partial W^{[2]}} = \delta^{[2]} (a^{[1]})^T",
                     lambda: rf"{mat(d2)} {mat(np.atleast_2d(a1))}", label=r"$\partial L / \partial W^{[2]}$",
                     answer=True)

        s.part(r"Hidden layer: compute $\delta^{[1]} = \partial L / \partial z^{[1]}$ and "
               r"$\partial L / \partial W^{[1]}$.")
        if W2.shape[0] == W2.shape[1] and s.mistake(
                "not_transposed", "multiplied by W^[2] instead of its transpose; the error flows backwards through W^T"):
            back = W2 @ d2
        else:
            back = W2.T @ d2
        if s.mistake(ACTIVATION_DERIVATIVE_MISSING):
            deriv = np.ones_like(z1)
        elif not is_relu and s.mistake(SIGMOID_DERIVATIVE_OF_Z):
            deriv = z1 * (1 - z1)
        else:
            deriv = (np.asarray(z1) > 0).astype(float) if is_relu else a1 * (1 - a1)
        dname = r"\mathbb{1}[z^{[1]} > 0]" if is_relu else r"a^{[1]} \odot (1 - a^{[1]})"
        d1 = s.step("delta1", back * deriv, rf"\delta^{{[1]}} = (W^{{[2]}})^T \delta^{{[2]}} \odot {dname}",
                    lambda: rf"{mat(np.asarray(W2).T)} {mat(d2)} \odot {mat(deriv)}", label=r"$\delta^{[1]}$")
        dW1 = s.step("dW1", np.outer(d1, x), r"\frac{\partial L}{\partial W^{[1]}} = \delta^{[1]} x^T",
                     lambda: rf"{mat(d1)} {mat(np.atleast_2d(x))}", label=r"$\partial L / \partial W^{[1]}$",
                     answer=True)

        s.part(r"Take one SGD step: compute the updated $W^{[2]}$ and $W^{[1]}$.")
        direction = 1.0 if s.mistake(GRADIENT_ASCENT) else -1.0
        s.step("W2_new", W2 + direction * g.lr * dW2, r"W^{[2]} \leftarrow W^{[2]} - \lambda \frac{\partial L}{\partial W^{[2]}}",
               lambda: rf"{mat(W2)} - {num(g.lr)} {mat(dW2)}", label=r"new $W^{[2]}$", answer=True)
        s.step("W1_new", W1 + direction * g.lr * dW1, r"W^{[1]} \leftarrow W^{[1]} - \lambda \frac{\partial L}{\partial W^{[1]}}",
               lambda: rf"{mat(W1)} - {num(g.lr)} {mat(dW1)}", label=r"new $W^{[1]}$", answer=True)
