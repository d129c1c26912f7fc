"""One question at a time, for the practice app and for tutoring tools: draw a question, show it
(an HTML fragment with its answer widgets, or plain data), grade a dict of answers, and give the
worked solution (HTML fragment or data). ``examgen practice`` serves exactly these calls, as pages
and as JSON endpoints (``/api/...``; see :mod:`examgen.practice.api`).

    >>> from examgen import tutor
    >>> q = tutor.draw(goal="07.4", seed=1)             # or topic="rl", generator="adam"
    >>> view = tutor.question_data(q)                   # stem, givens, fields (kind, shape, options ...)
    >>> html = tutor.question_html(q)                   # stem, figure and widgets; no key data
    >>> report = tutor.grade(q, {"a": {"m1": "0.05"}})  # the grader of `examgen grade`
    >>> tutor.solution_html(q), tutor.solution_data(q)

A question is named by its :class:`QuestionRef` (generator, version, seed and, for a question-bank
question, the item), from which :func:`rebuild` makes it again: a client keeps the reference, never
the question's reference values.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import Field, JsonValue

from . import registry
from .errors import ExamgenError
from .exam import SpecError, resolve_topics
from .grading.mark import grade_question
from .model import Mistake, Model, Question, QuestionReport, Tolerance
from .topics import TOPICS, topic as find_topic


class TutorError(ExamgenError, ValueError):
    """A question that cannot be drawn or rebuilt (unknown goal, no generator, changed version)."""


class QuestionRef(Model):
    """What names a question: rebuilding it from this gives the same question."""

    generator: str
    version: int
    seed: int = Field(ge=0, lt=2**63)
    item: str | None = Field(None, description="The question-bank item, for a conceptual question.")


class AnswerField(Model):
    """One answer the question asks for, and the form it takes (no reference value)."""

    part: str
    step: str
    label: str = Field(description="The step's symbol as in the solution (markup: $math$).")
    kind: str
    final: bool = Field(description="True for a part's final answer; False for working (partial credit).")
    hint: str
    shape: list[int] | None = None
    options: list[str] | None = None
    variables: list[str] | None = None
    tolerance: Tolerance | None = None


class PartView(Model):
    id: str
    prompt: str
    points: int
    fields: list[AnswerField]


class QuestionView(Model):
    """A question as plain data, without its answers."""

    ref: QuestionRef
    title: str
    topic: str
    goal: str
    goal_text: str
    stem: str = Field(description="Markup: $inline$ and $$display$$ LaTeX, '- ' bullets.")
    figure: str | None = Field(None, description="SVG.")
    givens: dict[str, JsonValue] | None = Field(
        None, description="The numbers the stem prints (left out for question-bank items, whose givens "
                          "are the options' order).")
    parts: list[PartView]


class SolutionStep(Model):
    name: str
    label: str
    value: JsonValue
    shown: str = Field(description="The value as a student would write it.")
    formula: str | None = None
    work: str | None = None
    marking: str
    asked: bool


class SolutionView(Model):
    ref: QuestionRef
    parts: list[dict[str, Any]] = Field(description="Each part's id, prompt, answer step names and steps.")
    intermediate: list[SolutionStep] = Field(description="Steps shown only in the solution.")
    mistakes: list[Mistake]


# --- drawing --------------------------------------------------------------------------------


def sources(topics: list[str] | None = None) -> dict[str, list[tuple[str, str | None]]]:
    """For every learning goal with questions: (generator id, bank item or None) that ask about it,
    for the given topics (default: every topic), in the course's order. Generators that need
    PyTorch are left out."""
    return _sources(tuple(resolve_topics(topics)) if topics else tuple(t.id for t in TOPICS))


@lru_cache(maxsize=16)
def _sources(wanted: tuple[str, ...]) -> dict[str, list[tuple[str, str | None]]]:
    from . import bank

    out: dict[str, list[tuple[str, str | None]]] = {}
    for g in registry.all_generators():
        if g.topic in wanted and not g.needs_torch and not g.concept:
            out.setdefault(g.goal, []).append((g.id, None))
    for tid, item in sorted(bank.load().items()):
        topic_id, it = item
        if topic_id in wanted:
            out.setdefault(it.goal, []).append((f"concept_{topic_id}", tid))
    order = {g.id: i for i, g in enumerate(goal for t in TOPICS for goal in t.goals)}
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], 10**6)))


def draw(*, topic: str | None = None, goal: str | None = None, generator: str | None = None,
         seed: int | None = None) -> Question:
    """A question by generator, learning goal or topic (one of them; none: any), with new numbers
    for every seed (default: random)."""
    rng = np.random.default_rng(seed)
    if generator is not None:
        gen = registry.get(generator)
        if not gen.concept:
            return rebuild(QuestionRef(generator=gen.id, version=gen.version, seed=int(rng.integers(2**62))))
        pool = [s for ss in sources([gen.topic]).values() for s in ss if s[0] == gen.id]
    elif goal is not None:
        find_topic(goal.split(".")[0])  # a clear error for an unknown lecture
        pool = sources().get(goal)
        if not pool:
            raise TutorError(f"learning goal {goal!r} has no questions yet")
    else:
        try:
            goals = sources([topic] if topic else None)
        except SpecError as e:
            raise TutorError(str(e)) from None
        if not goals:
            raise TutorError(f"topic {topic!r} has no questions yet")
        pool = list(goals.values())[int(rng.integers(len(goals)))]  # every goal equally often
    gid, item = pick(pool, rng)
    return rebuild(QuestionRef(generator=gid, version=registry.get(gid).version,
                               seed=int(rng.integers(2**62)), item=item))


def pick(pool: list[tuple[str, str | None]], rng: np.random.Generator) -> tuple[str, str | None]:
    """One source of a goal's questions: a computational generator or a bank item, each side
    equally often where a goal has both (a goal has a few generators but often many items)."""
    computed = [s for s in pool if s[1] is None]
    bank_items = [s for s in pool if s[1] is not None]
    side = computed if computed and (not bank_items or rng.random() < 0.5) else bank_items
    return side[int(rng.integers(len(side)))]


def rebuild(ref: QuestionRef | dict) -> Question:
    """The question a reference names (a TutorError if its generator has changed since)."""
    ref = ref if isinstance(ref, QuestionRef) else QuestionRef.model_validate(ref)
    gen = registry.get(ref.generator)
    if gen.version != ref.version:
        raise TutorError(f"generator {ref.generator} is now version {gen.version}, not {ref.version}: "
                         "draw a new question")
    if ref.item is None:
        return gen.generate(ref.seed)
    if not gen.concept:
        raise TutorError(f"generator {ref.generator} has no question-bank items")
    from .generators.concepts import question_for

    try:
        return question_for(gen, ref.item, ref.seed, qid="q1")
    except KeyError:
        raise TutorError(f"the question bank has no item {ref.item!r}") from None


def ref_of(q: Question) -> QuestionRef:
    """The reference that rebuilds ``q`` (drawn questions only: typed-in givens have no seed)."""
    if q.seed is None:
        raise TutorError("a question made from typed-in givens has no seed to rebuild it from")
    item = q.givens.get("item") if registry.get(q.generator).concept else None
    return QuestionRef(generator=q.generator, version=q.version, seed=q.seed, item=item)


# --- showing, grading, solving ----------------------------------------------------------------


def question_data(q: Question) -> QuestionView:
    """The question as data: stem, figure, givens, and every answer field's kind, shape, options,
    variables and tolerance (no reference value)."""
    from . import kinds

    concept = registry.get(q.generator).concept
    parts = [PartView(id=p.id, prompt=p.prompt, points=p.points, fields=[
        AnswerField(part=p.id, step=st.name, label=st.label, kind=st.kind, final=st.name in p.answer,
                    hint=kinds.of(st).hint(st), shape=st.shape, options=st.options, variables=st.variables,
                    tolerance=st.tolerance)
        for st in (q.step(n) for n in p.steps)]) for p in q.parts]
    return QuestionView(ref=ref_of(q), title=q.title, topic=q.topic, goal=q.goal,
                        goal_text=find_topic(q.topic).goal(q.goal).text, stem=q.stem, figure=q.figure,
                        givens=None if concept else q.givens, parts=parts)


def question_html(q: Question) -> str:
    """The question as an HTML fragment with its answer widgets (no key data); a page showing it
    includes :func:`widget_script` once."""
    from .render.fragments import question_fragment

    return question_fragment(q)


def widget_script(questions: list[Question]) -> str:
    """The JavaScript the widgets of these questions need (``examgen.collect(root)`` reads them)."""
    from .render.html import widget_script as script

    return str(script(questions))


def grade(q: Question, answers: dict[str, Any]) -> QuestionReport:
    """Mark one question's answers (``part -> step -> raw answer``) exactly as ``examgen grade`` does."""
    return grade_question(q, answers)


def feedback_html(q: Question, report: QuestionReport) -> str:
    """The marking as an HTML fragment: score per part, each step's status, named mistakes."""
    from .render.fragments import feedback_fragment

    return feedback_fragment(q, report)


def solution_html(q: Question) -> str:
    """The worked solution as an HTML fragment (the solutions page's own template)."""
    from .render.fragments import solution_fragment

    return solution_fragment(q)


def solution_data(q: Question) -> SolutionView:
    """The worked solution as data: every step's value, formula, numbers and marking rule."""
    from . import kinds

    def step(st) -> SolutionStep:
        k = kinds.of(st)
        return SolutionStep(name=st.name, label=st.label, value=st.value, shown=k.show(st, st.value),
                            formula=st.formula, work=st.work, marking=k.marking(st) if st.asked else "not asked",
                            asked=st.asked)

    parts = [{"id": p.id, "prompt": p.prompt, "answer": p.answer, "steps": [step(q.step(n)) for n in p.steps]}
             for p in q.parts]
    return SolutionView(ref=ref_of(q), parts=parts, intermediate=[step(st) for st in q.steps if not st.asked],
                        mistakes=q.mistakes)
