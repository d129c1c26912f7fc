"""Shapes in the vectorized forward and backward equations."""

from typing import Annotated

from pydantic import Field, model_validator

from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._mistakes import WEIGHTS_TRANSPOSED


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


@generator(id="vectorized_shapes", topic="dense", goal="03.10", version=2,
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
