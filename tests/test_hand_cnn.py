"""Hand-worked cases for the lecture-05 value generators: reference values, follow-through and
named mistakes, every expected number computed by hand from the course's formulas (shown in
the comments), never copied from the solvers."""

from __future__ import annotations

import pytest

from examgen import registry, solve
from examgen.registry import GivenError

from .conftest import grade, status, step_result


def values(gid, givens):
    return {s.name: s.value for s in solve(gid, givens).steps}


# --- conv2d_values ------------------------------------------------------------------------------
# X (4×4), K (3×3), b = -1, stride 1, no padding, ReLU. Windows (rows, cols from 1):
#   z11 = X[1:3,1:3] = [1 2 0; 0 1 3; 2 1 0]:  1·1 + (-1)·0 + 1·1 + 2·2 = 6, minus 1 -> 5
#   z12 = X[1:3,2:4] = [2 0 1; 1 3 1; 1 0 0]:  1·2 + (-1)·1 + 1·3 + 2·1 = 6       -> 5
#   z21 = X[2:4,1:3] = [0 1 3; 2 1 0; 1 0 2]:  1·0 + (-1)·3 + 1·1 + 2·1 = 0       -> -1
#   z22 = X[2:4,2:4] = [1 3 1; 1 0 0; 0 2 1]:  1·1 + (-1)·1 + 1·0 + 2·0 = 0       -> -1
CONV = {"x": [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 2, 1]],
        "kernel": [[1, 0, -1], [0, 1, 0], [2, 0, 0]], "bias": -1, "stride": 1, "padding": 0, "relu": True}


def test_conv2d_reference_by_hand():
    v = values("conv2d_values", CONV)
    assert v["n_pad"] == 4 and v["n_out"] == 2  # (4 + 0 - 3) / 1 + 1
    assert v["z"] == [[5, 5], [-1, -1]]
    assert v["a"] == [[5, 5], [0, 0]]


# X (3×3) padded with one ring of zeros to 5×5, K = [1 0; 0 -1], b = 1, stride 2, no ReLU:
# n_out = floor((5 - 2) / 2) + 1 = 2; windows start at padded rows/cols 1 and 3:
#   z11 = [0 0; 0 1] -> 0 - 1 + 1 = 0     z12 = [0 0; 2 3] -> 0 - 3 + 1 = -2
#   z21 = [0 4; 0 7] -> 0 - 7 + 1 = -6    z22 = [5 6; 8 9] -> 5 - 9 + 1 = -3
PADDED = {"x": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "kernel": [[1, 0], [0, -1]], "bias": 1,
          "stride": 2, "padding": 1, "relu": False}


def test_conv2d_padding_and_stride_by_hand():
    v = values("conv2d_values", PADDED)
    assert v["n_pad"] == 5 and v["n_out"] == 2
    assert v["z"] == [[0, -2], [-6, -3]]
    assert "a" not in v


def test_conv2d_non_square_input_by_hand():
    # 2×3 input, 2×2 kernel of ones, b = 0, stride 1: sums of 2×2 blocks -> 1×2 output
    v = values("conv2d_values", {"x": [[1, 2, 3], [4, 5, 6]], "kernel": [[1, 1], [1, 1]], "bias": 0})
    assert (v["h_pad"], v["w_pad"], v["h_out"], v["w_out"]) == (2, 3, 1, 2)
    assert v["z"] == [[12, 16]]  # 1+2+4+5, 2+3+5+6


def test_conv2d_follow_through_from_a_wrong_padded_size():
    # padded side 6 instead of 5: then floor((6 - 2) / 2) + 1 = 3 is right given it
    q, r = grade("conv2d_values", PADDED, {"a": {"n_pad": 6, "n_out": 3}})
    assert status(r, "n_pad")[0] == "wrong"
    assert status(r, "n_out")[0] == "follow_through"
    assert r.parts[0].score == pytest.approx(10 * (0 + 2 * 0.8) / 3, abs=0.05)


def test_conv2d_size_mistakes_are_named():
    # padding forgotten: 3; padding once: 3 + 1 = 4; stride ignored: 5 - 2 + 1 = 4
    q, r = grade("conv2d_values", PADDED, {"a": {"n_pad": 3}})
    assert status(r, "n_pad") == ("mistake", ["padding_forgotten"])
    q, r = grade("conv2d_values", PADDED, {"a": {"n_pad": 4}})
    assert status(r, "n_pad") == ("mistake", ["padding_once"])
    q, r = grade("conv2d_values", PADDED, {"a": {"n_out": 4}})
    assert status(r, "n_out") == ("mistake", ["stride_ignored"])


