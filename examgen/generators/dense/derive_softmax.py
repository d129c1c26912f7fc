"""Derive the softmax cross-entropy gradient as formulas, then use it; when the scores come from a
linear layer z = Wx + b (softmax regression), also the weight and bias gradients."""

import math
import re

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, row, sig
from ...kinds.formula import evaluate, latex, text
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._maths import softmax
from .._mistakes import ERROR_SIGN, INNER_DERIVATIVE_MISSING
from .._stems import given_values


class SoftmaxGivens(Givens):
    z: list[float] = Field(min_length=2, max_length=4, description="the scores z_1..z_K")
    target: int = Field(ge=1, description="the true class t (from 1)")
    other: int = Field(ge=1, description="another class k != t (from 1), for the formulas")
    x: list[float] | None = Field(None, min_length=1, max_length=4,
                                  description="the input x_1..x_D of a linear layer z = Wx + b, when the "
                                              "scores come from one: adds the weight and bias gradients")

    @model_validator(mode="after")
    def _classes(self):
        K = len(self.z)
        if self.target > K or self.other > K:
            raise ValueError(f"target and other must be class numbers from 1 to {K}")
        if self.target == self.other:
            raise ValueError("other must be a class different from the target")
        if any(abs(v) > 20 for v in self.z):
            raise ValueError("scores above 20 in size are not hand-computable")
        if self.x is not None and any(abs(v) > 100 for v in self.x):
            raise ValueError("inputs above 100 in size are not hand-computable")
        return self


@generator(id="derive_softmax", topic="dense", goal="03.9", version=4,
           title="Derive the softmax cross-entropy gradient as formulas, then use it")
