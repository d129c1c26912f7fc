"""Hand-worked cases for rnn_forward, gru_step, rnn_params, bptt_gradient, gan_losses and significance:
reference values, follow-through and named mistakes. Every expected number is worked out here from
the course's formulas (math.tanh / math.log / math.erfc only evaluate the functions)."""

from __future__ import annotations

import math

import pytest

from examgen import solve
from examgen.registry import GivenError, get

from .conftest import grade, status, step_result


def values(gid, givens):
    return {s.name: s.value for s in solve(gid, givens).steps}


def sigmoid(a):
    return 1 / (1 + math.exp(-a))


# --- rnn_forward: scalar, h_t = tanh(0.5 h_{t-1} + x_t), y = 2 h_2 + 0.5 -------------------------
RNN1 = {"W": [[0.5]], "U": [[1.0]], "b": [0.0], "h0": [0.0], "x": [[1.0], [-1.0]], "v": [2.0], "c": 0.5}
H1 = math.tanh(1.0)               # a_1 = 0.5 * 0 + 1 * 1 + 0 = 1
A2 = 0.5 * H1 - 1                 # a_2 = 0.5 h_1 + 1 * (-1) = -0.619203
H2 = math.tanh(A2)


def test_rnn_forward_scalar_by_hand():
    v = values("rnn_forward", RNN1)
    assert v["a1"] == pytest.approx(1.0) and v["h1"] == pytest.approx(0.761594, abs=1e-6)
    assert v["a2"] == pytest.approx(-0.619203, abs=1e-6) and v["h2"] == pytest.approx(H2)
    assert v["y"] == pytest.approx(2 * H2 + 0.5)


def test_rnn_forward_follow_through_from_a_wrong_pre_activation():
    # a_1 = 0.7 (wrong), then consistently h_1 = tanh 0.7, a_2 = 0.5 tanh 0.7 - 1, h_2 = tanh a_2
    h1 = math.tanh(0.7)
    a2 = 0.5 * h1 - 1
    q, r = grade("rnn_forward", RNN1, {"a": {"a1": 0.7, "h1": h1}, "b": {"a2": a2, "h2": math.tanh(a2)},
                                       "c": {"y": 2 * math.tanh(a2) + 0.5}})
    assert status(r, "a1")[0] == "wrong"
    for name in ("h1", "a2", "h2", "y"):
        assert status(r, name)[0] == "follow_through", name
    assert r.parts[0].score < 10 and r.parts[2].score == 8.0


def test_rnn_forward_tanh_forgotten_and_sigmoid_are_named():
    q, r = grade("rnn_forward", RNN1, {"a": {"h1": 1.0}, "b": {"h2": sigmoid(A2)}})
    assert status(r, "h1") == ("mistake", ["tanh_forgotten"])
    assert status(r, "h2") == ("mistake", ["sigmoid_for_tanh"])


# 2-d state, 2-d input: W = [[0.5, -0.5], [0, 1]], U = I
RNN2 = {"W": [[0.5, -0.5], [0.0, 1.0]], "U": [[1.0, 0.0], [0.0, 1.0]], "b": [0.0, 0.1], "h0": [0.0, 0.0],
        "x": [[1.0, 2.0], [0.0, -1.0]], "v": [1.0, -1.0], "c": 0.0}


def test_rnn_forward_two_dimensional_by_hand():
    v = values("rnn_forward", RNN2)
    assert v["a1"] == pytest.approx([1.0, 2.1])  # U x_1 + b = (1, 2) + (0, 0.1)
    h1 = [math.tanh(1.0), math.tanh(2.1)]
    assert v["h1"] == pytest.approx(h1)
    # W h_1 = (0.5 h11 - 0.5 h12, h12); U x_2 + b = (0, -0.9)
    a2 = [0.5 * h1[0] - 0.5 * h1[1], h1[1] - 0.9]
    assert v["a2"] == pytest.approx(a2)
    assert v["y"] == pytest.approx(math.tanh(a2[0]) - math.tanh(a2[1]))


def test_rnn_forward_w_u_swapped_is_named():
    # U h_0 + W x_1 + b = (0.5 - 1, 2) + (0, 0.1) = (-0.5, 2.1)
    q, r = grade("rnn_forward", RNN2, {"a": {"a1": [-0.5, 2.1]}})
    assert status(r, "a1")[0] == "mistake" and "W_U_swapped" in status(r, "a1")[1]


