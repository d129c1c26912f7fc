"""The grid world's moves (bellman, value_iteration, epsilon_greedy) and the random policy's
transition matrix (bellman's converged values)."""

from functools import lru_cache

import numpy as np

MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right
MOVE_NAMES = ("up", "down", "left", "right")  # the order of MOVES

Cell = tuple[int, int]


@lru_cache(maxsize=None)
def destinations(rows: int, cols: int) -> np.ndarray:
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
    return a.ravel()[destinations(*a.shape)]


@lru_cache(maxsize=None)
def stays(rows: int, cols: int) -> np.ndarray:
    """``stays[m, r, c]``: move ``m`` from s[r, c] runs off the grid (so the agent stays put)."""
    out = destinations(rows, cols) == np.arange(rows * cols).reshape(rows, cols)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=None)
def random_policy_moves(rows: int, cols: int) -> np.ndarray:
    """``P[i, j]``: the chance that one move of the random policy from flat cell i ends in cell j."""
    n = rows * cols
    P = np.zeros((n, n))
    for d in destinations(rows, cols):
        P[np.arange(n), d.ravel()] += 0.25
    P.flags.writeable = False
    return P


def random_policy_values(terminal: np.ndarray, reward: float, gamma: float) -> np.ndarray:
    """v_pi of the equiprobable random policy: the exact solution of the Bellman expectation
    equation v = R + gamma P v on the non-terminal cells (terminal cells 0), by a linear solve.

    ``P[i, j]`` is the chance that one move from cell i ends in j (1/4 per move, a move off the grid
    staying put). The system ``(I - gamma P) v = R`` is regular when gamma < 1, and when gamma = 1 as
    long as a terminal cell exists: on a grid the random walk reaches it from every cell, so P
    restricted to the non-terminal cells has spectral radius below 1.
    """
    rows, cols = terminal.shape
    n = rows * cols
    P = random_policy_moves(rows, cols)
    free = ~terminal.ravel()
    A = np.eye(int(free.sum())) - gamma * P[np.ix_(free, free)]
    v = np.zeros(n)
    v[free] = np.linalg.solve(A, np.full(int(free.sum()), float(reward)))
    return v.reshape(rows, cols)
