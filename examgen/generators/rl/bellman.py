"""Bellman expectation updates on a grid world."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...render.figures import grid_world
from ...steps import Steps
from .._draw import pick
from .._mistakes import DISCOUNT_IGNORED, IN_PLACE_SWEEP, TERMINAL_UPDATED
from ._grid import MOVES


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


@generator(id="bellman", topic="rl", goal="14.3", version=2,
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
                             TERMINAL_UPDATED),
                         in_place=s.mistake(
                             IN_PLACE_SWEEP))
            if g.gamma != 1 and s.mistake(DISCOUNT_IGNORED):
                gamma = 1.0
            else:
                gamma = g.gamma
            new = sweep(v, terminal, g.reward, gamma, **flags)
            prev = v
            if k < last:
                s.part(f"Compute $v_{k}(s)$ for every cell (a {g.rows}×{g.cols} matrix in grid layout, "
                       "terminal cells included).")
                v = s.step(f"v{k}", new, rf"v_{k}(s) = R + \gamma \sum_a \tfrac14\, v_{k - 1}(s'_a)",
                           lambda: self._work(prev, k, r0, c0, g, grid=True), label=f"$v_{k}$",
                           tol=Tolerance.places(3))
            else:
                s.part(f"Compute $v_{k}(s[{r0},{c0}])$.")
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
