"""Worked numbers add up: every step's ``work`` (its formula with the numbers put in), evaluated
with our own LaTeX evaluator (:mod:`examgen.render.latex.to_value`), gives the step's value.

**The rule.** A worked line passes when every side of it (``a = b`` has two) is an answer the
grader accepts for that step: within the step's tolerance (``kinds.of(step).matches``), an
integer exactly (up to the evaluation's own float rounding, 1e-9). A student who redoes the line
from the numbers shown must get an answer that scores. A flat list ``a,\\ b,\\ c`` is compared with
the value's entries in row-major order, a bmatrix column with a vector. A step without work whose
formula is a plain computation (``\\log_{10}(0.1)``) is checked by its formula.

**Diagnosis of a failing line.** ``fmt.num`` rounds what it shows: a number shown with ``k``
decimals differs from the number the solver used by at most ``d = 0.5 * 10**-k`` (trailing zeros
are stripped, so the true rounding is at least that fine; integers are taken as exact: givens,
counts and sizes are). To first order, the shown rounding then moves the line by at most
``B = sum_i max(|f(x_i + d_i) - f(x)|, |f(x_i - d_i) - f(x)|)`` over the shown numbers ``x_i``
(:func:`rounding_bound`). A failing line within ``B`` of the value is **rounding shown too
coarsely** (the line needs more digits, or the step a looser tolerance); one farther than ``B``
cannot come from rounding: **wrong numbers or a wrong formula**.

What is not checked as written is listed in one place, :data:`SPECIAL` (and :data:`NOT_NUMBERS`
for kinds whose value is not a number), and every entry must still be needed. (The first run
found 66 lines off, all rounding shown too coarsely; the generators now show enough digits.)
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from examgen import fmt, kinds, registry
from examgen.model import Step, Tolerance
from examgen.render.latex import NotComputable, sides

SEEDS = range(200)
CHECKED_KINDS = {"integer"} | {k for k in kinds.names() if kinds.of(k).numeric}


def exact(v) -> str:
    """A value as LaTeX with every digit that matters (15 decimals)."""
    a = np.asarray(v, dtype=float)
    return fmt.num(float(a), 15) if a.ndim == 0 else fmt.row(a, 15) if a.ndim == 1 else fmt.matrix(a, 15)


def shown(pattern: str, index):
    """The work expands one entry: the regex's group ``line``, checked against ``value[index]``
    (``index``: a tuple, or a function of the match)."""
    def read(work, q, value):
        m = re.search(pattern, work)
        assert m, f"the work no longer matches {pattern!r}: {work}"
        return m["line"], np.asarray(value)[index(m) if callable(index) else index]
    return read


def substituted(replace):
    """The work names earlier values by symbol (or adds a remark): ``replace(work, q)`` gives the
    plain computation."""
    return lambda work, q, value: (replace(work, q), value)


def _cell(m):
    return int(m["i"]), int(m["j"])


def _p_cond_row(work, q, value):
    m = re.search(r"row (?P<r>\d+): \} .*? = (?P<t>\(.*?\)) \\text\{ with sum \} (?P<s>[\d.]+)$", work)
    assert m, work
    r = int(m["r"]) - 1
    return rf"\frac{{{m['t']}}}{{{m['s']}}}", np.delete(np.asarray(value)[r], r)


def _cropped(work, q, value):
    m = re.fullmatch(r"\\text\{crop (\d+) from \} (.*)", work)
    assert m, work
    p = int(m[1])
    full = sides(m[2])[0]
    return exact(full[(slice(p, -p),) * full.ndim]), value


def _counted(work, q, value):
    m = re.fullmatch(r"\\text\{images \} ([\d, ]*)", work)
    assert m, work
    return str(len(re.findall(r"\d+", m[1]))), value


# (generator, step-name regex) -> (why the work is not a plain computation as written, and how it
# is read instead: a function (work, question, value) -> (LaTeX to evaluate, the value it must give),
# or None: not checked). Values put in for symbols are written with 15 decimals (:func:`exact`).
# An entry applies only to lines the evaluator refuses or whose shape does not fit the value.
SPECIAL = {
    ("classification_metrics", "tp|fp|fn|tn"): ("lists the images counted: their number is the value", _counted),
    ("overlap_metrics", "inter"): ("masks: a count of pixels described in words", None),
    ("average_precision", "pint[12]"): ("11-point interpolation: says over which ranks each recall "
                                        "level's maximum runs", None),
    ("upsampling", "unpool"): ("names the max-pooling switches the values go back to", None),
    ("upsampling", "tconv"): ("the transposed convolution before cropping p rows and columns", _cropped),
    ("autoencoder", "x_tilde"): ("masking noise: names the inputs set to zero", None),
    ("conv2d_values", "z"): ("expands z_11 only", shown(r"^z_\{11\} = (?P<line>.*?), \\ \\dots", (0, 0))),
    ("pooling_values", "y"): ("expands y_11 only", shown(r"^y_\{11\} = (?P<line>.*?), \\ \\dots", (0, 0))),
    ("bellman", "v[12]"): ("expands one cell, named in words",
                           shown(r"^(?P<line>.*?)\\quad \\text\{\(at \} s\[(?P<i>\d+),(?P<j>\d+)\]", _cell)),
    ("value_iteration", "v[123]"): ("expands one cell, named in words",
                                    shown(r"^\\text\{at \} s\[(?P<i>\d+),(?P<j>\d+)\]:\\ (?P<line>.*?) "
                                          r"\\text\{ from \}", _cell)),
    ("sne", "q_sne|q_tsne"): ("squared distances, then q_ij of one pair",
                              shown(r"q_\{(?P<i>\d)(?P<j>\d)\} = (?P<line>.*)$",
                                    lambda m: (int(m["i"]) - 1, int(m["j"]) - 1))),
    ("sne", "p_cond"): ("the formula in symbols, then one row's numerators and their sum", _p_cond_row),
    ("sne", "p_joint"): ("in symbols: p_{j|i} is the matrix of p_cond, p_{i|j} its transpose",
                         substituted(lambda w, q: w.replace("p_{j|i}", exact(q.step("p_cond").value))
                                     .replace("p_{i|j}", exact(np.transpose(q.step("p_cond").value))))),
    ("sne", "kl"): ("ends with a remark in words", substituted(
        lambda w, q: re.sub(r"\s*\\text\{ \(each pair twice\)\}$", "", w))),
    ("discounted_return", "G\\d+"): ("ends with a remark in words", substituted(
        lambda w, q: re.sub(r"\s*\\text\{ \(the episode ends: \} G_\{\d+\} = 0\)$", "", w))),
    ("normalization_axes", "x_hat"): ("entries labelled by sample and channel (x_{n,c}:)", substituted(
        lambda w, q: re.sub(r"x_\{\d+,\d+\}\\!: ", "", w).replace(r";\quad", r",\ "))),
    ("epsilon_greedy", "probs"): ("the greedy action's probability, then the others' (one for all)",
                                  lambda w, q, v: (w, [max(v), min(v)])),
    ("batchnorm", "z_hat"): ("in symbols: z_i is the batch",
                             substituted(lambda w, q: w.replace("z_i", exact(q.givens["z"])))),
    ("batchnorm", "z_tilde"): ("in symbols: \\hat z_i is the previous step",
                               substituted(lambda w, q: w.replace(r"\hat z_i", exact(q.step("z_hat").value)))),
    ("class_activation_map", "cam_norm"): ("in symbols: M_{\\hat c} is the class activation map", substituted(
        lambda w, q: w.replace(r"M_{\hat c}", exact(q.step("cam").value)))),
    ("reinforce", "theta_new|theta_base"): ("names the gradients of the earlier steps (\\nabla_t)", substituted(
        lambda w, q: re.sub(r"\\nabla_(\d)", lambda m: exact(q.step(f"grad{m[1]}").value), w))),
    ("saliency", "grad"): ("names the row of W it copies (a linear model: W is the givens' W2)", substituted(
        lambda w, q: exact(q.givens["W2"][int(re.fullmatch(r"\\text\{row (\d+) of \} W", w)[1]) - 1]))),
}
NOT_NUMBERS = {  # kinds with a work whose value is not a number
    "choice": "the value is a word; the work gives the reason for it",
    "expression": "the value is an expression; the work derives it in symbols",
}


def special(gid: str, step: str):
    for (g, pattern), entry in SPECIAL.items():
        if g == gid and re.fullmatch(pattern, step):
            return (g, pattern), entry
    return None, None


def fit(v, ref: np.ndarray):
    """``v`` in the value's shape (a list read in row-major order, a column as a vector), or None."""
    v = np.asarray(v, dtype=float)
    if v.shape == ref.shape:
        return v
    if v.size == ref.size and (v.ndim == 1 or np.squeeze(v).shape == np.squeeze(ref).shape):
        return v.reshape(ref.shape)
    return None


