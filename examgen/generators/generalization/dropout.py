"""Dropout in training and at test time."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from ._numbers import _NONZERO_TENTHS


def dot_work(ws, xs, b) -> str:
    """``w_1 x_1 + ... + b`` with the numbers put in (Python floats: the formatting is cached)."""
    return " + ".join(f"{par(wi)} \\cdot {par(xi)}" for wi, xi in zip(ws, xs)) + f" + {par(b)}"


class DropoutGivens(Givens):
    a: list[float] = Field(min_length=2, max_length=8, description="activations of the layer")
    mask: list[int] = Field(description="dropout mask: 1 keeps the unit, 0 drops it")
    keep: float = Field(gt=0, lt=1, description="keep probability p")
    w: list[float] = Field(description="weights of the next unit")
    b: float = Field(ge=-100, le=100, description="bias of the next unit")

    @model_validator(mode="after")
    def _shapes(self):
        if not len(self.a) == len(self.mask) == len(self.w):
            raise ValueError("a, mask and w need one entry per unit")
        if any(m not in (0, 1) for m in self.mask):
            raise ValueError("mask entries must be 0 (dropped) or 1 (kept)")
        if max(abs(v) for v in [*self.a, *self.w]) > 100:
            raise ValueError("activations and weights must lie in [-100, 100]")
        return self


@generator(id="dropout", topic="generalization", goal="08.10", version=2,
           title="Dropout in training and at test time")
class Dropout(Generator):
    """A layer's activations through (inverted) dropout with a given mask, into one unit of the
    next layer: training output, its expectation over masks, test time, and the non-inverted variant."""

    Givens = DropoutGivens

    def draw(self, rng):
        while True:
            n = pick(rng, [3, 4, 4, 5])
            p = pick(rng, [0.5, 0.5, 0.8, 0.8, 0.4, 0.75])
            mask = (rng.random(n) < p).astype(int).tolist()
            if sum(mask) in (0, n):
                continue
            a = (rng.integers(1, 21, size=n) / 10).tolist()
            w = [_NONZERO_TENTHS[i] for i in rng.integers(len(_NONZERO_TENTHS), size=n).tolist()]
            b = _NONZERO_TENTHS[int(rng.integers(len(_NONZERO_TENTHS)))]
            wa = sum(wi * ai for wi, ai in zip(w, a))
            z_train = sum(wi * ai for wi, ai, mi in zip(w, a, mask) if mi) / p + b
            if abs(wa) < 0.2 or abs(z_train - (wa + b)) < 0.05:
                continue  # the sample should differ visibly from the expectation
            return DropoutGivens(a=a, mask=mask, keep=p, w=w, b=b)

    def stem(self, g):
        n = len(g.a)
        return (
            f"A hidden layer has the {n} activations $a = {row(g.a)}$, and one unit of the next layer "
            rf"computes $z = w^T h + b$ from the layer's output $h$, with $w = {row(g.w)}$ and "
            f"$b = {num(g.b)}$. Dropout is applied to the hidden layer with keep probability "
            f"$p = {num(g.keep)}$: in training each unit is kept independently with probability $p$. "
            f"In this training step the mask is $m = {row(g.mask)}$ ($m_i = 1$ keeps unit $i$, "
            "$m_i = 0$ drops it). Dropout is not applied to the bias. The network uses inverted dropout:"
            "\n\n"
            r"$$\text{training: } h = \frac{m \odot a}{p}, \qquad \text{test: } h = a$$"
            "\n\n"
            r"The last part compares it with standard (non-inverted) dropout, which uses $h = m \odot a$ "
            r"in training and scales the activations by $p$ at test time, $h = p\,a$. "
            "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: DropoutGivens):
        a, m, w = (np.array(v, dtype=float) for v in (g.a, g.mask, g.w))
        b, p = g.b, g.keep
        wa = float(w @ a)

        s.part(r"Training with inverted dropout: compute the layer's output $h$ and the next "
               r"unit's $z = w^T h + b$ for the given mask.")
        if s.mistake("scaled_by_p_in_training", "multiplied the kept activations by p; inverted "
                                                "dropout divides them by p in training"):
            h = m * a * p
        elif s.mistake("no_training_scaling", "left out the division by p; inverted dropout scales "
                                              "the kept activations by 1/p in training"):
            h = m * a
        elif s.mistake("drop_probability_confused", "divided by the drop probability 1 - p; the "
                                                    "scale is 1/p with p the keep probability"):
            h = m * a / (1 - p)
        else:
            h = m * a / p
        h = s.step("h_train", h, r"h = \frac{m \odot a}{p}",
                   lambda: rf"\frac{{{row(g.mask)} \odot {row(g.a)}}}{{{num(p)}}}", label="$h$ (training)")
        h = np.asarray(h, dtype=float)
        s.step("z_train", float(w @ h) + b, r"z = w^T h + b", lambda: dot_work(g.w, h.tolist(), b),
               label="$z$ (training)", answer=True)

        s.part(r"What is the expected value $\mathbb{E}[z]$ of the next unit's training-time "
               "$z$ over the random masks (inverted dropout)?")
        if s.mistake("expectation_times_p", "scaled the expectation by p; with inverted dropout "
                                            "E[h_i] = p a_i / p = a_i"):
            ez = p * wa + b
        elif s.mistake("expectation_from_mask", "used the sampled mask; the expectation averages "
                                                "over all masks, E[m_i] = p"):
            ez = float(w @ (m * a)) / p + b
        else:
            ez = wa + b
        s.step("z_expected", ez, r"\mathbb{E}[z] = w^T \mathbb{E}[h] + b = w^T a + b",
               lambda: dot_work(g.w, g.a, b),
               label=r"$\mathbb{E}[z]$")

        s.part(r"At test time (inverted dropout), what is the next unit's $z$?")
        if s.mistake("test_scaled_by_p", "scaled by p at test time; with inverted dropout the "
                                         "scaling was done in training and the test uses h = a"):
            zt = p * wa + b
        elif s.mistake("dropout_at_test", "applied the dropout mask at test time; dropout is off "
                                          "at test time"):
            zt = float(w @ (m * a)) / p + b
        else:
            zt = wa + b
        s.step("z_test", zt, r"z_{test} = w^T a + b", lambda: dot_work(g.w, g.a, b),
               label=r"$z_{test}$")

        s.part(r"With standard (non-inverted) dropout instead: compute the next unit's $z$ in "
               r"training with the same mask, and its $z$ at test time.")
        hs = m * a
        s.step("z_train_std", float(w @ hs) + b, r"z = w^T (m \odot a) + b",
               lambda: dot_work(g.w, hs.tolist(), b),
               label="$z$ (training, standard dropout)")
        if s.mistake("test_not_scaled", "left out the scaling by p at test time; in training only a "
                                        "fraction p of the units was active, so standard dropout uses h = p a"):
            zs = wa + b
        elif s.mistake("bias_scaled", "scaled the bias by p too; only the dropped-out activations "
                                      "are scaled, z = w^T (p a) + b"):
            zs = p * (wa + b)
        else:
            zs = p * wa + b
        s.step("z_test_std", zs, r"z_{test} = w^T (p\, a) + b = p\, w^T a + b",
               lambda: rf"{num(p)} \cdot {par(wa)} + {par(b)}", label=r"$z_{test}$ (standard dropout)",
               answer=True)
