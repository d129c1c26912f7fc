"""The course's formulas that generators in several lectures compute, in NumPy (a number or an
array in, the same out). Solvers, draws and the tables printed in stems all use these, so a
question's numbers come from one definition of each formula."""

import numpy as np


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z})."""
    return 1.0 / (1.0 + np.exp(-z))


def relu(z):
    """ReLU(z) = max(0, z)."""
    return np.maximum(z, 0.0)


def softmax(z, axis: int = -1):
    """e^{z_k} / Σ_j e^{z_j} along ``axis`` (the largest score subtracted first, which changes nothing
    but the overflow)."""
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Side of a convolution's or pooling's output, ⌊(n + 2p - d(k - 1) - 1) / s⌋ + 1 (PyTorch's
    Conv2d / MaxPool2d, windows that do not fit dropped)."""
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