def accepted(st, v, ref) -> bool:
    if st.kind == "integer":
        return bool(np.all(np.abs(v - ref) <= 1e-9 * np.maximum(1, np.abs(ref))))
    kind = kinds.of(st)
    x = float(v) if v.ndim == 0 else v
    return bool(np.all(kind.matches(st, x, kind.reference(st, ref.tolist()))))


DECIMAL = re.compile(r"(?<![\d.])\d+\.(\d+)")


def rounding_bound(line: str) -> list[np.ndarray]:
    """Per side, how far the shown rounding can move the line (first order; see the docstring)."""
    base = [np.asarray(s, dtype=float) for s in sides(line)]
    total = [np.zeros_like(b) for b in base]
    for m in DECIMAL.finditer(line):
        k = len(m[1])
        shifts = []
        for x in (float(m[0]) - 0.5 * 10.0 ** -k, float(m[0]) + 0.5 * 10.0 ** -k):
            moved = sides(line[:m.start()] + f"{x:.{k + 1}f}" + line[m.end():])
            shifts.append([np.abs(np.asarray(s, dtype=float) - b) for s, b in zip(moved, base)])
        total = [t + np.maximum(a, b) for t, a, b in zip(total, *shifts)]
    return total


def lines(q, st):
    """(what is checked, the line, its sides, expected value, SPECIAL key used) for one step, or
    None when there is nothing to check; sides is None for an exempt line."""
    if st.kind not in CHECKED_KINDS:
        assert st.work is None or st.kind in NOT_NUMBERS, (
            f"{q.generator} step {st.name}: a {st.kind} step with a work: list the kind in NOT_NUMBERS")
        return None
    line = st.work
    if line is None:  # check the formula instead, where it is a plain computation
        try:
            return ("formula", st.formula, sides(st.formula), st.value, None) if st.formula else None
        except NotComputable:
            return None
    ref = np.asarray(st.value, dtype=float)
    try:
        found = sides(line)
        if all(fit(v, ref) is not None for v in found):
            return "work", line, found, st.value, None
    except NotComputable:
        pass
    key, entry = special(q.generator, st.name)
    assert key is not None, (f"{q.generator} seed {q.seed} step {st.name}: the work is not a plain "
                             f"computation; make it one, or list it in SPECIAL with a reason: {line}")
    if entry[1] is None:
        return "exempt", line, None, None, key
    line, expected = entry[1](line, q, st.value)
    return "work", line, sides(line), expected, key


