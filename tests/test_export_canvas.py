"""Canvas Classic (QTI 1.2) export, read back and checked against examgen's key: every field a
Canvas question with the right type, points and answer (a numerical answer's range is the step's
tolerance around its value), the package's manifest listing every quiz and file, and pools as
question groups that pick one when every variant is a single field."""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache

import pytest
from lxml import etree

from examgen import export

from .export_support import close, expected, variants

pytestmark = pytest.mark.slow  # every generator's variants exported and read back

Q = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


@lru_cache(maxsize=None)
def package(which: str):
    exams, ids = variants(which) if which != "single" else _single_field()
    data, manifest, notes = export.render(list(exams), list(ids), "canvas", None, "quiz.zip")
    return zipfile.ZipFile(io.BytesIO(data)), manifest, notes, exams, ids


@lru_cache(maxsize=1)
def _single_field():
    """Questions of one answer each: a question-bank item of each type that has one field (single
    choice, multiple choice, a number, an order), in 5 variants (other option orders)."""
    from examgen import bank, registry
    from examgen.generators.concepts import question_for
    from examgen.model import Exam, ExamSpec

    items = bank.load()
    picks = [next((tid, iid) for iid, (tid, it) in sorted(items.items()) if it.type == t)
             for t in ("single", "multi", "numeric", "ordering")]
    exams = []
    for v in range(1, 6):
        questions = [registry.with_mistake_values(question_for(registry.get(f"concept_{tid}"), iid, 100 * v + i,
                                                               f"q{i}"))
                     for i, (tid, iid) in enumerate(picks, 1)]
        exams.append(Exam(id=f"bank-v{v}", title="Bank items", spec=ExamSpec(topics=[picks[0][0]], seed=v),
                          questions=questions))
    return tuple(exams), tuple(f"v{v}" for v in range(1, 6))


def _items(z) -> dict[str, etree._Element]:
    out = {}
    for name in z.namelist():
        if name.endswith(".xml") and "/" in name and not name.endswith("assessment_meta.xml"):
            for item in etree.fromstring(z.read(name)).iter(f"{Q}item"):
                out[item.get("ident")] = item
    return out


def _meta(item) -> dict[str, str]:
    return {f.findtext(f"{Q}fieldlabel"): f.findtext(f"{Q}fieldentry") for f in item.iter(f"{Q}qtimetadatafield")}


@pytest.mark.parametrize("which", ["generators", "topics", "single"])
def test_manifest_lists_every_quiz_and_file(which):
    z, *_ = package(which)
    root = etree.fromstring(z.read("imsmanifest.xml"))
    listed = {f.get("href") for f in root.iter(f"{CP}file")}
    assert listed == set(z.namelist()) - {"imsmanifest.xml"}
    for name in listed:
        if name.endswith(".xml"):
            etree.fromstring(z.read(name))  # well-formed


@pytest.mark.parametrize("which", ["generators", "topics", "single"])
def test_round_trip_every_field_of_every_variant_matches_examgen_key(which):
    z, manifest, _, exams, ids = package(which)
    items = _items(z)
    checked = 0
    for ref in manifest.items:
        q = next(q for q in exams[ids.index(ref.variant)].questions if q.id == ref.question)
        keys = expected(q)
        assert [(f.part, f.step, f.entry) for f in ref.fields] == [(k.part, k.step, k.entry) for k in keys]
        for f, k in zip(ref.fields, keys):
            item = items[f.ident]
            meta = _meta(item)
            assert close(float(meta["points_possible"]), float(k.points), 1e-9), (f.ident, k.step)
            if k.margin is not None:
                assert meta["question_type"] == "numerical_question"
                lo = float(item.find(f".//{Q}vargte").text)
                hi = float(item.find(f".//{Q}varlte").text)
                assert close((lo + hi) / 2, k.value, 1e-9) and close((hi - lo) / 2, k.margin, 1e-6), (f.ident, k.step)
            elif meta["question_type"] in ("multiple_choice_question", "true_false_question",
                                           "multiple_answers_question"):
                labels = {r.get("ident"): r.findtext(f".//{Q}mattext") for r in item.iter(f"{Q}response_label")}
                scoring = [c for c in item.iter(f"{Q}respcondition") if c.findtext(f"{Q}setvar") == "100"]
                assert len(scoring) == 1
                cond = scoring[0].find(f"{Q}conditionvar")
                right = [v.text for v in cond.iter(f"{Q}varequal") if v.getparent().tag != f"{Q}not"]
                want = k.value if isinstance(k.value, list) else [k.value]
                got = [labels[r] for r in right]
                if meta["question_type"] == "true_false_question":
                    want = ["True" if v == "true" else "False" for v in want]
                assert sorted(got) == sorted(_html(w) for w in want), (f.ident, k.step)
            elif meta["question_type"] == "matching_question":
                checks = item.iter(f"{Q}respcondition")
                assert sum(float(c.findtext(f"{Q}setvar")) for c in checks if c.findtext(f"{Q}setvar")) == \
                    pytest.approx(100)
            else:
                assert meta["question_type"] == "short_answer_question"
                assert item.find(f".//{Q}varequal").text == str(k.value)
            checked += 1
    assert checked >= (20 if which == "single" else 500)


def _html(text: str) -> str:
    from examgen.export import plan

    return plan.inline(text, plan.tex)


def test_single_field_pools_are_question_groups_picking_one():
    z, manifest, _, exams, ids = package("single")
    quizzes = [n for n in z.namelist() if n.endswith(".xml") and "/" in n and "meta" not in n]
    assert len(quizzes) == 1
    root = etree.fromstring(z.read(quizzes[0]))
    groups = [s for s in root.iter(f"{Q}section") if s.get("ident") != "root_section"]
    assert len(groups) == len(exams[0].questions)
    for g in groups:
        assert g.findtext(f".//{Q}selection_number") == "1"
        assert len(list(g.iter(f"{Q}item"))) == len(ids)


def test_multi_step_variants_become_one_quiz_each_and_the_notes_say_so():
    z, _, notes, exams, ids = package("generators")
    quizzes = [n for n in z.namelist() if n.endswith(".xml") and "/" in n and "meta" not in n]
    assert len(quizzes) == len(ids)
    assert any("one per variant" in n for n in notes)
