"""One step of a gated recurrent unit."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import quick_decimals, quick_pick
from .._maths import sigmoid
from ._recurrent import Mat, Vec, _check_shapes, _out, _plus, _show, _times, _vec


class GruGivens(Givens):
    Wz: Mat = Field(description="update gate input weights, shape (H, D)")
    Uz: Mat = Field(description="update gate recurrent weights, shape (H, H)")
    bz: Vec
    Wr: Mat = Field(description="reset gate input weights, shape (H, D)")
    Ur: Mat = Field(description="reset gate recurrent weights, shape (H, H)")
    br: Vec
    Wh: Mat = Field(description="candidate input weights, shape (H, D)")
    Uh: Mat = Field(description="candidate recurrent weights, shape (H, H)")
    bh: Vec
    x: Vec = Field(min_length=1, max_length=3, description="the input x_t (D entries)")
    h_prev: Vec = Field(min_length=1, max_length=3, description="the previous hidden state h_{t-1} (H entries)")

    @model_validator(mode="after")
    def _shapes(self):
        h, d = len(self.h_prev), len(self.x)
        shapes = {}
        for gate in "zrh":
            shapes[f"W{gate}"] = (getattr(self, f"W{gate}"), (h, d))
            shapes[f"U{gate}"] = (getattr(self, f"U{gate}"), (h, h))
            shapes[f"b{gate}"] = (getattr(self, f"b{gate}"), (h,))
        _check_shapes(h, d, shapes)
        numbers = [e for v, _ in shapes.values() for r in v for e in (r if isinstance(r, list) else [r])]
        if max(map(abs, numbers + self.x + self.h_prev)) > 100:
            raise ValueError("every weight, bias and input must lie in [-100, 100]")
        return self


@generator(id="gru_step", topic="rnn", goal="11.4", version=1, title="One step of a gated recurrent unit")
class GruStep(Generator):
    """Update gate, reset gate, candidate state and new state of a GRU (reset before the product)."""

    Givens = GruGivens

    def draw(self, rng):
        while True:
            hid = quick_pick(rng, [1, 2, 2])
            inp = quick_pick(rng, [1, 1, 2]) if hid == 2 else quick_pick(rng, [1, 2])
            Wx = quick_decimals(rng, (3, hid, inp), -1, 1, nonzero=True)  # W_z, W_r, W_h
            Uh = quick_decimals(rng, (3, hid, hid), -1, 1, nonzero=True)  # U_z, U_r, U_h
            bias = quick_decimals(rng, (3, hid), -0.5, 0.5)
            x = quick_decimals(rng, inp, -2, 2, 0 if rng.random() < 0.5 else 1, nonzero=True)
            hp = quick_decimals(rng, hid, -0.9, 0.9, nonzero=True)
            az = Wx[0] @ x + Uh[0] @ hp + bias[0]
            # z = 1/2 would hide which way round the update gate goes: move such a z away from it
            shift = np.where(np.abs(az) < 0.4, np.where(az < 0, -0.5, 0.5), 0.0)
            bias[0] = np.round(bias[0] + shift, 1)
            pre = Wx @ x + bias  # the input parts of the three pre-activations
            r = sigmoid(pre[1] + Uh[1] @ hp)
            ht = np.tanh(pre[2] + Uh[2] @ (r * hp))
            if np.abs(r - 1).max() < 0.15 or np.abs(ht - hp).min() < 0.1:
                continue  # the reset gate should matter, and the candidate differ from h_{t-1}
            if hid > 1 and np.abs(np.tanh(pre[2] + r * (Uh[2] @ hp)) - ht).max() < 0.01:
                continue  # applying r after the product with U_h must give a visibly different candidate
            W, U, B = Wx.tolist(), Uh.tolist(), bias.tolist()
            return GruGivens(Wz=W[0], Uz=U[0], bz=B[0], Wr=W[1], Ur=U[1], br=B[1], Wh=W[2], Uh=U[2], bh=B[2],
                             x=x.tolist(), h_prev=hp.tolist())

    def stem(self, g):
        hid, inp = len(g.h_prev), len(g.x)
        if hid == 1:
            dims = "a scalar hidden state and " + ("a scalar input" if inp == 1 else f"a {inp}-dimensional input")
        else:
            dims = f"a {hid}-dimensional hidden state and " + ("a scalar input" if inp == 1 else
                                                                f"a {inp}-dimensional input")
        lines = []
        for gate, name in (("z", "update gate"), ("r", "reset gate"), ("h", "candidate")):
            W, U, b = getattr(g, f"W{gate}"), getattr(g, f"U{gate}"), getattr(g, f"b{gate}")
            lines.append(f"- {name}: $W_{gate} = {_show(W)}$, $U_{gate} = {_show(U)}$, "
                         f"$b_{gate} = {_show(b)}$")
        return (
            f"A gated recurrent unit (GRU) with {dims} computes its new state with the equations of "
            "Cho et al. (2014):"
            "\n\n"
            r"$$z_t = \sigma\left(W_z x_t + U_z h_{t-1} + b_z\right), \qquad "
            r"r_t = \sigma\left(W_r x_t + U_r h_{t-1} + b_r\right)$$"
            "\n\n"
            r"$$\tilde h_t = \tanh\left(W_h x_t + U_h \left(r_t \odot h_{t-1}\right) + b_h\right), \qquad "
            r"h_t = z_t \odot h_{t-1} + \left(1 - z_t\right) \odot \tilde h_t$$"
            "\n\n"
            r"where $z_t$ is the update gate, $r_t$ the reset gate, $\tilde h_t$ the candidate state, "
            r"$\sigma(a) = \frac{1}{1+e^{-a}}$ is the logistic sigmoid and $\odot$ the elementwise product. "
            r"The reset gate multiplies the previous state before the product with $U_h$, and each of "
            "the three has one bias vector. The weights are:"
            "\n\n" + "\n".join(lines) + "\n\n"
            f"The input is $x_t = {_show(g.x)}$ and the previous state $h_{{t-1}} = {_show(g.h_prev)}$. "
            r"A calculator may be used for $\sigma$ and $\tanh$. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: GruGivens):
        A = {k: np.array(getattr(g, k), dtype=float) for k in ("Wz", "Uz", "bz", "Wr", "Ur", "br", "Wh", "Uh", "bh")}
        x, hp = np.array(g.x, dtype=float), np.array(g.h_prev, dtype=float)
        hid = hp.size

        def work(gate, fn, pre, h_in=hp):
            if hid > 1:  # the weights are in the question; the pre-activation is what to check
                return lambda: rf"{fn}\left({mat(pre)}\right)"
            return lambda: (rf"{fn}\left({_times(A['W' + gate], x)} + {_times(A['U' + gate], h_in)} + "
                            rf"{_plus(A['b' + gate])}\right) = {fn}\left({num(float(pre[0]))}\right)")

        s.part(r"Compute the update gate $z_t$ and the reset gate $r_t$.")
        az = A["Wz"] @ x + A["Uz"] @ hp + A["bz"]
        z = _vec(s.step("z", _out(sigmoid(az), hid), r"z_t = \sigma\left(W_z x_t + U_z h_{t-1} + b_z\right)",
                        work("z", r"\sigma", az), label="$z_t$", answer=True))
        ar = A["Wr"] @ x + A["Ur"] @ hp + A["br"]
        r = _vec(s.step("r", _out(sigmoid(ar), hid), r"r_t = \sigma\left(W_r x_t + U_r h_{t-1} + b_r\right)",
                        work("r", r"\sigma", ar), label="$r_t$", answer=True))

        s.part(r"Compute the reset previous state $r_t \odot h_{t-1}$ and the candidate state $\tilde h_t$.")
        rh = _vec(s.step("rh", _out(r * hp, hid), r"r_t \odot h_{t-1}",
                         lambda: rf"{_plus(r)} \odot {_plus(hp)}", label=r"$r_t \odot h_{t-1}$"))
        if hid > 1 and s.mistake("reset_after_product",
                                 "applied the reset gate after the product, r * (U_h h); this GRU resets "
                                 "the previous state first: U_h (r * h)"):
            ah = A["Wh"] @ x + r * (A["Uh"] @ hp) + A["bh"]
        elif s.mistake("reset_not_applied", "used the previous state itself in the candidate; the reset "
                                            "gate multiplies it first: U_h (r * h)"):
            ah = A["Wh"] @ x + A["Uh"] @ hp + A["bh"]
        else:
            ah = A["Wh"] @ x + A["Uh"] @ rh + A["bh"]
        ht = _vec(s.step("h_tilde", _out(np.tanh(ah), hid),
                         r"\tilde h_t = \tanh\left(W_h x_t + U_h \left(r_t \odot h_{t-1}\right) + b_h\right)",
                         work("h", r"\tanh", ah, rh), label=r"$\tilde h_t$"))

        s.part(r"Compute the new hidden state $h_t$.")
        if s.mistake("update_gate_swapped", "used the update gate the wrong way round; here z keeps the "
                                            "old state: new = z * old + (1 - z) * candidate"):
            new = (1 - z) * hp + z * ht
        else:
            new = z * hp + (1 - z) * ht
        s.step("h", _out(new, hid), r"h_t = z_t \odot h_{t-1} + \left(1 - z_t\right) \odot \tilde h_t",
               lambda: rf"{_plus(z)} \odot {_plus(hp)} + \left(1 - {_plus(z)}\right) \odot {_plus(ht)}",
               label="$h_t$")
