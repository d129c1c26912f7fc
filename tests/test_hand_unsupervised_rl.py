"""Hand-worked cases for sne, autoencoder, vae_latent (lecture 12) and discounted_return, q_learning,
epsilon_greedy, value_iteration, reinforce (lecture 14): reference values of typed-in givens computed
by hand from the course's formulas (in the comments, or as closed forms), a follow-through case and
named-mistake cases for each. No expected value is copied from the code under test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examgen import registry
from examgen.registry import GivenError

from .conftest import grade, status, values


def given_error(gid: str, givens: dict) -> str:
    with pytest.raises(GivenError) as e:
        registry.get(gid).givens(givens)
    assert "\n" not in str(e.value)
    return str(e.value)


# --- discounted_return: R = (1, 0, 4), gamma = 0.5, states A, B, A --------------------------------
RET = {"rewards": [1, 0, 4], "gamma": 0.5, "states": ["A", "B", "A"], "estimate": "A"}


def test_discounted_return_by_hand():
    v = values("discounted_return", RET)
    # G_2 = 4; G_1 = 0 + 0.5 * 4 = 2; G_0 = 1 + 0.5 * 0 + 0.25 * 4 = 2
    assert (v["G2"], v["G1"], v["G0"]) == pytest.approx((4, 2, 2))
    assert v["v_hat"] == pytest.approx((2 + 4) / 2)  # every visit to A: t = 0 and t = 2


def test_discounted_return_continuing_tail_by_hand():
    # from t = 1 on the reward 1 forever: G_1 = 1 / (1 - 0.8) = 5; G_0 = 2 + 0.8 * 5 = 6
    tail = {"rewards": [2], "gamma": 0.8, "tail": 1}
    v = values("discounted_return", tail)
    assert v["G1"] == pytest.approx(5) and v["G0"] == pytest.approx(6)
    # the tail counted once: G_1 = 1, then G_0 = 2 + 0.8 * 1 = 2.8
    q, r = grade("discounted_return", tail, {"a": {"G1": 1, "G0": 2.8}})
    assert status(r, "G1") == ("mistake", ["tail_single_reward"])
    assert status(r, "G0")[0] == "follow_through"
    # gamma^(k+1) from the start: G_1 = 0.8 * 5 = 4
    q, r = grade("discounted_return", tail, {"a": {"G1": 4}})
    assert status(r, "G1") == ("mistake", ["discount_off_by_one"])


def test_discounted_return_follow_through():
    # G_2 = 4 wrongly given as 6: then G_1 = 0.5 * 6 = 3, G_0 = 1 + 0.5 * 3 = 2.5, v(A) = (2.5 + 6) / 2
    q, r = grade("discounted_return", RET, {"a": {"G2": 6, "G1": 3, "G0": 2.5}, "b": {"v_hat": 4.25}})
    assert status(r, "G2")[0] == "wrong"
    assert [status(r, n)[0] for n in ("G1", "G0", "v_hat")] == ["follow_through"] * 3
    assert r.parts[0].score < 10


def test_discounted_return_mistakes_are_named():
    # no discount: G_1 = 0 + 4 = 4; gamma^(k+1): G_2 = 0.5 * 4 = 2
    q, r = grade("discounted_return", RET, {"a": {"G1": 4}})
    assert status(r, "G1") == ("mistake", ["discount_ignored"])
    q, r = grade("discounted_return", RET, {"a": {"G2": 2}})
    assert status(r, "G2") == ("mistake", ["discount_off_by_one"])
    # first visit only: G_0 = 2; averaged rewards: (1 + 4) / 2 = 2.5
    q, r = grade("discounted_return", RET, {"b": {"v_hat": 2}})
    assert status(r, "v_hat") == ("mistake", ["first_visit_only"])
    q, r = grade("discounted_return", RET, {"b": {"v_hat": 2.5}})
    assert status(r, "v_hat") == ("mistake", ["averaged_rewards"])


def test_discounted_return_givens_errors():
    assert "gamma < 1" in given_error("discounted_return", {"rewards": [1], "gamma": 1, "tail": 1})
    assert "never visited" in given_error("discounted_return", {**RET, "estimate": "C"})


# --- q_learning: states A, B, C (+ T), actions a_1, a_2 -----------------------------------------
QL = {"q": [[0, 1], [2, 0.5], [1, -1]], "target": [[0.5, 0], [1, 3], [0, 0.5], [2, 1]],
      "alpha": 0.5, "gamma": 0.9, "states": ["A", "B", "T"], "actions": [2, 2], "rewards": [1, 10]}


def test_q_learning_by_hand():
    v = values("q_learning", QL)
    # max_a Q(B, a) = max(2, 0.5) = 2; y_0 = 1 + 0.9 * 2 = 2.8; delta_0 = 2.8 - Q(A, a_2) = 1.8;
    # Q(A, a_2) = 1 + 0.5 * 1.8 = 1.9
    assert (v["max0"], v["y0"], v["delta0"], v["q0"]) == pytest.approx((2, 2.8, 1.8, 1.9))
    # S_2 = T is terminal: no max; y_1 = R_1 = 10; delta_1 = 10 - 0.5 = 9.5; Q(B, a_2) = 0.5 + 0.5 * 9.5 = 5.25
    assert "max1" not in v
    assert (v["y1"], v["delta1"], v["q1"]) == pytest.approx((10, 9.5, 5.25))
    # DQN: y = (1 + 0.9 max(1, 3), 10) = (3.7, 10); L = ((3.7 - 1)^2 + (10 - 0.5)^2) / 2 = 48.77
    assert v["y_dqn"] == pytest.approx([3.7, 10])
    assert v["loss"] == pytest.approx(48.77)


def test_q_learning_second_update_uses_the_first():
    # S_2 = A again, A_1 = a_1: max(Q(A, a_1), updated Q(A, a_2)) = max(0, 1.9) = 1.9; y_1 = 0 + 0.9 * 1.9
    # = 1.71; delta_1 = 1.71 - Q(B, a_1) = -0.29; Q(B, a_1) = 2 - 0.5 * 0.29 = 1.855
    g = {**QL, "states": ["A", "B", "A"], "actions": [2, 1], "rewards": [1, 0]}
    v = values("q_learning", g)
    assert (v["max1"], v["y1"], v["delta1"], v["q1"]) == pytest.approx((1.9, 1.71, -0.29, 1.855))
    # a wrong first update (Q(A, a_2) = 1.5) carries into the second max and target: 0.9 * 1.5 = 1.35
    q, r = grade("q_learning", g, {"a": {"q0": 1.5}, "b": {"max1": 1.5, "y1": 1.35, "delta1": -0.65, "q1": 1.675}})
    assert status(r, "q0")[0] == "wrong"
    assert [status(r, n)[0] for n in ("max1", "y1", "delta1", "q1")] == ["follow_through"] * 4


def test_q_learning_follow_through_within_an_update():
    # y_0 = 2 (wrong): delta_0 = 2 - 1 = 1, Q(A, a_2) = 1 + 0.5 * 1 = 1.5
    q, r = grade("q_learning", QL, {"a": {"y0": 2, "delta0": 1, "q0": 1.5}})
    assert status(r, "y0")[0] == "wrong"
    assert status(r, "delta0")[0] == "follow_through" and status(r, "q0")[0] == "follow_through"


def test_q_learning_mistakes_are_named():
    # SARSA: Q(B, a_2) = 0.5 in place of the max, so y_0 = 1 + 0.9 * 0.5 = 1.45; sign: 1 - 2.8 = -1.8;
    # the target as the new value: 2.8
    q, r = grade("q_learning", QL, {"a": {"max0": 0.5, "y0": 1.45}})
    assert status(r, "max0") == ("mistake", ["sarsa_target"]) and status(r, "y0")[0] == "follow_through"
    q, r = grade("q_learning", QL, {"a": {"delta0": -1.8}})
    assert status(r, "delta0") == ("mistake", ["td_error_sign"])
    q, r = grade("q_learning", QL, {"a": {"q0": 2.8}})
    assert status(r, "q0") == ("mistake", ["target_as_new_value"])
    # bootstrapping from the terminal T: 10 + 0.9 max(2, 1) = 11.8; the online network: 1 + 0.9 * 2 = 2.8
    q, r = grade("q_learning", QL, {"c": {"y_dqn": [3.7, 11.8]}})
    assert status(r, "y_dqn") == ("mistake", ["bootstrap_from_terminal"])
    q, r = grade("q_learning", QL, {"c": {"y_dqn": [2.8, 10]}})
    assert status(r, "y_dqn") == ("mistake", ["online_network_target"])


def test_q_learning_givens_errors():
    assert "S_0" in given_error("q_learning", {**QL, "states": ["T", "B", "A"]})
    assert "target needs 4 rows" in given_error("q_learning", {**QL, "target": QL["target"][:3]})


# --- epsilon_greedy: Q = (1, 3, 2, 0), epsilon = 0.2 ----------------------------------------------
EG = {"q": [1, 3, 2, 0], "epsilon": 0.2}


def test_epsilon_greedy_by_hand():
    v = values("epsilon_greedy", EG)
    assert v["greedy"] == "down"  # the actions are up, down, left, right
    # the course: greedy 1 - eps + eps/|A| = 0.8 + 0.05, the others eps/|A| = 0.05
    assert v["probs"] == pytest.approx([0.05, 0.85, 0.05, 0.05])
    assert v["p_explore"] == pytest.approx(0.15)
    assert v["expected"] == pytest.approx(0.05 * 1 + 0.85 * 3 + 0.05 * 2 + 0.05 * 0)


def test_epsilon_greedy_schedule_by_hand():
    # episode 3: 1 * 0.5^2 = 0.25 (above the floor 0.1); one decay too many: 0.125
    g = {"q": [1, 3, 2, 0], "eps_start": 1, "eps_decay": 0.5, "episode": 3, "eps_min": 0.1}
    assert values("epsilon_greedy", g)["eps"] == pytest.approx(0.25)
    q, r = grade("epsilon_greedy", g, {"a": {"eps": 0.125}})
    assert status(r, "eps") == ("mistake", ["decay_count_off_by_one"])
    # episode 4: 0.125 is below the floor 0.2, so eps = 0.2
    g4 = {**g, "episode": 4, "eps_min": 0.2}
    assert values("epsilon_greedy", g4)["eps"] == pytest.approx(0.2)
    q, r = grade("epsilon_greedy", g4, {"a": {"eps": 0.125}})
    assert status(r, "eps") == ("mistake", ["floor_ignored"])


def test_epsilon_greedy_follow_through_from_the_wrong_greedy_action():
    # "left" taken as greedy: (0.05, 0.05, 0.85, 0.05); expected 0.05 + 0.15 + 1.7 + 0 = 1.9
    q, r = grade("epsilon_greedy", EG, {"a": {"greedy": "left"},
                                        "b": {"probs": [0.05, 0.05, 0.85, 0.05]}, "c": {"expected": 1.9}})
    assert status(r, "greedy")[0] == "wrong"
    assert status(r, "probs")[0] == "follow_through" and status(r, "expected")[0] == "follow_through"


def test_epsilon_greedy_mistakes_are_named():
    # greedy 1 - eps = 0.8, the others 0.05: the one wrong entry fits both ways of forgetting eps/|A|
    q, r = grade("epsilon_greedy", EG, {"b": {"probs": [0.05, 0.8, 0.05, 0.05]}})
    assert status(r, "probs")[0] == "mistake" and "greedy_only_one_minus_eps" in status(r, "probs")[1]
    q, r = grade("epsilon_greedy", EG, {"b": {"probs": [0.2 / 3, 0.8, 0.2 / 3, 0.2 / 3]}})
    assert status(r, "probs") == ("mistake", ["eps_over_other_actions"])
    q, r = grade("epsilon_greedy", EG, {"b": {"p_explore": 0.2}})
    assert status(r, "p_explore") == ("mistake", ["explore_is_eps"])
    q, r = grade("epsilon_greedy", EG, {"c": {"expected": 3}})
    assert status(r, "expected") == ("mistake", ["expected_is_max"])
    q, r = grade("epsilon_greedy", EG, {"c": {"expected": 1.5}})
    assert status(r, "expected") == ("mistake", ["expected_uniform"])


# --- value_iteration: 2x3, terminal s[0,2] (reward 10), every other move -1, gamma 1 --------------
VI = {"rows": 2, "cols": 3, "terminals": [[0, 2]], "rewards": [[-1, -1, 10], [-1, -1, -1]],
      "gamma": 1, "sweeps": 2, "cells": [[0, 0], [1, 2]]}


def test_value_iteration_by_hand():
    v = values("value_iteration", VI)
    # v_1 = max over moves of R(s'): 10 next to the terminal, -1 elsewhere; the terminal stays 0
    assert v["v1"] == [[-1, 10, 0], [-1, -1, 10]]
    # v_2(s[0,0]) = -1 + 10 (right); v_2(s[1,0]) = -1 + (-1); v_2(s[1,1]) = -1 + 10 (up or right)
    assert v["v2"] == [[9, 10, 0], [-2, 9, 10]]
    # from s[0,0]: up/left stay -1 + 9 = 8, down -1 - 2 = -3, right -1 + 10 = 9 -> right;
    # from s[1,2]: up 10 + 0 = 10, down/right stay -1 + 10 = 9, left -1 + 9 = 8 -> up
    assert (v["pi_0_0"], v["pi_1_2"]) == ("right", "up")


def test_value_iteration_follow_through_from_a_wrong_v1():
    # v_1(s[0,1]) = 8 instead of 10: v_2(s[0,0]) = -1 + 8 = 7, the rest of v_2 is unchanged
    wrong = [[-1, 8, 0], [-1, -1, 10]]
    q, r = grade("value_iteration", VI, {"a": {"v1": wrong}, "b": {"v2": [[7, 10, 0], [-2, 9, 10]]}})
    assert status(r, "v1")[0] == "partial"
    assert status(r, "v2")[0] == "follow_through"


def test_value_iteration_mistakes_are_named():
    # the expectation over the four moves: v_1(s[0,1]) = (-1 - 1 - 1 + 10) / 4 = 1.75, ...
    q, r = grade("value_iteration", VI, {"a": {"v1": [[-1, 1.75, 0], [-1, -1, 1.75]]}})
    assert status(r, "v1") == ("mistake", ["expectation_not_max"])
    # the largest neighbour value alone from s[1,2]: v(stay) = 10 ties v(up)... the first, down, wins
    q, r = grade("value_iteration", VI, {"c": {"pi_1_2": "down"}})
    assert status(r, "pi_1_2") == ("mistake", ["policy_ignores_reward"])


# --- reinforce: theta = 0 (uniform policy), x = (1, 0) then (1, 1), actions a_1 then a_2 ------------
RF = {"theta": [[0, 0], [0, 0]], "features": [[1, 0], [1, 1]], "actions": [1, 2], "rewards": [0, 1],
      "gamma": 0.5, "alpha": 1, "baseline": 0.5}
GRAD0 = [[0.5, 0], [-0.5, 0]]  # rows: (1[j = 1] - 0.5) x_0
GRAD1 = [[-0.5, -0.5], [0.5, 0.5]]  # rows: (1[j = 2] - 0.5) x_1


def test_reinforce_by_hand():
    v = values("reinforce", RF)
    assert v["G"] == pytest.approx([0.5, 1])  # G_0 = 0 + 0.5 * 1
    assert v["h"] == [[0, 0], [0, 0]] and v["pi"] == [[0.5, 0.5], [0.5, 0.5]]
    assert v["grad0"] == GRAD0 and v["grad1"] == GRAD1
    # theta + 1 * (0.5 * grad0 + 1 * grad1)
    assert np.array(v["theta_new"]) == pytest.approx(np.array([[-0.25, -0.5], [0.25, 0.5]]))
    # weights G - b = (0, 0.5): 0.5 * grad1
    assert np.array(v["theta_base"]) == pytest.approx(np.array([[-0.25, -0.25], [0.25, 0.25]]))


def test_reinforce_softmax_by_hand():
    # theta_1 = (1, 0): h = (1, 0), pi(a_1) = e / (e + 1) = sigmoid(1)
    v = values("reinforce", {**RF, "theta": [[1, 0], [0, 0]], "features": [[1, 0]], "actions": [2], "rewards": [1]})
    p = 1 / (1 + math.exp(-1))
    assert np.array(v["pi"]) == pytest.approx(np.array([[p, 1 - p]]))
    assert np.array(v["grad0"]) == pytest.approx(np.array([[-p, 0], [p, 0]]))  # (0 - p, 1 - (1 - p)) x (1, 0)


def test_reinforce_follow_through_from_wrong_returns():
    # G = (2, 1): theta = 2 grad0 + grad1 = ((0.5, -0.5), (-0.5, 0.5)); with b: 1.5 grad0 + 0.5 grad1
    q, r = grade("reinforce", RF, {"a": {"G": [2, 1]}, "c": {"theta_new": [[0.5, -0.5], [-0.5, 0.5]]},
                                   "d": {"theta_base": [[0.5, -0.25], [-0.5, 0.25]]}})
    assert status(r, "G")[0] == "partial"
    assert status(r, "theta_new")[0] == "follow_through" and status(r, "theta_base")[0] == "follow_through"


def test_reinforce_mistakes_are_named():
    # G_0 at every step: 0.5 (grad0 + grad1); the baseline added: 1 grad0 + 1.5 grad1; descent: -theta_new
    q, r = grade("reinforce", RF, {"c": {"theta_new": [[0, -0.25], [0, 0.25]]}})
    assert status(r, "theta_new") == ("mistake", ["whole_episode_return"])
    q, r = grade("reinforce", RF, {"d": {"theta_base": [[-0.25, -0.75], [0.25, 0.75]]}})
    assert status(r, "theta_base") == ("mistake", ["baseline_added"])
    q, r = grade("reinforce", RF, {"c": {"theta_new": [[0.25, 0.5], [-0.25, -0.5]]}})
    assert status(r, "theta_new") == ("mistake", ["gradient_descent"])
    # 1 - pi for every action: ((0.5, 0), (0.5, 0))
    q, r = grade("reinforce", RF, {"b": {"grad0": [[0.5, 0], [0.5, 0]]}})
    assert status(r, "grad0") == ("mistake", ["grad_one_minus_pi"])
    # no discount: G = (1, 1)
    q, r = grade("reinforce", RF, {"a": {"G": [1, 1]}})
    assert status(r, "G") == ("mistake", ["discount_ignored"])


# --- sne: three points on a line, 2 sigma_i^2 = 1, map y = (0, 1, 2) ------------------------------
SIG = math.sqrt(0.5)
SNE = {"d2": [[0, 1, 4], [1, 0, 1], [4, 1, 0]], "sigma": [SIG, SIG, SIG], "y": [[0], [1], [2]],
       "perp_point": 2, "grad_point": 1}
A = 1 / (1 + math.exp(-3))  # p_{2|1} = e^-1 / (e^-1 + e^-4)
B = 1 - A  # p_{3|1}
P12, P13, P23 = (A + 0.5) / 6, 2 * B / 6, (0.5 + A) / 6
Q12, Q13, Q23 = 0.5 / 2.4, 0.2 / 2.4, 0.5 / 2.4  # (1 + d^2)^-1 = 1/2, 1/5, 1/2; sum over k != l = 2.4


def test_sne_by_hand():
    v = values("sne", SNE)
    assert np.array(v["p_cond"]) == pytest.approx(np.array([[0, A, B], [0.5, 0, 0.5], [B, A, 0]]))
    assert v["entropy"] == pytest.approx(1) and v["perplexity"] == pytest.approx(2)  # two equal neighbours
    assert np.array(v["p_joint"]) == pytest.approx(np.array([[0, P12, P13], [P12, 0, P23], [P13, P23, 0]]))
    Z = 2 * (2 * math.exp(-1) + math.exp(-4))
    assert v["q_sne"][0] == pytest.approx([0, math.exp(-1) / Z, math.exp(-4) / Z])
    assert np.array(v["q_tsne"]) == pytest.approx(np.array([[0, Q12, Q13], [Q12, 0, Q23], [Q13, Q23, 0]]))
    kl = 2 * (P12 * math.log(P12 / Q12) + P13 * math.log(P13 / Q13) + P23 * math.log(P23 / Q23))
    assert v["kl"] == pytest.approx(kl)
    # 4 [(p12 - q12)(0 - 1)(1/2) + (p13 - q13)(0 - 2)(1/5)]
    assert v["grad"] == pytest.approx([4 * (-(P12 - Q12) * 0.5 - 2 * (P13 - Q13) * 0.2)])


def test_sne_follow_through_from_a_wrong_q():
    # q_ij = 1/6 for every pair: C = sum p ln(6 p)
    uniform = [[0, 1 / 6, 1 / 6], [1 / 6, 0, 1 / 6], [1 / 6, 1 / 6, 0]]
    kl = 2 * sum(p * math.log(6 * p) for p in (P12, P13, P23))
    q, r = grade("sne", SNE, {"c": {"q_tsne": uniform}, "d": {"kl": kl}})
    assert status(r, "q_tsne")[0] in ("wrong", "partial")
    assert status(r, "kl")[0] == "follow_through"


def test_sne_mistakes_are_named():
    # forgetting 2n: (p_{j|i} + p_{i|j}) / 2
    half = [[0, 3 * P12, 3 * P13], [3 * P12, 0, 3 * P23], [3 * P13, 3 * P23, 0]]
    q, r = grade("sne", SNE, {"b": {"p_joint": half}})
    assert status(r, "p_joint") == ("mistake", ["forgot_2n"])
    # a Gaussian kernel in the map gives symmetric SNE's q
    q, r = grade("sne", SNE, {"c": {"q_tsne": q.step("q_sne").value}})
    assert status(r, "q_tsne") == ("mistake", ["gaussian_q"])
    # the entropy with ln: ln 2 = 0.6931 nats instead of 1 bit
    q, r = grade("sne", SNE, {"a": {"entropy": math.log(2)}})
    assert status(r, "entropy") == ("mistake", ["entropy_natural_log"])
    # KL(Q || P)
    rev = 2 * (Q12 * math.log(Q12 / P12) + Q13 * math.log(Q13 / P13) + Q23 * math.log(Q23 / P23))
    q, r = grade("sne", SNE, {"d": {"kl": rev}})
    assert status(r, "kl") == ("mistake", ["kl_reversed"])


def test_sne_givens_errors():
    assert "symmetric" in given_error("sne", {**SNE, "d2": [[0, 1, 4], [2, 0, 1], [4, 1, 0]]})


# --- autoencoder: 784 -> 128 -> 32, masking noise, rho = 0.1 -----------------------------------------
AE = {"sizes": [784, 128, 32], "x": [0.5, 1, 0.2, 0.8], "noise": "mask", "nu": 0.3, "u": [0.1, 0.5, 0.25, 0.9],
      "x_hat": [0.4, 0.9, 0.2, 0.8], "rho": 0.1, "activations": [[0.1, 0.3], [0.3, 0.1]]}
KL_UNIT = 0.1 * math.log(0.1 / 0.2) + 0.9 * math.log(0.9 / 0.8)  # rho_hat = 0.2 for both units


def test_autoencoder_by_hand():
    v = values("autoencoder", AE)
    # encoder 784*128 + 128 + 128*32 + 32; decoder 32*128 + 128 + 128*784 + 784
    assert (v["enc_params"], v["dec_params"], v["total_params"]) == (104608, 105360, 209968)
    assert v["ratio"] == pytest.approx(24.5)  # 784 / 32
    assert v["x_tilde"] == [0, 1, 0, 0.8]  # u < 0.3 for inputs 1 and 3
    assert v["loss"] == pytest.approx(0.01 + 0.01)  # against the clean x
    assert v["rho_hat"] == pytest.approx([0.2, 0.2])
    assert v["kl"] == pytest.approx([KL_UNIT, KL_UNIT])
    assert v["omega"] == pytest.approx(2 * KL_UNIT)


def test_autoencoder_tied_weights_and_gaussian_noise_by_hand():
    g = {**AE, "tied": True, "noise": "gaussian", "nu": None, "u": None, "noise_std": 0.2, "eps": [1, -0.5, 0, 0]}
    v = values("autoencoder", g)
    assert (v["dec_params"], v["total_params"]) == (128 + 784, 104608 + 912)  # biases only
    assert v["x_tilde"] == pytest.approx([0.7, 0.9, 0.2, 0.8])
    q, r = grade("autoencoder", g, {"a": {"dec_params": 105360}, "c": {"x_tilde": [0.54, 0.98, 0.2, 0.8]}})
    assert status(r, "dec_params") == ("mistake", ["tied_weights_counted"])
    assert status(r, "x_tilde") == ("mistake", ["sample_scaled_by_variance"])  # 0.2^2 = 0.04 times eps


def test_autoencoder_follow_through():
    # encoder counted as 104000: total 104000 + 105360; rho_hat (0.25, 0.2) carried into the KL terms
    kl1 = 0.1 * math.log(0.1 / 0.25) + 0.9 * math.log(0.9 / 0.75)
    q, r = grade("autoencoder", AE, {"a": {"enc_params": 104000, "total_params": 209360},
                                     "d": {"rho_hat": [0.25, 0.2], "kl": [kl1, KL_UNIT], "omega": kl1 + KL_UNIT}})
    assert status(r, "enc_params")[0] == "wrong" and status(r, "total_params")[0] == "follow_through"
    assert status(r, "rho_hat")[0] == "partial"
    assert status(r, "kl")[0] == "follow_through" and status(r, "omega")[0] == "follow_through"


def test_autoencoder_mistakes_are_named():
    q, r = grade("autoencoder", AE, {"a": {"enc_params": 784 * 128 + 128 * 32}, "b": {"ratio": 32 / 784}})
    assert status(r, "enc_params") == ("mistake", ["biases_not_counted"])
    assert status(r, "ratio") == ("mistake", ["ratio_inverted"])
    q, r = grade("autoencoder", AE, {"b": {"ratio": 784 / 128}})
    assert status(r, "ratio") == ("mistake", ["ratio_first_hidden"])
    # against the corrupted input: 0.4^2 + 0.1^2 + 0.2^2 + 0 = 0.21; the mask the wrong way round
    q, r = grade("autoencoder", AE, {"c": {"x_tilde": [0.5, 0, 0.2, 0], "loss": 0.21}})
    assert status(r, "x_tilde") == ("mistake", ["mask_inverted"])
    q, r = grade("autoencoder", AE, {"c": {"loss": 0.21}})
    assert status(r, "loss") == ("mistake", ["loss_vs_corrupted"])
    # KL(rho_hat || rho) = 0.2 ln 2 + 0.8 ln(0.8 / 0.9); only rho ln(rho / rho_hat) = 0.1 ln 0.5
    rev = 0.2 * math.log(2) + 0.8 * math.log(0.8 / 0.9)
    q, r = grade("autoencoder", AE, {"d": {"kl": [rev, rev]}})
    assert status(r, "kl") == ("mistake", ["kl_reversed"])
    q, r = grade("autoencoder", AE, {"d": {"kl": [0.1 * math.log(0.5)] * 2}})
    assert status(r, "kl") == ("mistake", ["kl_first_term_only"])


def test_autoencoder_givens_errors():
    assert "masking noise takes nu and u" in given_error("autoencoder", {**AE, "u": None})


# --- vae_latent: z_A = (0.5, -1), z_B = (2, 1), alpha = 0.25 ---------------------------------------
VL = {"mu_a": [0, 1], "sigma_a": [1, 2], "eps_a": [0.5, -1], "mu_b": [1, 0], "sigma_b": [0.5, 1], "eps_b": [2, 1],
      "alpha": 0.25, "W": [[1, 0], [0, 1], [1, 1]], "b": [0, 0, -1]}


def test_vae_latent_by_hand():
    v = values("vae_latent", VL)
    assert v["z_a"] == [0.5, -1] and v["z_b"] == [2, 1]  # (0 + 0.5 * 1, 1 - 1 * 2), (1 + 2 * 0.5, 0 + 1)
    assert v["z_alpha"] == pytest.approx([0.875, -0.5])  # 0.75 z_A + 0.25 z_B
    assert v["pre"] == pytest.approx([0.875, -0.5, -0.625])
    assert v["h"] == pytest.approx([0.875, 0, 0])


def test_vae_latent_follow_through():
    # z_A = (1, -1) (wrong): z = (0.75 + 0.5, -0.75 + 0.25) = (1.25, -0.5), pre = (1.25, -0.5, -0.25)
    q, r = grade("vae_latent", VL, {"a": {"z_a": [1, -1]}, "b": {"z_alpha": [1.25, -0.5]},
                                    "c": {"pre": [1.25, -0.5, -0.25], "h": [1.25, 0, 0]}})
    assert status(r, "z_a")[0] == "partial"
    assert [status(r, n)[0] for n in ("z_alpha", "pre", "h")] == ["follow_through"] * 3


def test_vae_latent_mistakes_are_named():
    q, r = grade("vae_latent", VL, {"a": {"z_a": [0.5, -3]}})  # 1 + (-1) * 2^2
    assert status(r, "z_a") == ("mistake", ["sample_scaled_by_variance"])
    q, r = grade("vae_latent", VL, {"b": {"z_alpha": [1.625, 0.5]}})  # 0.25 z_A + 0.75 z_B
    assert status(r, "z_alpha") == ("mistake", ["alpha_swapped"])
    q, r = grade("vae_latent", VL, {"b": {"z_alpha": [0.25, 0.75]}})  # 0.75 mu_A + 0.25 mu_B
    assert status(r, "z_alpha") == ("mistake", ["interpolated_means"])
    q, r = grade("vae_latent", VL, {"c": {"pre": [0.875, -0.5, 0.375], "h": [0.875, -0.5, -0.625]}})
    assert status(r, "pre") == ("mistake", ["bias_forgotten"])
    assert status(r, "h") == ("mistake", ["relu_forgotten"])


# log-variances for image A: log sigma_A^2 = (0, 2 ln 2) gives sigma_A = (e^0, e^{ln 2}) = (1, 2), as in VL
VL_LOG = {**{k: v for k, v in VL.items() if k != "sigma_a"}, "logvar_a": [0, 2 * math.log(2)]}


def test_vae_latent_log_variances_by_hand():
    v = values("vae_latent", VL_LOG)
    assert v["sigma_a"] == pytest.approx([1, 2]) and "sigma_b" not in v
    assert v["z_a"] == pytest.approx([0.5, -1]) and v["z_b"] == [2, 1]
    # sigma taken as e^{log sigma^2} = (1, 4): named; z_A = (0.5, 1 - 4) = (0.5, -3) follows through
    q, r = grade("vae_latent", VL_LOG, {"a": {"sigma_a": [1, 4], "z_a": [0.5, -3]}})
    assert status(r, "sigma_a") == ("mistake", ["sigma_is_exp_logvar"])
    assert status(r, "z_a")[0] == "follow_through"
    with pytest.raises(GivenError, match="exactly one of sigma_a and logvar_a"):
        registry.get("vae_latent").givens({**VL, "logvar_a": [0, 0]})
