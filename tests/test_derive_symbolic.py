"""Every reference formula of the derivation generators, checked symbolically with SymPy: the forward
expression is built in SymPy from the course's definitions, differentiated, and the difference from the
reference formula must simplify to 0. This is independent of both our formula parser
(examgen.kinds.formula, which the reference texts are written for) and of autograd's sampled points
(tests/oracles/test_derive.py). SymPy is a test dependency only: at run time the project's own
whitelist parser and random-point comparison grade the students' formulas."""

from __future__ import annotations

import itertools

import pytest

sympy = pytest.importorskip("sympy")
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations  # noqa: E402

from examgen import registry, solve  # noqa: E402

SEEDS = range(200)
t = sympy.Symbol("t")
FUNCTIONS = {"sigma": sympy.Lambda(t, 1 / (1 + sympy.exp(-t))), "exp": sympy.exp, "log": sympy.log,
             "ln": sympy.log, "tanh": sympy.tanh, "sqrt": sympy.sqrt}


def reference(text: str, names) -> sympy.Expr:
    """A reference formula (trusted text from our own generators) read by SymPy's parser."""
    local = {n: sympy.Symbol(n) for n in names} | FUNCTIONS
    return parse_expr(text, local_dict=local, transformations=standard_transformations + (convert_xor,))


def is_zero(expr) -> bool:
    return sympy.simplify(expr.rewrite(sympy.exp)) == 0


a, y, x, w, b, alpha, z = sympy.symbols("a y x w b alpha z")
ACT = {"identity": lambda u: u, "sigmoid": FUNCTIONS["sigma"], "tanh": sympy.tanh}
LOSS = {"half_squared": lambda u: (u - y) ** 2 / 2, "squared": lambda u: (u - y) ** 2,
        "cross_entropy": lambda u: -y * sympy.log(u) - (1 - y) * sympy.log(1 - u)}


def derive_forms():
    """(activation, loss, wrt, with L2) of every drawn question, and every valid combination typed in."""
    forms = {}
    for seed in SEEDS:
        q = registry.get("derive").generate(seed)
        g = q.givens
        forms.setdefault((g["activation"], g["loss"], g["wrt"], g["l2"] > 0), q)
    base = {"x": 2, "w": 0.5, "b": -1.2, "y": 1, "lr": 0.1}
    for act, loss, wrt, l2 in itertools.product(ACT, LOSS, "wb", (False, True)):
        if (loss == "cross_entropy" and act != "sigmoid") or (l2 and wrt == "b") or (act, loss, wrt, l2) in forms:
            continue
        forms[act, loss, wrt, l2] = solve("derive", {**base, "activation": act, "loss": loss, "wrt": wrt,
                                                     "l2": 0.3 if l2 else 0})
    return forms


FORMS = derive_forms()


@pytest.mark.parametrize("form", sorted(FORMS), ids=lambda f: "-".join(map(str, f)))
def test_derive_reference_formulas_are_the_derivatives(form):
    act, loss, wrt, l2 = form
    v = {s.name: s for s in FORMS[form].steps}
    f = ACT[act]
    assert is_zero(reference(v["dL_da"].value, ["a", "y"]) - sympy.diff(LOSS[loss](a), a))
    if act != "identity":
        assert is_zero(reference(v["da_dz"].value, ["a"]).subs(a, f(z)) - sympy.diff(f(z), z))
    L = LOSS[loss](f(w * x + b)) + (alpha / 2 * w ** 2 if l2 else 0)
    got = reference(v[f"dL_d{wrt}"].value, v[f"dL_d{wrt}"].variables).subs(a, f(w * x + b))
    assert is_zero(got - sympy.diff(L, w if wrt == "w" else b)), (form, v[f"dL_d{wrt}"].value)


def test_every_derive_form_is_drawn():
    drawn = {(g["activation"], g["loss"], g["wrt"], g["l2"] > 0)
             for g in (registry.get("derive").generate(seed).givens for seed in SEEDS)}
    assert {l2 for *_, l2 in drawn} == {True, False} and {act for act, *_ in drawn} == set(ACT)


HIDDEN = {"sigmoid": FUNCTIONS["sigma"], "tanh": sympy.tanh, "relu": lambda u: u}  # ReLU where z1 > 0


def chain_forms():
    forms = {}
    for seed in SEEDS:
        q = registry.get("derive_chain").generate(seed)
        forms.setdefault((q.givens["hidden"], q.givens["output"], q.givens["loss"]), q)
    return forms


