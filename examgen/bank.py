"""The conceptual question bank: items as data (``question_bank/*.yaml``, one file per lecture).

Item types and how they are scored (0-10 per item):

* ``single``: one correct option; 10 or 0. A wrong choice is named, and why it is wrong is shown.
* ``multi``: several correct options ("tick all that apply"). Credit = (right ticks − wrong ticks)
  / number of right options, floored at 0: each wrong tick cancels a right one (R/exams' and
  Numbas' usual rule), so ticking everything earns nothing.
* ``truefalse``: a set of statements drawn from a pool, each judged true or false; each statement
  earns its share of the points.
* ``ordering``: put options in order; credit = the fraction of pairs in the right relative order.
* ``numeric``: a short computed number, with a tolerance and named wrong values.

Every item names its lecture and learning goal, has an explanation shown in the solutions, and
says for each wrong option (or false statement) why it is wrong; that text is the feedback a
student gets when choosing it. Items are randomised per seed: options are shuffled and a pool
of statements is sampled.
"""


import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ExamgenError
from .resources import data_dir
from .topics import TOPICS, topic as find_topic


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Option(_Model):
    text: str = Field(min_length=1)
    correct: bool = False
    why: str | None = Field(None, description="Why it is wrong (required for wrong options) or right.")


class Statement(_Model):
    text: str = Field(min_length=1)
    answer: bool = Field(description="Whether the statement is true ('true' is not a usable YAML key).")
    why: str = Field(min_length=1, description="Why the statement is true or false.")


class WrongValue(_Model):
    value: float
    why: str = Field(min_length=1)


