"""Hand-worked cases for lecture 08 (generalization): reference values, follow-through and named
mistakes for vc_bound, l2_step, dropout and transfer_params. Every expected number is computed
by hand from the course's formulas (the comments show the arithmetic)."""

from __future__ import annotations

import math

import pytest

from examgen import registry
from examgen.registry import GivenError

from .conftest import grade, status, values


# --- vc_bound: perceptron in d = 2, N = 1000, eps = 0.1, delta = 0.05 ---------------------------
VC = {"d": 2, "N": 1000, "eps": 0.1, "delta": 0.05}
E125 = math.exp(-1.25)  # e^{-eps^2 N / 8} = e^{-0.01 * 1000 / 8}
LN2, LN10 = math.log(2), math.log(10)


def test_vc_bound_reference_by_hand():
    v = values("vc_bound", VC)
    assert v["dvc"] == 3  # d + 1: two weights and the bias
    assert v["growth"] == 8_000_000_001  # 2000^3 + 1
    assert v["exp_factor"] == pytest.approx(0.2865048, rel=1e-6)
    assert v["bound"] == pytest.approx(4 * 8_000_000_001 * E125)  # about 9.17e9: vacuous
    assert v["bound"] == pytest.approx(9.168e9, rel=1e-3)
    assert v["useful"] == "no"
    # 4 m_H(2N) / delta = 4 * 8e9 / 0.05 = 6.4e11 = 2^6 * 10^10 (the +1 changes ln by 1e-10)
    ln = 6 * LN2 + 10 * LN10  # 27.18476
    assert v["eps_conf"] == pytest.approx(math.sqrt(8 / 1000 * ln), abs=1e-8)  # 0.466344
    assert v["eps_conf"] == pytest.approx(0.4663, abs=1e-4)


def test_vc_bound_useful_case_by_hand():
    # d = 1 (d_vc = 2), N = 1000, eps = 0.4: m_H(2000) = 4 000 001, eps^2 N / 8 = 20
    v = values("vc_bound", {"d": 1, "N": 1000, "eps": 0.4, "delta": 0.1})
    assert v["growth"] == 4_000_001
    assert v["bound"] == pytest.approx(4 * 4_000_001 * math.exp(-20))  # 0.033: below 1
    assert v["useful"] == "yes"
    # ln(4 * 4e6 / 0.1) = ln(1.6e8) = 4 ln 2 + 7 ln 10
    assert v["eps_conf"] == pytest.approx(math.sqrt(0.008 * (4 * LN2 + 7 * LN10)), abs=1e-7)


def test_vc_bound_epsilon_plugged_back_gives_delta():
    v = values("vc_bound", VC)
    e = v["eps_conf"]
    assert 4 * v["growth"] * math.exp(-e * e * 1000 / 8) == pytest.approx(0.05, rel=1e-9)


def test_vc_bound_dvc_without_bias_then_follow_through():
    # d_vc = 2 (forgot the bias): m_H(2N) = 2000^2 + 1 = 4 000 001, bound = 4 * 4000001 * e^-1.25
    bound = 4 * 4_000_001 * E125  # 4.58e6
    eps = math.sqrt(0.008 * math.log(4 * 4_000_001 / 0.05))
    q, r = grade("vc_bound", VC, {"a": {"dvc": 2}, "b": {"growth": 4_000_001},
                                  "c": {"bound": f"{bound:.3e}"}, "d": {"eps_conf": round(eps, 3)}})
    assert status(r, "dvc") == ("mistake", ["dvc_without_bias"])
    assert status(r, "growth")[0] == "follow_through"
    assert status(r, "bound")[0] == "follow_through"
    assert status(r, "useful")[0] == "correct"  # still vacuous
    assert status(r, "eps_conf")[0] == "follow_through"
    assert r.parts[0].score == 0 and r.parts[1].score == 8.0