# --- gru_step -------------------------------------------------------------------------------------
LN3 = math.log(3)  # sigma(ln 3) = 3 / 4
GRU1 = {"Wz": [[LN3]], "Uz": [[0.0]], "bz": [0.0], "Wr": [[0.0]], "Ur": [[0.0]], "br": [0.0],
        "Wh": [[0.2]], "Uh": [[0.5]], "bh": [0.0], "x": [1.0], "h_prev": [0.8]}
CAND = math.tanh(0.2 + 0.5 * 0.4)  # r h = 0.5 * 0.8 = 0.4


def test_gru_step_scalar_by_hand():
    v = values("gru_step", GRU1)
    assert v["z"] == pytest.approx(0.75) and v["r"] == pytest.approx(0.5)
    assert v["rh"] == pytest.approx(0.4)
    assert v["h_tilde"] == pytest.approx(math.tanh(0.4))
    assert v["h"] == pytest.approx(0.75 * 0.8 + 0.25 * CAND)  # z h_{t-1} + (1 - z) h~


def test_gru_step_follow_through_from_a_wrong_update_gate():
    # z = 0.6 (wrong): h = 0.6 * 0.8 + 0.4 * tanh 0.4
    q, r = grade("gru_step", GRU1, {"a": {"z": 0.6}, "c": {"h": 0.6 * 0.8 + 0.4 * CAND}})
    assert status(r, "z")[0] == "wrong"
    assert status(r, "h")[0] == "follow_through"
    assert r.parts[2].score == 8.0


def test_gru_step_update_gate_and_reset_mistakes_are_named():
    q, r = grade("gru_step", GRU1, {"b": {"h_tilde": math.tanh(0.2 + 0.5 * 0.8)}})  # r left out
    assert status(r, "h_tilde") == ("mistake", ["reset_not_applied"])
    q, r = grade("gru_step", GRU1, {"c": {"h": 0.25 * 0.8 + 0.75 * CAND}})  # (1 - z) h_{t-1} + z h~
    assert status(r, "h") == ("mistake", ["update_gate_swapped"])


# 2-d state: r = (sigma 0, sigma ln 3) = (0.5, 0.75), U_h swaps the two entries
GRU2 = {"Wz": [[LN3], [LN3]], "Uz": [[0.0, 0.0], [0.0, 0.0]], "bz": [0.0, 0.0],
        "Wr": [[0.0], [LN3]], "Ur": [[0.0, 0.0], [0.0, 0.0]], "br": [0.0, 0.0],
        "Wh": [[0.0], [0.0]], "Uh": [[0.0, 1.0], [1.0, 0.0]], "bh": [0.0, 0.0], "x": [1.0], "h_prev": [0.4, 0.8]}


def test_gru_step_reset_after_the_product_is_named():
    v = values("gru_step", GRU2)
    assert v["r"] == pytest.approx([0.5, 0.75])
    assert v["rh"] == pytest.approx([0.2, 0.6])
    assert v["h_tilde"] == pytest.approx([math.tanh(0.6), math.tanh(0.2)])  # U_h (r h) = (0.6, 0.2)
    # r * (U_h h) = (0.5 * 0.8, 0.75 * 0.4) = (0.4, 0.3)
    q, r = grade("gru_step", GRU2, {"b": {"h_tilde": [math.tanh(0.4), math.tanh(0.3)]}})
    assert status(r, "h_tilde") == ("mistake", ["reset_after_product"])


# --- rnn_params: GRU, D = 10, H = 20, two bidirectional layers -----------------------------------
PAR = {"cell": "GRU", "input_size": 10, "hidden_size": 20, "num_layers": 2, "bidirectional": True,
       "seq_len": 5, "batch": 3}


def test_rnn_params_by_hand():
    v = values("rnn_params", PAR)
    assert v["params1"] == 2 * 3 * (20 * 10 + 20 * 20 + 2 * 20) == 3840
    assert v["in2"] == 40
    assert v["params2"] == 2 * 3 * (20 * 40 + 20 * 20 + 2 * 20) == 7440
    assert v["total"] == 11280
    assert (v["out_size"], v["hn_size"]) == (40, 4)