def test_conv2d_kernel_flipped_is_named_then_follow_through():
    # true convolution: kernel rotated 180°, [0 0 2; 0 1 0; -1 0 1]:
    #   z11: 2·0 + 1·1 - 1·2 + 1·0 = -1 -> -2     z12: 2·1 + 1·3 - 1·1 + 1·0 = 4 -> 3
    #   z21: 2·3 + 1·1 - 1·1 + 1·2 = 8  -> 7      z22: 2·1 + 1·0 - 1·0 + 1·1 = 3 -> 2
    # and the ReLU of that: [0 3; 7 2]
    q, r = grade("conv2d_values", CONV, {"b": {"z": [[-2, 3], [7, 2]]}, "c": {"a": [[0, 3], [7, 2]]}})
    assert status(r, "z") == ("mistake", ["kernel_flipped"])
    assert status(r, "a")[0] == "follow_through"


def test_conv2d_bias_and_relu_mistakes_are_named():
    q, r = grade("conv2d_values", CONV, {"b": {"z": [[6, 6], [0, 0]]}})  # without b = -1
    assert status(r, "z") == ("mistake", ["bias_forgotten"])
    q, r = grade("conv2d_values", CONV, {"c": {"a": [[5, 5], [-1, -1]]}})  # A = Z
    res = step_result(r, "a")
    assert res.status == "mistake" and res.mistakes == ["relu_forgotten"]
    assert res.credit == pytest.approx(0.5)  # the two positive entries are right either way


# --- pooling_values -----------------------------------------------------------------------------
# X (4×4), 2×2 windows, stride 2, C = 8 channels: output 2×2 per channel, 2·2·8 = 32 values.
#   max:     [max(1,3,4,2) max(2,0,1,5); max(0,1,2,6) max(3,2,1,1)] = [4 5; 6 3]
#   average: [(1+3+4+2)/4 (2+0+1+5)/4; (0+1+2+6)/4 (3+2+1+1)/4] = [2.5 2; 2.25 1.75]
POOL = {"x": [[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 3, 2], [2, 6, 1, 1]], "pool": "max", "kernel": 2,
        "stride": 2, "channels": 8}
AVG = dict(POOL, pool="average")


def test_pooling_reference_by_hand():
    v = values("pooling_values", POOL)
    assert v["n_out"] == 2 and v["values"] == 32
    assert v["y"] == [[4, 5], [6, 3]]
    assert values("pooling_values", AVG)["y"] == [[2.5, 2], [2.25, 1.75]]


def test_pooling_not_tiling_by_hand():
    # 5×5 map, 2×2 windows, stride 2: floor((5 - 2) / 2) + 1 = 2 (the last row and column are unused)
    x = [[1, 0, 2, 0, 9], [0, 3, 0, 1, 9], [4, 0, 0, 0, 9], [0, 0, 5, 2, 9], [9, 9, 9, 9, 9]]
    g = {"x": x, "pool": "max", "kernel": 2, "stride": 2, "channels": 3}
    v = values("pooling_values", g)
    assert v["n_out"] == 2 and v["values"] == 12 and v["y"] == [[3, 2], [4, 5]]
    q, r = grade("pooling_values", g, {"a": {"n_out": 3}})  # ceil(3 / 2) + 1
    assert status(r, "n_out") == ("mistake", ["ceil_instead_of_floor"])
    q, r = grade("pooling_values", g, {"a": {"n_out": 4}})  # 5 - 2 + 1
    assert status(r, "n_out") == ("mistake", ["stride_ignored"])


def test_pooling_follow_through_from_a_wrong_size():
    # output side 5 (wrong), then 5·5·8 = 200 values is right given it
    q, r = grade("pooling_values", POOL, {"a": {"n_out": 5, "values": 200}})
    assert status(r, "n_out")[0] == "wrong"
    assert status(r, "values")[0] == "follow_through"


