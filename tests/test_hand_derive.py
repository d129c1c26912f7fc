"""Hand-worked cases for the derivation generators (derive, derive_chain, derive_softmax): formulas derived by
hand from the course's definitions, follow-through from a student's own formulas, and named
mistakes. Expected formulas are written here independently and compared by equivalence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examgen import solve
from examgen.kinds.formula import equivalent
from examgen.registry import GivenError, get

from .conftest import grade, status


def values(q):
    return {s.name: s.value for s in q.steps}


# --- derive: sigmoid + cross-entropy, dL/dw; x = 2, w = 0.5, b = -1 (z = 0), y = 1, lr = 0.5 -----
LOGISTIC = {"activation": "sigmoid", "loss": "cross_entropy", "wrt": "w", "x": 2, "w": 0.5, "b": -1,
            "y": 1, "lr": 0.5}


def test_derive_logistic_reference_by_hand():
    q = solve("derive", LOGISTIC)
    v = values(q)
    # L = -y log a - (1-y) log(1-a): dL/da = -y/a + (1-y)/(1-a) = (a - y) / (a (1 - a))
    assert equivalent(v["dL_da"], "(a - y)/(a*(1 - a))", ["a", "y"])
    # sigma' = sigma (1 - sigma)
    assert equivalent(v["da_dz"], "a - a^2", ["a"])
    # the a(1-a) cancels: dL/dw = (a - y) x
    assert equivalent(v["dL_dw"], "a*x - y*x", ["a", "y", "x"])
    assert v["z"] == 0 and v["a"] == 0.5
    assert v["grad"] == pytest.approx(-1.0)  # (0.5 - 1) * 2
    assert v["w_new"] == pytest.approx(1.0)  # 0.5 - 0.5 * (-1)
    assert [p.id for p in q.parts] == ["a", "b", "c", "d"]


def test_derive_logistic_key_in_other_forms_scores_full_marks():
    q, r = grade("derive", LOGISTIC, {"a": {"dL_da": "-y/a+(1-y)/(1-a)"}, "b": {"da_dz": "a(1−a)"},
                                      "c": {"dL_dw": "x(a - y)"}, "d": {"grad": "-1", "w_new": "1,0"}})
    assert r.score == 40


def test_derive_logistic_follow_through_from_a_sign_error():
    # dL/da with the sign of the whole loss dropped: y/a - (1-y)/(1-a); chained on consistently:
    # (y/a - (1-y)/(1-a)) * a(1-a) * x = (y(1-a) - (1-y)a) x = (y - a) x; at a = 0.5, y = 1, x = 2: 1;
    # then w = 0.5 - 0.5 * 1 = 0
    q, r = grade("derive", LOGISTIC, {"a": {"dL_da": "y/a - (1-y)/(1-a)"}, "c": {"dL_dw": "(y - a)*x"},
                                      "d": {"grad": 1, "w_new": 0}})
    assert status(r, "dL_da") == ("mistake", ["loss_sign"])
    assert status(r, "da_dz")[0] == "correct"
    assert status(r, "dL_dw")[0] == "follow_through"
    assert status(r, "grad")[0] == "follow_through" and status(r, "w_new")[0] == "follow_through"
    assert r.parts[2].score == 8.0  # one step, right given the earlier formulas: 80 %


def test_derive_numbers_follow_the_students_own_formula():
    # a wrong formula in (c) (x left out): the numbers from it earn follow-through credit
    q, r = grade("derive", LOGISTIC, {"c": {"dL_dw": "a - y"}, "d": {"grad": -0.5, "w_new": 0.75}})
    assert status(r, "dL_dw") == ("mistake", ["inner_derivative_missing"])
    assert status(r, "grad")[0] == "follow_through" and status(r, "w_new")[0] == "follow_through"


def test_derive_logistic_named_mistakes():
    q, r = grade("derive", LOGISTIC, {"a": {"dL_da": "-y/a - (1-y)/(1-a)"}, "b": {"da_dz": "1 - a^2"},
                                      "d": {"w_new": 0.5 + 0.5 * -1.0}})
    assert status(r, "dL_da") == ("mistake", ["log_inner_derivative"])
    assert status(r, "da_dz") == ("mistake", ["tanh_derivative_for_sigmoid"])
    assert status(r, "w_new") == ("mistake", ["gradient_ascent"])
    # sigma' multiplied in a second time: (a - y) a (1 - a) x
    q, r = grade("derive", LOGISTIC, {"c": {"dL_dw": "(a-y)*a*(1-a)*x"}})
    assert status(r, "dL_dw") == ("mistake", ["sigmoid_derivative_twice"])
    q, r = grade("derive", LOGISTIC, {"b": {"da_dz": "a*(a-1)"}})
    assert status(r, "da_dz") == ("mistake", ["sigmoid_inner_sign"])


# --- derive with an L2 term: L = cross-entropy + (alpha/2) w^2, alpha = 0.5 ---------------------
L2 = {**LOGISTIC, "l2": 0.5}


def test_derive_l2_term_by_hand():
    q = solve("derive", L2)
    v = values(q)
    # d/dw (alpha/2) w^2 = alpha w, added to the chain rule's (a - y) x
    assert equivalent(v["dL_dw"], "x*(a - y) + alpha*w", ["a", "y", "x", "w", "alpha"])
    assert v["grad"] == pytest.approx(-1 + 0.5 * 0.5)        # (0.5 - 1) 2 + 0.5 * 0.5 = -0.75
    assert v["w_new"] == pytest.approx(0.5 + 0.5 * 0.75)     # 0.875
    assert r"\frac{\alpha}{2} w^2" in q.stem and r"\alpha = 0.5" in q.stem


def test_derive_l2_mistakes_and_follow_through():
    q, r = grade("derive", L2, {"c": {"dL_dw": "(a - y)*x"}, "d": {"grad": -1, "w_new": 1}})
    assert status(r, "dL_dw") == ("mistake", ["l2_term_forgotten"])
    assert status(r, "grad")[0] == "follow_through" and status(r, "w_new")[0] == "follow_through"
    q, r = grade("derive", L2, {"c": {"dL_dw": "(a - y)*x + 2*alpha*w"}})
    assert status(r, "dL_dw") == ("mistake", ["half_forgotten"])
    with pytest.raises(GivenError, match="wrt 'w'"):
        get("derive").givens({**L2, "wrt": "b"})


# --- derive: tanh + half squared loss, dL/db; x = 2, w = 0.5, b = 0 (z = 1), y = -1, lr = 0.1 -----
TANH = {"activation": "tanh", "loss": "half_squared", "wrt": "b", "x": 2, "w": 0.5, "b": 0, "y": -1, "lr": 0.1}
A1 = 0.7616  # tanh(1) from the question's table


def test_derive_tanh_reference_by_hand():
    v = values(solve("derive", TANH))
    assert equivalent(v["dL_da"], "a - y", ["a", "y"])  # d/da (a-y)^2 / 2
    assert equivalent(v["da_dz"], "(1 - a)*(1 + a)", ["a"])  # tanh' = 1 - tanh^2
    assert equivalent(v["dL_db"], "(a - y)*(1 - a^2)", ["a", "y", "x"])  # dz/db = 1
    assert v["z"] == 1 and v["a"] == A1
    grad = (A1 + 1) * (1 - A1 ** 2)  # 1.7616 * 0.41996544 = 0.739811
    assert v["grad"] == pytest.approx(0.739811, abs=1e-6) and v["grad"] == pytest.approx(grad)
    assert v["b_new"] == pytest.approx(-0.1 * grad)


def test_derive_tanh_named_mistakes():
    q, r = grade("derive", TANH, {"a": {"dL_da": "y - a"}, "b": {"da_dz": "a(1-a)"}})
    assert status(r, "dL_da") == ("mistake", ["error_sign"])
    assert status(r, "da_dz") == ("mistake", ["sigmoid_derivative_for_tanh"])
    q, r = grade("derive", TANH, {"b": {"da_dz": "1 - a"}, "c": {"dL_db": "(a - y)*(1 - a^2)*x"}})
    assert status(r, "da_dz") == ("mistake", ["tanh_square_missing"])
    q, r = grade("derive", TANH, {"c": {"dL_db": "(a - y)*(1 - a^2)*x"}})
    assert status(r, "dL_db") == ("mistake", ["bias_times_x"])
    q, r = grade("derive", TANH, {"c": {"dL_db": "a - y"}})
    assert status(r, "dL_db") == ("mistake", ["activation_derivative_missing"])


def test_derive_identity_has_no_activation_part_and_squared_loss_keeps_the_two():
    g = {"activation": "identity", "loss": "squared", "wrt": "w", "x": 3, "w": 1, "b": 0.5, "y": 2, "lr": 0.1}
    q = solve("derive", g)
    v = values(q)
    assert [p.id for p in q.parts] == ["a", "b", "c"] and "da_dz" not in v
    assert equivalent(v["dL_da"], "2a - 2y", ["a", "y"])
    assert equivalent(v["dL_dw"], "2*(a - y)*x", ["a", "y", "x"])
    assert v["z"] == v["a"] == 3.5 and v["grad"] == pytest.approx(9.0)  # 2 * 1.5 * 3
    assert v["w_new"] == pytest.approx(0.1)
    q, r = grade("derive", g, {"a": {"dL_da": "a - y"}})
    assert status(r, "dL_da") == ("mistake", ["power_rule_factor"])


@pytest.mark.parametrize("bad,why", [
    ({**LOGISTIC, "activation": "tanh"}, "use activation 'sigmoid'"),
    ({**LOGISTIC, "x": 0}, "x = 0"),
    ({**LOGISTIC, "y": 0.5, "w": 0, "b": 0}, "equals the target"),
    ({**LOGISTIC, "loss": "hinge"}, "loss"),
    ({**LOGISTIC, "extra": 1}, "not a known field"),
    ({k: v for k, v in LOGISTIC.items() if k != "y"}, "'y' is missing"),
    ({**LOGISTIC, "lr": 0}, "lr"),
])
def test_derive_bad_givens_are_one_line_errors(bad, why):
    with pytest.raises(GivenError) as e:
        get("derive").givens(bad)
    assert why in str(e.value) and "\n" not in str(e.value)


# --- derive_softmax: z = (1, 0, 0), true class 1, other class 2 -------------------------------
SOFT = {"z": [1, 0, 0], "target": 1, "other": 2}
S = math.e + 2
P1, P2 = math.e / S, 1 / S  # 0.576117, 0.211942


def test_softmax_reference_by_hand():
    v = values(solve("derive_softmax", SOFT))
    # quotient rule: d/dz1 e^z1 / S = (e^z1 S - e^z1 e^z1) / S^2 = p1 - p1^2
    assert equivalent(v["dp_tt"], "p1 - p1^2", ["p1"])
    assert equivalent(v["dp_tk"], "-(p1*p2)", ["p1", "p2"])  # (0 - e^z1 e^z2) / S^2
    # L = -log p1: dL/dz1 = -(1/p1)(p1 - p1^2) = p1 - 1, dL/dz2 = -(1/p1)(-p1 p2) = p2
    assert equivalent(v["dL_dzt"], "-(1 - p1)", ["p1", "p2"])
    assert equivalent(v["dL_dzk"], "p2", ["p1", "p2"])
    assert v["p"] == pytest.approx([P1, P2, P2]) and P1 == pytest.approx(0.576117, abs=1e-6)
    assert v["loss"] == pytest.approx(-math.log(P1))  # 0.551445
    assert v["grad"] == pytest.approx([P1 - 1, P2, P2])


def test_softmax_follow_through_from_a_constant_denominator():
    # dp1/dz1 taken as p1 (denominator treated as constant): then dL/dz1 = -(1/p1) p1 = -1,
    # and the numbers from it: (-1, p2, p3)
    q, r = grade("derive_softmax", SOFT, {"a": {"dp_tt": "p1"}, "c": {"dL_dzt": "-1"},
                                          "d": {"grad": [-1, round(P2, 4), round(P2, 4)]}})
    assert status(r, "dp_tt") == ("mistake", ["denominator_constant"])
    assert status(r, "dL_dzt")[0] == "follow_through" and status(r, "dL_dzk")[0] == "correct"
    assert status(r, "grad")[0] == "follow_through"


def test_softmax_named_mistakes():
    q, r = grade("derive_softmax", SOFT, {"b": {"dp_tk": "0"}, "c": {"dL_dzt": "1 - p1", "dL_dzk": "-p2"}})
    assert status(r, "dp_tk") == ("mistake", ["independent"])
    # the sign slip in (c), checked against the student's own (b) = 0: still named
    assert status(r, "dL_dzt") == ("mistake", ["error_sign"])
    q, r = grade("derive_softmax", SOFT, {"b": {"dp_tk": "p1*p2"}})
    assert status(r, "dp_tk") == ("mistake", ["quotient_sign"])
    q, r = grade("derive_softmax", SOFT, {"c": {"dL_dzt": "-p1*(1-p1)", "dL_dzk": "p1*p2"}})
    assert status(r, "dL_dzt") == ("mistake", ["log_derivative_missing"])
    assert status(r, "dL_dzk") == ("mistake", ["log_derivative_missing"])


# softmax regression: the same scores from z = Wx + b with x = (2, -1)
LINEAR = {**SOFT, "x": [2, -1]}


def test_softmax_linear_layer_by_hand():
    v = values(solve("derive_softmax", LINEAR))
    # z_j = sum_i W_ji x_i + b_j: dz_j/dW_ji = x_i, dz_j/db_j = 1, so dL/dW_11 = (p1 - 1) x1, dL/dW_21 = p2 x1
    assert equivalent(v["dL_dWt1"], "p1*x1 - x1", ["p1", "p2", "x1"])
    assert equivalent(v["dL_dWk1"], "x1*p2", ["p1", "p2", "x1"])
    # dL/dW = (p - y) x^T, row j = (2 (p_j - y_j), -(p_j - y_j)); dL/db = p - y
    assert np.allclose(v["grad_W"], [[2 * (P1 - 1), 1 - P1], [2 * P2, -P2], [2 * P2, -P2]])
    assert v["grad_b"] == pytest.approx([P1 - 1, P2, P2])


def test_softmax_linear_layer_follow_through_and_mistake():
    # with the constant-denominator gradient (-1, p2, p3) from (d), dL/dW row 1 is (-2, 1)
    q, r = grade("derive_softmax", LINEAR, {"a": {"dp_tt": "p1"}, "c": {"dL_dzt": "-1"},
                                            "d": {"grad": [-1, round(P2, 4), round(P2, 4)]},
                                            "e": {"dL_dWt1": "-x1"},
                                            "f": {"grad_W": [[-2, 1], [2 * P2, -P2], [2 * P2, -P2]]}})
    assert status(r, "dL_dWt1")[0] == "follow_through" and status(r, "grad_W")[0] == "follow_through"
    # x forgotten: dL/dW_11 = p1 - 1, and dL/dW with every column equal to dL/dz
    q, r = grade("derive_softmax", LINEAR, {"e": {"dL_dWt1": "p1 - 1", "dL_dWk1": "p2"},
                                            "f": {"grad_W": [[P1 - 1, P1 - 1], [P2, P2], [P2, P2]]}})
    for name in ("dL_dWt1", "dL_dWk1", "grad_W"):
        assert status(r, name) == ("mistake", ["inner_derivative_missing"])


def test_softmax_bad_givens():
    for bad in ({**SOFT, "other": 1}, {**SOFT, "target": 4}, {**SOFT, "z": [1]}, {**LINEAR, "x": []},
                {**LINEAR, "x": [1, 2, 3, 4, 5]}, {**LINEAR, "x": [1e6, 1]}):
        with pytest.raises(GivenError):
            get("derive_softmax").givens(bad)


# --- derive_chain: ReLU hidden unit, identity output, half squared error ----------------------
# x = 2, w1 = 0.5, b1 = 0: z1 = 1, h = 1; w2 = 2, b2 = 0.5: z2 = a = 2.5; y = 1, lr = 0.1
CHAIN = {"hidden": "relu", "output": "identity", "loss": "half_squared", "x": 2, "w1": 0.5, "b1": 0,
         "w2": 2, "b2": 0.5, "y": 1, "lr": 0.1}
ALL = ["a", "y", "w2", "h", "x"]


def test_derive_chain_reference_by_hand():
    q = solve("derive_chain", CHAIN)
    v = values(q)
    assert equivalent(v["dL_dz2"], "a - y", ["a", "y"])                 # d/da (a - y)^2 / 2, a = z2
    assert equivalent(v["dL_dh"], "w2*a - w2*y", ["a", "y", "w2"])       # dz2/dh = w2
    assert equivalent(v["dh_dz1"], "1", ["h"])                          # ReLU' = 1 for z1 > 0
    assert equivalent(v["dL_dw1"], "(a - y)*w2*x", ALL)
    assert (v["z1"], v["h"], v["z2"], v["a"]) == (1, 1, 2.5, 2.5)
    assert v["grad"] == pytest.approx(6.0)                              # 1.5 * 2 * 1 * 2
    assert v["w1_new"] == pytest.approx(-0.1)                           # 0.5 - 0.1 * 6
    assert [p.id for p in q.parts] == ["a", "b", "c", "d", "e"]


def test_derive_chain_follow_through_and_mistakes():
    # w2 left out of dL/dh: named; dL/dw1 and the numbers from it follow through: (a - y) x = 3, w1 = 0.2
    q, r = grade("derive_chain", CHAIN, {"b": {"dL_dh": "a - y"}, "d": {"dL_dw1": "(a - y)*x"},
                                         "e": {"grad": 3, "w1_new": 0.2}})
    assert status(r, "dL_dh") == ("mistake", ["output_weight_missing"])
    for name in ("dL_dw1", "grad", "w1_new"):
        assert status(r, name)[0] == "follow_through", name
    q, r = grade("derive_chain", CHAIN, {"c": {"dh_dz1": "h"}})
    assert status(r, "dh_dz1") == ("mistake", ["relu_derivative_as_output"])
    q, r = grade("derive_chain", CHAIN, {"d": {"dL_dw1": "(a - y)*w2"}})
    assert status(r, "dL_dw1") == ("mistake", ["inner_derivative_missing"])


def test_derive_chain_tanh_sigmoid_cross_entropy_by_hand():
    # z1 = 0: h = tanh(0) = 0, tanh' = 1; z2 = b2 = 0: a = 0.5; y = 1: dL/dz2 = a - y = -0.5
    g = {"hidden": "tanh", "output": "sigmoid", "loss": "cross_entropy", "x": 1, "w1": 1, "b1": -1,
         "w2": 2, "b2": 0, "y": 1, "lr": 1}
    v = values(solve("derive_chain", g))
    assert equivalent(v["dL_dz2"], "a - y", ["a", "y"])                 # sigma' cancels the cross-entropy
    assert equivalent(v["dh_dz1"], "(1 - h)*(1 + h)", ["h"])
    assert (v["h"], v["a"]) == (0, 0.5)
    assert v["grad"] == pytest.approx(-0.5 * 2 * 1 * 1) and v["w1_new"] == pytest.approx(2)
    q, r = grade("derive_chain", g, {"c": {"dh_dz1": "1 - h"}})
    assert status(r, "dh_dz1") == ("mistake", ["tanh_square_missing"])


@pytest.mark.parametrize("bad,why", [
    ({**CHAIN, "b1": -2}, "inactive"),
    ({**CHAIN, "loss": "cross_entropy"}, "output 'sigmoid'"),
    ({**CHAIN, "w2": 0}, "w2 = 0"),
])
def test_derive_chain_bad_givens(bad, why):
    with pytest.raises(GivenError) as e:
        get("derive_chain").givens(bad)
    assert why in str(e.value) and "\n" not in str(e.value)
