"""Forward pass of a simple recurrent network."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, plain
from ...registry import Generator, Givens, generator
from ...render.figures import unrolled_rnn
from ...steps import Steps
from .._draw import quick_decimal, quick_decimals, quick_pick
from .._maths import sigmoid
from ._recurrent import (Mat, Vec, _check_shapes, _out, _plus, _show, _times, _vec)


class RnnForwardGivens(Givens):
    W: Mat = Field(min_length=1, max_length=3, description="recurrent weights, shape (H, H)")
    U: Mat = Field(min_length=1, max_length=3, description="input weights, shape (H, D)")
    b: Vec = Field(min_length=1, max_length=3, description="hidden bias, H entries")
    h0: Vec = Field(min_length=1, max_length=3, description="initial hidden state, H entries")
    x: Mat = Field(min_length=1, max_length=4, description="inputs x_1..x_T, each with D entries")
    v: Vec = Field(min_length=1, max_length=3, description="output weights, H entries")
    c: float = Field(ge=-100, le=100, description="output bias")

    @model_validator(mode="after")
    def _shapes(self):
        h, d = len(self.W), len(self.U[0]) if self.U and self.U[0] else 0
        if d < 1 or d > 3:
            raise ValueError("U must have 1 to 3 columns (the input size D)")
        _check_shapes(h, d, {"W": (self.W, (h, h)), "U": (self.U, (h, d)), "b": (self.b, (h,)),
                             "h0": (self.h0, (h,)), "x": (self.x, (len(self.x), d)), "v": (self.v, (h,))})
        numbers = [abs(e) for m in (self.W, self.U, self.x) for r in m for e in r] + self.b + self.h0 + self.v
        if max(map(abs, numbers)) > 100:
            raise ValueError("every weight, bias and input must lie in [-100, 100]")
        return self


@generator(id="rnn_forward", topic="rnn", goal="11.1", version=1,
           title="Forward pass of a simple recurrent network")
class RnnForward(Generator):
    """h_t = tanh(W h_{t-1} + U x_t + b) for 2-3 steps (scalar or 2-d state), then y = v^T h_T + c."""

    Givens = RnnForwardGivens

    def draw(self, rng):
        while True:
            hid = quick_pick(rng, [1, 2, 2])
            inp = 1 if hid == 1 else quick_pick(rng, [1, 2])
            steps = quick_pick(rng, [2, 3, 3]) if hid == 1 else quick_pick(rng, [2, 2, 3])
            W = quick_decimals(rng, (hid, hid), -1, 1, nonzero=True)
            U = quick_decimals(rng, (hid, inp), -1, 1, nonzero=True)
            if hid == inp and (W == U).all():
                continue
            b = quick_decimals(rng, hid, -0.5, 0.5)
            h0 = np.zeros(hid) if rng.random() < 0.6 else quick_decimals(rng, hid, -0.8, 0.8, nonzero=True)
            places = 0 if rng.random() < 0.5 else 1
            h, xs = h0, []
            for _ in range(steps):
                # a few candidate inputs at once; keep the first whose pre-activation is neither
                # near 0 (where tanh(a) ~ a hides a forgotten tanh) nor beyond 2.2 (saturated)
                cands = quick_decimals(rng, (6, inp), -2, 2, places, nonzero=True)
                a = cands @ U.T + (W @ h + b)
                fits = ((np.abs(a) >= 0.15) & (np.abs(a) <= 2.2)).all(axis=1)
                if not fits.any():
                    break
                i = int(fits.argmax())
                xs.append(cands[i])
                h = np.tanh(a[i])
            if len(xs) == steps:
                return RnnForwardGivens(W=W.tolist(), U=U.tolist(), b=b.tolist(), h0=h0.tolist(),
                                        x=np.array(xs).tolist(),
                                        v=quick_decimals(rng, hid, -1.5, 1.5, nonzero=True).tolist(),
                                        c=quick_decimal(rng, -0.5, 0.5, 1))

    def figure(self, g):
        def vec(v):
            return plain(v[0]) if len(v) == 1 else "(" + ", ".join(plain(e) for e in v) + ")"
        steps = len(g.x)
        return unrolled_rnn(steps, [f"x{t + 1} = {vec(x)}" for t, x in enumerate(g.x)],
                            [""] * (steps - 1) + ["ŷ = vᵀh + c"], h0=f"h0 = {vec(g.h0)}")

    def stem(self, g):
        hid, inp, T = len(g.W), len(g.U[0]), len(g.x)
        xs = ", ".join(f"x_{t} = {_show(xt)}" for t, xt in enumerate(g.x, 1))
        state = "a scalar hidden state" if hid == 1 else f"a {hid}-dimensional hidden state"
        inputs = "scalar inputs" if inp == 1 else f"{inp}-dimensional inputs"
        shape = f"{state} and {inputs}" + (" (column vectors)" if max(hid, inp) > 1 else "")
        yform = r"\hat y = v\,h_T + c" if hid == 1 else r"\hat y = v^T h_T + c"
        weights = (f"$W = {_show(g.W)}$, $U = {_show(g.U)}$, $b = {_show(g.b)}$ and "
                   f"$h_0 = {_show(g.h0)}$")
        return (
            f"A simple recurrent network with {shape} reads the sequence ${xs}$ "
            f"($T = {T}$). At every time step it updates its hidden state with"
            "\n\n"
            r"$$h_t = \tanh\left(W h_{t-1} + U x_t + b\right)$$"
            "\n\n"
            "where $W$ multiplies the previous hidden state, $U$ the input, the bias $b$ is added inside "
            r"the $\tanh$, and $\tanh$ acts on every entry. The weights are " + weights + ". "
            f"After the last step the network outputs ${yform}$ with $v = {_show(g.v)}$ and $c = {num(g.c)}$ "
            "(no activation on the output). A calculator may be used for $\\tanh$. "
            "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: RnnForwardGivens):
        W, U, b, v = np.array(g.W), np.array(g.U), np.array(g.b), np.array(g.v)
        hid, inp = W.shape[0], U.shape[1]
        h = np.array(g.h0, dtype=float)
        for t, xt in enumerate(g.x, 1):
            x = np.array(xt)
            s.part(lambda: f"Time step $t = {t}$: compute the pre-activation "
                           f"$a_{t} = W h_{t - 1} + U x_{t} + b$ and the hidden state $h_{t}$.")
            prev = h
            if hid == inp and s.mistake("W_U_swapped", "swapped W and U: W multiplies the previous "
                                                       "hidden state, U the input"):
                a = U @ prev + W @ x + b
            else:
                a = W @ prev + U @ x + b
            a = _vec(s.step(f"a{t}", _out(a, hid), rf"a_{t} = W h_{{{t - 1}}} + U x_{t} + b",
                            lambda: rf"{_times(W, prev)} + {_times(U, x)} + {_plus(b)}",
                            label=f"$a_{t}$"))
            if s.mistake("tanh_forgotten", "left out the tanh: the hidden state is tanh of the "
                                           "pre-activation, not the pre-activation itself"):
                h = a
            elif s.mistake("sigmoid_for_tanh", "used the logistic sigmoid; this network's activation is tanh"):
                h = sigmoid(a)
            else:
                h = np.tanh(a)
            h = _vec(s.step(f"h{t}", _out(h, hid), rf"h_{t} = \tanh(a_{t})",
                            lambda: rf"\tanh\left({_show(a)}\right)", label=f"$h_{t}$", answer=True))
        s.part(r"Compute the network's output $\hat y$ after the last step.")
        hT = h
        s.step("y", float(v @ hT + g.c), r"\hat y = v h_T + c" if hid == 1 else r"\hat y = v^T h_T + c",
               lambda: " + ".join(rf"{par(vi)} \cdot {par(hi)}" for vi, hi in zip(v, hT)) + f" + {par(g.c)}",
               label=r"$\hat y$")