def test_rnn_params_mistakes_are_named():
    q, r = grade("rnn_params", PAR, {"a": {"params1": 2 * 3 * 620}, "d": {"out_size": 20, "hn_size": 2}})
    assert status(r, "params1") == ("mistake", ["one_bias"])
    assert status(r, "out_size") == ("mistake", ["bidirectional_not_doubled"])
    assert status(r, "hn_size") == ("mistake", ["bidirectional_not_doubled"])
    q, r = grade("rnn_params", PAR, {"a": {"params1": 1920}})
    assert status(r, "params1") == ("mistake", ["bidirectional_not_doubled"])
    q, r = grade("rnn_params", PAR, {"a": {"params1": 2 * 640}})
    assert status(r, "params1") == ("mistake", ["gates_forgotten"])


def test_rnn_params_input_not_doubled_then_follow_through():
    # in2 = 20: 2 * 3 * (20 * 20 + 20 * 20 + 40) = 5040, total 3840 + 5040 = 8880
    q, r = grade("rnn_params", PAR, {"b": {"in2": 20, "params2": 5040}, "c": {"total": 8880}})
    assert status(r, "in2") == ("mistake", ["input_not_doubled"])
    assert status(r, "params2")[0] == "follow_through"
    assert status(r, "total")[0] == "follow_through"


def test_rnn_params_input_size_reused_is_named():
    # in2 = D = 10 (the network's input size): 2 * 3 * (20 * 10 + 400 + 40) = 3840 follows through
    q, r = grade("rnn_params", PAR, {"b": {"in2": 10, "params2": 3840}})
    assert status(r, "in2") == ("mistake", ["input_size_reused"])
    assert status(r, "params2")[0] == "follow_through"


def test_rnn_params_draws_keep_d_apart_from_h_and_2h():
    gen = get("rnn_params")
    for seed in range(200):
        g = gen.generate(seed).givens
        assert g["input_size"] not in (g["hidden_size"], 2 * g["hidden_size"]), seed


def test_rnn_params_plain_rnn_one_layer():
    v = values("rnn_params", {**PAR, "cell": "RNN", "num_layers": 1, "bidirectional": False})
    assert v["params1"] == 20 * 10 + 20 * 20 + 2 * 20 == 640
    assert "total" not in v and (v["out_size"], v["hn_size"]) == (20, 1)


# --- bptt_gradient: w = 0.5, u = 1, b = 0, h_0 = 0, x = (1, 0); g = (3, 4), c = 1 ----------------
BPTT = {"w": 0.5, "u": 1.0, "b": 0.0, "h0": 0.0, "x": [1.0, 0.0], "grad": [3.0, 4.0], "clip": 1.0}
B1 = math.tanh(1.0)
B2 = math.tanh(0.5 * B1)
D1, D2 = 0.5 * (1 - B1 ** 2), 0.5 * (1 - B2 ** 2)


def test_bptt_by_hand():
    v = values("bptt_gradient", BPTT)
    assert (v["h1"], v["h2"]) == pytest.approx((B1, B2))
    assert (v["d1"], v["d2"]) == pytest.approx((D1, D2))
    assert v["dhT_dh0"] == pytest.approx(D1 * D2)
    assert v["verdict"] == "vanishing"  # 0.21 * 0.43 < 1
    assert v["norm"] == 5.0 and v["g_clipped"] == pytest.approx([0.6, 0.8])  # (3, 4) * 1 / 5


def test_bptt_exploding_and_no_clipping():
    # w = 2: h_1 = tanh 0.2, h_2 = tanh(2 h_1 - 0.3); factors 2 (1 - h_t^2) near 2
    v = values("bptt_gradient", {**BPTT, "w": 2.0, "x": [0.2, -0.3], "clip": 10.0})
    h1 = math.tanh(0.2)
    h2 = math.tanh(2 * h1 - 0.3)
    assert v["dhT_dh0"] == pytest.approx(2 * (1 - h1 ** 2) * 2 * (1 - h2 ** 2))
    assert v["verdict"] == "exploding"
    assert v["g_clipped"] == [3.0, 4.0]  # ||g|| = 5 <= 10: unchanged, and the solution says so
    q = solve("bptt_gradient", {**BPTT, "w": 2.0, "x": [0.2, -0.3], "clip": 10.0})
    assert "unchanged" in q.step("g_clipped").explanation
    assert solve("bptt_gradient", BPTT).step("g_clipped").explanation is None


