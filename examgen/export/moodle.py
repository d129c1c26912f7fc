"""Moodle XML: a question category per question slot (the pool a "random question" draws from),
holding the slot's variants.

A question with one answer field is a ``numerical``, ``multichoice`` or ``truefalse`` question;
any other is a Cloze (``cloze``/multianswer) question whose text embeds one subquestion per field,
``{weight:NUMERICAL:=value:margin#feedback~%credit%mistake value:margin#why~...}``. What Moodle's
importer accepts (``question/format/xml/format.php``, ``question/type/multianswer/questiontype.php``
and ``question/format.php`` in Moodle's source) shapes the choices made here:

* grades of the answers of a whole question must be one of Moodle's fixed fractions (0, 5, 10,
  11.11111, 12.5, ..., 83.33333, 90, 100 %, and their negatives): examgen's credits are written as
  the nearest one (and the notes say so when that changes one);
* a Cloze alternative's grade is ``%n%``, which older Moodles read only as a whole number: credits
  there are the nearest whole-percent fraction of that list;
* a Cloze subquestion's weight is a whole number: every field's weight is its share of the points
  times the smallest factor that makes all of them whole, so the weights are exactly examgen's
  proportions (the question's mark, their sum, is scaled by the quiz);
* a numerical answer's margin is absolute: a relative tolerance is written as its margin at the
  reference value, ``max(abs, rel * |value|)``.

Math is ``\\( ... \\)`` for Moodle's MathJax filter; figures are embedded (``@@PLUGINFILE@@`` and a
base64 ``<file>``); the worked solution is the general feedback.
"""

from __future__ import annotations

import base64
import math
import re
from fractions import Fraction
from html import escape

from lxml import etree

from ..kinds import lms
from . import plan
from .manifest import FieldRef, ItemRef

_FRACTIONS = (1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
              0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0)
ALLOWED = tuple(sorted(set(_FRACTIONS) | {-f for f in _FRACTIONS}))
"""The grade fractions Moodle's question import accepts (question_bank::fraction_options_full)."""
ALLOWED_CLOZE = tuple(f for f in ALLOWED if abs(f * 100 - round(f * 100)) < 1e-9)
"""Those that are a whole percentage, the only ones every Moodle reads in a Cloze ``%n%``."""


class _Losses:
    def __init__(self):
        self.mapped: dict[tuple[float, float], int] = {}

    def fraction(self, credit: float, allowed=ALLOWED) -> float:
        best = min(allowed, key=lambda f: (abs(f - credit), -f))
        if abs(best - credit) > 1e-6:
            self.mapped[(credit, best)] = self.mapped.get((credit, best), 0) + 1
        return best


def percent(fraction: float) -> str:
    text = f"{fraction * 100:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cloze_text(text: str) -> str:
    """Option or feedback text for inside a Cloze subquestion: HTML, with the characters the Cloze
    grammar reads (``~ # } {``) as entities, which Moodle decodes after parsing."""
    return text.replace("~", "&#126;").replace("#", "&#35;").replace("}", "&#125;").replace("{", "&#123;")


def _inline(text: str) -> str:
    return plan.inline(text, plan.tex)


def _cloze(f: plan.Field, weight: int, losses: _Losses) -> list[str]:
    """The Cloze subquestion(s) of a field (an order gives one dropdown per position)."""
    form = f.form
    if isinstance(form, lms.Number):
        alts = [f"={plan.number(n.value)}:{plan.number(n.margin)}#Right" for n in (form,) + f.also_right]
        for alt in f.alternatives:
            n = alt.answer
            alts.append(f"%{percent(losses.fraction(alt.credit, ALLOWED_CLOZE))}%{plan.number(n.value)}:"
                        f"{plan.number(n.margin)}#{_cloze_text(_inline(alt.feedback))}")
        return [f"{{{weight}:NUMERICAL:" + "~".join(alts) + "}"]
    if isinstance(form, lms.Options):
        vertical = any(len(form.label(o)) > 30 for o in form.options)
        if form.multiple:
            k = max(1, len(form.correct))
            alts = [f"%{percent(losses.fraction((1 if o in form.correct else -1) / k))}%"
                    f"{_cloze_text(_inline(o))}" for o in form.options]
            return [f"{{{weight}:MULTIRESPONSE:" + "~".join(alts) + "}"]
        credit = {a.answer: a for a in f.alternatives}
        alts = []
        for o in form.options:
            why = form.feedback.get(o) or (credit[o].feedback if o in credit else "")
            grade = "=" if o in _right(f) else f"%{percent(losses.fraction(credit[o].credit if o in credit else 0, ALLOWED_CLOZE))}%"
            alts.append(grade + _cloze_text(_inline(form.label(o))) + (f"#{_cloze_text(_inline(why))}" if why else ""))
        return [f"{{{weight}:{'MULTICHOICE_V' if vertical else 'MULTICHOICE'}:" + "~".join(alts) + "}"]
    if isinstance(form, lms.Order):
        return [f"{i}. {{{weight}:MULTICHOICE:" + "~".join(("=" if o == right else "%0%") + _cloze_text(_inline(o))
                                                          for o in form.options) + "}"
                for i, right in enumerate(form.correct, 1)]
    return [f"{{{weight}:SHORTANSWER:={_cloze_text(escape(form.text, quote=False))}~%0%*#"
            f"{_cloze_text(escape('examgen grades this answer from the exported responses', quote=False))}}}"]


