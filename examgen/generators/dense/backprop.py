"""Forward pass and backpropagation in a small dense network, and one SGD step."""

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, sig
from ...registry import Generator, Givens, generator
from ...render.figures import network
from ...steps import Degenerate, Steps
from .._draw import Draws
from .._maths import sigmoid, softmax
from .._mistakes import (ACTIVATION_DERIVATIVE_MISSING, ERROR_SIGN, GRADIENT_ASCENT, HALF_FORGOTTEN,
                         POWER_RULE_FACTOR, SIGMOID_DERIVATIVE_OF_Z, SIGMOID_DERIVATIVE_TWICE,
                         TANH_SQUARE_MISSING)
from .._stems import calculator
from ._layers import ACT_DEF, ACT_TEX, activate, derivative, derivative_tex

_Value = Annotated[float, Field(ge=-100, le=100)]
_Matrix = list[list[_Value]]
Activation = Literal["sigmoid", "relu", "tanh"]
Output = Literal["softmax", "sigmoid", "linear"]
Loss = Literal["cross_entropy", "half_squared", "mean_squared"]
# (output, loss) as drawn: the softmax classifier twice as often as each other pair
_DRAWN = (("softmax", "cross_entropy"), ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
          ("sigmoid", "half_squared"), ("sigmoid", "mean_squared"), ("linear", "half_squared"),
          ("linear", "mean_squared"))
_LOSS_TEX = {
    ("softmax", "cross_entropy"): r"L = -\sum_k y_k \log \hat y_k",
    ("sigmoid", "cross_entropy"): r"L = -\sum_k \left( y_k \log \hat y_k + (1 - y_k) \log (1 - \hat y_k) \right)",
    "half_squared": r"L = \frac{1}{2} \sum_{k=1}^{K} (\hat y_k - y_k)^2",
    "mean_squared": r"L = \frac{1}{K} \sum_{k=1}^{K} (\hat y_k - y_k)^2",
}
_OUTPUT_TEX = {"softmax": r"\hat y = \operatorname{softmax}(z^{[L]})", "sigmoid": r"\hat y = \sigma(z^{[L]})",
               "linear": r"\hat y = z^{[L]}"}


class BackpropGivens(Givens):
    x: list[_Value] = Field(min_length=1, max_length=6, description="the input a^[0] = x")
    W1: _Matrix = Field(min_length=1, max_length=6, description="layer 1's weights, shape (nodes, inputs)")
    b1: list[_Value] = Field(description="layer 1's biases")
    W2: _Matrix = Field(min_length=1, max_length=6, description="layer 2's weights (the output layer unless W3 is given)")
    b2: list[_Value]
    W3: _Matrix | None = Field(None, min_length=1, max_length=6,
                               description="output weights of a network with two hidden layers")
    b3: list[_Value] | None = None
    activation: Activation = Field(description="activation of every hidden layer")
    output: Output = Field("softmax", description="the output layer's activation")
    loss: Loss = Field("cross_entropy", description="cross_entropy, or squared error with 1/2 or 1/K (the mean)")
    target: int | None = Field(None, ge=0, description="softmax output: index of the true class (from 0)")
    y: list[_Value] | None = Field(None, description="sigmoid or linear output: the targets, one per output")
    lr: float = Field(gt=0, le=10, description="learning rate lambda")

    @property
    def layers(self) -> list[tuple[list, list]]:
        """(W, b) of layers 1..L."""
        return [(self.W1, self.b1), (self.W2, self.b2)] + ([(self.W3, self.b3)] if self.W3 is not None else [])

    @model_validator(mode="after")
    def _consistent(self):
        if (self.W3 is None) != (self.b3 is None):
            raise ValueError("give both W3 and b3 (a second hidden layer) or neither")
        width = len(self.x)
        for i, (W, b) in enumerate(self.layers, 1):
            if any(len(r) != width for r in W) or len(b) != len(W):
                raise ValueError(f"W{i} must be {len(W)}x{width} (one row per node of layer {i}, one column "
                                 f"per node of layer {i - 1}) and b{i} must have {len(W)} entries")
            width = len(W)
        if self.output == "softmax":
            if self.loss != "cross_entropy":
                raise ValueError("a softmax output is trained with loss 'cross_entropy'")
            if width < 2:
                raise ValueError("the softmax output layer needs at least 2 classes")
            if self.target is None or self.target >= width or self.y is not None:
                raise ValueError(f"with a softmax output give the true class as target, from 0 to {width - 1} "
                                 "(and no y)")
        else:
            if self.output == "linear" and self.loss == "cross_entropy":
                raise ValueError("a linear output is trained with a squared error: loss 'half_squared' or "
                                 "'mean_squared'")
            if self.y is None or len(self.y) != width or self.target is not None:
                raise ValueError(f"with a {self.output} output give the targets y, one per output ({width}), "
                                 "and no target")
            if self.loss == "cross_entropy" and not all(0 <= t <= 1 for t in self.y):
                raise ValueError("with the binary cross-entropy every target y must lie in [0, 1]")
        return self