def test_bptt_draws_always_clip():
    gen = get("bptt_gradient")
    for seed in range(200):
        g = gen.generate(seed).givens
        assert math.hypot(*g["grad"]) > g["clip"], seed


def test_bptt_follow_through_and_mistakes():
    # h_1 = 0.7 (wrong): d_1 = 0.5 (1 - 0.49) = 0.255, h_2 = tanh 0.35, product follows
    h2 = math.tanh(0.35)
    d2 = 0.5 * (1 - h2 ** 2)
    q, r = grade("bptt_gradient", BPTT, {"a": {"h1": 0.7, "h2": h2},
                                         "b": {"d1": 0.255, "d2": d2, "dhT_dh0": 0.255 * d2}})
    assert status(r, "h1")[0] == "wrong"
    for name in ("h2", "d1", "d2", "dhT_dh0"):
        assert status(r, name)[0] == "follow_through", name
    q, r = grade("bptt_gradient", BPTT, {"b": {"d1": 0.5}, "c": {"norm": 25, "g_clipped": [1, 1]}})
    assert status(r, "d1")[0] == "mistake" and "no_tanh_derivative" in status(r, "d1")[1]
    assert status(r, "norm") == ("mistake", ["norm_not_rooted"])
    assert status(r, "g_clipped") == ("mistake", ["clip_by_value"])


# --- gan_losses ------------------------------------------------------------------------------------
GAN = {"d_real": [0.8, 0.5], "d_fake": [0.2, 0.4], "sample": 1, "p_data": [0.6, 0.2, 0.2],
       "p_g": [0.2, 0.2, 0.6]}
LN = math.log
REAL_T = (LN(0.8) + LN(0.5)) / 2
FAKE_T = (LN(0.8) + LN(0.6)) / 2  # log(1 - 0.2), log(1 - 0.4)


def test_gan_losses_by_hand():
    v = values("gan_losses", GAN)
    assert v["real_term"] == pytest.approx(REAL_T) and v["fake_term"] == pytest.approx(FAKE_T)
    assert v["loss_D"] == pytest.approx(-(REAL_T + FAKE_T))
    assert v["loss_G_mm"] == pytest.approx(FAKE_T)
    assert v["loss_G_ns"] == pytest.approx(-(LN(0.2) + LN(0.4)) / 2)
    assert v["grad_mm"] == pytest.approx(-1.25) and v["grad_ns"] == pytest.approx(-5.0)  # d = 0.2
    assert v["larger"] == "non-saturating"
    assert v["d_star"] == pytest.approx([0.75, 0.5, 0.25])  # 0.6 / 0.8, 0.2 / 0.4, 0.2 / 0.8
    assert v["c_g"] == pytest.approx(1.2 * LN(0.75) + 0.4 * LN(0.5) + 0.4 * LN(0.25))


def test_gan_losses_follow_through_and_mistakes():
    q, r = grade("gan_losses", GAN, {"a": {"real_term": -0.5, "loss_D": -(-0.5 + FAKE_T)},
                                     "b": {"loss_G_mm": -FAKE_T, "loss_G_ns": (LN(0.8) + LN(0.6)) / 2 * -1}})
    assert status(r, "real_term")[0] == "wrong" and status(r, "loss_D")[0] == "follow_through"
    assert status(r, "loss_G_mm") == ("mistake", ["minimax_sign"])
    assert status(r, "loss_G_ns") == ("mistake", ["ns_log_one_minus"])


def test_gan_optimal_discriminator_inverted_then_follow_through():
    inverted = [0.25, 0.5, 0.75]
    c_g = 0.6 * LN(0.25) + 0.2 * LN(0.75) + 0.2 * LN(0.5) + 0.2 * LN(0.5) + 0.2 * LN(0.75) + 0.6 * LN(0.25)
    q, r = grade("gan_losses", GAN, {"c": {"grad_mm": 1.25}, "d": {"d_star": inverted, "c_g": c_g}})
    assert status(r, "grad_mm") == ("mistake", ["chain_rule_sign"])
    res = step_result(r, "d_star")
    assert res.status == "mistake" and res.mistakes == ["d_star_inverted"]
    assert res.credit == pytest.approx(1 / 3, abs=1e-4)  # the middle entry 0.5 is right either way
    assert status(r, "c_g")[0] == "follow_through"


