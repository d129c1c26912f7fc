"""Hand-worked cases for the lecture-02 and lecture-03 generators (linreg_step, logreg_step, backprop,
softmax_ce, dense_forward, vectorized_shapes): reference values, follow-through and named
mistakes, with every expected number worked out by hand from the course's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examgen.registry import GivenError, get

from examgen import solve

from .conftest import grade, status, values


def sig(t: float) -> float:
    return 1 / (1 + math.exp(-t))


# --- linreg_step: x = (1, 2, 3), y = (2, 3, 5), w = 1, b = 0.5, lr = 0.1 ----------------------
LIN = {"x": [[1], [2], [3]], "y": [2, 3, 5], "w": [1], "b": 0.5, "lr": 0.1}


def test_linreg_reference_by_hand():
    v = values("linreg_step", LIN)
    assert v["yhat"] == pytest.approx([1.5, 2.5, 3.5])           # 1 x_i + 0.5
    # errors y_hat - y = (-0.5, -0.5, -1.5): L = (0.25 + 0.25 + 2.25) / 3
    assert v["loss"] == pytest.approx(2.75 / 3)
    assert v["dw"] == pytest.approx(-4.0)                         # 2/3 (-0.5 - 1 - 4.5) = 2/3 (-6)
    assert v["db"] == pytest.approx(-5 / 3)                       # 2/3 (-2.5)
    assert v["w_new"] == pytest.approx(1.4)                       # 1 - 0.1 (-4)
    assert v["b_new"] == pytest.approx(0.5 + 1 / 6)               # 0.5 - 0.1 (-5/3)


def test_linreg_half_convention_by_hand():
    v = values("linreg_step", {**LIN, "half": True})
    assert v["loss"] == pytest.approx(2.75 / 6)                   # 1/(2N): 2.75 / 6
    assert v["dw"] == pytest.approx(-2.0)                         # 1/3 (-6): the 2 cancels
    assert v["db"] == pytest.approx(-2.5 / 3)
    assert v["w_new"] == pytest.approx(1.2)


def test_linreg_two_features_by_hand():
    # y_hat = 0.5 x1 - 1 x2 + 0: (0.5 - 1, 1 - 0, 0 - 2) = (-0.5, 1, -2); e = y_hat - y = (-1.5, 0, -3)
    g = {"x": [[1, 1], [2, 0], [0, 2]], "y": [1, 1, 1], "w": [0.5, -1], "b": 0, "lr": 0.1}
    v = values("linreg_step", g)
    assert v["yhat"] == pytest.approx([-0.5, 1, -2])
    assert v["loss"] == pytest.approx((2.25 + 0 + 9) / 3)
    assert v["dw1"] == pytest.approx(2 / 3 * (-1.5 * 1 + 0 * 2 + -3 * 0))   # -1
    assert v["dw2"] == pytest.approx(2 / 3 * (-1.5 * 1 + 0 * 0 + -3 * 2))   # -5
    assert v["db"] == pytest.approx(2 / 3 * -4.5)                           # -3
    assert v["w1_new"] == pytest.approx(0.6) and v["w2_new"] == pytest.approx(-0.5)
    assert v["b_new"] == pytest.approx(0.3)


def test_linreg_follow_through_from_wrong_predictions():
    # y_hat_3 = 4.5 (slip): errors (-0.5, -0.5, -0.5), L = 0.75 / 3 = 0.25,
    # dw = 2/3 (-0.5)(1 + 2 + 3) = -2, db = 2/3 (-1.5) = -1, w = 1.2, b = 0.6
    q, r = grade("linreg_step", LIN, {"a": {"yhat": [1.5, 2.5, 4.5], "loss": 0.25},
                                      "b": {"dw": -2, "db": -1}, "c": {"w_new": 1.2, "b_new": 0.6}})
    assert status(r, "yhat")[0] == "partial"  # two of three entries right
    for name in ("loss", "dw", "db", "w_new", "b_new"):
        assert status(r, name)[0] == "follow_through", name
    # part a: (1 * 2/3 + 2 * 0.8) / 3 of 10 points
    assert r.parts[0].score == pytest.approx(7.6)
    assert r.parts[1].score == pytest.approx(8.0) and r.parts[2].score == pytest.approx(8.0)


def test_linreg_mistakes_are_named():
    # without the 2: dw = 1/3 (-6) = -2; summed: 2 (-6) = -12; y - y_hat: +4
    q, r = grade("linreg_step", LIN, {"b": {"dw": -2}})
    assert status(r, "dw") == ("mistake", ["factor_two"])
    q, r = grade("linreg_step", LIN, {"b": {"dw": -12}})
    assert status(r, "dw") == ("mistake", ["gradient_not_averaged"])
    q, r = grade("linreg_step", LIN, {"b": {"dw": 4, "db": 5 / 3}})
    assert status(r, "dw") == ("mistake", ["error_sign"])
    q, r = grade("linreg_step", LIN, {"a": {"loss": 2.75}})      # not divided by N = 3
    assert status(r, "loss") == ("mistake", ["loss_not_averaged"])
    q, r = grade("linreg_step", LIN, {"c": {"w_new": 0.6}})      # 1 + 0.1 (-4)
    assert status(r, "w_new") == ("mistake", ["gradient_ascent"])
    # with 1/(2N) in the loss, keeping the 2 gives dw = 2/3 (-6) = -4
    q, r = grade("linreg_step", {**LIN, "half": True}, {"b": {"dw": -4}})
    assert status(r, "dw") == ("mistake", ["factor_two"])


def test_linreg_every_gradient_and_update_is_an_answer():
    # a right db does not make a wrong dw full marks: both count double, 0 + 2 of 4
    q, r = grade("linreg_step", LIN, {"b": {"dw": 3}, "c": {"w_new": 2}})
    assert status(r, "dw")[0] == "wrong" and status(r, "w_new")[0] == "wrong"
    assert r.parts[1].score == pytest.approx(5.0) and r.parts[2].score == pytest.approx(5.0)


def test_linreg_givens_errors_are_one_line():
    gen = get("linreg_step")
    for bad, word in [({**LIN, "y": [1, 2]}, "one target"), ({**LIN, "lr": 0}, "lr"),
                      ({k: v for k, v in LIN.items() if k != "b"}, "'b' is missing"),
                      ({**LIN, "bias": 1}, "not a known field")]:
        with pytest.raises(GivenError) as e:
            gen.givens(bad)
        assert word in str(e.value) and "\n" not in str(e.value)


# --- logreg_step: x = (1, -1, 2), y = (1, 0, 0), w = 1, b = 0, lr = 0.5 ------------------------
LOG = {"x": [[1], [-1], [2]], "y": [1, 0, 0], "w": [1], "b": 0, "lr": 0.5}
S1, S2 = sig(1), sig(2)  # 0.7311, 0.8808


def test_logreg_reference_by_hand():
    v = values("logreg_step", LOG)
    assert v["z"] == pytest.approx([1, -1, 2])
    assert v["yhat"] == pytest.approx([S1, 1 - S1, S2])
    # L = -(ln sigma(1) + ln(1 - sigma(-1)) + ln(1 - sigma(2))) / 3 = -(2 ln sigma(1) + ln sigma(-2)) / 3
    loss = -(2 * math.log(S1) + math.log(1 - S2)) / 3
    assert v["loss"] == pytest.approx(loss) and v["loss"] == pytest.approx(0.917817, abs=1e-6)
    # errors y_hat - y = (S1 - 1, 1 - S1, S2)
    dw = ((S1 - 1) * 1 + (1 - S1) * -1 + S2 * 2) / 3
    db = ((S1 - 1) + (1 - S1) + S2) / 3
    assert v["dw"] == pytest.approx(dw) and v["dw"] == pytest.approx(0.407904, abs=1e-6)
    assert v["db"] == pytest.approx(db) and v["db"] == pytest.approx(0.293599, abs=1e-6)
    assert v["w_new"] == pytest.approx(1 - 0.5 * dw)
    assert v["b_new"] == pytest.approx(-0.5 * db)


def test_logreg_follow_through_from_wrong_logits():
    # z_2 = +1 (sign slip): y_hat = (S1, S1, S2), L = -(ln S1 + ln(1 - S1) + ln(1 - S2)) / 3
    yhat = [S1, S1, S2]
    loss = -(math.log(S1) + math.log(1 - S1) + math.log(1 - S2)) / 3
    dw = ((S1 - 1) * 1 + S1 * -1 + S2 * 2) / 3
    q, r = grade("logreg_step", LOG, {"a": {"z": [1, 1, 2], "yhat": yhat, "loss": loss}, "b": {"dw": dw}})
    assert status(r, "z")[0] == "partial"
    for name in ("yhat", "loss", "dw"):
        assert status(r, name)[0] == "follow_through", name


def test_logreg_mistakes_are_named():
    loss = -(2 * math.log(S1) + math.log(1 - S2)) / 3
    q, r = grade("logreg_step", LOG, {"a": {"loss": loss / math.log(10)}})  # log10 x = ln x / ln 10
    assert status(r, "loss") == ("mistake", ["log10"])
    q, r = grade("logreg_step", LOG, {"a": {"loss": -loss}})
    assert status(r, "loss") == ("mistake", ["loss_sign"])
    # with sigma'(z) = y_hat (1 - y_hat): each error times S(1 - S)
    d1, d2 = S1 * (1 - S1), S2 * (1 - S2)
    dw = ((S1 - 1) * d1 * 1 + (1 - S1) * d1 * -1 + S2 * d2 * 2) / 3
    q, r = grade("logreg_step", LOG, {"b": {"dw": dw}})
    assert status(r, "dw") == ("mistake", ["sigmoid_derivative_twice"])
    db = S2 / 3
    q, r = grade("logreg_step", LOG, {"b": {"db": -db}})
    assert status(r, "db") == ("mistake", ["error_sign"])
    q, r = grade("logreg_step", LOG, {"b": {"db": 3 * db}})
    assert status(r, "db") == ("mistake", ["gradient_not_averaged"])
    q, r = grade("logreg_step", LOG, {"c": {"b_new": 0.5 * db}})
    assert status(r, "b_new") == ("mistake", ["gradient_ascent"])


def test_logreg_labels_must_be_binary():
    with pytest.raises(GivenError, match="y"):
        get("logreg_step").givens({**LOG, "y": [1, 2, 0]})


# --- softmax_ce: x = (1, -1), z = (0, 1, 0), true class 2, lr = 1 ------------------------------
SM = {"x": [1, -1], "W": [[1, 1], [1, 0], [0, 1]], "b": [0, 0, 1], "true_class": 2, "lr": 1}
E = math.e
P = np.array([1, E, 1]) / (2 + E)  # (0.2119, 0.5761, 0.2119)


def test_softmax_ce_reference_by_hand():
    v = values("softmax_ce", SM)
    assert v["z"] == pytest.approx([0, 1, 0])                    # (1 - 1, 1 + 0, 0 - 1 + 1)
    assert v["p"] == pytest.approx(P.tolist())
    assert v["loss"] == pytest.approx(math.log(2 + E) - 1)       # -ln(e / (2 + e)) = 0.5514
    delta = P - np.array([0, 1, 0])
    assert v["delta"] == pytest.approx(delta.tolist())
    dW = np.outer(delta, [1, -1])
    assert np.array(v["dW"]) == pytest.approx(dW)
    assert np.array(v["W_new"]) == pytest.approx(np.array(SM["W"]) - dW)
    assert v["b_new"] == pytest.approx((np.array(SM["b"]) - delta).tolist())


def test_softmax_ce_follow_through_from_wrong_scores():
    # z = (0, 1, 1): p = (1, e, e) / (1 + 2e), L = -ln(e / (1 + 2e)), delta = p - y
    p = np.array([1, E, E]) / (1 + 2 * E)
    delta = p - np.array([0, 1, 0])
    q, r = grade("softmax_ce", SM, {"a": {"z": [0, 1, 1], "p": p.tolist(), "loss": math.log(1 + 2 * E) - 1},
                                    "b": {"delta": delta.tolist(), "dW": np.outer(delta, [1, -1]).tolist()}})
    assert status(r, "z")[0] == "partial"
    for name in ("p", "loss", "delta", "dW"):
        assert status(r, name)[0] == "follow_through", name


def test_softmax_ce_mistakes_are_named():
    loss = math.log(2 + E) - 1
    q, r = grade("softmax_ce", SM, {"a": {"loss": loss / math.log(10)}})
    assert status(r, "loss") == ("mistake", ["log10"])
    # binary cross-entropy per class adds -ln(1 - p_1) - ln(1 - p_3) = -2 ln((1 + e) / (2 + e))
    q, r = grade("softmax_ce", SM, {"a": {"loss": loss - 2 * math.log((1 + E) / (2 + E))}})
    assert status(r, "loss") == ("mistake", ["binary_ce_per_class"])
    q, r = grade("softmax_ce", SM, {"b": {"delta": (np.array([0, 1, 0]) - P).tolist()}})
    assert status(r, "delta") == ("mistake", ["error_sign"])
    q, r = grade("softmax_ce", SM, {"b": {"delta": P.tolist()}})
    assert status(r, "delta") == ("mistake", ["onehot_forgotten"])
    delta = P - np.array([0, 1, 0])
    q, r = grade("softmax_ce", SM, {"c": {"b_new": (np.array(SM["b"]) + delta).tolist()}})
    assert status(r, "b_new") == ("mistake", ["gradient_ascent"])


def test_softmax_ce_true_class_is_checked():
    with pytest.raises(GivenError, match="true_class"):
        get("softmax_ce").givens({**SM, "true_class": 4})


# --- dense_forward ------------------------------------------------------------------------------
# two layers: ReLU hidden layer, softmax output; asked: node 2 of layer 1
DF2 = {"x": [1, 2], "W": [[[1, -1], [0.5, 0.5]], [[1, 2], [-1, 1]]], "b": [[0.5, -0.5], [0, 0.5]],
       "activations": ["relu"], "layer": 1, "node": 2}
# three layers: sigmoid, ReLU, softmax over 3 classes; asked: node 2 of layer 2
DF3 = {"x": [1, -1], "W": [[[1, 1], [2, 1]], [[2, -2], [1, 1]], [[1, 0], [0, 1], [1, 1]]],
       "b": [[1, -1], [0.5, 0], [0, 0, -1]], "activations": ["sigmoid", "relu"], "layer": 2, "node": 2}


def test_dense_forward_two_layers_by_hand():
    v = values("dense_forward", DF2)
    assert v["z1"] == pytest.approx([-0.5, 1])            # (1 - 2 + 0.5, 0.5 + 1 - 0.5)
    assert v["a1"] == pytest.approx([0, 1])
    assert v["node"] == pytest.approx(1)
    assert v["z2"] == pytest.approx([2, 1.5])             # (0 + 2 + 0, 0 + 1 + 0.5)
    assert v["yhat"] == pytest.approx([sig(0.5), 1 - sig(0.5)])  # softmax of two = sigmoid of the gap
    assert v["pred"] == 1


def test_dense_forward_three_layers_by_hand():
    v = values("dense_forward", DF3)
    assert v["z1"] == pytest.approx([1, 0])               # (1 - 1 + 1, 2 - 1 - 1)
    assert v["a1"] == pytest.approx([sig(1), 0.5])
    a2 = [2 * sig(1) - 1 + 0.5, sig(1) + 0.5]             # both positive: ReLU keeps them
    assert v["z2"] == pytest.approx(a2) and v["a2"] == pytest.approx(a2)
    assert v["node"] == pytest.approx(sig(1) + 0.5)       # 1.2311
    z3 = [a2[0], a2[1], a2[0] + a2[1] - 1]
    assert v["z3"] == pytest.approx(z3)
    e = np.exp(z3)
    assert v["yhat"] == pytest.approx((e / e.sum()).tolist())
    assert v["pred"] == 2


def test_dense_forward_follow_through():
    # z1 = (1, 0.5) (wrong second entry): a1 = (S1, sigma(0.5)), z2 = (2 S1 - 2 sigma(0.5) + 0.5,
    # S1 + sigma(0.5)), both positive so a2 = z2, node = a2_2, z3 = (a2_1, a2_2, a2_1 + a2_2 - 1)
    s1, sh = sig(1), sig(0.5)
    a2 = [2 * s1 - 2 * sh + 0.5, s1 + sh]
    z3 = [a2[0], a2[1], a2[0] + a2[1] - 1]
    e = np.exp(z3)
    q, r = grade("dense_forward", DF3, {"a": {"z1": [1, 0.5], "a1": [s1, sh], "z2": a2, "a2": a2, "node": a2[1]},
                                       "b": {"z3": z3, "yhat": (e / e.sum()).tolist()}})
    assert status(r, "z1")[0] == "partial"
    for name in ("a1", "z2", "a2", "node", "z3", "yhat"):
        assert status(r, name)[0] == "follow_through", name
    assert status(r, "pred")[0] == "correct"


def test_dense_forward_mistakes_are_named():
    q, r = grade("dense_forward", DF2, {"a": {"z1": [-1, 1.5]}})          # W x without b
    assert status(r, "z1") == ("mistake", ["bias_forgotten"])
    # (W^[1])^T x + b = (1 + 1, -1 + 1) + (0.5, -0.5) = (2.5, -0.5)
    q, r = grade("dense_forward", DF2, {"a": {"z1": [2.5, -0.5]}})
    assert status(r, "z1") == ("mistake", ["weights_transposed"])
    q, r = grade("dense_forward", DF3, {"a": {"a1": [1 - sig(1), 0.5]}})  # 1 / (1 + e^z)
    assert status(r, "a1")[0] == "mistake" and "sigmoid_sign" in status(r, "a1")[1]


def test_dense_forward_givens_are_checked():
    gen = get("dense_forward")
    with pytest.raises(GivenError, match="hidden layer"):
        gen.givens({**DF2, "layer": 2})
    with pytest.raises(GivenError, match="W"):
        gen.givens({**DF2, "W": [[[1, -1, 0], [0.5, 0.5, 0]], [[1, 2], [-1, 1]]]})


# --- vectorized_shapes: 784 - 128 - 10, m = 64, layer 2 ----------------------------------------
VS = {"m": 64, "widths": [784, 128, 10], "layer": 2}


def test_vectorized_shapes_reference_by_hand():
    v = values("vectorized_shapes", VS)
    shapes = {k: (v[f"{k}_rows"], v[f"{k}_cols"]) for k in ("A1", "W2", "b2", "Z2", "A2", "dZ2", "dW2", "db2", "dA1")}
    assert shapes == {"A1": (128, 64), "W2": (10, 128), "b2": (10, 1), "Z2": (10, 64), "A2": (10, 64),
                      "dZ2": (10, 64), "dW2": (10, 128), "db2": (10, 1), "dA1": (128, 64)}
    v = values("vectorized_shapes", {**VS, "layer": 1})   # the first layer reads X = A^[0]
    assert (v["A0_rows"], v["A0_cols"], v["W1_rows"], v["W1_cols"]) == (784, 64, 128, 784)
    assert (v["dA0_rows"], v["dA0_cols"]) == (784, 64)


def test_vectorized_shapes_follow_through():
    # A^[1] copied as 100 x 64: then W^[2] must be 10 x 100 to multiply it, dW^[2] too, dA^[1] 100 x 64
    q, r = grade("vectorized_shapes", VS, {"a": {"A1_rows": 100, "W2_cols": 100},
                                           "b": {"dW2_cols": 100, "dA1_rows": 100}})
    assert status(r, "A1_rows")[0] == "wrong"
    for name in ("W2_cols", "dW2_cols", "dA1_rows"):
        assert status(r, name)[0] == "follow_through", name


def test_vectorized_shapes_mistakes_are_named():
    q, r = grade("vectorized_shapes", VS, {"a": {"A1_rows": 64, "A1_cols": 128}})
    assert status(r, "A1_rows") == ("mistake", ["examples_as_rows"])
    q, r = grade("vectorized_shapes", VS, {"a": {"W2_rows": 128, "W2_cols": 10}})
    assert status(r, "W2_rows") == ("mistake", ["weights_transposed"])
    assert status(r, "W2_cols") == ("mistake", ["weights_transposed"])
    q, r = grade("vectorized_shapes", VS, {"a": {"b2_cols": 64}})
    assert status(r, "b2_cols") == ("mistake", ["b_per_example"])
    q, r = grade("vectorized_shapes", VS, {"b": {"db2_cols": 64}})
    assert status(r, "db2_cols") == ("mistake", ["db_not_summed"])


def test_vectorized_shapes_parameters_by_hand():
    v = values("vectorized_shapes", VS)
    assert v["params2"] == 10 * 128 + 10                       # W^[2] is 10 x 128, b^[2] has 10
    assert v["params_total"] == 128 * 785 + 10 * 129           # 100,480 + 1,290
    q, r = grade("vectorized_shapes", VS, {"c": {"params2": 1280, "params_total": 128 * 784 + 1280}})
    assert status(r, "params2") == ("mistake", ["biases_not_counted"])
    assert status(r, "params_total") == ("mistake", ["biases_not_counted"])
    # W^[2] copied as 10 x 100 (from a wrong A^[1]): 10 * 100 + 10 = 1010 parameters follows through
    q, r = grade("vectorized_shapes", VS, {"a": {"A1_rows": 100, "W2_cols": 100}, "c": {"params2": 1010}})
    assert status(r, "params2")[0] == "follow_through"


@pytest.mark.parametrize("model,widths,params", [
    ("linear_regression", [5, 1], 6),            # w^T x + b: 5 weights, 1 bias
    ("logistic_regression", [784, 1], 785),
    ("softmax_regression", [784, 10], 7850),     # one row of 784 weights and a bias per class
])
def test_models_without_a_hidden_layer_by_hand(model, widths, params):
    g = {"m": 32, "widths": widths, "model": model}
    v = values("vectorized_shapes", g)
    d, k = widths
    assert (v["A0_rows"], v["A0_cols"]) == (d, 32) and (v["W1_rows"], v["W1_cols"]) == (k, d)
    assert (v["b1_rows"], v["b1_cols"]) == (k, 1) and (v["A1_rows"], v["A1_cols"]) == (k, 32)
    assert (v["dW1_rows"], v["dW1_cols"]) == (k, d) and (v["dA0_rows"], v["dA0_cols"]) == (d, 32)
    assert v["params1"] == params and "params_total" not in v
    assert "without a hidden layer" in solve("vectorized_shapes", g).stem


def test_logistic_regression_with_two_outputs_is_named():
    g = {"m": 32, "widths": [784, 1], "model": "logistic_regression"}
    q, r = grade("vectorized_shapes", g, {"a": {"W1_rows": 2, "b1_rows": 2}, "c": {"params1": 2 * 785}})
    assert status(r, "W1_rows") == ("mistake", ["one_output_per_class"])
    assert status(r, "params1")[0] == "follow_through"


def test_models_need_their_own_widths():
    for bad in ({"m": 8, "widths": [5, 2], "model": "linear_regression"},
                {"m": 8, "widths": [5, 1], "model": "softmax_regression"},
                {"m": 8, "widths": [5, 3, 1], "model": "logistic_regression"}):
        with pytest.raises(GivenError) as e:
            get("vectorized_shapes").givens(bad)
        assert "\n" not in str(e.value)


def test_vectorized_shapes_layer_must_exist():
    with pytest.raises(GivenError, match="layer"):
        get("vectorized_shapes").givens({**VS, "layer": 3})


# --- backprop (the ReLU / softmax case is in test_hand_cases.py) -------------------------------
# A: ReLU hidden layer, linear output, squared error: every number by hand
BPA = {"x": [1, 2], "W1": [[1, -1], [0.5, 0.5]], "b1": [0.5, 0], "W2": [[2, 1]], "b2": [0.5],
       "activation": "relu", "output": "linear", "loss": "half_squared", "y": [1], "lr": 0.1}


def test_backprop_linear_output_half_squared_error_by_hand():
    v = values("backprop", BPA)
    assert v["z1"] == pytest.approx([-0.5, 1.5]) and v["a1"] == pytest.approx([0, 1.5])  # (1 - 2 + 0.5, 0.5 + 1)
    assert v["z2"] == pytest.approx([2])                      # 2 * 0 + 1 * 1.5 + 0.5
    assert v["loss"] == pytest.approx(0.5)                    # 1/2 (2 - 1)^2
    assert v["delta2"] == pytest.approx([1])                  # y_hat - y
    assert np.array(v["dW2"]) == pytest.approx(np.array([[0, 1.5]])) and v["db2"] == pytest.approx([1])
    assert v["da1"] == pytest.approx([2, 1])                  # (W^[2])^T delta^[2]
    assert v["delta1"] == pytest.approx([0, 1])               # times ReLU'(z^[1]) = (0, 1)
    assert np.array(v["dW1"]) == pytest.approx(np.array([[0, 0], [1, 2]])) and v["db1"] == pytest.approx([0, 1])
    assert np.array(v["W2_new"]) == pytest.approx(np.array([[2, 0.85]])) and v["b2_new"] == pytest.approx([0.4])
    assert np.array(v["W1_new"]) == pytest.approx(np.array([[1, -1], [0.4, 0.3]]))
    assert v["b1_new"] == pytest.approx([0.5, -0.1])
    assert "yhat" not in v and "dyhat" not in v and "p" not in v  # a linear output is z^[2] itself


def test_backprop_mean_convention_by_hand_and_its_mistakes():
    g = {**BPA, "loss": "mean_squared"}                       # K = 1: L = (2 - 1)^2, dL/dy_hat = 2 (y_hat - y)
    v = values("backprop", g)
    assert v["loss"] == pytest.approx(1) and v["delta2"] == pytest.approx([2])
    assert v["da1"] == pytest.approx([4, 2]) and v["db1"] == pytest.approx([0, 2])
    q, r = grade("backprop", g, {"b": {"delta2": [1]}})       # the power rule's 2 left out
    assert status(r, "delta2") == ("mistake", ["power_rule_factor"])
    q, r = grade("backprop", BPA, {"b": {"delta2": [2]}})     # with 1/2: the 2 cancels
    assert status(r, "delta2") == ("mistake", ["half_forgotten"])


# B: two ReLU hidden layers, linear output of K = 2, mean squared error
BPB = {"x": [1, -1], "W1": [[2, 1], [1, 2]], "b1": [0, 0.5], "W2": [[1, -1], [0.5, 2]], "b2": [0.5, 0],
       "W3": [[1, 2], [-1, 0]], "b3": [0, 1], "activation": "relu", "output": "linear", "loss": "mean_squared",
       "y": [2, 0.5], "lr": 0.5}


def test_backprop_two_hidden_layers_by_hand():
    v = values("backprop", BPB)
    assert v["z1"] == pytest.approx([1, -0.5]) and v["a1"] == pytest.approx([1, 0])
    assert v["z2"] == pytest.approx([1.5, 0.5]) and v["a2"] == pytest.approx([1.5, 0.5])
    assert v["z3"] == pytest.approx([2.5, -0.5])               # (1.5 + 1, -1.5 + 1)
    assert v["loss"] == pytest.approx(0.625)                   # (0.5^2 + 1^2) / 2
    assert v["delta3"] == pytest.approx([0.5, -1])             # 2/K (y_hat - y), K = 2
    assert np.array(v["dW3"]) == pytest.approx(np.array([[0.75, 0.25], [-1.5, -0.5]]))
    assert v["da2"] == pytest.approx([1.5, 1])                 # (W^[3])^T delta^[3] = (0.5 + 1, 1 + 0)
    assert v["delta2"] == pytest.approx([1.5, 1])              # both units of layer 2 active
    assert np.array(v["dW2"]) == pytest.approx(np.array([[1.5, 0], [1, 0]])) and v["db2"] == pytest.approx([1.5, 1])
    assert v["da1"] == pytest.approx([2, 0.5])                 # (1.5 + 0.5, -1.5 + 2)
    assert v["delta1"] == pytest.approx([2, 0])                # unit 2 of layer 1 is off
    assert np.array(v["dW1"]) == pytest.approx(np.array([[2, -2], [0, 0]])) and v["db1"] == pytest.approx([2, 0])
    assert np.array(v["W3_new"]) == pytest.approx(np.array([[0.625, 1.875], [-0.25, 0.25]]))
    assert v["b3_new"] == pytest.approx([-0.25, 1.5])
    assert np.array(v["W1_new"]) == pytest.approx(np.array([[1, 2], [1, 2]])) and v["b1_new"] == pytest.approx([-1, 0.5])
    q = solve("backprop", BPB)
    assert [p.id for p in q.parts] == ["a", "b", "c", "d", "e"]  # forward, output, layer 2, layer 1, SGD


def test_backprop_two_hidden_layers_follow_through_and_mistakes():
    # delta^[3] with the wrong sign, (-0.5, 1): named, and every later step follows from it
    q, r = grade("backprop", BPB, {"b": {"delta3": [-0.5, 1], "dW3": [[-0.75, -0.25], [1.5, 0.5]], "db3": [-0.5, 1]},
                                   "c": {"da2": [-1.5, -1], "delta2": [-1.5, -1]}})
    assert status(r, "delta3") == ("mistake", ["error_sign"])
    for name in ("dW3", "db3", "da2", "delta2"):
        assert status(r, name)[0] == "follow_through", name
    q, r = grade("backprop", BPB, {"b": {"delta3": [1, -2]}})  # 2 (y_hat - y) without the 1/K
    assert status(r, "delta3") == ("mistake", ["mean_not_divided"])
    q, r = grade("backprop", BPB, {"c": {"da2": [-1.5, -0.5]}})  # W^[3] delta^[3] without the transpose
    assert status(r, "da2") == ("mistake", ["not_transposed"])


# C: one tanh hidden node, sigmoid output: binary cross-entropy and the squared error
BPC = {"x": [1, 2], "W1": [[1, 0.5]], "b1": [0], "W2": [[-1]], "b2": [0.5], "activation": "tanh",
       "output": "sigmoid", "loss": "cross_entropy", "y": [1], "lr": 1}
T = math.tanh(2)          # z^[1] = 1 + 1 = 2
YH = sig(0.5 - T)         # z^[2] = -tanh(2) + 0.5


def test_backprop_tanh_hidden_sigmoid_output_cross_entropy_by_hand():
    v = values("backprop", BPC)
    assert v["z1"] == pytest.approx([2]) and v["a1"] == pytest.approx([T])
    assert v["z2"] == pytest.approx([0.5 - T]) and v["yhat"] == pytest.approx([YH])
    assert v["loss"] == pytest.approx(-math.log(YH))
    d2 = YH - 1                                               # sigma' cancels against the cross-entropy
    assert v["delta2"] == pytest.approx([d2])
    assert np.array(v["dW2"]) == pytest.approx(np.array([[d2 * T]]))
    assert v["da1"] == pytest.approx([-d2])                   # w^[2] = -1
    d1 = -d2 * (1 - T ** 2)                                   # tanh' = 1 - tanh^2
    assert v["delta1"] == pytest.approx([d1])
    assert np.array(v["dW1"]) == pytest.approx(np.array([[d1, 2 * d1]]))
    assert np.array(v["W1_new"]) == pytest.approx(np.array([[1 - d1, 0.5 - 2 * d1]]))
    q, r = grade("backprop", BPC, {"b": {"delta2": [d2 * YH * (1 - YH)]}})
    assert status(r, "delta2") == ("mistake", ["sigmoid_derivative_twice"])
    q, r = grade("backprop", BPC, {"c": {"delta1": [-d2 * (1 - T)]}})
    assert status(r, "delta1") == ("mistake", ["tanh_square_missing"])


def test_backprop_sigmoid_output_squared_error_has_dl_dyhat_by_hand():
    g = {**BPC, "loss": "half_squared"}
    v = values("backprop", g)
    assert v["loss"] == pytest.approx(0.5 * (YH - 1) ** 2)
    assert v["dyhat"] == pytest.approx([YH - 1])              # d/dy_hat of 1/2 (y_hat - y)^2
    d2 = (YH - 1) * YH * (1 - YH)                             # times sigma'(z^[2])
    assert v["delta2"] == pytest.approx([d2])
    assert v["da1"] == pytest.approx([-d2])
    q, r = grade("backprop", g, {"b": {"delta2": [YH - 1]}})
    assert status(r, "delta2") == ("mistake", ["activation_derivative_missing"])


@pytest.mark.parametrize("bad,why", [
    ({**BPA, "output": "softmax"}, "loss 'cross_entropy'"),
    ({**BPA, "loss": "cross_entropy"}, "linear output"),
    ({**BPA, "y": [1, 2]}, "one per output"),
    ({**BPA, "W3": [[1]]}, "both W3 and b3"),
    ({**BPA, "W2": [[2, 1, 0]]}, "W2 must be 1x2"),
    ({**BPC, "y": [2]}, "[0, 1]"),
    ({**BPC, "output": "softmax", "loss": "cross_entropy", "y": None, "target": 0}, "at least 2 classes"),
])
def test_backprop_bad_givens_are_one_line_errors(bad, why):
    with pytest.raises(GivenError) as e:
        get("backprop").givens(bad)
    assert why in str(e.value) and "\n" not in str(e.value)