def failure(q, st, got) -> str | None:
    """None if the step's line adds up, else what it gives, what the value is, and the diagnosis."""
    if got is None or got[2] is None:
        return None
    what, line, found, expected, _ = got
    ref = np.asarray(expected, dtype=float)
    fitted = [fit(side, ref) for side in found]
    if all(v is not None and accepted(st, v, ref) for v in fitted):
        return None
    gives = " = ".join(str(np.round(side, 6).tolist()) for side in found)
    return (f"{q.generator} seed {q.seed} step {st.name}: the {what} gives {gives}, the value is "
            f"{np.round(ref, 6).tolist()} (tolerance {st.tolerance}); {diagnosis(line, fitted, ref)}: {line}")


def diagnosis(line: str, fitted: list, ref: np.ndarray) -> str:
    """'rounding' when the shown rounding can explain every side's distance from the value, else 'wrong'."""
    if any(v is None for v in fitted):
        return "wrong shape"
    bounds = [fit(b, ref) for b in rounding_bound(line)]
    if all(np.all(np.abs(v - ref) <= b * (1 + 1e-9)) for v, b in zip(fitted, bounds)):
        return "rounding shown too coarsely"
    return "wrong numbers or formula"


@pytest.mark.slow  # every generator over 200 seeds, like the oracles
@pytest.mark.parametrize("gid", [g.id for g in registry.all_generators()])
def test_worked_lines_add_up(gid):
    gen = registry.get(gid)
    failures, used = [], set()
    for seed in SEEDS:
        q = gen.generate(seed)
        for st in q.steps:
            got = lines(q, st)
            if got is not None and got[4] is not None:
                used.add(got[4])
            if problem := failure(q, st, got):
                failures.append(problem)
    unused = [key for key in SPECIAL if key[0] == gid and key not in used]
    assert not unused, f"SPECIAL entries no longer needed (every such work now reads as written): {unused}"
    assert not failures, "worked lines that do not add up:\n" + "\n".join(failures)