def test_vc_bound_named_mistakes():
    # each mistake alone (the grader judges a later step given the student's own earlier values)
    cases = [
        ("b", "growth", 8_000_000_000, "growth_no_plus_one"),  # 2000^3, no +1
        ("b", "growth", 1_000_000_001, "growth_at_N"),  # N^3 + 1 at N = 1000
        ("c", "exp_factor", f"{math.exp(-12.5):.4e}", "eps_not_squared"),  # e^{-0.1 * 1000 / 8}
        ("c", "exp_factor", f"{math.exp(-20):.4e}", "hoeffding_exponent"),  # e^{-2 * 0.01 * 1000}
        ("c", "bound", f"{8_000_000_001 * E125:.4e}", "missing_factor_4"),  # 2.29e9, no factor 4
        ("d", "eps_conf", round(8 / 1000 * (6 * LN2 + 10 * LN10), 3), "eps_no_sqrt"),  # eps^2 = 0.217
    ]
    for part, step, answer, mistake in cases:
        q, r = grade("vc_bound", VC, {part: {step: answer}})
        assert status(r, step) == ("mistake", [mistake]), mistake


def test_vc_bound_missing_factor_4_in_epsilon():
    # ln(8e9 / 0.05) = ln(1.6e11) = 4 ln 2 + 10 ln 10; eps = sqrt(0.008 * 25.799) = 0.454
    eps = math.sqrt(0.008 * (4 * LN2 + 10 * LN10))
    q, r = grade("vc_bound", VC, {"d": {"eps_conf": round(eps, 3)}})
    assert status(r, "eps_conf") == ("mistake", ["missing_factor_4"])


def test_vc_bound_givens_errors_are_one_line():
    with pytest.raises(GivenError, match="field 'd'"):
        registry.get("vc_bound").givens({"d": 0, "N": 1000, "eps": 0.1, "delta": 0.05})
    with pytest.raises(GivenError, match="field 'N' is missing"):
        registry.get("vc_bound").givens({"d": 2, "eps": 0.1, "delta": 0.05})
    with pytest.raises(GivenError, match="too large"):
        registry.get("vc_bound").givens({"d": 50, "N": 10 ** 9, "eps": 0.1, "delta": 0.05})


# --- l2_step: one example x = (1, 2), y = 1, w = (0.5, -1), b = 0.5, lambda = 0.1, eta = 0.1 ----
L2 = {"x": [[1, 2]], "y": [1], "w": [0.5, -1], "b": 0.5, "lam": 0.1, "lr": 0.1}


def test_l2_step_reference_by_hand():
    v = values("l2_step", L2)
    assert v["y_hat"] == pytest.approx(-1.0)  # 0.5 * 1 - 1 * 2 + 0.5
    assert v["data_loss"] == pytest.approx(4.0)  # (-1 - 1)^2
    assert v["penalty"] == pytest.approx(0.125)  # 0.1 (0.25 + 1)
    assert v["loss"] == pytest.approx(4.125)
    assert v["grad_data"] == pytest.approx([-4, -8])  # 2 * (-2) * (1, 2)
    assert v["grad_w"] == pytest.approx([-3.9, -8.2])  # + 2 * 0.1 * (0.5, -1)
    assert v["grad_b"] == pytest.approx(-4.0)  # 2 * (-2), no penalty on b
    assert v["w_new"] == pytest.approx([0.89, -0.18])  # (0.5, -1) - 0.1 (-3.9, -8.2)
    assert v["b_new"] == pytest.approx(0.9)  # 0.5 - 0.1 * (-4)


def test_l2_step_half_convention_by_hand():
    v = values("l2_step", {**L2, "half": True})
    assert v["penalty"] == pytest.approx(0.0625)  # 0.05 * 1.25
    assert v["grad_w"] == pytest.approx([-3.95, -8.1])  # + 0.1 * (0.5, -1)
    assert v["w_new"] == pytest.approx([0.895, -0.19])


def test_l2_step_follow_through_from_wrong_prediction():
    # y_hat = -0.5 (wrong): residual -1.5, L_data = 2.25, L = 2.375; gradients from it:
    # grad_data = 2 * (-1.5) * (1, 2) = (-3, -6), grad_w = (-2.9, -6.2), grad_b = -3
    q, r = grade("l2_step", L2, {"a": {"y_hat": -0.5, "data_loss": 2.25}, "b": {"loss": 2.375},
                                 "c": {"grad_data": [-3, -6], "grad_w": [-2.9, -6.2], "grad_b": -3},
                                 "d": {"w_new": [0.79, -0.38], "b_new": 0.8}})
    assert status(r, "y_hat")[0] == "wrong"
    for name in ("data_loss", "loss", "grad_data", "grad_w", "grad_b", "w_new", "b_new"):
        assert status(r, name)[0] == "follow_through", name
    assert status(r, "penalty")[0] == "correct"


