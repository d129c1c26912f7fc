"""The format-neutral answer forms a kind describes itself with for the LMS exporters
(:meth:`examgen.kinds.Kind.lms`).

Exporters (QTI 2.1, Moodle XML, Canvas QTI 1.2) never branch on kind names: each asks the step's
kind for one of these few forms and maps the form to its format. A form says what is right and how
a partly right answer is credited, in terms every LMS format can be checked against:

* :class:`Number` -- one number, right within an absolute margin (a relative tolerance is given
  too when it is the one that sets the margin), or a whole number that must be exact;
* :class:`Options` -- options with the set of right ones: one to choose, or "tick all that apply"
  credited (right ticks - wrong ticks) / right options, floored at 0, as ``grade`` does;
* :class:`Order` -- every option once, credited by the share of pairs in the right order;
* :class:`Entries` -- several independent answers (the entries of an array, the statements of a
  true/false item), credited by their mean;
* :class:`Unsupported` -- cannot be checked by an LMS (the reason says why); the reference answer
  is given as text so that exporters can still ask for it and collect the response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Number:
    value: float
    margin: float = 0.0
    """Half-width of the accepted interval: ``|x - value| <= margin`` is right."""
    relative: float | None = None
    """The relative tolerance (a fraction, 0.01 = 1 %) when it is what sets ``margin``."""
    exact: bool = False
    """A whole number: right only when exactly ``value``."""
    near: float | None = None
    """Half-width within which a wrong answer is a near miss (None: no near misses)."""


@dataclass(frozen=True)
class Options:
    options: tuple[str, ...]
    """The options (stem markup), in display order."""
    correct: tuple[str, ...]
    """The right option(s)."""
    multiple: bool = False
    """Tick all that apply: credit = (right ticks - wrong ticks) / len(correct), floored at 0."""
    labels: tuple[str, ...] | None = None
    """How the options are shown, when not as their text (e.g. "True" / "False")."""
    feedback: dict[str, str] = field(default_factory=dict, compare=False)
    """Option -> why it is right or wrong (markup), shown when it is chosen."""

    def label(self, option: str) -> str:
        return self.labels[self.options.index(option)] if self.labels else option


@dataclass(frozen=True)
class Order:
    options: tuple[str, ...]
    """The items in display order."""
    correct: tuple[str, ...]
    """The items in the right order; credit = the share of pairs in the right relative order."""


@dataclass(frozen=True)
class Unsupported:
    reason: str
    text: str
    """The reference answer as the student would type it."""


Leaf = Union[Number, Options, Order, Unsupported]


@dataclass(frozen=True)
class Entries:
    entries: tuple[Leaf, ...]
    """Independent answers, each credited on its own; the step's credit is their mean."""
    labels: tuple[str, ...]
    """What each entry is (stem markup): an array index such as "(1, 2)", or a statement."""
    shape: tuple[int, ...] | None = None
    """The array shape the entries fill, row-major (None: a list, e.g. statements)."""


Form = Union[Leaf, Entries]