@generator(id="backprop", topic="dense", goal="03.6", version=4,
           title="Forward pass and backpropagation in a small dense network")
class Backprop(Generator):
    """A network with one or two hidden layers (sigmoid, ReLU or tanh) and a softmax + cross-entropy,
    sigmoid + binary cross-entropy, or sigmoid / linear + squared-error output: the forward pass, every
    layer's delta, dL/da of every hidden layer, every weight and bias gradient, and one SGD step."""

    Givens = BackpropGivens

    def draw(self, rng):
        r = Draws(rng)
        while True:
            two = r.chance(0.4)
            act = r.pick(("sigmoid", "relu", "tanh"))
            output, loss = r.pick(_DRAWN)
            widths = [2, 2, 2] if two else list(r.pick(((2, 2), (2, 2), (2, 3), (3, 2))))
            widths.append(r.pick((2, 2, 3)) if output == "softmax" else 1 if loss == "cross_entropy" else r.pick((1, 2)))
            scale = r.pick((1, 10))
            x = [r.nonzero(2 * scale) / scale for _ in range(widths[0])]
            W = [[[r.nonzero(10) / 10 for _ in range(n_in)] for _ in range(n_out)] for n_in, n_out in zip(widths, widths[1:])]
            b = [[r.between(-5, 5) / 10 for _ in range(n_out)] for n_out in widths[1:]]
            target = r.below(widths[-1]) if output == "softmax" else None
            y = None if output == "softmax" else [
                float(r.below(2)) if output == "sigmoid" else r.between(-10, 10) / 10 for _ in range(widths[-1])]
            if _good(x, W, b, act, output, target, y):
                return BackpropGivens(x=x, W1=W[0], b1=b[0], W2=W[1], b2=b[1], W3=W[2] if two else None,
                                      b3=b[2] if two else None, activation=act, output=output, loss=loss,
                                      target=target, y=y, lr=r.pick((0.1, 0.5, 1.0)))

    def figure(self, g):
        sizes = [len(g.x)] + [len(W) for W, _ in g.layers]
        n = len(sizes) - 1
        labels = [[f"x{k + 1}" for k in range(sizes[0])]] + [
            [f"h{j + 1}" if n == 2 else f"{j + 1}" for j in range(m)] for m in sizes[1:-1]] + [
            [f"{'c' if g.output == 'softmax' else 'y'}{j + 1}" for j in range(sizes[-1])]]
        names = ["input x"] + [f"layer {l} ({g.activation})" for l in range(1, n)] + [f"output ({g.output})"]
        return network(sizes, weights=[W for W, _ in g.layers], names=names, node_labels=labels)

    def stem(self, g):
        n = len(g.layers)
        hidden = "one hidden layer" if n == 2 else "two hidden layers"
        params = "\n".join(f"- layer {i}: $W^{{[{i}]}} = {mat(W)}$, $b^{{[{i}]}} = {mat(b)}$"
                           for i, (W, b) in enumerate(g.layers, 1))
        out = len(g.layers[-1][0])
        if g.output == "softmax":
            task = (f"a softmax output layer of {out} classes, trained with the cross-entropy loss")
            target = (f"The true class is class {g.target + 1} of {out} (one-hot $y$ with "
                      f"$y_{{{g.target + 1}}} = 1$).")
        else:
            what = {"cross_entropy": "the binary cross-entropy loss", "half_squared": "the squared error with a "
                    r"factor $\frac{1}{2}$", "mean_squared": f"the mean squared error over the $K = {out}$ outputs"}
            task = (f"{'a sigmoid' if g.output == 'sigmoid' else 'a linear (identity)'} output layer of {out} "
                    f"node{'s' if out > 1 else ''}, trained with {what[g.loss]}")
            target = f"The target is $y = {mat(g.y)}$."
        loss = _LOSS_TEX.get((g.output, g.loss)) or _LOSS_TEX[g.loss]
        needs = ((["$\\tanh$"] if g.activation == "tanh" else [])
                 + (["the exponentials"] if g.activation == "sigmoid" or g.output != "linear" else [])
                 + (["the logarithm"] if g.loss == "cross_entropy" else []))
        return (
            f"A dense network has {len(g.x)} inputs, {hidden} with activation ${ACT_DEF[g.activation]}$, and "
            f"{task}. With column vectors, $a^{{[0]}} = x$ and $L = {n}$ layers,"
            "\n\n"
            rf"$$z^{{[l]}} = W^{{[l]}} a^{{[l-1]}} + b^{{[l]}},\quad a^{{[l]}} = f(z^{{[l]}}) \ (l < {n}),\quad "
            + _OUTPUT_TEX[g.output].replace("[L]", f"[{n}]") + rf",\quad {loss}$$"
            "\n\n"
            r"where $w^{[l]}_{jk}$ (row $j$, column $k$ of $W^{[l]}$) connects node $k$ of layer $l-1$ to node $j$ "
            r"of layer $l$, nodes are numbered from 1, and $\delta^{[l]} = \partial L / \partial z^{[l]}$. "
            "The parameters are:\n\n" + params + "\n\n"
            f"The input is $x = {mat(g.x)}$. {target} One step of stochastic gradient descent updates every "
            rf"weight and bias as $\theta \leftarrow \theta - \lambda \frac{{\partial L}}{{\partial \theta}}$ with "
            f"learning rate $\\lambda = {num(g.lr)}$."
            + (" The loss uses the natural logarithm." if g.loss == "cross_entropy" else "")
            + (" " + calculator(_listed(needs)) if needs else "") + " Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: BackpropGivens):
        layers = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in g.layers]
        n, act = len(layers), g.activation
        fname = ACT_TEX[act]

        # (a) forward pass ------------------------------------------------------------------------------
        s.part(r"Forward pass: compute " + ", ".join(f"$z^{{[{l}]}}$, $a^{{[{l}]}}$" for l in range(1, n))
               + f", $z^{{[{n}]}}$" + (r", the output $\hat y$" if g.output != "linear" else "")
               + r" and the loss $L$.")
        acts, zs = [np.array(g.x, dtype=float)], []
        for l, (W, b) in enumerate(layers, 1):
            a0 = acts[-1]
            z = s.step(f"z{l}", W @ a0 + b, rf"z^{{[{l}]}} = W^{{[{l}]}} a^{{[{l - 1}]}} + b^{{[{l}]}}",
                       lambda W=W, a0=a0, b=b: rf"{mat(W)} {mat(a0)} + {mat(b)}", label=rf"$z^{{[{l}]}}$")
            zs.append(np.asarray(z))
            if l < n:
                acts.append(np.asarray(s.step(f"a{l}", activate(z, act), rf"a^{{[{l}]}} = {fname}(z^{{[{l}]}})",
                                              lambda z=z: rf"{fname}\left({mat(z)}\right)", label=rf"$a^{{[{l}]}}$")))
        yhat = self._output(s, g, zs[-1], n)

        # (b) output layer ------------------------------------------------------------------------------
        s.part(rf"Output layer: compute $\delta^{{[{n}]}} = \partial L / \partial z^{{[{n}]}}$, "
               rf"$\partial L / \partial W^{{[{n}]}}$ and $\partial L / \partial b^{{[{n}]}}$.")
        delta = self._output_delta(s, g, yhat, n)
        grads = {n: self._layer_gradients(s, n, delta, acts[n - 1])}

        # (c), (d) hidden layers ------------------------------------------------------------------------
        for l in range(n - 1, 0, -1):
            s.part(rf"Hidden layer {l}: compute $\partial L / \partial a^{{[{l}]}}$, $\delta^{{[{l}]}}$, "
                   rf"$\partial L / \partial W^{{[{l}]}}$ and $\partial L / \partial b^{{[{l}]}}$.")
            W_next = layers[l][0]
            if W_next.shape[0] == W_next.shape[1] and s.mistake(
                    "not_transposed", "multiplied by W^[l+1] instead of its transpose; the error flows backwards through W^T"):
                back = W_next @ delta
            else:
                back = W_next.T @ delta
            da = s.step(f"da{l}", back, rf"\frac{{\partial L}}{{\partial a^{{[{l}]}}}} = (W^{{[{l + 1}]}})^T \delta^{{[{l + 1}]}}",
                        lambda W=W_next, d=delta: rf"{mat(W.T)} {mat(d)}", label=rf"$\partial L / \partial a^{{[{l}]}}$")
            deriv = self._hidden_derivative(s, act, zs[l - 1], acts[l])
            delta = s.step(f"delta{l}", np.asarray(da) * deriv,
                           rf"\delta^{{[{l}]}} = \frac{{\partial L}}{{\partial a^{{[{l}]}}}} \odot {derivative_tex(act, l)}",
                           lambda da=da, d=deriv: rf"{mat(da)} \odot {mat(d)}", label=rf"$\delta^{{[{l}]}}$")
            grads[l] = self._layer_gradients(s, l, delta, acts[l - 1])

        # (last) SGD step -------------------------------------------------------------------------------
        s.part("Take one SGD step: compute the updated " + ", ".join(
            f"$W^{{[{l}]}}$, $b^{{[{l}]}}$" for l in range(n, 0, -1)) + ".")
        sign = 1.0 if s.mistake(GRADIENT_ASCENT) else -1.0
        for l in range(n, 0, -1):
            (W, b), (dW, db) = layers[l - 1], grads[l]
            for name, p, dp in ((f"W{l}", W, dW), (f"b{l}", b, db)):
                sym = "W" if name[0] == "W" else "b"
                s.step(f"{name}_new", p + sign * g.lr * np.asarray(dp),
                       rf"{sym}^{{[{l}]}} \leftarrow {sym}^{{[{l}]}} - \lambda \frac{{\partial L}}{{\partial {sym}^{{[{l}]}}}}",
                       lambda p=p, dp=dp: rf"{mat(p)} - {num(g.lr)} {mat(dp)}", label=rf"new ${sym}^{{[{l}]}}$",
                       answer=True)

    @staticmethod
    def _output(s: Steps, g, z, n: int):
        """The output y_hat (a step for softmax and sigmoid; a linear output is z itself) and the loss."""
        if g.output != "linear" and np.any(np.abs(z) > 700):
            raise Degenerate("the output scores are too large to exponentiate")
        zn = rf"z^{{[{n}]}}"
        if g.output == "softmax":
            p = s.step("p", softmax(z), rf"\hat y_k = \frac{{e^{{{zn}_k}}}}{{\sum_j e^{{{zn}_j}}}}",
                       lambda: r"\operatorname{softmax}\left(" + mat(z) + r"\right)", label=r"$\hat y$")
            t = g.target
            if p[t] <= 0:
                raise Degenerate("the true class's probability is 0: the loss is infinite")
            s.step("loss", -np.log(p[t]), rf"L = -\log \hat y_{{{t + 1}}}", lambda: rf"-\log {sig(p[t], 6)}",
                   label="$L$", answer=True)
            return p
        y = np.array(g.y, dtype=float)
        if g.output == "sigmoid":
            yhat = s.step("yhat", sigmoid(z), rf"\hat y = \sigma({zn})", lambda: rf"\sigma\left({mat(z)}\right)",
                          label=r"$\hat y$")
        else:
            yhat = z
        yhat = np.asarray(yhat, dtype=float)
        if g.loss == "cross_entropy":
            if np.any((yhat <= 0) | (yhat >= 1)):
                raise Degenerate("an output of exactly 0 or 1 makes the cross-entropy infinite")
            loss = -float(np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)))
            work = lambda: "-" + r" - ".join(_bce_terms(yhat, y))  # noqa: E731
        else:
            half = g.loss == "half_squared"
            loss = float(np.sum((yhat - y) ** 2)) * (0.5 if half else 1 / len(y))
            work = lambda: (r"\frac{1}{2}" if half else rf"\frac{{1}}{{{len(y)}}}") + r"\left(" + " + ".join(  # noqa: E731
                rf"({num(a, 6)} - {_p(t)})^2" for a, t in zip(yhat, y)) + r"\right)"
        s.step("loss", loss, (_LOSS_TEX.get((g.output, g.loss)) or _LOSS_TEX[g.loss]).replace("K", str(len(y))),
               work, label="$L$", answer=True)
        return yhat

    @staticmethod
    def _output_delta(s: Steps, g, yhat, n: int):
        """delta^[L] = dL/dz^[L] (and dL/dy_hat first, for a sigmoid output with a squared error)."""
        sign = -1.0 if s.mistake(ERROR_SIGN) else 1.0
        if g.output == "softmax":
            y = np.zeros(len(yhat))
            y[g.target] = 1.0
            return s.step(f"delta{n}", sign * (yhat - y), rf"\delta^{{[{n}]}} = \hat y - y",
                          lambda: rf"{mat(yhat)} - {mat(y)}", label=rf"$\delta^{{[{n}]}}$")
        y = np.array(g.y, dtype=float)
        if g.loss == "cross_entropy":
            e = sign * (yhat - y)
            if s.mistake(SIGMOID_DERIVATIVE_TWICE):
                e = e * yhat * (1 - yhat)
            return s.step(f"delta{n}", e, rf"\delta^{{[{n}]}} = \hat y - y \quad \text{{(the sigmoid's derivative "
                                          r"cancels)}}", lambda: rf"{mat(yhat)} - {mat(y)}", label=rf"$\delta^{{[{n}]}}$")
        K, half = len(y), g.loss == "half_squared"
        factor = 1.0 if half else 2.0 / K
        if half and s.mistake(HALF_FORGOTTEN):
            factor = 2.0
        elif not half and s.mistake(POWER_RULE_FACTOR):
            factor = 1.0 / K
        elif not half and K > 1 and s.mistake(
                "mean_not_divided", "left out the 1/K of the mean over the outputs: dL/dy_hat = (2/K)(y_hat - y)"):
            factor = 2.0
        ftex, fnum = ("", "") if half else (rf"\frac{{2}}{{{K}}}", rf"\frac{{2}}{{{K}}}")
        if g.output == "linear":
            return s.step(f"delta{n}", sign * factor * (yhat - y),
                          rf"\delta^{{[{n}]}} = \frac{{\partial L}}{{\partial \hat y}} = {ftex}(\hat y - y)",
                          lambda: rf"{fnum}\left({mat(yhat)} - {mat(y)}\right)", label=rf"$\delta^{{[{n}]}}$")
        dy = s.step("dyhat", sign * factor * (yhat - y), rf"\frac{{\partial L}}{{\partial \hat y}} = {ftex}(\hat y - y)",
                    lambda: rf"{fnum}\left({mat(yhat)} - {mat(y)}\right)", label=r"$\partial L / \partial \hat y$")
        deriv = np.ones_like(yhat) if s.mistake(ACTIVATION_DERIVATIVE_MISSING) else yhat * (1 - yhat)
        return s.step(f"delta{n}", np.asarray(dy) * deriv,
                      rf"\delta^{{[{n}]}} = \frac{{\partial L}}{{\partial \hat y}} \odot \hat y \odot (1 - \hat y)",
                      lambda: rf"{mat(dy)} \odot {mat(deriv)}", label=rf"$\delta^{{[{n}]}}$")

    @staticmethod
    def _hidden_derivative(s: Steps, act: str, z, a):
        """f'(z^[l]) of a hidden layer, or what a named mistake uses instead."""
        if s.mistake(ACTIVATION_DERIVATIVE_MISSING):
            return np.ones_like(z)
        if act == "sigmoid" and s.mistake(SIGMOID_DERIVATIVE_OF_Z):
            return z * (1 - z)
        if act == "tanh" and s.mistake(TANH_SQUARE_MISSING):
            return 1 - np.asarray(a)
        return derivative(z, a, act)

    @staticmethod
    def _layer_gradients(s: Steps, l: int, delta, a_prev):
        """dL/dW^[l] = delta^[l] (a^[l-1])^T and dL/db^[l] = delta^[l]."""
        dW = s.step(f"dW{l}", np.outer(delta, a_prev),
                    rf"\frac{{\partial L}}{{\partial W^{{[{l}]}}}} = \delta^{{[{l}]}} (a^{{[{l - 1}]}})^T",
                    lambda: rf"{mat(delta)} {mat(np.atleast_2d(a_prev))}", label=rf"$\partial L / \partial W^{{[{l}]}}$",
                    answer=True)
        db = s.step(f"db{l}", np.asarray(delta, dtype=float), rf"\frac{{\partial L}}{{\partial b^{{[{l}]}}}} = \delta^{{[{l}]}}",
                    label=rf"$\partial L / \partial b^{{[{l}]}}$", answer=True)
        return dW, db


