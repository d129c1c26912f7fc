"""Discounted returns of an episode (and a Monte Carlo value estimate)."""

from pydantic import Field, model_validator

from ...fmt import num, par
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._givens import Number
from .._mistakes import DISCOUNT_IGNORED


class ReturnGivens(Givens):
    rewards: list[Number] = Field(min_length=1, max_length=10, description="rewards R_0, ..., R_{T-1}")
    gamma: float = Field(ge=0, le=1, description="discount factor")
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


@generator(id="discounted_return", topic="rl", goal="14.1", version=2,
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
        s.part(f"Compute {first}the return $G_t$ for every $t = {T - 1}, \\dots, 0$ "
               r"(work backwards with $G_t = R_t + \gamma G_{t+1}$).")
        no_discount = gamma != 1 and s.mistake(
            DISCOUNT_IGNORED)
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
            s.part(rf"Estimate $v_\pi(\mathrm{{{est}}})$ by every-visit Monte Carlo from this episode.")
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
