"""Value iteration on a grid world and the greedy policy."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par
from ...registry import Generator, Givens, generator
from ...render.figures import grid_world
from ...steps import Steps
from .._draw import pick
from .._givens import Number
from .._mistakes import DISCOUNT_IGNORED, IN_PLACE_SWEEP, TERMINAL_UPDATED
from ._grid import MOVE_NAMES, MOVES, Cell, neighbours


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


TIE = 1e-9  # moves whose R(s') + gamma v(s') are this close are equally good


def best_moves(q: np.ndarray) -> list[str]:
    """The moves (in the order up, down, left, right) whose value ``q[m]`` is the largest."""
    return [m for m, x in zip(MOVE_NAMES, q) if x >= q.max() - TIE]


def _margins(q: np.ndarray) -> np.ndarray:
    """Per cell: how much the best move beats the second best."""
    top = np.sort(q, axis=0)
    return top[-1] - top[-2]


class ValueIterationGivens(Givens):
    rows: int = Field(ge=2, le=5)
    cols: int = Field(ge=2, le=5)
    terminals: list[Cell] = Field(min_length=1, description="terminal cells [row, col]")
    rewards: list[list[Number]] = Field(description="reward for a move that ends in each cell (rows x cols)")
    gamma: float = Field(1.0, ge=0, le=1)
    sweeps: int = Field(2, ge=1, le=10, description="number of synchronous sweeps K")
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
        for r, c in self.cells:
            if (r, c) in term:
                raise ValueError(f"the asked cell [{r}, {c}] is terminal")
        return self

    def terminal_mask(self) -> np.ndarray:
        mask = np.zeros((self.rows, self.cols), dtype=bool)
        for r, c in self.terminals:
            mask[r, c] = True
        return mask

    def ties(self) -> bool:
        """Do several moves tie for the best in an asked cell (each of them is then right)?"""
        margins = _margins(lookahead(self.values()[-1], np.array(self.rewards, dtype=float), self.gamma))
        return any(margins[r, c] < TIE for r, c in self.cells)

    def values(self) -> list[np.ndarray]:
        """v_0, ..., v_K (the reference values)."""
        return value_iteration(np.array(self.rewards, dtype=float), self.terminal_mask(), self.gamma, self.sweeps)


def value_iteration(rewards: np.ndarray, terminal: np.ndarray, gamma: float, sweeps: int) -> list[np.ndarray]:
    vs = [np.zeros(rewards.shape)]
    for _ in range(sweeps):
        vs.append(optimality_sweep(vs[-1], terminal, rewards, gamma))
    return vs


@generator(id="value_iteration", topic="rl", goal="14.3", version=2,
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
            + ("(where several moves tie for the best, each of them is a right answer). " if g.ties() else
               "(in the asked cells the best move is unique). ")
            + "Give values to 3 decimals."
        )

    def figure(self, g):
        return grid_world(g.rows, g.cols, g.terminals, values=g.rewards)

    def solve(self, s: Steps, g: ValueIterationGivens):
        rewards, mask = np.array(g.rewards, dtype=float), g.terminal_mask()
        gamma = g.gamma
        if gamma != 1 and s.mistake(DISCOUNT_IGNORED):
            gamma = 1.0
        flags = dict(mean=s.mistake("expectation_not_max", "averaged over the four moves (the random policy's "
                                                           "Bellman expectation); value iteration takes the max"),
                     in_place=s.mistake(IN_PLACE_SWEEP),
                     update_terminal=s.mistake(TERMINAL_UPDATED))
        shown = next((x for x in g.cells), None)
        v = np.zeros((g.rows, g.cols))
        for k in range(1, g.sweeps + 1):
            prev = v
            s.part(f"Compute $v_{k}(s)$ for every cell (a {g.rows}×{g.cols} matrix in grid layout, terminal "
                   "cells included).")
            v = s.step(f"v{k}", optimality_sweep(prev, mask, rewards, gamma, **flags),
                       rf"v_{k}(s) = \max_a \left[ R(s'_a) + \gamma\, v_{k - 1}(s'_a) \right]",
                       lambda: self._work(prev, rewards, gamma, k, shown), label=f"$v_{k}$")
        s.part("Give the greedy action (up, down, left or right) in "
               + " and ".join(f"$s[{r},{c}]$" for r, c in g.cells) + f" with respect to $v_{g.sweeps}$.")
        ignore_reward = s.mistake("policy_ignores_reward", "chose the move to the neighbour with the largest "
                                                           "value only; the greedy move maximises R(s') + gamma v(s')")
        K = g.sweeps
        q_all = lookahead(v, rewards, gamma)
        choose = gamma * neighbours(v) if ignore_reward else q_all
        for r, c in g.cells:
            best = best_moves(choose[:, r, c])
            shown_q = q_all[:, r, c]
            s.step(f"pi_{r}_{c}", best[0],
                   rf"\pi(s[{r},{c}]) = \mathrm{{argmax}}_a \left[ R(s'_a) + \gamma\, v_{K}(s'_a) \right]",
                   lambda: r",\ ".join(rf"\text{{{m}}}: {num(x)}" for m, x in zip(MOVE_NAMES, shown_q)),
                   label=f"$\\pi(s[{r},{c}])$", options=list(MOVE_NAMES), answer=True, alternatives=best[1:])

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
