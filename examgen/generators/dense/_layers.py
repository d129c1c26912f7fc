"""What the dense-network generators (dense_forward, backprop) share: the hidden activations, their
LaTeX, and their derivatives in terms of what a hand computation has at hand."""

import numpy as np

from .._maths import relu, sigmoid

ACT_TEX = {"sigmoid": r"\sigma", "relu": r"\mathrm{ReLU}", "tanh": r"\tanh"}
"""The activation's name in formulas and worked lines."""
ACT_DEF = {"sigmoid": r"\sigma(z) = \frac{1}{1+e^{-z}}", "relu": r"\mathrm{ReLU}(z) = \max(0, z)",
           "tanh": r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"}
"""The activation's definition, as a stem states it."""


def activate(z, act: str):
    """f(z) for a hidden activation (NumPy, entrywise)."""
    if act == "relu":
        return relu(z)
    if act == "tanh":
        return np.tanh(z)
    return sigmoid(z)


def derivative(z, a, act: str):
    """f'(z), from z (ReLU) or from the activation a = f(z) (sigmoid a(1 - a), tanh 1 - a^2)."""
    if act == "relu":
        return (np.asarray(z) > 0).astype(float)
    if act == "tanh":
        return 1 - np.asarray(a) ** 2
    return np.asarray(a) * (1 - np.asarray(a))


def derivative_tex(act: str, l: int) -> str:
    """f'(z^[l]) in the course's notation."""
    a = rf"a^{{[{l}]}}"
    return {"relu": rf"\mathbb{{1}}[z^{{[{l}]}} > 0]", "tanh": rf"\left(1 - ({a})^2\right)",
            "sigmoid": rf"{a} \odot (1 - {a})"}[act]
