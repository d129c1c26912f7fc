"""QTI 2.1 export: every file validates against the IMS QTI 2.1 XML Schema (copied unchanged into
tests/data/qti21), and every item read back scores as examgen's key says.

The round trip runs each item's response processing with a small interpreter of the QTI 2.1
expressions it uses, written here from the spec's definitions (``equal``'s tolerance modes are
relative to the *first* expression; NULL operands give NULL, which a condition treats as false),
and checks, for every field of every variant: the key scores full marks, a value inside the
step's tolerance on either side is right, one just outside is not (a near miss), and a field
right alone earns its share of the part's points.
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache

import pytest
from lxml import etree

from examgen import export
from examgen.policy import NEAR_MISS

from .export_support import XSD, close, expected, variants

pytestmark = pytest.mark.slow  # every generator's variants exported and read back

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@lru_cache(maxsize=None)
def package(which: str, flavour: str | None) -> tuple[zipfile.ZipFile, object]:
    exams, ids = variants(which)
    data, manifest, _ = export.render(list(exams), list(ids), "qti21", flavour, "quiz.zip")
    return zipfile.ZipFile(io.BytesIO(data)), manifest


CASES = [("generators", None), ("generators", "inspera"), ("topics", None)]


@pytest.mark.parametrize("which,flavour", CASES)
def test_every_file_validates_against_the_qti21_schema(which, flavour):
    z, _ = package(which, flavour)
    xml = [n for n in z.namelist() if n.endswith(".xml") and n != "imsmanifest.xml"]
    assert any(n.startswith("items/") for n in xml)
    assert ("test.xml" in xml) == (flavour is None)  # Inspera: items only
    bad = {}
    for name in xml:
        if not schema().validate(etree.fromstring(z.read(name))):
            bad[name] = str(schema().error_log.last_error)
    assert not bad


@pytest.mark.parametrize("which,flavour", CASES)
def test_package_manifest_lists_every_item_and_figure(which, flavour):
    z, _ = package(which, flavour)
    root = etree.fromstring(z.read("imsmanifest.xml"))
    listed = {f.get("href") for f in root.iter(f"{CP}file")}
    members = set(z.namelist()) - {"imsmanifest.xml"}
    assert listed == members
    for name in members:
        if name.startswith("items/") and name.endswith(".xml"):
            for img in etree.fromstring(z.read(name)).iter(f"{QTI}img"):
                assert "items/" + img.get("src") in members


def test_test_selects_one_variant_per_question_slot():
    z, manifest = package("generators", None)
    test = etree.fromstring(z.read("test.xml"))
    exams, ids = variants("generators")
    sections = list(test.iter(f"{QTI}assessmentSection"))
    assert len(sections) == len(exams[0].questions)
    for i, section in enumerate(sections, 1):
        assert section.find(f"{QTI}selection").get("select") == "1"
        refs = [r.get("href") for r in section.iter(f"{QTI}assessmentItemRef")]
        assert refs == [f"items/q{i}-{v}.xml" for v in ids]


# --- a small QTI 2.1 response-processing interpreter -------------------------------------

class Item:
    def __init__(self, root):
        self.root = root
        self.decl = {d.get("identifier"): d for d in root.iter(f"{QTI}responseDeclaration")}
        score = next(o for o in root.iter(f"{QTI}outcomeDeclaration") if o.get("identifier") == "SCORE")
        self.maximum = float(score.get("normalMaximum"))

    def run(self, responses: dict) -> tuple[float, set]:
        self.responses, self.out = responses, {"SCORE": 0.0, "FEEDBACK": None}
        for rule in self.root.find(f"{QTI}responseProcessing"):
            self.rule(rule)
        fb = self.out["FEEDBACK"]
        return self.out["SCORE"], set(fb if isinstance(fb, list) else [fb] if fb else [])

    def rule(self, node):
        tag = node.tag.removeprefix(QTI)
        if tag == "setOutcomeValue":
            self.out[node.get("identifier")] = self.expr(node[0])
        elif tag == "responseCondition":
            for branch in node:
                kind = branch.tag.removeprefix(QTI)
                if kind == "responseElse" or self.expr(branch[0]) is True:
                    for r in (branch if kind == "responseElse" else branch[1:]):
                        self.rule(r)
                    return
        else:
            raise AssertionError(f"unknown rule {tag}")

    def value(self, text: str, base: str):
        return {"float": float, "integer": int, "boolean": lambda t: t == "true"}.get(base, str)(text)

    def expr(self, node):
        tag, kids = node.tag.removeprefix(QTI), list(node)
        if tag == "baseValue":
            return self.value(node.text, node.get("baseType"))
        if tag == "variable":
            ident = node.get("identifier")
            return self.out[ident] if ident in self.out else self.responses.get(ident)
        if tag == "correct":
            d = self.decl[node.get("identifier")]
            values = [self.value(v.text, d.get("baseType")) for v in d.iter(f"{QTI}value")]
            return values if d.get("cardinality") in ("multiple", "ordered") else values[0]
        if tag == "mapResponse":
            d = self.decl[node.get("identifier")]
            m = d.find(f"{QTI}mapping")
            table = {e.get("mapKey"): float(e.get("mappedValue")) for e in m}
            chosen = self.responses.get(node.get("identifier")) or []
            total = sum(table.get(c, float(m.get("defaultValue", 0))) for c in set(chosen))
            return min(max(total, float(m.get("lowerBound"))), float(m.get("upperBound")))
        args = [self.expr(k) for k in kids]
        if tag == "isNull":
            return args[0] is None or args[0] == []
        if tag in ("and", "or", "not"):
            if any(a is None for a in args):
                return None
            return all(args) if tag == "and" else any(args) if tag == "or" else not args[0]
        if tag == "multiple":  # NULL members are ignored
            return [x for a in args if a is not None for x in (a if isinstance(a, list) else [a])]
        if any(a is None for a in args):
            return None
        if tag == "equal":
            x, y = args
            mode = node.get("toleranceMode")
            if mode == "exact":
                return x == y
            t0, t1 = (float(t) for t in node.get("tolerance").split())
            lo, hi = (x - t0, x + t1) if mode == "absolute" else (x * (1 - t0 / 100), x * (1 + t1 / 100))
            return lo <= y <= hi
        if tag == "match":
            a, b = args
            return sorted(a) == sorted(b) if isinstance(a, (list, set)) and not self.ordered(kids[0]) else a == b
        if tag == "stringMatch":
            a, b = args
            return a == b if node.get("caseSensitive") == "true" else a.lower() == b.lower()
        if tag == "index":
            n = int(node.get("n"))
            return args[0][n - 1] if 0 < n <= len(args[0]) else None
        if tag == "member":
            return args[0] in args[1]
        if tag in ("gte", "gt"):
            return args[0] >= args[1] if tag == "gte" else args[0] > args[1]
        if tag == "sum":
            return sum(args)
        if tag == "product":
            return args[0] * args[1]
        raise AssertionError(f"unknown expression {tag}")

    def ordered(self, node) -> bool:
        ident = node.get("identifier")
        return ident in self.decl and self.decl[ident].get("cardinality") == "ordered"


def _items(which: str, flavour: str | None):
    z, manifest = package(which, flavour)
    exams, ids = variants(which)
    for ref in manifest.items:
        exam = exams[ids.index(ref.variant)]
        q = next(q for q in exam.questions if q.id == ref.question)
        yield Item(etree.fromstring(z.read(f"items/{ref.ident}.xml"))), ref, q


def _response(item: Item, rid: str, exp, shift: float = 0.0):
    """The response that answers ``exp`` (its value moved by ``shift`` margins)."""
    d = item.decl[rid]
    base, card = d.get("baseType"), d.get("cardinality")
    if base in ("float", "integer"):
        if shift and exp.margin == 0:
            return int(exp.value) + (1 if shift > 0 else -1)
        v = exp.value + shift * exp.margin
        return int(v) if base == "integer" else v
    body = item.root.find(f"{QTI}itemBody")
    interaction = next(i for i in body.iter() if i.get("responseIdentifier") == rid)
    ids = {c.get("identifier"): c for c in interaction.iter(f"{QTI}simpleChoice")}
    correct = [v.text for v in d.iter(f"{QTI}value")]
    if shift:  # a wrong answer: another option, or the reverse order
        wrong = [i for i in ids if i not in correct]
        return list(reversed(correct)) if card == "ordered" else ([wrong[0]] if card == "multiple" else wrong[0])
    return correct if card in ("multiple", "ordered") else correct[0]


@pytest.mark.parametrize("which,flavour", CASES)
def test_round_trip_every_field_of_every_variant_scores_as_examgen_key(which, flavour):
    checked = 0
    for item, ref, q in _items(which, flavour):
        keys = expected(q)
        assert [(f.part, f.step, f.entry) for f in ref.fields] == [(k.part, k.step, k.entry) for k in keys]
        rids = [f.ident for f in ref.fields]
        points = sum(p.points for p in q.parts)
        assert item.maximum == points
        # the correct answer as the key gives it
        for rid, k in zip(rids, keys):
            d = item.decl[rid]
            if k.margin is not None:
                assert close(float(d.find(f".//{QTI}value").text), k.value), (ref.ident, k.step)
        key = {rid: _response(item, rid, k) for rid, k in zip(rids, keys)}
        assert close(item.run(key)[0], points), ref.ident
        # the tolerance: just inside on either side is right
        inside = {rid: _response(item, rid, k, 0.999 * (-1) ** i) if k.margin else key[rid]
                  for i, (rid, k) in enumerate(zip(rids, keys))}
        assert close(item.run(inside)[0], points), ref.ident
        # each field alone (the rest blank): right earns its share of the part's points, or the
        # whole part when it is the part's only final answer (full marks when the final answer is
        # right); just inside the tolerance the same; just outside less
        for rid, k in zip(rids, keys):
            finals = [x for x in keys if x.part == k.part and x.final]
            part_points = next(p.points for p in q.parts if p.id == k.part)
            want = part_points if finals == [k] else float(k.points)
            assert close(item.run({rid: key[rid]})[0], want), (ref.ident, k.step, k.entry)
            if k.margin:
                for side in (0.999, -0.999):
                    assert close(item.run({rid: _response(item, rid, k, side)})[0], want), (ref.ident, k.step)
            if k.margin is not None:
                for side in (1.001, -1.001):
                    assert item.run({rid: _response(item, rid, k, side)})[0] < want - 1e-9, (ref.ident, k.step, side)
            checked += 1
    assert checked > 500


def test_near_miss_and_named_mistake_credit_and_feedback():
    seen_mistake = seen_near = False
    for item, ref, q in _items("generators", None):
        keys = expected(q)
        for f, k in zip(ref.fields, keys):
            if not k.margin or k.final:
                continue
            near = {f.ident: k.value + 5 * k.margin}
            mistakes = [m for m in q.mistakes if m.values and f.step in m.values]
            if any(abs(_entry(m.values[f.step], k.entry) - near[f.ident]) <= 2 * k.margin
                   for m in mistakes if _entry(m.values[f.step], k.entry) is not None):
                continue
            score, feedback = item.run(near)
            assert close(score, NEAR_MISS.credit * float(k.points)), (ref.ident, k.step)
            assert "NEAR_MISS" in feedback
            seen_near = True
            for m in mistakes:
                v = _entry(m.values[f.step], k.entry)
                if v is None or abs(v - k.value) <= 10 * k.margin:
                    continue
                score, feedback = item.run({f.ident: v})
                st = q.step(f.step)
                matching = [o for o in mistakes if _entry(o.values[f.step], k.entry) is not None and
                            abs(_entry(o.values[f.step], k.entry) - v) <= max(st.tolerance.abs, st.tolerance.rel * abs(v))]
                assert any(close(score, o.credit * float(k.points)) for o in matching), (ref.ident, k.step, m.name)
                assert any(o.name in fb for o in matching for fb in feedback), (ref.ident, k.step, m.name)
                seen_mistake = True
    assert seen_mistake and seen_near


def _entry(value, entry):
    import numpy as np

    flat = np.ravel(np.asarray(value, dtype=float))
    i = entry or 0
    return float(flat[i]) if i < flat.size else None


def test_a_dropped_tolerance_fails_the_round_trip():
    """The check above can fail: the same item with its tolerances removed scores a value just
    inside the tolerance as wrong."""
    item, ref, q = next((it, r, q) for it, r, q in _items("generators", None)
                        if any(k.margin for k in expected(q)))
    for eq in item.root.iter(f"{QTI}equal"):
        eq.set("toleranceMode", "exact")
        eq.attrib.pop("tolerance", None)
    keys = expected(q)
    rid, k = next((f.ident, k) for f, k in zip(ref.fields, keys) if k.margin)
    inside = {f.ident: _response(item, f.ident, x) for f, x in zip(ref.fields, keys)} | \
        {rid: _response(item, rid, k, 0.5)}
    assert item.run(inside)[0] < item.maximum
