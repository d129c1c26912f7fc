"""Canvas Classic Quizzes: an IMS QTI 1.2 package in the layout Canvas's course import reads
(``imsmanifest.xml``, ``<quiz>/<quiz>.xml``, ``<quiz>/assessment_meta.xml``, ``images/``).

Canvas Classic asks one answer per question, so every answer field is its own Canvas question:
a number a ``numerical_question`` whose one answer is the range ``value ± margin`` (the step's
tolerance at that value), options a ``multiple_choice_question`` (or ``true_false_question``, or
``multiple_answers_question`` scored by Canvas's own partial-credit rule), an order a
``matching_question`` (items to positions), a formula a ``short_answer_question`` (exact text).
A question's points are shared among its fields as examgen's policy shares them.

Pools: a Canvas question group draws whole Canvas questions, so only a slot whose variants are one
field each can be a group that picks one per student. When every slot is like that, the package
holds one quiz with a group per slot; otherwise it holds one quiz per variant (multi-step questions
keep their steps together: the stem as a text-only question, then one question per field), to be
assigned to different students or sections.

Built with lxml: text2qti (which writes Canvas QTI 1.2 from its own Markdown dialect) was judged and
not used: it formats a numeric range with four decimals and rejects answers below 1e-4 in size, so
it would silently change the tolerances of small values (and it knows no multi-step questions).
"""

from __future__ import annotations

import io
import zipfile
from html import escape

from lxml import etree

from ..kinds import lms
from . import plan
from .manifest import FieldRef, ItemRef
from .qti21 import ZIP_DATE

QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS = "http://canvas.instructure.com/xsd/cccv1p0"
FILEBASE = "%24IMS-CC-FILEBASE%24"


