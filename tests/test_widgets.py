"""Answer widgets (each kind's html_field and widget script), read as HTML without a browser: one
widget per asked step, of the step's shape, numeric keyboards only for numbers, working folded
under "Show your working", and no reference value in the page (the browser tests fill them)."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import pytest
from lxml import html as lxml_html

import examgen
from examgen import kinds, registry
from examgen.render.html import exam_html, widget_script


@lru_cache(maxsize=None)
def every_kind_exam():
    """An exam with every generator and bank items of every lecture: every kind appears."""
    gens = [g.id for g in registry.all_generators() if not g.needs_torch]
    for seed in range(40):
        exam = examgen.generate(generators=gens, seed=seed)
        if {st.kind for q in exam.questions for st in q.steps if st.asked} == set(kinds.names()):
            return exam
    raise AssertionError("no seed below 40 gives an exam with every kind")


@lru_cache(maxsize=None)
def page():
    return lxml_html.fromstring(exam_html(every_kind_exam()))


def widgets(doc):
    return {(w.get("data-q"), w.get("data-p"), w.get("data-s")): w for w in doc.xpath("//*[@data-kind]")}


def test_one_widget_per_asked_step_named_by_question_part_and_step():
    exam, doc = every_kind_exam(), page()
    found = widgets(doc)
    expected = {(q.id, p.id, n) for q in exam.questions for p in q.parts for n in p.steps}
    assert set(found) == expected
    assert len(doc.xpath("//*[@data-kind]")) == len(expected)  # no duplicates
    for q in exam.questions:
        for p in q.parts:
            for n in p.steps:
                w = found[(q.id, p.id, n)]
                assert w.get("data-kind") == q.step(n).kind
                first = w if w.tag in ("input", "select") else w.xpath(".//input|.//select")[0]
                assert first.get("id") == f"{q.id}.{p.id}.{n}"  # the label's target
                assert doc.xpath(f'//label[@for="{q.id}.{p.id}.{n}"]')


def test_grids_have_a_cell_per_entry_and_numeric_keyboards_only_for_numbers():
    exam, found = every_kind_exam(), widgets(page())
    for q in exam.questions:
        for p in q.parts:
            for n in p.steps:
                st, w = q.step(n), found[(q.id, p.id, n)]
                inputs = [w] if w.tag == "input" else w.xpath(".//input[@type='text']")
                modes = {i.get("inputmode") for i in inputs}
                if st.kind in ("vector", "matrix", "tensor"):
                    assert len(inputs) == math.prod(st.shape), (q.generator, n)
                if kinds.of(st).numeric:
                    assert modes == {"decimal"}, (q.generator, n, modes)
                else:
                    assert "decimal" not in modes, (q.generator, n, st.kind)


def test_choice_widgets_offer_every_option_once():
    exam, found = every_kind_exam(), widgets(page())
    for q in exam.questions:
        for p in q.parts:
            for n in p.steps:
                st, w = q.step(n), found[(q.id, p.id, n)]
                if st.kind == "choice":
                    assert [i.get("value") for i in w.xpath(".//input[@type='radio']")] == st.options
                elif st.kind in ("single", "multi"):
                    values = [i.get("value") for i in w.xpath(".//input")]
                    assert values == list("ABCDEFGHIJ"[:len(st.options)])
                elif st.kind == "truefalse":
                    assert len(w.xpath(".//*[@class='tf']")) == len(st.options)
                elif st.kind == "ordering":
                    assert len(w.xpath(".//select")) == len(st.options)


def test_working_is_folded_and_final_answers_are_not():
    exam, found = every_kind_exam(), widgets(page())
    folded = 0
    for q in exam.questions:
        for p in q.parts:
            for n in p.steps:
                inside = found[(q.id, p.id, n)].xpath("ancestor::details[@class='working']")
                assert bool(inside) == (n not in p.answer), (q.generator, p.id, n)
                folded += bool(inside)
    assert folded > 20
    summaries = page().xpath("//details[@class='working']/summary")
    assert summaries and all("Show your working" in s.text_content() for s in summaries)


def test_the_page_has_the_script_of_each_kind_it_uses_and_no_other():
    exam = every_kind_exam()
    script = str(widget_script(exam.questions))
    for name in kinds.names():
        if kinds.of(name).widget_script:
            assert kinds.of(name).widget_script.replace("</", "<\\/") in script
    one = examgen.generate(generators=["adam"], seed=1)
    assert "examgen.widgets.multi" not in str(widget_script(one.questions))
    assert "examgen.collect" in str(widget_script(one.questions))


@pytest.mark.parametrize("name", ["single", "multi", "truefalse", "ordering", "choice", "matrix", "expression"])
def test_widgets_hold_no_reference_value(name):
    """A widget shows the options but never which is right, nor any value of the step."""
    exam = every_kind_exam()
    for q in exam.questions:
        for p in q.parts:
            for n in p.steps:
                st = q.step(n)
                if st.kind != name:
                    continue
                field = kinds.of(st).html_field(st, "f", 'data-q="q" data-p="p" data-s="s"')
                assert not re.search(r"\b(checked|selected)\b|value=\"[^\"]*\"\s+checked", field)
                if name in ("matrix", "expression"):
                    assert "value=" not in field
                    if st.value not in (st.variables or []):  # a formula that is just one variable's name
                        assert str(st.value) not in field
