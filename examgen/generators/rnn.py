"""Lecture 11: recurrent neural networks (forward pass, GRU, parameter counts, BPTT)."""


import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par, plain, row
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..render.figures import unrolled_rnn
from ..steps import Steps

PRODUCT = Tolerance.significant(3)
CLIP = Tolerance.places(3)

Vec = list[float]
Mat = list[list[float]]

def decs(rng: np.random.Generator, shape, low: float, high: float, places: int = 1,
         nonzero: bool = False) -> np.ndarray:
    """An array of numbers in [low, high] with ``places`` decimals, drawn in one call."""
    scale = 10 ** places
    lo, hi = int(round(low * scale)), int(round(high * scale))
    skip = nonzero and lo <= 0 <= hi
    # uniform over lo..hi (without 0 when skipped); rng.random is much faster than rng.integers
    if shape is None:
        k = math.floor(rng.random() * (hi - lo + 1 - skip)) + lo
        return (k + (skip and k >= 0)) / scale
    k = np.floor(rng.random(shape) * (hi - lo + 1 - skip)) + lo
    if skip:
        k[k >= 0] += 1
    return k / scale


def pick(rng: np.random.Generator, options):
    """One of ``options``, uniformly (like ``_draw.pick``, with the faster ``rng.random``)."""
    return options[int(rng.random() * len(options))]


def decimal(rng: np.random.Generator, low: float, high: float, places: int = 1, nonzero: bool = False) -> float:
    """One number in [low, high] with ``places`` decimals (like ``_draw.decimal``)."""
    return float(decs(rng, None, low, high, places, nonzero))


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _vec(v) -> np.ndarray:
    """A step value (scalar for a 1-d state, else a vector) as a 1-d array."""
    if v.__class__ is np.ndarray and v.ndim == 1:
        return v
    return np.atleast_1d(np.asarray(v, dtype=float))


def _out(v: np.ndarray, dim: int):
    """What a step records: a plain number when the state is 1-dimensional."""
    return float(v[0]) if dim == 1 else v


def _show(v) -> str:
    """A vector or matrix (a column for a vector), or a plain number when it has one entry."""
    a = v if v.__class__ is np.ndarray else np.asarray(v, dtype=float)
    return num(float(a.flat[0])) if a.size == 1 else mat(a)


def _plus(v) -> str:
    """Like ``_show``, with a negative plain number in parentheses (a term of a sum)."""
    a = v if v.__class__ is np.ndarray else np.asarray(v, dtype=float)
    return par(a.flat[0]) if a.size == 1 else mat(a)


def _times(m, v) -> str:
    """LaTeX for the product M v, with a dot when either factor is a plain number."""
    a = m if m.__class__ is np.ndarray else np.asarray(m, dtype=float)
    x = v if v.__class__ is np.ndarray else np.asarray(v, dtype=float)
    if a.size == 1 or x.size == 1:
        return rf"{_plus(a)} \cdot {_plus(x)}"
    return rf"{mat(a)} {mat(x)}"


def _shape(value) -> tuple[int, ...]:
    """The shape of a list (of lists) of numbers; () for anything ragged."""
    if not value or not isinstance(value[0], list):
        return (len(value),)
    widths = {len(r) for r in value}
    return (len(value), widths.pop()) if len(widths) == 1 else ()


def _check_shapes(hidden: int, inputs: int, named: dict[str, tuple[list, tuple[int, ...]]]) -> None:
    for name, (value, shape) in named.items():
        if _shape(value) != shape:
            raise ValueError(f"{name} must have shape {shape} (hidden size {hidden}, input size {inputs})")