def test_gan_givens_are_checked():
    with pytest.raises(GivenError, match="strictly between 0 and 1"):
        get("gan_losses").givens({**GAN, "d_real": [1.0, 0.5]})
    with pytest.raises(GivenError, match="sum to 1"):
        get("gan_losses").givens({**GAN, "p_g": [0.2, 0.2, 0.5]})


# --- significance: n = 100, A right on 80; McNemar with continuity correction -------------------
SIG = {"n11": 70, "n10": 10, "n01": 4, "n00": 16, "continuity": True, "half_width": 0.02}


def test_significance_by_hand():
    v = values("significance", SIG)
    assert v["correct"] == 80 and v["acc"] == pytest.approx(0.8)
    assert v["se"] == pytest.approx(0.04)  # sqrt(0.8 * 0.2 / 100) = 0.4 / 10
    assert v["half"] == pytest.approx(0.0784)
    assert (v["lower"], v["upper"]) == pytest.approx((0.7216, 0.8784))
    assert v["n_needed"] == 1537  # 3.8416 * 0.16 / 0.0004 = 1536.64, rounded up
    assert v["stat"] == pytest.approx(25 / 14)  # (|10 - 4| - 1)^2 / 14
    assert v["p_value"] == pytest.approx(math.erfc(math.sqrt(25 / 28)))  # 2 (1 - Phi(sqrt(25/14)))
    assert v["p_value"] == pytest.approx(0.1814, abs=1e-4)
    assert v["significant"] == "no"


def test_significance_follow_through_from_a_wrong_count():
    # k = 81: p = 0.81, SE = sqrt(0.81 * 0.19 / 100) = 0.039230, half = 0.076891
    se = math.sqrt(0.81 * 0.19 / 100)
    q, r = grade("significance", SIG, {"a": {"correct": 81, "acc": 0.81},
                                       "b": {"se": se, "half": 1.96 * se, "lower": 0.81 - 1.96 * se,
                                             "upper": 0.81 + 1.96 * se}})
    assert status(r, "correct")[0] == "wrong"
    for name in ("acc", "se", "half", "lower", "upper"):
        assert status(r, name)[0] == "follow_through", name


def test_significance_mistakes_are_named():
    q, r = grade("significance", SIG, {
        "b": {"se": math.sqrt(0.16 / 99)},
        "c": {"n_needed": 40},  # 1.96 * 0.4 / 0.02 = 39.2, not squared
        "d": {"stat": 36 / 14}})  # (10 - 4)^2 / 14: correction left out
    assert status(r, "se") == ("mistake", ["se_n_minus_1"])
    assert status(r, "n_needed") == ("mistake", ["n_not_squared"])
    assert status(r, "stat") == ("mistake", ["continuity_mixup"])
    q, r = grade("significance", SIG, {"b": {"half": 0.04}, "c": {"n_needed": 1536},
                                       "d": {"stat": 53 ** 2 / 86}})  # (|70 - 16| - 1)^2 / (70 + 16)
    assert status(r, "half") == ("mistake", ["se_as_half_width"])
    assert status(r, "n_needed") == ("mistake", ["n_rounded_down"])
    assert status(r, "stat") == ("mistake", ["concordant_counts"])


def test_significance_givens_are_checked():
    with pytest.raises(GivenError, match="discordant"):
        get("significance").givens({**SIG, "n01": 10})
    with pytest.raises(GivenError, match="n11"):
        get("significance").givens({k: v for k, v in SIG.items() if k != "n11"})


def test_a_right_guess_of_a_choice_alone_is_not_full_marks():
    # every independent result of a part is one of its final answers: a lucky yes/no is not enough
    q, r = grade("significance", SIG, {"d": {"stat": 9.0, "p_value": 0.5}})  # 'no' kept from the key
    assert status(r, "significant")[0] == "correct" and r.parts[3].score < 5
    q, r = grade("bptt_gradient", BPTT, {"b": {"dhT_dh0": 0.5}})  # 'vanishing' kept from the key
    assert r.parts[1].score < 10
    q, r = grade("gru_step", GRU1, {"a": {"z": 0.4}})  # r right, z wrong
    assert r.parts[0].score < 10