class _Item(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    goal: str = Field(pattern=r"^\d\d\.\d+$", description="Learning-goal id, e.g. '07.3'.")
    stem: str = Field(min_length=1)
    explanation: str = Field(min_length=1, description="Shown in the solutions.")
    version: int = Field(1, ge=1)


class SingleItem(_Item):
    type: Literal["single"]
    options: list[Option] = Field(min_length=2, max_length=8)

    @model_validator(mode="after")
    def _one_correct(self):
        n = sum(o.correct for o in self.options)
        if n != 1:
            raise ValueError(f"a single-choice item needs exactly one correct option, has {n}")
        _wrong_options_explained(self.options)
        return self


class MultiItem(_Item):
    type: Literal["multi"]
    options: list[Option] = Field(min_length=3, max_length=8)

    @model_validator(mode="after")
    def _some_correct(self):
        n = sum(o.correct for o in self.options)
        if not 1 <= n < len(self.options):
            raise ValueError(f"a multiple-choice item needs 1 to {len(self.options) - 1} correct options, has {n}")
        _wrong_options_explained(self.options)
        return self


class TrueFalseItem(_Item):
    type: Literal["truefalse"]
    statements: list[Statement] = Field(min_length=2, max_length=20)
    draw: int | None = Field(None, ge=2, description="How many statements to draw (default: all).")

    @model_validator(mode="after")
    def _draw_fits(self):
        if self.draw is not None and self.draw > len(self.statements):
            raise ValueError(f"draw is {self.draw} but there are only {len(self.statements)} statements")
        if all(s.answer for s in self.statements) or not any(s.answer for s in self.statements):
            raise ValueError("the statements must not be all true or all false")
        return self


class OrderingItem(_Item):
    type: Literal["ordering"]
    order: list[str] = Field(min_length=3, max_length=8, description="The options in the right order.")

    @model_validator(mode="after")
    def _distinct(self):
        if len(set(self.order)) != len(self.order):
            raise ValueError("the options to order must be distinct")
        return self


class NumericItem(_Item):
    type: Literal["numeric"]
    answer: float
    decimals: int = Field(2, ge=0, le=6)
    wrong: list[WrongValue] = Field(min_length=1, description="Common wrong values, each with why.")


Item = Annotated[Union[SingleItem, MultiItem, TrueFalseItem, OrderingItem, NumericItem], Field(discriminator="type")]


def _wrong_options_explained(options: list[Option]) -> None:
    missing = [o.text[:40] for o in options if not o.correct and not o.why]
    if missing:
        raise ValueError(f"wrong options need 'why': {missing}")
    texts = [o.text for o in options]
    if len(set(texts)) != len(texts):
        raise ValueError("options must be distinct")


class BankFile(_Model):
    lecture: int = Field(description="The lecture number of every item in the file.")
    items: list[Item]


class BankError(ExamgenError, ValueError):
    """A bank file that does not validate (the message names the file and field)."""


def _location(e: ValidationError, data: dict) -> list[str]:
    lines = []
    for err in e.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            try:
                where = f"item '{data['items'][loc[1]].get('id', loc[1])}'" + "".join(
                    f".{p}" for p in loc[2:] if not str(p) in ("single", "multi", "truefalse", "ordering", "numeric"))
            except (KeyError, IndexError, AttributeError, TypeError):
                pass
        lines.append(f"{where}: {err['msg']}")
    return lines


def load_file(path: Path) -> BankFile:
    import yaml  # imported only when the bank is used

    try:
        # libyaml's safe loader where PyYAML has it: the same safe subset, 10x faster (0.07 s instead of
        # 0.8 s for the whole bank), which the practice app's first page and concept grading wait for
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise BankError(f"{path}: not valid YAML: {e}".replace("\n", " ")) from None
    try:
        bank = BankFile.model_validate(data)
    except ValidationError as e:
        raise BankError(f"{path}: " + "; ".join(_location(e, data if isinstance(data, dict) else {}))) from None
    t = find_topic(bank.lecture)
    for item in bank.items:
        if not item.goal.startswith(f"{t.number}."):
            raise BankError(f"{path}: item '{item.id}': goal {item.goal} is not a goal of lecture {t.number}")
        try:
            t.goal(item.goal)
        except KeyError:
            raise BankError(f"{path}: item '{item.id}': lecture {t.number} has no learning goal {item.goal}") from None
    return bank


@lru_cache(maxsize=1)
def load(folder: str | None = None) -> dict[str, tuple[str, Item]]:
    """Every item of the bank: id -> (topic id, item). Raises :class:`BankError` on any problem."""
    root = Path(folder) if folder else data_dir("question_bank")
    items: dict[str, tuple[str, Item]] = {}
    for path in sorted(root.glob("*.yaml")):
        bank = load_file(path)
        tid = find_topic(bank.lecture).id
        for item in bank.items:
            if item.id in items:
                raise BankError(f"{path}: item id '{item.id}' is used twice")
            items[item.id] = (tid, item)
    return items


def items_of(topic_id: str) -> list[Item]:
    return [item for tid, item in load().values() if tid == topic_id]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def duplicates(items: list[Item], threshold: float = 0.85) -> list[tuple[str, str]]:
    """Pairs of items whose stems and answer texts are (nearly) the same."""
    def signature(it: Item) -> set[str]:
        extra = {"single": lambda: " ".join(o.text for o in it.options),
                 "multi": lambda: " ".join(o.text for o in it.options),
                 "truefalse": lambda: " ".join(s.text for s in it.statements),
                 "ordering": lambda: " ".join(it.order),
                 "numeric": lambda: str(it.answer)}[it.type]()
        return _words(it.stem + " " + extra)

    sigs = [(it.id, signature(it)) for it in items]
    pairs = []
    for i, (a, sa) in enumerate(sigs):
        for b, sb in sigs[i + 1:]:
            if sa and sb and len(sa & sb) / len(sa | sb) >= threshold:
                pairs.append((a, b))
    return pairs


def coverage() -> dict[str, dict[str, int]]:
    """Items per learning goal, per topic (every goal listed, with 0 where there are none)."""
    counts = {t.id: {g.id: 0 for g in t.goals} for t in TOPICS}
    for tid, item in load().values():
        counts[tid][item.goal] += 1
    return counts


MIN_PER_GOAL, MIN_PER_LECTURE = 2, 10


def gaps() -> list[str]:
    """Coverage gaps: goals with fewer than two items, lectures with fewer than ten."""
    problems = []
    for t in TOPICS:
        per_goal = coverage()[t.id]
        total = sum(per_goal.values())
        if total < MIN_PER_LECTURE:
            problems.append(f"lecture {t.number} ({t.id}) has {total} items, fewer than {MIN_PER_LECTURE}")
        for g in t.goals:
            if per_goal[g.id] < MIN_PER_GOAL:
                problems.append(f"goal {g.id} ({g.text}) has {per_goal[g.id]} item(s), "
                                f"fewer than {MIN_PER_GOAL}")
    return problems
