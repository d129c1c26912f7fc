"""Answer kinds as plug-ins: everything about one kind of answer lives in one module.

A step's ``kind`` (``Step.kind``) names how its value is written, read and compared. Each kind is a
:class:`Kind` subclass in a module of this package, registered with :func:`kind`, that owns:

* **reading** a student's raw answer (:meth:`Kind.read`, a :class:`~.parse.FormatError` when it
  cannot be read) and a stored value (:meth:`Kind.reference`);
* **comparing** with the reference: which entries match (:meth:`Kind.matches`, tolerance and
  entry-by-entry credit), which are near misses (:meth:`Kind.near`), a whole-answer credit rule
  (:meth:`Kind.whole_credit`, e.g. multiple choice) and why chosen options are wrong
  (:meth:`Kind.reasons`);
* **showing** a value: as the student writes it (:meth:`Kind.show`), as LaTeX in a worked solution
  (:meth:`Kind.latex`) or as markup (:meth:`Kind.solution_markup`, question-bank answers);
* **asking** for it: the answer form (:meth:`Kind.hint`), the marking line of the solutions
  (:meth:`Kind.marking`), the answer field of the HTML exam (:meth:`Kind.html_field`) and of the
  PDF (:meth:`Kind.pdf_field`), and the JSON Schema of a raw answer (:meth:`Kind.answer_schema`);
* **collecting** it in the browser: :attr:`Kind.widget_script`, the JavaScript that reads and fills
  the kind's widget (the exam page and the practice app share it; see ``templates/widgets.js``).
* **exporting** it to an LMS: a format-neutral description of what is right and how it is credited
  (:meth:`Kind.lms`, one of the few forms of :mod:`.lms`: a number with its margin, an exact whole
  number, options with the right set and the partial-credit rule, an order, one answer per array
  entry or statement, or "not expressible" with the reason), and the raw answer ``grade`` reads
  from the responses an LMS collected for those fields (:meth:`Kind.lms_answer`). Each exporter
  (:mod:`examgen.export`) maps the forms to its format, so a new kind needs no exporter change.

The grader, the renderers and the exporters ask a step's kind (:func:`of`); none branches on it.
Adding a kind is adding a module here: the modules are found automatically, and
``model.StepKind`` is made from their names. Kinds read a step only through its attributes
(``kind``, ``value``, ``tolerance``, ``shape``, ``options``, ``variables``, ``feedback``,
``explanation``), so this package does not import the model (which imports it).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import lms

if TYPE_CHECKING:
    from ..model import Step

_KINDS: dict[str, "Kind"] = {}


class Kind:
    """Base class of the answer kinds; the defaults suit an exact, single-valued answer."""

    name: ClassVar[str]
    numeric: ClassVar[bool] = False
    """True for real-valued kinds: the step carries a tolerance and near misses are credited."""
    needs_options: ClassVar[bool] = False
    """True when the step must list its options (``Step.options``)."""
    concept: ClassVar[bool] = False
    """True for the question bank's kinds (lettered options, statements)."""

    # --- reading -----------------------------------------------------------------------------
    def read(self, step: Step, raw: Any) -> Any:
        """A student's raw answer (JSON value) in the solvers' in-memory form; FormatError if unreadable."""
        raise NotImplementedError

    def reference(self, step: Step, value: Any = None) -> Any:
        """The step's value (or another stored value of it) in the solvers' in-memory form."""
        return step.value if value is None else value

    # --- comparing ---------------------------------------------------------------------------
    def matches(self, step: Step, x: Any, ref: Any) -> np.ndarray | bool:
        """Does answer ``x`` match ``ref``: a bool, or a bool array per entry (credited entry by entry)."""
        return x == ref

    def near(self, step: Step, x: Any, ref: Any) -> np.ndarray | bool:
        """Close to ``ref`` but outside the tolerance (per entry); only numeric kinds have near misses."""
        return np.zeros(np.shape(x), dtype=bool) if isinstance(x, np.ndarray) else False

    def whole_credit(self, step: Step, x: Any, ref: Any) -> float | None:
        """Credit for a partly right answer credited as a whole (multiple choice, ordering), or None
        for kinds credited entry by entry."""
        return None

    def reasons(self, step: Step, x: Any, ref: Any) -> list[str]:
        """Why the chosen options or judged statements are wrong (question-bank steps)."""
        return []

    # --- showing -----------------------------------------------------------------------------
    def show(self, step: Step, value: Any) -> str:
        """A stored (JSON) value as the student would write it, for messages."""
        return str(value)

    def latex(self, step: Step) -> str:
        """The step's reference value as LaTeX, the last line of its worked solution."""
        return str(step.value)

    def solution_markup(self, step: Step) -> str | None:
        """The answer as stem markup with its explanation, for kinds shown as text rather than as
        a formula (question-bank answers); None for the others."""
        return None

    # --- asking ------------------------------------------------------------------------------
    def hint(self, step: Step) -> str:
        """What form the answer takes, shown under its field."""
        raise NotImplementedError

    def marking(self, step: Step) -> str:
        """The answer form and how it is compared, for the worked solutions."""
        return self.hint(step) + "; must be exact"

    widget_script: ClassVar[str] = ""
    """JavaScript that registers how the browser reads and fills this kind's widget:
    ``examgen.widgets.NAME = {get(el), set(el, value)}`` with ``el`` the element that carries
    ``data-kind``; ``get`` returns the raw answer (what ``read`` takes) or null when nothing is
    filled in. Empty: the widget is one text field, read as its trimmed text."""

    def html_field(self, step: Step, field_id: str, data: str) -> str:
        """The HTML answer widget. Its root element carries ``data`` (the attributes naming question,
        part and step) and ``data-kind``; ``field_id`` is the id of its first input (for its label).
        It holds no reference value."""
        return text_input(self, field_id, data)

    def attrs(self, data: str) -> str:
        """The root attributes of a widget: ``data`` and this kind's name."""
        return f'{data} data-kind="{self.name}"'

    def pdf_field(self, step: Step, label: str) -> str:
        """Room to write the answer in the printed exam (Typst; ``label`` is Typst markup)."""
        return f"#answer-line([{label}], 0.85cm)"

    def answer_schema(self, step: Step) -> dict:
        """JSON Schema of a raw answer (null is always allowed: not answered)."""
        return {"type": ["string", "null"]}

    # --- exporting ---------------------------------------------------------------------------
    def lms(self, step: Step, value: Any = None) -> lms.Form:
        """What an LMS must check for this step (``value``: another stored value of it, e.g. a named
        mistake's, instead of the reference), as one of the neutral forms of :mod:`.lms`."""
        return lms.Unsupported(f"a {self.name} answer cannot be checked by an LMS",
                               self.show(step, step.value if value is None else value))

    def lms_answer(self, step: Step, responses: list[Any]) -> Any:
        """The raw answer (as ``grade`` reads it) from the LMS's responses to this step's fields, in
        the order of its form's entries; None when nothing was answered."""
        return responses[0] if responses else None


