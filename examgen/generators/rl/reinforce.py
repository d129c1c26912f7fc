"""REINFORCE with a softmax policy, with and without a baseline."""

import math

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._givens import Number
from .._maths import softmax
from .._mistakes import DISCOUNT_IGNORED
from .._stems import calculator, given_values


def _exp_values(values) -> list[str]:
    """'e^{-1} = 0.3679', 'e^{0} = 1', ... for the distinct values given."""
    return [f"e^{{{num(x)}}} = {num(math.exp(x))}" for x in sorted(set(values))]


class ReinforceGivens(Givens):
    theta: list[list[Number]] = Field(min_length=2, max_length=4,
                                     description="policy parameters: one row theta_a per action, one column "
                                                 "per feature")
    features: list[list[Number]] = Field(min_length=1, max_length=5, description="x(S_t) for t = 0, ..., T-1")
    actions: list[int] = Field(description="A_t for t = 0, ..., T-1, as action numbers 1, 2, ...")
    rewards: list[Number] = Field(description="R_t for t = 0, ..., T-1")
    gamma: float = Field(1.0, ge=0, le=1)
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


@generator(id="reinforce", topic="rl", goal="14.7", version=3,
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
            # a baseline that is not 0 and equals no return (G_t - b = 0 would hide the baseline's effect)
            mean = sum(G) / T
            fits = [b for b in (float(round(mean)), round(2 * mean) / 2, float(round(mean)) + 1.0)
                    if b != 0 and all(abs(x - b) > 1e-9 for x in G)]
            if not fits:
                continue
            baseline = fits[0]
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
        hint = " " + (given_values(_exp_values(h.ravel().tolist())) if integer and len(set(h.ravel())) <= 7
                      else calculator("the exponentials"))
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

        s.part(r"Compute the returns $(G_0, \dots, G_{T-1})$.")
        disc = gamma
        if gamma != 1 and s.mistake(DISCOUNT_IGNORED):
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

        s.part(r"Compute the preferences $h(S_t, a_j)$ and the policy $\pi_\theta(a_j \mid S_t)$ (rows $t$, "
               r"columns $j$), and $\nabla_\theta \log \pi_\theta(A_t \mid S_t)$ for every step.")
        h = s.step("h", X @ theta.T, r"h(S_t, a_j) = \theta_j^T x(S_t) \text{, i.e. } X \theta^T",
                   lambda: rf"{mat(X)} {mat(theta.T)}", label=r"$h(S_t, a_j)$")
        pi = s.step("pi", softmax(h),
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
        s.part(r"Compute the updated parameters $\theta$ (without a baseline).")
        flat = np.array(grads, dtype=float).reshape(T, -1)

        def update(name: str, weights: np.ndarray, weight_tex: str, label: str) -> None:
            """theta + alpha sum_t weights_t grad_t (the step's weight of each step's gradient)."""
            s.step(name, theta + sign * g.alpha * (weights @ flat).reshape(theta.shape),
                   rf"\theta + \alpha \sum_t {weight_tex} \nabla_\theta \log \pi_\theta(A_t \mid S_t)",
                   lambda: rf"{mat(theta)} + {num(g.alpha)} \left(" + " + ".join(
                       rf"{par(weights[t])} \cdot \nabla_{t}" for t in range(T)) + r"\right)",
                   label=label)

        update("theta_new", w, "G_t", r"$\theta$ after the update")
        s.part(rf"Compute the updated parameters with the baseline $b = {num(g.baseline)}$ instead.")
        b = -g.baseline if s.mistake("baseline_added", "added the baseline; it is subtracted, G_t - b") else g.baseline
        update("theta_base", w - b, "(G_t - b)", r"$\theta$ with the baseline")
