"""Shared by the export tests: the exams they export (built once), and examgen's key for every
answer field, worked out here from the exam model and the policy's constants (not by the export
code): each asked step's share of its part's points (a final answer weighs ANSWER_WEIGHT), split
equally among an array's entries or a true/false step's statements; each number's margin
``max(abs, rel * |value|)`` (Tolerance's definition); whole numbers exact."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

from examgen import api, registry
from examgen.model import Exam, Question, Step
from examgen.policy import ANSWER_WEIGHT
from examgen.topics import TOPICS

VARIANTS = 5
SEED = 11
XSD = Path(__file__).parent / "data" / "qti21" / "qtiv2p1" / "imsqti_v2p1.xsd"


def every_generator() -> list[str]:
    """Every registered generator: the computational ones of every topic and one bank item per lecture."""
    return [g.id for g in registry.all_generators()]


def topics_with_generators() -> list[str]:
    return [t.id for t in TOPICS if registry.by_topic(t.id, concepts=False)]


@lru_cache(maxsize=None)
def variants(which: str = "generators") -> tuple[tuple[Exam, ...], tuple[str, ...]]:
    """5 variants of an exam of every generator ("generators"), or of every topic with a share of
    question-bank items ("topics")."""
    if which == "generators":
        exams, ids = api.export_variants(generators=every_generator(), seed=SEED, variants=VARIANTS)
    else:
        exams, ids = api.export_variants(topics=topics_with_generators(), seed=SEED, variants=VARIANTS,
                                         concept_share=0.4)
    return tuple(exams), tuple(ids)


@dataclass(frozen=True)
class Expected:
    part: str
    step: str
    entry: int | None
    value: object
    """A number, or for option steps the right option(s)."""
    margin: float | None
    """Half-width of the accepted interval for a number (0 for a whole number); None otherwise."""
    points: Fraction
    final: bool


def _entries(st: Step) -> list:
    if st.kind in ("vector", "matrix", "tensor"):
        return [float(v) for v in np.ravel(st.value)]
    if st.kind == "truefalse":
        return list(st.value)
    return [st.value]


def expected(q: Question) -> list[Expected]:
    """examgen's key for every LMS field of ``q``, in the order of its parts and steps."""
    out = []
    for part in q.parts:
        weight = {n: Fraction(ANSWER_WEIGHT) if n in part.answer else Fraction(1) for n in part.steps}
        total = sum(weight.values())
        for n in part.steps:
            st = q.step(n)
            entries = _entries(st)
            for i, v in enumerate(entries):
                margin = None
                if st.kind == "integer":
                    margin = 0.0
                elif isinstance(v, float):
                    margin = max(st.tolerance.abs, st.tolerance.rel * abs(v))
                out.append(Expected(part.id, n, i if st.shape or st.kind == "truefalse" else None, v, margin,
                                    part.points * weight[n] / total / len(entries), n in part.answer))
    return out


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
