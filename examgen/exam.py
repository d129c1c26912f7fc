"""Exams: choose generators for a spec, seed every question, build answer templates and keys.

The same :class:`~examgen.model.ExamSpec` always gives the same exam: question seeds are
derived from the exam seed, the variant (student id), the generator id and the question's
occurrence, by hashing, so adding a topic does not change the other topics' questions.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from .errors import ExamgenError, UnknownName
from . import registry
from .model import AnswerSheet, Exam, ExamSpec, Question, Student
from .topics import TOPICS, topic as find_topic

MAX_PER_TOPIC_DEFAULT = 3
MAX_QUESTIONS = 200


class SpecError(ExamgenError, ValueError):
    """An exam spec that cannot be built (unknown topic or generator, bad count)."""


def _hash_int(*parts: Any) -> int:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def question_seed(spec: ExamSpec, generator_id: str, occurrence: int) -> int:
    return _hash_int("question", spec.seed, spec.variant or "", generator_id, occurrence)


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


def build_exam(spec: ExamSpec) -> Exam:
    """The exam for ``spec`` (deterministic)."""
    slots = selection(spec)
    if len(slots) > MAX_QUESTIONS:
        raise SpecError(f"{len(slots)} questions is more than the limit of {MAX_QUESTIONS}")
    seen: dict[str, int] = {}
    questions = []
    for i, slot in enumerate(slots, 1):
        k = seen[slot.key] = seen.get(slot.key, -1) + 1
        seed = question_seed(spec, slot.key, k)
        if slot.item is None:
            questions.append(slot.gen.generate(seed, qid=f"q{i}"))
        else:
            from .generators.concepts import question_for
            questions.append(question_for(slot.gen, slot.item, seed, qid=f"q{i}"))
    names = ", ".join(find_topic(t).name for t in spec.topics) if not spec.generators else ", ".join(spec.generators)
    title = f"IN5400 practice exam: {names}"
    return Exam(id=exam_id(spec, questions), title=title, spec=spec, questions=questions)


def generate(topics: Iterable[str | int] | None = None, seed: int | None = None, count: int | None = None,
             generators: Iterable[str] | None = None, variant: str | None = None,
             concept_share: float = 0.0) -> Exam:
    """Make an exam. ``topics``: names or lecture numbers (default: every implemented topic);
    ``seed``: default random; ``count``: questions per topic (default: each of the topic's
    generators once, at most 3); ``generators``: ids, instead of topics; ``concept_share``: the
    share of each topic's questions taken from the conceptual question bank."""
    gens = list(generators) if generators else None
    if gens:
        topic_ids = resolve_topics(dict.fromkeys(registry.get(g).topic for g in gens if _known(g)))
    else:
        topic_ids = resolve_topics(topics) if topics else implemented_topics()
    spec = ExamSpec(topics=topic_ids, seed=secrets.randbelow(10**6) if seed is None else seed,
                    count=count, generators=gens, variant=variant, concept_share=concept_share)
    return build_exam(spec)


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
