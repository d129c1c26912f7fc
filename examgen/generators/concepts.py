"""Conceptual questions from the question bank (``question_bank/``): one generator per lecture.

``concept_<topic>`` draws an item of that lecture and randomises it (option order, a sample of
a statement pool). The bank is read only when a conceptual question is made or graded, so
start-up does not pay for it. Each wrong option (or false statement) is declared as a named
mistake whose description is why it is wrong: the grader's usual machinery then names a wrong
choice and shows that reason as feedback.
"""


import numpy as np
from pydantic import Field, model_validator

from .. import bank
from ..kinds.parse import LETTERS
from ..model import Question, Tolerance
from ..registry import Generator, Givens, generator
from ..steps import Degenerate, Steps
from ..topics import TOPICS


class ConceptGivens(Givens):
    item: str = Field(description="question-bank item id")
    item_version: int = Field(1, ge=1)
    order: list[int] = Field([], description="display order of the options (indices into the item's)")
    statements: list[int] = Field([], description="statements shown, in display order (true/false items)")

    @model_validator(mode="after")
    def _fits_item(self):
        found = bank.load().get(self.item)
        if found is None:
            raise ValueError(f"the question bank has no item '{self.item}'")
        item = found[1]
        if item.version != self.item_version:
            raise ValueError(f"item '{self.item}' is now version {item.version}, not {self.item_version}")
        n = {"single": lambda: len(item.options), "multi": lambda: len(item.options),
             "ordering": lambda: len(item.order)}.get(item.type, lambda: 0)()
        if sorted(self.order) != list(range(n)):
            raise ValueError(f"order must be a permutation of 0..{n - 1}")
        if item.type == "truefalse":
            if len(set(self.statements)) != len(self.statements) or not self.statements or \
                    not all(0 <= i < len(item.statements) for i in self.statements):
                raise ValueError("statements must be distinct statement indices")
        elif self.statements:
            raise ValueError("only true/false items draw statements")
        return self


def givens_for(item: bank.Item, rng: np.random.Generator) -> ConceptGivens:
    """Randomised presentation of one item: shuffled options, a sample of the statements."""
    order: list[int] = []
    statements: list[int] = []
    if item.type in ("single", "multi"):
        order = [int(i) for i in rng.permutation(len(item.options))]
    elif item.type == "ordering":
        n = len(item.order)
        while not order or order == list(range(n)):  # never shown already in the right order
            order = [int(i) for i in rng.permutation(n)]
    elif item.type == "truefalse":
        k = item.draw or len(item.statements)
        while True:
            statements = [int(i) for i in rng.choice(len(item.statements), size=k, replace=False)]
            picked = [item.statements[i].answer for i in statements]
            if any(picked) and not all(picked):  # some true and some false in every draw
                break
    return ConceptGivens(item=item.id, item_version=item.version, order=order, statements=statements)


