"""Lecture 14: reinforcement learning (Bellman expectation updates on a grid world, ...)."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..render.figures import grid_world
from ..steps import Steps
from ._draw import decimal, decimals, pick

MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right


class BellmanGivens(Givens):
    rows: int = Field(ge=2, le=6)
    cols: int = Field(ge=2, le=6)
    terminals: list[tuple[int, int]] = Field(min_length=1, description="terminal cells [row, col]")
    gamma: float = Field(1.0, gt=0, le=1)
    reward: float = Field(-1.0, ge=-10, le=10, description="reward for every move from a non-terminal cell")
    sweeps: int = Field(2, ge=1, le=4, description="number of synchronous sweeps k")
    cell: tuple[int, int] = Field(description="the cell whose final value is asked for")

    @model_validator(mode="after")
    def _cells_on_grid(self):
        for r, c in [*self.terminals, self.cell]:
            if not (0 <= r < self.rows and 0 <= c < self.cols):
                raise ValueError(f"cell [{r}, {c}] is outside the {self.rows}x{self.cols} grid")
        if len(set(self.terminals)) == self.rows * self.cols:
            raise ValueError("every cell is terminal")
        if tuple(self.cell) in set(map(tuple, self.terminals)):
            raise ValueError(f"the asked cell {list(self.cell)} is terminal")
        return self


def sweep(v: np.ndarray, terminal: np.ndarray, reward: float, gamma: float,
          off_grid_zero: bool = False, in_place: bool = False, update_terminal: bool = False) -> np.ndarray:
    """One Bellman expectation sweep under the equiprobable random policy.

    A move off the grid leaves the agent where it is. The keyword flags simulate
    common mistakes (see :class:`Bellman`).
    """
    rows, cols = v.shape
    new = v.copy() if in_place else np.empty_like(v)
    src = new if in_place else v
    for r in range(rows):
        for c in range(cols):
            if terminal[r, c] and not update_terminal:
                new[r, c] = 0.0
                continue
            total = 0.0
            for dr, dc in MOVES:
                rr, cc = r + dr, c + dc
                if 0 <= rr < rows and 0 <= cc < cols:
                    total += src[rr, cc]
                elif not off_grid_zero:
                    total += src[r, c]
            new[r, c] = reward + gamma * 0.25 * total
    return new


@generator(id="bellman", topic="rl", goal="14.3", version=1,
           title="Bellman expectation updates on a grid world")
class Bellman(Generator):
    """Synchronous sweeps of v_{k+1}(s) = E_pi[R + gamma v_k(S')] for the random policy."""

    Givens = BellmanGivens

    def draw(self, rng):
        rows, cols = pick(rng, [(3, 3), (3, 3), (3, 4), (4, 3), (4, 4)])
        corners = [(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1)]
        first = pick(rng, corners)
        opposite = (rows - 1 - first[0], cols - 1 - first[1])
        terminals = [first, opposite] if rng.random() < 0.5 else [first]
        sweeps = pick(rng, [2, 2, 3])
        free = [(r, c) for r in range(rows) for c in range(cols) if (r, c) not in terminals]
        return BellmanGivens(rows=rows, cols=cols, terminals=terminals,
                             gamma=pick(rng, [1.0, 1.0, 0.9, 0.5]), reward=-1.0, sweeps=sweeps,
                             cell=pick(rng, free))

    def stem(self, g):
        terms = " and ".join(f"$s[{r},{c}]$" for r, c in g.terminals)
        return (
            f"An agent moves on a {g.rows}×{g.cols} grid world (cells $s[r,c]$, row $r$ from the top, "
            f"column $c$ from the left, both from 0). The terminal state{'s are' if len(g.terminals) > 1 else ' is'} "
            f"{terms}. In every other cell the agent follows the equiprobable random policy: up, down, "
            f"left or right, each with probability 0.25; a move off the grid leaves it where it is. "
            f"Every move gives reward $R = {num(g.reward)}$, and the discount is $\\gamma = {num(g.gamma)}$. "
            "Starting from $v_0(s) = 0$ everywhere, the values are updated synchronously (every "
            "$v_{k+1}$ is computed from $v_k$ only) with the Bellman expectation equation"
            "\n\n"
            r"$$v_{k+1}(s) = \mathbb{E}_\pi\left[R_t + \gamma\, v_k(S_{t+1}) \mid S_t = s\right]"
            r" = R + \gamma \sum_{a} \pi(a \mid s)\, v_k(s'_a)$$"
            "\n\n"
            "and terminal states keep the value 0. Give values to 3 decimals."
        )

    def figure(self, g):
        return grid_world(g.rows, g.cols, g.terminals, highlight=g.cell)

    def solve(self, s: Steps, g: BellmanGivens):
        terminal = np.zeros((g.rows, g.cols), dtype=bool)
        for r, c in g.terminals:
            terminal[r, c] = True
        r0, c0 = g.cell
        v = np.zeros((g.rows, g.cols))
        last = g.sweeps
        for k in range(1, last + 1):
            flags = dict(off_grid_zero=s.mistake(
                             "off_grid_zero", "a move off the grid keeps the agent in its cell, so it "
                                              "counts that cell's own value, not 0"),
                         update_terminal=s.mistake(
                             "terminal_updated", "updated a terminal state; terminal states keep value 0"),
                         in_place=s.mistake(
                             "in_place_sweep", "updated the grid in place; the question asks for "
                                               "synchronous sweeps, each computed from v_k only"))
            if g.gamma != 1 and s.mistake("discount_ignored", "left out the discount factor gamma"):
                gamma = 1.0
            else:
                gamma = g.gamma
            new = sweep(v, terminal, g.reward, gamma, **flags)
            prev = v
            if k < last:
                s.part(chr(ord("a") + k - 1),
                       f"Compute $v_{k}(s)$ for every cell (a {g.rows}×{g.cols} matrix in grid layout, "
                       "terminal cells included).")
                v = s.step(f"v{k}", new, rf"v_{k}(s) = R + \gamma \sum_a \tfrac14\, v_{k - 1}(s'_a)",
                           lambda: self._work(prev, k, r0, c0, g, grid=True), label=f"$v_{k}$",
                           tol=Tolerance.places(3))
            else:
                s.part(chr(ord("a") + k - 1), f"Compute $v_{k}(s[{r0},{c0}])$.")
                s.step(f"v{k}_cell", float(new[r0, c0]),
                       rf"v_{k}(s[{r0},{c0}]) = R + \gamma \sum_a \tfrac14\, v_{k - 1}(s'_a)",
                       lambda: self._work(prev, k, r0, c0, g), label=f"$v_{k}(s[{r0},{c0}])$",
                       tol=Tolerance.places(3))

    @staticmethod
    def _work(prev: np.ndarray, k: int, r: int, c: int, g: BellmanGivens, grid: bool = False) -> str:
        """The update of one cell with its neighbours' values (up, down, left, right) put in;
        for a whole-grid step, also the grid it is computed from."""
        rows, cols = prev.shape
        terms = []
        for dr, dc in MOVES:
            rr, cc = r + dr, c + dc
            inside = 0 <= rr < rows and 0 <= cc < cols
            terms.append(par(prev[rr, cc] if inside else prev[r, c]))
        cell = rf"{num(g.reward)} + {num(g.gamma)} \cdot 0.25\,({' + '.join(terms)})"
        if not grid:
            return cell
        return (cell + rf"\quad \text{{(at }} s[{r},{c}]\text{{; every non-terminal cell alike, from }} "
                rf"v_{k - 1} = {mat(prev)}\text{{)}}")


# ---------------------------------------------------------------------------------------------
# Shared helpers for the generators below.

Reward = Annotated[float, Field(ge=-1000, le=1000)]
Value = Annotated[float, Field(ge=-1000, le=1000)]
MOVE_NAMES = ("up", "down", "left", "right")  # the order of MOVES
LETTERS = "ABCDEFGH"


def _letters(n: int) -> str:
    return ", ".join(LETTERS[:n])


def _exp_hint(values) -> str:
    """'$e^{-1} = 0.3679$, $e^{0} = 1$, ...' for the distinct values given."""
    return ", ".join(f"$e^{{{num(x)}}} = {num(math.exp(x))}$" for x in sorted(set(values)))


# ---------------------------------------------------------------------------------------------


class ReturnGivens(Givens):
    rewards: list[Reward] = Field(min_length=1, max_length=10, description="rewards R_0, ..., R_{T-1}")
    gamma: float = Field(gt=0, le=1, description="discount factor")
    tail: float | None = Field(None, ge=-100, le=100,
                               description="continuing task: the reward at every step after R_{T-1}, forever "
                                           "(needs gamma < 1); None: the episode ends after R_{T-1}")
    states: list[str] | None = Field(None, description="the state S_t at each time step (letters)")
    estimate: str | None = Field(None, description="the state whose value is estimated (every-visit Monte Carlo)")

    @model_validator(mode="after")
    def _consistent(self):
        if self.tail is not None and self.gamma >= 1:
            raise ValueError("a continuing task (tail) needs gamma < 1, or the return is infinite")
        if (self.states is None) != (self.estimate is None):
            raise ValueError("give both states and estimate, or neither")
        if self.states is not None:
            if len(self.states) != len(self.rewards):
                raise ValueError("states needs one entry per reward")
            if any(not (st.isalnum() and len(st) <= 3) for st in self.states):
                raise ValueError("state names are short letters/digits, e.g. A")
            if self.estimate not in self.states:
                raise ValueError(f"the estimated state {self.estimate!r} is never visited")
        return self


@generator(id="discounted_return", topic="rl", goal="14.1", version=1,
           title="Discounted returns of an episode (and a Monte Carlo value estimate)")
class DiscountedReturn(Generator):
    """G_t = sum_k gamma^k R_{t+k} for every t, backwards; optionally a continuing tail and the
    every-visit Monte Carlo estimate of one state's value."""

    Givens = ReturnGivens

    def draw(self, rng):
        while True:
            T = pick(rng, [3, 4, 4, 5, 6])
            gamma = pick(rng, [0.9, 0.9, 0.8, 0.5, 0.5, 1.0])
            rewards = [float(pick(rng, [-1, -1, 0, 0, 1, 1, 2, 3, 5, 10, -2, -5])) for _ in range(T)]
            if not any(rewards) or len(set(rewards)) == 1:
                continue
            tail = float(pick(rng, [-1, 1, 2])) if gamma < 1 and rng.random() < 0.3 else None
            states = estimate = None
            if rng.random() < 0.7:
                states = [pick(rng, "ABC") for _ in range(T)]
                repeated = sorted({x for x in states if states.count(x) > 1})
                if not repeated:
                    continue
                estimate = pick(rng, repeated)
            g = ReturnGivens(rewards=rewards, gamma=gamma, tail=tail, states=states, estimate=estimate)
            G = self.returns(g)
            if states is not None:
                visits = [t for t, x in enumerate(states) if x == estimate]
                vals = [G[t] for t in visits]
                avg = sum(vals) / len(vals)
                if max(vals) - min(vals) < 0.05 or abs(avg - sum(rewards[t] for t in visits) / len(visits)) < 0.05:
                    continue
            return g

    @staticmethod
    def returns(g: ReturnGivens) -> list[float]:
        nxt = g.tail / (1 - g.gamma) if g.tail is not None else 0.0
        out = [0.0] * len(g.rewards)
        for t in reversed(range(len(g.rewards))):
            nxt = out[t] = g.rewards[t] + g.gamma * nxt
        return out

    def stem(self, g):
        T = len(g.rewards)
        rewards = ", ".join(f"R_{t} = {num(r)}" for t, r in enumerate(g.rewards))
        text = ("An agent interacts with an environment: at time $t$ it is in state $S_t$, takes an action "
                "$A_t$ and receives the reward $R_t$. The return from time $t$ is, as in the course,"
                "\n\n"
                r"$$G_t = R_t + \gamma R_{t+1} + \gamma^2 R_{t+2} + \dots = \sum_{k=0}^{\infty} \gamma^k R_{t+k}$$"
                "\n\n"
                f"with discount factor $\\gamma = {num(g.gamma)}$. One episode gives the rewards ${rewards}$")
        if g.states is not None:
            text += " in the states " + ", ".join(f"$S_{t} = \\mathrm{{{x}}}$" for t, x in enumerate(g.states))
        if g.tail is None:
            text += f". The episode ends after $R_{{{T - 1}}}$ (the next state is terminal), so all later rewards are 0."
        else:
            text += (f". The task is continuing: from $t = {T}$ on the agent receives the reward "
                     f"${num(g.tail)}$ at every step, forever.")
        if g.states is not None:
            text += (f" The value $v_\\pi(s) = \\mathbb{{E}}_\\pi[G_t \\mid S_t = s]$ is estimated by every-visit "
                     "Monte Carlo: the average of the returns $G_t$ over all times $t$ with $S_t = s$ in this episode.")
        return text + " Give answers to 3 decimals."

    def solve(self, s: Steps, g: ReturnGivens):
        R, gamma, T = g.rewards, g.gamma, len(g.rewards)
        s.part("a", f"Compute the return $G_t$ for every $t = {T - 1}, \\dots, 0$ "
                    r"(work backwards with $G_t = R_t + \gamma G_{t+1}$).")
        no_discount = gamma != 1 and s.mistake(
            "no_discount", "added the rewards without discounting; reward k steps ahead is weighted gamma^k")
        off_by_one = gamma != 1 and s.mistake(
            "discount_off_by_one", "discounted the first reward too (gamma^(k+1)); G_t counts R_t with weight "
                                   "gamma^0 = 1")
        nxt = 0.0
        if g.tail is not None:
            tail = g.tail / (1 - gamma)
            if s.mistake("tail_single_reward", "counted the reward after the episode's listed steps only once; "
                                               "it comes at every step, a geometric series r / (1 - gamma)"):
                tail = g.tail
            elif off_by_one:
                tail = gamma * g.tail / (1 - gamma)
            nxt = s.step(f"G{T}", tail, rf"G_{{{T}}} = \sum_{{k=0}}^{{\infty}} \gamma^k r = \frac{{r}}{{1-\gamma}}",
                         lambda: rf"\frac{{{num(g.tail)}}}{{1 - {num(gamma)}}}", label=f"$G_{{{T}}}$")
        G: dict[int, float] = {}
        for t in reversed(range(T)):
            prev = nxt
            if no_discount:
                value = R[t] + prev
            elif off_by_one:
                value = gamma * (R[t] + prev)
            else:
                value = R[t] + gamma * prev
            if t == T - 1 and g.tail is None:
                formula = rf"G_{{{t}}} = R_{{{t}}}"
                work = lambda: rf"{num(R[t])} \text{{ (the episode ends: }} G_{{{T}}} = 0)"
            else:
                formula = rf"G_{{{t}}} = R_{{{t}}} + \gamma G_{{{t + 1}}}"
                work = lambda: rf"{num(R[t])} + {num(gamma)} \cdot {par(prev)}"
            nxt = G[t] = s.step(f"G{t}", value, formula, work, label=f"$G_{{{t}}}$", answer=t == 0)

        if g.states is not None:
            est = g.estimate
            visits = [t for t, x in enumerate(g.states) if x == est]
            s.part("b", rf"Estimate $v_\pi(\mathrm{{{est}}})$ by every-visit Monte Carlo from this episode.")
            if len(visits) > 1 and s.mistake("first_visit_only", "used only the return after the first visit; "
                                                                 "every-visit Monte Carlo averages over all visits"):
                used = visits[:1]
            else:
                used = visits
            if s.mistake("averaged_rewards", "averaged the immediate rewards R_t; the value of a state is the "
                                             "expected return G_t that follows it"):
                value = sum(R[t] for t in used) / len(used)
            else:
                value = sum(G[t] for t in used) / len(used)
            s.step("v_hat", float(value),
                   rf"\hat v(\mathrm{{{est}}}) = \frac{{1}}{{{len(visits)}}}\left("
                   + " + ".join(f"G_{{{t}}}" for t in visits) + r"\right)",
                   lambda: rf"\frac{{{' + '.join(par(G[t]) for t in visits)}}}{{{len(visits)}}}",
                   label=rf"$\hat v(\mathrm{{{est}}})$")