class DeriveSoftmax(Generator):
    """dp_t/dz_t, dp_t/dz_k and dL/dz as formulas in the probabilities; then the numbers; in half
    the draws the scores come from a linear layer, and dL/dW_t1, dL/dW_k1 (e), dL/dW and dL/db (f) follow."""

    Givens = SoftmaxGivens

    def draw(self, rng):
        while True:
            K = pick(rng, [2, 3, 3, 4])
            z = [float(v) for v in rng.integers(-2, 3, size=K)]
            if len(set(z)) < K - 1:
                continue  # mostly equal scores: too little to compute
            t = int(rng.integers(K))
            k = (t + 1 + int(rng.integers(K - 1))) % K
            x = None
            if rng.random() < 0.5:  # softmax regression: the scores come from z = Wx + b
                x = [float(v) for v in rng.choice([-2, -1, 1, 2, 3], size=2 if K == 4 else pick(rng, [2, 3]))]
            return SoftmaxGivens(z=z, target=t + 1, other=k + 1, x=x)

    def stem(self, g):
        K, t = len(g.z), g.target
        exps = sorted({v for v in g.z})
        table = given_values(rf"e^{{{num(v)}}} = {num(round(math.exp(v), 4))}" for v in exps if v != 0)
        return (
            f"A classifier gives $K = {K}$ scores $z = {row(g.z)}$, turned into probabilities by the "
            "softmax and trained with the cross-entropy loss; the true class is "
            f"$t = {t}$ (one-hot target):"
            "\n\n"
            rf"$$p_j = \frac{{e^{{z_j}}}}{{\sum_{{i=1}}^{{K}} e^{{z_i}}}}, \qquad L = -\log p_{{{t}}}$$"
            "\n\n"
            f"($\\log$ is the natural logarithm). Write each derivative as a formula in the names asked "
            f"for, typed as text with * for products and ^ for powers, like 2*p{t}^2/(1 + p{g.other}); write "
            f"$p_{{{t}}}$ as p{t} and $p_{{{g.other}}}$ as p{g.other}. Then use your formulas on the "
            "numbers." + (f" {table}" if table else "") + " Give numbers to 3 decimals."
        )

    def solve(self, s: Steps, g: SoftmaxGivens):
        t, k = g.target, g.other
        pt, pk = f"p{t}", f"p{k}"
        T, TK = [pt], [pt, pk]

        s.part(rf"Derive $\frac{{\partial p_{{{t}}}}}{{\partial z_{{{t}}}}}$ as a formula in $p_{{{t}}}$.")
        ref_a = f"{pt}*(1 - {pt})"
        value = ref_a
        if s.mistake("denominator_constant",
                     "treated the sum in the denominator as a constant: it depends on every z_j"):
            value = pt
        da = s.step("dp_tt", value,
                    rf"\frac{{\partial p_{{{t}}}}}{{\partial z_{{{t}}}}}",
                    lambda: rf"\frac{{e^{{z_{t}}}\sum_i e^{{z_i}} - e^{{z_{t}}} e^{{z_{t}}}}}{{\left(\sum_i e^{{z_i}}\right)^2}}"
                            rf" = p_{{{t}}} - p_{{{t}}}^2",
                    label=rf"$\partial p_{{{t}}} / \partial z_{{{t}}}$", kind="expression", variables=T)

        s.part(rf"Derive $\frac{{\partial p_{{{t}}}}}{{\partial z_{{{k}}}}}$ (class ${k} \neq t$) as a "
               rf"formula in $p_{{{t}}}$ and $p_{{{k}}}$.")
        ref_b = f"-{pt}*{pk}"
        value = ref_b
        if s.mistake("independent", f"p_{t} depends on z_{k} through the denominator: the derivative is not 0"):
            value = "0"
        elif s.mistake("quotient_sign", "lost the minus sign of the quotient rule: raising another class's "
                                        "score lowers p_t"):
            value = f"{pt}*{pk}"
        db = s.step("dp_tk", value,
                    rf"\frac{{\partial p_{{{t}}}}}{{\partial z_{{{k}}}}}",
                    lambda: rf"\frac{{0 - e^{{z_{t}}} e^{{z_{k}}}}}{{\left(\sum_i e^{{z_i}}\right)^2}}",
                    label=rf"$\partial p_{{{t}}} / \partial z_{{{k}}}$", kind="expression", variables=TK)

        s.part(rf"With $L = -\log p_{{{t}}}$, derive $\frac{{\partial L}}{{\partial z_{{{t}}}}}$ and "
               rf"$\frac{{\partial L}}{{\partial z_{{{k}}}}}$ as formulas in $p_{{{t}}}$ and $p_{{{k}}}$.")
        nice = da == ref_a and db == ref_b
        dLt = f"{pt} - 1" if nice else f"-({text(da)})/{pt}"
        dLk = pk if nice else f"-({text(db)})/{pt}"
        if s.mistake(ERROR_SIGN):
            dLt, dLk = f"({text(da)})/{pt}", f"({text(db)})/{pt}"
        elif s.mistake("log_derivative_missing",
                       f"left out d(-log p_{t})/dp_{t} = -1/p_{t} at the start of the chain"):
            dLt, dLk = f"-({text(da)})", f"-({text(db)})"
        ct = s.step("dL_dzt", dLt, rf"\frac{{\partial L}}{{\partial z_{{{t}}}}} = -\frac{{1}}{{p_{{{t}}}}}"
                                   rf"\frac{{\partial p_{{{t}}}}}{{\partial z_{{{t}}}}}",
                    lambda: rf"-\frac{{1}}{{p_{{{t}}}}} \cdot {latex(da, T)}",
                    label=rf"$\partial L / \partial z_{{{t}}}$", kind="expression", variables=TK, answer=True)
        ck = s.step("dL_dzk", dLk, rf"\frac{{\partial L}}{{\partial z_{{{k}}}}} = -\frac{{1}}{{p_{{{t}}}}}"
                                   rf"\frac{{\partial p_{{{t}}}}}{{\partial z_{{{k}}}}}",
                    lambda: rf"-\frac{{1}}{{p_{{{t}}}}} \cdot \left({latex(db, TK)}\right)",
                    label=rf"$\partial L / \partial z_{{{k}}}$", kind="expression", variables=TK, answer=True)

        s.part(r"Now the numbers: compute the probabilities $p$, the loss $L$, and the gradient "
               r"$\frac{\partial L}{\partial z}$ (all $K$ entries) with your formulas from (c); for a "
               rf"class $j \neq {t}$ use the formula for $z_{{{k}}}$ with $p_j$ in place of $p_{{{k}}}$.")
        p = s.step("p", softmax(np.array(g.z)), r"p_j = \frac{e^{z_j}}{\sum_i e^{z_i}}",
                   lambda: r"\frac{1}{" + " + ".join(rf"e^{{{num(v)}}}" for v in g.z) + r"}"
                           + r"\begin{bmatrix} " + r" \\ ".join(rf"e^{{{num(v)}}}" for v in g.z) + r" \end{bmatrix}",
                   label="$p$")
        s.step("loss", -np.log(p[t - 1]) if p[t - 1] > 0 else np.inf, rf"L = -\log p_{{{t}}}", lambda: rf"-\log {sig(p[t - 1], 6)}",
               label="$L$")
        at = [{pt: p[t - 1], pk: p[k - 1] if j == t - 1 else p[j]} for j in range(len(g.z))]
        grad = [evaluate(ct if j == t - 1 else ck, TK, **at[j]) for j in range(len(g.z))]
        grad = s.step("grad", np.array(grad), r"\frac{\partial L}{\partial z}",
               lambda: r"\begin{bmatrix} " + r" \\ ".join(
                   latex(ct if j == t - 1 else ck, TK, values=at[j])
                   for j in range(len(g.z))) + r" \end{bmatrix}",
               label=r"$\partial L / \partial z$", answer=True)
        if g.x is not None:
            self._linear_layer(s, g, ct, ck, grad)

    def _linear_layer(self, s: Steps, g: SoftmaxGivens, ct, ck, grad):
        """z = Wx + b: dz_j/dW_ji = x_i and dz_j/db_j = 1, so dL/dW = (dL/dz) x^T and dL/db = dL/dz."""
        t, k, K, D = g.target, g.other, len(g.z), len(g.x)
        pt, pk = f"p{t}", f"p{k}"
        TKX = [pt, pk, "x1"]
        s.part(rf"The scores come from a linear layer $z = Wx + b$ with input $x = {row(g.x)}$: $W$ is "
               rf"${K} \times {D}$ and $z_j = \sum_{{i=1}}^{{{D}}} W_{{ji}} x_i + b_j$. Derive "
               rf"$\frac{{\partial L}}{{\partial W_{{{t}1}}}}$ and $\frac{{\partial L}}{{\partial W_{{{k}1}}}}$ "
               rf"(the weights from input 1) as formulas in $p_{{{t}}}$, $p_{{{k}}}$ and $x_1$ (typed x1).")
        forgot_x = s.mistake(INNER_DERIVATIVE_MISSING)  # in the formulas of (e) and the numbers of (f)
        wt, wk = (text(ct), text(ck)) if forgot_x else (f"({text(ct)})*x1", f"({text(ck)})*x1")
        s.step("dL_dWt1", wt, rf"\frac{{\partial L}}{{\partial W_{{{t}1}}}} = \frac{{\partial L}}{{\partial z_{{{t}}}}}"
                              rf"\frac{{\partial z_{{{t}}}}}{{\partial W_{{{t}1}}}}",
               lambda: rf"{_paren(latex(ct, TKX))} \cdot x_1",
               label=rf"$\partial L / \partial W_{{{t}1}}$", kind="expression", variables=TKX, answer=True)
        s.step("dL_dWk1", wk, rf"\frac{{\partial L}}{{\partial W_{{{k}1}}}} = \frac{{\partial L}}{{\partial z_{{{k}}}}}"
                              rf"\frac{{\partial z_{{{k}}}}}{{\partial W_{{{k}1}}}}",
               lambda: rf"{_paren(latex(ck, TKX))} \cdot x_1",
               label=rf"$\partial L / \partial W_{{{k}1}}$", kind="expression", variables=TKX, answer=True)
        s.part(r"Now compute $\frac{\partial L}{\partial W}$ (all its entries) and $\frac{\partial L}{\partial b}$ "
               "from your gradient in (d).")
        dz, x = np.asarray(grad, dtype=float), np.array(g.x)
        gw = np.repeat(dz[:, None], D, axis=1) if forgot_x else np.outer(dz, x)
        s.step("grad_W", gw, r"\frac{\partial L}{\partial W_{ji}} = \frac{\partial L}{\partial z_j}\, x_i",
               lambda: r"\begin{bmatrix} " + r" \\ ".join(
                   " & ".join(rf"{num(dz[j], 6)} \cdot {_paren(num(x[i]))}" for i in range(D))
                   for j in range(K)) + r" \end{bmatrix}",
               label=r"$\partial L / \partial W$", answer=True)
        s.step("grad_b", dz, r"\frac{\partial L}{\partial b} = \frac{\partial L}{\partial z} "
                             r"\quad (\partial z_j / \partial b_j = 1)",
               label=r"$\partial L / \partial b$", answer=True)


def _paren(tex: str) -> str:
    """A factor in brackets when it has a sign or a sum in it."""
    return rf"\left({tex}\right)" if re.search(r"[-+]", tex) else tex