class ConceptGenerator(Generator):
    """Base of the per-lecture bank generators (made below, one per topic)."""

    Givens = ConceptGivens
    concept = True

    def items(self) -> list[bank.Item]:
        return sorted(bank.items_of(self.topic), key=lambda it: it.id)

    def draw(self, rng):
        items = self.items()
        if not items:
            raise Degenerate(f"the question bank has no items for topic '{self.topic}'")
        return givens_for(items[int(rng.integers(len(items)))], rng)

    def _item(self, g: ConceptGivens) -> bank.Item:
        return bank.load()[g.item][1]

    def build(self, g: ConceptGivens, seed: int | None = None, qid: str = "q1") -> Question:
        q = super().build(g, seed=seed, qid=qid)
        return q.model_copy(update={"goal": self._item(g).goal})

    def stem(self, g: ConceptGivens) -> str:
        item = self._item(g)
        if item.type in ("single", "multi"):
            shown = [item.options[i].text for i in g.order]
        elif item.type == "ordering":
            shown = [item.order[i] for i in g.order]
        elif item.type == "truefalse":
            return item.stem + "\n\n" + "\n".join(
                f"- {n}. {item.statements[i].text}" for n, i in enumerate(g.statements, 1))
        else:
            return item.stem
        return item.stem + "\n\n" + "\n".join(f"- {LETTERS[n]}. {text}" for n, text in enumerate(shown))

    def solve(self, s: Steps, g: ConceptGivens) -> None:
        item = self._item(g)
        getattr(self, f"_solve_{item.type}")(s, g, item)

    @staticmethod
    def _solve_single(s: Steps, g: ConceptGivens, item: bank.SingleItem) -> None:
        shown = [item.options[i] for i in g.order]
        s.part(f"Choose the one correct option (A-{LETTERS[len(shown) - 1]}).")
        value = next(o.text for o in shown if o.correct)
        for i in g.order:
            o = item.options[i]
            if not o.correct and s.mistake(f"option_{i + 1}", o.why):
                value = o.text
        s.step("answer", value, kind="single", label="Answer", options=[o.text for o in shown],
               feedback={o.text: o.why for o in shown if o.why}, explanation=item.explanation)

    @staticmethod
    def _solve_multi(s: Steps, g: ConceptGivens, item: bank.MultiItem) -> None:
        shown = [item.options[i] for i in g.order]
        s.part(f"Tick every correct option (A-{LETTERS[len(shown) - 1]}); "
               "a wrong tick cancels a right one.")
        s.step("answer", [o.text for o in shown if o.correct], kind="multi", label="Answer",
               options=[o.text for o in shown], feedback={o.text: o.why for o in shown if o.why},
               explanation=item.explanation)

    @staticmethod
    def _solve_truefalse(s: Steps, g: ConceptGivens, item: bank.TrueFalseItem) -> None:
        shown = [item.statements[i] for i in g.statements]
        s.part(f"Mark each statement true (T) or false (F), in order (1-{len(shown)}).")
        values = ["true" if st.answer else "false" for st in shown]
        for n, i in enumerate(g.statements):
            if s.mistake(f"statement_{i + 1}", item.statements[i].why):
                values[n] = "false" if values[n] == "true" else "true"
        s.step("answer", values, kind="truefalse", label="Answer", options=[st.text for st in shown],
               feedback={st.text: st.why for st in shown}, explanation=item.explanation)

    @staticmethod
    def _solve_ordering(s: Steps, g: ConceptGivens, item: bank.OrderingItem) -> None:
        shown = [item.order[i] for i in g.order]
        s.part(f"Give the letters A-{LETTERS[len(shown) - 1]} in the right order.")
        value = list(item.order)
        if s.mistake("reversed", "the order is reversed: the first step is last"):
            value = value[::-1]
        s.step("answer", value, kind="ordering", label="Order", options=shown, explanation=item.explanation)

    @staticmethod
    def _solve_numeric(s: Steps, g: ConceptGivens, item: bank.NumericItem) -> None:
        s.part("Give the whole number." if item.decimals == 0 else
          f"Give the number to {item.decimals} decimal{'s' * (item.decimals > 1)}.")
        value = item.answer
        for n, w in enumerate(item.wrong, 1):
            if s.mistake(f"wrong_value_{n}", w.why):
                value = w.value
        s.step("answer", float(value), label="Answer", tol=Tolerance.places(item.decimals),
               explanation=item.explanation)


def _register(t) -> None:
    cls = type(f"Concept_{t.id}", (ConceptGenerator,), {"__doc__": f"Concept questions, lecture {t.number}."})
    generator(id=f"concept_{t.id}", topic=t.id, goal=t.goals[0].id, version=1,
              title=f"{t.name}: concepts")(cls)


for _t in TOPICS:
    _register(_t)


def question_for(gen: Generator, item_id: str, seed: int, qid: str) -> Question:
    """The question for a given bank item, randomised by ``seed`` (used when an exam mixes in concepts)."""
    item = bank.load()[item_id][1]
    return gen.build(givens_for(item, np.random.default_rng(seed)), seed=seed, qid=qid)

