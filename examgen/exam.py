"""Exams: choose generators for a spec, seed every question, build answer templates and keys.

The same :class:`~examgen.model.ExamSpec` always gives the same exam: question seeds are
derived from the exam seed, the generator id and the question's occurrence, by hashing, so adding
a topic does not change the other topics' questions.

**Variants** (one per student of a class) have the same questions, parts, asked steps and points
as each other, with their own numbers: the *structure* of every question is drawn from the exam
seed, the numbers from the variant. For each question, :data:`PROBE` candidate questions are
drawn from the exam seed and the structure most of them share is the class's (a common structure,
so that a variant finds one quickly); each variant then draws candidates from its own seed stream
(:meth:`~examgen.registry.Generator.draw_variant`) until one has that structure, at most
:data:`MAX_TRIES` of them. A *keyed* variant (``spec.keyed``) draws its stream from a key that is
an HMAC of the teacher's secret, the exam seed and the student id (:func:`variant_key`), so
nothing a student holds rebuilds it; its printed name is another HMAC (:func:`variant_code`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from base64 import b32encode
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

import numpy as np
from pydantic import ValidationError

from .errors import ExamgenError, UnknownName
from . import registry
from .model import AnswerSheet, Exam, ExamSpec, Question, Student
from .topics import TOPICS, topic as find_topic

MAX_PER_TOPIC_DEFAULT = 3
MAX_QUESTIONS = 200
PROBE = 48
"""Candidates drawn from the exam seed to choose each question's structure for the variants."""
MAX_TRIES = 2000
"""Candidates a variant may draw to match its question's structure (measured: at most a few dozen)."""


class SpecError(ExamgenError, ValueError):
    """An exam spec that cannot be built (unknown topic or generator, bad count)."""


def _hash_int(*parts: Any) -> int:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def question_seed(spec: ExamSpec, generator_id: str, occurrence: int) -> int:
    """The seed of a question of the exam without variants."""
    return _hash_int("question", spec.seed, "", generator_id, occurrence)


def variant_key(secret: bytes, seed: int, student_id: str) -> bytes:
    """The key a student's keyed variant draws its numbers from (never written to any file)."""
    return hmac.new(secret, f"examgen variant key/1\0{seed}\0{student_id}".encode(), "sha256").digest()


def variant_code(secret: bytes, seed: int, student_id: str) -> str:
    """The name printed on a keyed variant: 10 characters that say nothing about its key."""
    digest = hmac.new(secret, f"examgen variant code/1\0{seed}\0{student_id}".encode(), "sha256").digest()
    return b32encode(digest).decode("ascii")[:10].lower()


def resolve_topics(keys: Iterable[str | int]) -> list[str]:
    """Canonical topic ids for names, aliases or lecture numbers, in order, without repeats."""
    out: list[str] = []
    for key in keys:
        try:
            t = find_topic(key).id
        except UnknownName as e:
            raise SpecError(e.args[0]) from None
        if t not in out:
            out.append(t)
    return out


def implemented_topics() -> list[str]:
    """Topics with a computational generator that works without PyTorch (the default for an exam)."""
    have = {g.topic for g in registry.all_generators() if not g.needs_torch and not g.concept}
    return [t.id for t in TOPICS if t.id in have]


@dataclass(frozen=True)
class Slot:
    """One question of an exam: its generator and, for a question-bank item, which item."""

    gen: registry.Generator
    item: str | None = None

    @property
    def key(self) -> str:
        return self.item or self.gen.id


def _concept_items(tid: str) -> list[str]:
    from . import bank

    return sorted(item.id for item in bank.items_of(tid))


def selection(spec: ExamSpec) -> list[Slot]:
    """The questions asked for by ``spec``, in exam order. Per topic, ``count`` questions (default:
    each computational generator once, at most 3), of which the share ``concept_share`` (rounded)
    are question-bank items. Which generators and items: from the exam seed only, so every
    student's variant has the same questions with different numbers (question_seed())."""
    if spec.count is not None and not 1 <= spec.count <= 50:
        raise SpecError(f"count must be between 1 and 50, got {spec.count}")
    if spec.generators:
        try:
            gens = [registry.get(gid) for gid in spec.generators]
        except UnknownName as e:
            raise SpecError(e.args[0]) from None
        return [Slot(g) for g in gens for _ in range(spec.count or 1)]
    chosen: list[Slot] = []
    for tid in spec.topics:
        pool = registry.by_topic(tid, concepts=False)
        items = _concept_items(tid) if spec.concept_share > 0 else []
        if not pool and not items:
            raise SpecError(f"topic '{tid}' has no question generators yet; implemented topics: "
                            + ", ".join(implemented_topics()))
        n = spec.count if spec.count is not None else min(len(pool), MAX_PER_TOPIC_DEFAULT) or MAX_PER_TOPIC_DEFAULT
        n_concept = min(len(items), round(n * spec.concept_share)) if pool else min(len(items), n)
        rng = np.random.default_rng(_hash_int("topic", spec.seed, tid))
        order = rng.permutation(len(pool)) if pool else []
        chosen += [Slot(pool[int(order[i % len(pool)])]) for i in range(n - n_concept)]
        if n_concept:
            concept_gen = registry.get(f"concept_{tid}")
            chosen += [Slot(concept_gen, items[int(i)]) for i in rng.permutation(len(items))[:n_concept]]
    return chosen


