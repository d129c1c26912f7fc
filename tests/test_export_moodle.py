"""Moodle XML export, parsed back by the rules of Moodle's importer and checked against examgen's key.

The rules, read from Moodle's source (not copied): ``question/format/xml/format.php`` (question
types, ``<answer fraction="...">`` in percent, ``<file encoding="base64">``, categories),
``question/format.php`` (a whole question's answer grades must be one of
``question_bank::fraction_options_full()``), and ``question/type/multianswer/questiontype.php``
(the Cloze grammar: ``{weight:TYPE:alternative~alternative...}`` with a whole-number weight, each
alternative ``=`` or ``%percent%``, the answer up to an unescaped ``#``, the feedback up to an
unescaped ``~`` or ``}``; a NUMERICAL answer ``number[:margin]``; every subquestion needs a 100 %
alternative). The parser below is written from those rules.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache
from html import unescape

import pytest
from lxml import etree

from examgen import export

from .export_support import close, expected, variants

pytestmark = pytest.mark.slow  # every generator's variants exported and read back

# question_bank::fraction_options_full(), in percent, as Moodle's source lists them
MOODLE_FRACTIONS = [100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
                    14.28571, 12.5, 11.11111, 10, 5, 0]
ALLOWED = set(MOODLE_FRACTIONS) | {-f for f in MOODLE_FRACTIONS}
NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
TYPES = ("NUMERICAL|NM|MULTICHOICE_V|MCV|MULTICHOICE_H|MCH|MULTICHOICE_S|MCS|MULTICHOICE|MC|"
         "SHORTANSWER_C|SAC|MWC|SHORTANSWER|SA|MW|MULTIRESPONSE_H|MRH|MULTIRESPONSE|MR")
START = re.compile(r"\{([0-9]*):(" + TYPES + r"):")


@dataclass
class Alt:
    fraction: float  # percent
    answer: str
    feedback: str


@dataclass
class Sub:
    weight: int
    type: str
    alts: list[Alt]


def _split(text: str, stops: str, allow_amp: bool = False) -> list[str]:
    """Split at the stop characters that are not escaped by a backslash (nor, for an answer's '#',
    preceded by '&', which starts an entity)."""
    out, cur = [], ""
    for ch in text:
        if ch in stops and not cur.endswith("\\") and not (allow_amp and ch == "#" and cur.endswith("&")):
            out.append(cur)
            cur = ""
            continue
        cur += ch
    return out + [cur]


def parse_cloze(text: str) -> tuple[list[Sub], str]:
    """The subquestions of a Cloze question text, and the text left around them."""
    subs, rest, pos = [], [], 0
    while (m := START.search(text, pos)) is not None:
        end = m.end()
        while not (text[end] == "}" and text[end - 1] != "\\"):
            end += 1
        alts = []
        for raw in _split(text[m.end():end], "~"):
            if raw.startswith("="):
                fraction, raw = 100.0, raw[1:]
            elif (f := re.match(r"%(-?[0-9]+(?:[.,][0-9]*)?)%", raw)):
                fraction, raw = float(f.group(1).replace(",", ".")), raw[f.end():]
            else:
                fraction = 0.0
            answer, *feedback = _split(raw, "#", allow_amp=True)
            alts.append(Alt(fraction, unescape(answer).replace("\\#", "#").replace("\\}", "}"),
                            unescape("#".join(feedback))))
        subs.append(Sub(int(m.group(1) or 1), m.group(2), alts))
        rest.append(text[pos:m.start()])
        pos = end + 1
    return subs, "".join(rest) + text[pos:]


def check_sub(sub: Sub) -> None:
    """What Moodle's Cloze import and validation require of a subquestion (plus: whole-number
    grades, which every Moodle version reads, from Moodle's list)."""
    assert sub.weight >= 1
    assert sub.alts
    for a in sub.alts:
        assert a.fraction in ALLOWED, a
        if not sub.type.startswith(("MULTIRESPONSE", "MR")):  # a newer type: decimals are read there
            assert a.fraction == int(a.fraction), a
        if sub.type in ("NUMERICAL", "NM"):
            assert a.answer == "*" or re.fullmatch(NUMBER + "(:" + NUMBER + ")?", a.answer), a
    if sub.type.startswith(("MULTICHOICE", "MC")):
        assert len(sub.alts) >= 2
    if sub.type.startswith(("MULTIRESPONSE", "MR")):
        assert any(a.fraction > 0 for a in sub.alts)
    else:
        assert any(a.fraction == 100 for a in sub.alts)


