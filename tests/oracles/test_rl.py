"""Oracles for the grid world's Bellman expectation question and for what issue 15 widened in the
lecture-14 generators: typed-in givens larger than the draws (through ``Generator.givens``, as
``examgen solve --given`` takes them), argmax ties given by a teacher, and gamma = 0 wherever a
discount is given. Every step against an independent computation in PyTorch (float64): bellman's
sweeps with 'replicate' padding, its converged v_pi by iterating that sweep to its fixed point and by
a linear solve of a matrix built from the same sweep; the other generators through the oracles of
``test_unsupervised_rl`` (SGD on the TD loss, a torch mixture for epsilon-greedy, ...)."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import SEEDS, close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402

from examgen import registry  # noqa: E402

from .test_unsupervised_rl import (check_discounted_return, check_epsilon_greedy, check_q_learning,  # noqa: E402
                                   check_reinforce, check_value_iteration, named)

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


def typed(gid: str, givens: list[dict]):
    """(question, givens, step values) for typed-in givens, validated as `examgen solve` does."""
    gen = registry.get(gid)
    for raw in givens:
        g = gen.givens(raw)
        q = gen.build(g)
        yield q, g, {s.name: s.value for s in q.steps}


# --- bellman -------------------------------------------------------------------------------------


def torch_sweep(vk: torch.Tensor, terminal: torch.Tensor, reward: float, gamma: float) -> torch.Tensor:
    """One synchronous sweep: 'replicate' padding makes a move off the grid stay in place."""
    p = F.pad(vk[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
    neighbours = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]
    new = reward + gamma * 0.25 * neighbours
    return torch.where(terminal, torch.zeros_like(new), new)


def terminal_mask(g) -> torch.Tensor:
    mask = torch.zeros(g.rows, g.cols, dtype=torch.bool)
    for r, c in g.terminals:
        mask[r, c] = True
    return mask


def torch_v_pi(g) -> torch.Tensor:
    """The random policy's v_pi two ways, which must agree. The sweep is affine, v -> A v + b: b is
    the sweep of 0 and A's columns the sweep of each unit vector, minus b. (1) Iterated: composing
    the map with itself 64 times is 2^64 sweeps from v_0 = 0, far past convergence. (2) The fixed
    point solved exactly: (I - A) v = b."""
    terminal = terminal_mask(g)
    n = g.rows * g.cols
    b = torch_sweep(torch.zeros(g.rows, g.cols, dtype=DT), terminal, g.reward, g.gamma).ravel()
    A = torch.stack([torch_sweep(e.reshape(g.rows, g.cols), terminal, g.reward, g.gamma).ravel() - b
                     for e in torch.eye(n, dtype=DT)], dim=1)
    An, v = A, b  # after j doublings: v = v_{2^j}, An = A^{2^j}
    for _ in range(64):
        An, v = An @ An, An @ v + v
    solved = torch.linalg.solve(torch.eye(n, dtype=DT) - A, b)
    close(v, solved, 1e-9)
    return v.reshape(g.rows, g.cols)


def torch_successors(table: torch.Tensor, r: int, c: int) -> torch.Tensor:
    """The table at the cells up, down, left and right of s[r, c] (a move off the grid stays)."""
    p = F.pad(table[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
    return torch.stack([p[r, c + 1], p[r + 2, c + 1], p[r + 1, c], p[r + 1, c + 2]])


def check_bellman(q, g, v):
    r, c = g.cell
    if g.form == "sweeps":
        vk = torch.zeros(g.rows, g.cols, dtype=DT)
        for k in range(1, g.sweeps + 1):
            vk = torch_sweep(vk, terminal_mask(g), g.reward, g.gamma)
            if k < g.sweeps:
                close(v[f"v{k}"], vk, msg=f"seed {q.seed}")
        close(v[f"v{g.sweeps}_cell"], vk[r, c], msg=f"seed {q.seed}")
        return
    v_pi = torch_v_pi(g)
    shown = torch.round(v_pi, decimals=2)
    exact = bool(((v_pi - shown).abs() < 1e-9).all())
    assert ("exactly," in q.stem) == exact and ("rounded to 2 decimals" in q.stem) != exact, f"seed {q.seed}"
    table, _ = g.table()
    close(table, shown, msg=f"seed {q.seed}")  # the stem's table: v_pi to 2 decimals
    succ = torch_successors(shown, r, c)
    close(v["succ"], succ, msg=f"seed {q.seed}")
    close(v["rhs"], g.reward + g.gamma * succ.mean(), msg=f"seed {q.seed}")
    # v_pi is the fixed point: the right-hand side from the table is v_pi(s) up to the table's rounding
    assert abs(v["rhs"] - v_pi[r, c].item()) <= g.gamma * 0.005 + 1e-9, f"seed {q.seed}"
    assert v["why"].startswith("$v_\\pi$ satisfies the Bellman expectation equation"), f"seed {q.seed}"


def test_bellman_matches_torch_over_the_draws():
    named(questions("bellman"), check_bellman)


def typed_bellman(seed: int) -> dict:
    """Typed-in givens beyond the draws: grids up to 6x6, up to three terminals anywhere, up to
    10 sweeps, gamma from 0 to 1, other rewards."""
    rng = np.random.default_rng(10_000 + seed)
    rows, cols = (int(x) for x in rng.integers(2, 7, size=2))
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    order = rng.permutation(len(cells))
    k = int(rng.integers(1, 4))
    terminals, cell = [list(cells[i]) for i in order[:k]], list(cells[order[k]])
    givens = dict(rows=rows, cols=cols, terminals=terminals, cell=cell,
                  gamma=float(rng.choice([0.0, 0.3, 0.9, 1.0])), reward=float(rng.choice([-1.0, -2.0, 0.5, 1.0])))
    if rng.random() < 0.5:
        return {**givens, "form": "converged"}
    return {**givens, "sweeps": int(rng.integers(1, 11))}


def test_bellman_matches_torch_for_typed_in_givens():
    named(typed("bellman", [typed_bellman(s) for s in SEEDS]), check_bellman)


# --- ties that a teacher gives ------------------------------------------------------------------


def tied_value_iteration(seed: int) -> dict:
    """A grid of equal rewards around one goal: many cells where two moves are equally good."""
    rng = np.random.default_rng(20_000 + seed)
    rows, cols = (int(x) for x in rng.integers(2, 5, size=2))
    goal = (int(rng.integers(rows)), int(rng.integers(cols)))
    rewards = np.full((rows, cols), -1.0)
    rewards[goal] = float(rng.choice([5.0, 10.0]))
    free = [[r, c] for r in range(rows) for c in range(cols) if (r, c) != goal]
    cells = [free[i] for i in rng.permutation(len(free))[:min(4, len(free))]]
    return dict(rows=rows, cols=cols, terminals=[list(goal)], rewards=rewards.tolist(), cells=cells,
                gamma=float(rng.choice([0.0, 0.5, 0.9, 1.0])), sweeps=int(rng.integers(1, 11)))


def test_value_iteration_accepts_ties_and_gamma_zero():
    cases = list(typed("value_iteration", [tied_value_iteration(s) for s in SEEDS]))
    named(cases, check_value_iteration)
    tied = sum(bool(q.step(n).alternatives) for q, g, v in cases for n in v if n.startswith("pi_"))
    assert tied > 100  # these givens do tie, often


def tied_epsilon_greedy(seed: int) -> dict:
    rng = np.random.default_rng(30_000 + seed)
    k = int(rng.integers(2, 6))
    q = [float(x) for x in rng.integers(0, 3, size=k)]  # few distinct values: ties are common
    if rng.random() < 0.5:
        return dict(q=q, epsilon=float(rng.choice([0.0, 0.1, 0.3, 1.0])))
    return dict(q=q, eps_start=1.0, eps_decay=0.5, episode=int(rng.integers(1, 6)), eps_min=0.1)


def test_epsilon_greedy_accepts_ties():
    cases = list(typed("epsilon_greedy", [tied_epsilon_greedy(s) for s in SEEDS]))
    named(cases, check_epsilon_greedy)
    assert sum(bool(q.step("greedy").alternatives) for q, _, _ in cases) > 50


# --- gamma = 0 ----------------------------------------------------------------------------------


def test_a_discount_of_zero_is_accepted_everywhere():
    """gamma = 0: the target, the return and the value are the immediate reward alone."""
    def zero(gid):  # the drawn questions' givens, with gamma = 0
        return [{**q.givens, "gamma": 0.0} for q, _, _ in questions(gid)]

    for gid, check in (("discounted_return", check_discounted_return), ("q_learning", check_q_learning),
                       ("reinforce", check_reinforce)):
        named(typed(gid, zero(gid)), check)
    for q, g, v in typed("q_learning", zero("q_learning")):
        assert v["y0"] == g.rewards[0] and v["y1"] == g.rewards[1]
    for q, g, v in typed("discounted_return", zero("discounted_return")):
        assert all(v[f"G{t}"] == r for t, r in enumerate(g.rewards))
