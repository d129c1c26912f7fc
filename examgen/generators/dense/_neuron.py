"""What the derivation generators of one neuron's chain share (derive, derive_chain): the losses and
activations as LaTeX, their derivatives as reference formulas in the grammar of
:mod:`examgen.kinds.formula`, and the rounded activation values a question's table gives."""

import math

from .._maths import sigmoid


def table_value(activation: str, z: float) -> float:
    """f(z) as the question's table gives it: rounded to 4 decimals."""
    if activation == "sigmoid":
        return round(float(sigmoid(z)), 4)
    if activation == "tanh":
        return round(math.tanh(z), 4)
    return z


def prod(*factors: str) -> str:
    return "*".join(f"({f})" for f in factors)


LOSS_TEX = {
    "half_squared": r"L = \frac{1}{2}\left(a - y\right)^2",
    "squared": r"L = \left(a - y\right)^2",
    "cross_entropy": r"L = -y \log a - \left(1 - y\right)\log\left(1 - a\right)",
}
ACT_TEX = {
    "identity": "a = z",
    "sigmoid": r"a = \sigma(z) = \frac{1}{1 + e^{-z}}",
    "tanh": r"a = \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
}
DL_DA = {"half_squared": "a - y", "squared": "2*(a - y)", "cross_entropy": "-y/a + (1 - y)/(1 - a)"}
DA_DZ = {"identity": "1", "sigmoid": "a*(1 - a)", "tanh": "1 - a^2"}
GRAD = {  # dL/dz written the way a teacher would
    ("identity", "half_squared"): "a - y",
    ("identity", "squared"): "2*(a - y)",
    ("sigmoid", "half_squared"): "(a - y)*a*(1 - a)",
    ("sigmoid", "squared"): "2*(a - y)*a*(1 - a)",
    ("sigmoid", "cross_entropy"): "a - y",
    ("tanh", "half_squared"): "(a - y)*(1 - a^2)",
    ("tanh", "squared"): "2*(a - y)*(1 - a^2)",
}