def moodle_numerical_grade(alts: list[tuple[float, float, float]], x: float) -> float:
    """Moodle's numerical grading: the first answer (value, margin, fraction) within its margin."""
    for value, margin, fraction in alts:
        if value - margin <= x <= value + margin:
            return fraction
    return 0.0


@lru_cache(maxsize=None)
def exported(which: str):
    exams, ids = variants(which)
    data, manifest, notes = export.render(list(exams), list(ids), "moodle", None, "quiz.xml")
    return etree.fromstring(data), manifest, notes


def _questions(root):
    by_name = {}
    for q in root.iter("question"):
        if q.get("type") != "category":
            by_name[q.find("name/text").text.split(" ")[0]] = q
    return by_name


@pytest.mark.parametrize("which", ["generators", "topics"])
def test_file_follows_moodles_importer_rules(which):
    root, _, _ = exported(which)
    assert root.tag == "quiz"
    exams, ids = variants(which)
    questions = list(root)
    kinds = {"category", "cloze", "numerical", "multichoice", "truefalse"}
    assert {q.get("type") for q in questions} <= kinds
    # one category per question slot, followed by that slot's variants
    for i in range(len(exams[0].questions)):
        block = questions[i * (len(ids) + 1):(i + 1) * (len(ids) + 1)]
        assert block[0].get("type") == "category"
        assert block[0].find("category/text").text.startswith("$course$/")
        assert [q.find("name/text").text.split(" ")[0] for q in block[1:]] == [f"q{i + 1}-{v}" for v in ids]
    for q in questions:
        if q.get("type") == "category":
            continue
        text = q.find("questiontext/text").text
        assert q.find("questiontext").get("format") == "html" and q.find("name/text").text
        for f in q.findall("questiontext/file"):
            assert f.get("encoding") == "base64" and base64.b64decode(f.text).lstrip().startswith(b"<svg")
            assert f"@@PLUGINFILE@@/{f.get('name')}" in text
        if q.get("type") == "cloze":
            subs, rest = parse_cloze(text)
            assert subs and not START.search(rest)
            for s in subs:
                check_sub(s)
            continue
        fractions = [float(a.get("fraction")) for a in q.findall("answer")]
        assert all(f in ALLOWED for f in fractions), fractions
        if q.get("type") == "numerical":
            assert 100 in fractions
            for a in q.findall("answer"):
                assert re.fullmatch(NUMBER, a.find("text").text) and float(a.find("tolerance").text) >= 0
        elif q.get("type") == "truefalse":
            assert sorted(a.find("text").text for a in q.findall("answer")) == ["false", "true"]
            assert sorted(fractions) == [0, 100]
        else:
            for a in q.findall("answer"):  # the options are Moodle's answers, not listed in the text again
                assert a.find("text").text not in text
            if q.find("single").text == "true":
                assert fractions.count(100) == 1
            else:
                assert close(sum(f for f in fractions if f > 0), 100, 1e-6)


