"""Lecture 14: reinforcement learning (Bellman expectation updates on a grid world, returns, Q-learning and
DQN, epsilon-greedy exploration, value iteration, REINFORCE)."""


import math
from functools import lru_cache
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par, row
from ..model import Tolerance
from ..registry import Generator, Givens, generator
from ..render.figures import grid_world
from ..steps import Steps
from ._draw import decimals, pick

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
            # (not with gamma = 0.5: there gamma r / (1 - gamma) = r, and two mistakes would give one value)
            tail = float(pick(rng, [-1, 1, 2])) if gamma in (0.8, 0.9) and rng.random() < 0.4 else None
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
            text += (f". The episode ends after $R_{{{T - 1}}}$ (the next state is terminal), so all later "
                     "rewards are 0.")
        else:
            text += (f". The task is continuing: from $t = {T}$ on the agent receives the reward "
                     f"$r = {num(g.tail)}$ at every step, forever.")
        if g.states is not None:
            text += (r" The value $v_\pi(s) = \mathbb{E}_\pi[G_t \mid S_t = s]$ is estimated by every-visit "
                     "Monte Carlo: the average of the returns $G_t$ over all times $t$ with $S_t = s$ in this episode.")
        return text + " Give answers to 3 decimals."

    def solve(self, s: Steps, g: ReturnGivens):
        R, gamma, T = g.rewards, g.gamma, len(g.rewards)
        first = f"$G_{{{T}}}$ (the return of the constant tail), then " if g.tail is not None else ""
        s.part("a", f"Compute {first}the return $G_t$ for every $t = {T - 1}, \\dots, 0$ "
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
                         lambda: rf"\frac{{{num(g.tail)}}}{{1 - {num(gamma)}}}", label=f"$G_{{{T}}}$", answer=True)
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
            nxt = G[t] = s.step(f"G{t}", value, formula, work, label=f"$G_{{{t}}}$", answer=True)

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


# ---------------------------------------------------------------------------------------------


class QLearningGivens(Givens):
    q: list[list[Value]] = Field(min_length=2, max_length=6,
                                 description="Q-table (= online-network outputs): one row per non-terminal state "
                                             "A, B, ..., one column per action a_1, a_2, ...")
    target: list[list[Value]] = Field(description="target-network outputs Q(s, .; theta^-): rows A, B, ... and a "
                                                  "last row for the terminal state T")
    alpha: float = Field(gt=0, le=1, description="learning rate")
    gamma: float = Field(gt=0, le=1, description="discount factor")
    states: list[str] = Field(min_length=3, max_length=3,
                              description="S_0, S_1, S_2 as letters A, B, ...; S_2 may be T (terminal)")
    actions: list[int] = Field(min_length=2, max_length=2, description="A_0, A_1 as action numbers 1, 2, ...")
    rewards: list[Reward] = Field(min_length=2, max_length=2, description="R_0, R_1")

    @model_validator(mode="after")
    def _shapes(self):
        n, m = len(self.q), len(self.q[0])
        if not 2 <= m <= 5 or any(len(r) != m for r in self.q):
            raise ValueError("q must be a table with 2 to 5 actions (columns) in every row")
        if len(self.target) != n + 1 or any(len(r) != m for r in self.target):
            raise ValueError(f"target needs {n + 1} rows (states {_letters(n)} and T) of {m} values")
        names = LETTERS[:n]
        for t, x in enumerate(self.states):
            if x not in names and not (t == 2 and x == "T"):
                raise ValueError(f"S_{t} = {x!r} is not a state (states: {_letters(n)}"
                                 + (", or T for S_2)" if t == 2 else ")"))
        if any(not 1 <= a <= m for a in self.actions):
            raise ValueError(f"actions are numbered 1 to {m}")
        return self


@generator(id="q_learning", topic="rl", goal="14.4", version=1,
           title="Q-learning updates and the DQN loss with a target network")