def _good(x, W, b, act, output, target, y) -> bool:
    """The draw's check, on the forward pass: no ReLU at its kink, no dead hidden layer, and an output
    error worth propagating (some |y_hat_k - y_k| >= 0.05)."""
    a = np.array(x)
    for Wl, bl in zip(W[:-1], b[:-1]):
        z = np.array(Wl) @ a + bl
        if np.min(np.abs(z)) < 0.05 or (act == "relu" and z.max() <= 0):
            return False
        a = activate(z, act)
    z = np.array(W[-1]) @ a + b[-1]
    if output == "softmax":
        return softmax(z)[target] <= 0.95
    return np.max(np.abs((sigmoid(z) if output == "sigmoid" else z) - y)) >= 0.05


def _p(x: float) -> str:
    """A number, in parentheses when negative."""
    t = num(x, 6)
    return f"({t})" if t.startswith("-") else t


def _bce_terms(yhat, y) -> list[str]:
    """y log y_hat + (1 - y) log(1 - y_hat) of each output, the zero terms left out."""
    out = []
    for a, t in zip(yhat, y):
        parts = ([rf"\log {sig(a, 6)}" if t == 1 else rf"{num(t, 6)} \log {sig(a, 6)}"] if t else []) + (
            [rf"\log {sig(1 - a, 6)}" if t == 0 else rf"{num(1 - t, 6)} \log {sig(1 - a, 6)}"] if t != 1 else [])
        out.append(r"\left(" + " + ".join(parts) + r"\right)" if len(parts) > 1 else parts[0])
    return out


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
