"""Hand-worked cases for what issue 15 added to the lecture-14 generators: bellman's three sweeps
and its converged-v_pi form (including Sutton & Barto's published grid world), ties that a teacher
gives (value_iteration, epsilon_greedy), Q-learning's max step, gamma = 0, epsilon's precision;
then properties of the draws (no weak bellman cells, no baseline equal to a return) and of every
stem here (the precision it states is the tolerance, the calculator policy). The reference values
are worked by hand in the comments; none is copied from the code under test."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from examgen import registry
from examgen.grading.mark import grade_question
from examgen.kinds.parse import LETTERS
from examgen.registry import GivenError
from examgen.render.html import worked_html

from .conftest import grade, key_answers, questions, status, values

RL = ["bellman", "value_iteration", "epsilon_greedy", "q_learning", "discounted_return", "reinforce"]


def given_error(gid: str, givens: dict) -> str:
    with pytest.raises(GivenError) as e:
        registry.get(gid).givens(givens)
    return str(e.value)


# --- bellman, three sweeps: 3x3, terminal s[0,0], R = -1, gamma = 1, asked cell s[0,1] ------------
B3 = {"rows": 3, "cols": 3, "terminals": [[0, 0]], "sweeps": 3, "cell": [0, 1]}
V1 = [[0, -1, -1], [-1, -1, -1], [-1, -1, -1]]
# v_2: next to the terminal -1 + (-1 - 1 + 0 - 1) / 4 = -1.75; elsewhere every move finds -1: -2
V2 = [[0, -1.75, -2], [-1.75, -2, -2], [-2, -2, -2]]


def test_bellman_three_sweeps_by_hand():
    q, v = registry.get("bellman").build(registry.get("bellman").givens(B3)), values("bellman", B3)
    assert [p.steps for p in q.parts] == [["v1", "v2"], ["v3_cell"]]  # v_1 alone is R everywhere
    assert v["v1"] == V1 and v["v2"] == V2
    # from s[0,1]: up runs off the grid (stays: v_2 = -1.75), down s[1,1] = -2, left the terminal 0,
    # right s[0,2] = -2: -1 + (-1.75 - 2 + 0 - 2) / 4 = -2.4375 (without a terminal: -3)
    assert v["v3_cell"] == pytest.approx(-2.4375)


def test_bellman_three_sweeps_follow_through():
    # v_2 = -2 everywhere off the terminal: v_3(s[0,1]) = -1 + (-2 - 2 + 0 - 2) / 4 = -2.5
    wrong = [[0, -2, -2], [-2, -2, -2], [-2, -2, -2]]
    q, r = grade("bellman", B3, {"a": {"v2": wrong}, "b": {"v3_cell": -2.5}})
    assert status(r, "v2")[0] == "partial" and status(r, "v3_cell")[0] == "follow_through"


def test_bellman_three_sweeps_mistakes_are_named():
    # a move off the grid counted as 0, throughout: v_2(s[0,1]) = -1 + (0 - 1 + 0 - 1) / 4 = -1.5,
    # v_2(s[0,2]) = -1 + (0 - 1 - 1 + 0) / 4 = -1.5, v_2(s[1,2]) = -1 + (-1 - 1 - 1 + 0) / 4 = -1.75, ...
    zero = [[0, -1.5, -1.5], [-1.5, -2, -1.75], [-1.5, -1.75, -1.5]]
    q, r = grade("bellman", B3, {"a": {"v2": zero}})
    assert status(r, "v2") == ("mistake", ["off_grid_zero"])
    # from the right v_2: off-grid as 0 gives -1 + (0 - 2 + 0 - 2) / 4 = -2; averaging over the three
    # moves on the grid gives -1 + (-2 + 0 - 2) / 3 = -7/3
    q, r = grade("bellman", B3, {"b": {"v3_cell": -2}})
    assert status(r, "v3_cell") == ("mistake", ["off_grid_zero"])
    q, r = grade("bellman", B3, {"b": {"v3_cell": -7 / 3}})
    assert status(r, "v3_cell") == ("mistake", ["legal_moves_only"])


def test_bellman_ten_sweeps_ask_every_grid():
    q = registry.get("bellman").build(registry.get("bellman").givens({**B3, "sweeps": 10}))
    assert [p.steps for p in q.parts] == [["v1", "v2"]] + [[f"v{k}"] for k in range(3, 10)] + [["v10_cell"]]
    assert "less than or equal to 10" in given_error("bellman", {**B3, "sweeps": 11})


def test_bellman_sutton_barto_figure_4_1():
    """Sutton & Barto (2018), Example 4.1 / Figure 4.1: 4x4, terminal corners, R = -1, gamma = 1.
    Published: v_1 = -1 off the terminals, v_2 = -1.7 next to a terminal and -2.0 elsewhere, v_3 and
    v_10 to 1 decimal, and the random policy's converged v_pi in whole numbers."""
    world = dict(rows=4, cols=4, terminals=[[0, 0], [3, 3]], gamma=1)
    shown = 0.05 + 1e-9  # the book's 1 decimal (it prints -1.75 as -1.7)
    k3 = [[0, -2.4, -2.9, -3.0], [-2.4, -2.9, -3.0, -2.9], [-2.9, -3.0, -2.9, -2.4], [-3.0, -2.9, -2.4, 0]]
    k10 = [[0, -6.1, -8.4, -9.0], [-6.1, -7.7, -8.4, -8.4], [-8.4, -8.4, -7.7, -6.1], [-9.0, -8.4, -6.1, 0]]
    v = values("bellman", {**world, "sweeps": 10, "cell": [1, 2]})
    assert np.array(v["v1"])[[0, 1, 2, 3], [1, 1, 2, 2]].tolist() == [-1] * 4
    assert np.abs(np.array(v["v2"]) - [[0, -1.7, -2, -2], [-1.7, -2, -2, -2], [-2, -2, -2, -1.7],
                                       [-2, -2, -1.7, 0]]).max() <= shown
    assert np.abs(np.array(v["v3"]) - k3).max() <= shown
    assert v["v10_cell"] == pytest.approx(k10[1][2], abs=shown)
    v = values("bellman", {**world, "form": "converged", "cell": [1, 1]})
    assert v["succ"] == [-14, -20, -14, -20] and v["rhs"] == -18  # -1 + (-14 - 20 - 14 - 20) / 4


