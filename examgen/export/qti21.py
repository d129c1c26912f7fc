"""IMS QTI 2.1 content package: ``imsmanifest.xml``, one ``assessmentItem`` per question variant
(``items/<slot>-<variant>.xml``, figures in ``items/images/``) and, except for Inspera, an
``assessmentTest`` (``test.xml``) with a section per question slot that selects one variant.

Each field of the plan (:mod:`.plan`) is an interaction: a number or text a ``textEntryInteraction``
(``baseType`` float, integer or string), options a ``choiceInteraction`` (one, or several with a
``mapping`` of +1/k for each right option and -1/k for each wrong one, bounded to [0, 1]: the
``grade`` rule), an order an ``orderInteraction``. Response processing is written out in full
(no templates), and only adds to ``SCORE``, so that it also suits Inspera, which imports only
inline response processing with the ``SCORE`` and ``FEEDBACK`` outcomes:

* per part: when every final answer is right, the part's points; otherwise each field's share
  (:attr:`.plan.Field.points`) times its credit: 1 when right (``equal`` within the step's
  tolerance, ``match`` for whole numbers and options), a named mistake's credit when its value
  matches (within the tolerance around that value), 50 % for a near miss; multiple choice by its
  mapping, an order by the share of pairs in the right relative order;
* tolerances: ``toleranceMode="relative"`` (in percent) when the step's relative tolerance sets the
  margin and the value is positive, else ``absolute`` with the margin ``max(abs, rel * |value|)``.
  (The spec's relative range ``x(1 - t/100) .. x(1 + t/100)`` is empty for a negative ``x`` in
  implementations that do not reorder it, so negative values use the same margin absolutely.)
* feedback (standard flavour): a named mistake, a near miss, and a wrongly chosen option add their
  ``modalFeedback`` to the ``FEEDBACK`` outcome; the worked solution is always shown. Inspera:
  ``FEEDBACK`` is one of ``feedback_unanswered / _wrong / _partially_correct / _correct``.

Math is MathML (the QTI schema imports MathML 2; examgen's MathML validates against it).
"""

from __future__ import annotations

import io
import re
import zipfile
from fractions import Fraction

from lxml import etree

from ..kinds import lms
from ..render.math import mathml
from . import plan
from .manifest import FieldRef, ItemRef

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
MD = "http://www.imsglobal.org/xsd/imsmd_v1p2"
SCHEMA = f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
"""Fixed member dates: the same exam gives the same package, byte for byte."""