CHAIN = chain_forms()


@pytest.mark.parametrize("form", sorted(CHAIN), ids="-".join)
def test_derive_chain_reference_formulas_are_the_derivatives(form):
    hid, out, loss = form
    v = {s.name: s for s in CHAIN[form].steps}
    w1, b1, w2, b2, h, z1, z2 = sympy.symbols("w1 b1 w2 b2 h z1 z2")
    f, g = HIDDEN[hid], ACT[out]
    assert is_zero(reference(v["dL_dz2"].value, ["a", "y"]).subs(a, g(z2)) - sympy.diff(LOSS[loss](g(z2)), z2))
    assert is_zero(reference(v["dL_dh"].value, ["a", "y", "w2"]).subs(a, g(w2 * h + b2))
                   - sympy.diff(LOSS[loss](g(w2 * h + b2)), h))
    assert is_zero(reference(v["dh_dz1"].value, ["h"]).subs(h, f(z1)) - sympy.diff(f(z1), z1))
    hidden = f(w1 * x + b1)
    L = LOSS[loss](g(w2 * hidden + b2))
    got = reference(v["dL_dw1"].value, ["a", "y", "w2", "h", "x"]).subs(a, g(w2 * h + b2)).subs(h, hidden)
    assert is_zero(got - sympy.diff(L, w1)), (form, v["dL_dw1"].value)


def test_every_derive_chain_form_is_drawn():
    assert len(CHAIN) == 3 * (2 + 3)  # 3 hidden units; identity output with 2 losses, sigmoid with 3


def softmax_cases():
    cases = {}
    for seed in SEEDS:
        q = registry.get("derive_softmax").generate(seed)
        g = q.givens
        cases.setdefault((len(g["z"]), g["target"], g["other"], "linear" if g.get("x") else "scores"), q)
    return cases


SOFTMAX = softmax_cases()


def test_both_softmax_forms_are_drawn():
    assert {form for *_, form in SOFTMAX} == {"scores", "linear"}


@pytest.mark.parametrize("case", sorted(SOFTMAX), ids=lambda c: "-".join(map(str, c)))
def test_derive_softmax_reference_formulas_are_the_derivatives(case):
    K, tc, k, form = case
    q = SOFTMAX[case]
    v = {s.name: s for s in q.steps}
    zs = sympy.symbols(f"z1:{K + 1}")
    total = sum(sympy.exp(u) for u in zs)
    p = [sympy.exp(u) / total for u in zs]
    at = {sympy.Symbol(f"p{tc}"): p[tc - 1], sympy.Symbol(f"p{k}"): p[k - 1]}

    def ref(name):
        return reference(v[name].value, v[name].variables).subs(at)

    loss = -sympy.log(p[tc - 1])
    assert is_zero(ref("dp_tt") - sympy.diff(p[tc - 1], zs[tc - 1]))
    assert is_zero(ref("dp_tk") - sympy.diff(p[tc - 1], zs[k - 1]))
    assert is_zero(ref("dL_dzt") - sympy.diff(loss, zs[tc - 1]))
    assert is_zero(ref("dL_dzk") - sympy.diff(loss, zs[k - 1]))
    if form == "linear":  # z_j = W_j1 x1 + (the rest of the weighted sum and b_j), differentiated for W_j1
        x1 = sympy.Symbol("x1")
        ws, rest = sympy.symbols(f"W1:{K + 1}"), sympy.symbols(f"c1:{K + 1}")
        layer = {u: wj * x1 + cj for u, wj, cj in zip(zs, ws, rest)}
        lin = dict(at) | {x1: x1}

        def ref_lin(name):
            return reference(v[name].value, v[name].variables).subs(lin).subs(layer)

        assert is_zero(ref_lin("dL_dWt1") - sympy.diff(loss.subs(layer), ws[tc - 1]))
        assert is_zero(ref_lin("dL_dWk1") - sympy.diff(loss.subs(layer), ws[k - 1]))


def test_the_symbolic_check_catches_a_wrong_formula():
    assert not is_zero(reference("a*(1 - a)", ["a"]).subs(a, sympy.tanh(z)) - sympy.diff(sympy.tanh(z), z))
    assert is_zero(reference("1 - a^2", ["a"]).subs(a, sympy.tanh(z)) - sympy.diff(sympy.tanh(z), z))