def _e(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    node = etree.SubElement(parent, f"{{{QTI12}}}{tag}", {k: str(v) for k, v in attrs.items()})
    if text is not None:
        node.text = text
    return node


def _inline(text: str) -> str:
    return plan.inline(text, plan.tex)


def _meta(item, fields: dict[str, str]) -> None:
    md = _e(_e(item, "itemmetadata"), "qtimetadata")
    for label, entry in fields.items():
        f = _e(md, "qtimetadatafield")
        _e(f, "fieldlabel", label)
        _e(f, "fieldentry", entry)


def _material(parent, html: str) -> None:
    _e(_e(parent, "material"), "mattext", html, texttype="text/html")


def _condition(rp, test, score: str | None = None, action: str = "Set", feedback: str | None = None,
               go_on: bool = False) -> etree._Element:
    cond = _e(rp, "respcondition", **{"continue": "Yes" if go_on else "No"})
    if test.tag == f"{{{QTI12}}}conditionvar":
        cond.append(test)
    else:
        _e(cond, "conditionvar").append(test)
    if score is not None:
        _e(cond, "setvar", score, action=action, varname="SCORE")
    if feedback:
        _e(cond, "displayfeedback", feedbacktype="Response", linkrefid=feedback)
    return cond


def _varequal(respident: str, value: str) -> etree._Element:
    node = etree.Element(f"{{{QTI12}}}varequal", respident=respident)
    node.text = value
    return node


class _Quiz:
    def __init__(self, ident: str, title: str):
        self.ident = ident
        self.root = etree.Element(f"{{{QTI12}}}questestinterop", nsmap={None: QTI12})
        self.assessment = _e(self.root, "assessment", ident=ident, title=title[:200])
        md = _e(self.assessment, "qtimetadata")
        f = _e(md, "qtimetadatafield")
        _e(f, "fieldlabel", "cc_maxattempts")
        _e(f, "fieldentry", "1")
        self.section = _e(self.assessment, "section", ident="root_section")
        self.points = 0.0

    def group(self, ident: str, title: str, points: float) -> etree._Element:
        g = _e(self.section, "section", ident=ident, title=title[:200])
        sel = _e(_e(g, "selection_ordering"), "selection")
        _e(sel, "selection_number", "1")
        _e(_e(sel, "selection_extension"), "points_per_item", plan.number(points))
        self.points += points
        return g

    def text_item(self, parent, ident: str, html: str) -> None:
        item = _e(parent, "item", ident=ident, title="Question text")
        _meta(item, {"question_type": "text_only_question", "points_possible": "0"})
        _material(_e(item, "presentation"), html)

    def field_item(self, parent, ident: str, f: plan.Field, html: str, solution: str | None) -> None:
        form = f.form
        item = _e(parent, "item", ident=ident, title=f"{ident} ({f.part}) {f.step.name}"[:200])
        kind = {lms.Number: "numerical_question", lms.Order: "matching_question",
                lms.Unsupported: "short_answer_question"}.get(type(form))
        if isinstance(form, lms.Options):
            kind = ("multiple_answers_question" if form.multiple else
                    "true_false_question" if form.labels == ("True", "False") else "multiple_choice_question")
        _meta(item, {"question_type": kind, "points_possible": plan.number(float(f.points))})
        pres = _e(item, "presentation")
        _material(pres, html)
        rp = _e(item, "resprocessing")
        _e(_e(rp, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
        feedback: dict[str, str] = {}
        if isinstance(form, lms.Number):
            resp = _e(pres, "response_str", ident="response1", rcardinality="Single")
            _e(_e(resp, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
            for n in (form,) + f.also_right:  # an equally right value is another right range
                both = etree.Element(f"{{{QTI12}}}and")
                _e(both, "vargte", plan.number(n.value - n.margin), respident="response1")
                _e(both, "varlte", plan.number(n.value + n.margin), respident="response1")
                _condition(rp, both, "100")
        elif isinstance(form, lms.Options):
            resp = _e(pres, "response_lid", ident="response1", rcardinality="Multiple" if form.multiple else "Single")
            choices = _e(resp, "render_choice")
            ids = {o: f"{ident}_c{i}" for i, o in enumerate(form.options, 1)}
            for o in form.options:
                _material(_e(choices, "response_label", ident=ids[o]), _inline(form.label(o)))
            for o, why in form.feedback.items():
                if o in ids and o not in form.correct:
                    feedback[f"{ids[o]}_fb"] = _inline(why)
                    _condition(rp, _varequal("response1", ids[o]), feedback=f"{ids[o]}_fb", go_on=True)
            if form.multiple:
                every = etree.Element(f"{{{QTI12}}}and")
                for o in form.options:
                    test = _varequal("response1", ids[o])
                    (every if o in form.correct else _e(every, "not")).append(test)
                _condition(rp, every, "100")
            else:
                for right in dict.fromkeys(o for alt in (form,) + f.also_right for o in alt.correct):
                    _condition(rp, _varequal("response1", ids[right]), "100")
        elif isinstance(form, lms.Order):
            n = len(form.options)
            positions = [f"{ident}_p{i}" for i in range(1, n + 1)]
            for k, o in enumerate(form.options):
                resp = _e(pres, "response_lid", ident=f"response_{ident}_{k}")
                _material(resp, _inline(o))
                choices = _e(resp, "render_choice")
                for i, p in enumerate(positions, 1):
                    _material(_e(choices, "response_label", ident=p), f"position {i}")
                right = positions[form.correct.index(o)]
                _condition(rp, _varequal(f"response_{ident}_{k}", right), plan.number(100 / n), action="Add",
                           go_on=True)
        else:
            resp = _e(pres, "response_str", ident="response1", rcardinality="Single")
            _e(_e(resp, "render_fib"), "response_label", ident="answer1", rshuffle="No")
            _condition(rp, _varequal("response1", form.text), "100")
        if solution:
            feedback["general_fb"] = solution
            other = etree.Element(f"{{{QTI12}}}conditionvar")
            _e(other, "other")
            _condition(rp, other, feedback="general_fb", go_on=True)
            rp.insert(1, rp[-1])  # shown whatever the answer: before the conditions that stop
        for ref, html in feedback.items():
            fb = _e(item, "itemfeedback", ident=ref)
            _e(_e(_e(fb, "flow_mat"), "material"), "mattext", html, texttype="text/html")

    def xml(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def meta_xml(self, title: str) -> bytes:
        root = etree.Element(f"{{{CANVAS}}}quiz", nsmap={None: CANVAS}, identifier=self.ident)
        for tag, value in (("title", title), ("description", ""), ("shuffle_answers", "false"),
                           ("quiz_type", "assignment"), ("points_possible", plan.number(self.points)),
                           ("allowed_attempts", "1")):
            etree.SubElement(root, f"{{{CANVAS}}}{tag}").text = value
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _stem(it: plan.Item) -> str:
    q = it.question
    html = plan.html(plan.stem(it), plan.tex)
    if q.figure:
        html += f'\n<p><img src="{FILEBASE}/images/{it.ident}.svg" alt="Figure for question {it.slot}"></p>'
    return html


def _field_html(it: plan.Item, f: plan.Field, with_stem: bool) -> str:
    part = next(p.part for p in it.parts if p.part.id == f.part)
    head = f"<p><strong>({part.id})</strong> {_inline(part.prompt)}</p>"
    line = f"<p>{_inline(f.label)} <em>({escape(f.hint)})</em></p>"
    tag = f'<p style="font-size:small;color:#777">examgen item {it.ident}</p>'
    return (_stem(it) + "\n" if with_stem else "") + head + "\n" + line + "\n" + tag


def write(pools: list[plan.Pool], title: str) -> tuple[bytes, list[ItemRef], list[str]]:
    """The package (zip bytes), the manifest's items and what is lost."""
    grouped = all(len(it.fields) == 1 for p in pools for it in p.items)
    quizzes: list[tuple[_Quiz, str]] = []
    refs: list[ItemRef] = []
    variants = [it.variant for it in pools[0].items]
    if grouped:
        quiz = _Quiz("examgen_quiz", title)
        quizzes.append((quiz, title))
        for pool in pools:
            group = quiz.group(f"group_{pool.slot}", f"{pool.slot}: {pool.title}", pool.items[0].points)
            for it in pool.items:
                f = it.fields[0]
                quiz.field_item(group, f"{it.ident}_f1", f, _field_html(it, f, True),
                                plan.solution_html(it.question, plan.tex))
                refs.append(_ref(it, [f"{it.ident}_f1"]))
    else:
        for k, v in enumerate(variants):
            quiz = _Quiz(f"examgen_quiz_{v}", f"{title} (variant {v})")
            quizzes.append((quiz, f"{title} (variant {v})"))
            for pool in pools:
                it = pool.items[k]
                idents = [f"{it.ident}_f{i}" for i in range(1, len(it.fields) + 1)]
                single = len(it.fields) == 1
                if not single:
                    quiz.text_item(quiz.section, f"{it.ident}_text", f"<p><strong>Question {it.slot}: "
                                   f"{escape(it.question.title)}</strong></p>\n" + _stem(it))
                for i, (ident, f) in enumerate(zip(idents, it.fields)):
                    last = i == len(it.fields) - 1
                    quiz.field_item(quiz.section, ident, f, _field_html(it, f, single),
                                    plan.solution_html(it.question, plan.tex) if last else None)
                    quiz.points += float(f.points)
                refs.append(_ref(it, idents))
    members: dict[str, bytes] = {}
    for quiz, quiz_title in quizzes:
        members[f"{quiz.ident}/{quiz.ident}.xml"] = quiz.xml()
        members[f"{quiz.ident}/assessment_meta.xml"] = quiz.meta_xml(quiz_title)
    images = {f"images/{it.ident}.svg": it.question.figure.encode() for p in pools for it in p.items
              if it.question.figure}
    members = {"imsmanifest.xml": _manifest([q for q, _ in quizzes], list(images))} | members | images
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, zipfile.ZIP_DEFLATED)
    notes = ["Canvas Classic: every answer field is its own Canvas question, each credited on its own: "
             "\"full marks when the final answer is right\", named mistakes' partial credit and the near-miss "
             "credit are not expressed (a numerical answer is right or wrong)"]
    if not grouped and len(variants) > 1:
        notes.append(f"Canvas Classic: multi-step questions cannot be drawn from a question group, so the package "
                     f"holds {len(variants)} quizzes, one per variant: assign them to different students or sections")
    return buf.getvalue(), refs, notes


def _ref(it: plan.Item, idents: list[str]) -> ItemRef:
    return ItemRef(ident=it.ident, slot=it.slot, variant=it.variant, question=it.question.id, name=it.name,
                   fields=[FieldRef(part=f.part, step=f.step.name, entry=f.entry, ident=i)
                           for f, i in zip(it.fields, idents)])


def _manifest(quizzes: list[_Quiz], images: list[str]) -> bytes:
    def cp(parent, tag, **attrs):
        return etree.SubElement(parent, f"{{{CP}}}{tag}", {k: str(v) for k, v in attrs.items()})

    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP}, identifier="examgen_canvas_export")
    meta = cp(root, "metadata")
    cp(meta, "schema").text = "IMS Content"
    cp(meta, "schemaversion").text = "1.1.3"
    cp(root, "organizations")
    resources = cp(root, "resources")
    for quiz in quizzes:
        res = cp(resources, "resource", identifier=quiz.ident, type="imsqti_xmlv1p2")
        cp(res, "file", href=f"{quiz.ident}/{quiz.ident}.xml")
        cp(res, "dependency", identifierref=f"{quiz.ident}_meta")
        meta_res = cp(resources, "resource", identifier=f"{quiz.ident}_meta", href=f"{quiz.ident}/assessment_meta.xml",
                      type="associatedcontent/imscc_xmlv1p1/learning-application-resource")
        cp(meta_res, "file", href=f"{quiz.ident}/assessment_meta.xml")
    for i, path in enumerate(images, 1):
        res = cp(resources, "resource", identifier=f"image_{i}", type="webcontent", href=path)
        cp(res, "file", href=path)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
