"""Epsilon-greedy action probabilities."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import decimals, pick
from .._givens import Number
from ._grid import MOVE_NAMES

ACTION_NAMES = {2: ("left", "right"), 3: ("left", "stay", "right"), 4: MOVE_NAMES,
                5: ("up", "down", "left", "right", "stay")}


class EpsilonGreedyGivens(Givens):
    q: list[Number] = Field(min_length=2, max_length=5, description="Q(s, a) of every action in the state")
    actions: list[str] | None = Field(None, description="action names (default: by the number of actions)")
    epsilon: float | None = Field(None, ge=0, le=1, description="exploration rate (or give the schedule)")
    eps_start: float | None = Field(None, ge=0, le=1, description="schedule: epsilon in episode 1")
    eps_decay: float | None = Field(None, gt=0, le=1, description="schedule: factor applied after every episode")
    eps_min: float = Field(0.0, ge=0, le=1, description="schedule: epsilon never goes below this")
    episode: int | None = Field(None, ge=1, le=100, description="schedule: the current episode (from 1)")

    @model_validator(mode="after")
    def _consistent(self):
        schedule = (self.eps_start, self.eps_decay, self.episode)
        if self.epsilon is None and None in schedule:
            raise ValueError("give epsilon, or the schedule eps_start, eps_decay and episode")
        if self.epsilon is not None and any(x is not None for x in schedule):
            raise ValueError("give epsilon or the schedule (eps_start, eps_decay, episode), not both")
        names = self.names
        if len(names) != len(self.q) or len(set(n.lower() for n in names)) != len(names):
            raise ValueError("actions needs one distinct name per Q-value")
        return self

    @property
    def names(self) -> list[str]:
        return list(self.actions) if self.actions is not None else list(ACTION_NAMES[len(self.q)])

    @property
    def greedy(self) -> list[str]:
        """The actions with the largest Q-value (several when they tie), in the order listed."""
        top = max(self.q)
        return [a for a, x in zip(self.names, self.q) if x == top]


@generator(id="epsilon_greedy", topic="rl", goal="14.5", version=2,
           title="Epsilon-greedy action probabilities")
class EpsilonGreedy(Generator):
    """The action probabilities of an epsilon-greedy policy (epsilon spread over all actions), the
    chance to explore, and the expected action value; optionally epsilon from a decay schedule."""

    Givens = EpsilonGreedyGivens

    def draw(self, rng):
        while True:
            k = pick(rng, [3, 4, 4, 5])
            q = decimals(rng, k, -2, 5)
            top = sorted(q)[-2:]
            if top[1] - top[0] < 0.2:
                continue
            if rng.random() < 0.35:
                start, decay = pick(rng, [(1.0, 0.5), (1.0, 0.9), (0.8, 0.5), (0.5, 0.8), (1.0, 0.8)])
                episode = int(rng.integers(2, 6))
                eps = start * decay ** (episode - 1)
                eps_min = pick(rng, [0.0, 0.0, 0.05, 0.1, 0.2])
                if abs(eps - eps_min) < 0.02:
                    continue
                return EpsilonGreedyGivens(q=q, eps_start=start, eps_decay=decay, eps_min=eps_min, episode=episode)
            return EpsilonGreedyGivens(q=q, epsilon=pick(rng, [0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6]))

    def stem(self, g):
        names = g.names
        qs = ", ".join(f"$Q(s, \\text{{{a}}}) = {num(x)}$" for a, x in zip(names, g.q))
        k = len(names)
        if g.epsilon is not None:
            eps = f"$\\epsilon = {num(g.epsilon)}$"
        else:
            floor = (f", but never below $\\epsilon_{{min}} = {num(g.eps_min)}$" if g.eps_min else "")
            eps = (f"$\\epsilon$ from a decay schedule: $\\epsilon = {num(g.eps_start)}$ in episode 1, multiplied "
                   f"by ${num(g.eps_decay)}$ after every episode{floor}; the agent is now in episode {g.episode}")
        text = (
            f"An agent in state $s$ has {k} actions with action values {qs}. It acts $\\epsilon$-greedily with "
            f"{eps}. As in the course, $\\epsilon$ is spread over all $|A| = {k}$ actions, the greedy one "
            "included: with probability $\\epsilon$ the agent picks an action uniformly at random, otherwise "
            "the greedy action, so"
            "\n\n"
            r"$$\pi(a \mid s) = \begin{cases} 1 - \epsilon + \frac{\epsilon}{|A|} & a = \mathrm{argmax}_{a'} "
            r"Q(s, a') \\ \frac{\epsilon}{|A|} & \text{otherwise.} \end{cases}$$"
            "\n\n")
        tied = len(g.greedy)
        if tied > 1:
            text += (f"Here {tied} actions share the largest Q-value. Ties are broken uniformly at random: "
                     "each of them is a greedy action (any of them is a right answer where the greedy action is "
                     "asked), and the greedy choice picks each with probability "
                     f"$\\frac{{1}}{{{tied}}}$, so each tied action has "
                     f"$\\pi(a \\mid s) = \\frac{{1 - \\epsilon}}{{{tied}}} + \\frac{{\\epsilon}}{{|A|}}$; a "
                     "non-greedy action is one outside the tie. ")
        return text + "Give answers to 3 decimals."

    def solve(self, s: Steps, g: EpsilonGreedyGivens):
        names, q = g.names, np.array(g.q, dtype=float)
        k = len(names)
        s.part("Which action is greedy?" if g.epsilon is not None
          else r"Compute the current $\epsilon$, and give the greedy action.")
        if g.epsilon is not None:
            eps = g.epsilon
        else:
            e0, d, ep = g.eps_start, g.eps_decay, g.episode
            power = ep - 1
            if d != 1 and s.mistake("decay_count_off_by_one", "applied the decay once too often: episode 1 uses "
                                                              "the starting value, so episode k has k - 1 decays"):
                power = ep
            raw = e0 * d ** power
            floor_binds = e0 * d ** (ep - 1) < g.eps_min or e0 * d ** ep < g.eps_min
            if floor_binds and s.mistake("floor_ignored", "ignored the lower bound epsilon_min of the schedule"):
                value = raw
            else:
                value = max(g.eps_min, raw)
            formula = (r"\epsilon = \max\left(\epsilon_{min},\ \epsilon_1 d^{\,k-1}\right)" if g.eps_min
                       else r"\epsilon = \epsilon_1 d^{\,k-1}")
            eps = s.step("eps", value, formula,
                         lambda: (rf"\max\left({num(g.eps_min)},\ {num(e0)} \cdot {num(d)}^{{{ep - 1}}}\right)"
                                  if g.eps_min else rf"{num(e0)} \cdot {num(d)}^{{{ep - 1}}}"),
                         label=r"$\epsilon$", tol=Tolerance.places(3), answer=True)
        tied = g.greedy
        greedy = s.step("greedy", tied[0], r"\mathrm{argmax}_a\, Q(s, a)",
                        lambda: r"\mathrm{argmax}" + row(q), label="greedy action", options=names, answer=True,
                        alternatives=tied[1:])
        # the greedy actions from here on: the tie, or the one the student named
        best = [names.index(a) for a in (tied if greedy in tied else [greedy]) if a in names] or [0]
        n = len(best)

        s.part(r"Give the probability $\pi(a \mid s)$ of every action (in the order listed), and the "
               "probability that the agent takes a non-greedy action.")
        probs = np.full(k, eps / k)
        if s.mistake("greedy_only_one_minus_eps", "gave the greedy action only 1 - epsilon; it can also be "
                                                  "drawn in the random choice, so it gets 1 - epsilon + epsilon/|A|"):
            probs[best] = (1 - eps) / n
        elif n < k and s.mistake("eps_over_other_actions", "spread epsilon over the non-greedy actions only; the "
                                                           "course spreads it over all actions, the greedy one included"):
            probs[:] = eps / (k - n)
            probs[best] = (1 - eps) / n
        elif n > 1 and s.mistake("tie_not_split", "gave one of the tied greedy actions all of 1 - epsilon; ties are "
                                                  "broken at random, so the g tied actions share it: "
                                                  "(1 - epsilon)/g + epsilon/|A| each"):
            probs[names.index(greedy) if greedy in names else best[0]] += 1 - eps
        else:
            probs[best] += (1 - eps) / n
        share = "1 - \\epsilon" if n == 1 else rf"\tfrac{{1 - \epsilon}}{{{n}}}"
        probs = s.step("probs", probs, rf"\pi(a \mid s) = {share} + \tfrac{{\epsilon}}{{|A|}} \text{{ (greedy)}}, "
                                       r"\ \tfrac{\epsilon}{|A|} \text{ (others)}",
                       lambda: (rf"1 - {num(eps)} + \tfrac{{{num(eps)}}}{{{k}}}" if n == 1 else
                                rf"\tfrac{{1 - {num(eps)}}}{{{n}}} + \tfrac{{{num(eps)}}}{{{k}}}")
                       + (rf",\ \tfrac{{{num(eps)}}}{{{k}}}" if n < k else ""),
                       label=r"$\pi(\cdot \mid s)$", answer=True)
        probs = np.asarray(probs, dtype=float)
        if s.mistake("explore_is_eps", "took epsilon as the chance of a non-greedy action; the random choice "
                                       "picks the greedy action with probability 1/|A| too"):
            explore = eps
        else:
            explore = 1 - probs[best].sum()
        greedy_sum = par(probs[best[0]]) if n == 1 else "(" + " + ".join(num(probs[i]) for i in best) + ")"
        formula = (r"P(\text{non-greedy}) = 1 - \pi(a^* \mid s) = \epsilon\,\frac{|A|-1}{|A|}" if n == 1 else
                   rf"P(\text{{non-greedy}}) = 1 - \sum_{{a \text{{ greedy}}}} \pi(a \mid s) = "
                   rf"\epsilon\,\frac{{|A|-{n}}}{{|A|}}")
        s.step("p_explore", float(explore), formula, lambda: rf"1 - {greedy_sum}", label="P(non-greedy action)",
               answer=True)

        s.part(r"Compute the expected action value $\sum_a \pi(a \mid s)\, Q(s, a)$ of the "
               r"$\epsilon$-greedy policy in $s$.")
        if s.mistake("expected_is_max", "took the greedy value max_a Q(s, a); the epsilon-greedy policy also "
                                        "explores, so average over pi"):
            expected = q.max()
        elif s.mistake("expected_uniform", "averaged the Q-values uniformly; weight each by pi(a | s)"):
            expected = q.mean()
        else:
            expected = float(probs @ q)
        s.step("expected", float(expected), r"\sum_a \pi(a \mid s)\, Q(s, a)",
               lambda: " + ".join(rf"{num(p)} \cdot {par(x)}" for p, x in zip(probs, q)),
               label=r"$\sum_a \pi(a \mid s) Q(s, a)$")