# --- bellman, converged: 2x2, terminal s[0,0], R = -1 --------------------------------------------
# gamma = 1, by symmetry v(s[0,1]) = v(s[1,0]) = a, v(s[1,1]) = c:
#   a = -1 + (a + c + 0 + a) / 4 and c = -1 + (a + c + a + c) / 4  ->  a = -6, c = -8 (exact)
C2 = {"rows": 2, "cols": 2, "terminals": [[0, 0]], "form": "converged", "cell": [1, 1]}
# gamma = 0.5: a = -1 + (2a + c) / 8, c = -1 + (2a + 2c) / 8  ->  a = -28/17 = -1.647, c = -32/17 = -1.882
C2H = {**C2, "gamma": 0.5}


def test_bellman_converged_by_hand():
    gen = registry.get("bellman")
    g = gen.givens(C2)
    q = gen.build(g)
    assert g.table()[0].tolist() == [[0, -6], [-6, -8]] and "exactly," in q.stem
    v = values("bellman", C2)
    # from s[1,1]: up s[0,1] = -6, down off the grid (stays) -8, left s[1,0] = -6, right off -8
    assert v["succ"] == [-6, -8, -6, -8]
    assert v["rhs"] == -8  # -1 + (-28) / 4 = v_pi(s[1,1]): the Bellman equation holds
    assert v["why"].startswith("$v_\\pi$ satisfies the Bellman expectation equation")
    # from s[0,1]: up off (stays) -6, down -8, left the terminal 0, right off -6: -1 + (-20) / 4 = -6
    v = values("bellman", {**C2, "cell": [0, 1]})
    assert v["succ"] == [-6, -8, 0, -6] and v["rhs"] == -6