def _e(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    node = etree.SubElement(parent, f"{{{QTI}}}{tag}", {k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        node.text = text
    return node


def _html(parent, html: str) -> None:
    """Append an XHTML fragment (paragraphs, lists, MathML) as QTI body elements."""
    wrapper = etree.fromstring(f'<div xmlns="{QTI}">{html}</div>'.encode())
    if wrapper.text:
        last = parent[-1] if len(parent) else None
        if last is None:
            parent.text = (parent.text or "") + wrapper.text
        else:
            last.tail = (last.tail or "") + wrapper.text
    for child in list(wrapper):
        parent.append(child)


def _float(x) -> str:
    return repr(float(x))


def _ident(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


class _Item:
    """One assessmentItem being written."""

    def __init__(self, item: plan.Item, inspera: bool):
        self.item, self.inspera = item, inspera
        self.feedback: dict[str, str] = {}  # modalFeedback identifier -> HTML
        self.rid = {id(f): f"RESPONSE_{i}" for i, f in enumerate(item.fields, 1)}
        self.choice_ids: dict[int, dict[str, str]] = {}
        self.root = etree.Element(f"{{{QTI}}}assessmentItem", nsmap={None: QTI, "xsi": XSI}, attrib={
            f"{{{XSI}}}schemaLocation": SCHEMA, "identifier": item.ident, "title": item.name[:200],
            "adaptive": "false", "timeDependent": "false"})

    # --- declarations ------------------------------------------------------------------------
    def declarations(self) -> None:
        for f in self.item.fields:
            rid, form = self.rid[id(f)], f.form
            if isinstance(form, lms.Number):
                d = _e(self.root, "responseDeclaration", identifier=rid, cardinality="single",
                       baseType="integer" if form.exact else "float")
                _e(_e(d, "correctResponse"), "value", str(int(form.value)) if form.exact else plan.number(form.value))
            elif isinstance(form, (lms.Options, lms.Order)):
                ids = self.choice_ids[id(f)] = {o: f"C{i}" for i, o in enumerate(form.options, 1)}
                multiple = isinstance(form, lms.Options) and form.multiple
                card = "ordered" if isinstance(form, lms.Order) else ("multiple" if multiple else "single")
                d = _e(self.root, "responseDeclaration", identifier=rid, cardinality=card, baseType="identifier")
                cr = _e(d, "correctResponse")
                for o in form.correct:
                    _e(cr, "value", ids[o])
                if multiple:
                    k = Fraction(1, max(1, len(form.correct)))
                    m = _e(d, "mapping", lowerBound="0", upperBound="1", defaultValue="0")
                    for o in form.options:
                        _e(m, "mapEntry", mapKey=ids[o], mappedValue=_float(k if o in form.correct else -k))
            else:
                d = _e(self.root, "responseDeclaration", identifier=rid, cardinality="single", baseType="string")
                _e(_e(d, "correctResponse"), "value", form.text)
        score = _e(self.root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float",
                   normalMaximum=self.item.points)
        _e(_e(score, "defaultValue"), "value", "0")
        if not self.inspera:
            mx = _e(self.root, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single", baseType="float")
            _e(_e(mx, "defaultValue"), "value", str(self.item.points))
        _e(self.root, "outcomeDeclaration", identifier="FEEDBACK", baseType="identifier",
           cardinality="single" if self.inspera else "multiple")

    # --- body --------------------------------------------------------------------------------
    def body(self, figure: str | None) -> None:
        q = self.item.question
        body = _e(self.root, "itemBody")
        stem = _e(body, "div", class_="stem")
        _html(stem, plan.html(plan.stem(self.item), mathml))
        if figure:
            _e(_e(body, "p"), "img", src=figure, alt=f"Figure for question {self.item.slot}")
        for p in self.item.parts:
            div = _e(body, "div", class_="part")
            head = _e(div, "p")
            _e(head, "strong", f"({p.part.id})").tail = " "
            _html(head, plan.inline(p.part.prompt, mathml) + f" ({p.part.points} points)")
            for f in p.fields:
                self.interaction(div, f)
        _e(body, "p", f"examgen item {self.item.ident}", class_="examgen-id")

    def interaction(self, parent, f: plan.Field) -> None:
        rid, form = self.rid[id(f)], f.form
        if isinstance(form, (lms.Options, lms.Order)):
            ids = self.choice_ids[id(f)]
            if isinstance(form, lms.Order):
                node = _e(parent, "orderInteraction", responseIdentifier=rid, shuffle="false")
            else:
                node = _e(parent, "choiceInteraction", responseIdentifier=rid, shuffle="false",
                          maxChoices="0" if form.multiple else "1")
            _html(_e(node, "prompt"), plan.inline(f.label, mathml))
            for o in form.options:
                label = form.label(o) if isinstance(form, lms.Options) else o
                _html(_e(node, "simpleChoice", identifier=ids[o]), plan.inline(label, mathml))
            return
        line = _e(parent, "p")
        _html(line, plan.inline(f.label, mathml) + " ")
        _e(line, "textEntryInteraction", responseIdentifier=rid, expectedLength="16").tail = " "
        _e(line, "span", f.hint, class_="hint")

    # --- response processing -----------------------------------------------------------------
    def processing(self) -> None:
        rp = _e(self.root, "responseProcessing")
        for p in self.item.parts:
            cond = _e(rp, "responseCondition")
            right = _e(cond, "responseIf")
            test = _e(right, "and") if len(p.final) > 1 else right
            for f in p.final:
                test.append(self.correct(f))
            self.add_score(right, p.part.points)
            otherwise = _e(cond, "responseElse")
            for f in p.fields:
                self.credit(otherwise, f)
        if not self.inspera:
            for f in self.item.fields:
                self.option_feedback(rp, f)
            self.solution(rp)
        else:
            self.inspera_feedback(rp)

    def var(self, f: plan.Field) -> etree._Element:
        return etree.Element(f"{{{QTI}}}variable", identifier=self.rid[id(f)])

    def number_test(self, f: plan.Field, n: lms.Number) -> etree._Element:
        if n.exact:
            node = etree.Element(f"{{{QTI}}}match")
            node.append(self.var(f))
            _e(node, "baseValue", str(int(n.value)), baseType="integer")
            return node
        if n.relative is not None and n.value > 0:
            mode, tol = "relative", _float(n.relative * 100)
        else:
            mode, tol = ("absolute", _float(n.margin)) if n.margin > 0 else ("exact", None)
        attrs = {"toleranceMode": mode} | ({"tolerance": f"{tol} {tol}"} if tol else {})
        node = etree.Element(f"{{{QTI}}}equal", attrs)
        _e(node, "baseValue", plan.number(n.value), baseType="float")  # the reference first: see the docstring
        node.append(self.var(f))
        return node

    def option_test(self, f: plan.Field, option: str) -> etree._Element:
        node = etree.Element(f"{{{QTI}}}match")
        node.append(self.var(f))
        _e(node, "baseValue", self.choice_ids[id(f)][option], baseType="identifier")
        return node

    def correct(self, f: plan.Field) -> etree._Element:
        """The test that the field is right: its key, or one of its equally right answers."""
        if not f.also_right:
            return self.right(f, f.form)
        node = etree.Element(f"{{{QTI}}}or")
        for form in (f.form,) + f.also_right:
            node.append(self.right(f, form))
        return node

    def right(self, f: plan.Field, form) -> etree._Element:
        if isinstance(form, lms.Number):
            return self.number_test(f, form)
        if isinstance(form, lms.Options) and not form.multiple:
            return self.option_test(f, form.correct[0])
        if isinstance(form, lms.Unsupported):
            node = etree.Element(f"{{{QTI}}}stringMatch", caseSensitive="false")
            node.append(self.var(f))
            _e(node, "baseValue", form.text, baseType="string")
            return node
        node = etree.Element(f"{{{QTI}}}match")
        node.append(self.var(f))
        if form is f.form:
            _e(node, "correct", identifier=self.rid[id(f)])
        else:  # an equally right set or order of options
            values = _e(node, "ordered" if isinstance(form, lms.Order) else "multiple")
            for o in form.correct:
                _e(values, "baseValue", self.choice_ids[id(f)][o], baseType="identifier")
        return node

    def add_score(self, parent, points) -> None:
        s = _e(parent, "setOutcomeValue", identifier="SCORE")
        total = _e(s, "sum")
        _e(total, "variable", identifier="SCORE")
        if isinstance(points, etree._Element):
            total.append(points)
        else:
            _e(total, "baseValue", _float(points), baseType="float")

    def add_feedback(self, parent, ident: str, html: str) -> None:
        self.feedback.setdefault(ident, html)
        s = _e(parent, "setOutcomeValue", identifier="FEEDBACK")
        m = _e(s, "multiple")
        _e(m, "variable", identifier="FEEDBACK")
        _e(m, "baseValue", ident, baseType="identifier")

    def credit(self, parent, f: plan.Field) -> None:
        """The field's credit when its part's final answer is not right."""
        form = f.form
        if isinstance(form, lms.Order) or (isinstance(form, lms.Options) and form.multiple):
            whole = _e(parent, "responseCondition")  # right as a whole, else its partial-credit rule
            right = _e(whole, "responseIf")
            right.append(self.correct(f))
            self.add_score(right, f.points)
            partly = _e(whole, "responseElse")
            if isinstance(form, lms.Options):
                cond = _e(_e(partly, "responseCondition"), "responseIf")
                _e(_e(cond, "not"), "isNull").append(self.var(f))
                product = etree.Element(f"{{{QTI}}}product")
                _e(product, "baseValue", _float(f.points), baseType="float")
                _e(product, "mapResponse", identifier=self.rid[id(f)])
                self.add_score(cond, product)
                return
            pairs = [(a, b) for i, a in enumerate(form.correct) for b in form.correct[i + 1:]]
            for a, b in pairs:
                cond = _e(_e(partly, "responseCondition"), "responseIf")
                self.pair_test(cond, f, a, b, len(form.options))
                self.add_score(cond, f.points / len(pairs))
            return
        cond = _e(parent, "responseCondition")
        right = _e(cond, "responseIf")
        right.append(self.correct(f))
        self.add_score(right, f.points)
        for alt in f.alternatives:
            feedback = not self.inspera
            if not alt.credit and not feedback:
                continue
            branch = _e(cond, "responseElseIf")
            branch.append(self.number_test(f, alt.answer) if isinstance(alt.answer, lms.Number)
                          else self.option_test(f, alt.answer))
            if alt.credit:
                self.add_score(branch, f.points * Fraction(alt.credit).limit_denominator(10_000))
            if feedback:
                ident = "NEAR_MISS" if alt.names == ("near_miss",) else "M_" + _ident("_".join(alt.names))
                self.add_feedback(branch, ident, plan.html(alt.feedback, mathml))

    def pair_test(self, parent, f: plan.Field, a: str, b: str, n: int) -> None:
        """True when ``a`` comes before ``b`` in the response (QTI has no index-of: every pair of
        positions is tried)."""
        ids = self.choice_ids[id(f)]
        anyway = _e(parent, "or")
        for i in range(1, n + 1):
            for j in range(i + 1, n + 1):
                both = _e(anyway, "and")
                for pos, option in ((i, a), (j, b)):
                    m = _e(both, "match")
                    _e(m, "index", n=pos).append(self.var(f))
                    _e(m, "baseValue", ids[option], baseType="identifier")

    def option_feedback(self, rp, f: plan.Field) -> None:
        """Why a chosen option is wrong (question-bank steps)."""
        form = f.form
        if not isinstance(form, lms.Options) or not form.feedback:
            return
        for o, why in form.feedback.items():
            if o in form.correct or o not in self.choice_ids[id(f)]:
                continue
            cond = _e(_e(rp, "responseCondition"), "responseIf")
            if form.multiple:
                member = _e(cond, "member")
                _e(member, "baseValue", self.choice_ids[id(f)][o], baseType="identifier")
                member.append(self.var(f))
            else:
                cond.append(self.option_test(f, o))
            ident = f"F{self.rid[id(f)].split('_')[1]}_{self.choice_ids[id(f)][o]}"
            self.add_feedback(cond, ident, plan.html(f"{form.label(o)}: {why}", mathml))

    def solution(self, rp) -> None:
        always = _e(_e(rp, "responseCondition"), "responseIf")
        _e(always, "baseValue", "true", baseType="boolean")
        self.add_feedback(always, "SOLUTION",
                          "<p><strong>Worked solution</strong></p>" + plan.solution_html(self.item.question, mathml))

    def inspera_feedback(self, rp) -> None:
        cond = _e(rp, "responseCondition")
        unanswered = _e(cond, "responseIf")
        every = _e(unanswered, "and")
        for f in self.item.fields:
            _e(every, "isNull").append(self.var(f))
        self.set_feedback(unanswered, "feedback_unanswered")
        for test, value, ident in (("gte", self.item.points - 1e-9, "feedback_correct"),
                                   ("gt", 0, "feedback_partially_correct")):
            branch = _e(cond, "responseElseIf")
            t = _e(branch, test)
            _e(t, "variable", identifier="SCORE")
            _e(t, "baseValue", _float(value), baseType="float")
            self.set_feedback(branch, ident)
        self.set_feedback(_e(cond, "responseElse"), "feedback_wrong")

    def set_feedback(self, parent, ident: str) -> None:
        _e(_e(parent, "setOutcomeValue", identifier="FEEDBACK"), "baseValue", ident, baseType="identifier")

    def modal_feedback(self) -> None:
        for ident, html in self.feedback.items():
            mf = _e(self.root, "modalFeedback", outcomeIdentifier="FEEDBACK", identifier=ident, showHide="show",
                    title="Worked solution" if ident == "SOLUTION" else "Feedback")
            _html(mf, html)


def item_xml(item: plan.Item, inspera: bool = False, figure: str | None = None) -> bytes:
    """One question variant as an assessmentItem document."""
    w = _Item(item, inspera)
    w.declarations()
    w.body(figure)
    w.processing()
    w.modal_feedback()
    return etree.tostring(w.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def test_xml(pools: list[plan.Pool], title: str) -> bytes:
    """The assessmentTest: a section per question slot, each selecting one of its variants."""
    root = etree.Element(f"{{{QTI}}}assessmentTest", nsmap={None: QTI, "xsi": XSI}, attrib={
        f"{{{XSI}}}schemaLocation": SCHEMA, "identifier": "examgen-test", "title": title[:200]})
    _e(root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    part = _e(root, "testPart", identifier="part1", navigationMode="nonlinear", submissionMode="simultaneous")
    for pool in pools:
        section = _e(part, "assessmentSection", identifier=f"S_{pool.slot}", title=f"{pool.slot}: {pool.title}",
                     visible="true")
        _e(section, "selection", select="1")
        for it in pool.items:
            _e(section, "assessmentItemRef", identifier=it.ident, href=f"items/{it.ident}.xml")
    setter = _e(_e(root, "outcomeProcessing"), "setOutcomeValue", identifier="SCORE")
    _e(_e(setter, "sum"), "testVariables", variableIdentifier="SCORE")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _manifest_xml(pools: list[plan.Pool], files: dict[str, list[str]], with_test: bool) -> bytes:
    def cp(parent, tag, **attrs):
        return etree.SubElement(parent, f"{{{CP}}}{tag}", {k: str(v) for k, v in attrs.items()})

    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP, "imsmd": MD}, identifier="examgen-export")
    meta = cp(root, "metadata")
    cp(meta, "schema").text = "QTIv2.1 Package"
    cp(meta, "schemaversion").text = "1.0.0"
    cp(root, "organizations")
    resources = cp(root, "resources")
    if with_test:
        test = cp(resources, "resource", identifier="test", type="imsqti_test_xmlv2p1", href="test.xml")
        cp(test, "file", href="test.xml")
        for pool in pools:
            for it in pool.items:
                cp(test, "dependency", identifierref=f"item-{it.ident}")
    for pool in pools:
        for it in pool.items:
            href = f"items/{it.ident}.xml"
            res = cp(resources, "resource", identifier=f"item-{it.ident}", type="imsqti_item_xmlv2p1", href=href)
            lom = etree.SubElement(cp(res, "metadata"), f"{{{MD}}}lom")
            general = etree.SubElement(lom, f"{{{MD}}}general")
            etree.SubElement(etree.SubElement(general, f"{{{MD}}}title"), f"{{{MD}}}langstring").text = it.name
            taxon = etree.SubElement(etree.SubElement(etree.SubElement(lom, f"{{{MD}}}classification"),
                                                      f"{{{MD}}}taxonpath"), f"{{{MD}}}taxon")
            etree.SubElement(etree.SubElement(taxon, f"{{{MD}}}entry"), f"{{{MD}}}langstring").text = \
                f"examgen pool {pool.slot}"
            for name in files[it.ident]:
                cp(res, "file", href=name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write(pools: list[plan.Pool], title: str, flavour: str | None = None) -> tuple[bytes, list[ItemRef], list[str]]:
    """The content package (zip bytes), the manifest's items and what is lost."""
    inspera = flavour == "inspera"
    members: dict[str, bytes] = {}
    files: dict[str, list[str]] = {}
    refs = []
    for pool in pools:
        for it in pool.items:
            href = f"items/{it.ident}.xml"
            figure = None
            files[it.ident] = [href]
            if it.question.figure:
                figure = f"images/{it.ident}.svg"
                members[f"items/{figure}"] = it.question.figure.encode()
                files[it.ident].append(f"items/{figure}")
            members[href] = item_xml(it, inspera, figure)
            refs.append(ItemRef(ident=it.ident, slot=it.slot, variant=it.variant, question=it.question.id,
                                name=it.name, fields=[FieldRef(part=f.part, step=f.step.name, entry=f.entry,
                                                               ident=f"RESPONSE_{i}")
                                                      for i, f in enumerate(it.fields, 1)]))
    if not inspera:
        members["test.xml"] = test_xml(pools, title)
    members = {"imsmanifest.xml": _manifest_xml(pools, files, not inspera)} | members
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, zipfile.ZIP_DEFLATED)
    notes = []
    if inspera:
        notes = ["Inspera: items only (make the test and its random pulls in Inspera, one pull per examgen pool "
                 "label); named-mistake feedback and the worked solution are not imported (FEEDBACK holds "
                 "Inspera's correct / partially correct / wrong)"]
    return buf.getvalue(), refs, notes
