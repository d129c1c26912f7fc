"""The evaluator of worked numbers (render/latex/to_value.py), on cases worked by hand."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from examgen.render.latex import LatexError, NotComputable, sides, value


@pytest.mark.parametrize("latex, expected", [
    # numbers as fmt.num writes them
    ("3", 3), ("-0.25", -0.25), (r"1 \times 10^{-8}", 1e-8), (r"4.785 \times 10^{-6}", 4.785e-6),
    (r"4\,096", 4096), (r"4 \cdot 4\,096\,000\,001", 16_384_000_004), (r"2^{-1}", 0.5), (r"10^{-4}", 1e-4),
    # arithmetic: a minus sign binds looser than a power, as on paper
    (r"-0.35^2 \cdot 400 / 8", -6.125), (r"(-0.4)^2", 0.16), (r"0.8 \cdot 0 + 0.2 \cdot (-0.4)", -0.08),
    (r"1 - 0.5 - 0.25", 0.25), (r"10^{(-1 - (-5))/4}", 10.0),
    # implicit products
    (r"2\left(1 - 0.25\right)", 1.5), (r"(4 - 0)(7 - 2)", 20), (r"0.25\,(1 + 1 + 2)", 1.0),
    (r"\frac{1}{2}(0.75 + 0.625)", 0.6875), (r"1.5 \left(1 - 0.5^2\right)", 1.125),
    # fractions and roots
    (r"\frac{3 + 5}{3 + 3 + 1 + 5}", 2 / 3), (r"\tfrac12", 0.5), (r"\dfrac{2 \cdot 12}{20 + 35}", 24 / 55),
    (r"\sqrt{30^2 + (-40)^2}", 50), (r"\sqrt[3]{8}", 2), (r"\sqrt{\frac{0.8275 \cdot 0.1725}{400}}", math.sqrt(0.8275 * 0.1725 / 400)),
    # functions: of a parenthesised list, or of the next factor
    (r"-\log 0.5", math.log(2)), (r"\ln e^{2}", 2), (r"\log_2 8", 3), (r"\log_{10}(10^{-5})", -5),
    (r"\exp(0)", 1), (r"0.5 \log 1 + 2", 2), (r"\ln \frac{0.2}{0.1}", math.log(2)), (r"\tanh(0)", 0),
    (r"\sigma(0)", 0.5), (r"\sigma(\ln 3)", 0.75), (r"\frac{1}{1 + e^{0}}", 0.5),
    (r"\Phi(0)", 0.5), (r"2\left(1 - \Phi\left(1.96\right)\right)", 0.04999579),
    (r"\mathrm{ReLU}(-2)", 0), (r"\operatorname{sign}(-3)", -1),
    (r"\max(0,\ 4 - 1)", 3), (r"\min(2, -1, 5)", -1), (r"\max\left(0.1,\ 1 \cdot 0.5^{4}\right)", 0.1),
    (r"\arg\max (0.9, -0.4, 0.42)", 1), (r"\mathrm{argmax}(0.1, 0.5, 0.8, 0.4)", 3),
    # brackets
    (r"\left\lceil \frac{7}{2} \right\rceil", 4), (r"\lceil 609.29 \rceil", 610), (r"\lfloor 3.7 \rfloor + 1", 4),
    (r"\left\lfloor \frac{64 + 2 \cdot 1 - 4 - 1}{1} \right\rfloor + 1", 62), (r"|3 - 5|", 2),
    (r"\left|-10\right|", 10), (r"\left(|33 - 24| - 1\right)^2", 64), (r"\frac{1}{2}\left[(1 - 0.2)^2 + 1\right]", 0.82),
])
def test_scalars(latex, expected):
    got = value(latex)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("latex, expected", [
    (r"(1, -2, 3)", [1, -2, 3]), (r"1,\ 2 + 3,\ \tfrac{1}{4}", [1, 5, 0.25]), (r"e^{0}, e^{0}", [1, 1]),
    (r"(0.5, 1.5)^2", [0.25, 2.25]), (r"(1, 2) \odot (3, 4)", [3, 8]), (r"\frac{(1, 1, 0) \odot (2, 4, 6)}{0.5}", [4, 8, 0]),
    (r"0.5 (2, -4)", [1, -2]), (r"(2, 4) \cdot \frac{1}{2}", [1, 2]), (r"(1, 2) + 2 \cdot (1, 1)", [3, 4]),
    (r"\max\left(0, (-1, 2)\right)", [0, 2]), (r"\operatorname{softmax}(0, 0)", [0.5, 0.5]),
    (r"\mathrm{softmax}(\ln 1, \ln 3)", [0.25, 0.75]), (r"\sigma(0),\ \sigma(\ln 3)", [0.5, 0.75]),
    (r"\mathrm{softmax}(0, 0),\ \mathrm{softmax}(\ln 1, \ln 3)", [[0.5, 0.5], [0.25, 0.75]]),
    (r"\left(0 + 3.2^2,\ 0 + 1^2\right)", [10.24, 1]),
    # matrices: a column is n x 1; products are matrix products
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", [[1, 2], [3, 4]]),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \begin{bmatrix} 1 \\ 1 \end{bmatrix} + \begin{bmatrix} 1 \\ -1 \end{bmatrix}",
     [[4], [6]]),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} (1, 1)", [3, 7]),
    (r"\begin{bmatrix} 1 \\ 2 \end{bmatrix} \begin{bmatrix} 3 & 4 \end{bmatrix}", [[3, 4], [6, 8]]),
    (r"\begin{bmatrix} 1 \\ 2 \end{bmatrix} (3, 4)", [[3, 4], [6, 8]]),
    (r"\begin{bmatrix} 1 & 1 \end{bmatrix} \begin{bmatrix} 2 \\ 3 \end{bmatrix} + 1", [[6]]),
    (r"\begin{bmatrix} 2 \\ 4 \end{bmatrix} \cdot (-0.5)", [[-1], [-2]]),
    (r"1 - \begin{bmatrix} 0.25 \\ 1 \end{bmatrix}", [[0.75], [0]]),
    (r"\begin{bmatrix} 1 \\ 2 \end{bmatrix} \odot \begin{bmatrix} 3 \\ 0 \end{bmatrix}", [[3], [0]]),
    (r"\begin{bmatrix} 2 & 4 \end{bmatrix} - 0.5 \begin{bmatrix} 2 & 4 \end{bmatrix}", [[1, 2]]),
    (r"\frac{1}{e^{0} + e^{0}}\begin{bmatrix} e^{0} \\ e^{0} \end{bmatrix}", [[0.5], [0.5]]),
    (r"\mathrm{ReLU}\left(\begin{bmatrix} 3.1 \\ -0.2 \end{bmatrix}\right)", [[3.1], [0]]),
    (r"\left|\begin{bmatrix} -0.1 \\ 0.5 \end{bmatrix}\right|", [[0.1], [0.5]]),
    (r"\begin{bmatrix} 0.5 - 1 \\ 0.25 \end{bmatrix}", [[-0.5], [0.25]]),
])
def test_arrays(latex, expected):
    got = value(latex)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, np.array(expected, dtype=float), rtol=1e-12, atol=1e-12)


def test_each_side_of_an_equality():
    assert sides(r"e^{-0.5^2 \cdot 400 / 8} = e^{-12.5}") == pytest.approx([math.exp(-12.5)] * 2)
    assert sides(r"\sqrt{0.02 \cdot 17.7513} = 0.6") == pytest.approx([math.sqrt(0.02 * 17.7513), 0.6])
    assert value(r"2 + 2 = 4") == 4
    with pytest.raises(NotComputable, match="differ"):
        value(r"2 + 2 = 5")
    assert value(r"\sqrt{0.36} = 0.6001", rel=1e-3) == pytest.approx(0.6)


@pytest.mark.parametrize("latex, why", [
    (r"x + 1", "symbol 'x'"), (r"z_{11} = 3", "symbol 'z'"), (r"\text{images } 2, 9", "text 'images '"),
    (r"0.01 < 0.05", "operator '<'"), (r"0.1 \le 1", "operator '≤'"), (r"1, \dots, 5", "operator '…'"),
    (r"\sum_i 2", "operator '∑'"), (r"2.1 \hat z_i", "accent"), (r"\tanh^2(0.5)", "power of 'tanh'"),
    (r"\sigma_i", "subscript on 'σ'"), (r"\max_{k} 2", "subscript on 'max'"), (r"\nabla_0", "symbol '∇'"),
    (r"\begin{bmatrix} 1 & 2 \end{bmatrix} + (1, 2, 3)", "do not fit"), (r"(1, 2) (3, 4)", "two vectors"),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}^2", "power of a matrix"),
    (r"\begin{bmatrix} 1 & 2 \end{bmatrix} \begin{bmatrix} 1 & 2 \end{bmatrix}", "matrix times"),
    (r"\begin{cases} 1 & x > 0 \end{cases}", "environment 'cases'"), (r"\log(-1)", "no real value"),
    (r"\frac{1}{0}", "no real value"), (r"\frac{1}{0.0 - 0}", "no real value"), (r"(1, 2", "expected ')'"),
    (r"\arg 3", "'arg' without 'max'"), (r"\tanh(1, 2)", "one argument"),
])
def test_what_is_not_a_plain_computation_is_refused(latex, why):
    with pytest.raises(NotComputable, match=re.escape(why)) as err:
        value(latex)
    assert latex[:20] in str(err.value)  # the message quotes the formula


def test_outside_the_latex_subset_is_a_latex_error():
    with pytest.raises(LatexError):
        value(r"\frac{1}")
    assert issubclass(NotComputable, LatexError)
