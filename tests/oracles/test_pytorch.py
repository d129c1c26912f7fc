"""autograd_trace: the .grad values (computed by the generator with PyTorch) against hand-derived
NumPy formulas over ORACLE_SEEDS seeds (default 200); the printed code run as Python with torch;
the stored mistakes; hand-worked cases; and the promise that only this generator imports torch."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from examgen import registry, solve
from examgen.grading.mark import grade_question

from ..conftest import SEEDS, key_answers, run_cli, step_result

TOL = 1e-9


def close(actual, expected, tol=TOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=tol, atol=tol)


# --- the oracle: forward-mode derivatives with the rules written out by hand --------------------
#
# Every expression is elementwise in the tensors, then reduced by sum or mean. For each entry j of
# a tensor X, push (value, derivative) pairs through the tree, with d/dX_j of X_k = [k == j] and:
#   (u + v)' = u' + v'     (u - v)' = u' - v'     (u v)' = u' v + u v'     (u^k)' = k u^(k-1) u'
#   relu(u)' = [u > 0] u'  sigmoid(u)' = s (1 - s) u' with s = 1 / (1 + e^-u)
#   sum(u)' = sum_i u_i'   mean(u)' = (1/n) sum_i u_i'
# A mistake replaces one rule (see MISTAKEN below).


def _dual(node, env, leaf, j, n, mistake):
    """(value, derivative) arrays of ``node`` with respect to entry j of tensor ``leaf``."""
    if isinstance(node, (int, float)):
        return np.full(n, float(node)), np.zeros(n)
    if isinstance(node, str):
        v = np.broadcast_to(env[node], (n,)).astype(float)
        d = np.zeros(n)
        if node == leaf:
            if np.ndim(env[node]) == 0:
                d[:] = 1.0  # a 0-dim tensor is broadcast: every entry depends on it
            else:
                d[j] = 1.0
        return v, d
    op = node[0]
    if op in ("sum", "mean"):
        v, d = _dual(node[1], env, leaf, j, n, mistake)
        size = n if _has_vector(node[1], env) else 1
        v, d = v[:size], d[:size]
        if op == "mean" and mistake != "mean_without_1_over_n":
            return v.mean(), d.mean()
        return (v.mean() if op == "mean" else v.sum()), d.sum()
    if op in ("relu", "sigmoid"):
        u, du = _dual(node[1], env, leaf, j, n, mistake)
        if op == "relu":
            slope = np.ones(n) if mistake == "relu_derivative_one" else (u > 0).astype(float)
            return np.maximum(u, 0), slope * du
        s = 1 / (1 + np.exp(-u))
        return s, (s if mistake == "sigmoid_derivative" else s * (1 - s)) * du
    (u, du), (w, dw) = _dual(node[1], env, leaf, j, n, mistake), _dual(node[2], env, leaf, j, n, mistake)
    if op == "+":
        return u + w, du + dw
    if op == "-":
        return u - w, du - dw
    if op == "*":
        return u * w, du * w + u * dw
    k = node[2]
    factor = 1.0 if mistake == "power_rule_factor" else k
    return u ** k, factor * u ** (k - 1) * du


def _has_vector(node, env):
    if isinstance(node, str):
        return np.ndim(env[node]) == 1
    return isinstance(node, list) and any(_has_vector(a, env) for a in node[1:])


def oracle(g, mistake=None):
    """The .grad of each requires-grad tensor after each backward(), from the rules above."""
    env = {t.name: np.array(t.value, dtype=float) for t in g.tensors}
    n = max((len(t.value) for t in g.tensors if isinstance(t.value, list)), default=1)
    defs, grads, out = {}, {t.name: np.zeros(np.shape(env[t.name])) for t in g.tensors if t.requires_grad}, []

    def inline(node):
        if isinstance(node, str) and node in defs:
            return inline(defs[node])
        return [node[0]] + [inline(a) for a in node[1:]] if isinstance(node, list) else node

    for line in g.lines:
        if line.name is not None:
            defs[line.name] = line.expr
            continue
        loss = inline(defs[line.backward])
        for name in grads:
            entries = range(np.size(env[name])) if np.ndim(env[name]) else [0]
            contrib = np.array([_dual(loss, env, name, j, n, mistake)[1] for j in entries])
            if mistake == "no_accumulation":
                grads[name] = contrib.reshape(np.shape(env[name]))
            else:
                grads[name] = grads[name] + contrib.reshape(np.shape(env[name]))
        out.append({k: v.copy() for k, v in grads.items()})
    return out


def questions():
    gen = registry.get("autograd_trace")
    for seed in SEEDS:
        q = gen.generate(seed)
        yield q, gen.Givens.model_validate(q.givens), {s.name: s.value for s in q.steps}


def step_names(g):
    leaves = [t.name for t in g.tensors if t.requires_grad]
    B = sum(1 for line in g.lines if line.backward)
    return [(b, name, f"{name}_grad" if B == 1 else f"{name}_grad{b + 1}") for b in range(B) for name in leaves]


def test_grads_match_hand_derived_formulas():
    structures = set()
    for q, g, v in questions():
        want = oracle(g)
        for b, name, step in step_names(g):
            close(v[step], want[b][name])
        structures.add(tuple(line.model_dump_json() for line in g.lines if line.name)[:1])
    assert len(structures) > 30  # the snippets vary, not just their numbers


def test_stored_mistakes_match_hand_derived_formulas():
    seen = set()
    for q, g, v in questions():
        for m in q.mistakes:
            seen.add(m.name)
            want = oracle(g, m.name)
            if m.name == "no_accumulation":  # only the last backward's contribution
                want = [oracle(g)[0], {k: want[-1][k] for k in want[-1]}]
            names = {step: (b, name) for b, name, step in step_names(g)}
            assert m.values, m.name
            for step, value in m.values.items():
                b, name = names[step]
                close(value, want[b][name])
                assert not np.allclose(value, v[step], atol=2e-3)  # stored only where it changes a value
    assert seen == {"no_accumulation", "mean_without_1_over_n", "relu_derivative_one", "sigmoid_derivative",
                    "power_rule_factor"}


def test_the_printed_code_gives_the_same_grads_in_pytorch():
    torch = pytest.importorskip("torch")
    from examgen.generators.pytorch._snippet import code_lines

    for q, g, v in questions():
        code = "\n".join(code_lines(g))
        assert "    " + code.split("\n")[0] in q.stem
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            scope = {"torch": torch}
            exec(compile(code, "<snippet>", "exec"), scope)  # our own generated code, in a test
        finally:
            torch.set_default_dtype(previous)
        B = sum(1 for line in g.lines if line.backward)
        for b, name, step in step_names(g):
            if b == B - 1:
                close(v[step], scope[name].grad.numpy())


def test_questions_are_hand_computable():
    for q, g, v in questions():
        for b, name, step in step_names(g):
            a = np.abs(np.asarray(v[step], dtype=float))
            assert a.max() <= 60 and np.any(a > 1e-9), (q.seed, step)
        assert 4 <= len(g.tensors) + len(g.lines) <= 8


# --- hand-worked cases ---------------------------------------------------------------------------
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


# --- torch only where it is needed ----------------------------------------------------------------


def test_cli_and_the_derive_generators_do_not_import_torch():
    code = ("import sys; import examgen.cli; from examgen import registry, grade_question\n"
            "from examgen.exam import answer_sheet\n"
            "for gid in ('derive', 'derive_softmax'):\n"
            "    q = registry.get(gid).generate(3)\n"
            "    grade_question(q, {p.id: {n: q.step(n).value for n in p.steps} for p in q.parts})\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\nprint('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr


def test_grading_an_autograd_question_does_not_import_torch():
    q = registry.get("autograd_trace").generate(5)
    code = ("import sys; from examgen.model import Question; from examgen.grading.mark import grade_question\n"
            f"q = Question.model_validate_json({q.model_dump_json()!r})\n"
            "r = grade_question(q, {p.id: {n: q.step(n).value for n in p.steps} for p in q.parts})\n"
            "assert r.score == r.points, r\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\nprint('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr


def test_without_torch_a_clear_message(monkeypatch):
    from examgen.generators.pytorch._torch_run import TorchMissing

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(TorchMissing) as e:
        registry.get("autograd_trace").generate(1)
    assert "pip install 'in5400-examgen[torch]'" in str(e.value)
    assert registry.get("derive").generate(1)  # the other generators still work


def test_without_torch_the_cli_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['torch'] = None\n"
            "from examgen.cli import main\n"
            "main(['solve', 'autograd_trace', '--seed', '1'])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "examgen: error:" in r.stderr and "pip install 'in5400-examgen[torch]'" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_solve_from_the_command_line(tmp_path):
    r = run_cli("solve", "autograd_trace", "--seed", "3", cwd=tmp_path)
    assert r.returncode == 0 and ".backward()" in r.stdout and ".grad" in r.stdout, r.stderr
