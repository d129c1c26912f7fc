"""Generators register themselves here with the :func:`generator` decorator.

A generator is a class with

* ``Givens``: a pydantic model of the numbers printed in the question (validated, so a
  teacher can type in the givens of an old exam);
* ``draw(rng)``: random, rounded, non-degenerate givens from a ``numpy.random.Generator``;
* ``solve(s, g)``: the reference solver, written as named steps (see :mod:`examgen.steps`);
* ``stem(g)``: the question text; ``figure(g)``: an optional SVG drawing of the givens.

Generators live one per file in a package per lecture (``generators/<topic>/<id>.py``), found on
disk and imported on first lookup, so adding a file is all it takes to add a generator; only the
files a lookup needs are imported (see :func:`by_topic` and :func:`get`).
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import warnings
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from .errors import ExamgenError, UnknownName
from .model import Question
from .steps import Degenerate, Steps
from .topics import topic as find_topic


GIVEN_MAGNITUDE = (1e-12, 1e12)
"""Every number of every given is 0 or of a size between these (drawn givens lie within 1e-8 and
1e4): NaN, infinities, subnormals such as 1e-320 and 1e300 are refused before any solver runs."""
MAX_GIVEN_ENTRIES = 1000
"""Numbers (or texts) in one given (drawn givens hold at most 36)."""
MAX_GIVEN_DEPTH = 6
MAX_GIVEN_TEXT = 200


def given_problem(value: Any) -> str | None:
    """Why a given's value is refused whatever its generator (see :data:`GIVEN_MAGNITUDE`), or None.
    Looks at every number of nested lists; stops at the first problem, and never quotes more than a
    short prefix of the value."""
    lo, hi = GIVEN_MAGNITUDE
    stack, seen = [(value, 0)], 0
    while stack:
        v, depth = stack.pop()
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, BaseModel):  # a nested record (a layer, a tensor) as a model
            v = dict(v)
        if isinstance(v, (list, tuple, dict)):
            if depth >= MAX_GIVEN_DEPTH:
                return f"is nested more than {MAX_GIVEN_DEPTH} levels deep"
            seen += len(v)
            if seen > MAX_GIVEN_ENTRIES:
                return f"has more than {MAX_GIVEN_ENTRIES} entries"
            if isinstance(v, dict):
                if any(not isinstance(k, str) or len(k) > MAX_GIVEN_TEXT for k in v):
                    return "holds a field name that is not a short text"
                v = list(v.values())
            for x in v:
                if type(x) is float:  # the common case, checked here without a trip through the stack
                    size = abs(x)
                    if not lo <= size <= hi and size != 0:
                        return _number_problem(x)
                else:
                    stack.append((x, depth + 1))
        elif isinstance(v, str):
            if len(v) > MAX_GIVEN_TEXT:
                return f"is a text of {len(v)} characters (at most {MAX_GIVEN_TEXT})"
        elif isinstance(v, (bool, np.bool_)) or v is None:
            continue
        elif isinstance(v, (int, float, np.integer, np.floating)):
            try:
                x = abs(float(v))
            except OverflowError:
                return "holds a number too large to compute with"
            if not lo <= x <= hi and x != 0:
                return _number_problem(float(v))
    return None


def _number_problem(x: float) -> str:
    """Why the float ``x``, which is not 0 and not of a size between the bounds, is refused."""
    if x != x or abs(x) == float("inf"):
        return "holds a number that is not finite (NaN or infinity)"
    lo, hi = GIVEN_MAGNITUDE
    return f"holds {float(x):.3g}; every number must be 0 or between {lo:g} and {hi:g} in size"


class Givens(BaseModel):
    """Base of every generator's givens: unknown names are errors, values are frozen, and every
    value passes :func:`given_problem` before the generator's own fields and validators see it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                problem = given_problem(value)
                if problem:
                    raise ValueError(f"field '{shorten(name)}' {problem}")
        return data


class GivenError(ExamgenError, ValueError):
    """Givens that do not fit a generator: missing, unknown, out of range or degenerate."""


