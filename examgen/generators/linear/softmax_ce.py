"""Softmax classifier: cross-entropy loss and one gradient step."""

import math

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, sig
from ...registry import Generator, Givens, generator
from ...steps import Degenerate, Steps
from .._draw import Draws
from .._givens import Number
from .._maths import softmax
from .._mistakes import ERROR_SIGN, GRADIENT_ASCENT, LOG10
from .._stems import calculator, given_values


class SoftmaxCeGivens(Givens):
    x: list[Number] = Field(min_length=1, max_length=4, description="the example's features")
    W: list[list[Number]] = Field(min_length=2, max_length=6, description="weights, shape (classes, features)")
    b: list[Number] = Field(description="biases, one per class")
    true_class: int = Field(ge=1, description="the true class, numbered from 1")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")

    @model_validator(mode="after")
    def _shapes(self):
        k, d = len(self.W), len(self.x)
        if any(len(r) != d for r in self.W):
            raise ValueError(f"W must be {k}x{d}: one row per class, one column per feature")
        if len(self.b) != k:
            raise ValueError(f"b must have one entry per class ({k})")
        if self.true_class > k:
            raise ValueError(f"true_class must be a class number from 1 to {k}")
        return self


@generator(id="softmax_ce", topic="linear", goal="02.7", version=3,
           title="Softmax classifier: cross-entropy loss and one gradient step")
class SoftmaxCe(Generator):
    """A linear softmax classifier with 3-4 classes on one example: scores, probabilities,
    cross-entropy, dL/dz = p - y, the weight gradient and one update."""

    Givens = SoftmaxCeGivens

    def draw(self, rng):
        while True:
            r = Draws(rng)
            k, d = r.pick((3, 3, 4)), r.pick((2, 2, 3))
            x = [float(r.pick((-2, -1, 1, 2, 3))) for _ in range(d)]
            W, b, z = [], [], []
            for _ in range(4 * k):  # candidate classes: keep the first k with a small score
                wk, bk = [float(r.between(-2, 2)) for _ in range(d)], float(r.pick((-1, 0, 0, 1)))
                zk = sum(wj * xj for wj, xj in zip(wk, x)) + bk
                if abs(zk) <= 3 and any(wk):
                    W.append(wk), b.append(bk), z.append(zk)
                    if len(z) == k:
                        break
            if len(z) < k or max(z) - min(z) > 4 or len(set(z)) < k - 1:
                continue  # small scores (e^z is given) that are not all alike
            c = r.below(k) + 1
            if softmax(np.array(z))[c - 1] > 0.9:
                continue  # an almost-zero loss and gradient: nothing to learn
            lr = r.pick((0.1, 0.5, 1.0))
            return SoftmaxCeGivens(x=x, W=W, b=b, true_class=c, lr=lr)

    def stem(self, g):
        k, d = len(g.W), len(g.x)
        z = np.array(g.W) @ np.array(g.x) + np.array(g.b)
        exps = [f"e^{{{num(t)}}} = {num(math.exp(t))}" for t in sorted(set(z.tolist())) if t != 0]
        return (
            f"A linear softmax classifier with {k} classes (numbered 1 to {k}) computes, for an input "
            f"$x$ with {d} features, the scores $z = Wx + b$ and the class probabilities"
            "\n\n"
            r"$$p_k = \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}$$"
            "\n\n"
            r"and is trained with the cross-entropy loss $L = -\sum_k y_k \ln p_k$ (natural logarithm), "
            r"where $y$ is the one-hot vector of the true class. Row $k$ of $W$ holds the weights of class $k$: "
            f"$W = {mat(g.W)}$, $b = {mat(g.b)}$. The example is $x = {mat(g.x)}$ and its true class is "
            f"class {g.true_class}, so $y_{{{g.true_class}}} = 1$. One step of stochastic gradient descent "
            f"on this example uses learning rate $\\lambda = {num(g.lr)}$. "
            + (given_values(exps) + " " if exps else "") + calculator("the logarithm")
            + " Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: SoftmaxCeGivens):
        x, W, b = np.array(g.x, dtype=float), np.array(g.W, dtype=float), np.array(g.b, dtype=float)
        k, c = len(b), g.true_class - 1
        y = np.zeros(k)
        y[c] = 1.0

        s.part(r"Compute the scores $z$, the probabilities $p = \operatorname{softmax}(z)$ and the loss $L$.")
        if np.max(W @ x + b) - np.min(W @ x + b) > 100:
            raise Degenerate("the scores are too far apart: a probability of 0 makes the loss infinite")
        z = s.step("z", W @ x + b, r"z = Wx + b", lambda: rf"{mat(W)} {mat(x)} + {mat(b)}", label="$z$")
        p = s.step("p", softmax(z), r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
                   lambda: r"\frac{1}{" + " + ".join(num(math.exp(t)) for t in z) + r"}"
                           + mat(np.exp(z)), label="$p$")
        if s.mistake(LOG10):
            loss = -np.log10(p[c])
        elif s.mistake("binary_ce_per_class", "added -ln(1 - p_k) for the wrong classes (binary cross-entropy "
                                              "per class); the softmax cross-entropy is -ln p of the true class"):
            loss = -np.log(p[c]) - float(np.sum(np.log(1 - np.delete(p, c))))
        else:
            loss = -np.log(p[c])
        s.step("loss", float(loss), rf"L = -\sum_k y_k \ln p_k = -\ln p_{{{c + 1}}}",
               lambda: rf"-\ln {sig(p[c], 6)}", label="$L$")

        s.part(r"Compute $\delta = \partial L / \partial z$ and the gradient $\partial L / \partial W$.")
        if s.mistake(ERROR_SIGN):
            delta = y - p
        elif s.mistake("onehot_forgotten", "left out the one-hot target: dL/dz = p - y, so the true "
                                           "class's entry is p_k - 1"):
            delta = p
        else:
            delta = p - y
        d = s.step("delta", delta, r"\delta = \frac{\partial L}{\partial z} = p - y", lambda: rf"{mat(p)} - {mat(y)}",
                   label=r"$\delta = \partial L / \partial z$")
        dW = s.step("dW", np.outer(d, x), r"\frac{\partial L}{\partial W} = \delta\, x^T",
                    lambda: rf"{mat(d)} {mat(np.atleast_2d(x))}", label=r"$\partial L / \partial W$")

        s.part(r"Take one gradient-descent step: compute the updated $W$ and $b$ "
               r"(note $\partial L / \partial b = \delta$).")
        sign = 1.0 if s.mistake(GRADIENT_ASCENT) else -1.0
        s.step("W_new", W + sign * g.lr * dW, r"W \leftarrow W - \lambda \frac{\partial L}{\partial W}",
               lambda: rf"{mat(W)} - {num(g.lr)} {mat(dW)}", label="new $W$", answer=True)
        s.step("b_new", b + sign * g.lr * d, r"b \leftarrow b - \lambda\, \delta",
               lambda: rf"{mat(b)} - {num(g.lr)} {mat(d)}", label="new $b$", answer=True)
