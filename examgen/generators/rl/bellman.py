"""Bellman expectation updates on a grid world: synchronous sweeps, or the converged v_pi checked."""

from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par
from ...kinds.parse import LETTERS
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...render.figures import grid_world
from ...steps import Steps
from .._draw import pick
from .._mistakes import DISCOUNT_IGNORED, IN_PLACE_SWEEP, TERMINAL_UPDATED
from ._grid import MOVE_NAMES, MOVES, neighbours, random_policy_values, stays

SHAPES = [(3, 3), (3, 3), (3, 4), (4, 3), (4, 4)]
DRAWN_SWEEPS = 3  # the draws: v_1 and v_2 for every cell, then v_3 in one cell


class BellmanGivens(Givens):
    rows: int = Field(ge=2, le=6)
    cols: int = Field(ge=2, le=6)
    terminals: list[tuple[int, int]] = Field(min_length=1, description="terminal cells [row, col]")
    gamma: float = Field(1.0, ge=0, le=1)
    reward: float = Field(-1.0, ge=-10, le=10, description="reward for every move from a non-terminal cell")
    form: Literal["sweeps", "converged"] = Field(
        "sweeps", description="sweeps: K synchronous sweeps from v_0 = 0; converged: the table of v_pi is "
                              "given and the Bellman equation is checked in the asked cell")
    sweeps: int | None = Field(None, ge=1, le=10,
                               description="number of synchronous sweeps K (form sweeps only; default 2)")
    cell: tuple[int, int] = Field(description="the asked cell [row, col]")

    @model_validator(mode="before")
    @classmethod
    def _default_sweeps(cls, data):
        if isinstance(data, dict) and data.get("form", "sweeps") == "sweeps" and data.get("sweeps") is None:
            return {**data, "sweeps": 2}
        return data

    @model_validator(mode="after")
    def _cells_on_grid(self):
        for r, c in [*self.terminals, self.cell]:
            if not (0 <= r < self.rows and 0 <= c < self.cols):
                raise ValueError(f"cell [{r}, {c}] is outside the {self.rows}x{self.cols} grid")
        if len(set(self.terminals)) == self.rows * self.cols:
            raise ValueError("every cell is terminal")
        if tuple(self.cell) in set(map(tuple, self.terminals)):
            raise ValueError(f"the asked cell {list(self.cell)} is terminal")
        if self.form == "converged" and self.sweeps is not None:
            raise ValueError("sweeps belongs to the form 'sweeps'; the converged form has none")
        return self

    def terminal_mask(self) -> np.ndarray:
        return _mask(self.rows, self.cols, tuple(map(tuple, self.terminals))).copy()

    def table(self) -> tuple[np.ndarray, bool]:
        """The converged form's table of v_pi as the stem shows it (to 2 decimals), and whether that
        is exact (as the whole numbers of Sutton & Barto's grid world are)."""
        return _table(self.rows, self.cols, tuple(map(tuple, self.terminals)), self.reward, self.gamma)


def _mask(rows: int, cols: int, terminals: tuple) -> np.ndarray:
    mask = np.zeros((rows, cols), dtype=bool)
    mask[tuple(zip(*terminals))] = True
    return mask


@lru_cache(maxsize=1024)
def _table(rows: int, cols: int, terminals: tuple, reward: float, gamma: float) -> tuple[np.ndarray, bool]:
    v = random_policy_values(_mask(rows, cols, terminals), reward, gamma)
    shown = np.round(v, 2) + 0.0  # (+ 0.0: no -0)
    shown.flags.writeable = False
    return shown, bool(np.all(np.abs(v - shown) < 1e-9))


def backup(v: np.ndarray, reward: float, gamma: float, off_grid_zero: bool = False,
           legal_only: bool = False) -> np.ndarray:
    """R + gamma * (the random policy's average of v over the four moves) in every cell; a move off
    the grid counts the cell's own value. The flags simulate mistakes: such a move counted as 0, or
    the average taken over the moves that stay on the grid only."""
    nb, off = neighbours(v), stays(*v.shape)
    if legal_only:
        return reward + gamma * np.where(off, 0.0, nb).sum(axis=0) / (~off).sum(axis=0)
    return reward + gamma * 0.25 * (np.where(off, 0.0, nb) if off_grid_zero else nb).sum(axis=0)