def test_l2_step_named_mistakes():
    # each mistake alone (the grader judges a later step given the student's own earlier values)
    cases = [
        ("b", "penalty", 0.15, "bias_regularised"),  # 0.1 (0.25 + 1 + 0.5^2)
        ("b", "penalty", 0.0625, "penalty_convention"),  # (lambda/2) ||w||^2 instead of lambda ||w||^2
        ("b", "penalty", round(0.1 * math.sqrt(1.25), 3), "norm_not_squared"),  # 0.112
        ("c", "grad_data", [-2, -4], "mse_gradient_no_2"),  # (-2) * (1, 2)
        ("c", "grad_w", [-3.95, -8.1], "l2_gradient_factor"),  # (-4, -8) + 0.1 * (0.5, -1): no 2
    ]
    for part, step, answer, mistake in cases:
        q, r = grade("l2_step", L2, {part: {step: answer}})
        assert status(r, step) == ("mistake", [mistake]), mistake
    # with (lambda/2)||w||^2 the gradient is lambda w; 2 lambda w is the mistake
    q, r = grade("l2_step", {**L2, "half": True}, {"c": {"grad_w": [-3.9, -8.2]}})
    assert status(r, "grad_w") == ("mistake", ["l2_gradient_factor"])


def test_l2_step_bias_regularised_carries_into_the_bias_gradient():
    # penalty 0.15 (named), then consistently grad_b = -4 + 2 * 0.1 * 0.5 = -3.9: follow-through
    q, r = grade("l2_step", L2, {"b": {"penalty": 0.15, "loss": 4.15}, "c": {"grad_b": -3.9}})
    assert status(r, "penalty") == ("mistake", ["bias_regularised"])
    assert status(r, "loss")[0] == "follow_through"
    assert status(r, "grad_b") == ("mistake", ["bias_regularised"])


def test_l2_step_givens_shapes_are_checked():
    with pytest.raises(GivenError, match="one per weight"):
        registry.get("l2_step").givens({**L2, "x": [[1, 2, 3]]})


# --- dropout: a = (1, 2, 0.5, 1.5), m = (1, 0, 1, 0), p = 0.8, w = (1, -0.5, 2, 0.4), b = 0.1 -----
DROP = {"a": [1, 2, 0.5, 1.5], "mask": [1, 0, 1, 0], "keep": 0.8, "w": [1, -0.5, 2, 0.4], "b": 0.1}


def test_dropout_reference_by_hand():
    v = values("dropout", DROP)
    assert v["h_train"] == pytest.approx([1.25, 0, 0.625, 0])  # (1, 0, 0.5, 0) / 0.8
    assert v["z_train"] == pytest.approx(2.6)  # 1.25 + 2 * 0.625 + 0.1
    # w^T a = 1 - 1 + 1 + 0.6 = 1.6
    assert v["z_expected"] == pytest.approx(1.7)
    assert v["z_test"] == pytest.approx(1.7)
    assert v["z_train_std"] == pytest.approx(2.1)  # 1 + 2 * 0.5 + 0.1
    assert v["z_test_std"] == pytest.approx(1.38)  # 0.8 * 1.6 + 0.1


def test_dropout_follow_through_from_wrong_training_output():
    # h scaled by p instead of 1/p: (0.8, 0, 0.4, 0); then z = 0.8 + 0.8 + 0.1 = 1.7
    q, r = grade("dropout", DROP, {"a": {"h_train": [0.8, 0, 0.4, 0], "z_train": 1.7}})
    assert status(r, "h_train") == ("mistake", ["scaled_by_p_in_training"])
    assert status(r, "z_train")[0] == "follow_through"
    # h earns 2 of 4 entries (the dropped units are 0 either way), z_train 80 % and counts double
    assert r.parts[0].score == pytest.approx(10 * (0.5 + 2 * 0.8) / 3)