def _right(f: plan.Field) -> set[str]:
    """The options that are right: the key's and any equally right one's (single choice)."""
    return {o for form in (f.form,) + f.also_right for o in form.correct}


def _weights(it: plan.Item) -> tuple[dict[int, int], int]:
    """Whole-number Cloze weights proportional to the fields' points (an order's per position)."""
    shares = {id(f): f.points / (len(f.form.options) if isinstance(f.form, lms.Order) else 1) for f in it.fields}
    factor = math.lcm(*(s.denominator for s in shares.values()))
    return {k: int(s * factor) for k, s in shares.items()}, factor


def _text(parent, tag: str, html: str, fmt: str = "html") -> etree._Element:
    node = etree.SubElement(parent, tag, format=fmt)
    etree.SubElement(node, "text").text = etree.CDATA(html)
    return node


def _body(it: plan.Item, fields_html) -> str:
    q = it.question
    out = [plan.html(plan.stem(it), plan.tex)]
    if q.figure:
        out.append(f'<p><img src="@@PLUGINFILE@@/{it.ident}.svg" alt="Figure for question {it.slot}"></p>')
    for p in it.parts:
        out.append(f"<p><strong>({p.part.id})</strong> {_inline(p.part.prompt)} ({p.part.points} points)</p>")
        out += [fields_html(f) for f in p.fields]
    out.append(f'<p style="font-size:small;color:#777">examgen item {it.ident}</p>')
    return "\n".join(out)


def _question(quiz, it: plan.Item, qtype: str, text: str) -> etree._Element:
    q = etree.SubElement(quiz, "question", type=qtype)
    etree.SubElement(etree.SubElement(q, "name"), "text").text = it.name
    qt = _text(q, "questiontext", text)
    if it.question.figure:
        fig = etree.SubElement(qt, "file", name=f"{it.ident}.svg", path="/", encoding="base64")
        fig.text = base64.b64encode(it.question.figure.encode()).decode("ascii")
    _text(q, "generalfeedback", plan.solution_html(it.question, plan.tex))
    return q


def _single(quiz, it: plan.Item, losses: _Losses) -> None:
    """A question of one field: numerical, truefalse or multichoice."""
    f = it.fields[0]
    form = f.form

    def label(f: plan.Field) -> str:
        return f"<p>{_inline(f.label)}</p>"

    if isinstance(form, lms.Number):
        q = _question(quiz, it, "numerical", _body(it, lambda f: label(f)[:-4] + f" <em>({escape(f.hint)})</em></p>"))
        answers = [(1.0, n, "Right") for n in (form,) + f.also_right] + \
            [(a.credit, a.answer, a.feedback) for a in f.alternatives]
        for credit, n, why in answers:
            a = etree.SubElement(q, "answer", fraction=percent(losses.fraction(credit)), format="moodle_auto_format")
            etree.SubElement(a, "text").text = plan.number(n.value)
            etree.SubElement(a, "tolerance").text = plan.number(n.margin)
            _text(a, "feedback", _inline(why))
    elif form.labels == ("True", "False") and not form.multiple:
        q = _question(quiz, it, "truefalse", _body(it, label))
        for o in form.options:
            a = etree.SubElement(q, "answer", fraction="100" if o in form.correct else "0", format="moodle_auto_format")
            etree.SubElement(a, "text").text = o
            _text(a, "feedback", _inline(form.feedback.get(o, "")))
    else:
        q = _question(quiz, it, "multichoice", _body(it, label))
        k = max(1, len(form.correct))
        credit = {a.answer: a for a in f.alternatives}
        for o in form.options:
            if form.multiple:
                value = (1 if o in form.correct else -1) / k
            else:
                value = 1.0 if o in _right(f) else (credit[o].credit if o in credit else 0.0)
            a = etree.SubElement(q, "answer", fraction=percent(losses.fraction(value)), format="html")
            etree.SubElement(a, "text").text = etree.CDATA(_inline(form.label(o)))
            why = form.feedback.get(o) or (credit[o].feedback if o in credit else "")
            _text(a, "feedback", _inline(why))
        for tag, value in (("single", "false" if form.multiple else "true"), ("shuffleanswers", "false"),
                           ("answernumbering", "ABCD")):
            etree.SubElement(q, tag).text = value
    etree.SubElement(q, "defaultgrade").text = str(it.points)
    etree.SubElement(q, "penalty").text = "0"
    etree.SubElement(q, "hidden").text = "0"


