"""The step recorder: one solver, three uses.

A reference solver is a plain function ``solve(s: Steps, g)`` that computes its answer
as a sequence of *named steps*::

    m = s.step("m1", rho1 * m0 + (1 - rho1) * g1, r"\\mu_1 = \\rho_1\\mu_0 + (1-\\rho_1)g_1")

The same function runs in three modes, chosen by how the ``Steps`` is made:

* **reference** (``Steps(describe=True)``): records every step's value, label, formula and
  worked numbers; this is the answer key and the worked solution.
* **follow-through** (``Steps(substitute=student_values)``): every step still records what
  it *should* be, computed from the values used so far, but then hands the solver the
  student's own value for that step (when they gave one). A later step that matches
  this recomputation is right "given your earlier answers".
* **mistake** (``Steps(substitute=..., mistake="no_bias_correction")``): ``s.mistake(...)``
  returns True for that one mistake, so the solver computes what a student who makes it
  would get. Solvers write the mistaken formula as the value of the *same* step, so the
  mistake is found at the step where it is made.

Formulas and worked numbers may be given as zero-argument callables; they are only
called in reference mode, so grading never pays for formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Union

import numpy as np

from . import kinds
from .errors import ExamgenError
from .model import StepKind, Tolerance

Text = Union[str, Callable[[], str], None]

DEFAULT_TOLERANCE = Tolerance.places(3)
PART_LETTERS = "abcdefghijklmnopqrstuvwxyz"
"""Part ids by position: the first ``s.part(...)`` of a question is part a."""


class Degenerate(ExamgenError, ValueError):
    """Raised by a solver or generator when givens make the question ill-posed."""


@dataclass(frozen=True)
class CommonMistake:
    """A mistake that several generators detect: one name and one description for all of them (the
    catalogue is :mod:`examgen.generators._mistakes`), so reports and item analyses count it as one."""

    name: str
    description: str


def _catalogue() -> dict[str, CommonMistake]:
    from .generators._mistakes import CATALOGUE  # content, read when a question is described

    return CATALOGUE


@dataclass(frozen=True)
class _Declared:
    """A mistake as seen in a grading run (name, description, credit: what the grader reads)."""

    name: str
    description: str
    credit: float = 0.0


@dataclass
class _PartDraft:
    id: str
    prompt: str
    steps: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)


def as_value(value: Any) -> Any:
    """Canonical in-memory form: float, int, str, a float ndarray, or (question-bank steps) a
    tuple of strings."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("a step value cannot be a bool; use a choice step")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return np.asarray(value, dtype=float)