def shorten(text: Any, limit: int = 40) -> str:
    """Text (a name, a value) cut to ``limit`` characters for a message."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, np.ndarray):
        return bool(np.isfinite(value).all())
    return True


class Generator:
    id: ClassVar[str]
    topic: ClassVar[str]
    goal: ClassVar[str]
    version: ClassVar[int]
    title: ClassVar[str]
    Givens: ClassVar[type[Givens]]
    needs_torch: ClassVar[bool] = False
    """True for a generator whose reference answers need PyTorch (imported only when it is used)."""
    concept: ClassVar[bool] = False
    """True for the question-bank generators (mixed into exams with ``--mix concept=...``)."""
    rerun: ClassVar[bool] = True
    """False when the grader must not re-run the solver (e.g. it needs torch): no follow-through,
    and mistakes are recognised from the values stored with the question."""

    def draw(self, rng: np.random.Generator) -> Givens:
        raise NotImplementedError

    def solve(self, s: Steps, g: Any) -> None:
        raise NotImplementedError

    def stem(self, g: Any) -> str:
        raise NotImplementedError

    def figure(self, g: Any) -> str | None:
        """An SVG drawing of the givens, stored with the question (renderers never re-run a generator)."""
        return None

    def givens(self, values: dict[str, Any]) -> Givens:
        """Validate user-supplied givens; raise :class:`GivenError` with a one-line reason. Besides
        the generator's own fields and validators, every number is checked (:func:`given_problem`)
        and the solver must give a finite value for every step."""
        if not isinstance(values, dict):
            raise GivenError(f"{self.id} givens: expected names and values, got {type(values).__name__}")
        try:
            g = self.Givens.model_validate(values)
        except ValidationError as e:
            raise GivenError(describe_validation(e, f"{self.id} givens", self.Givens)) from None
        s = Steps()
        try:
            with np.errstate(all="ignore"):
                self.solve(s, g)
        except Degenerate as e:
            raise GivenError(f"{self.id} givens: {shorten(e, 300)}") from None
        except ArithmeticError as e:
            raise GivenError(f"{self.id} givens: the solution cannot be computed from these givens "
                             f"({type(e).__name__}: {shorten(e, 100)})") from None
        bad = next((name for name, v in s.values.items() if not _finite(v)), None)
        if bad is not None:
            raise GivenError(f"{self.id} givens: step '{bad}' is not a finite number for these givens")
        return g

    def build(self, g: Givens, seed: int | None = None, qid: str = "q1") -> Question:
        """Solve ``g`` in reference mode and assemble the question."""
        s = Steps(describe=True)
        self.solve(s, g)
        return Question.model_validate(dict(
            id=qid, generator=self.id, version=self.version, seed=seed, topic=self.topic,
            goal=self.goal, title=self.title, givens=g.model_dump(mode="json"), stem=self.stem(g),
            parts=s.finished_parts(), steps=s.described, mistakes=list(s.mistakes.values()),
            figure=self.figure(g)))

    def structure(self, g: Givens) -> tuple:
        """What a question with these givens asks, without its numbers (part ids; per asked step its
        kind, shape, number of options and whether it is an answer): the solver run once without
        formatting, a third of the cost of :meth:`build`. Equals ``exam.structure(self.build(g))``
        but for the points (which solvers do not set)."""
        s = Steps(structure=True)
        with np.errstate(all="ignore"):
            self.solve(s, g)
        return s.signature()

    def draw_variant(self, rng: np.random.Generator, like: Givens) -> Givens:
        """Givens for a student's variant of a class exam, which must ask what ``like`` asks (the
        same :meth:`structure`); a draw that does not is thrown away and drawn again. The default
        ignores ``like``: a generator whose structure is rarely drawn twice can override this to
        take its structural givens (sizes, counts, which cells are asked) from ``like`` and draw
        only the numbers."""
        return self.draw(rng)

    def generate(self, seed: int, qid: str = "q1") -> Question:
        """A random question: the same seed gives the same question on every machine."""
        return self.build(self.draw(np.random.default_rng(seed)), seed=seed, qid=qid)

    def run(self, g: Givens, substitute: dict[str, Any] | None = None,
            mistake: str | None = None) -> Steps:
        """Run the solver for grading (follow-through and mistake modes)."""
        s = Steps(substitute=substitute, mistake=mistake)
        with np.errstate(all="ignore"):
            try:
                self.solve(s, g)
            except (Degenerate, ArithmeticError):
                pass  # a student's value (a zero count, a huge number) made a later step impossible:
                # those steps stay unrecorded. Any other exception is a bug in the solver.
        return s


def with_mistake_values(q: Question) -> Question:
    """``q`` with every named mistake's step values stored (``Mistake.values``): the asked steps a
    student who makes that one mistake (and no other) gets wrong, computed from the question's
    givens. Exporters read them (they never re-run a generator) to write each mistake as an
    alternative answer with its credit and feedback. Questions whose generator is of another
    version, or that already store their values, are returned as they are."""
    if all(m.values is not None for m in q.mistakes):
        return q
    gen = get(q.generator)
    if gen.version != q.version or not gen.rerun:
        return q
    g = gen.Givens.model_validate(q.givens)
    from . import kinds
    from .steps import to_json

    mistakes = []
    for m in q.mistakes:
        if m.values is None:
            run = gen.run(g, None, m.name).values
            values = {}
            for st in q.steps:
                if st.asked and st.name in run:
                    kind = kinds.of(st)
                    value = to_json(run[st.name])
                    if kind.numeric or isinstance(value, (int, float)):
                        if not np.all(np.isfinite(np.asarray(value, dtype=float))):
                            continue  # the mistake gives no usable number here
                    if not np.all(kind.matches(st, kind.reference(st, value), kind.reference(st))):
                        values[st.name] = value
            m = m.model_copy(update={"values": values})
        mistakes.append(m)
    return q.model_copy(update={"mistakes": mistakes})


MAX_PROBLEMS_SHOWN = 5


def describe_validation(e: ValidationError, where: str, model: type[BaseModel] | None = None) -> str:
    """One line per problem, naming the field: 'adam givens: field 'lr': ...'. At most
    :data:`MAX_PROBLEMS_SHOWN` problems, each of bounded length, whatever the input held."""
    lines = []
    errors = e.errors(include_url=False, include_input=False)
    for err in errors[:MAX_PROBLEMS_SHOWN]:
        loc = shorten(".".join(str(p) for p in err["loc"]), 80) or "(top level)"
        if err["type"] == "missing":
            msg = "is missing"
        elif err["type"] == "extra_forbidden":
            known = f" (known: {', '.join(model.model_fields)})" if model else ""
            msg = f"is not a known field{known}"
        else:
            msg = shorten(err["msg"].removeprefix("Value error, "), 200)
        named = not err["loc"] and msg.startswith("field '")  # a model validator naming the field itself
        lines.append(f"{where}: {msg}" if named else f"{where}: field '{loc}' {msg}")
    if len(errors) > MAX_PROBLEMS_SHOWN:
        lines.append(f"and {len(errors) - MAX_PROBLEMS_SHOWN} more problems")
    return "; ".join(lines)


_REGISTRY: dict[str, Generator] = {}
_ORDER: dict[str, int] = {}
_imported: set[str] = set()
_loaded = False
LOAD_ERRORS: dict[str, str] = {}
"""Generator modules that failed to import (module -> error); the others still work."""


def generator(*, id: str, topic: str, goal: str, version: int, title: str):
    """Class decorator: register a generator under ``id`` with its metadata."""
    t = find_topic(topic)
    t.goal(goal)  # raises for an unknown goal

    def register(cls: type[Generator]) -> type[Generator]:
        if id in _REGISTRY:
            raise ValueError(f"generator id {id!r} registered twice")
        cls.id, cls.topic, cls.goal, cls.version, cls.title = id, t.id, goal, version, title
        _REGISTRY[id] = cls()
        _ORDER[id] = len(_ORDER)
        return cls

    return register


def _import(name: str) -> None:
    """Import one generator module (once), ``"cnn.conv_output"`` or ``"concepts"``; a failure is
    recorded and warned about, not raised."""
    from . import generators

    if name in _imported:
        return
    _imported.add(name)
    try:
        importlib.import_module(f"{generators.__name__}.{name}")
    except Exception as e:  # one broken module must not take every generator down
        LOAD_ERRORS[name] = f"{type(e).__name__}: {e}"
        warnings.warn(f"examgen: generator module {name!r} failed to load: {e}", stacklevel=3)


def _public(path) -> list[pkgutil.ModuleInfo]:
    return sorted((m for m in pkgutil.iter_modules(path) if not m.name.startswith("_")), key=lambda m: m.name)


@functools.cache
def _layout() -> dict[str, list[str]]:
    """Generator modules by package, found on disk without importing them: ``{"cnn": ["cnn.conv_output",
    ...], "": ["concepts"]}``: a package per lecture (named after its topic), and modules at the top
    (the question-bank generators). Names starting with ``_`` are helpers, not generator modules."""
    from . import generators

    out: dict[str, list[str]] = {"": []}
    for m in _public(generators.__path__):
        if m.ispkg:
            inside = os.path.join(m.module_finder.path, m.name)
            out[m.name] = [f"{m.name}.{sub.name}" for sub in _public([inside]) if not sub.ispkg]
        else:
            out[""].append(m.name)
    return out


def _load() -> None:
    global _loaded
    if not _loaded:
        for names in _layout().values():
            for name in names:
                _import(name)
        _loaded = True


def _ordered(gens) -> list[Generator]:
    """Generators in one stable order, however they were loaded and wherever their files are:
    by lecture, then by id."""
    return sorted(gens, key=lambda g: (find_topic(g.topic).lecture, g.id))


def all_generators() -> list[Generator]:
    _load()
    return _ordered(_REGISTRY.values())


def get(generator_id: str) -> Generator:
    """The generator ``generator_id``; its own file (``<topic>/<id>.py``) is imported first, and
    everything else only when that does not register it."""
    if generator_id not in _REGISTRY:
        for names in _layout().values():
            for name in names:
                if name.rpartition(".")[2] == generator_id:
                    _import(name)
        if generator_id not in _REGISTRY:
            _load()
    try:
        return _REGISTRY[generator_id]
    except KeyError:
        raise UnknownName(f"unknown generator {shorten(repr(generator_id))}; known: {', '.join(sorted(_REGISTRY))}") from None


def by_topic(topic_id: str, concepts: bool = True) -> list[Generator]:
    """A topic's generators. Without ``concepts`` only the topic's own package is imported
    (``generators/<topic>/``), which keeps ``examgen make --topics ...`` from importing every
    generator."""
    if concepts:
        _load()
    else:
        for name in _layout().get(topic_id, []):
            _import(name)
    return _ordered(g for g in _REGISTRY.values() if g.topic == topic_id and (concepts or not g.concept))