FIELD_MAX_CHARS = 1000
"""The most a widget's text field takes (``maxlength``); the practice app refuses longer answers."""


def text_input(k: Kind, field_id: str, data: str, extra: str = "") -> str:
    """A one-line text field as a kind's widget (``extra``: further attributes, e.g. inputmode)."""
    return (f'<input id="{field_id}" {k.attrs(data)} type="text"{extra} autocomplete="off" '
            f'spellcheck="false" maxlength="{FIELD_MAX_CHARS}">')


def kind(cls: type[Kind]) -> type[Kind]:
    """Class decorator: register an answer kind under ``cls.name``."""
    if cls.name in _KINDS:
        raise ValueError(f"answer kind {cls.name!r} registered twice")
    _KINDS[cls.name] = cls()
    return cls


def _load() -> None:
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if m.name not in ("parse", "formula", "formula_parser", "lms") and not m.name.startswith("_"):
            importlib.import_module(f"{__name__}.{m.name}")


def of(step_or_kind: Step | str) -> Kind:
    """The kind of a step (or the kind of that name)."""
    name = step_or_kind if isinstance(step_or_kind, str) else step_or_kind.kind
    return _KINDS[name]


def names() -> tuple[str, ...]:
    """Every kind's name, in a stable order."""
    return tuple(_KINDS)


_load()