def to_json(value: Any) -> Any:
    """JSON form of a canonical value (arrays become nested lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


def infer_kind(value: Any) -> StepKind:
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "scalar"
    if isinstance(value, str):
        return "choice"
    if isinstance(value, tuple):
        raise TypeError("a step whose value is a list of texts needs an explicit kind")
    return {1: "vector", 2: "matrix"}.get(value.ndim, "tensor")


def _text(t: Text) -> str | None:
    return t() if callable(t) else t


class Steps:
    """Records a solver's named steps (see the module docstring for the three modes)."""

    def __init__(self, substitute: dict[str, Any] | None = None, mistake: str | None = None,
                 describe: bool = False):
        self.values: dict[str, Any] = {}
        self.described: list[dict] = []  # Step fields, in solver order
        self.parts: list[_PartDraft] = []
        self.mistakes: dict[str, dict | _Declared] = {}  # dicts (Mistake fields) when describing
        self._substitute = substitute or {}
        self._mistake = mistake
        self._describe = describe

    @property
    def describing(self) -> bool:
        return self._describe

    def part(self, prompt: Text, id: str | None = None) -> str:
        """Start a subtask: the asked steps that follow belong to it. Its id is the next letter
        (``a``, ``b``, ... in the order of the calls) unless ``id`` is given; returns the id."""
        if id is None:
            if len(self.parts) >= len(PART_LETTERS):
                raise ValueError(f"more than {len(PART_LETTERS)} parts: give them ids")
            id = PART_LETTERS[len(self.parts)]
        self.parts.append(_PartDraft(id, _text(prompt) if self._describe else ""))
        return id

    def step(self, name: str, value: Any, formula: Text = None, work: Text = None, *,
             label: str | None = None, kind: StepKind | None = None,
             tol: Tolerance | None = None, asked: bool = True, answer: bool = False,
             options: list[str] | None = None, variables: list[str] | None = None,
             feedback: dict[str, str] | None = None, explanation: str | None = None,
             alternatives: list | None = None) -> Any:
        """Record step ``name`` with its correct ``value``; return the value to carry on with.

        ``formula`` is the formula in the course's notation, ``work`` the same with the
        numbers put in (LaTeX, without the final ``= value``). ``asked=False`` keeps a
        step out of the student's answer fields (it is still shown in the solution).
        ``answer=True`` makes it (one of) its part's final answer(s). ``alternatives`` are other
        values that are equally right (a tie in an argmax): any of them is graded as correct, and
        later steps follow on from the student's choice.
        """
        if name in self.values:
            raise ValueError(f"step {name!r} recorded twice")
        value = as_value(value)
        self.values[name] = value
        if self._describe:
            self._record(name, value, formula, work, label, kind, tol, asked, answer, options, variables,
                         feedback, explanation, alternatives)
        if name in self._substitute:
            return self._substitute[name]
        return value

    def mistake(self, mistake: str | CommonMistake, description: str | None = None, credit: float = 0.0,
                values: dict[str, Any] | None = None) -> bool:
        """Declare a common mistake made here; True when this run simulates it.

        ``mistake`` is an entry of the catalogue (:mod:`examgen.generators._mistakes`), which brings
        its name and description, or the name of a mistake only this generator detects, with its
        ``description``. A catalogue name cannot be given another description.
        ``values`` (step name -> value) is only for generators the grader cannot re-run
        (``Generator.rerun = False``): the values the mistake gives, stored in the question.
        """
        if isinstance(mistake, CommonMistake):
            if description is not None:
                raise TypeError(f"mistake {mistake.name!r} comes from the catalogue, with its own description")
            name, description = mistake.name, mistake.description
        else:
            name = mistake
            if description is None:
                raise TypeError(f"mistake {name!r} needs a description (or use a catalogue entry)")
        if name not in self.mistakes:
            if self._describe:  # Mistake fields, validated with the whole question
                if not isinstance(mistake, CommonMistake) and name in _catalogue():
                    raise ValueError(f"mistake {name!r} is in the catalogue: pass its entry, "
                                     f"generators._mistakes.{name.upper()}")
                stored = {k: to_json(as_value(v)) for k, v in values.items()} if values else None
                self.mistakes[name] = dict(name=name, description=description, credit=credit, values=stored)
            else:  # grading runs: just what the grader reads
                self.mistakes[name] = _Declared(name, description, credit)
        return self._mistake == name

    def _record(self, name, value, formula, work, label, kind, tol, asked, answer, options, variables,
                feedback, explanation, alternatives):
        kind = kind or infer_kind(value)
        numeric = kinds.of(kind).numeric
        if kinds.of(kind).needs_options and not options:
            raise ValueError(f"{kind} step {name!r} needs its options")
        # plain dicts: the question is validated once, as a whole, in pydantic's Rust core
        self.described.append(dict(
            name=name, label=label or name, kind=kind, value=to_json(value),
            formula=_text(formula), work=_text(work),
            tolerance=(tol or DEFAULT_TOLERANCE) if numeric else None,
            shape=list(value.shape) if isinstance(value, np.ndarray) else None,
            options=options, variables=variables, asked=asked, feedback=feedback, explanation=explanation,
            alternatives=[to_json(as_value(a)) for a in alternatives] if alternatives else None))
        if asked:
            if not self.parts:
                raise ValueError(f"step {name!r} is asked before any s.part(...)")
            self.parts[-1].steps.append(name)
            if answer:
                self.parts[-1].answer.append(name)

    def finished_parts(self) -> list[dict]:
        """The recorded parts (Part fields); a part without a marked answer is answered by its last step."""
        parts = []
        for p in self.parts:
            if not p.steps:
                raise ValueError(f"part {p.id!r} asks no step")
            parts.append(dict(id=p.id, prompt=p.prompt, steps=p.steps, answer=p.answer or p.steps[-1:]))
        return parts