def exam_id(spec: ExamSpec, questions: list[Question]) -> str:
    """A short id naming the spec and the generator versions it was built with."""
    key = json.dumps([spec.model_dump(mode="json"), [(q.generator, q.version) for q in questions]],
                     sort_keys=True)
    return f"{spec.seed}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def structure(q: Question) -> tuple:
    """What a question asks, without its numbers: per part its id and per asked step its kind,
    shape, number of options and whether it is (one of) the part's answer(s). Variants of a class
    have the same structure and the same points for every question."""
    return tuple((p.id, tuple((st.kind, tuple(st.shape or ()), len(st.options or ()), n in p.answer)
                              for n in p.steps for st in [q.step(n)])) for p in q.parts)


def _points(q: Question) -> tuple[int, ...]:
    return tuple(p.points for p in q.parts)


def _occurrences(slots: list[Slot]) -> list[int]:
    seen: dict[str, int] = {}
    out = []
    for slot in slots:
        seen[slot.key] = seen.get(slot.key, -1) + 1
        out.append(seen[slot.key])
    return out


def _candidate(slot: Slot, seed: int, like=None, qid: str = "q1"):
    """(structure, givens, question or None) of one candidate: for a generator, the cheap structure
    of its drawn givens (the question is built only when it fits); for a bank item, the question."""
    if slot.item is not None:
        from .generators.concepts import question_for

        q = question_for(slot.gen, slot.item, seed, qid=qid)
        return structure(q), None, q
    rng = np.random.default_rng(seed)
    g = slot.gen.draw(rng) if like is None else slot.gen.draw_variant(rng, like)
    return slot.gen.structure(g), g, None


def _numbers(g, q: Question | None) -> str:
    """What makes a candidate a different question: its givens (a bank item: its shown options)."""
    if q is not None:
        return json.dumps([q.givens, q.stem], sort_keys=True)
    return g.model_dump_json()


@dataclass(frozen=True)
class Target:
    """A question's structure and points, which every variant of it has, and the givens of one
    question drawn with it (passed to ``Generator.draw_variant``)."""

    structure: tuple
    points: tuple[int, ...]
    like: Any


@lru_cache(maxsize=8)
def _targets(base: str) -> tuple[Target, ...]:
    """Every question's :class:`Target` for the variants of the spec ``base`` (a JSON dump without
    the variant): of :data:`PROBE` candidates from the exam seed, the structure most *different*
    candidates share (a structure that only one set of numbers has, a generator's preset, would
    give every student the same question)."""
    spec = ExamSpec.model_validate_json(base)
    slots = selection(spec)
    targets = []
    for slot, k in zip(slots, _occurrences(slots)):
        found: dict[tuple, set] = {}
        first = {}
        for j in range(PROBE):
            seed = _hash_int("structure", spec.seed, slot.key, k, j)
            shape, g, q = _candidate(slot, seed)
            found.setdefault(shape, set()).add(_numbers(g, q))
            first.setdefault(shape, (j, seed, g, q))
        shape = max(found, key=lambda sh: (len(found[sh]), -first[sh][0]))
        _, seed, g, q = first[shape]
        q = q or slot.gen.build(g, seed=seed)
        if structure(q) != shape:  # Generator.structure and the built question disagree: a bug
            raise AssertionError(f"{slot.gen.id}: structure() differs from the built question's")
        targets.append(Target(shape, _points(q), g))
    return tuple(targets)


def _variant_question(slot: Slot, target: Target, material: str, k: int, qid: str) -> Question:
    """The first candidate of the variant's own stream with the question's structure."""
    for attempt in range(MAX_TRIES):
        seed = _hash_int("variant", material, slot.key, k, attempt)
        shape, g, q = _candidate(slot, seed, target.like, qid)
        if shape != target.structure:
            continue
        q = q or slot.gen.build(g, seed=seed, qid=qid)
        if structure(q) == target.structure and _points(q) == target.points:
            return q
    raise SpecError(f"question {qid} ({slot.gen.id}): no variant with the class's structure in "
                    f"{MAX_TRIES} draws; try another seed")