class QLearning(Generator):
    """Two tabular Q-learning updates along an episode (the second uses the first), then the DQN
    targets and loss for the same two transitions with a target network."""

    Givens = QLearningGivens

    def draw(self, rng):
        while True:
            n, m = pick(rng, [3, 3, 4]), pick(rng, [2, 3, 3, 4])
            q = (rng.integers(-10, 31, size=(n, m)) / 10).tolist()  # one decimal in [-1, 3]
            target = (rng.integers(-10, 31, size=(n + 1, m)) / 10).tolist()
            s0, s1 = (int(x) for x in rng.random(n).argsort()[:2])
            u = rng.random(3)
            terminal = u[0] < 0.5
            s2 = None if terminal else (s0 if u[1] < 0.5 else int(rng.integers(n)))
            a0 = int(rng.integers(m))
            greedy1 = int(np.argmax(q[s1]))
            a1 = greedy1 if u[2] < 0.25 else pick(rng, [a for a in range(m) if a != greedy1])
            r0 = float(pick(rng, [-1, -1, 0, 1, 2]))
            r1 = float(pick(rng, [10, 5, -5, 1] if terminal else [-1, -1, 0, 1, 2]))
            # the mistakes that use another row must change something, and the target network's
            # row for the terminal state must not be all zeros (bootstrapping from it must show)
            if max(q[s1]) == max(target[s1]) or not any(target[n]):
                continue
            return QLearningGivens(
                q=q, target=target, alpha=pick(rng, [0.1, 0.2, 0.5, 0.5]), gamma=pick(rng, [0.9, 0.9, 0.5, 0.8, 1.0]),
                states=[LETTERS[s0], LETTERS[s1], "T" if terminal else LETTERS[s2]],
                actions=[a0 + 1, a1 + 1], rewards=[r0, r1])

    def stem(self, g):
        n, m = len(g.q), len(g.q[0])
        acts = ", ".join(f"a_{j}" for j in range(1, m + 1))
        table = "\n".join(f"- $Q(\\mathrm{{{LETTERS[i]}}}, \\cdot) = {row(r)}$" for i, r in enumerate(g.q))
        ttable = "\n".join(f"- $Q(\\mathrm{{{x}}}, \\cdot\\,; \\theta^-) = {row(r)}$"
                           for x, r in zip(LETTERS[:n] + "T", g.target))
        S0, S1, S2 = (f"\\mathrm{{{x}}}" for x in g.states)
        end = (r"the terminal state $S_2 = \mathrm{T}$ (the episode ends)" if g.states[2] == "T"
               else f"$S_2 = {S2}$")
        return (
            f"A tabular Q-learning agent has the states {_letters(n)} (and a terminal state T) and the actions "
            f"${acts}$. Its Q-table, one row per state with the actions in the order ${acts}$, is:\n\n"
            f"{table}\n\n"
            f"The learning rate is $\\alpha = {num(g.alpha)}$ and the discount $\\gamma = {num(g.gamma)}$. "
            f"In state $S_0 = {S0}$ the agent takes $A_0 = a_{g.actions[0]}$, receives $R_0 = {num(g.rewards[0])}$ "
            f"and moves to $S_1 = {S1}$; there it takes $A_1 = a_{g.actions[1]}$ (chosen by its exploration "
            f"policy), receives $R_1 = {num(g.rewards[1])}$ and moves to {end}. After each transition "
            r"$(S_t, A_t, R_t, S_{t+1})$ it updates"
            "\n\n"
            r"$$Q(S_t, A_t) \leftarrow Q(S_t, A_t) + \alpha\, \delta_t, \qquad \delta_t = y_t - Q(S_t, A_t), "
            r"\qquad y_t = R_t + \gamma \max_{a} Q(S_{t+1}, a)$$"
            "\n\n"
            r"with $y_t = R_t$ when $S_{t+1}$ is terminal (no bootstrap). The second update uses the table "
            "after the first."
            "\n\n"
            "Part (c) is about a deep Q-network (DQN) instead: the table above (before any update) holds the "
            r"outputs $Q(s, a; \theta)$ of the online network, and a target network with frozen weights "
            r"$\theta^-$ gives"
            "\n\n"
            f"{ttable}\n\n"
            "The two transitions form a replay minibatch of $N = 2$, with targets "
            r"$y_t = R_t + \gamma \max_a Q(S_{t+1}, a; \theta^-)$ ($y_t = R_t$ when $S_{t+1}$ is terminal) and "
            r"the loss $L(\theta) = \frac{1}{N}\sum_t \left(y_t - Q(S_t, A_t; \theta)\right)^2$. "
            "Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: QLearningGivens):
        Q = np.array(g.q, dtype=float)
        n = len(Q)
        idx = [LETTERS.index(x) if x != "T" else None for x in g.states]
        s0, s1, s2 = idx
        a0, a1 = g.actions[0] - 1, g.actions[1] - 1
        r0, r1 = g.rewards
        alpha, gamma = g.alpha, g.gamma
        S = [f"\\mathrm{{{x}}}" for x in g.states]
        sarsa = s.mistake("sarsa_target", "used Q(S_1, A_1) of the action actually taken next (SARSA); "
                                          "Q-learning's target takes the max over the next state's actions")
        sign = s.mistake("td_error_sign", "computed the TD error as Q(S_t, A_t) - y_t; it is y_t - Q(S_t, A_t), "
                                          "so the update moves Q towards the target")
        replace = s.mistake("target_as_new_value", "replaced Q(S_t, A_t) by the target; the update moves it "
                                                   "only a step alpha towards the target")

        def update(t, st, at, r, nxt, table, taken):
            q_old = float(table[st, at])
            if nxt is None:
                y = r
                formula = rf"y_{t} = R_{t} \quad (S_{{{t + 1}}} = \mathrm{{T}} \text{{ is terminal: no bootstrap}})"
                work = None
            else:
                nrow = table[nxt]
                y = r + gamma * (nrow[taken] if taken is not None and sarsa else nrow.max())
                formula = rf"y_{t} = R_{t} + \gamma \max_a Q(S_{{{t + 1}}}, a)"
                work = lambda: rf"{num(r)} + {num(gamma)} \cdot \max{row(nrow)}"
            y = s.step(f"y{t}", y, formula, work, label=f"$y_{t}$")
            d = q_old - y if sign else y - q_old
            d = s.step(f"delta{t}", d, rf"\delta_{t} = y_{t} - Q(S_{t}, A_{t})",
                       lambda: rf"{num(y)} - {par(q_old)}", label=rf"$\delta_{t}$")
            new = y if replace else q_old + alpha * d
            return s.step(f"q{t}", new, rf"Q({S[t]}, a_{at + 1}) \leftarrow Q(S_{t}, A_{t}) + \alpha\,\delta_{t}",
                          lambda: rf"{num(q_old)} + {num(alpha)} \cdot {par(d)}",
                          label=rf"new $Q({S[t]}, a_{at + 1})$", answer=True)

        s.part("a", rf"The first transition: compute the target $y_0$, the TD error $\delta_0$ and the new "
                    rf"value of $Q({S[0]}, a_{a0 + 1})$.")
        Q[s0, a0] = update(0, s0, a0, r0, s1, Q, a1)
        s.part("b", rf"The second transition (with the updated table): compute $y_1$, $\delta_1$ and the new "
                    rf"value of $Q({S[1]}, a_{a1 + 1})$.")
        update(1, s1, a1, r1, s2, Q, None)

        s.part("c", r"DQN: compute the targets $(y_0, y_1)$ from the target network, and the loss $L(\theta)$.")
        online, tgt = np.array(g.q, dtype=float), np.array(g.target, dtype=float)
        from_online = s.mistake("online_network_target", "built the target with the online network; DQN "
                                                         "builds it with the frozen target network")
        boot_terminal = s2 is None and s.mistake(
            "bootstrap_from_terminal", "bootstrapped from the terminal state; there is no future reward after "
                                       "it, so y = R")
        ys, works = [], []
        for t, (r, nxt) in enumerate(((r0, s1), (r1, s2))):
            if nxt is None and not boot_terminal:
                ys.append(r)
                works.append(num(r))
                continue
            nrow = tgt[n] if nxt is None else (online[nxt] if from_online else tgt[nxt])
            ys.append(r + gamma * (nrow[a1] if t == 0 and sarsa else nrow.max()))
            works.append(rf"{num(r)} + {num(gamma)} \cdot \max{row(nrow)}")
        y = s.step("y_dqn", np.array(ys), r"y_t = R_t + \gamma \max_a Q(S_{t+1}, a; \theta^-)",
                   lambda: r",\quad ".join(works), label=r"$(y_0, y_1)$", answer=True)
        q_sa = np.array([online[s0, a0], online[s1, a1]])
        s.step("loss", float(np.mean((y - q_sa) ** 2)),
               r"L(\theta) = \frac{1}{2}\left[(y_0 - Q(S_0, A_0; \theta))^2 + (y_1 - Q(S_1, A_1; \theta))^2\right]",
               lambda: rf"\frac{{1}}{{2}}\left[({num(y[0])} - {par(q_sa[0])})^2 + ({num(y[1])} - {par(q_sa[1])})^2\right]",
               label=r"$L(\theta)$", answer=True)


# ---------------------------------------------------------------------------------------------

ACTION_NAMES = {2: ("left", "right"), 3: ("left", "stay", "right"), 4: MOVE_NAMES,
                5: ("up", "down", "left", "right", "stay")}


class EpsilonGreedyGivens(Givens):
    q: list[Value] = Field(min_length=2, max_length=5, description="Q(s, a) of every action in the state")
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
        top = max(self.q)
        if self.q.count(top) > 1:
            raise ValueError("the greedy action must be unique: two actions share the largest Q-value")
        return self

    @property
    def names(self) -> list[str]:
        return list(self.actions) if self.actions is not None else list(ACTION_NAMES[len(self.q)])


@generator(id="epsilon_greedy", topic="rl", goal="14.5", version=1,
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
        return (
            f"An agent in state $s$ has {k} actions with action values {qs}. It acts $\\epsilon$-greedily with "
            f"{eps}. As in the course, $\\epsilon$ is spread over all $|A| = {k}$ actions, the greedy one "
            "included: with probability $\\epsilon$ the agent picks an action uniformly at random, otherwise "
            "the greedy action, so"
            "\n\n"
            r"$$\pi(a \mid s) = \begin{cases} 1 - \epsilon + \frac{\epsilon}{|A|} & a = \mathrm{argmax}_{a'} "
            r"Q(s, a') \\ \frac{\epsilon}{|A|} & \text{otherwise.} \end{cases}$$"
            "\n\nGive answers to 3 decimals."
        )

    def solve(self, s: Steps, g: EpsilonGreedyGivens):
        names, q = g.names, np.array(g.q, dtype=float)
        k = len(names)
        s.part("a", "Which action is greedy?" if g.epsilon is not None
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
                         label=r"$\epsilon$", tol=Tolerance.places(4), answer=True)
        best = names[int(np.argmax(q))]
        greedy = s.step("greedy", best, r"\mathrm{argmax}_a\, Q(s, a)",
                        lambda: r"\mathrm{argmax}" + row(q), label="greedy action", options=names, answer=True)
        i = names.index(greedy) if greedy in names else 0

        s.part("b", r"Give the probability $\pi(a \mid s)$ of every action (in the order listed), and the "
                    "probability that the agent takes a non-greedy action.")
        probs = np.full(k, eps / k)
        if s.mistake("greedy_only_one_minus_eps", "gave the greedy action only 1 - epsilon; it can also be "
                                                  "drawn in the random choice, so it gets 1 - epsilon + epsilon/|A|"):
            probs[i] = 1 - eps
        elif s.mistake("eps_over_other_actions", "spread epsilon over the non-greedy actions only; the course "
                                                 "spreads it over all actions, the greedy one included"):
            probs[:] = eps / (k - 1)
            probs[i] = 1 - eps
        else:
            probs[i] = 1 - eps + eps / k
        probs = s.step("probs", probs, r"\pi(a \mid s) = 1 - \epsilon + \tfrac{\epsilon}{|A|} \text{ (greedy)}, "
                                       r"\ \tfrac{\epsilon}{|A|} \text{ (others)}",
                       lambda: rf"1 - {num(eps)} + \tfrac{{{num(eps)}}}{{{k}}},\ \tfrac{{{num(eps)}}}{{{k}}}",
                       label=r"$\pi(\cdot \mid s)$", answer=True)
        if s.mistake("explore_is_eps", "took epsilon as the chance of a non-greedy action; the random choice "
                                       "picks the greedy action with probability 1/|A| too"):
            explore = eps
        else:
            explore = 1 - probs[i]
        s.step("p_explore", float(explore), r"P(\text{non-greedy}) = 1 - \pi(a^* \mid s) = \epsilon\,\frac{|A|-1}{|A|}",
               lambda: rf"1 - {num(probs[i])}", label="P(non-greedy action)", answer=True)

        s.part("c", r"Compute the expected action value $\sum_a \pi(a \mid s)\, Q(s, a)$ of the "
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


# ---------------------------------------------------------------------------------------------

Cell = tuple[int, int]


@lru_cache(maxsize=None)
def _destinations(rows: int, cols: int) -> np.ndarray:
    """``d[m, r, c]``: the flat index of the cell that move ``m`` (up, down, left, right) leads to
    from s[r, c]; a move off the grid stays in s[r, c]."""
    d = np.empty((4, rows, cols), dtype=np.intp)
    for m, (dr, dc) in enumerate(MOVES):
        for r in range(rows):
            for c in range(cols):
                rr, cc = r + dr, c + dc
                d[m, r, c] = rr * cols + cc if 0 <= rr < rows and 0 <= cc < cols else r * cols + c
    d.flags.writeable = False
    return d


def neighbours(a: np.ndarray) -> np.ndarray:
    """``out[m, r, c]``: the entry of ``a`` at the cell that move ``m`` (up, down, left, right) leads
    to from s[r, c]."""
    return a.ravel()[_destinations(*a.shape)]


def lookahead(v: np.ndarray, rewards: np.ndarray, gamma: float) -> np.ndarray:
    """``q[m, r, c] = R(s'_m) + gamma v(s'_m)`` for every move from every cell."""
    return neighbours(rewards) + gamma * neighbours(v)


def optimality_sweep(v: np.ndarray, terminal: np.ndarray, rewards: np.ndarray, gamma: float,
                     mean: bool = False, in_place: bool = False, update_terminal: bool = False) -> np.ndarray:
    """One sweep of v_{k+1}(s) = max_a [R(s'_a) + gamma v_k(s'_a)]; the flags simulate mistakes."""
    if not in_place:
        q = lookahead(v, rewards, gamma)
        new = q.mean(axis=0) if mean else q.max(axis=0)
        if not update_terminal:
            new[terminal] = 0.0
        return new
    new = v.copy()
    rows, cols = v.shape
    for r in range(rows):
        for c in range(cols):
            if terminal[r, c] and not update_terminal:
                new[r, c] = 0.0
                continue
            q = lookahead(new, rewards, gamma)[:, r, c]
            new[r, c] = q.mean() if mean else q.max()
    return new


def _margins(q: np.ndarray) -> np.ndarray:
    """Per cell: how much the best move beats the second best."""
    top = np.sort(q, axis=0)
    return top[-1] - top[-2]


class ValueIterationGivens(Givens):
    rows: int = Field(ge=2, le=5)
    cols: int = Field(ge=2, le=5)
    terminals: list[Cell] = Field(min_length=1, description="terminal cells [row, col]")
    rewards: list[list[Reward]] = Field(description="reward for a move that ends in each cell (rows x cols)")
    gamma: float = Field(1.0, gt=0, le=1)
    sweeps: int = Field(2, ge=1, le=3, description="number of synchronous sweeps K")
    cells: list[Cell] = Field(min_length=1, max_length=4, description="cells whose greedy action is asked")

    @model_validator(mode="after")
    def _valid(self):
        if len(self.rewards) != self.rows or any(len(r) != self.cols for r in self.rewards):
            raise ValueError(f"rewards must be a {self.rows}x{self.cols} grid")
        for r, c in [*self.terminals, *self.cells]:
            if not (0 <= r < self.rows and 0 <= c < self.cols):
                raise ValueError(f"cell [{r}, {c}] is outside the {self.rows}x{self.cols} grid")
        term = set(map(tuple, self.terminals))
        if len(term) == self.rows * self.cols:
            raise ValueError("every cell is terminal")
        if len(set(map(tuple, self.cells))) != len(self.cells):
            raise ValueError("a cell is asked twice")
        margins = _margins(lookahead(self.values()[-1], np.array(self.rewards, dtype=float), self.gamma))
        for r, c in self.cells:
            if (r, c) in term:
                raise ValueError(f"the asked cell [{r}, {c}] is terminal")
            if margins[r, c] < 1e-9:
                raise ValueError(f"two actions tie for the best in cell [{r}, {c}]: the greedy action is not unique")
        return self

    def terminal_mask(self) -> np.ndarray:
        mask = np.zeros((self.rows, self.cols), dtype=bool)
        for r, c in self.terminals:
            mask[r, c] = True
        return mask

    def values(self) -> list[np.ndarray]:
        """v_0, ..., v_K (the reference values)."""
        return value_iteration(np.array(self.rewards, dtype=float), self.terminal_mask(), self.gamma, self.sweeps)


def value_iteration(rewards: np.ndarray, terminal: np.ndarray, gamma: float, sweeps: int) -> list[np.ndarray]:
    vs = [np.zeros(rewards.shape)]
    for _ in range(sweeps):
        vs.append(optimality_sweep(vs[-1], terminal, rewards, gamma))
    return vs


@generator(id="value_iteration", topic="rl", goal="14.3", version=1,
           title="Value iteration on a grid world and the greedy policy")
class ValueIteration(Generator):
    """Synchronous sweeps of the Bellman optimality update v_{k+1}(s) = max_a [R + gamma v_k(s')]
    on a small deterministic grid, then the greedy policy in a few cells."""

    Givens = ValueIterationGivens

    def draw(self, rng):
        while True:
            rows, cols = pick(rng, [(2, 3), (3, 2), (3, 3), (3, 3), (2, 4), (3, 4), (4, 3)])
            cells = [(r, c) for r in range(rows) for c in range(cols)]
            goal = pick(rng, cells)
            terminals = [goal]
            rewards = np.full((rows, cols), -1.0)
            rewards[goal] = pick(rng, [10.0, 10.0, 5.0, 4.0])
            rest = [x for x in cells if x != goal]
            if rng.random() < 0.3:
                trap = pick(rng, rest)
                terminals.append(trap)
                rewards[trap] = pick(rng, [-10.0, -5.0])
                rest.remove(trap)
            u = rng.random(len(rest))
            special = rng.integers(2, size=len(rest))
            for x, ux, sx in zip(rest, u, special):
                if ux < 0.15:
                    rewards[x] = (-5.0, -3.0)[sx]
                elif ux < 0.25:
                    rewards[x] = (0.0, -2.0)[sx]
            gamma = pick(rng, [1.0, 0.9, 0.9, 0.5, 0.8])
            sweeps = pick(rng, [1, 2, 2, 2, 3]) if rows * cols <= 9 else pick(rng, [1, 2, 2])
            mask = np.zeros((rows, cols), dtype=bool)
            for x in terminals:
                mask[x] = True
            margins = _margins(lookahead(value_iteration(rewards, mask, gamma, sweeps)[-1], rewards, gamma))
            clear = [x for x in rest if margins[x] >= 0.1]
            if len(clear) < 2:
                continue
            k = min(len(clear), pick(rng, [2, 2, 3]))
            chosen = [clear[i] for i in sorted(rng.random(len(clear)).argsort()[:k])]
            return ValueIterationGivens(rows=rows, cols=cols, terminals=terminals, rewards=rewards.tolist(),
                                        gamma=gamma, sweeps=sweeps, cells=chosen)

    def stem(self, g):
        term = set(map(tuple, g.terminals))
        names = " and ".join(f"$s[{r},{c}]$" for r, c in g.terminals)
        return (
            f"An agent moves on a {g.rows}×{g.cols} grid world (cells $s[r,c]$, row $r$ from the top, column $c$ "
            f"from the left, both from 0). The terminal state{'s are' if len(term) > 1 else ' is'} {names}. "
            "In every other cell the agent can move up, down, left or right; moves are deterministic, and a "
            "move off the grid leaves the agent where it is. The reward of a move is the reward of the cell "
            "where it ends (for a move off the grid: of the agent's own cell), given in grid layout by"
            "\n\n"
            f"$$R = {mat(g.rewards)}$$"
            "\n\n"
            "(the entry of a terminal cell is the reward for entering it). "
            f"Terminal states keep the value 0. The discount is $\\gamma = {num(g.gamma)}$. Starting from "
            "$v_0(s) = 0$ everywhere, value iteration updates all cells synchronously (every $v_{k+1}$ is "
            "computed from $v_k$ only) with the Bellman optimality equation"
            "\n\n"
            r"$$v_{k+1}(s) = \max_{a} \left[ R(s'_a) + \gamma\, v_k(s'_a) \right]$$"
            "\n\n"
            f"where $s'_a$ is the cell the move $a$ leads to. After $K = {g.sweeps}$ "
            f"sweep{'s' if g.sweeps > 1 else ''} "
            r"the agent acts greedily: $\pi(s) = \mathrm{argmax}_a \left[ R(s'_a) + \gamma\, v_K(s'_a) \right]$ "
            "(in the asked cells the best move is unique). Give values to 3 decimals."
        )

    def figure(self, g):
        return grid_world(g.rows, g.cols, g.terminals, values=g.rewards)

    def solve(self, s: Steps, g: ValueIterationGivens):
        rewards, mask = np.array(g.rewards, dtype=float), g.terminal_mask()
        gamma = g.gamma
        if gamma != 1 and s.mistake("discount_ignored", "left out the discount factor gamma"):
            gamma = 1.0
        flags = dict(mean=s.mistake("expectation_not_max", "averaged over the four moves (the random policy's "
                                                           "Bellman expectation); value iteration takes the max"),
                     in_place=s.mistake("in_place_sweep", "updated the grid in place; the question asks for "
                                                          "synchronous sweeps, each computed from v_k only"),
                     update_terminal=s.mistake("terminal_updated", "updated a terminal state; terminal states "
                                                                   "keep value 0"))
        shown = next((x for x in g.cells), None)
        v = np.zeros((g.rows, g.cols))
        for k in range(1, g.sweeps + 1):
            prev = v
            s.part(chr(ord("a") + k - 1),
                   f"Compute $v_{k}(s)$ for every cell (a {g.rows}×{g.cols} matrix in grid layout, terminal "
                   "cells included).")
            v = s.step(f"v{k}", optimality_sweep(prev, mask, rewards, gamma, **flags),
                       rf"v_{k}(s) = \max_a \left[ R(s'_a) + \gamma\, v_{k - 1}(s'_a) \right]",
                       lambda: self._work(prev, rewards, gamma, k, shown), label=f"$v_{k}$")
        s.part(chr(ord("a") + g.sweeps), "Give the greedy action (up, down, left or right) in "
               + " and ".join(f"$s[{r},{c}]$" for r, c in g.cells) + f" with respect to $v_{g.sweeps}$.")
        ignore_reward = s.mistake("policy_ignores_reward", "chose the move to the neighbour with the largest "
                                                           "value only; the greedy move maximises R(s') + gamma v(s')")
        K = g.sweeps
        q_all = lookahead(v, rewards, gamma)
        choose = gamma * neighbours(v) if ignore_reward else q_all
        for r, c in g.cells:
            best = MOVE_NAMES[int(np.argmax(choose[:, r, c]))]
            shown_q = q_all[:, r, c]
            s.step(f"pi_{r}_{c}", best,
                   rf"\pi(s[{r},{c}]) = \mathrm{{argmax}}_a \left[ R(s'_a) + \gamma\, v_{K}(s'_a) \right]",
                   lambda: r",\ ".join(rf"\text{{{m}}}: {num(x)}" for m, x in zip(MOVE_NAMES, shown_q)),
                   label=f"$\\pi(s[{r},{c}])$", options=list(MOVE_NAMES), answer=True)

    @staticmethod
    def _work(prev: np.ndarray, rewards: np.ndarray, gamma: float, k: int, cell) -> str:
        """The update of one cell with the four moves written out (and v_{k-1} for the rest)."""
        r, c = cell
        rows, cols = prev.shape
        terms = []
        for dr, dc in MOVES:
            rr, cc = r + dr, c + dc
            if not (0 <= rr < rows and 0 <= cc < cols):
                rr, cc = r, c
            terms.append(rf"{par(rewards[rr, cc])} + {num(gamma)} \cdot {par(prev[rr, cc])}")
        cell_text = rf"\text{{at }} s[{r},{c}]:\ \max\left({', '.join(terms)}\right)"
        return cell_text + rf" \text{{ from }} v_{k - 1} = {mat(prev)}"


# ---------------------------------------------------------------------------------------------


def _softmax_rows(h: np.ndarray) -> np.ndarray:
    e = np.exp(h - h.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class ReinforceGivens(Givens):
    theta: list[list[Value]] = Field(min_length=2, max_length=4,
                                     description="policy parameters: one row theta_a per action, one column "
                                                 "per feature")
    features: list[list[Value]] = Field(min_length=1, max_length=5, description="x(S_t) for t = 0, ..., T-1")
    actions: list[int] = Field(description="A_t for t = 0, ..., T-1, as action numbers 1, 2, ...")
    rewards: list[Reward] = Field(description="R_t for t = 0, ..., T-1")
    gamma: float = Field(1.0, gt=0, le=1)
    alpha: float = Field(gt=0, le=10, description="learning rate")
    baseline: float = Field(ge=-1000, le=1000, description="baseline b subtracted from every G_t")

    @model_validator(mode="after")
    def _shapes(self):
        m, d = len(self.theta), len(self.theta[0])
        if not 1 <= d <= 3 or any(len(r) != d for r in self.theta):
            raise ValueError("theta needs one row per action, each with the same 1 to 3 features")
        if any(len(x) != d for x in self.features):
            raise ValueError(f"every feature vector x(S_t) needs {d} entries")
        T = len(self.features)
        if len(self.actions) != T or len(self.rewards) != T:
            raise ValueError(f"actions and rewards need one entry per time step ({T})")
        if any(not 1 <= a <= m for a in self.actions):
            raise ValueError(f"actions are numbered 1 to {m}")
        return self


@generator(id="reinforce", topic="rl", goal="14.7", version=1,
           title="REINFORCE with a softmax policy, with and without a baseline")
class Reinforce(Generator):
    """One short episode under a softmax policy with linear preferences: returns, the policy,
    grad log pi per step, the REINFORCE update, and the update with a baseline."""

    Givens = ReinforceGivens

    FEATURES = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (1.0, -1.0), (2.0, 0.0), (-1.0, 1.0))
    THETAS = (-1.0, 0.0, 0.0, 1.0, 1.0)
    REWARDS = (-1.0, 0.0, 0.0, 1.0, 2.0, 5.0)

    def draw(self, rng):
        while True:
            m, T = pick(rng, [2, 2, 3]), pick(rng, [2, 2, 3])
            u = rng.random(2 * m + 3 * T).tolist()  # one call: the entries of theta, x, R and A
            theta = [[self.THETAS[int(u[2 * j + c] * 5)] for c in range(2)] for j in range(m)]
            X = [self.FEATURES[int(v * 8)] for v in u[2 * m:2 * m + T]]
            h = [[th[0] * x[0] + th[1] * x[1] for th in theta] for x in X]
            spread = [max(r) - min(r) for r in h]
            if max(abs(v) for r in h for v in r) > 3 or spread.count(0) > 1:
                continue
            rewards = [self.REWARDS[int(v * 6)] for v in u[2 * m + T:2 * m + 2 * T]]
            if not any(rewards):
                continue
            actions = [int(v * m) + 1 for v in u[2 * m + 2 * T:]]
            gamma = pick(rng, [1.0, 1.0, 0.9, 0.5])
            G = [sum(gamma ** k * r for k, r in enumerate(rewards[t:])) for t in range(T)]
            baseline = float(round(sum(G) / T)) or pick(rng, [1.0, -1.0])
            if all(abs(x - baseline) < 1e-9 for x in G):
                continue
            return ReinforceGivens(theta=theta, features=[list(x) for x in X], actions=actions,
                                   rewards=rewards, gamma=gamma, alpha=pick(rng, [0.1, 0.5, 1.0, 0.2]),
                                   baseline=baseline)

    def stem(self, g):
        m, T = len(g.theta), len(g.features)
        h = np.array(g.features) @ np.array(g.theta).T
        integer = bool(np.all(h == np.round(h)))
        steps = "\n".join(f"- $t = {t}$: $x(S_{t}) = {row(x)}$, $A_{t} = a_{a}$, $R_{t} = {num(r)}$"
                          for t, (x, a, r) in enumerate(zip(g.features, g.actions, g.rewards)))
        thetas = ", ".join(f"\\theta_{j + 1} = {row(th)}" for j, th in enumerate(g.theta))
        hint = f" You may use {_exp_hint(h.ravel().tolist())}." if integer and len(set(h.ravel())) <= 7 else ""
        return (
            f"A policy over the actions ${', '.join(f'a_{j}' for j in range(1, m + 1))}$ is a softmax of linear "
            r"preferences $h(s, a_j) = \theta_j^T x(s)$ of the state's feature vector $x(s)$:"
            "\n\n"
            r"$$\pi_\theta(a_j \mid s) = \frac{e^{h(s, a_j)}}{\sum_k e^{h(s, a_k)}}, \qquad "
            r"\frac{\partial \log \pi_\theta(a_j \mid s)}{\partial \theta_k} = "
            r"\left(\mathbb{1}[j = k] - \pi_\theta(a_k \mid s)\right) x(s)$$"
            "\n\n"
            f"with ${thetas}$. One episode of $T = {T}$ steps gives:\n\n{steps}\n\n"
            f"The return is $G_t = \\sum_{{k \\ge 0}} \\gamma^k R_{{t+k}}$ with $\\gamma = {num(g.gamma)}$ (the episode "
            "ends after the last step). REINFORCE, with learning rate "
            f"$\\alpha = {num(g.alpha)}$, does gradient ascent on the expected return with the update"
            "\n\n"
            r"$$\theta \leftarrow \theta + \alpha \sum_{t=0}^{T-1} G_t\, \nabla_\theta \log \pi_\theta(A_t \mid S_t)$$"
            "\n\n"
            r"(each step is weighted by the return from that step on, without an extra factor $\gamma^t$); "
            f"with a baseline $b = {num(g.baseline)}$ the weight $G_t$ becomes $G_t - b$. Write $\\theta$ as the "
            f"{m}×{len(g.theta[0])} matrix with row $j$ equal to $\\theta_j$.{hint} Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: ReinforceGivens):
        theta, X = np.array(g.theta, dtype=float), np.array(g.features, dtype=float)
        R, gamma, T, m = g.rewards, g.gamma, len(g.rewards), len(g.theta)
        acts = [a - 1 for a in g.actions]

        s.part("a", r"Compute the returns $(G_0, \dots, G_{T-1})$.")
        disc = gamma
        if gamma != 1 and s.mistake("no_discount", "added the rewards without discounting; reward k steps "
                                                   "ahead is weighted gamma^k"):
            disc = 1.0
        G = [0.0] * T
        nxt = 0.0
        for t in reversed(range(T)):
            nxt = G[t] = R[t] + disc * nxt

        def term(k, r):
            if k == 0 or gamma == 1:
                return par(r)
            return rf"{num(gamma)}{'^' + str(k) if k > 1 else ''} \cdot {par(r)}"
        G = s.step("G", np.array(G), r"G_t = \sum_{k \ge 0} \gamma^k R_{t+k}",
                   lambda: r",\ ".join(" + ".join(term(k, r) for k, r in enumerate(R[t:])) for t in range(T)),
                   label=r"$(G_0, \dots, G_{T-1})$")

        s.part("b", r"Compute the preferences $h(S_t, a_j)$ and the policy $\pi_\theta(a_j \mid S_t)$ (rows $t$, "
                    r"columns $j$), and $\nabla_\theta \log \pi_\theta(A_t \mid S_t)$ for every step.")
        h = s.step("h", X @ theta.T, r"h(S_t, a_j) = \theta_j^T x(S_t) \text{, i.e. } X \theta^T",
                   lambda: rf"{mat(X)} {mat(theta.T)}", label=r"$h(S_t, a_j)$")
        pi = s.step("pi", _softmax_rows(h),
                    r"\pi_\theta(a_j \mid S_t) = \frac{e^{h(S_t, a_j)}}{\sum_k e^{h(S_t, a_k)}}",
                    lambda: r",\ ".join(r"\mathrm{softmax}" + row(h[t]) for t in range(T)),
                    label=r"$\pi_\theta(a_j \mid S_t)$")
        one_minus = s.mistake("grad_one_minus_pi", "used 1 - pi(a_k | s) for every action k; only the taken "
                                                   "action gets 1 - pi, the others get -pi(a_k | s)")
        coefs = (1.0 if one_minus else np.eye(m)[acts]) - pi
        grads = []
        for t in range(T):
            coef = coefs[t]
            grads.append(s.step(f"grad{t}", coef[:, None] * X[t],
                                rf"\nabla_\theta \log \pi_\theta(A_{t} \mid S_{t}) = \left(\mathbb{{1}}[j = A_{t}] - "
                                rf"\pi_\theta(a_j \mid S_{t})\right) x(S_{t})",
                                lambda: rf"{mat(coef)} {row(X[t])}",
                                label=rf"$\nabla_{t} = \nabla_\theta \log \pi_\theta(A_{t} \mid S_{t})$",
                                answer=True))

        whole = s.mistake("whole_episode_return", "weighted every step by the return of the whole episode G_0; "
                                                  "the update weights step t by G_t, the return from t on")
        sign = -1.0 if s.mistake("gradient_descent", "stepped against the gradient; REINFORCE does gradient "
                                                     "ascent on the expected return") else 1.0
        w = np.full(T, G[0]) if whole else np.asarray(G, dtype=float)
        s.part("c", r"Compute the updated parameters $\theta$ (without a baseline).")
        grads = np.array(grads, dtype=float)
        flat = grads.reshape(T, -1)
        total = (w @ flat).reshape(theta.shape)
        s.step("theta_new", theta + sign * g.alpha * total,
               r"\theta + \alpha \sum_t G_t \nabla_\theta \log \pi_\theta(A_t \mid S_t)",
               lambda: rf"{mat(theta)} + {num(g.alpha)} \left(" + " + ".join(
                   rf"{par(w[t])} \cdot \nabla_{t}" for t in range(T)) + r"\right)",
               label=r"$\theta$ after the update")

        s.part("d", rf"Compute the updated parameters with the baseline $b = {num(g.baseline)}$ instead.")
        b = -g.baseline if s.mistake("baseline_added", "added the baseline; it is subtracted, G_t - b") else g.baseline
        wb = w - b
        total_b = (wb @ flat).reshape(theta.shape)
        s.step("theta_base", theta + sign * g.alpha * total_b,
               r"\theta + \alpha \sum_t (G_t - b) \nabla_\theta \log \pi_\theta(A_t \mid S_t)",
               lambda: rf"{mat(theta)} + {num(g.alpha)} \left(" + " + ".join(
                   rf"{par(wb[t])} \cdot \nabla_{t}" for t in range(T)) + r"\right)",
               label=r"$\theta$ with the baseline")
