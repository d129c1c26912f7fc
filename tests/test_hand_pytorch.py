"""Hand-worked cases for lecture 04's autograd_trace: the .grad values of small snippets worked out
by hand from the derivative rules (comments), the stored mistakes, grading, and bad snippets.
autograd_trace computes its answers with PyTorch, so these need torch; its oracle (hand-derived
rules in NumPy over many seeds) is tests/oracles/test_pytorch.py."""

from __future__ import annotations

import math

import pytest

from examgen import registry, solve
from examgen.grading.mark import grade_question

from .conftest import key_answers, needs_module, step_result

needs_module("torch")


MEAN_TWICE = {
    "tensors": [{"name": "a", "value": [1, 2]}, {"name": "b", "value": 3}],
    "lines": [{"name": "h", "expr": ["+", ["*", "a", "b"], 1]}, {"name": "L", "expr": ["mean", "h"]},
              {"backward": "L"}, {"name": "M", "expr": ["sum", ["**", "a", 2]]}, {"backward": "M"}],
}


def values(q):
    return {s.name: s.value for s in q.steps}


def test_hand_case_mean_then_a_second_backward():
    q = solve("autograd_trace", MEAN_TWICE)
    assert "    h = a * b + 1\n    L = h.mean()\n    L.backward()\n    M = (a ** 2).sum()\n    M.backward()" in q.stem
    assert "    a = torch.tensor([1.0, 2.0], requires_grad=True)" in q.stem
    v = values(q)
    # L = (a1 b + 1 + a2 b + 1) / 2: dL/da_i = b / 2 = 1.5, dL/db = (a1 + a2) / 2 = 1.5
    assert v["a_grad1"] == [1.5, 1.5] and v["b_grad1"] == 1.5
    # M = a1^2 + a2^2 adds 2 a_i = (2, 4) to a.grad; b.grad is unchanged
    assert v["a_grad2"] == [3.5, 5.5] and v["b_grad2"] == 1.5
    m = {x.name: x.values for x in q.mistakes}
    assert m["mean_without_1_over_n"] == {"a_grad1": [3, 3], "b_grad1": 3, "a_grad2": [5, 7], "b_grad2": 3}
    assert m["power_rule_factor"] == {"a_grad2": [2.5, 3.5]}  # a_i instead of 2 a_i
    assert m["no_accumulation"] == {"a_grad2": [2, 4], "b_grad2": 0}


def test_hand_case_grading_names_the_stored_mistakes():
    q = solve("autograd_trace", MEAN_TWICE)
    r = grade_question(q, {"a": {"a_grad1": "[3, 3]", "b_grad1": 3}, "b": {"a_grad2": [2, 4], "b_grad2": 0}})
    assert step_result(r, "a_grad1").mistakes == ["mean_without_1_over_n"]
    assert step_result(r, "a_grad2").mistakes == ["no_accumulation"]
    assert step_result(r, "b_grad2").mistakes == ["no_accumulation"]
    assert r.score == 0
    # no follow-through (the grader does not re-run this solver): right later values are just right
    r = grade_question(q, {"a": {"a_grad1": [9, 9], "b_grad1": 1.5}, "b": {"a_grad2": [3.5, 5.5], "b_grad2": 1.5}})
    assert step_result(r, "a_grad1").status == "wrong" and r.parts[1].score == 10
    assert grade_question(q, key_answers(q)).score == 20


def test_hand_case_relu():
    g = {"tensors": [{"name": "a", "value": [1, -2, 3]}, {"name": "w", "value": 2}],
         "lines": [{"name": "L", "expr": ["sum", ["relu", ["-", ["*", "a", "w"], 1]]]}, {"backward": "L"}]}
    q = solve("autograd_trace", g)
    assert "    L = torch.relu(a * w - 1).sum()" in q.stem
    v = values(q)
    # a w - 1 = (1, -5, 5): ReLU' = (1, 0, 1); dL/da_i = [.] w, dL/dw = sum [.] a_i = 1 + 3
    assert v["a_grad"] == [2, 0, 2] and v["w_grad"] == 4
    r = grade_question(q, {"a": {"a_grad": [2, 2, 2], "w_grad": 2}})  # w: 1 - 2 + 3
    assert step_result(r, "a_grad").status == "mistake"
    assert step_result(r, "a_grad").mistakes == step_result(r, "w_grad").mistakes == ["relu_derivative_one"]


def test_hand_case_sigmoid():
    g = {"tensors": [{"name": "x", "value": [0, 1]}, {"name": "w", "value": 1}],
         "lines": [{"name": "L", "expr": ["sum", ["sigmoid", ["*", "x", "w"]]]}, {"backward": "L"}]}
    q = solve("autograd_trace", g)
    s1 = 1 / (1 + math.exp(-1))
    assert r"\sigma(1) = 0.7311" in q.stem
    v = values(q)
    # sigma'(u) = sigma(u)(1 - sigma(u)): 0.25 at 0, 0.196612 at 1; dL/dx_i = sigma'(x_i w) w
    assert v["x_grad"] == pytest.approx([0.25, s1 * (1 - s1)]) and s1 * (1 - s1) == pytest.approx(0.196612, abs=1e-6)
    assert v["w_grad"] == pytest.approx(0 * 0.25 + 1 * s1 * (1 - s1))
    r = grade_question(q, {"a": {"x_grad": [0.5, 0.7311]}})
    assert step_result(r, "x_grad").mistakes == ["sigmoid_derivative"]


@pytest.mark.parametrize("change,why", [
    (lambda g: g["lines"].__setitem__(0, {"name": "h", "expr": ["exp", "a"]}), "op one of"),
    (lambda g: g["lines"].__setitem__(0, {"name": "h", "expr": ["**", "a", 4]}), "exponent 2 or 3"),
    (lambda g: g["lines"].__setitem__(0, {"name": "h", "expr": ["+", "a", "z"]}), "'z' is not defined"),
    (lambda g: g["lines"].__setitem__(1, {"name": "L", "expr": "h"}), "scalar"),
    (lambda g: g["lines"].__setitem__(3, {"name": "M", "expr": ["sum", "h"]}), "freed"),
    (lambda g: g["lines"].__setitem__(4, {"backward": "L"}), "already used"),
    (lambda g: g["lines"].__setitem__(1, {"name": "L", "expr": ["mean", ["*", "a", 2]]}), "reach every tensor"),
    (lambda g: g["lines"].__setitem__(0, {"name": "h", "expr": ["+", ["sum", "a"], "b"]}), "last operation"),
    (lambda g: g["lines"].__setitem__(0, {"name": "h", "expr": ["+", "a", -1]}), "use '-'"),
    (lambda g: g["lines"].__setitem__(0, {"name": "h", "expr": "__import__('os')"}), "not defined"),
    (lambda g: g["tensors"].__setitem__(1, {"name": "b", "value": [1, 2, 3]}), "same length"),
    (lambda g: g["tensors"].__setitem__(1, {"name": "bb", "value": 1}), "name"),
    (lambda g: g.update(lines=g["lines"][:3] + [{"name": "M", "expr": ["sum", ["**", "a", 2]]}]), "end with"),
    (lambda g: g.update(extra=1), "not a known field"),
])
def test_bad_snippets_are_one_line_errors(change, why):
    from examgen.registry import GivenError

    g = {"tensors": [dict(t) for t in MEAN_TWICE["tensors"]], "lines": [dict(x) for x in MEAN_TWICE["lines"]]}
    change(g)
    with pytest.raises(GivenError) as e:
        registry.get("autograd_trace").givens(g)
    assert why in str(e.value) and "\n" not in str(e.value), str(e.value)
