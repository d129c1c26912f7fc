"""Parameters and output shapes of multi-layer and bidirectional RNN/GRU layers."""

from typing import Literal

from pydantic import Field

from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import quick_pick

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
            layers = quick_pick(rng, [1, 2, 2, 2, 3])
            bidir = bool(rng.random() < 0.6)
            if layers == 1 and not bidir:
                continue
            return RnnParamsGivens(cell=quick_pick(rng, ["RNN", "GRU", "GRU"]),
                                   input_size=quick_pick(rng, [3, 8, 10, 16, 20, 32, 50, 64, 100, 128]),
                                   hidden_size=quick_pick(rng, [8, 10, 16, 20, 32, 50, 64, 100, 128, 256]),
                                   num_layers=layers, bidirectional=bidir,
                                   seq_len=quick_pick(rng, [5, 10, 12, 20, 25, 50]),
                                   batch=quick_pick(rng, [1, 4, 8, 16, 32, 64]))

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
            if layer == 1:
                s.part("How many parameters does layer 1 have (all its directions)?")
            else:
                s.part(f"What is the input size of layer {layer}, and how many parameters does "
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
            s.part("How many parameters does the whole network have?")
            s.step("total", int(sum(per)), r"\sum_l \text{params}_l", lambda: " + ".join(str(p) for p in per),
                   label="total parameters")
        s.part(f"The output has shape $({g.seq_len}, {g.batch}, F)$ and h_n has shape "
               f"$(K, {g.batch}, {H})$. Give $F$ and $K$.")
        one = g.bidirectional and s.mistake("bidirectional_not_doubled", NOT_DOUBLED)
        s.step("out_size", H if one else dirs * H, r"F = n_{dir} \cdot H", lambda: rf"{dirs} \cdot {H}",
               label="$F$ (last size of output)", answer=True)
        s.step("hn_size", g.num_layers if one else dirs * g.num_layers, r"K = n_{dir} \cdot L",
               lambda: rf"{dirs} \cdot {g.num_layers}", label="$K$ (first size of h_n)", answer=True)
