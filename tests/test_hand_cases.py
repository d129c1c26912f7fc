"""Hand-worked cases for the first six generators: reference values, follow-through and named
mistakes, with every expected number computed by hand from the course's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examgen import solve

from .conftest import grade, status, step_result, values


# --- adam: w0 = 1, g1 = 0.5, lr = 0.1, rho = (0.9, 0.999) --------------------------------------
ADAM = {"w0": 1.0, "grads": [0.5], "lr": 0.1}


def test_adam_reference_by_hand():
    q = solve("adam", ADAM)
    v = {s.name: s.value for s in q.steps}
    assert v["m1"] == pytest.approx(0.05) and v["v1"] == pytest.approx(0.00025)
    assert v["m_hat1"] == pytest.approx(0.5) and v["v_hat1"] == pytest.approx(0.25)
    assert v["w1"] == pytest.approx(0.9, abs=1e-7)


def test_adam_follow_through():
    # m1 = 0.5 (forgot the factor 1 - rho1), then consistently m_hat1 = 0.5 / 0.1 = 5, w1 = 1 - 0.1 * 5 / 0.5 = 0
    q, r = grade("adam", ADAM, {"a": {"m1": 0.5, "m_hat1": 5, "w1": 0}})
    assert status(r, "m1")[0] == "wrong"
    assert status(r, "m_hat1")[0] == "follow_through"
    assert status(r, "w1")[0] == "follow_through"
    # credit: (0 + 1 + 0.8 + 1 + 2 * 0.8) / 6 of 10 points
    assert r.parts[0].score == pytest.approx(7.3)


def test_adam_no_bias_correction_is_named():
    # m_hat = m = 0.05, v_hat = v = 0.00025, w1 = 1 - 0.1 * 0.05 / sqrt(0.00025) = 0.683772
    q, r = grade("adam", ADAM, {"a": {"m_hat1": 0.05, "v_hat1": 0.00025, "w1": 0.6838}})
    assert status(r, "m_hat1") == ("mistake", ["no_bias_correction"])
    assert status(r, "v_hat1") == ("mistake", ["no_bias_correction"])
    assert status(r, "w1")[0] == "follow_through"
    assert r.parts[0].score == pytest.approx(6.0)


def test_adam_no_square_root_is_named():
    # w1 = 1 - 0.1 * 0.5 / 0.25 = 0.8
    q, r = grade("adam", ADAM, {"a": {"w1": "0,8"}})
    assert status(r, "w1") == ("mistake", ["no_square_root"])


# --- batchnorm: z = (1, 3, 1, 3), gamma = 2, beta = 0.5 --------------------------------------
BN = {"z": [1, 3, 1, 3], "gamma": 2, "beta": 0.5, "momentum": 0.1, "running_mean": 0.0,
      "running_var": 1.0, "x_test": 1.2}


def test_batchnorm_reference_by_hand():
    v = {s.name: s.value for s in solve("batchnorm", BN).steps}
    assert v["mean"] == 2 and v["var"] == 1
    assert v["z_hat"] == [-1, 1, -1, 1] and v["z_tilde"] == [-1.5, 2.5, -1.5, 2.5]
    assert v["run_mean"] == pytest.approx(0.2) and v["run_var"] == pytest.approx(1.0)
    assert v["x_hat_test"] == pytest.approx(1.0)  # (1.2 - 0.2) / sqrt(1)
    assert v["y_test"] == pytest.approx(2.5)  # 2 (1.2 - 0.2) / 1 + 0.5
    assert "var_unbiased" not in v  # the running variance uses the batch variance here


def test_batchnorm_sample_variance_named_then_follow_through():
    # var = 4/3 with N - 1; z_hat = (z - 2) / sqrt(4/3) = -/+0.866
    q, r = grade("batchnorm", BN, {"a": {"var": "4/3"}, "b": {"z_hat": [-0.866, 0.866, -0.866, 0.866],
                                                              "z_tilde": [-1.232, 2.232, -1.232, 2.232]}})
    assert status(r, "var") == ("mistake", ["sample_variance"])
    assert status(r, "z_hat")[0] == "follow_through"
    assert status(r, "z_tilde")[0] == "follow_through"


def test_batchnorm_wrong_mean_follows_through_to_variance():
    # mean 3: variance from it ((-2)^2 + 0 + (-2)^2 + 0) / 4 = 2
    q, r = grade("batchnorm", BN, {"a": {"mean": 3, "var": 2}})
    assert status(r, "mean")[0] == "wrong" and status(r, "var")[0] == "follow_through"


def test_batchnorm_test_time_with_batch_statistics_is_named():
    # (1.2 - 2) / 1 = -0.8 with the batch's statistics, then 2 (-0.8) + 0.5 = -1.1 follows through
    q, r = grade("batchnorm", BN, {"d": {"x_hat_test": -0.8, "y_test": -1.1}})
    assert status(r, "x_hat_test") == ("mistake", ["test_uses_batch_statistics"])
    assert status(r, "y_test")[0] == "follow_through"


# --- bellman: 3x3, terminal s[0,0], gamma 1, two sweeps, asked cell s[2,2] ---------------------
BELL = {"rows": 3, "cols": 3, "terminals": [[0, 0]], "gamma": 1, "sweeps": 2, "cell": [2, 2]}
V1 = [[0, -1, -1], [-1, -1, -1], [-1, -1, -1]]


def test_bellman_reference_by_hand():
    v = {s.name: s.value for s in solve("bellman", BELL).steps}
    assert v["v1"] == V1
    assert v["v2_cell"] == -2.0  # -1 + 0.25 (-1 - 1 - 1 - 1): two moves bump into the walls


def test_bellman_off_grid_zero_is_named():
    # moves off the grid counted as 0: -1 + 0.25 (-1 + 0 - 1 + 0) = -1.5
    q, r = grade("bellman", BELL, {"b": {"v2_cell": -1.5}})
    assert status(r, "v2_cell") == ("mistake", ["off_grid_zero"])


def test_bellman_follow_through_from_wrong_v1():
    # v1 = -2 everywhere off the terminal: v2(s[2,2]) = -1 + 0.25 * 4 * (-2) = -3
    wrong = [[0, -2, -2], [-2, -2, -2], [-2, -2, -2]]
    q, r = grade("bellman", BELL, {"a": {"v1": wrong}, "b": {"v2_cell": -3}})
    assert status(r, "v1")[0] == "partial"  # only the terminal entry is right
    assert status(r, "v2_cell")[0] == "follow_through"
    assert r.parts[1].score == 8.0


def test_bellman_updating_the_terminal_is_named_per_entry():
    wrong = [[-1, -1, -1], [-1, -1, -1], [-1, -1, -1]]
    q, r = grade("bellman", BELL, {"a": {"v1": wrong}})
    res = step_result(r, "v1")
    assert res.status == "mistake" and res.mistakes == ["terminal_updated"]
    assert res.credit == pytest.approx(8 / 9, abs=1e-4)  # eight of nine entries right


# --- vae_kl: mu = (0, 1), sigma = (1, 2), eps = (0.5, -1) ---------------------------------------
VAE = {"mu": [0, 1], "sigma": [1, 2], "eps": [0.5, -1]}
KL2 = 0.5 * (1 + 4 - math.log(4) - 1)  # 1.306853


def test_vae_kl_reference_by_hand():
    v = {s.name: s.value for s in solve("vae_kl", VAE).steps}
    assert v["sigma2"] == [1, 4]
    assert v["kl"] == pytest.approx([0, KL2])
    assert v["kl_total"] == pytest.approx(KL2)
    assert v["z"] == [0.5, -1]


def test_vae_kl_sigma_for_variance_then_follow_through():
    # sigma^2 taken as (1, 2): log sigma^2 = (0, ln 2), kl_2 = (1 + 2 - ln 2 - 1) / 2 = 0.653426
    kl2 = 0.5 * (2 - math.log(2))
    q, r = grade("vae_kl", VAE, {"a": {"sigma2": [1, 2], "logvar": [0, math.log(2)], "kl": [0, kl2],
                                       "kl_total": kl2}})
    assert status(r, "sigma2") == ("mistake", ["sigma_for_variance"])
    assert status(r, "logvar")[0] == "follow_through"
    assert status(r, "kl")[0] == "follow_through" and status(r, "kl_total")[0] == "follow_through"


def test_vae_kl_log_variance_step_by_hand():
    # log sigma^2 = (ln 1, ln 4) = (0, 1.386294); ln sigma = (0, ln 2) is the named mistake, and the
    # latent loss from it follows through: (1 + 4 - ln 2 - 1) / 2 = 1.653426
    assert values("vae_kl", VAE)["logvar"] == pytest.approx([0, math.log(4)])
    kl2 = 0.5 * (4 - math.log(2))
    q, r = grade("vae_kl", VAE, {"a": {"logvar": [0, math.log(2)], "kl": [0, kl2]}})
    assert status(r, "logvar") == ("mistake", ["log_of_sigma"])
    assert status(r, "kl")[0] == "follow_through"
    assert "logvar" not in values("vae_kl", {"mu": [0, 1], "logvar": [0, 2], "eps": [0.5, -1]})


def test_vae_kl_missing_half_and_variance_in_z_are_named():
    q, r = grade("vae_kl", VAE, {"a": {"kl": [0, 2 * KL2]}, "b": {"z": [0.5, -3]}})
    assert status(r, "kl") == ("mistake", ["half_forgotten"])
    assert status(r, "z") == ("mistake", ["sample_scaled_by_variance"])  # 1 + (-1) * 4 = -3


# --- conv_output: 32x32x3, conv 5x5 16 filters pad 2, then 2x2 max pooling --------------------
CONV = {"height": 32, "width": 32, "channels": 3,
        "layers": [{"type": "conv", "kernel": 5, "padding": 2, "filters": 16},
                   {"type": "maxpool", "kernel": 2, "stride": 2}]}


def test_conv_output_reference_by_hand():
    v = {s.name: s.value for s in solve("conv_output", CONV).steps}
    # (32 + 2*2 - 4 - 1) / 1 + 1 = 32
    assert (v["h1"], v["w1"], v["c1"], v["params1"]) == (32, 32, 16, (5 * 5 * 3 + 1) * 16)
    assert (v["h2"], v["w2"], v["c2"], v["params2"]) == (16, 16, 16, 0)
    assert v["total_params"] == 1216


def test_conv_output_mistakes_are_named():
    # no +1: 31; padding once: 32 + 2 - 4 - 1 + 1 = 30; no bias: 5*5*3*16 = 1200
    q, r = grade("conv_output", CONV, {"a": {"h1": 31, "w1": 30, "params1": 1200}})
    assert status(r, "h1") == ("mistake", ["missing_plus_one"])
    assert status(r, "w1") == ("mistake", ["padding_once"])
    assert status(r, "params1") == ("mistake", ["biases_not_counted"])


def test_conv_output_ambiguous_mistakes_are_both_named():
    # with padding 1 and a 3x3 kernel, "no +1" and "padding once" both give 31
    layers = [{"type": "conv", "kernel": 3, "padding": 1, "filters": 4}]
    q, r = grade("conv_output", {**CONV, "layers": layers}, {"a": {"h1": 31}})
    assert status(r, "h1") == ("mistake", ["missing_plus_one", "padding_once"])


def test_conv_output_follow_through_across_layers():
    # h1 = 28 (wrong), then floor((28 - 2) / 2) + 1 = 14
    q, r = grade("conv_output", CONV, {"a": {"h1": 28}, "b": {"h2": 14}})
    assert status(r, "h1")[0] == "wrong" and status(r, "h2")[0] == "follow_through"


# --- backprop: ReLU, x = (1, 2), class 1 of 2 -------------------------------------------------
BP = {"x": [1, 2], "W1": [[0.5, 0.5], [-1, 0.25]], "b1": [0, 0], "W2": [[1, 1], [-1, 0]], "b2": [0, 0],
      "activation": "relu", "target": 0, "lr": 0.5}


def test_backprop_reference_by_hand():
    v = {s.name: s.value for s in solve("backprop", BP).steps}
    assert v["z1"] == [1.5, -0.5] and v["a1"] == [1.5, 0]
    assert v["z2"] == [1.5, -1.5]
    p1 = 1 / (1 + math.exp(-3))  # e^1.5 / (e^1.5 + e^-1.5)
    assert v["p"] == pytest.approx([p1, 1 - p1])
    assert v["loss"] == pytest.approx(-math.log(p1))
    d = 1 - p1
    assert v["delta2"] == pytest.approx([-d, d])
    assert np.array(v["dW2"]) == pytest.approx(np.array([[-1.5 * d, 0], [1.5 * d, 0]]))
    # W2^T delta2 = (-d - d, -d), times ReLU'(z1) = (1, 0)
    assert v["delta1"] == pytest.approx([-2 * d, 0])
    assert np.array(v["dW1"]) == pytest.approx(np.array([[-2 * d, -4 * d], [0, 0]]))
    assert np.array(v["W1_new"]) == pytest.approx(np.array([[0.5 + d, 0.5 + 2 * d], [-1, 0.25]]))


def test_backprop_follow_through_in_the_forward_pass():
    # z1 = (1.5, 0.5) (sign slip): a1 = (1.5, 0.5), z2 = (2, -1.5)
    q, r = grade("backprop", BP, {"a": {"z1": [1.5, 0.5], "a1": [1.5, 0.5], "z2": [2, -1.5]}})
    assert status(r, "z1")[0] == "partial"  # one of two entries right
    assert status(r, "a1")[0] == "follow_through" and status(r, "z2")[0] == "follow_through"


def test_backprop_error_sign_is_named():
    d = 1 - 1 / (1 + math.exp(-3))
    q, r = grade("backprop", BP, {"b": {"delta2": [d, -d]}})
    assert status(r, "delta2") == ("mistake", ["error_sign"])
