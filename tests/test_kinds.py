"""Answer kinds as plug-ins (examgen/kinds): every kind a step can have is one registered class that
reads, compares, shows and asks for its answers; the renderers and the policy read no grader."""

from __future__ import annotations

import jsonschema
import numpy as np
import pytest

import examgen
from examgen import kinds, policy
from examgen.model import Step, StepKind
from typing import get_args

from .conftest import grade, status


def _exam():
    from examgen import registry
    gens = [g.id for g in registry.all_generators() if not g.needs_torch]
    return examgen.generate(generators=gens, seed=3, concept_share=0.0)


def test_every_step_kind_of_the_model_is_a_registered_kind():
    assert set(get_args(StepKind)) == set(kinds.names())
    for name in kinds.names():
        assert kinds.of(name).name == name


def test_every_kind_reads_back_what_it_shows_of_a_reference_value():
    """The kind of each step of an every-generator exam reads its own shown reference value as a
    match (what the messages print is a valid answer)."""
    exam = _exam()
    seen = set()
    for q in exam.questions:
        for st in q.steps:
            k = kinds.of(st)
            seen.add(st.kind)
            shown = k.show(st, st.value)
            if st.kind == "single":  # "C (the option's text)": the letter is the answer
                shown = shown.split()[0]
            if st.kind in ("scalar",) and st.tolerance and st.tolerance.sigfigs:
                continue  # shown to 4 decimals: may be outside a tight relative tolerance
            assert np.all(k.matches(st, k.read(st, shown), k.reference(st))), (q.generator, st.name, shown)
            assert k.hint(st) and k.marking(st).startswith(k.hint(st))
            html = k.html_field(st, "f1", 'data-q="q1"')
            assert html.startswith("<") and 'id="f1"' in html and 'data-q="q1"' in html
            assert k.pdf_field(st, "x").startswith("#answer-")
    assert {"scalar", "integer", "vector", "matrix"} <= seen


def test_answers_schema_accepts_the_key_and_the_template_and_refuses_unknown_steps():
    exam = examgen.generate(topics=["rl", "cnn"], seed=7, concept_share=0.5)
    schema = examgen.api.answers_schema(exam)
    for sheet in (examgen.answer_sheet(exam, key=True), examgen.answer_sheet(exam)):
        jsonschema.validate(sheet.model_dump(mode="json"), schema)
    bad = examgen.answer_sheet(exam, key=True).model_dump(mode="json")
    q = exam.questions[0]
    bad["answers"][q.id][q.parts[0].id]["no_such_step"] = 1
    with pytest.raises(jsonschema.ValidationError, match="no_such_step"):
        jsonschema.validate(bad, schema)
    bad = examgen.answer_sheet(exam, key=True).model_dump(mode="json")
    step = next(s for s in q.steps if s.kind == "scalar" and s.asked)
    part = next(p for p in q.parts if step.name in p.steps)
    bad["answers"][q.id][part.id][step.name] = {"a": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_renderers_import_neither_the_registry_nor_the_grader():
    """Renderers read the exam model only: no module of render/ imports the registry, the
    generators or the grader (importing ``examgen`` itself loads them, so this reads the sources)."""
    import ast
    from pathlib import Path

    forbidden = ("registry", "grading", "generators", "api", "exam")
    for path in Path(examgen.__file__).parent.joinpath("render").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{a.name}".lstrip(".") for a in node.names]
                assert not any(n.split(".")[0] in forbidden for n in names), (path.name, names)
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith(("examgen.registry", "examgen.grading")) for a in node.names)


def test_the_printed_policy_states_the_credit_each_rule_gives():
    """The policy text is written from the rules' table, and grading gives those credits: a
    follow-through answer earns FOLLOW_THROUGH.credit of its step, a near miss NEAR_MISS.credit."""
    for rule in policy.RULES:
        if rule.credit is not None:
            assert f"{rule.credit:.0%}".replace("%", " %") in policy.POLICY, rule
        assert rule.explains in policy.POLICY
    # adam: w0 = 1, g1 = 0.5, lr = 0.1 (hand case in test_hand_cases): m1 wrong (0.5), m_hat1 = 5 from it
    q, r = grade("adam", {"w0": 1.0, "grads": [0.5], "lr": 0.1}, {"a": {"m1": 0.5, "m_hat1": 5}})
    res = {s.name: s for s in r.parts[0].steps}
    assert res["m_hat1"].status == policy.FOLLOW_THROUGH.status
    assert res["m_hat1"].credit == pytest.approx(policy.FOLLOW_THROUGH.credit)
    q, r = grade("adam", {"w0": 1.0, "grads": [0.5], "lr": 0.1}, {"a": {"w1": 0.9 + 0.0005}})  # 4 decimals asked: 5 units off
    assert status(r, "w1")[0] == policy.NEAR_MISS.status
    assert next(s for s in r.parts[0].steps if s.name == "w1").credit == pytest.approx(policy.NEAR_MISS.credit)


def test_a_stored_mistake_value_written_as_a_whole_number_still_matches_within_tolerance():
    st = Step(name="x", label="x", kind="scalar", value=2.0, tolerance={"abs": 0.01, "decimals": 2})
    k = kinds.of(st)
    assert k.matches(st, 2.004, k.reference(st, 2)) is True


def test_any_of_the_equally_right_answers_of_a_tie_is_correct_and_the_solution_names_them():
    from examgen.grading.mark import grade_question
    from examgen.model import Question
    from examgen.render.html import worked_html

    step = dict(name="act", label="action", kind="choice", value="left", options=["up", "down", "left", "right"],
                alternatives=["up"])
    q = Question(id="q1", generator="none", version=1, topic="rl", goal="14.3", title="tie", givens={},
                 stem="", parts=[{"id": "a", "prompt": "", "steps": ["act"], "answer": ["act"]}], steps=[step])
    for answer, status_, score in (("left", "correct", 10), ("UP", "correct", 10), ("down", "wrong", 0)):
        r = grade_question(q, {"a": {"act": answer}})
        assert r.parts[0].steps[0].status == status_ and r.parts[0].score == score, answer
    assert "Equally right (a tie): up" in worked_html(q.step("act"))