def sweep(v: np.ndarray, terminal: np.ndarray, reward: float, gamma: float, off_grid_zero: bool = False,
          in_place: bool = False, update_terminal: bool = False, legal_only: bool = False) -> np.ndarray:
    """One Bellman expectation sweep under the equiprobable random policy (terminal cells stay 0).
    The flags simulate common mistakes (see :class:`Bellman`)."""
    flags = dict(off_grid_zero=off_grid_zero, legal_only=legal_only)
    if not in_place:
        new = backup(v, reward, gamma, **flags)
    else:  # cell by cell in reading order, each from the values updated so far
        new = v.copy()
        for r, c in np.ndindex(v.shape):
            new[r, c] = backup(new, reward, gamma, **flags)[r, c]
    if not update_terminal:
        new[terminal] = 0.0
    return new


def _edge_cells(rows: int, cols: int, terminals) -> list[tuple[int, int]]:
    """The non-terminal cells with a move off the grid (where the walls matter)."""
    off = stays(rows, cols).any(axis=0)
    return [(r, c) for r, c in np.ndindex(rows, cols) if off[r, c] and (r, c) not in terminals]


@lru_cache(maxsize=1024)
def _telling_cells(rows: int, cols: int, terminals: tuple, reward: float, gamma: float,
                   sweeps: int | None) -> tuple[tuple[int, int], ...]:
    """Edge cells whose asked value tells the walls' rule from its two common misreadings (a move
    off the grid counted as 0, the average over the moves on the grid) and, after ``sweeps`` sweeps,
    from the value the cell would have without any terminal (the terminal matters). For the
    converged form (``sweeps`` None), a cell next to a terminal is listed twice (drawn more often)."""
    term = _mask(rows, cols, terminals)
    if sweeps is None:
        v, _ = _table(rows, cols, terminals, reward, gamma)
        right = backup(v, reward, gamma)
        wrong = [backup(v, reward, gamma, off_grid_zero=True), backup(v, reward, gamma, legal_only=True)]
        near = neighbours(term.astype(float)).any(axis=0)
    else:
        runs = []
        for flags in ({}, dict(off_grid_zero=True), dict(legal_only=True)):
            v = np.zeros(term.shape)
            for _ in range(sweeps):
                v = sweep(v, term, reward, gamma, **flags)
            runs.append(v)
        right, wrong = runs[0], runs[1:]
        wrong.append(np.full(term.shape, reward * sum(gamma ** k for k in range(sweeps))))
        near = np.zeros(term.shape, dtype=bool)
    cells = []
    for r, c in _edge_cells(rows, cols, terminals):
        if all(abs(w[r, c] - right[r, c]) >= 0.01 for w in wrong):
            cells += [(r, c)] * (2 if near[r, c] else 1)
    return tuple(cells)


# Part (c) of the converged form: why one more sweep changes nothing (the first is right), and the
# mistaken reasons, each with why it is wrong.
WHY = "$v_\\pi$ satisfies the Bellman expectation equation in every cell: the sweep's update maps it to itself"
WRONG_WHY = (
    ("fixed_point_as_greedy", "the policy is greedy with respect to $v_\\pi$, so no move can improve a value",
     "confused evaluation with improvement: the random policy is not greedy; the table stays because it "
     "solves the Bellman expectation equation of this policy"),
    ("fixed_point_as_small_change", "the discount makes the change of one more sweep too small to show",
     "a sweep changes v_pi by exactly 0, not by a little: the iterates only approach v_pi, and v_pi itself "
     "solves the Bellman expectation equation"),
    ("fixed_point_as_terminal", "the terminal cells have the value 0, so the sweep adds nothing",
     "the terminal's 0 is one neighbour among several; every cell stays because R + gamma sum_a pi(a|s) "
     "v_pi(s'_a) equals v_pi(s) there"),
)


@generator(id="bellman", topic="rl", goal="14.3", version=3,
           title="Bellman expectation updates on a grid world")
