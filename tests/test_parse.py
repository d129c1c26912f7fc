"""Parsing student text: forgiving formats, clear format errors, bounded work on hostile input."""

from __future__ import annotations

import numpy as np
import pytest

from examgen.kinds import parse
from examgen.kinds.parse import FormatError

from .conftest import lines_run


@pytest.mark.parametrize("text", ["0.25", "1/4", "2.5e-1", "0,25", ".25", "+0.25", "25%", "2.5·10^-1",
                                  "2.5*10^(-1)", " 0.25 ", "(1)/(4)", 0.25, "2.5 × 10^-1"])
def test_quarter_in_many_forms(text):
    assert parse.number(text) == pytest.approx(0.25)


@pytest.mark.parametrize("text", ["\u22120.25", "-1/4", "\u2212 0,25", "-2.5e-1", "\u20130.25"])
def test_negative_quarter_including_unicode_minus(text):
    assert parse.number(text) == pytest.approx(-0.25)


@pytest.mark.parametrize("text", ["abc", "1..2", "1/0", "nan", "inf", "NaN", "Infinity", "", "1/2/3",
                                  "0x10", "1e999", "__import__('os')", "2**3", None, True, [1], {"a": 1}])
def test_unreadable_numbers_are_format_errors(text):
    with pytest.raises(FormatError) as e:
        parse.number(text)
    assert str(e.value)


def test_numbers_reject_non_finite_json_values():
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(FormatError, match="finite"):
            parse.number(bad)


def test_integers():
    assert parse.integer("12") == 12 and parse.integer(12.0) == 12 and parse.integer("3,0") == 3
    with pytest.raises(FormatError, match="whole number"):
        parse.integer("3.5")


@pytest.mark.parametrize("text", ["[1, 2; 3, 4]", "[[1, 2], [3, 4]]", [[1, 2], [3, 4]], "1 2; 3 4",
                                  "[1 2; 3 4]", "[[1,2],[3,4]]", [["1", "2"], ["3", "4"]], "[1, 2;\n 3, 4]"])
def test_matrices(text):
    np.testing.assert_array_equal(parse.array(text, [2, 2]), [[1, 2], [3, 4]])


def test_vectors_accept_row_or_column_and_fractions():
    for text in ["[1/2, -0.25, 2e1]", "[1/2; -0.25; 2e1]", [[0.5], [-0.25], [20]], "1/2 \u22120.25 20"]:
        np.testing.assert_allclose(parse.array(text, [3]), [0.5, -0.25, 20])


def test_a_matrix_of_one_row_or_column_accepts_a_plain_list():
    np.testing.assert_array_equal(parse.array("[0.5, -1, 2]", [1, 3]), [[0.5, -1, 2]])
    np.testing.assert_array_equal(parse.array([0.5, -1], [2, 1]), [[0.5], [-1]])
    with pytest.raises(FormatError, match="1×3 matrix"):
        parse.array("[0.5, -1]", [1, 3])


def test_tensors():
    t = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    np.testing.assert_array_equal(parse.array(t, [2, 2, 2]), t)
    np.testing.assert_array_equal(parse.array(str(t), [2, 2, 2]), t)


@pytest.mark.parametrize("text, message", [
    ("[1, 2; 3]", "different lengths"),
    ("[1, 2, 3]", "2×2 matrix"),
    ("[1, 2; 3, x]", "cannot read"),
    ("[1, 2; 3, 4", "not closed"),
    ("[1, 2] 3", "after the closing"),
    ("", "empty"),
])
def test_bad_arrays_say_what_is_wrong(text, message):
    with pytest.raises(FormatError, match=message):
        parse.array(text, [2, 2])


def test_choice_matches_case_and_space_insensitively():
    assert parse.choice("  Yes ", ["yes", "no"]) == "yes"
    with pytest.raises(FormatError, match="one of"):
        parse.choice("maybe", ["yes", "no"])


@pytest.mark.parametrize("hostile", [
    "x" * 1_000_000,
    "[" * 10_000 + "1" + "]" * 10_000,
    "[" * 5 + "1" + "]" * 5,  # nested too deeply for a 2x2 answer, but not a crash
    "9" * 5000,
    "1e" + "9" * 400,
    "1" + ",1" * 100_000,
])
@pytest.mark.timeout(20, method="thread")  # only catches a hang: each input takes well under a millisecond
def test_hostile_input_is_rejected_quickly(hostile):
    """Bounded work whatever the input: at most 2,000 Python lines for both parsers (the worst input
    measured 159; a Python scan of a million characters would take a million)."""
    with lines_run() as work:
        for parser in (lambda t: parse.number(t), lambda t: parse.array(t, [2, 2])):
            with pytest.raises(FormatError):
                parser(hostile)
    assert work.count <= 2_000, work.count
