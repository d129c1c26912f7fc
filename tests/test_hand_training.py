"""Hand-worked cases for the lecture-07 generators optimizers, weight_init, activations,
normalization_axes and log_scale_search: reference values, follow-through and named mistakes,
with every expected number worked out by hand from the course's formulas (in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examgen import registry
from examgen.registry import GivenError

from .conftest import grade, status, values


# --- optimizers ----------------------------------------------------------------------------------
# momentum SGD on L(w) = w^2 (a = 2, c = 0): g = 2w
MOM = {"method": "momentum", "w0": [1.0], "a": [2.0], "c": [0.0], "lr": 0.1, "mu": 0.9, "steps": 2}


def test_momentum_reference_by_hand():
    v = values("optimizers", MOM)
    # t = 1: g1 = 2 * 1 = 2, v1 = 0.9 * 0 + 2 = 2, w1 = 1 - 0.1 * 2 = 0.8
    assert v["g1"] == pytest.approx(2) and v["v1"] == pytest.approx(2) and v["w1"] == pytest.approx(0.8)
    # t = 2: g2 = 2 * 0.8 = 1.6, v2 = 0.9 * 2 + 1.6 = 3.4, w2 = 0.8 - 0.1 * 3.4 = 0.46
    assert v["g2"] == pytest.approx(1.6) and v["v2"] == pytest.approx(3.4) and v["w2"] == pytest.approx(0.46)


def test_momentum_follow_through_from_a_wrong_gradient():
    # g1 = 1 (forgot the factor 2), then consistently v1 = 1, w1 = 1 - 0.1 = 0.9;
    # g2 = 2 * 0.9 = 1.8, v2 = 0.9 * 1 + 1.8 = 2.7, w2 = 0.9 - 0.27 = 0.63
    q, r = grade("optimizers", MOM, {"a": {"g1": 1, "v1": 1, "w1": 0.9}, "b": {"g2": 1.8, "v2": 2.7, "w2": 0.63}})
    assert status(r, "g1")[0] == "wrong"
    for name in ("v1", "w1", "g2", "v2", "w2"):
        assert status(r, name)[0] == "follow_through", name
    assert r.parts[0].score == pytest.approx(6.0)  # (0 + 0.8 + 2 * 0.8) / 4 of 10 points
    assert r.parts[1].score == pytest.approx(8.0)


def test_momentum_conventions_are_named():
    # ADAM-style average: v1 = 0.1 * 2 = 0.2, and w1 = 1 - 0.1 * 0.2 = 0.98 follows from it
    q, r = grade("optimizers", MOM, {"a": {"v1": 0.2, "w1": 0.98}})
    assert status(r, "v1") == ("mistake", ["momentum_as_average"])
    assert status(r, "w1")[0] == "follow_through"
    # the other convention: v1 = -0.1 * 2 = -0.2, w1 = 1 + v1 = 0.8 (right)
    q, r = grade("optimizers", MOM, {"a": {"v1": -0.2}})
    assert status(r, "v1") == ("mistake", ["velocity_includes_lr"])
    assert status(r, "w1")[0] == "correct"


# RMSprop on L(w) = w^2 / 2 (g = w), one step from w0 = 1
RMS = {"method": "rmsprop", "w0": [1.0], "a": [1.0], "c": [0.0], "lr": 0.1, "rho": 0.9, "steps": 1}


def test_rmsprop_reference_and_mistakes_by_hand():
    v = values("optimizers", RMS)
    # r1 = 0.1 * 1^2 = 0.1, w1 = 1 - 0.1 * 1 / sqrt(0.1) = 1 - 0.316228 = 0.683772
    assert v["r1"] == pytest.approx(0.1) and v["w1"] == pytest.approx(1 - 0.1 / math.sqrt(0.1))
    # without the root: w1 = 1 - 0.1 * 1 / 0.1 = 0
    q, r = grade("optimizers", RMS, {"a": {"w1": 0}})
    assert status(r, "w1") == ("mistake", ["no_square_root"])
    # forgot (1 - rho): r1 = 1, then w1 = 1 - 0.1 / 1 = 0.9 follows through
    q, r = grade("optimizers", RMS, {"a": {"r1": 1, "w1": 0.9}})
    assert status(r, "r1") == ("mistake", ["rmsprop_one_minus_rho_missing"])
    assert status(r, "w1")[0] == "follow_through"
    # eps = 0.1: w1 = 1 - 0.1 / (sqrt(0.1) + 0.1) = 0.759747; inside the root 1 - 0.1 / sqrt(0.2) = 0.776393
    big = dict(RMS, eps=0.1)
    assert values("optimizers", big)["w1"] == pytest.approx(1 - 0.1 / (math.sqrt(0.1) + 0.1))
    q, r = grade("optimizers", big, {"a": {"w1": 0.7764}})
    assert status(r, "w1") == ("mistake", ["eps_inside_root"])


# AdaGrad on L(w) = w1^2 / 2 + w2^2 (g = (w1, 2 w2)), two steps from (1, -1)
ADA = {"method": "adagrad", "w0": [1.0, -1.0], "a": [1.0, 2.0], "c": [0.0, 0.0], "lr": 0.5, "steps": 2}


def test_adagrad_reference_by_hand():
    v = values("optimizers", ADA)
    # t = 1: g1 = (1, -2), G1 = (1, 4), w1 = (1 - 0.5 * 1/1, -1 - 0.5 * (-2)/2) = (0.5, -0.5)
    assert v["g1"] == pytest.approx([1, -2]) and v["G1"] == pytest.approx([1, 4])
    assert v["w1"] == pytest.approx([0.5, -0.5])
    # t = 2: g2 = (0.5, -1), G2 = (1.25, 5), w2 = (0.5 - 0.25/sqrt(1.25), -0.5 + 0.5/sqrt(5)) = (0.276393, -0.276393)
    assert v["g2"] == pytest.approx([0.5, -1]) and v["G2"] == pytest.approx([1.25, 5])
    assert v["w2"] == pytest.approx([0.5 - 0.25 / math.sqrt(1.25), -0.5 + 0.5 / math.sqrt(5)])


def test_adagrad_accumulator_not_accumulating_is_named():
    # G2 = g2^2 = (0.25, 1); then w2 = (0.5 - 0.25/0.5, -0.5 + 0.5/1) = (0, 0) follows through
    q, r = grade("optimizers", ADA, {"b": {"G2": [0.25, 1], "w2": [0, 0]}})
    assert status(r, "G2") == ("mistake", ["accumulator_not_accumulating"])
    assert status(r, "w2")[0] == "follow_through"


def test_weight_decay_and_lr_decay_by_hand():
    # SGD on L = (w - 1)^2 / 2 with weight decay 0.5: g1 = (2 - 1) + 0.5 * 2 = 2, w1 = 2 - 0.5 * 2 = 1;
    # g2 = 0 + 0.5 * 1 = 0.5, w2 = 1 - 0.5 * 0.5 = 0.75
    wd = {"method": "sgd", "w0": [2.0], "a": [1.0], "c": [1.0], "lr": 0.5, "steps": 2, "weight_decay": 0.5}
    v = values("optimizers", wd)
    assert (v["g1"], v["w1"], v["g2"], v["w2"]) == pytest.approx((2, 1, 0.5, 0.75))
    q, r = grade("optimizers", wd, {"a": {"g1": 1}})  # the loss's gradient alone
    assert status(r, "g1") == ("mistake", ["no_weight_decay"])
    # exponential decay gamma = 0.5: lambda = 0.5, 0.25, 0.125; g = w - 1
    # w1 = 2 - 0.5 * 1 = 1.5, w2 = 1.5 - 0.25 * 0.5 = 1.375, w3 = 1.375 - 0.125 * 0.375 = 1.328125
    dec = {"method": "sgd", "w0": [2.0], "a": [1.0], "c": [1.0], "lr": 0.5, "steps": 3, "lr_decay": 0.5}
    v = values("optimizers", dec)
    assert (v["lr2"], v["lr3"], v["w1"], v["w2"], v["w3"]) == pytest.approx((0.25, 0.125, 1.5, 1.375, 1.328125))
    q, r = grade("optimizers", dec, {"b": {"lr2": 0.125}})  # 0.5 * 0.5^2: one decay too many
    assert status(r, "lr2") == ("mistake", ["lr_decay_exponent"])


def test_optimizers_givens_errors_are_one_line():
    gen = registry.get("optimizers")
    with pytest.raises(GivenError, match="field 'mu' is not a known field|give mu exactly"):
        gen.givens(dict(MOM, method="sgd"))
    with pytest.raises(GivenError, match="'lr'"):
        gen.givens({k: v for k, v in MOM.items() if k != "lr"})
    with pytest.raises(GivenError, match="'steps'"):
        gen.givens(dict(MOM, steps=7))
    with pytest.raises(GivenError, match="same length"):
        gen.givens(dict(MOM, a=[1.0, 2.0]))


# --- weight_init ---------------------------------------------------------------------------------
CONV = {"layer": "conv", "c_in": 32, "c_out": 64, "kernel": 3, "activation": "relu", "distribution": "normal"}


def test_weight_init_reference_by_hand():
    v = values("weight_init", CONV)
    # n_in = 32 * 3 * 3 = 288, n_out = 64 * 9 = 576; He: Var = 2/288 = 1/144, sigma = 1/12
    assert (v["fan_in"], v["fan_out"], v["scheme"]) == (288, 576, "He")
    assert v["var"] == pytest.approx(1 / 144) and v["std"] == pytest.approx(1 / 12)
    # dense on a flattened 4 x 4 x 8 map, 64 tanh units, uniform: Xavier Var = 2/(128 + 64) = 1/96,
    # b = sqrt(3/96) = sqrt(1/32) = 0.176777
    v = values("weight_init", {"layer": "dense", "c_in": 8, "height": 4, "width": 4, "c_out": 64,
                               "activation": "tanh", "distribution": "uniform"})
    assert (v["fan_in"], v["fan_out"], v["scheme"]) == (128, 64, "Xavier")
    assert v["var"] == pytest.approx(1 / 96) and v["bound"] == pytest.approx(math.sqrt(1 / 32))
    # leaky ReLU, slope 0.5, 1 x 1 conv 16 -> 16: Var = 2 / (1.25 * 16) = 0.1
    v = values("weight_init", {"layer": "conv", "c_in": 16, "c_out": 16, "kernel": 1, "activation": "leaky_relu",
                               "slope": 0.5, "distribution": "normal"})
    assert v["var"] == pytest.approx(0.1) and v["std"] == pytest.approx(math.sqrt(0.1))


def test_weight_init_swapped_scheme_named_then_follow_through():
    # Xavier for a ReLU: Var = 2/(288 + 576) = 1/432, sigma = sqrt(1/432) = 0.048113
    q, r = grade("weight_init", CONV, {"b": {"scheme": "Xavier", "var": 1 / 432, "std": math.sqrt(1 / 432)}})
    assert status(r, "scheme") == ("mistake", ["he_xavier_swapped"])
    assert status(r, "var")[0] == "follow_through" and status(r, "std")[0] == "follow_through"


def test_weight_init_kernel_ignored_named_then_follow_through():
    # n_in = 32, n_out = 64: Var = 2/32 = 0.0625, sigma = 0.25
    q, r = grade("weight_init", CONV, {"a": {"fan_in": 32, "fan_out": 64}, "b": {"var": 0.0625, "std": 0.25}})
    assert status(r, "fan_in") == ("mistake", ["kernel_size_ignored"])
    assert status(r, "var")[0] == "follow_through" and status(r, "std")[0] == "follow_through"


def test_weight_init_scale_mistakes_are_named():
    q, r = grade("weight_init", CONV, {"b": {"std": 1 / 144}})  # the variance as sigma
    assert status(r, "std") == ("mistake", ["variance_as_std"])
    # 1/n_in: no factor 2 (here n_out = 2 n_in, so it is also 2/n_out: both readings are named)
    q, r = grade("weight_init", CONV, {"b": {"var": 1 / 288}})
    assert status(r, "var") == ("mistake", ["he_fan_out", "he_factor_missing"])
    q, r = grade("weight_init", dict(CONV, c_out=96), {"b": {"var": 1 / 288}})  # n_out = 864
    assert status(r, "var") == ("mistake", ["he_factor_missing"])
    q, r = grade("weight_init", dict(CONV, c_out=96), {"b": {"var": 2 / 864}})
    assert status(r, "var") == ("mistake", ["he_fan_out"])
    uni = {"layer": "dense", "c_in": 8, "height": 4, "width": 4, "c_out": 64, "activation": "tanh",
           "distribution": "uniform"}
    q, r = grade("weight_init", uni, {"b": {"bound": math.sqrt(1 / 96)}})  # sigma as the bound
    assert status(r, "bound") == ("mistake", ["bound_without_sqrt3"])
    leaky = {"layer": "conv", "c_in": 16, "c_out": 16, "kernel": 1, "activation": "leaky_relu", "slope": 0.5,
             "distribution": "normal"}
    q, r = grade("weight_init", leaky, {"b": {"var": 0.125}})  # 2/16, slope ignored
    assert status(r, "var") == ("mistake", ["leaky_slope_ignored"])


def test_weight_init_givens_errors():
    gen = registry.get("weight_init")
    with pytest.raises(GivenError, match="kernel"):
        gen.givens({k: v for k, v in CONV.items() if k != "kernel"})
    with pytest.raises(GivenError, match="slope"):
        gen.givens(dict(CONV, activation="leaky_relu"))
    with pytest.raises(GivenError, match="'activation'"):
        gen.givens(dict(CONV, activation="swish"))


# --- activations ---------------------------------------------------------------------------------
ACT = {"functions": ["sigmoid", "relu", "elu"], "z": [-1.0, 2.0], "alpha": 1.0}
E = math.e


def test_activations_reference_by_hand():
    v = values("activations", ACT)
    s1, s2 = 1 / (1 + E), 1 / (1 + E ** -2)  # 0.268941, 0.880797
    assert v["sigmoid_value"] == pytest.approx([s1, s2])
    assert v["sigmoid_grad"] == pytest.approx([s1 * (1 - s1), s2 * (1 - s2)])  # 0.196612, 0.104994
    assert v["relu_value"] == [0, 2] and v["relu_grad"] == [0, 1]
    assert v["elu_value"] == pytest.approx([1 / E - 1, 2])  # -0.632121
    assert v["elu_grad"] == pytest.approx([1 / E, 1])  # e^-1 = 0.367879
    assert (v["sigmoid_sat_pos"], v["sigmoid_sat_neg"]) == ("yes", "yes")
    assert (v["relu_sat_pos"], v["relu_sat_neg"]) == ("no", "yes")
    assert (v["elu_sat_pos"], v["elu_sat_neg"]) == ("no", "yes")


def test_activations_follow_through_and_named_mistakes():
    # a wrong sigmoid value (0.3, 0.9), then its derivative a(1 - a) = (0.21, 0.09): follow-through
    q, r = grade("activations", ACT, {"a": {"sigmoid_value": [0.3, 0.9], "sigmoid_grad": [0.21, 0.09]}})
    assert status(r, "sigmoid_value")[0] == "wrong"
    assert status(r, "sigmoid_grad")[0] == "follow_through"
    # z(1 - z) = (-1 * 2, 2 * (-1)) = (-2, -2)
    q, r = grade("activations", ACT, {"a": {"sigmoid_grad": [-2, -2]}})
    assert status(r, "sigmoid_grad") == ("mistake", ["sigmoid_derivative_of_z"])
    # ELU derivative for z = -1 taken as alpha = 1
    q, r = grade("activations", ACT, {"c": {"elu_grad": [1, 1]}})
    assert status(r, "elu_grad") == ("mistake", ["elu_derivative_alpha"])
    # alpha = 2: alpha e^-1 = 0.735759; e^-1 alone = 0.367879 is the mistake
    two = dict(ACT, alpha=2.0)
    assert values("activations", two)["elu_grad"] == pytest.approx([2 / E, 1])
    q, r = grade("activations", two, {"c": {"elu_grad": [0.368, 1]}})
    assert status(r, "elu_grad") == ("mistake", ["elu_derivative_without_alpha"])
    q, r = grade("activations", ACT, {"d": {"elu_sat_pos": "yes"}})
    assert status(r, "elu_sat_pos") == ("mistake", ["elu_saturation_side"])
    assert r.parts[3].score < 10


def test_tanh_and_leaky_by_hand():
    g = {"functions": ["tanh", "leaky_relu"], "z": [-0.5, 1.0], "slope": 0.1}
    v = values("activations", g)
    t1 = (1 - E) / (1 + E)  # tanh(-0.5) = (1 - e^1)/(1 + e^1) = -0.462117
    t2 = (1 - E ** -2) / (1 + E ** -2)  # tanh(1) = 0.761594
    assert v["tanh_value"] == pytest.approx([t1, t2])
    assert v["tanh_grad"] == pytest.approx([1 - t1 ** 2, 1 - t2 ** 2])
    assert v["leaky_relu_value"] == pytest.approx([-0.05, 1]) and v["leaky_relu_grad"] == pytest.approx([0.1, 1])
    q, r = grade("activations", g, {"a": {"tanh_grad": [0.75, 0]}})  # 1 - z^2
    assert status(r, "tanh_grad") == ("mistake", ["tanh_derivative_of_z"])
    q, r = grade("activations", g, {"b": {"leaky_relu_value": [0, 1]}})
    assert status(r, "leaky_relu_value") == ("mistake", ["leaky_as_relu"])


# --- normalization_axes ----------------------------------------------------------------------------
# x[n][c][h][w], N = 2, C = 4, H = 1, W = 2, group norm with G = 2 (channels 1-2 and 3-4)
X = [[[[1, 3]], [[3, 1]], [[2, 6]], [[6, 2]]],
     [[[0, 2]], [[2, 0]], [[-1, 3]], [[3, -1]]]]
GN = {"x": X, "focus": "group", "groups": 2}


def test_normalization_axes_reference_by_hand():
    v = values("normalization_axes", GN)
    # m: batch N H W = 4, layer C H W = 8, instance H W = 2, group (C/G) H W = 4
    assert (v["m_batch"], v["m_layer"], v["m_instance"], v["m_group"]) == (4, 8, 2, 4)
    # channel 1: {1, 3, 0, 2} mean 1.5, var (0.25 + 2.25 + 2.25 + 0.25)/4 = 1.25; channel 2: {3, 1, 2, 0} the same;
    # channel 3: {2, 6, -1, 3} mean 2.5, var (0.25 + 12.25 + 12.25 + 0.25)/4 = 6.25; channel 4: {6, 2, 3, -1} the same
    assert v["mean_batch"] == pytest.approx([1.5, 1.5, 2.5, 2.5])
    assert v["var_batch"] == pytest.approx([1.25, 1.25, 6.25, 6.25])
    # groups: n1 {1,3,3,1} mean 2 var 1; n1 {2,6,6,2} mean 4 var 4;
    #         n2 {0,2,2,0} mean 1 var 1; n2 {-1,3,3,-1} mean 1 var 4
    assert np.allclose(v["mean_group"], [[2, 4], [1, 1]])
    assert np.allclose(v["var_group"], [[1, 4], [1, 4]])
    # every value is its group mean -/+ one standard deviation
    expected = [[[[-1, 1]], [[1, -1]], [[-1, 1]], [[1, -1]]], [[[-1, 1]], [[1, -1]], [[-1, 1]], [[1, -1]]]]
    assert np.allclose(v["x_hat"], expected)


def test_normalization_axes_follow_through_from_a_wrong_count():
    # m_batch = 16 (wrong; 8 would be layer norm's count, a named mistake): means = channel sums / 16
    # = (6, 6, 10, 10) / 16; channel 1's variance about 0.375:
    # (0.390625 + 6.890625 + 0.140625 + 2.640625) / 16 = 0.62890625
    sums = np.array([6, 6, 10, 10])
    means = sums / 16
    chans = np.array([[1, 3, 0, 2], [3, 1, 2, 0], [2, 6, -1, 3], [6, 2, 3, -1]], dtype=float)
    var = ((chans - means[:, None]) ** 2).sum(axis=1) / 16
    assert var[0] == pytest.approx(0.62890625)
    q, r = grade("normalization_axes", GN, {"a": {"m_batch": 16},
                                            "b": {"mean_batch": means.tolist(), "var_batch": var.tolist()}})
    assert status(r, "m_batch")[0] == "wrong"
    assert status(r, "mean_batch")[0] == "follow_through"
    assert status(r, "var_batch")[0] == "follow_through"


def test_normalization_axes_named_mistakes():
    # population vs sample variance: channel 1 gives 5/3 with m - 1
    q, r = grade("normalization_axes", GN, {"b": {"var_batch": [5 / 3, 5 / 3, 25 / 3, 25 / 3]}})
    assert status(r, "var_batch") == ("mistake", ["sample_variance"])
    # channels c and c + G together: n1 {1,3,2,6} and {3,1,6,2} mean 3; n2 {0,2,-1,3} and {2,0,3,-1} mean 1
    q, r = grade("normalization_axes", GN, {"c": {"mean_group": [[3, 3], [1, 1]]}})
    assert status(r, "mean_group") == ("mistake", ["groups_interleaved"])
    # normalised with the batch statistics: (x - mu_c) / sigma_c
    mu = np.array([1.5, 1.5, 2.5, 2.5]).reshape(1, 4, 1, 1)
    sd = np.sqrt(np.array([1.25, 1.25, 6.25, 6.25])).reshape(1, 4, 1, 1)
    q, r = grade("normalization_axes", GN, {"d": {"x_hat": ((np.array(X) - mu) / sd).tolist()}})
    assert status(r, "x_hat") == ("mistake", ["used_batch_statistics"])
    # N = C = 2 would hide a batch/layer swap; here C = 4: batch m = C H W = 8, the layer's
    q, r = grade("normalization_axes", GN, {"a": {"m_batch": 8, "m_layer": 4}})
    assert status(r, "m_batch") == ("mistake", ["batch_layer_swapped"])


def test_normalization_axes_batch_focus_by_hand():
    # N = 3, C = 2, 1 x 2: channel 1 {0, 2, 1, 3, 2, 4} mean 2, var (4+0+1+1+0+4)/6 = 5/3;
    # channel 2 {1, 1, 3, 3, -1, -1}: mean 1, var (0+0+4+4+4+4)/6 = 8/3
    x = [[[[0, 2]], [[1, 1]]], [[[1, 3]], [[3, 3]]], [[[2, 4]], [[-1, -1]]]]
    v = values("normalization_axes", {"x": x, "focus": "batch"})
    assert (v["m_batch"], v["m_layer"], v["m_instance"]) == (6, 4, 2)
    assert v["mean_batch"] == pytest.approx([2, 1]) and v["var_batch"] == pytest.approx([5 / 3, 8 / 3])
    assert v["x_hat"][0][0][0] == pytest.approx([-2 / math.sqrt(5 / 3), 0])
    assert v["x_hat"][2][1][0] == pytest.approx([-2 / math.sqrt(8 / 3)] * 2)


def test_normalization_axes_givens_errors():
    gen = registry.get("normalization_axes")
    with pytest.raises(GivenError, match="groups"):
        gen.givens({"x": X, "focus": "group", "groups": 3})
    with pytest.raises(GivenError, match="rectangular"):
        gen.givens({"x": [[[[1, 2]], [[3]]]], "focus": "layer"})
    with pytest.raises(GivenError, match="variance 0"):
        gen.givens({"x": [[[[1, 1]], [[2, 2]]], [[[0, 1]], [[2, 3]]]], "focus": "instance"})


# --- log_scale_search ------------------------------------------------------------------------------
LOG = {"param": "learning_rate", "low": 1e-5, "high": 0.1, "u": [0.25, 0.6], "threshold": 1e-3, "grid_size": 5}


def test_log_scale_search_reference_by_hand():
    v = values("log_scale_search", LOG)
    # exponents -5 + u * 4 = -4 and -2.6; samples 10^-4 and 10^-2.6 = 10^0.4 * 10^-3 = 2.5119e-3
    assert (v["log_low"], v["log_high"]) == pytest.approx((-5, -1))
    assert v["exponents"] == pytest.approx([-4, -2.6])
    assert v["samples"] == pytest.approx([1e-4, 2.511886e-3], rel=1e-6)
    # below 10^-3: log scale (-3 + 5)/4 = 0.5; linear scale (0.001 - 0.00001)/(0.1 - 0.00001) = 0.0099010
    assert v["p_log"] == pytest.approx(0.5)
    assert v["p_linear"] == pytest.approx(0.00099 / 0.09999)
    # grid of 5 on [1e-5, 1e-1]: ratio 10^(4/4) = 10, candidates 1e-5 ... 1e-1
    assert v["ratio"] == pytest.approx(10)
    assert v["grid"] == pytest.approx([1e-5, 1e-4, 1e-3, 1e-2, 1e-1], rel=1e-9)


def test_log_scale_search_named_mistakes():
    # linear scale: 1e-5 + u (0.1 - 1e-5) = 0.0250075 and 0.060004
    q, r = grade("log_scale_search", LOG, {"a": {"samples": [0.0250075, 0.060004]}})
    assert status(r, "samples") == ("mistake", ["linear_sampling"])
    q, r = grade("log_scale_search", LOG, {"a": {"log_low": math.log(1e-5)}})  # ln: -11.513
    assert status(r, "log_low") == ("mistake", ["natural_log"])
    q, r = grade("log_scale_search", LOG, {"c": {"ratio": 10 ** 0.8}})  # 4/5 decades per step: 6.3096
    assert status(r, "ratio") == ("mistake", ["grid_fencepost"])
    q, r = grade("log_scale_search", LOG, {"c": {"grid": [1e-5, 0.0250075, 0.050005, 0.0750025, 0.1]}})
    assert status(r, "grid") == ("mistake", ["linear_grid"])


def test_log_scale_search_follow_through():
    # log_high = 0 (wrong): exponents -5 + 5u = (-3.75, -2), samples (10^-3.75, 10^-2) = (1.7783e-4, 0.01),
    # P = (-3 + 5)/5 = 0.4, ratio 10^(5/4) = 17.783, grid 1e-5 * 17.783^k
    ratio = 10 ** 1.25
    q, r = grade("log_scale_search", LOG, {
        "a": {"log_high": 0, "exponents": [-3.75, -2], "samples": [1.7783e-4, 0.01]},
        "b": {"p_log": 0.4},
        "c": {"ratio": ratio, "grid": [1e-5 * ratio ** k for k in range(5)]}})
    assert status(r, "log_high")[0] == "wrong"
    for name in ("exponents", "samples", "p_log", "ratio", "grid"):
        assert status(r, name)[0] == "follow_through", name
    assert status(r, "p_linear")[0] == "correct"


# --- batchnorm: several features, the unbiased variance, the test-time normalised value -----------
# Z (4 examples x 2 features): feature 1 = (1, 3, 1, 3): mean 2, variance (1 + 1 + 1 + 1)/4 = 1;
# feature 2 = (4, 0, 0, 4): mean 2, variance (4 + 4 + 4 + 4)/4 = 4 (standard deviation 2).
BN2 = {"z": [[1, 4], [3, 0], [1, 0], [3, 4]], "gamma": [2, 1], "beta": [0.5, -1], "momentum": 0.1,
       "running_mean": [0, 1], "running_var": [1, 2], "running_var_unbiased": True, "x_test": [1.2, 3]}
S2 = [4 / 3 * 1, 4 / 3 * 4]  # s^2 = N/(N-1) sigma_B^2
RUN_VAR = [0.9 * 1 + 0.1 * S2[0], 0.9 * 2 + 0.1 * S2[1]]  # 1.03333, 2.33333
X_HAT = [(1.2 - 0.2) / math.sqrt(RUN_VAR[0]), (3 - 1.1) / math.sqrt(RUN_VAR[1])]  # 0.98374, 1.24384


def test_batchnorm_features_by_hand():
    v = values("batchnorm", BN2)
    assert v["mean"] == [2, 2] and v["var"] == [1, 4]
    # z_hat: feature 1 (z - 2)/1, feature 2 (z - 2)/2; z_tilde: 2 z_hat + 0.5 and z_hat - 1
    assert v["z_hat"] == [[-1, 1], [1, -1], [-1, -1], [1, 1]]
    assert v["z_tilde"] == [[-1.5, 0], [2.5, -2], [-1.5, -2], [2.5, 0]]
    assert v["var_unbiased"] == pytest.approx(S2)
    assert v["run_mean"] == pytest.approx([0.2, 1.1])  # 0.9·0 + 0.1·2, 0.9·1 + 0.1·2
    assert v["run_var"] == pytest.approx(RUN_VAR)
    assert v["x_hat_test"] == pytest.approx(X_HAT)
    assert v["y_test"] == pytest.approx([2 * X_HAT[0] + 0.5, X_HAT[1] - 1])


def test_batchnorm_one_feature_unbiased_variance_by_hand():
    # z = (1, 3, 1, 3): sigma_B^2 = 1, s^2 = 4/3; run_var = 0.5·2 + 0.5·4/3 = 5/3, run_mean = 0.5·1 + 0.5·2 = 1.5
    g = {"z": [1, 3, 1, 3], "gamma": 1, "beta": 0, "momentum": 0.5, "running_mean": 1, "running_var": 2,
         "running_var_unbiased": True, "x_test": 3.5}
    v = values("batchnorm", g)
    assert v["var_unbiased"] == pytest.approx(4 / 3) and v["run_var"] == pytest.approx(5 / 3)
    assert v["x_hat_test"] == pytest.approx((3.5 - 1.5) / math.sqrt(5 / 3)) == v["y_test"]


def test_batchnorm_features_follow_through_from_a_wrong_unbiased_variance():
    # s^2 = (2, 5) (wrong): run_var = (0.9·1 + 0.1·2, 0.9·2 + 0.1·5) = (1.1, 2.3) is right given it
    q, r = grade("batchnorm", BN2, {"c": {"var_unbiased": [2, 5], "run_var": [1.1, 2.3]}})
    assert status(r, "var_unbiased")[0] == "wrong"
    assert status(r, "run_var")[0] == "follow_through"


def test_batchnorm_features_mistakes_are_named():
    q, r = grade("batchnorm", BN2, {"a": {"var": [4 / 3, 16 / 3]}})  # divided by N - 1
    assert status(r, "var") == ("mistake", ["sample_variance"])
    q, r = grade("batchnorm", BN2, {"c": {"var_unbiased": [1, 4]}})  # the batch variance kept
    assert status(r, "var_unbiased") == ("mistake", ["running_var_estimator"])
    # the batch's statistics at test time: ((1.2 - 2)/1, (3 - 2)/2) = (-0.8, 0.5)
    q, r = grade("batchnorm", BN2, {"d": {"x_hat_test": [-0.8, 0.5]}})
    assert status(r, "x_hat_test") == ("mistake", ["test_uses_batch_statistics"])
    q, r = grade("batchnorm", BN2, {"d": {"y_test": [round(x, 4) for x in X_HAT]}})  # gamma, beta left out
    assert status(r, "y_test") == ("mistake", ["scale_shift_forgotten"])
    q, r = grade("batchnorm", BN2, {"b": {"z_tilde": [[-1, 1], [1, -1], [-1, -1], [1, 1]]}})
    assert status(r, "z_tilde") == ("mistake", ["scale_shift_forgotten"])


@pytest.mark.parametrize("givens, words", [
    (dict(BN2, z=[[1, 4], [3]]), "same number of features"),
    (dict(BN2, gamma=[1, 2, 3]), "one per feature (2)"),
    (dict(BN2, z=[[1, 4], [1, 0]]), "variance is 0"),
    (dict(BN2, z=[1, 3, 1, 3]), "give one number"),
    (dict(BN2, running_var=[1, -1]), "positive"),
])
def test_batchnorm_givens_errors_are_one_line(givens, words):
    with pytest.raises(GivenError) as e:
        registry.get("batchnorm").givens(givens)
    assert words in str(e.value) and "\n" not in str(e.value)
