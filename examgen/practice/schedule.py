"""What to practise next: spaced repetition per learning goal with FSRS (the ``fsrs`` package, the
Free Spaced Repetition Scheduler that Anki uses).

Each learning goal is one FSRS card. A marked answer reviews its goal's card with a rating made
from the score (:func:`rating`; :data:`RATINGS` states the mapping), and FSRS says when the goal is
due again: within minutes after a poor answer (its learning steps), days to months after good
ones. The next goal (:func:`next_goal`) is

1. a **due** goal (the one due longest first);
2. else a goal practised before whose **recent score** (the mean of its last three answers) is
   below :data:`MASTERED`, the lowest first;
3. else a goal **never practised**, in the course's order;
4. else the goal that falls due soonest.

The goal just answered is taken only when no other goal qualifies, so a goal does not repeat
at once. Fuzzing of intervals is off, so the same history always gives the same schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler

from .store import GoalStats

MASTERED = 0.8
RATINGS = ((0.5, Rating.Again), (0.8, Rating.Hard), (1.0, Rating.Good))
"""Score (share of the question's points) -> FSRS rating: below 50 % Again, below 80 % Hard,
below 100 % Good, full marks Easy."""

RULE = ("Every learning goal is a card of the FSRS spaced-repetition scheduler. When you check an "
        "answer, its score rates the goal's card: below 50 % of the points 'again' (the goal comes "
        "back within minutes), 50-79 % 'hard', 80-99 % 'good', full marks 'easy' (the goal comes back "
        "after days, then ever longer). The next question is from: a goal that is due (due longest "
        "first); else a goal you have practised whose recent score (mean of its last three answers) is "
        "below 80 %, the lowest first; else a goal you have not practised yet, in the course's order; "
        "else the goal due soonest. The goal you just answered comes again at once only when nothing "
        "else qualifies.")

_SCHEDULER = Scheduler(enable_fuzzing=False)


def rating(fraction: float) -> Rating:
    """The FSRS rating of a score (0-1 share of the question's points)."""
    for below, r in RATINGS:
        if fraction < below - 1e-9:
            return r
    return Rating.Easy


def review(card_json: str | None, fraction: float, when: datetime) -> tuple[str, datetime, Rating]:
    """Review a goal's card (None: a new card) with the rating of a score: (new card JSON, due, rating)."""
    card = Card.from_json(card_json) if card_json else Card(card_id=1, due=when)
    r = rating(fraction)
    card, _ = _SCHEDULER.review_card(card, r, review_datetime=when.astimezone(timezone.utc))
    return card.to_json(), card.due, r


@dataclass(frozen=True)
class Choice:
    goal: str
    reason: str  # "due", "weak", "new" or "soonest"

    def explain(self) -> str:
        return {"due": "it is due for review", "weak": "it has your lowest recent score",
                "new": "you have not practised it yet", "soonest": "it is due soonest",
                "asked": "you chose it"}[self.reason]


def next_goal(goals: list[str], stats: dict[str, GoalStats], when: datetime, last: str | None = None) -> Choice:
    """The next goal to practise among ``goals`` (in the course's order), by the rule above."""
    if not goals:
        raise ValueError("no learning goals to practise")
    others = [g for g in goals if g != last] or list(goals)

    def due(g):
        return stats[g].due if g in stats else None

    overdue = sorted((g for g in others if due(g) is not None and due(g) <= when), key=lambda g: due(g))
    if overdue:
        return Choice(overdue[0], "due")
    weak = sorted((g for g in others if g in stats and stats[g].recent is not None and stats[g].recent < MASTERED),
                  key=lambda g: stats[g].recent)
    if weak:
        return Choice(weak[0], "weak")
    new = [g for g in others if g not in stats or stats[g].answered == 0]
    if new:
        return Choice(new[0], "new")
    return Choice(min(others, key=lambda g: due(g) or when), "soonest")