def test_every_listed_generator_and_kind_is_still_there():
    gids = {g.id for g in registry.all_generators()}
    assert {g for g, _ in SPECIAL} <= gids
    with_work = {st.kind for g in registry.all_generators() if not g.needs_torch
                 for seed in range(3) for st in g.generate(seed).steps if st.work is not None}
    assert set(NOT_NUMBERS) <= with_work, "a kind in NOT_NUMBERS no longer has worked lines"


# --- the check itself: it passes right lines and tells rounding from wrong numbers -------------

def verdict(work: str, value, tolerance=Tolerance.places(3), kind: str = "scalar") -> str | None:
    q = registry.get("adam").generate(0)  # any question: it only names the line in messages
    st = Step(name="x", label="x", kind=kind, value=value, work=work, tolerance=tolerance)
    return failure(q, st, lines(q, st))


def test_a_right_line_passes_and_a_wrong_one_is_diagnosed():
    assert verdict(r"0.8 \cdot 0 + 0.2 \cdot (-0.4)", -0.08) is None
    assert "; wrong numbers or formula" in verdict(r"0.8 \cdot 0 + 0.2 \cdot (-4)", -0.08)
    # -ln 0.00914 = 4.6951; the shown 0.0091 gives 4.6995, 0.0044 off (the tolerance is 0.001), and
    # 0.0091 stands for anything in [0.00905, 0.00915], which moves -ln p by up to 0.0055: rounding
    assert "; rounding shown too coarsely" in verdict(r"-\ln 0.0091", -math.log(0.00914))
    assert verdict(r"-\ln 0.00914", -math.log(0.00914)) is None


def test_integers_must_be_exact_and_every_side_must_agree():
    assert verdict(r"\left\lceil \frac{36}{5} \right\rceil", 8, None, "integer") is None
    assert verdict(r"\left\lceil \frac{36}{5} \right\rceil", 7, None, "integer") is not None
    assert verdict(r"\sqrt{4} = 2", 2.0) is None
    assert verdict(r"\sqrt{4} = 3", 2.0) is not None


def test_a_list_is_read_in_row_major_order():
    assert verdict(r"1,\ 2,\ 3,\ 4", [[1.0, 2.0], [3.0, 4.0]], kind="matrix") is None
    assert verdict(r"1,\ 3,\ 2,\ 4", [[1.0, 2.0], [3.0, 4.0]], kind="matrix") is not None
    assert verdict(r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}", [1.0, 2.0], kind="vector") is None


def test_a_line_that_is_not_a_computation_must_be_listed():
    with pytest.raises(AssertionError, match="list it in SPECIAL"):
        verdict(r"\text{about } 3", 3.0)