def test_bellman_converged_rounded_by_hand():
    g = registry.get("bellman").givens(C2H)
    assert g.table()[0].tolist() == [[0, -1.65], [-1.65, -1.88]]  # -28/17 and -32/17 to 2 decimals
    assert "rounded to 2 decimals" in registry.get("bellman").build(g).stem
    v = values("bellman", C2H)
    # from the shown table: -1 + 0.5 (-1.65 - 1.88 - 1.65 - 1.88) / 4 = -1.8825, within rounding of -32/17
    assert v["rhs"] == pytest.approx(-1.8825)
    q, r = grade("bellman", C2H, {"b": {"rhs": -1.88}})
    assert status(r, "rhs")[0] == "correct"


def test_bellman_converged_follow_through_and_mistakes():
    # a wrong successor list, then the right-hand side from it: -1 + (-6 - 8 - 6 - 6) / 4 = -7.5
    q, r = grade("bellman", C2, {"a": {"succ": [-6, -8, -6, -6]}, "b": {"rhs": -7.5}})
    assert status(r, "succ")[0] == "partial" and status(r, "rhs")[0] == "follow_through"
    # the two moves off the grid as 0
    q, r = grade("bellman", C2, {"a": {"succ": [-6, 0, -6, 0]}})
    assert status(r, "succ") == ("mistake", ["off_grid_zero"])
    # only the two moves on the grid, each 1/2: -1 + (-6 - 6) / 2 = -7
    q, r = grade("bellman", C2, {"b": {"rhs": -7}})
    assert status(r, "rhs") == ("mistake", ["legal_moves_only"])
    # gamma = 0.5 left out: -1 + (-7.06) / 4 = -2.765
    q, r = grade("bellman", C2H, {"b": {"rhs": -2.765}})
    assert status(r, "rhs") == ("mistake", ["discount_ignored"])


def test_bellman_converged_why_is_lettered_and_named():
    q = registry.get("bellman").build(registry.get("bellman").givens(C2))
    options = q.step("why").options
    right = LETTERS[options.index(q.step("why").value)]
    assert f"{right}: $v_\\pi$ satisfies" in q.parts[2].prompt
    answers = key_answers(q)
    answers["c"]["why"] = right
    assert grade_question(q, answers).score == grade_question(q, answers).points
    for name, start in (("fixed_point_as_greedy", "the policy is greedy"),
                        ("fixed_point_as_small_change", "the discount makes"),
                        ("fixed_point_as_terminal", "the terminal cells")):
        wrong = next(i for i, o in enumerate(options) if o.startswith(start))
        q, r = grade("bellman", C2, {"c": {"why": LETTERS[wrong]}})
        assert status(r, "why") == ("mistake", [name])


def test_bellman_givens_errors():
    assert "converged form has none" in given_error("bellman", {**C2, "sweeps": 3})
    assert "terminal" in given_error("bellman", {**C2, "cell": [0, 0]})


# --- gamma = 0 wherever a discount is given --------------------------------------------------------


def test_gamma_zero_by_hand():
    # bellman: every sweep gives R; the converged v_pi is R
    v = values("bellman", {**B3, "gamma": 0})
    assert v["v2"] == [[0, -1, -1], [-1, -1, -1], [-1, -1, -1]] and v["v3_cell"] == -1
    assert values("bellman", {**C2, "gamma": 0})["rhs"] == -1
    # discounted return: G_t = R_t; a continuing tail r / (1 - 0) = r
    v = values("discounted_return", {"rewards": [1, 0, 4], "gamma": 0, "tail": 2})
    assert (v["G3"], v["G2"], v["G1"], v["G0"]) == (2, 4, 0, 1)
    # q-learning: y = R; the max is still the next state's best value
    v = values("q_learning", {"q": [[0, 1], [2, 0.5], [1, -1]], "target": [[0.5, 0], [1, 3], [0, 0.5], [2, 1]],
                              "alpha": 0.5, "gamma": 0, "states": ["A", "B", "C"], "actions": [2, 2],
                              "rewards": [1, 10]})
    # y_0 = 1, delta_0 = 1 - 1 = 0, Q(A, a_2) stays 1; y_1 = 10, delta_1 = 9.5, Q(B, a_2) = 0.5 + 4.75
    assert (v["max0"], v["y0"], v["q0"], v["max1"], v["y1"], v["q1"]) == pytest.approx((2, 1, 1, 1, 10, 5.25))
    # reinforce with theta = 0: G = (0, 1); theta = grad_1 = ((-0.5, -0.5), (0.5, 0.5))
    v = values("reinforce", {"theta": [[0, 0], [0, 0]], "features": [[1, 0], [1, 1]], "actions": [1, 2],
                             "rewards": [0, 1], "gamma": 0, "alpha": 1, "baseline": 0.5})
    assert v["G"] == [0, 1] and v["theta_new"] == [[-0.5, -0.5], [0.5, 0.5]]
    # value iteration: v_k(s) = max_a R(s'_a) for every k; in s[0,0] all four moves give -1: a tie
    vi = {"rows": 2, "cols": 3, "terminals": [[0, 2]], "rewards": [[-1, -1, 10], [-1, -1, -1]],
          "gamma": 0, "sweeps": 2, "cells": [[0, 0], [1, 2]]}
    v = values("value_iteration", vi)
    assert v["v1"] == v["v2"] == [[-1, 10, 0], [-1, -1, 10]]
    q = registry.get("value_iteration").build(registry.get("value_iteration").givens(vi))
    step = q.step("pi_0_0")
    assert {step.value, *step.alternatives} == {"up", "down", "left", "right"}
    assert v["pi_1_2"] == "up" and not q.step("pi_1_2").alternatives  # up enters the goal: 10


