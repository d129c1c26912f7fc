"""The marking policy as data: the rules the grader applies, what each credits, and the sentence
that explains it.

:mod:`examgen.grading.mark` applies :data:`RULES` in this order to each step's answer (entry by
entry for arrays), and :data:`POLICY`, the text printed with every report and in the solutions, is
written from the same table, so the policy shown and the policy applied cannot drift. Renderers
import this module, never the grader.
"""

from __future__ import annotations

from dataclasses import dataclass

ANSWER_WEIGHT = 2.0
"""A part's final answer weighs this much more than an intermediate step in its step credit."""


@dataclass(frozen=True)
class Rule:
    """One marking rule: the status it gives a step, the share of the step's credit it earns
    (None: the matched mistake's own credit), and how the policy explains it."""

    status: str
    credit: float | None
    explains: str


CORRECT = Rule("correct", 1.0, "right")
FOLLOW_THROUGH = Rule("follow_through", 0.8, "right given your own earlier answers (follow-through)")
MISTAKE = Rule("mistake", None, "a named common mistake: its stated credit (usually 0)")
NEAR_MISS = Rule("near_miss", 0.5, "close but outside the tolerance")
RULES = (CORRECT, FOLLOW_THROUGH, MISTAKE, NEAR_MISS)
"""In the order the grader tries them: an entry takes the first rule that matches it."""


def _share(rule: Rule) -> str:
    return f"{rule.explains}: {rule.credit:.0%}".replace("%", " %") if rule.credit is not None else rule.explains


POLICY = ("Each part is scored 0-10. Final answer within tolerance: 10. Otherwise each step earns credit "
          f"(final answers count {'double' if ANSWER_WEIGHT == 2 else f'{ANSWER_WEIGHT:g} times'}): "
          + "; ".join(_share(r) for r in RULES) + ". Arrays are credited entry by entry; a step computed "
          "from your own correctly rounded earlier answers counts as right. Unreadable answers are format "
          "errors and earn 0.")


INSTRUCTIONS = (
    "Every subtask is scored 0–10. Include partial results to get credit: a step that is right given "
    "your own earlier (wrong) answer still earns most of its credit. Give numbers to the precision each "
    "question asks for; answers within one unit of that last place are accepted. Fractions (1/4), a "
    "decimal comma (0,25) and scientific notation (2.5e-1) are fine; write vectors and matrices entry "
    "by entry (typed: [1, 2; 3, 4], rows separated by semicolons). The questions are meant to be done "
    "by hand; one that needs a calculator says so, or gives the values it needs.")
"""The exam's instructions (stem markup), on the cover of the PDF and at the top of the HTML page."""
