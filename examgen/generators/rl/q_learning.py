"""Q-learning updates and the DQN loss with a target network."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...kinds.parse import LETTERS
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._givens import Number


def _letters(n: int) -> str:
    return ", ".join(LETTERS[:n])


class QLearningGivens(Givens):
    q: list[list[Number]] = Field(min_length=2, max_length=6,
                                 description="Q-table (= online-network outputs): one row per non-terminal state "
                                             "A, B, ..., one column per action a_1, a_2, ...")
    target: list[list[Number]] = Field(description="target-network outputs Q(s, .; theta^-): rows A, B, ... and a "
                                                  "last row for the terminal state T")
    alpha: float = Field(gt=0, le=1, description="learning rate")
    gamma: float = Field(ge=0, le=1, description="discount factor")
    states: list[str] = Field(min_length=3, max_length=3,
                              description="S_0, S_1, S_2 as letters A, B, ...; S_2 may be T (terminal)")
    actions: list[int] = Field(min_length=2, max_length=2, description="A_0, A_1 as action numbers 1, 2, ...")
    rewards: list[Number] = Field(min_length=2, max_length=2, description="R_0, R_1")

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


@generator(id="q_learning", topic="rl", goal="14.4", version=2,
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
                best = s.step(f"max{t}", nrow[taken] if taken is not None and sarsa else nrow.max(),
                              rf"\max_a Q(S_{{{t + 1}}}, a)", lambda: rf"\max{row(nrow)}",
                              label=rf"$\max_a Q({S[t + 1]}, a)$")
                y = r + gamma * best
                formula = rf"y_{t} = R_{t} + \gamma \max_a Q(S_{{{t + 1}}}, a)"
                work = lambda: rf"{num(r)} + {num(gamma)} \cdot {par(best)}"
            y = s.step(f"y{t}", y, formula, work, label=f"$y_{t}$")
            d = q_old - y if sign else y - q_old
            d = s.step(f"delta{t}", d, rf"\delta_{t} = y_{t} - Q(S_{t}, A_{t})",
                       lambda: rf"{num(y)} - {par(q_old)}", label=rf"$\delta_{t}$")
            new = y if replace else q_old + alpha * d
            return s.step(f"q{t}", new, rf"Q({S[t]}, a_{at + 1}) \leftarrow Q(S_{t}, A_{t}) + \alpha\,\delta_{t}",
                          lambda: rf"{num(q_old)} + {num(alpha)} \cdot {par(d)}",
                          label=rf"new $Q({S[t]}, a_{at + 1})$", answer=True)

        s.part(rf"The first transition: compute $\max_a Q({S[1]}, a)$, the target $y_0$, the TD error "
               rf"$\delta_0$ and the new value of $Q({S[0]}, a_{a0 + 1})$.")
        Q[s0, a0] = update(0, s0, a0, r0, s1, Q, a1)
        s.part(rf"The second transition (with the updated table): compute "
               + ("" if s2 is None else rf"$\max_a Q({S[2]}, a)$, ")
               + rf"$y_1$, $\delta_1$ and the new value of $Q({S[1]}, a_{a1 + 1})$.")
        update(1, s1, a1, r1, s2, Q, None)

        s.part(r"DQN: compute the targets $(y_0, y_1)$ from the target network, and the loss $L(\theta)$.")
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
