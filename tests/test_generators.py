"""Every registered generator tests itself across many seeds (PrairieLearn's per-element test()).

These tests check the machinery around each solver: the key scores 10, an answer just outside
the tolerance scores less, equivalent rewritings score 10, garbage is a format error, every
named mistake is recognised, follow-through credit is given for consistent later steps, the
givens are finite and the questions reproducible. The solvers' *values* are checked against
independent computations in tests/oracles/.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from examgen import registry
from examgen import kinds
from examgen.grading.mark import grade_question
from examgen.model import Question
from examgen.topics import find_goal, topic

from . import conftest
from .conftest import (answers_from, clearly_wrong, generator_ids, just_outside, key_answers,
                       same_as_reference, step_result)

GENERATORS = generator_ids()
SEEDS = range(60)


def _questions(gid: str, seeds=SEEDS) -> list[Question]:
    gen = registry.get(gid)
    return [gen.generate(seed) for seed in seeds]


def test_ids_unique_and_metadata_valid():
    gens = registry.all_generators()
    assert not registry.LOAD_ERRORS, registry.LOAD_ERRORS
    assert len({g.id for g in gens}) == len(gens)
    for g in gens:
        t, goal = find_goal(g.goal)
        assert t.id == g.topic == topic(g.topic).id
        assert g.version >= 1 and g.title


@pytest.mark.parametrize("gid", GENERATORS)
def test_key_scores_full_marks(gid):
    for q in _questions(gid):
        report = grade_question(q, key_answers(q))
        assert report.score == report.points == 10 * len(q.parts), (q.seed, report.model_dump())
        assert all(r.status == "correct" for p in report.parts for r in p.steps)


FRESH_SEEDS = (12345, 0, 1)


@pytest.fixture(scope="session")
def fresh_process_questions() -> dict[str, list[str]]:
    """Every generator's questions for FRESH_SEEDS as JSON, made by one fresh interpreter (one per
    test session: with xdist, one per worker) instead of one process per generator."""
    code = ("import json, sys\nfrom examgen import registry\n"
            f"seeds = {FRESH_SEEDS!r}\n"
            "out = {g.id: [g.generate(s).model_dump_json() for s in seeds] for g in registry.all_generators()}\n"
            "sys.stdout.write(json.dumps(out))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.slow  # the fixture starts a fresh interpreter
@pytest.mark.parametrize("gid", GENERATORS)
def test_same_seed_same_question_in_a_fresh_process(gid, fresh_process_questions):
    gen = registry.get(gid)
    there = fresh_process_questions[gid]
    assert [gen.generate(seed).model_dump_json() for seed in FRESH_SEEDS] == there
    assert gen.generate(12346).model_dump_json() != there[0]


@pytest.mark.parametrize("gid", GENERATORS)
def test_drawn_givens_validate_and_round_trip(gid):
    """Draws may skip pydantic validation (model_construct) for speed: every drawn question's givens
    must still pass the validators unchanged and give the same question."""
    gen = registry.get(gid)
    for seed in conftest.SEEDS:  # as many as the oracles use
        q = gen.generate(seed)
        again = gen.Givens.model_validate(q.givens)
        assert again.model_dump(mode="json") == q.givens, seed
        assert gen.build(again, seed=seed) == q, seed


@pytest.mark.parametrize("gid", GENERATORS)
def test_givens_and_values_are_finite_and_questions_vary(gid):
    qs = _questions(gid)
    for q in qs:
        flat = json.dumps(q.givens) + json.dumps([s.value for s in q.steps])
        assert "NaN" not in flat and "Infinity" not in flat, q.seed
        for st in q.steps:
            if st.kind in ("scalar", "vector", "matrix", "tensor"):
                assert np.all(np.isfinite(np.asarray(st.value, dtype=float))), (q.seed, st.name)
        assert q.parts and all(p.answer for p in q.parts)
        # the question round-trips exactly through JSON
        assert Question.model_validate_json(q.model_dump_json()) == q
    assert len({json.dumps(q.givens, sort_keys=True) for q in qs}) > len(qs) // 2


@pytest.mark.parametrize("gid", GENERATORS)
def test_answer_just_outside_tolerance_scores_less(gid):
    for q in _questions(gid, range(30)):
        for part in q.parts:
            answers = key_answers(q)
            final = part.answer[0]
            answers[part.id][final] = just_outside(q.step(final))
            report = grade_question(q, answers)
            pr = next(p for p in report.parts if p.id == part.id)
            assert pr.score < 10, (q.seed, part.id, final)
            if len(part.steps) > 1 or q.step(final).tolerance is not None:
                assert pr.score > 0, "the part's other steps (or the near miss) earn credit"


def _rewrite(value, kind):
    """An equivalent way to write a reference value."""
    if kind == "scalar":
        return f"{value:.10e}".replace(".", ",") if value >= 0 else f"\u2212{-value:.12f}"
    if kind in ("vector", "matrix", "tensor"):
        a = np.asarray(value)
        if a.ndim == 2:
            return "[" + "; ".join(" ".join(f"{x:.12g}" for x in r) for r in a) + "]"
        return json.dumps(a.tolist())
    if kind == "integer":
        return f"{value}.0"
    if kind == "choice":
        return f"  {str(value).upper()} "
    return value


@pytest.mark.parametrize("gid", GENERATORS)
def test_equivalent_rewriting_scores_full_marks(gid):
    for q in _questions(gid, range(30)):
        answers = {p.id: {n: _rewrite(q.step(n).value, q.step(n).kind) for n in p.steps} for p in q.parts}
        report = grade_question(q, answers)
        assert report.score == report.points, (q.seed, answers, report.model_dump())


@pytest.mark.parametrize("gid", GENERATORS)
def test_garbage_is_a_format_error_not_a_crash(gid):
    garbage = ["xyz", "1..2", "[1, 2", "__import__('os')", "9**9**9", "1/0", "x" * 100_000, [["a"]], True]
    for q in _questions(gid, range(5)):
        for junk in garbage:
            answers = {p.id: {n: junk for n in p.steps} for p in q.parts}
            report = grade_question(q, answers)
            assert report.score == 0
            for p in report.parts:
                for r in p.steps:
                    assert r.status == "invalid" and r.message, (junk, r)


@pytest.mark.parametrize("gid", GENERATORS)
def test_every_named_mistake_is_recognised(gid):
    """Answers made with one mistake throughout: the first step it changes is named as that mistake."""
    gen = registry.get(gid)
    seen: set[str] = set()
    declared: set[str] = set()
    for q in _questions(gid):
        g = gen.Givens.model_validate(q.givens)
        for m in q.mistakes:
            declared.add(m.name)
            values = gen.run(g, mistake=m.name).values
            changed = [st.name for st in q.steps
                       if st.asked and st.name in values and not same_as_reference(st, values[st.name])]
            if not changed:
                continue  # this draw gives the same values with and without the mistake
            r = step_result(grade_question(q, answers_from(q, values)), changed[0])
            assert r.status == "mistake" and m.name in r.mistakes, (q.seed, m.name, r)
            seen.add(m.name)
    assert declared, f"{gid} names no common mistake"
    assert seen == declared, f"never recognised: {declared - seen}"


@pytest.mark.parametrize("gid", GENERATORS)
def test_follow_through_from_a_wrong_first_step(gid):
    """A wrong first answer, then later answers consistent with it: the later steps that depend on
    it are credited as follow-through, the wrong step is not, and its part is not full marks."""
    gen = registry.get(gid)
    if not gen.rerun or gen.concept:
        pytest.skip("no later step builds on an earlier one: nothing to follow through")
    credited = 0
    for q in _questions(gid, range(30)):
        first = q.parts[0].steps[0]
        st = q.step(first)
        wrong = clearly_wrong(st)
        g = gen.Givens.model_validate(q.givens)
        values = gen.run(g, substitute={first: kinds.of(st).read(st, wrong)}).values
        values[first] = wrong
        report = grade_question(q, answers_from(q, values))
        assert step_result(report, first).status in ("wrong", "partial", "mistake", "near_miss")
        finals_changed = any(not same_as_reference(q.step(a), values[a]) for a in q.parts[0].answer)
        if first in q.parts[0].answer or finals_changed:
            assert report.parts[0].score < 10
        for p in report.parts:
            for r in p.steps:
                if r.name != first:
                    assert r.status in ("correct", "follow_through"), (q.seed, r)
                    credited += r.status == "follow_through"
    assert credited > 0, "no later step ever depended on the first one"


def test_mistake_never_gives_full_marks_for_trivial_early_answers():
    """Numbas' lesson: entering 0 early to make later steps easy must not earn full marks."""
    gen = registry.get("adam")
    q = gen.build(gen.givens({"w0": 1.0, "grads": [0.5], "lr": 0.1}))
    g = gen.Givens.model_validate(q.givens)
    values = gen.run(g, substitute={"m1": 0.0, "v1": 0.0, "m_hat1": 0.0, "v_hat1": 1.0}).values
    values.update(m1=0.0, v1=0.0, m_hat1=0.0, v_hat1=1.0)
    report = grade_question(q, answers_from(q, values))
    assert report.parts[0].score < 5
    assert math.isclose(values["w1"], 1.0)
