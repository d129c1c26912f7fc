"""The LaTeX subset and its three writers (MathML, Typst, text); every formula examgen emits."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from examgen import bank, registry
from examgen.render import latex
from examgen import kinds

MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


@pytest.mark.parametrize("source, typst, text", [
    (r"\frac{a}{b}", "frac(a, b)", "a/b"),
    (r"\tfrac14", "frac(1, 4)", "1/4"),
    (r"\hat\mu_1", "hat(μ)_(1)", "μ̂₁"),
    (r"x^{(1)}_{t}", "x_(t)^(\\( 1 \\))", "xₜ⁽¹⁾"),
    (r"\sqrt{v} + \epsilon", "sqrt(v) + ϵ", "√v + ϵ"),
    (r"\mathrm{var}", '"var"', "var"),
    (r"\operatorname{softmax}(z)", 'op("softmax") \\( z \\)', "softmax(z)"),
    (r"\begin{bmatrix} 1 & -2 \\ 3 & 4 \end{bmatrix}", 'mat(delim: "[", 1, -2; 3, 4)', "[1, −2; 3, 4]"),
    (r"\left\lfloor \frac{n}{s} \right\rfloor + 1", "lr(⌊ frac(n, s) ⌋) + 1", "⌊n/s⌋ + 1"),
    (r"\mathbb{E}_\pi[R \mid S]", "bb(E)_(π) \\[ R ∣ S \\]", "𝔼_π[R ∣ S]"),
    (r"1/4", "1 \\/ 4", "1/4"),
    (r"f(x, y)", "f \\( x , y \\)", "f(x, y)"),
    (r"\frac{f(x, y)}{2}", "frac(f \\( x comma y \\), 2)", "(f(x, y))/2"),
])
def test_writers(source, typst, text):
    assert latex.typst(source) == f"${typst}$"
    assert latex.text(source) == text
    ET.fromstring(latex.mathml(source))  # well-formed


def test_spaces_at_the_edges_of_text_survive_in_mathml():
    # MathML trims a token's leading and trailing spaces, which glued "1(the episode ends:G" together
    ml = latex.mathml(r"1 \text{ (the episode ends: } G_5 = 0)")
    assert "<mtext>\u00a0(the episode ends:\u00a0</mtext>" in ml
    assert "<mtext>a b</mtext>" in latex.mathml(r"\text{a b}")


def test_minus_signs_of_numbers_are_not_subtractions():
    ml = latex.mathml(r"R = -1, \quad 0.9 \cdot (-0.2) - 3")
    assert "<mn>−1</mn>" in ml and "<mn>−0.2</mn>" in ml
    assert "<mo>−</mo><mn>3</mn>" in ml  # after a closing bracket it is a subtraction


def test_functions_get_a_thin_space_before_their_argument():
    assert '<mi>log</mi><mspace width="0.1667em">' in latex.mathml(r"\log 0.5")
    assert "<mi>log</mi><mo" in latex.mathml(r"\log(x)")


@pytest.mark.parametrize("bad", [r"\frac{a}", r"\unknowncommand x", r"{a", r"a}", r"\left( a",
                                 r"\begin{nonsense} a \end{nonsense}", "x" * 30_000])
def test_outside_the_subset_is_an_error(bad):
    with pytest.raises(latex.LatexError):
        latex.typst(bad)


def every_formula() -> set[str]:
    out: set[str] = set()

    def scan(text):
        out.update((m.group(1) or m.group(2)).strip() for m in MATH.finditer(text or ""))

    for gen in registry.all_generators():
        if gen.needs_torch or gen.concept:
            continue
        for seed in range(4):
            q = gen.generate(seed)
            scan(q.stem)
            for p in q.parts:
                scan(p.prompt)
            for st in q.steps:
                scan(st.label)
                scan(st.explanation)
                out.update(f for f in (st.formula, st.work) if f)
                if st.kind not in ("single", "multi", "truefalse", "ordering"):
                    out.add(kinds.of(st).latex(st))
            for m in q.mistakes:
                scan(m.description)
    for _, item in bank.load().values():
        for text in [item.stem, item.explanation] + [o.text for o in getattr(item, "options", None) or []] \
                + [o.why or "" for o in getattr(item, "options", None) or []] \
                + [s.text + " " + s.why for s in getattr(item, "statements", None) or []] \
                + list(getattr(item, "order", None) or []) + [w.why for w in getattr(item, "wrong", None) or []]:
            scan(text)
    return out


@pytest.mark.slow  # typesets every formula
def test_every_formula_examgen_emits_converts_and_compiles():
    import typst

    formulas = sorted(every_formula())
    assert len(formulas) > 1000
    for f in formulas:
        ET.fromstring(latex.mathml(f))
        latex.text(f)
    compiler = typst.Compiler(ignore_system_fonts=True)
    for i in range(0, len(formulas), 500):
        chunk = formulas[i:i + 500]
        try:
            compiler.compile(input="\n\n".join(latex.typst(f, display=True) for f in chunk).encode(), format="pdf")
        except Exception:  # find the culprit for the message
            for f in chunk:
                try:
                    compiler.compile(input=latex.typst(f).encode(), format="pdf")
                except Exception as e:
                    pytest.fail(f"{f!r} -> {latex.typst(f)!r}: {e}")