def _multi(quiz, it: plan.Item, losses: _Losses) -> int:
    """A Cloze question; returns the factor the weights were scaled by."""
    weights, factor = _weights(it)

    def field_html(f: plan.Field) -> str:
        subs = _cloze(f, weights[id(f)], losses)
        return f"<p>{_inline(f.label)}: " + " ".join(subs) + f" <em>({escape(f.hint)})</em></p>"

    q = _question(quiz, it, "cloze", _body(it, field_html))
    etree.SubElement(q, "penalty").text = "0"
    etree.SubElement(q, "hidden").text = "0"
    return factor


def _refs(it: plan.Item, cloze: bool) -> list[FieldRef]:
    refs = []
    for f in it.fields:
        choices = None
        if isinstance(f.form, (lms.Options, lms.Order)):
            labels = f.form.label if isinstance(f.form, lms.Options) else (lambda o: o)
            choices = {_shown(_inline(labels(o))): o for o in f.form.options}
        count = len(f.form.options) if cloze and isinstance(f.form, lms.Order) else 1
        refs += [FieldRef(part=f.part, step=f.step.name, entry=f.entry if count == 1 else i, choices=choices)
                 for i in range(count)]
    return refs


def _shown(html: str) -> str:
    """Text as Moodle's reports show it (tags dropped, entities decoded, spaces collapsed)."""
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def write(pools: list[plan.Pool], title: str) -> tuple[bytes, list[ItemRef], list[str]]:
    """The Moodle XML file, the manifest's items and what is lost."""
    quiz = etree.Element("quiz")
    losses, refs, factors, cloze_count = _Losses(), [], set(), 0
    for pool in pools:
        cat = etree.SubElement(quiz, "question", type="category")
        path = "/".join(s.replace("/", "//") for s in ("$course$", "top", "examgen", title, f"{pool.slot} {pool.title}"))
        etree.SubElement(etree.SubElement(cat, "category"), "text").text = path
        _text(cat, "info", f"<p>{len(pool.items)} variants of question {pool.slot}: add one random question "
                           "from this category to the quiz.</p>")
        for it in pool.items:
            cloze = len(it.fields) > 1 or isinstance(it.fields[0].form, (lms.Order, lms.Unsupported))
            if cloze:
                factors.add(_multi(quiz, it, losses))
                cloze_count += 1
            else:
                _single(quiz, it, losses)
            refs.append(ItemRef(ident=it.ident, slot=it.slot, variant=it.variant, question=it.question.id,
                                name=it.name, fields=_refs(it, cloze)))
    notes = []
    if cloze_count:
        notes.append(f"{cloze_count} multi-step question(s) are Cloze questions: each subquestion is credited on "
                     "its own, so \"full marks when the final answer is right\" is not applied, and a right final "
                     "answer with wrong intermediate steps earns less than in examgen")
        notes.append("Cloze weights are whole numbers in examgen's proportions: a question's Moodle mark is its "
                     f"examgen points times {', '.join(str(f) for f in sorted(factors))} (set the quiz's mark "
                     "for each random question to the points you want)")
    notes += [f"credit {c:g} is written as Moodle's nearest allowed grade, {percent(b)} % ({n} answer(s))"
              for (c, b), n in sorted(losses.mapped.items())]
    data = etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data, refs, notes
