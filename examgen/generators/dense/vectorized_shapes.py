"""Shapes in the vectorized forward and backward equations, and parameter counts: of a dense network,
or of a model without a hidden layer (linear, logistic or softmax regression: a network with L = 1).

One generator for both: a model without a hidden layer is the same vectorized equations with L = 1,
only its output activation and width (1 for linear and logistic regression, K classes for softmax
regression) are its own."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._mistakes import BIASES_NOT_COUNTED, WEIGHTS_TRANSPOSED

_MODELS = {
    "linear_regression": ("linear regression", r"\hat Y = Z^{[1]}"),
    "logistic_regression": ("logistic regression", r"\hat Y = \sigma(Z^{[1]})"),
    "softmax_regression": ("softmax regression", r"\hat Y = \operatorname{softmax}(Z^{[1]}) \text{ (each column)}"),
}


class VectorizedShapesGivens(Givens):
    m: int = Field(ge=1, le=100_000, description="minibatch size (examples processed at once)")
    widths: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        min_length=2, max_length=6, description="n^[0] (inputs), n^[1], ..., n^[L] (outputs)")
    layer: int = Field(1, ge=1, description="the layer l asked about (from 1)")
    model: Literal["network", "linear_regression", "logistic_regression", "softmax_regression"] = Field(
        "network", description="a dense network, or a model without a hidden layer (widths [n_features, outputs])")

    @model_validator(mode="after")
    def _layer_exists(self):
        if self.layer > len(self.widths) - 1:
            raise ValueError(f"layer must be from 1 to L = {len(self.widths) - 1}")
        if self.model != "network":
            if len(self.widths) != 2:
                raise ValueError(f"{_MODELS[self.model][0]} has no hidden layer: give widths [features, outputs]")
            if (self.widths[1] == 1) != (self.model != "softmax_regression"):
                raise ValueError("linear and logistic regression have 1 output; softmax regression one per class (at least 2)")
        return self


@generator(id="vectorized_shapes", topic="dense", goal="03.10", version=3,
           title="Shapes in the vectorized forward and backward equations")
class VectorizedShapes(Generator):
    """A minibatch through a 2-3 layer dense network or a linear / logistic / softmax regression,
    examples as columns: the shapes of A^[l-1], W^[l], b^[l], Z^[l], A^[l] and of dZ^[l], dW^[l],
    db^[l], dA^[l-1]; the parameters of layer l (and of the whole network)."""

    Givens = VectorizedShapesGivens

    def draw(self, rng):
        if rng.random() < 0.3:
            return self._draw_model(rng)
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

    @staticmethod
    def _draw_model(rng):
        """A model without a hidden layer."""
        model = pick(rng, list(_MODELS))
        while True:
            n0 = pick(rng, [784, 3072, 100, 64, 20, 12, 5, 4])
            out = pick(rng, [10, 10, 3, 5, 100]) if model == "softmax_regression" else 1
            m = pick(rng, [8, 16, 32, 60, 64, 128, 200, 256])
            if len({m, n0, out}) == 3:
                return VectorizedShapesGivens(m=m, widths=[n0, out], layer=1, model=model)

    def stem(self, g):
        if g.model != "network":
            name, output = _MODELS[g.model]
            n0, out = g.widths
            what = "one output" if out == 1 else f"$K = {out}$ classes"
            return (
                f"A {name} model has $n^{{[0]}} = {n0}$ input features and {what} ($n^{{[1]}} = {out}$): a "
                "network without a hidden layer ($L = 1$). It processes a minibatch of "
                f"$m = {g.m}$ examples at once with the examples as the columns of $X = A^{{[0]}}$:"
                "\n\n"
                rf"$$Z^{{[1]}} = W^{{[1]}} X + b^{{[1]}}, \qquad A^{{[1]}} = {output}$$"
                "\n\n" + self._shared_conventions())
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
            + self._shared_conventions())

    @staticmethod
    def _shared_conventions() -> str:
        return (
            r"where $b^{[l]}$ is a column vector, broadcast (added to every column of $W^{[l]} A^{[l-1]}$). "
            r"The cost $J$ is the average of the examples' losses, and the backward pass computes "
            r"$dZ^{[l]} = \partial J / \partial Z^{[l]}$, $dW^{[l]} = \partial J / \partial W^{[l]}$, "
            r"$db^{[l]} = \partial J / \partial b^{[l]}$ and $dA^{[l-1]} = \partial J / \partial A^{[l-1]}$. "
            "Give every shape as (rows, columns); a column vector of 5 entries has shape (5, 1). The "
            "parameters of a layer are its weights and biases."
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

        s.part(lambda: f"Forward pass of layer {l}: give the shapes (rows, columns) of ${Ap}$, ${W}$, "
                       f"${b}$, ${Z}$ and ${A}$.")
        if s.mistake("examples_as_rows", "put the examples in the rows; in the course's layout each "
                                         "example is a column of A"):
            ap = (m, n_prev)
        else:
            ap = (n_prev, m)
        ap_r, ap_c = shape(f"A{p}", Ap, *ap, rf"n^{{[{p}]}} \text{{ (one row per node of layer {p})}}",
                           r"m \text{ (one column per example)}")
        if s.mistake(WEIGHTS_TRANSPOSED):
            w_r, w_c = ap_r, n_l
        elif g.model == "logistic_regression" and s.mistake(
                "one_output_per_class", "gave logistic regression one output per class; it has one output, "
                                        "the probability of class 1 (that of class 0 is 1 minus it)"):
            w_r, w_c = 2, ap_r
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
        shape(f"A{l}", A, z_r, z_c, rf"\text{{rows of }} {Z} \text{{ (}}g^{{[{l}]}} \text{{ keeps the shape)}}", rf"\text{{columns of }} {Z}")

        s.part(lambda: f"Backward pass of layer {l}: give the shapes of $d{Z}$, $d{W}$, $d{b}$ and $d{Ap}$.")
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

        s.part(lambda: "Parameters: how many parameters (weights and biases) " + (
            f"does the {_MODELS[g.model][0]} model have?" if g.model != "network" else f"does layer {l} have?"
            if len(g.widths) == 2 else f"do layer {l} and the whole network have?"))
        no_bias = s.mistake(BIASES_NOT_COUNTED)
        n_params = s.step(f"params{l}", w_r * w_c + (0 if no_bias else b_r),
                          rf"n^{{[{l}]}} n^{{[{l - 1}]}} + n^{{[{l}]}} = n^{{[{l}]}} \left(n^{{[{l - 1}]}} + 1\right)",
                          lambda: rf"{n_l} \cdot ({n_prev} + 1)", label=f"parameters of layer {l}", answer=True)
        if len(g.widths) > 2:
            layers = [(k, g.widths[k - 1], g.widths[k]) for k in range(1, len(g.widths))]
            others = sum(n * (k_in + (0 if no_bias else 1)) for k, k_in, n in layers if k != l)
            s.step("params_total", others + n_params,
                   r"\sum_{l=1}^{L} n^{[l]} \left(n^{[l-1]} + 1\right)",
                   lambda: " + ".join(rf"{n} \cdot ({k_in} + 1)" for k, k_in, n in layers),
                   label="parameters of the network", answer=True)