def test_pooling_mistakes_are_named():
    q, r = grade("pooling_values", POOL, {"b": {"y": [[2.5, 2], [2.25, 1.75]]}})  # averages for max
    assert status(r, "y") == ("mistake", ["wrong_pool_type"])
    q, r = grade("pooling_values", AVG, {"b": {"y": [[4, 5], [6, 3]]}})  # maxima for average
    assert status(r, "y") == ("mistake", ["wrong_pool_type"])
    q, r = grade("pooling_values", AVG, {"b": {"y": [[10, 8], [9, 7]]}})  # window sums
    assert status(r, "y") == ("mistake", ["sum_instead_of_mean"])
    q, r = grade("pooling_values", POOL, {"a": {"values": 4}})  # one channel only
    assert status(r, "values") == ("mistake", ["channels_forgotten"])


# --- receptive_field ----------------------------------------------------------------------------
# Three 3×3 convolutions with dilation 1, 2, 4 (stride 1): effective kernels 3, 2·2+1 = 5, 4·2+1 = 9;
# r = 1 + 2 = 3, 3 + 4 = 7, 7 + 8 = 15 (the course's example of a growing dilation factor).
CONTEXT = {"layers": [{"type": "conv", "kernel": 3, "dilation": 1}, {"type": "conv", "kernel": 3, "dilation": 2},
                      {"type": "conv", "kernel": 3, "dilation": 4}]}
# 3×3 conv stride 2, 2×2 max pool stride 2, 3×3 conv dilation 2:
# r1 = 3, j1 = 2; r2 = 3 + 1·2 = 5, j2 = 2·2 = 4; k̂3 = 5, r3 = 5 + 4·4 = 21
STRIDED = {"layers": [{"type": "conv", "kernel": 3, "stride": 2}, {"type": "maxpool", "kernel": 2, "stride": 2},
                      {"type": "conv", "kernel": 3, "dilation": 2}]}


def test_receptive_field_reference_by_hand():
    v = values("receptive_field", CONTEXT)
    assert (v["rf1"], v["k_eff2"], v["rf2"], v["k_eff3"], v["rf3"]) == (3, 5, 7, 9, 15)
    assert "k_eff1" not in v and not any(n.startswith("jump") for n in v)
    v = values("receptive_field", STRIDED)
    assert (v["rf1"], v["jump1"], v["rf2"], v["jump2"], v["k_eff3"], v["rf3"]) == (3, 2, 5, 4, 5, 21)


def test_receptive_field_vgg_block_by_hand():
    # conv3, conv3, pool2/2, conv3, conv3: r = 3, 5, 6, 6 + 2·2 = 10, 14
    layers = [{"type": "conv", "kernel": 3}] * 2 + [{"type": "maxpool", "kernel": 2, "stride": 2}] + \
             [{"type": "conv", "kernel": 3}] * 2
    v = values("receptive_field", {"layers": layers})
    assert [v[f"rf{i}"] for i in range(1, 6)] == [3, 5, 6, 10, 14]


def test_receptive_field_k_times_d_is_named_then_follow_through():
    # k̂2 = 3·2 = 6 (wrong), then r2 = 3 + (6 - 1) = 8 follows through
    q, r = grade("receptive_field", CONTEXT, {"b": {"k_eff2": 6, "rf2": 8}})
    assert status(r, "k_eff2") == ("mistake", ["k_times_d"])
    assert status(r, "rf2")[0] == "follow_through"


def test_receptive_field_mistakes_are_named():
    q, r = grade("receptive_field", CONTEXT, {"b": {"k_eff2": 3}})  # dilation ignored
    assert status(r, "k_eff2") == ("mistake", ["dilation_ignored"])
    q, r = grade("receptive_field", CONTEXT, {"b": {"rf2": 8}})  # 3 + 5: adds k̂ instead of k̂ - 1
    assert status(r, "rf2") == ("mistake", ["adds_k"])
    q, r = grade("receptive_field", STRIDED, {"c": {"rf3": 9}})  # 5 + (5 - 1): jump ignored
    assert status(r, "rf3") == ("mistake", ["jump_ignored"])
    q, r = grade("receptive_field", STRIDED, {"a": {"rf1": 5}})  # 1 + 2·1·2: own stride used
    assert status(r, "rf1") == ("mistake", ["own_stride_in_jump"])
    # j2 = 2 (the stride alone), then r3 = 5 + 4·2 = 13 follows through
    q, r = grade("receptive_field", STRIDED, {"b": {"jump2": 2}, "c": {"rf3": 13}})
    assert status(r, "jump2") == ("mistake", ["jump_not_cumulative"])
    assert status(r, "rf3")[0] == "follow_through"


