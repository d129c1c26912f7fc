"""autograd_trace: the .grad values (computed by the generator with PyTorch) against hand-derived
NumPy formulas over ORACLE_SEEDS seeds (default 200); the printed code run as Python with torch;
the stored mistakes; and the promise that only this generator imports torch. Its hand-worked cases
are in tests/test_hand_pytorch.py."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from examgen import registry
from examgen.errors import ExamgenError

from ..conftest import SEEDS, close, invoke_cli, needs_module, questions

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)



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


def step_names(g):
    leaves = [t.name for t in g.tensors if t.requires_grad]
    B = sum(1 for line in g.lines if line.backward)
    return [(b, name, f"{name}_grad" if B == 1 else f"{name}_grad{b + 1}") for b in range(B) for name in leaves]


def test_grads_match_hand_derived_formulas():
    structures = set()
    for q, g, v in questions("autograd_trace"):
        want = oracle(g)
        for b, name, step in step_names(g):
            close(v[step], want[b][name], msg=f"seed {q.seed}")
        structures.add(tuple(line.model_dump_json() for line in g.lines if line.name)[:1])
    assert len(structures) > min(30, len(SEEDS) // 4)  # the snippets vary, not just their numbers


def test_stored_mistakes_match_hand_derived_formulas():
    seen = set()
    for q, g, v in questions("autograd_trace"):
        for m in q.mistakes:
            seen.add(m.name)
            want = oracle(g, m.name)
            if m.name == "no_accumulation":  # only the last backward's contribution
                want = [oracle(g)[0], {k: want[-1][k] for k in want[-1]}]
            names = {step: (b, name) for b, name, step in step_names(g)}
            assert m.values, (f"seed {q.seed}", m.name)
            for step, value in m.values.items():
                b, name = names[step]
                close(value, want[b][name], msg=f"seed {q.seed}")
                # stored only where it changes a value
                assert not np.allclose(value, v[step], atol=2e-3), f"seed {q.seed}"
    assert seen == {"no_accumulation", "mean_without_1_over_n", "relu_derivative_one", "sigmoid_derivative",
                    "power_rule_factor"}


def printed_code(stem: str) -> str:
    """The snippet as the student reads it: the stem's indented block."""
    return "\n".join(line[4:] for line in stem.split("\n") if line.startswith("    "))


def test_the_printed_code_gives_the_same_grads_in_pytorch():
    torch = needs_module("torch")

    for q, g, v in questions("autograd_trace"):
        code = printed_code(q.stem)
        assert code.count(".backward()") == sum(1 for line in g.lines if line.backward), q.seed
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
                close(v[step], scope[name].grad.numpy(), msg=f"seed {q.seed}")


def test_questions_are_hand_computable():
    for q, g, v in questions("autograd_trace"):
        for b, name, step in step_names(g):
            a = np.abs(np.asarray(v[step], dtype=float))
            assert a.max() <= 60 and np.any(a > 1e-9), (q.seed, step)
        assert 4 <= len(g.tensors) + len(g.lines) <= 8, f"seed {q.seed}"


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
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError) as e:
        registry.get("autograd_trace").generate(1)
    assert isinstance(e.value, ExamgenError), "a user-facing error, reported in one line"
    assert "pip install 'in5400-examgen[torch]'" in str(e.value)
    assert registry.get("derive").generate(1)  # the other generators still work


def test_without_torch_the_cli_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    r = invoke_cli("solve", "autograd_trace", "--seed", "1")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "examgen: error:" in r.stderr and "pip install 'in5400-examgen[torch]'" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_solve_from_the_command_line():
    needs_module("torch")
    r = invoke_cli("solve", "autograd_trace", "--seed", "3")
    assert r.returncode == 0 and ".backward()" in r.stdout and ".grad" in r.stdout, r.stderr
