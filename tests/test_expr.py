"""The expression engine (kinds/formula.py): grammar, equivalence by evaluation, hostile input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from examgen import kinds
from examgen.kinds import formula as expr
from examgen.kinds.formula import equivalent, evaluate, latex, parse_expression
from examgen.grading.mark import grade_question
from examgen.kinds.parse import FormatError
from examgen.model import Part, Question, Step

from .conftest import lines_run

V = ["s", "z", "a", "y", "x", "p"]
MAX_LINES = 20_000  # Python lines a hostile input may cost
HANG = 20  # seconds: only a hang takes this long (every input takes well under a millisecond)


def question(value: str, variables: list[str]) -> Question:
    step = Step(name="d", label="d", kind="expression", value=value, variables=variables)
    return Question(id="q1", generator="expression-test", version=1, topic="dense", goal="03.9",
                    title="t", givens={}, stem="", steps=[step],
                    parts=[Part(id="a", prompt="", steps=["d"], answer=["d"])])


def score(reference: str, answer, variables=V) -> float:
    return grade_question(question(reference, variables), {"a": {"d": answer}}).score


EQUIVALENT = [
    ("s*(1-s)", ["s*(1-s)", "s - s^2", "s-s**2", "(1-s)*s", "s(1-s)", "s·(1−s)", "s × (1 - s)",
                 "-s^2 + s", "s - s²", "  s*(1 - s)  ", "s/(1/(1-s))"]),
    ("sigma(z)*(1-sigma(z))", ["σ(z)(1-σ(z))", "sigmoid(z)*(1-sigmoid(z))", "exp(z)/(1+exp(z))^2",
                               "exp(-z)/(1+exp(-z))^2", "e^(-z)/(1+e^(-z))^2", "Sigma(z) - sigma(z)^2",
                               "1/(1+exp(-z)) * (1 - 1/(1+exp(-z)))"]),
    ("(p - y)*x", ["(p-y)x", "x(p - y)", "p*x - y*x", "-(y - p)*x", "x*p-x*y", "(p−y)·x", "2(p-y)x/2"]),
    ("(a-y)/(a*(1-a))", ["-y/a + (1-y)/(1-a)", "(a - y)/(a - a^2)", "-y/a+(1-y)/(1-a)"]),
    ("1 - tanh(z)^2", ["1-tanh(z)**2", "(1-tanh(z))(1+tanh(z))", "4/(exp(z)+exp(-z))^2"]),
    ("2*(a - y)", ["2a - 2y", "2(a-y)", "(a-y)*2", "a*2 - 2*y", "2*a-2*y"]),
    ("sqrt(x^2 + 1)*log(a)", ["ln(a)*sqrt(1+x^2)", "log(a)*(x^2+1)^0.5", "sqrt(x*x+1) ln(a)"]),
    ("relu(z) + 1", ["ReLU(z)+1", "relu(z) + 1.0", "1 + relu(z)"]),
    ("0", ["0", "s - s", "0.0", 0]),
]

NEAR_MISSES = [
    ("s*(1-s)", ["s*(1+s)", "s*(s-1)", "1-s", "s", "z*(1-z)", "s*(1-s)+0.001", "s*(1-s)*1.01", "s^2*(1-s)"]),
    ("sigma(z)*(1-sigma(z))", ["exp(z)/(1+exp(z))", "-exp(-z)/(1+exp(-z))^2", "sigma(z)", "sigma(z)^2"]),
    ("(p - y)*x", ["(y - p)*x", "p - y", "(p-y)*x^2", "(p+y)*x", "(p - y)*p*(1-p)*x", "p*x - y"]),
    ("(a-y)/(a*(1-a))", ["-y/a - (1-y)/(1-a)", "y/a - (1-y)/(1-a)", "-y/a"]),
    ("2*(a - y)", ["a - y", "2*(y - a)", "2*a - y"]),
]


@pytest.mark.parametrize("reference,answers", EQUIVALENT)
def test_equivalent_forms_score_full_marks(reference, answers):
    for ans in answers:
        assert score(reference, ans) == 10, ans


@pytest.mark.parametrize("reference,answers", NEAR_MISSES)
def test_near_misses_score_nothing(reference, answers):
    for ans in answers:
        assert score(reference, ans) == 0, ans
        assert equivalent(ans, reference, V) is False


HOSTILE = [
    "__import__('os')", "__import__('os').system('ls')", "9**9**9**9", "9^9^9", "(" * 10_000 + ")" * 10_000,
    "(" * 100 + "x" + ")" * 100, "-" * 200 + "x", "lambda: 0", "lambda x: x", "x.__class__", "().__class__",
    "s.real", "x" * 1_000_000, "1" * 1_000_000, "exp(" * 40 + "x" + ")" * 40, "open('f')", "import os",
    "eval('1')", "x; y", "x if y else z", "[x]", "{x}", "x @ y", "x % 2", "x == y", "x = 1", "`x`", "\\sigma",
    "2**1000", "10^(10^2)", "exp(exp(exp(10)))", "1/0", "log(0)", "sqrt(-1)", "x +", "", "∫x", "s\x00",
]


@pytest.mark.timeout(HANG, method="thread")  # a hang in C (say 9**9**9 evaluated) fails too
@pytest.mark.parametrize("junk", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_a_quick_format_error(junk):
    """Bounded work whatever the input: at most MAX_LINES Python lines (the worst input measured
    2,760; a scan of a million characters in Python would take a million). Timing is for
    benchmarks/bench.py; the timeout only catches a hang."""
    with lines_run() as work, pytest.raises(FormatError) as e:
        parse_expression(junk, V)
    assert work.count <= MAX_LINES, work.count
    assert str(e.value)


def test_hostile_input_through_the_grader():
    for junk in HOSTILE + [True, None, [["a"]], {"x": 1}, float("nan")]:
        report = grade_question(question("s*(1-s)", V), {"a": {"d": junk}})
        r = report.parts[0].steps[0]
        if junk in ("", None):
            assert r.status == "missing"
        else:
            assert r.status == "invalid" and r.message, junk


def test_format_errors_say_what_is_wrong():
    def message(raw):
        with pytest.raises(FormatError) as e:
            parse_expression(raw, ["a", "y", "x"])
        return str(e.value)

    assert "unknown name 'w'" in message("(a-y)*w") and "a, y, x" in message("(a-y)*w")
    assert "a*x" in message("ax")  # adjacent letters are one name; the message suggests the product
    assert "too long" in message("a+" * 200 + "a")
    assert "nested too deeply" in message("(" * 40 + "a" + ")" * 40)
    assert "exponent" in message("a^100") and "exponent" in message("9**9**9")
    assert "divides by zero" in message("a/0")
    assert "ambiguous" in message("1/2x")
    assert "'*' before the number 2" in message("a 2")
    assert "without '='" in message("dL/da = a - y")
    assert "not closed" in message("exp(a")
    assert "parentheses" in message("exp a")
    assert "no matching" in message("a)")
    assert "point" in message("0,5*a")
    assert "two numbers" in message("1..2")
    assert "expected a formula" in message(True)


def test_implicit_multiplication_rules():
    vs = ["a", "x", "s"]
    pairs = [("2x", "2*x"), ("2(a-x)", "2*(a-x)"), ("s(1-s)", "s*(1-s)"), ("(a-x)(1-a)", "(a-x)*(1-a)"),
             ("(a - x) x", "(a-x)*x"), ("x exp(a)", "x*exp(a)"), ("a x", "a*x"), ("2x^2", "2*(x^2)"),
             ("-x^2", "-(x^2)"), ("2^-1", "0.5"), ("2^3^2", "2^9"), ("x/2*a", "(x/2)*a"), ("e^a", "exp(a)"),
             ("2sigma(a)", "2*sigma(a)")]
    for implicit, explicit in pairs:
        assert equivalent(implicit, explicit, vs), implicit
    assert not equivalent("2x^2", "(2x)^2", vs)


def test_variable_names_shadow_constants_and_functions_are_case_insensitive():
    assert evaluate("e", ["e"], e=3.0) == 3.0
    assert evaluate("e", ["x"], x=0) == pytest.approx(np.e)
    assert evaluate("RELU(x) + Exp(0) + LN(e)", ["x"], x=-1) == pytest.approx(2.0)


def test_values_at_a_point():
    assert evaluate("(a - y)*x", ["a", "y", "x"], a=0.75, y=1, x=2) == pytest.approx(-0.5)
    assert evaluate("sigma(z)", ["z"], z=0) == 0.5
    assert evaluate("sqrt(4) + log(1) + tanh(0) + relu(-2)", []) == 2.0
    assert parse_expression("s*(1-s)", ["s"])(s=0.2) == pytest.approx(0.16)


def test_domains_follow_the_names():
    for name in ("p", "s", "a", "y", "q", "p1", "p_2", "yhat", "y_hat", "a2"):
        assert expr.domain(name) == (0.05, 0.95), name
    for name in ("x", "z", "w", "b", "t", "z1"):
        assert expr.domain(name) == (-2.5, 2.5), name
    # log(p) and log(1-p) are defined at every test point of a probability-like name
    assert np.isfinite(parse_expression("log(p) + log(1-p) + 1/(p*(1-p))", ["p"]).values()).all()


def test_points_where_a_side_is_undefined_are_skipped():
    assert equivalent("sqrt(x)^2", "x", ["x"])  # equal wherever both are defined (x > 0: half the points)
    assert not equivalent("sqrt(x - 2)^2", "x - 2", ["x"])  # defined at too few points to tell
    assert not equivalent("log(x)", "x", ["x"])


@pytest.mark.slow  # a fresh interpreter
def test_grading_is_reproducible_in_a_fresh_process():
    code = ("from examgen.kinds.formula import parse_expression as p; "
            "print(repr(p('exp(x)*a - z', ['a', 'x', 'z']).values().tolist()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == repr(parse_expression("exp(x)*a - z", ["a", "x", "z"]).values().tolist())


def test_comparison_after_parsing_reuses_the_values_and_reading_again_is_cached():
    """What makes grading a formula cheap, counted in Python lines (the speed itself is measured by
    benchmarks/bench.py): a formula is evaluated at the test points once, and a text read once."""
    vs = ["a", "y", "x"]
    ref = kinds.of("expression").reference(Step(name="d", label="d", kind="expression", value="(a-y)*a*(1-a)*x",
                                                variables=vs))
    answers = [parse_expression(f"(a-y)*a*(1-a)*x + {k}*0", vs) for k in range(500)]
    for ans in answers:
        assert equivalent(ans, ref, vs)
    fresh = parse_expression("(a - y)*x*a*(1 - a)", vs)
    with lines_run() as first:
        assert equivalent(fresh, ref, vs)
    with lines_run() as again:
        assert equivalent(fresh, ref, vs)
    assert 3 * again.count <= first.count, (again.count, first.count)  # measured 36 and 200
    text = "(a-y)*x*(1-a)*a + 0"
    with lines_run() as first:
        parse_expression(text, vs)
    with lines_run() as again:
        parse_expression(text, vs)
    assert 10 * again.count <= first.count, (again.count, first.count)  # measured 8 and 570


def test_reference_and_student_values_go_through_the_same_grammar():
    st = Step(name="d", label="d", kind="expression", value="s*(1-s)", variables=["s"])
    k = kinds.of(st)
    assert k.matches(st, k.read(st, "s - s^2"), k.reference(st)) is True
    assert k.matches(st, k.read(st, "s + s^2"), "s*(1-s)") is False  # a stored text also works


def test_latex():
    vs = ["a", "y", "x", "z", "p1", "y_hat"]
    assert latex("a*(1-a)", vs) == r"a \left(1 - a\right)"
    assert latex("exp(z)/(1+exp(z))^2", vs) == r"\frac{e^{z}}{\left(1 + e^{z}\right)^{2}}"
    assert latex("(a - y)*x", vs) == r"\left(a - y\right)x"
    assert latex("sigma(z)*(1-sigma(z))", vs) == r"\sigma\left(z\right)\left(1 - \sigma\left(z\right)\right)"
    assert latex("p1 - y_hat", vs) == r"p_{1} - \hat{y}"
    assert latex("-(a-y)", vs) == r"-\left(a - y\right)"
    assert latex("x*2", vs) == r"x \cdot 2"
    assert latex("not a formula ((", vs).startswith(r"\text{")
    assert latex("alpha*w", ["alpha", "w"]) == r"\alpha w"  # a variable named for a Greek letter


def test_a_huge_whole_number_is_a_format_error_not_an_overflow():
    for huge in (10 ** 400, -(10 ** 309)):
        with pytest.raises(FormatError, match="too large"):
            parse_expression(huge, ["x"])