# --- ties a teacher gives ------------------------------------------------------------------------
VI = {"rows": 2, "cols": 3, "terminals": [[0, 2]], "rewards": [[-1, -1, 10], [-1, -1, -1]],
      "gamma": 1, "sweeps": 2, "cells": [[1, 0], [0, 0]]}


def test_value_iteration_tie_accepts_either_move():
    # v_2 = ((9, 10, 0), (-2, 9, 10)); from s[1,0]: up -1 + 9 = 8, right -1 + 9 = 8, down/left stay
    # -1 - 2 = -3: up and right tie; from s[0,0] right (-1 + 10 = 9) is unique
    q = registry.get("value_iteration").build(registry.get("value_iteration").givens(VI))
    assert "each of them is a right answer" in q.stem
    step = q.step("pi_1_0")
    assert {step.value, *step.alternatives} == {"up", "right"}
    assert "Equally right (a tie)" in worked_html(step)
    for move in ("up", "right"):
        q, r = grade("value_iteration", VI, {"c": {"pi_1_0": move}})
        assert status(r, "pi_1_0")[0] == "correct" and r.parts[2].score == 10
    q, r = grade("value_iteration", VI, {"c": {"pi_1_0": "down"}})
    assert status(r, "pi_1_0")[0] != "correct"
    assert "is unique" in registry.get("value_iteration").build(
        registry.get("value_iteration").givens({**VI, "cells": [[0, 0]]})).stem


EGT = {"q": [3, 1, 3], "epsilon": 0.3}  # actions left, stay, right: left and right tie


def test_epsilon_greedy_tie_by_hand():
    q = registry.get("epsilon_greedy").build(registry.get("epsilon_greedy").givens(EGT))
    assert "Ties are broken uniformly at random" in q.stem
    v = values("epsilon_greedy", EGT)
    # each tied action: (1 - 0.3) / 2 + 0.3 / 3 = 0.45; "stay": 0.1
    assert v["probs"] == pytest.approx([0.45, 0.1, 0.45])
    assert v["p_explore"] == pytest.approx(0.1)  # outside the tie: 0.3 (3 - 2) / 3
    assert v["expected"] == pytest.approx(0.45 * 3 + 0.1 * 1 + 0.45 * 3)
    assert {q.step("greedy").value, *q.step("greedy").alternatives} == {"left", "right"}
    q, r = grade("epsilon_greedy", EGT, {"a": {"greedy": "right"}})
    assert r.score == r.points  # either tied action, and the probabilities do not depend on which