class Bellman(Generator):
    """Synchronous sweeps of v_{k+1}(s) = E_pi[R + gamma v_k(S')] for the random policy, or the
    converged v_pi (solved exactly) checked against the Bellman expectation equation in one cell."""

    Givens = BellmanGivens

    def draw(self, rng):
        converged = rng.random() < 1 / 3
        while True:
            rows, cols = pick(rng, SHAPES)
            corners = [(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1)]
            first = pick(rng, corners)
            opposite = (rows - 1 - first[0], cols - 1 - first[1])
            terminals = (first, opposite) if rng.random() < 0.5 else (first,)
            gamma = pick(rng, [1.0, 1.0, 0.9, 0.5])
            cells = _telling_cells(rows, cols, terminals, -1.0, gamma, None if converged else DRAWN_SWEEPS)
            if cells:
                return BellmanGivens(rows=rows, cols=cols, terminals=list(terminals), gamma=gamma, reward=-1.0,
                                     cell=pick(rng, cells),
                                     **(dict(form="converged") if converged else dict(sweeps=DRAWN_SWEEPS)))

    def stem(self, g):
        terms = " and ".join(f"$s[{r},{c}]$" for r, c in g.terminals)
        world = (
            f"An agent moves on a {g.rows}×{g.cols} grid world (cells $s[r,c]$, row $r$ from the top, "
            f"column $c$ from the left, both from 0). The terminal state{'s are' if len(g.terminals) > 1 else ' is'} "
            f"{terms}. In every other cell the agent follows the equiprobable random policy: up, down, "
            f"left or right, each with probability 0.25; a move off the grid leaves it where it is. "
            f"Every move gives reward $R = {num(g.reward)}$, and the discount is $\\gamma = {num(g.gamma)}$. ")
        if g.form == "converged":
            table, exact = g.table()
            return world + (
                r"The state values $v_\pi$ of this policy solve the Bellman expectation equation"
                "\n\n"
                r"$$v_\pi(s) = R + \gamma \sum_{a} \pi(a \mid s)\, v_\pi(s'_a)$$"
                "\n\n"
                "in every non-terminal cell $s$ ($s'_a$ is the cell the move $a$ leads to; terminal cells "
                f"have the value 0). In grid layout, {'exactly' if exact else 'rounded to 2 decimals'},"
                "\n\n"
                f"$$v_\\pi = {mat(table)}$$"
                "\n\n"
                "Iterative policy evaluation (synchronous sweeps "
                r"$v_{k+1}(s) = R + \gamma \sum_a \pi(a \mid s)\, v_k(s'_a)$ from $v_0 = 0$) converges to "
                "this table. Give values to 2 decimals.")
        return world + (
            "Starting from $v_0(s) = 0$ everywhere, the values are updated synchronously (every "
            "$v_{k+1}$ is computed from $v_k$ only) with the Bellman expectation equation"
            "\n\n"
            r"$$v_{k+1}(s) = \mathbb{E}_\pi\left[R_t + \gamma\, v_k(S_{t+1}) \mid S_t = s\right]"
            r" = R + \gamma \sum_{a} \pi(a \mid s)\, v_k(s'_a)$$"
            "\n\n"
            "and terminal states keep the value 0. Give values to 3 decimals."
        )

    def figure(self, g):
        if g.form == "converged":
            return grid_world(g.rows, g.cols, g.terminals, highlight=g.cell, values=g.table()[0].tolist())
        return grid_world(g.rows, g.cols, g.terminals, highlight=g.cell)

    def solve(self, s: Steps, g: BellmanGivens):
        off_grid_zero = s.mistake("off_grid_zero", "a move off the grid keeps the agent in its cell, so it "
                                                   "counts that cell's own value, not 0")
        legal_only = s.mistake("legal_moves_only", "averaged over the moves that stay on the grid; the policy "
                                                   "takes each of the four moves with 1/4, and one off the grid "
                                                   "leaves the agent in its cell")
        gamma = g.gamma
        if g.gamma != 1 and s.mistake(DISCOUNT_IGNORED):
            gamma = 1.0
        if g.form == "converged":
            self._solve_converged(s, g, gamma, off_grid_zero, legal_only)
        else:
            self._solve_sweeps(s, g, gamma, off_grid_zero, legal_only)

    def _solve_sweeps(self, s: Steps, g: BellmanGivens, gamma: float, off_grid_zero: bool, legal_only: bool):
        terminal = g.terminal_mask()
        r0, c0 = g.cell
        flags = dict(off_grid_zero=off_grid_zero, legal_only=legal_only,
                     update_terminal=s.mistake(TERMINAL_UPDATED), in_place=s.mistake(IN_PLACE_SWEEP))
        grid = f"{g.rows}×{g.cols} matrix in grid layout, terminal cells included"
        v = np.zeros((g.rows, g.cols))
        last = g.sweeps
        for k in range(1, last + 1):
            new = sweep(v, terminal, g.reward, gamma, **flags)
            prev = v
            if k < last:
                if k == 1 and last >= 3:  # the first sweep alone gives R everywhere: asked with the second
                    s.part(f"Compute $v_1(s)$ and $v_2(s)$ for every cell (each a {grid}).")
                elif k != 2 or last < 3:
                    s.part(f"Compute $v_{k}(s)$ for every cell (a {grid}).")
                v = s.step(f"v{k}", new, rf"v_{k}(s) = R + \gamma \sum_a \tfrac14\, v_{k - 1}(s'_a)",
                           lambda: self._work(prev, k, r0, c0, g, grid=True), label=f"$v_{k}$",
                           tol=Tolerance.places(3))
            else:
                s.part(f"Compute $v_{k}(s[{r0},{c0}])$.")
                s.step(f"v{k}_cell", float(new[r0, c0]),
                       rf"v_{k}(s[{r0},{c0}]) = R + \gamma \sum_a \tfrac14\, v_{k - 1}(s'_a)",
                       lambda: self._work(prev, k, r0, c0, g), label=f"$v_{k}(s[{r0},{c0}])$",
                       tol=Tolerance.places(3))

    def _solve_converged(self, s: Steps, g: BellmanGivens, gamma: float, off_grid_zero: bool, legal_only: bool):
        table, exact = g.table()
        r, c = g.cell
        at = f"$s[{r},{c}]$"
        off = stays(g.rows, g.cols)[:, r, c]
        s.part(f"Give the values $v_\\pi(s'_a)$ of the cells that the moves up, down, left and right lead to "
               f"from {at}, in that order.")
        succ = neighbours(table)[:, r, c]
        if off_grid_zero:
            succ = np.where(off, 0.0, succ)
        succ = s.step("succ", succ, r"v_\pi(s'_a) \text{ for } a = \text{up, down, left, right}",
                      label=rf"$v_\pi(s'_a)$ from $s[{r},{c}]$", tol=Tolerance.places(2),
                      explanation=self._successors(g, table))

        s.part(f"Compute the right-hand side of the Bellman expectation equation at {at}, "
               r"$R + \gamma \sum_a \pi(a \mid s)\, v_\pi(s'_a)$, from the table: the value one more sweep "
               f"would give {at}.")
        succ = np.asarray(succ, dtype=float)
        mean = succ[~off].mean() if legal_only else 0.25 * succ.sum()
        same = "equals" if exact else "equals, up to the table's rounding,"
        s.step("rhs", float(g.reward + gamma * mean), r"R + \gamma \sum_a \tfrac14\, v_\pi(s'_a)",
               lambda: rf"{num(g.reward)} + {num(g.gamma)} \cdot 0.25\,({' + '.join(par(x) for x in succ)})",
               label=f"right-hand side at $s[{r},{c}]$", tol=Tolerance.places(2),
               explanation=f"This {same} the table's $v_\\pi(s[{r},{c}]) = {num(table[r, c])}$: the Bellman "
                           f"equation holds in {at}.")

        options = [WHY] + [text for _, text, _ in WRONG_WHY]
        shift = (r * g.cols + c) % len(options)
        options = options[shift:] + options[:shift]
        answer = WHY
        for name, text, why in WRONG_WHY:
            if s.mistake(name, why):
                answer = text
        s.part("Why does one more sweep of iterative policy evaluation, applied to the whole table, leave every "
               "value unchanged? Choose one: " + "; ".join(f"{LETTERS[i]}: {o}" for i, o in enumerate(options)) + ".")
        s.step("why", answer, kind="single", label="reason", options=options,
               explanation="A sweep replaces every $v(s)$ by the right-hand side of the Bellman expectation "
                           "equation. $v_\\pi$ is the solution of that equation (its fixed point), so every cell "
                           f"gets its own value back, as part (b) shows for {at}.")

    @staticmethod
    def _successors(g: BellmanGivens, table: np.ndarray) -> str:
        """Where each move from the asked cell leads (markup), for the worked solution."""
        r, c = g.cell
        term = set(map(tuple, g.terminals))
        out = []
        for name, (dr, dc) in zip(MOVE_NAMES, MOVES):
            rr, cc = r + dr, c + dc
            if not (0 <= rr < g.rows and 0 <= cc < g.cols):
                out.append(f"{name}: off the grid, so $s[{r},{c}]$ itself ({num(table[r, c])})")
            else:
                out.append(f"{name}: $s[{rr},{cc}]$ ({'terminal, 0' if (rr, cc) in term else num(table[rr, cc])})")
        return "; ".join(out) + "."

    @staticmethod
    def _work(prev: np.ndarray, k: int, r: int, c: int, g: BellmanGivens, grid: bool = False) -> str:
        """The update of one cell with its neighbours' values (up, down, left, right) put in;
        for a whole-grid step, also the grid it is computed from."""
        terms = [par(x) for x in neighbours(prev)[:, r, c]]
        cell = rf"{num(g.reward)} + {num(g.gamma)} \cdot 0.25\,({' + '.join(terms)})"
        if not grid:
            return cell
        return (cell + rf"\quad \text{{(at }} s[{r},{c}]\text{{; every non-terminal cell alike, from }} "
                rf"v_{k - 1} = {mat(prev)}\text{{)}}")