def build_exam(spec: ExamSpec, key: bytes | None = None) -> Exam:
    """The exam for ``spec`` (deterministic). A variant's questions ask what every other variant's
    ask (see the module docstring); a keyed variant needs its ``key`` (:func:`variant_key`)."""
    slots = selection(spec)
    if len(slots) > MAX_QUESTIONS:
        raise SpecError(f"{len(slots)} questions is more than the limit of {MAX_QUESTIONS}")
    if spec.keyed and (key is None or spec.variant is None):
        raise SpecError(f"variant '{spec.variant}' is keyed: its numbers come from the teacher's secret, "
                        "and the spec alone cannot rebuild it")
    questions = []
    if spec.variant is None:
        for i, (slot, k) in enumerate(zip(slots, _occurrences(slots)), 1):
            seed = question_seed(spec, slot.key, k)
            if slot.item is None:
                questions.append(slot.gen.generate(seed, qid=f"q{i}"))
            else:
                questions.append(_candidate(slot, seed, qid=f"q{i}")[2])
    else:
        targets = _targets(spec.model_copy(update={"variant": None, "keyed": False}).model_dump_json())
        material = key.hex() if spec.keyed else f"{spec.seed}/{spec.variant}"
        for i, (slot, k, target) in enumerate(zip(slots, _occurrences(slots), targets), 1):
            questions.append(_variant_question(slot, target, material, k, f"q{i}"))
    names = ", ".join(find_topic(t).name for t in spec.topics) if not spec.generators else ", ".join(spec.generators)
    title = f"IN5400 practice exam: {names}"
    return Exam(id=exam_id(spec, questions), title=title, spec=spec, questions=questions)


def make_spec(topics: Iterable[str | int] | None = None, seed: int | None = None, count: int | None = None,
              generators: Iterable[str] | None = None, variant: str | None = None,
              concept_share: float = 0.0) -> ExamSpec:
    """The spec :func:`generate` builds (see there); :class:`SpecError` when it is not valid."""
    gens = list(dict.fromkeys(generators)) if generators else None
    if gens:
        if len(gens) > MAX_QUESTIONS:
            raise SpecError(f"{len(gens)} generators is more than the limit of {MAX_QUESTIONS}")
        topic_ids = resolve_topics(dict.fromkeys(registry.get(g).topic for g in gens if _known(g)))
    else:
        topic_ids = resolve_topics(topics) if topics else implemented_topics()
    try:
        return ExamSpec(topics=topic_ids, seed=secrets.randbelow(10**6) if seed is None else seed,
                        count=count, generators=gens, variant=variant, concept_share=concept_share)
    except ValidationError as e:
        raise SpecError(registry.describe_validation(e, "exam spec")) from None


def check_spec(spec: ExamSpec) -> list[Slot]:
    """The questions of a spec read from a file, checked before anything is built: every topic
    and generator known, at most :data:`MAX_QUESTIONS` questions (the spec's lists are already
    bounded by the model)."""
    for tid in spec.topics:
        resolve_topics([tid])
    for gid in spec.generators or []:
        _known(gid)
    slots = selection(spec)
    if len(slots) > MAX_QUESTIONS:
        raise SpecError(f"{len(slots)} questions is more than the limit of {MAX_QUESTIONS}")
    return slots


def generate(topics: Iterable[str | int] | None = None, seed: int | None = None, count: int | None = None,
             generators: Iterable[str] | None = None, variant: str | None = None,
             concept_share: float = 0.0) -> Exam:
    """Make an exam. ``topics``: names or lecture numbers (default: every implemented topic);
    ``seed``: default random; ``count``: questions per topic (default: each of the topic's
    generators once, at most 3); ``generators``: ids, instead of topics; ``variant``: a variant
    name (the same questions and parts, other numbers; not keyed); ``concept_share``: the share of
    each topic's questions taken from the conceptual question bank."""
    return build_exam(make_spec(topics, seed, count, generators, variant, concept_share))


def _known(generator_id: str) -> bool:
    try:
        registry.get(generator_id)
    except UnknownName as e:
        raise SpecError(e.args[0]) from None
    return True


def answer_sheet(exam: Exam, *, key: bool = False, student: Student | None = None) -> AnswerSheet:
    """The answers template (every asked step, value null) or, with ``key=True``, the answer key."""
    answers = {
        q.id: {p.id: {name: (q.step(name).value if key else None) for name in p.steps} for p in q.parts}
        for q in exam.questions
    }
    return AnswerSheet(exam_id=exam.id, spec=exam.spec, student=student, answers=answers)
