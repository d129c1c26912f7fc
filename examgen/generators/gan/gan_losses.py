"""GAN losses: discriminator, minimax and non-saturating generator, optimal discriminator."""

import itertools
import math
from functools import lru_cache

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import quick_pick

# The values D's outputs and the optimal discriminator are drawn from; the stem gives their
# natural logarithms, so the question can be done by hand (the table does not depend on the draw).
TABLE = (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9)
LN_TABLE = ", ".join(f"$\\ln {num(v)} = {num(math.log(v))}$" for v in TABLE)
REAL = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9)


def _logs(values) -> str:
    return " + ".join(r"\log " + num(float(v)) for v in values)


@lru_cache(maxsize=1)
def _distributions() -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]:
    """Pairs (p_data, p_g) on three points, entries multiples of 0.05, whose optimal discriminator
    D* = p_data / (p_data + p_g) lies in TABLE at every point (and is not 1/2 everywhere)."""
    found = []
    splits = [p for p in itertools.product(range(1, 19), repeat=3) if sum(p) == 20]  # twentieths
    nice = {round(t * 20) for t in TABLE if abs(t * 20 - round(t * 20)) < 1e-9} | {5, 15}  # 20 D*
    ok = {(a, b) for a in range(1, 19) for b in range(1, 19) if (20 * a) % (a + b) == 0 and (20 * a) // (a + b) in nice}
    for pd in splits:
        for pg in splits:
            if pd != pg and (pd[0], pg[0]) in ok and (pd[1], pg[1]) in ok and (pd[2], pg[2]) in ok:
                found.append((tuple(a / 20 for a in pd), tuple(b / 20 for b in pg)))
    return tuple(found)


class GanGivens(Givens):
    d_real: list[float] = Field(min_length=1, max_length=6, description="D(x_i) on the real minibatch")
    d_fake: list[float] = Field(min_length=1, max_length=6, description="D(G(z_j)) on the generated minibatch")
    sample: int = Field(ge=1, description="the generated sample j (from 1) whose gradients are asked")
    p_data: list[float] = Field(min_length=2, max_length=5, description="data distribution on the points x_1..x_K")
    p_g: list[float] = Field(min_length=2, max_length=5, description="generator distribution on the same points")

    @model_validator(mode="after")
    def _valid(self):
        if not all(0 < d < 1 for d in self.d_real + self.d_fake):
            raise ValueError("the discriminator's outputs must lie strictly between 0 and 1")
        if self.sample > len(self.d_fake):
            raise ValueError(f"sample must be one of 1..{len(self.d_fake)}")
        if self.d_fake[self.sample - 1] == 0.5:
            raise ValueError("D(G(z_j)) = 0.5 gives both losses gradients of the same size: pick another sample")
        if len(self.p_data) != len(self.p_g):
            raise ValueError("p_data and p_g must give one probability per point")
        for name, p in (("p_data", self.p_data), ("p_g", self.p_g)):
            if min(p) <= 0 or abs(sum(p) - 1) > 1e-6:
                raise ValueError(f"{name} must be positive and sum to 1")
        return self


@generator(id="gan_losses", topic="gan", goal="13.5", version=1,
           title="GAN losses: discriminator, minimax and non-saturating generator, optimal discriminator")
class GanLosses(Generator):
    """Minibatch estimates of V(D, G), L_D, the minimax and non-saturating generator losses and their
    gradients w.r.t. D(G(z)); the optimal discriminator and C(G) = V(D*, G) on a 3-point space."""

    Givens = GanGivens

    def draw(self, rng):
        m = quick_pick(rng, (2, 3, 3, 4))
        d_real = [quick_pick(rng, REAL) for _ in range(m)]
        while True:
            d_fake = [quick_pick(rng, TABLE) for _ in range(quick_pick(rng, (2, 3, 3)))]
            low = [j for j, d in enumerate(d_fake) if d < 0.5]
            high = [j for j, d in enumerate(d_fake) if d > 0.5]
            if low and (high or rng.random() < 0.5):
                break
        # mostly a sample the discriminator rejects (where the minimax loss saturates)
        j = quick_pick(rng, high) if high and rng.random() < 0.3 else quick_pick(rng, low)
        dists = _distributions()
        pd, pg = dists[int(rng.random() * len(dists))]
        return GanGivens(d_real=d_real, d_fake=d_fake, sample=j + 1, p_data=list(pd), p_g=list(pg))

    def stem(self, g):
        K = len(g.p_data)
        return (
            "A GAN's discriminator $D$ outputs the probability that its input is real. The two "
            "networks play the minimax game"
            "\n\n"
            r"$$\min_G \max_D V(D, G), \qquad V(D, G) = \mathbb{E}_{x \sim p_{data}}\left[\log D(x)\right] "
            r"+ \mathbb{E}_{z}\left[\log\left(1 - D(G(z))\right)\right]$$"
            "\n\n"
            "Expectations are estimated by the mean over a minibatch, and $\\log$ is the natural "
            "logarithm. Every loss below is the quantity its network minimises. The discriminator "
            "maximises $V$; the minimax generator minimises $V$; the non-saturating generator instead "
            r"maximises $\mathbb{E}_z\left[\log D(G(z))\right]$."
            "\n\n"
            f"On a minibatch of {len(g.d_real)} real images the discriminator outputs "
            f"$D(x_i) = {row(g.d_real)}$, and on {len(g.d_fake)} generated images "
            f"$D(G(z_j)) = {row(g.d_fake)}$."
            "\n\n"
            f"Later, on a space of only {K} points $x_1, \\dots, x_{K}$, the data and the generator have "
            f"the distributions $p_{{data}} = {row(g.p_data)}$ and $p_g = {row(g.p_g)}$."
            "\n\n"
            f"You may use {LN_TABLE}. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: GanGivens):
        dr, df = g.d_real, g.d_fake
        m, n = len(dr), len(df)
        log_d = sum(map(math.log, df)) / n  # mean log D(G(z)), and mean log(1 - D(G(z))):
        log_1md = sum(math.log(1 - d) for d in df) / n

        s.part(r"Estimate the two terms of $V$ on the minibatches, "
               r"$\frac{1}{m}\sum_i \log D(x_i)$ and $\frac{1}{n}\sum_j \log\left(1 - D(G(z_j))\right)$, "
               r"and the discriminator's loss $L_D$.")
        real = s.step("real_term", sum(map(math.log, dr)) / m, r"\frac{1}{m}\sum_i \log D(x_i)",
                      lambda: rf"\frac{{{_logs(dr)}}}{{{m}}}",
                      label=r"$\frac{1}{m}\sum_i \log D(x_i)$")
        if s.mistake("log_d_for_fake", "used log D(G(z)) in V's second term; for the generated images "
                                       "the discriminator is scored on log(1 - D(G(z)))"):
            fake = log_d
        else:
            fake = log_1md
        fake = s.step("fake_term", fake, r"\frac{1}{n}\sum_j \log\left(1 - D(G(z_j))\right)",
                      lambda: rf"\frac{{{_logs(1 - d for d in df)}}}{{{n}}}",
                      label=r"$\frac{1}{n}\sum_j \log(1 - D(G(z_j)))$")
        sign = 1.0 if s.mistake("d_loss_sign", "left out the minus: D maximises V, so the loss it "
                                               "minimises is -V") else -1.0
        s.step("loss_D", sign * (real + fake),
               r"L_D = -\left(\frac{1}{m}\sum_i \log D(x_i) + \frac{1}{n}\sum_j \log\left(1 - D(G(z_j))\right)\right)",
               lambda: rf"-\left({num(real)} + {par(fake)}\right)", label="$L_D$")

        s.part(r"Compute the generator's loss for the minimax GAN, $L_G^{MM}$, and for the "
               r"non-saturating GAN, $L_G^{NS}$.")
        if s.mistake("minimax_sign", "flipped the sign: the minimax generator minimises V itself, "
                                     "i.e. + mean log(1 - D(G(z)))"):
            mm = -fake
        elif s.mistake("minimax_log_d", "used log D(G(z)); the minimax generator's loss is the term of V "
                                        "it can change, mean log(1 - D(G(z)))"):
            mm = log_d
        else:
            mm = fake
        s.step("loss_G_mm", mm, r"L_G^{MM} = \frac{1}{n}\sum_j \log\left(1 - D(G(z_j))\right)",
               label="$L_G^{MM}$", answer=True)
        if s.mistake("ns_log_one_minus", "used log(1 - D(G(z))): the non-saturating loss changes the "
                                         "target to log D(G(z)), not just the sign"):
            ns = -log_1md
        elif s.mistake("ns_sign", "left out the minus: the generator maximises mean log D(G(z)), so it "
                                  "minimises its negative"):
            ns = log_d
        else:
            ns = -log_d
        s.step("loss_G_ns", ns, r"L_G^{NS} = -\frac{1}{n}\sum_j \log D(G(z_j))",
               lambda: rf"-\frac{{{_logs(df)}}}{{{n}}}", label="$L_G^{NS}$", answer=True)

        j = g.sample
        d = df[j - 1]
        s.part(rf"For generated sample $j = {j}$ alone, with $d = D(G(z_{j})) = {num(d)}$, the "
               r"per-sample losses are $J^{MM}(d) = \log(1 - d)$ and $J^{NS}(d) = -\log d$. "
               r"Compute $\partial J^{MM} / \partial d$ and $\partial J^{NS} / \partial d$, and "
               "say which loss gives this sample the larger gradient (in magnitude).")
        if s.mistake("chain_rule_sign", "forgot the inner derivative: d/dd log(1 - d) = -1/(1 - d)"):
            g_mm = 1 / (1 - d)
        else:
            g_mm = -1 / (1 - d)
        g_mm = s.step("grad_mm", g_mm, r"\frac{\partial J^{MM}}{\partial d} = -\frac{1}{1 - d}",
                      lambda: rf"-\frac{{1}}{{1 - {num(d)}}}", label=r"$\partial J^{MM} / \partial d$", answer=True)
        g_ns = s.step("grad_ns", -1 / d, r"\frac{\partial J^{NS}}{\partial d} = -\frac{1}{d}",
                      lambda: rf"-\frac{{1}}{{{num(d)}}}", label=r"$\partial J^{NS} / \partial d$", answer=True)
        larger = "non-saturating" if abs(g_ns) > abs(g_mm) else "minimax"
        s.step("larger", larger, None,
               lambda: (rf"\left|{num(g_ns)}\right| {'>' if abs(g_ns) > abs(g_mm) else '<'} "
                        rf"\left|{num(g_mm)}\right|,\ \text{{the larger gradient comes from}}"),
               label="larger gradient", options=["minimax", "non-saturating"], answer=True)

        K = len(g.p_data)
        pd, pg = np.array(g.p_data), np.array(g.p_g)
        s.part(f"On the {K}-point space, compute the optimal discriminator $D^*(x_k)$ at every point "
               r"and the value $C(G) = V(D^*, G) = \sum_k p_{data}(x_k) \log D^*(x_k) + "
               r"\sum_k p_g(x_k) \log\left(1 - D^*(x_k)\right)$.")
        if s.mistake("d_star_inverted", "inverted the optimal discriminator: D*(x) = p_data / (p_data + p_g), "
                                        "large where the data is more likely than the generator"):
            dstar = pg / (pd + pg)
        else:
            dstar = pd / (pd + pg)
        dstar = np.asarray(s.step("d_star", dstar, r"D^*(x_k) = \frac{p_{data}(x_k)}{p_{data}(x_k) + p_g(x_k)}",
                                  lambda: r",\ ".join(rf"\frac{{{num(a)}}}{{{num(a)} + {num(b)}}}"
                                                     for a, b in zip(pd, pg)),
                                  label="$D^*$"), dtype=float)
        s.step("c_g", float(pd @ np.log(dstar) + pg @ np.log(1 - dstar)),
               r"C(G) = \sum_k p_{data}(x_k) \log D^*(x_k) + \sum_k p_g(x_k) \log\left(1 - D^*(x_k)\right)",
               lambda: " + ".join(rf"{num(a)} \log {num(ds)} + {num(b)} \log {num(1 - ds)}"
                                  for a, b, ds in zip(pd, pg, dstar)),
               label="$C(G)$", answer=True)
        s.step("c_min", -math.log(4), r"\min_G C(G) = -\log 4",
               label=r"for comparison, the smallest $C(G)$, reached only when $p_g = p_{data}$", asked=False)