def test_dropout_named_mistakes():
    q, r = grade("dropout", DROP, {
        "a": {"h_train": [5, 0, 2.5, 0]},  # divided by 1 - p = 0.2
        "b": {"z_expected": 1.38},  # p w^T a + b
        "c": {"z_test": 2.6},  # the mask applied at test time
        "d": {"z_test_std": 1.36}})  # p (w^T a + b) = 0.8 * 1.7
    assert status(r, "h_train") == ("mistake", ["drop_probability_confused"])
    assert status(r, "z_expected") == ("mistake", ["expectation_times_p"])
    assert status(r, "z_test") == ("mistake", ["dropout_at_test"])
    assert status(r, "z_test_std") == ("mistake", ["bias_scaled"])
    q, r = grade("dropout", DROP, {"c": {"z_test": 1.38}, "d": {"z_test_std": 1.7}})
    assert status(r, "z_test") == ("mistake", ["test_scaled_by_p"])  # scaled as in standard dropout
    assert status(r, "z_test_std") == ("mistake", ["test_not_scaled"])  # forgot p at test time


def test_dropout_mask_must_be_binary():
    with pytest.raises(GivenError, match="mask"):
        registry.get("dropout").givens({**DROP, "mask": [1, 0, 2, 0]})


# --- transfer_params: 3 -> conv 3x3x16 -> conv 3x3x32 -> GAP -> dense 64 -> dense 1000 (new: 10) ---
TL = {"in_channels": 3, "layers": [{"type": "conv", "size": 16, "kernel": 3},
                                   {"type": "conv", "size": 32, "kernel": 3},
                                   {"type": "dense", "size": 64}, {"type": "dense", "size": 1000}],
      "new_classes": 10, "trained": 2}


def test_transfer_params_reference_by_hand():
    v = values("transfer_params", TL)
    assert v["p1"] == 448  # (3*3*3 + 1) * 16
    assert v["p2"] == 4640  # (3*3*16 + 1) * 32
    assert v["p3"] == 2112  # (32 + 1) * 64 after global average pooling
    assert v["p4"] == 650  # (64 + 1) * 10: the new head
    assert v["total"] == 7850
    assert v["trainable"] == 2762  # layers 3 and 4
    assert v["frozen"] == 5088  # layers 1 and 2


def test_transfer_params_flatten_by_hand():
    v = values("transfer_params", {**TL, "pool": "flatten", "spatial": 4})
    assert v["p3"] == 32832  # (4*4*32 + 1) * 64
    assert v["trainable"] == 32832 + 650


def test_transfer_params_follow_through_and_mistakes():
    # biases forgotten in layer 1: 3*3*3*16 = 432; total from it 7834, frozen 7834 - 2762 = 5072
    q, r = grade("transfer_params", TL, {"a": {"p1": 432}, "b": {"total": 7834, "frozen": 5072}})
    assert status(r, "p1") == ("mistake", ["biases_not_counted"])
    assert status(r, "total")[0] == "follow_through"
    assert status(r, "frozen")[0] == "follow_through"
    q, r = grade("transfer_params", TL, {"a": {"p1": 160, "p4": 65000}})
    assert status(r, "p1") == ("mistake", ["input_channels_ignored"])  # (3*3 + 1) * 16
    assert status(r, "p4") == ("mistake", ["old_head"])  # (64 + 1) * 1000
    q, r = grade("transfer_params", TL, {"b": {"trainable": 7850, "frozen": 0}})
    assert status(r, "trainable") == ("mistake", ["frozen_counted_trainable"])
    assert status(r, "frozen")[0] == "follow_through"  # 7850 - 7850
    q, r = grade("transfer_params", {**TL, "pool": "flatten", "spatial": 4}, {"a": {"p3": 2112}})
    assert status(r, "p3") == ("mistake", ["flatten_spatial_ignored"])  # (32 + 1) * 64


def test_transfer_params_structure_is_checked():
    bad = {**TL, "layers": [{"type": "dense", "size": 64}, {"type": "conv", "size": 8, "kernel": 3},
                            {"type": "dense", "size": 10}]}
    with pytest.raises(GivenError, match="convolutions must come before"):
        registry.get("transfer_params").givens(bad)
    with pytest.raises(GivenError, match="trained"):
        registry.get("transfer_params").givens({**TL, "trained": 5})
