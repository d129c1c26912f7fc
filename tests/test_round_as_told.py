"""Precision as told: a student who rounds every answer exactly as the question says scores 10.

Two checks over every computational generator and 100 seeds each:

* **the precision is stated, and it is the tolerance**: the part's prompt (or else the stem) says
  to how many decimals or significant figures each numeric answer is given ("Give answers to 3
  decimals", "... to 3 significant figures", "whole numbers exactly"), and the step's tolerance is
  exactly that precision (``Tolerance.places(d)`` / ``Tolerance.significant(n)``);
* **rounding as told scores full marks**: a simulated student computes every answer from their own
  earlier, rounded answers (the solver's follow-through mode, as the grader re-runs it), rounds it
  half away from zero to the precision the question states, and must score every part 10/10.

The precision a question states is read from its text with the patterns below. When a text states
several precisions ("the moments to 4 decimals and the variances to 3 significant figures"), which
one a step gets is not told apart: the step's own precision must be one of them.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from examgen import kinds, registry
from examgen.grading.mark import grade_question
from examgen.steps import as_value, to_json

SEEDS = range(100)
GENERATORS = [g.id for g in registry.all_generators() if not g.concept]

_NUMBER = r"(\d+|one|two|three|four|five|six)"
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
DECIMALS = re.compile(rf"(?<!rounded )\bto {_NUMBER} decimal(?:s| places?)\b", re.I)
"""'give answers to 3 decimals' (not '(rounded to 4 decimals)', which describes a given value)."""
SIGFIGS = re.compile(rf"\bto {_NUMBER} significant (?:figures|digits)\b", re.I)
EXACT = re.compile(r"\bexactly\b|\bwhole numbers?\b[^.]*\bexact", re.I)
"""'give whole numbers exactly': an answer to 0 decimals ('All values are whole numbers' alone
says what the values are, not how to give them)."""


@functools.lru_cache(maxsize=4096)
def stated(text: str) -> frozenset[tuple[str, int]]:
    """The precisions a text asks for: {("decimals", 3), ("sigfigs", 3), ...}."""
    out = {("decimals", int(_WORDS.get(m.lower(), m))) for m in DECIMALS.findall(text)}
    out |= {("sigfigs", int(_WORDS.get(m.lower(), m))) for m in SIGFIGS.findall(text)}
    if EXACT.search(text):
        out.add(("decimals", 0))
    return frozenset(out)


def precision(tol) -> tuple[str, int] | None:
    if tol.sigfigs is not None:
        return ("sigfigs", tol.sigfigs)
    if tol.decimals is not None:
        return ("decimals", tol.decimals)
    return None


def told(q, part, st) -> tuple[str, int] | None:
    """The precision the question states for step ``st`` of ``part``: its prompt's statement, or
    else the stem's; among several, the step's own one if it is there; None if none fits."""
    said = stated(part.prompt) or stated(q.stem)
    if len(said) == 1:
        return next(iter(said))
    own = precision(st.tolerance)
    return own if own in said else None


def _round(v: float, how: tuple[str, int]) -> float:
    """Half away from zero, as a student rounds the digits on a calculator."""
    if not math.isfinite(v) or v == 0:
        return v
    d = Decimal(repr(v))
    kind, n = how
    exponent = -n if kind == "decimals" else d.adjusted() - (n - 1)
    return float(d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP))


def round_as(value, how):
    if how is None or isinstance(value, (int, str, tuple)):
        return value
    if isinstance(value, np.ndarray):
        return np.vectorize(lambda v: _round(float(v), how), otypes=[float])(value)
    return _round(float(value), how)


def student(gen, q) -> dict:
    """Every asked step computed from the student's own earlier (rounded) answers, then rounded as
    the question says (or, where it says nothing, as the tolerance implies)."""
    g = gen.Givens.model_validate(q.givens)
    part_of = {n: p for p in q.parts for n in p.steps}
    mine: dict = {}
    for st in q.steps:
        if not st.asked:
            continue
        value = gen.run(g, dict(mine)).values.get(st.name) if gen.rerun else None
        value = kinds.of(st).reference(st) if value is None else value
        if kinds.of(st).numeric:
            value = round_as(as_value(value), told(q, part_of[st.name], st) or precision(st.tolerance))
        mine[st.name] = as_value(value)
    return {p.id: {n: to_json(mine[n]) for n in p.steps} for p in q.parts}


@pytest.mark.parametrize("gid", GENERATORS)
def test_stem_states_the_precision_of_every_numeric_answer(gid):
    gen = registry.get(gid)
    bad = []
    for seed in SEEDS:
        q = gen.generate(seed)
        for p in q.parts:
            for name in p.steps:
                st = q.step(name)
                if not kinds.of(st).numeric:
                    continue
                says = stated(p.prompt) or stated(q.stem)
                if told(q, p, st) != precision(st.tolerance):
                    bad.append(f"seed {seed} part {p.id} step {name}: tolerance {precision(st.tolerance)}, "
                               f"the question says {sorted(says) or 'nothing'}")
    assert not bad, f"{gid}: {len(bad)} steps, e.g. " + "; ".join(bad[:3])


@pytest.mark.slow
@pytest.mark.parametrize("gid", GENERATORS)
def test_rounding_as_told_scores_full_marks(gid):
    gen = registry.get(gid)
    bad = []
    for seed in SEEDS:
        q = gen.generate(seed)
        report = grade_question(q, student(gen, q))
        if report.score != report.points:
            lost = [f"{p.id}.{s.name} {s.status} (answer {s.answer}, expected {s.expected})"
                    for p in report.parts for s in p.steps if s.status != "correct"]
            bad.append(f"seed {seed}: {report.score}/{report.points}, {'; '.join(lost[:2])}")
    assert not bad, f"{gid}: {len(bad)} of {len(SEEDS)} seeds lose marks, e.g. " + " | ".join(bad[:3])


def test_the_precision_patterns():
    """The patterns read what stems say, and not what they say about given values."""
    assert stated("Give answers to 3 decimals.") == {("decimals", 3)}
    assert stated("Give the ratio to 3 significant figures.") == {("sigfigs", 3)}
    assert stated("the moments to 4 decimals, and the variances to 3 significant figures") == {
        ("decimals", 4), ("sigfigs", 3)}
    assert stated("Give whole numbers exactly, and the bound to two decimal places") == {
        ("decimals", 0), ("decimals", 2)}
    assert stated("Use the values 0.8808 (rounded to 4 decimals).") == set()
    assert stated("sigma(x) = 0.9089 (4 decimals). All values are whole numbers.") == set()
    assert _round(0.0625, ("decimals", 3)) == 0.063 and _round(-2.4375, ("decimals", 1)) == -2.4
    assert _round(0.0012345, ("sigfigs", 3)) == 0.00123 and _round(98765.0, ("sigfigs", 2)) == 99000.0