@pytest.mark.parametrize("which", ["generators", "topics"])
def test_round_trip_every_field_of_every_variant_matches_examgen_key(which):
    root, manifest, _ = exported(which)
    exams, ids = variants(which)
    questions = _questions(root)
    checked = 0
    for ref in manifest.items:
        q = next(q for q in exams[ids.index(ref.variant)].questions if q.id == ref.question)
        keys = expected(q)
        node = questions[ref.ident]
        points = sum(p.points for p in q.parts)
        if node.get("type") == "cloze":
            subs, _ = parse_cloze(node.find("questiontext/text").text)
            assert len(subs) == len(ref.fields)
            total = sum(s.weight for s in subs)
            pairs = list(zip(ref.fields, subs))
        else:
            assert float(node.find("defaultgrade").text) == points
            subs = None
            pairs = [(ref.fields[0], node)]
        for k in keys:
            entries = [(f, s) for f, s in pairs
                       if (f.part, f.step) == (k.part, k.step) and (f.entry == k.entry or k.entry is None)]
            assert entries, (ref.ident, k.step)
            if subs is not None:  # the weights are examgen's shares of the points
                share = sum(s.weight for _, s in entries) / total * points
                assert close(share, float(k.points)), (ref.ident, k.step, k.entry)
            f, s = entries[0]
            if k.margin is not None:
                alts = _numerical(s)
                value, margin, fraction = alts[0]
                assert fraction == 1 and close(value, k.value) and close(margin, k.margin), (ref.ident, k.step)
                assert moodle_numerical_grade(alts, k.value) == 1
                if k.margin:
                    for side in (0.999, -0.999):
                        assert moodle_numerical_grade(alts, k.value + side * k.margin) == 1
                for side in (1.001, -1.001):
                    x = k.value + side * k.margin if k.margin else k.value + (1 if side > 0 else -1)
                    assert moodle_numerical_grade(alts, x) < 1, (ref.ident, k.step, side)
            else:
                right = [a for a in _choices(s) if a[0] > 0]
                want = k.value if isinstance(k.value, list) else [k.value]
                if len(entries) > 1:  # an order: one dropdown per position
                    got = [next(f.choices[a] for fr, a in _choices(sub) if fr == 1) for _, sub in entries]
                    assert got == want, (ref.ident, k.step)
                elif want and want[0] in (f.choices or {}).values():
                    assert sorted(f.choices[a] for _, a in right) == sorted(want), (ref.ident, k.step)
                else:  # a formula: the reference text is the 100 % answer
                    assert [a for fr, a in right] == [str(k.value)], (ref.ident, k.step)
            checked += 1
    assert checked > 500


def _numerical(s) -> list[tuple[float, float, float]]:
    if isinstance(s, Sub):
        out = []
        for a in s.alts:
            value, _, margin = a.answer.partition(":")
            out.append((float(value), float(margin or 0), a.fraction / 100))
        return out
    return [(float(a.find("text").text), float(a.find("tolerance").text), float(a.get("fraction")) / 100)
            for a in s.findall("answer")]


def _choices(s) -> list[tuple[float, str]]:
    """(fraction, shown text) of each option, as Moodle's reports show the text."""
    def shown(html: str) -> str:
        return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())

    if isinstance(s, Sub):
        return [(a.fraction / 100, shown(a.answer)) for a in s.alts]
    return [(float(a.get("fraction")) / 100, shown(a.find("text").text)) for a in s.findall("answer")]


def test_named_mistakes_and_near_misses_are_partial_credit_alternatives():
    root, manifest, _ = exported("generators")
    exams, ids = variants("generators")
    questions = _questions(root)
    mistakes = near = 0
    for ref in manifest.items:
        q = next(q for q in exams[ids.index(ref.variant)].questions if q.id == ref.question)
        node = questions[ref.ident]
        if node.get("type") != "cloze":
            continue
        subs, _ = parse_cloze(node.find("questiontext/text").text)
        for f, s in zip(ref.fields, subs):
            if s.type != "NUMERICAL":
                continue
            stored = [(_entry(m.values[f.step], f.entry), m) for m in q.mistakes if m.values and f.step in m.values]
            for a in s.alts[1:]:
                value, margin = (float(x) for x in a.answer.split(":"))
                if a.feedback.startswith("Close to the right value"):
                    assert a.fraction == 50 and close(value, float(s.alts[0].answer.split(":")[0]))
                    assert close(margin, 10 * float(s.alts[0].answer.split(":")[1]))
                    near += 1
                    continue
                named = [m for v, m in stored if v is not None and close(value, v)]
                assert named and a.feedback, (ref.ident, f.step, a.answer)
                # the mistake's credit, as the nearest whole-percent grade Moodle allows
                whole = [g for g in ALLOWED if g == int(g)]
                assert a.fraction == min(whole, key=lambda g: abs(g - 100 * max(m.credit for m in named)))
                mistakes += 1
    assert mistakes > 50 and near > 100


def _entry(value, entry):
    import numpy as np

    flat = np.ravel(np.asarray(value, dtype=float))
    i = entry or 0
    return float(flat[i]) if i < flat.size else None


def test_notes_say_what_is_lost():
    _, _, notes = exported("generators")
    text = " ".join(notes)
    assert "follow-through" in text and "examgen import" in text
    assert "full marks when the final answer is right" in text