def test_epsilon_greedy_tie_follow_through_and_mistakes():
    # "stay" named greedy (wrong): it gets 0.7 + 0.1 = 0.8, the others 0.1; P(non-greedy) = 0.2;
    # expected 0.1 * 3 + 0.8 * 1 + 0.1 * 3 = 1.4
    q, r = grade("epsilon_greedy", EGT, {"a": {"greedy": "stay"}, "b": {"probs": [0.1, 0.8, 0.1], "p_explore": 0.2},
                                         "c": {"expected": 1.4}})
    assert status(r, "greedy")[0] == "wrong"
    assert [status(r, n)[0] for n in ("probs", "p_explore", "expected")] == ["follow_through"] * 3
    # the whole 1 - eps to the one tied action named, whichever it is
    for greedy, probs in (("left", [0.8, 0.1, 0.1]), ("right", [0.1, 0.1, 0.8])):
        q, r = grade("epsilon_greedy", EGT, {"a": {"greedy": greedy}, "b": {"probs": probs}})
        assert status(r, "probs") == ("mistake", ["tie_not_split"])


def test_epsilon_precision_is_the_three_decimals_asked():
    # episode 5 of 1 * 0.8^(k-1): 0.8^4 = 0.4096, given to 3 decimals as 0.410
    g = {"q": [1, 3, 2, 0], "eps_start": 1, "eps_decay": 0.8, "episode": 5}
    assert values("epsilon_greedy", g)["eps"] == pytest.approx(0.4096)
    q, r = grade("epsilon_greedy", g, {"a": {"eps": 0.41}})
    assert status(r, "eps")[0] == "correct"


# --- the draws -----------------------------------------------------------------------------------


def test_bellman_draws_ask_cells_where_the_terminal_and_the_walls_matter():
    gen = registry.get("bellman")
    forms = set()
    for q, g, v in questions("bellman"):
        forms.add(g.form)
        r, c = g.cell
        assert r in (0, g.rows - 1) or c in (0, g.cols - 1), (q.seed, "the asked cell touches a wall")
        last = q.parts[-1].steps[0] if g.form == "sweeps" else "rhs"
        for mistake in ("off_grid_zero", "legal_moves_only"):  # the walls' rule changes the answer
            assert abs(gen.run(g, mistake=mistake).values[last] - v[last]) >= 0.01, (q.seed, mistake)
        if g.form == "sweeps":
            assert g.sweeps <= 3 and q.parts[0].steps == ["v1", "v2"], q.seed
            free = ~g.terminal_mask()
            assert len(set(np.array(v["v2"])[free].tolist())) > 1, (q.seed, "v_2 is not uniform")
            no_terminal = g.reward * sum(g.gamma ** k for k in range(g.sweeps))
            assert abs(v[last] - no_terminal) >= 0.01, (q.seed, "the terminal matters")
    assert forms == {"sweeps", "converged"}


def test_reinforce_draws_no_baseline_equal_to_a_return():
    for q, g, v in questions("reinforce"):
        assert all(abs(x - g.baseline) > 1e-9 for x in v["G"]) and g.baseline != 0, q.seed


# --- every stem here -----------------------------------------------------------------------------


@pytest.mark.parametrize("gid", RL)
def test_stated_precision_is_the_tolerance(gid):
    """'Give values to d decimals': every numeric step is graded to exactly d decimals."""
    for q, g, v in questions(gid, range(60)):
        stated = {int(d) for d in re.findall(r"Give (?:values|answers) to (\d) decimals", q.stem)}
        assert len(stated) == 1, (q.seed, q.stem[-120:])
        for st in q.steps:
            if st.tolerance is not None:
                assert st.tolerance.decimals in stated and st.tolerance.sigfigs is None, (q.seed, st.name)


@pytest.mark.parametrize("gid", RL)
def test_calculator_policy(gid):
    """Hand-computable stems say nothing about calculators; reinforce gives the exponentials it needs."""
    for q, g, v in questions(gid, range(60)):
        assert "calculator" not in q.stem.lower(), q.seed
        if gid == "reinforce":
            assert "You may use $e^{" in q.stem, q.seed
    stem = registry.get("reinforce").build(registry.get("reinforce").givens(
        {"theta": [[0.5, 0], [0, 0]], "features": [[1, 0]], "actions": [1], "rewards": [1], "alpha": 1,
         "baseline": 0.5})).stem
    assert "You may use a calculator for the exponentials." in stem and math.isfinite(len(stem))