# --- separable_params ---------------------------------------------------------------------------
# C_in = 32, C_out = 64, 3×3, biases; head on a 7×7×64 map, 10 classes:
#   one filter 3·3·32 + 1 = 289; standard 289·64 = 18496
#   depthwise (3·3 + 1)·32 = 320; pointwise (32 + 1)·64 = 2112; separable 2432; ratio 18496/2432 = 7.6053
#   dense head (7·7·64 + 1)·10 = 31370; global pooling head (64 + 1)·10 = 650
SEP = {"c_in": 32, "c_out": 64, "kernel": 3, "bias": True, "height": 7, "width": 7, "classes": 10}


def test_separable_reference_by_hand():
    v = values("separable_params", SEP)
    assert (v["per_filter"], v["standard"]) == (289, 18496)
    assert (v["depthwise"], v["pointwise"], v["separable"]) == (320, 2112, 2432)
    assert v["ratio"] == pytest.approx(18496 / 2432)
    assert (v["dense_head"], v["gap_head"]) == (31370, 650)
    # without biases: 288, 18432; 288 + 2048 = 2336; 3136·10 = 31360, 640
    v = values("separable_params", dict(SEP, bias=False, head="conv1x1_gap"))
    assert (v["per_filter"], v["standard"], v["separable"]) == (288, 18432, 2336)
    assert v["ratio"] == pytest.approx(18432 / 2336)
    assert (v["dense_head"], v["gap_head"]) == (31360, 640)


def test_separable_follow_through():
    # one filter 389 (wrong): 389·64 = 24896, and 24896 / 2432 = 10.237 follow through
    q, r = grade("separable_params", SEP, {"a": {"per_filter": 389, "standard": 24896}, "c": {"ratio": 10.24}})
    assert status(r, "per_filter")[0] == "wrong"
    assert status(r, "standard")[0] == "follow_through"
    assert status(r, "ratio")[0] == "follow_through"


def test_separable_mistakes_are_named():
    q, r = grade("separable_params", SEP, {"a": {"per_filter": 288, "standard": 18432}})
    assert status(r, "per_filter") == ("mistake", ["biases_not_counted"])
    assert status(r, "standard")[0] == "follow_through"
    q, r = grade("separable_params", SEP, {"b": {"separable": 320}})  # depthwise only
    assert status(r, "separable") == ("mistake", ["no_pointwise"])
    q, r = grade("separable_params", SEP, {"b": {"depthwise": 9248}})  # (3·3·32 + 1)·32
    assert status(r, "depthwise") == ("mistake", ["depthwise_full"])
    q, r = grade("separable_params", SEP, {"c": {"ratio": 0.1315}})  # 2432 / 18496
    assert status(r, "ratio") == ("mistake", ["ratio_inverted"])
    q, r = grade("separable_params", SEP, {"d": {"dense_head": 650}})  # (64 + 1)·10
    assert status(r, "dense_head") == ("mistake", ["flatten_spatial_ignored"])


# --- givens typed in by a teacher ---------------------------------------------------------------


@pytest.mark.parametrize("gid, givens, words", [
    ("conv2d_values", dict(CONV, x=[[1, 2], [3]]), "rectangular"),
    ("conv2d_values", dict(CONV, kernel=[[1, 2, 3], [1, 2, 3]]), "square"),
    ("conv2d_values", dict(CONV, kernel=[[1] * 5] * 5), "larger than the padded input"),
    ("conv2d_values", dict(CONV, stride=0), "stride"),
    ("pooling_values", dict(POOL, kernel=5), "larger than the map"),
    ("pooling_values", dict(POOL, pool="min"), "pool"),
    ("receptive_field", {"layers": [{"type": "maxpool", "kernel": 2, "dilation": 2}]}, "dilation 1"),
    ("separable_params", dict(SEP, c_in=0), "c_in"),
    ("separable_params", dict(SEP, depth=3), "depth"),
])
def test_bad_givens_are_one_line_errors(gid, givens, words):
    with pytest.raises(GivenError) as e:
        registry.get(gid).givens(givens)
    assert words in str(e.value) and "\n" not in str(e.value)
