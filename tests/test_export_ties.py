"""Equally right answers (``Step.alternatives``, e.g. the tied actions of an argmax) are right in
every export too. No generator has a tie in these seeds, so one is added to a stored question."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from examgen import export
from examgen.model import Exam

from .export_support import variants
from .test_export_moodle import parse_cloze
from .test_export_qti21 import QTI, Item

Q12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def _tied_exam() -> tuple[Exam, str, str, object]:
    """An exam of one question with a tie on a choice step and on a number step."""
    exams, _ = variants("generators")
    q = next(q for q in exams[0].questions
             if any(s.kind == "choice" and s.asked for s in q.steps) and any(s.kind == "scalar" for s in q.steps))
    choice = next(s for s in q.steps if s.kind == "choice" and s.asked)
    number = next(s for s in q.steps if s.kind == "scalar" and s.asked)
    other = next(o for o in choice.options if o != choice.value)
    tied = number.value + 40 * max(number.tolerance.abs, number.tolerance.rel * abs(number.value))
    steps = [s.model_copy(update={"alternatives": [other]}) if s is choice else
             s.model_copy(update={"alternatives": [tied]}) if s is number else s for s in q.steps]
    q = q.model_copy(update={"steps": steps, "id": "q1"})
    return exams[0].model_copy(update={"questions": [q]}), choice.name, number.name, (other, tied)


def test_ties_are_right_in_qti_moodle_and_canvas():
    exam, choice, number, (other, tied) = _tied_exam()
    q = exam.questions[0]

    data, manifest, _ = export.render([exam], ["v1"], "qti21")
    item = Item(etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("items/q1-v1.xml")))
    fields = {f.step: f.ident for f in manifest.items[0].fields}
    body = item.root.find(f"{QTI}itemBody")
    ids = {c.text.strip() if c.text else "": c.get("identifier") for c in body.iter(f"{QTI}simpleChoice")}
    key_choice = item.run({fields[choice]: ids.get(q.step(choice).value)})[0]
    assert key_choice > 0 and item.run({fields[choice]: ids.get(other)})[0] == key_choice
    key_number = item.run({fields[number]: q.step(number).value})[0]
    assert key_number > 0 and item.run({fields[number]: tied})[0] == key_number

    data, manifest, _ = export.render([exam], ["v1"], "moodle")
    text = next(x for x in etree.fromstring(data).iter("question") if x.get("type") == "cloze")
    subs, _ = parse_cloze(text.find("questiontext/text").text)
    by_step = dict(zip((f.step for f in manifest.items[0].fields), subs))
    assert {a.answer for a in by_step[choice].alts if a.fraction == 100} == {q.step(choice).value, other}
    right = [float(a.answer.split(":")[0]) for a in by_step[number].alts if a.fraction == 100]
    assert len(right) == 2 and abs(right[1] - tied) < 1e-9

    data, manifest, _ = export.render([exam], ["v1"], "canvas")
    z = zipfile.ZipFile(io.BytesIO(data))
    items = {i.get("ident"): i for n in z.namelist() if n.endswith("v1.xml")
             for i in etree.fromstring(z.read(n)).iter(f"{Q12}item")}
    fields = {f.step: f.ident for f in manifest.items[0].fields}
    for step in (choice, number):
        scoring = [c for c in items[fields[step]].iter(f"{Q12}respcondition") if c.findtext(f"{Q12}setvar") == "100"]
        assert len(scoring) == 2