# ---------------------------------------------------------------------------------------------


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
            hid = pick(rng, [1, 2, 2])
            inp = 1 if hid == 1 else pick(rng, [1, 2])
            steps = pick(rng, [2, 3, 3]) if hid == 1 else pick(rng, [2, 2, 3])
            W = decs(rng, (hid, hid), -1, 1, nonzero=True)
            U = decs(rng, (hid, inp), -1, 1, nonzero=True)
            if hid == inp and (W == U).all():
                continue
            b = decs(rng, hid, -0.5, 0.5)
            h0 = np.zeros(hid) if rng.random() < 0.6 else decs(rng, hid, -0.8, 0.8, nonzero=True)
            places = 0 if rng.random() < 0.5 else 1
            h, xs = h0, []
            for _ in range(steps):
                # a few candidate inputs at once; keep the first whose pre-activation is neither
                # near 0 (where tanh(a) ~ a hides a forgotten tanh) nor beyond 2.2 (saturated)
                cands = decs(rng, (6, inp), -2, 2, places, nonzero=True)
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
                                        v=decs(rng, hid, -1.5, 1.5, nonzero=True).tolist(),
                                        c=decimal(rng, -0.5, 0.5, 1))

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
            s.part(chr(ord("a") + t - 1),
                   lambda: f"Time step $t = {t}$: compute the pre-activation "
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
                h = _sigmoid(a)
            else:
                h = np.tanh(a)
            h = _vec(s.step(f"h{t}", _out(h, hid), rf"h_{t} = \tanh(a_{t})",
                            lambda: rf"\tanh\left({_show(a)}\right)", label=f"$h_{t}$", answer=True))
        T = len(g.x)
        s.part(chr(ord("a") + T), r"Compute the network's output $\hat y$ after the last step.")
        hT = h
        s.step("y", float(v @ hT + g.c), r"\hat y = v h_T + c" if hid == 1 else r"\hat y = v^T h_T + c",
               lambda: " + ".join(rf"{par(vi)} \cdot {par(hi)}" for vi, hi in zip(v, hT)) + f" + {par(g.c)}",
               label=r"$\hat y$")


# ---------------------------------------------------------------------------------------------


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
            hid = pick(rng, [1, 2, 2])
            inp = pick(rng, [1, 1, 2]) if hid == 2 else pick(rng, [1, 2])
            Wx = decs(rng, (3, hid, inp), -1, 1, nonzero=True)  # W_z, W_r, W_h
            Uh = decs(rng, (3, hid, hid), -1, 1, nonzero=True)  # U_z, U_r, U_h
            bias = decs(rng, (3, hid), -0.5, 0.5)
            x = decs(rng, inp, -2, 2, 0 if rng.random() < 0.5 else 1, nonzero=True)
            hp = decs(rng, hid, -0.9, 0.9, nonzero=True)
            az = Wx[0] @ x + Uh[0] @ hp + bias[0]
            # z = 1/2 would hide which way round the update gate goes: move such a z away from it
            shift = np.where(np.abs(az) < 0.4, np.where(az < 0, -0.5, 0.5), 0.0)
            bias[0] = np.round(bias[0] + shift, 1)
            pre = Wx @ x + bias  # the input parts of the three pre-activations
            r = _sigmoid(pre[1] + Uh[1] @ hp)
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

        s.part("a", r"Compute the update gate $z_t$ and the reset gate $r_t$.")
        az = A["Wz"] @ x + A["Uz"] @ hp + A["bz"]
        z = _vec(s.step("z", _out(_sigmoid(az), hid), r"z_t = \sigma\left(W_z x_t + U_z h_{t-1} + b_z\right)",
                        work("z", r"\sigma", az), label="$z_t$", answer=True))
        ar = A["Wr"] @ x + A["Ur"] @ hp + A["br"]
        r = _vec(s.step("r", _out(_sigmoid(ar), hid), r"r_t = \sigma\left(W_r x_t + U_r h_{t-1} + b_r\right)",
                        work("r", r"\sigma", ar), label="$r_t$", answer=True))

        s.part("b", r"Compute the reset previous state $r_t \odot h_{t-1}$ and the candidate state $\tilde h_t$.")
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

        s.part("c", r"Compute the new hidden state $h_t$.")
        if s.mistake("update_gate_swapped", "used the update gate the wrong way round; here z keeps the "
                                            "old state: new = z * old + (1 - z) * candidate"):
            new = (1 - z) * hp + z * ht
        else:
            new = z * hp + (1 - z) * ht
        s.step("h", _out(new, hid), r"h_t = z_t \odot h_{t-1} + \left(1 - z_t\right) \odot \tilde h_t",
               lambda: rf"{_plus(z)} \odot {_plus(hp)} + \left(1 - {_plus(z)}\right) \odot {_plus(ht)}",
               label="$h_t$")


# ---------------------------------------------------------------------------------------------

GATES = {"RNN": 1, "GRU": 3}
NOT_DOUBLED = ("counted one direction; a bidirectional layer has a forward and a backward copy, "
               "and its outputs and final states come from both")


class RnnParamsGivens(Givens):
    cell: Literal["RNN", "GRU"]
    input_size: int = Field(ge=1, le=100_000)
    hidden_size: int = Field(ge=1, le=100_000)
    num_layers: int = Field(ge=1, le=6)
    bidirectional: bool
    seq_len: int = Field(ge=1, le=100_000, description="T, the length of the input sequence")
    batch: int = Field(ge=1, le=100_000, description="N, the minibatch size")


@generator(id="rnn_params", topic="rnn", goal="11.5", version=1,
           title="Parameters and output shapes of multi-layer and bidirectional RNN/GRU layers")
class RnnParams(Generator):
    """torch.nn.RNN / GRU with num_layers and bidirectional: parameters per layer, total, shapes."""

    Givens = RnnParamsGivens

    def draw(self, rng):
        while True:
            layers = pick(rng, [1, 2, 2, 2, 3])
            bidir = bool(rng.random() < 0.6)
            if layers == 1 and not bidir:
                continue
            return RnnParamsGivens(cell=pick(rng, ["RNN", "GRU", "GRU"]),
                                   input_size=pick(rng, [3, 8, 10, 16, 20, 32, 50, 64, 100, 128]),
                                   hidden_size=pick(rng, [8, 10, 16, 20, 32, 50, 64, 100, 128, 256]),
                                   num_layers=layers, bidirectional=bidir,
                                   seq_len=pick(rng, [5, 10, 12, 20, 25, 50]),
                                   batch=pick(rng, [1, 4, 8, 16, 32, 64]))

    def stem(self, g):
        dirs = "True" if g.bidirectional else "False"
        cell = ("The GRU has three sets of these (update gate, reset gate and candidate), each with its "
                "own input weights, recurrent weights and the two biases."
                if g.cell == "GRU" else "The plain RNN (tanh) has one set.")
        return (
            f"A recurrent layer is built and applied in PyTorch as follows (input shape "
            f"$(T, N, D) = ({g.seq_len}, {g.batch}, {g.input_size})$, sequence first):"
            "\n\n"
            f"    rnn = torch.nn.{g.cell}(input_size={g.input_size}, hidden_size={g.hidden_size},\n"
            f"                       num_layers={g.num_layers}, bidirectional={dirs})\n"
            f"    output, h_n = rnn(x)   # x.shape == ({g.seq_len}, {g.batch}, {g.input_size})"
            "\n\n"
            "Count parameters as PyTorch does: for every layer and every direction there is an "
            r"input-to-hidden weight matrix $W_{ih}$, a hidden-to-hidden matrix $W_{hh}$ and two bias "
            r"vectors $b_{ih}$ and $b_{hh}$ (both counted). " + cell + " A layer above the first reads "
            "the output of the layer below it (in a bidirectional network: the forward and backward "
            "states concatenated). The returned output holds the last layer's state at every time "
            "step, and h_n the final state of every layer and direction."
        )

    def solve(self, s: Steps, g: RnnParamsGivens):
        H, gates = g.hidden_size, GATES[g.cell]
        dirs = 2 if g.bidirectional else 1
        per = []
        d_in = g.input_size
        for layer in range(1, g.num_layers + 1):
            pid = chr(ord("a") + layer - 1)
            if layer == 1:
                s.part(pid, "How many parameters does layer 1 have (all its directions)?")
            else:
                s.part(pid, f"What is the input size of layer {layer}, and how many parameters does "
                            f"layer {layer} have (all its directions)?")
                if g.bidirectional and s.mistake(
                        "input_not_doubled", "took H as the input size of the next layer; in a "
                                             "bidirectional network it reads both directions' states: 2H"):
                    d_in = H
                else:
                    d_in = dirs * H
                d_in = s.step(f"in{layer}", d_in, f"D_{layer} = " + (r"2H" if g.bidirectional else "H"),
                              (lambda: rf"2 \cdot {H}") if g.bidirectional else None,
                              label=f"input size of layer {layer}")
            n_gates = 1 if gates > 1 and s.mistake(
                "gates_forgotten", "counted one set of weights; a GRU has three (update, reset, candidate)") else gates
            if s.mistake("one_bias", "counted one bias vector per gate; PyTorch has two, b_ih and b_hh"):
                biases = 1
            else:
                biases = 2
            n_dirs = 1 if g.bidirectional and s.mistake("bidirectional_not_doubled", NOT_DOUBLED) else dirs
            di = d_in
            p = s.step(f"params{layer}", int(n_dirs * n_gates * (H * di + H * H + biases * H)),
                       r"n_{dir} \cdot n_{gates} \cdot \left(H D_{l} + H H + 2H\right)",
                       lambda: rf"{dirs} \cdot {gates} \cdot ({H} \cdot {di} + {H} \cdot {H} + 2 \cdot {H})",
                       label=f"parameters of layer {layer}", answer=True)
            per.append(p)
        if g.num_layers > 1:
            s.part(chr(ord("a") + g.num_layers), "How many parameters does the whole network have?")
            s.step("total", int(sum(per)), r"\sum_l \text{params}_l", lambda: " + ".join(str(p) for p in per),
                   label="total parameters")
        s.part(chr(ord("a") + g.num_layers + (g.num_layers > 1)),
               f"The output has shape $({g.seq_len}, {g.batch}, F)$ and h_n has shape "
               f"$(K, {g.batch}, {H})$. Give $F$ and $K$.")
        one = g.bidirectional and s.mistake("bidirectional_not_doubled", NOT_DOUBLED)
        s.step("out_size", H if one else dirs * H, r"F = n_{dir} \cdot H", lambda: rf"{dirs} \cdot {H}",
               label="$F$ (last size of output)", answer=True)
        s.step("hn_size", g.num_layers if one else dirs * g.num_layers, r"K = n_{dir} \cdot L",
               lambda: rf"{dirs} \cdot {g.num_layers}", label="$K$ (first size of h_n)", answer=True)


# ---------------------------------------------------------------------------------------------

PYTHAGOREAN = ((3, 4), (6, 8), (5, 12), (8, 15), (1, 2, 2), (2, 3, 6), (4, 4, 2), (2, 6, 9), (1, 4, 8))


class BpttGivens(Givens):
    w: float = Field(ge=-10, le=10, description="recurrent weight")
    u: float = Field(ge=-10, le=10, description="input weight")
    b: float = Field(ge=-10, le=10, description="bias")
    h0: float = Field(ge=-1, le=1, description="initial state")
    x: list[float] = Field(min_length=1, max_length=5, description="inputs x_1..x_T")
    grad: list[float] = Field(min_length=2, max_length=4, description="a gradient vector to clip")
    clip: float = Field(gt=0, le=1000, description="the clipping threshold c")

    @model_validator(mode="after")
    def _finite(self):
        if max(map(abs, self.x + self.grad)) > 1000:
            raise ValueError("inputs and gradient entries must lie in [-1000, 1000]")
        if not any(self.grad):
            raise ValueError("the gradient must not be zero")
        return self


@generator(id="bptt_gradient", topic="rnn", goal="11.2", version=1,
           title="Backpropagation through time: vanishing and exploding gradients, clipping")
class BpttGradient(Generator):
    """A scalar tanh RNN: dh_T/dh_0 as a product of factors w(1 - h_t^2); then clipping by norm."""

    Givens = BpttGivens

    def draw(self, rng):
        while True:
            T = pick(rng, [2, 3, 3, 4])
            explode = rng.random() < 0.5
            w = decimal(rng, 1.5, 3, 1) if explode else decimal(rng, 0.3, 1.5, 1)
            w *= pick(rng, [1, -1])
            u = pick(rng, [0.5, 1.0, 1.0, 1.5, 2.0, -1.0, -0.5])
            b = decimal(rng, -0.3, 0.3, 1)
            h0 = 0.0 if rng.random() < 0.6 else decimal(rng, -0.5, 0.5, 1, nonzero=True)
            h, xs = h0, []
            for _ in range(T):
                options = [x / 2 for x in range(-6, 7) if x]
                if explode:
                    fits = [x for x in options if 0.1 <= abs(w * h + u * x + b) <= 0.6]
                else:
                    fits = [x for x in options if 0.2 <= abs(w * h + u * x + b) <= 2.0]
                if not fits:
                    break
                xt = pick(rng, fits)
                xs.append(xt)
                h = math.tanh(w * h + u * xt + b)
            if len(xs) < T:
                continue
            hs, h = [], h0
            for xt in xs:
                h = math.tanh(w * h + u * xt + b)
                hs.append(h)
            prod = math.prod(w * (1 - hh * hh) for hh in hs)
            if not 1 / 1.5 > abs(prod) > 0.002 and not abs(prod) > 1.5:
                continue  # the verdict must be clear, and the product not vanishingly small to write
            if abs(prod) > 1000:
                continue
            grad_dir = np.array(pick(rng, PYTHAGOREAN), dtype=float)
            norm0 = float(np.linalg.norm(grad_dir))
            scale = pick(rng, [0.1, 1.0, 1.0, 10.0])
            signs = [pick(rng, [1, -1]) for _ in grad_dir]
            grad = [round(float(sg * gd * scale), 6) for sg, gd in zip(signs, grad_dir)]
            norm = norm0 * scale
            if rng.random() < 0.2:
                clip = round(norm * pick(rng, [1.5, 2.0, 1.2]), 6)  # no clipping needed
            else:
                clip = pick(rng, [1.0, 2.0, 5.0, 0.5]) * (scale if scale != 10 else 1.0)
                if clip >= norm:
                    continue
            return BpttGivens(w=w, u=u, b=b, h0=h0, x=xs, grad=grad, clip=clip)

    def stem(self, g):
        T = len(g.x)
        xs = ", ".join(f"x_{t} = {num(x)}" for t, x in enumerate(g.x, 1))
        return (
            "A recurrent network with a scalar hidden state updates it as"
            "\n\n"
            r"$$h_t = \tanh\left(w\,h_{t-1} + u\,x_t + b\right)$$"
            "\n\n"
            f"with $w = {num(g.w)}$, $u = {num(g.u)}$, $b = {num(g.b)}$ and $h_0 = {num(g.h0)}$. It reads "
            f"the inputs ${xs}$ ($T = {T}$). Backpropagation through time multiplies one factor "
            r"$\frac{\partial h_t}{\partial h_{t-1}}$ per step; use "
            r"$\tanh'(a) = 1 - \tanh^2(a)$. A calculator may be used. Give $h_t$ and the "
            r"factors to 3 decimals and the product to 3 significant figures."
            "\n\n"
            "During training another iteration gives the gradient "
            f"$g = {row(g.grad)}$ for the parameters. It is clipped by its Euclidean norm with "
            f"threshold $c = {num(g.clip)}$: "
            r"$g \leftarrow g \cdot \frac{c}{\|g\|}$ when $\|g\| > c$, and "
            "unchanged otherwise. Give these to 3 decimals."
        )

    def solve(self, s: Steps, g: BpttGivens):
        T = len(g.x)
        s.part("a", "Forward pass: compute the hidden states " + ", ".join(f"$h_{t}$" for t in range(1, T + 1)) + ".")
        hs, h = [], g.h0
        for t, x in enumerate(g.x, 1):
            prev = h
            h = s.step(f"h{t}", math.tanh(g.w * prev + g.u * x + g.b),
                       rf"h_{t} = \tanh(w h_{t - 1} + u x_{t} + b)",
                       lambda: (rf"\tanh\left({par(g.w)} \cdot {par(prev)} + {par(g.u)} \cdot {par(x)} + "
                                rf"{par(g.b)}\right)"),
                       label=f"$h_{t}$")
            hs.append(h)

        s.part("b", r"Compute each factor $\frac{\partial h_t}{\partial h_{t-1}}$ and their product "
                    rf"$\frac{{\partial h_{T}}}{{\partial h_0}}$. Is its magnitude below 1 (the gradient "
                    "shrinks on its way back through time: vanishing) or above 1 (it grows: exploding)?")
        factors = []
        for t in range(1, T + 1):
            ht, hprev = hs[t - 1], (hs[t - 2] if t > 1 else g.h0)
            if s.mistake("no_tanh_derivative", "left out the tanh' factors: each factor is w (1 - h_t^2), not w"):
                f = g.w
            elif s.mistake("derivative_at_previous_state", "used the previous state in 1 - h^2; the "
                                                           "tanh' belongs to this step: 1 - h_t^2"):
                f = g.w * (1 - hprev * hprev)
            else:
                f = g.w * (1 - ht * ht)
            f = s.step(f"d{t}", f, rf"\frac{{\partial h_{t}}}{{\partial h_{t - 1}}} = w\left(1 - h_{t}^2\right)",
                       lambda: rf"{num(g.w)} \left(1 - {par(ht)}^2\right)",
                       label=rf"$\partial h_{t} / \partial h_{t - 1}$")
            factors.append(f)
        prod = s.step("dhT_dh0", math.prod(factors),
                      rf"\frac{{\partial h_{T}}}{{\partial h_0}} = " + r" ".join(
                          rf"\frac{{\partial h_{t}}}{{\partial h_{t - 1}}}" for t in range(T, 0, -1)),
                      lambda: r" \cdot ".join(par(f) for f in reversed(factors)),
                      label=rf"$\partial h_{T} / \partial h_0$", tol=PRODUCT, answer=True)

        s.step("verdict", "exploding" if abs(prod) > 1 else "vanishing",
               None,
               lambda: (rf"\left|\frac{{\partial h_{T}}}{{\partial h_0}}\right| = {num(abs(prod))} "
                        rf"{'>' if abs(prod) > 1 else '<'} 1,\ \text{{so the gradient is}}"),
               label="vanishing or exploding", options=["vanishing", "exploding"], answer=True)

        s.part("c", r"Compute $\|g\|$ and the gradient after clipping.")
        grad = np.array(g.grad, dtype=float)
        if s.mistake("norm_not_rooted", "forgot the square root: the norm is sqrt(sum g_i^2)"):
            norm = float(grad @ grad)
        else:
            norm = float(np.sqrt(grad @ grad))
        norm = s.step("norm", norm, r"\|g\| = \sqrt{\sum_i g_i^2}",
                      lambda: r"\sqrt{" + " + ".join(f"{par(v)}^2" for v in grad) + "}",
                      label=r"$\|g\|$", tol=CLIP)
        if s.mistake("clip_by_value", "clipped every entry to [-c, c]; clipping by norm rescales the "
                                      "whole vector and keeps its direction"):
            clipped = np.clip(grad, -g.clip, g.clip)
        elif norm > g.clip:
            clipped = grad * g.clip / norm
        else:
            clipped = grad
        c_ = g.clip
        s.step("g_clipped", clipped,
               r"g \leftarrow g \cdot \frac{c}{\|g\|} \text{ if } \|g\| > c",
               lambda: (rf"{row(grad)} \cdot \frac{{{num(c_)}}}{{{num(norm)}}}" if norm > c_ else
                        rf"\|g\| = {num(norm)} \le {num(c_)}: \text{{unchanged}}"),
               label="clipped $g$", tol=CLIP)
