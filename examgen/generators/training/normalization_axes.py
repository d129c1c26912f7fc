"""Batch, layer, instance and group normalisation of a feature map."""

import math
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._mistakes import DIVIDED_BY_VARIANCE, SAMPLE_VARIANCE
from ._normalisation import _nice_deviations

NORM_NAMES = {"batch": "batch norm", "layer": "layer norm", "instance": "instance norm", "group": "group norm"}
STAT = Tolerance.places(3)


def _sets(x: np.ndarray, kind: str, groups: int | None = None, interleaved: bool = False) -> np.ndarray:
    """``x`` (N, C, H, W) regrouped so that the last axis runs over one pooled set of values:
    (C, m) for batch norm, (N, m) layer norm, (N, C, m) instance norm, (N, G, m) group norm."""
    n, c, h, w = x.shape
    if kind == "batch":
        return x.transpose(1, 0, 2, 3).reshape(c, -1)
    if kind == "layer":
        return x.reshape(n, -1)
    if kind == "instance":
        return x.reshape(n, c, -1)
    if interleaved:  # channel j in group j mod G
        return x.reshape(n, c // groups, groups, h * w).transpose(0, 2, 1, 3).reshape(n, groups, -1)
    return x.reshape(n, groups, -1)  # consecutive channels: group g holds channels g C/G .. (g+1) C/G - 1


def _expand(stat, kind: str, shape: tuple[int, ...], groups: int | None = None) -> np.ndarray:
    """A statistic per pooled set, broadcast to every value of the tensor (consecutive groups)."""
    n, c = shape[:2]
    stat = np.asarray(stat, dtype=float)
    if kind == "batch":
        return stat.reshape(1, c, 1, 1)
    if kind == "layer":
        return stat.reshape(n, 1, 1, 1)
    if kind == "instance":
        return stat.reshape(n, c, 1, 1)
    return np.repeat(stat.reshape(n, groups), c // groups, axis=1).reshape(n, c, 1, 1)


NICE_SETS = {4: ((-5, 1, 1, 3), (-3, -1, -1, 5), (-3, -3, 3, 3), (-2, -2, 2, 2), (-1, -1, 1, 1)),
             6: tuple(d for d in _nice_deviations(6) if max(map(abs, d)) <= 4)}


class NormAxesGivens(Givens):
    x: list[list[list[list[float]]]] = Field(description="the feature map x[n][c][h][w]")
    focus: Literal["batch", "layer", "instance", "group"] = Field(
        description="the normalisation whose output is asked for")
    groups: int | None = Field(None, ge=1, le=8, description="number of groups G (group norm only)")

    @model_validator(mode="after")
    def _valid(self):
        try:
            x = np.array(self.x, dtype=float)
        except ValueError:
            raise ValueError("x must be a rectangular N x C x H x W array") from None
        if x.ndim != 4:
            raise ValueError("x must be a rectangular N x C x H x W array")
        n, c, h, w = x.shape
        if not (1 <= n <= 4 and 1 <= c <= 8 and 1 <= h <= 4 and 1 <= w <= 4):
            raise ValueError("x must have N <= 4, C <= 8, H <= 4 and W <= 4")
        if not np.all(np.abs(x) <= 1000):
            raise ValueError("the values of x must lie in [-1000, 1000]")
        if (self.groups is not None) != (self.focus == "group"):
            raise ValueError("give groups exactly when the focus is group norm")
        if self.groups is not None and c % self.groups:
            raise ValueError(f"C = {c} channels do not split into {self.groups} groups")
        if np.any(_sets(x, self.focus, self.groups).var(axis=-1) == 0):
            raise ValueError(f"a set pooled by {NORM_NAMES[self.focus]} has variance 0")
        return self


@lru_cache(maxsize=4096)
def _num(x: float) -> str:
    """``fmt.num``, cached: the worked numbers of a feature map repeat a few values many times."""
    return num(x)


@lru_cache(maxsize=4096)
def _par(x: float) -> str:
    return par(x)


def _sums(sets: np.ndarray, m) -> str:
    return r",\ ".join(rf"\frac{{{' + '.join(map(_par, row_))}}}{{{m}}}"
                       for row_ in sets.reshape(-1, sets.shape[-1]).tolist())


def _squares(sets: np.ndarray, means: np.ndarray, m) -> str:
    return r",\ ".join(rf"\frac{{{' + '.join(_par(v - mu) + '^2' for v in row_)}}}{{{m}}}"
                       for row_, mu in zip(sets.reshape(-1, sets.shape[-1]).tolist(),
                                           np.reshape(means, -1).tolist()))


def _normalised_work(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> str:
    """(x - mu) / sqrt(var) for every value, one group of terms per sample and channel."""
    n, c = x.shape[:2]
    xs = x.reshape(n, c, -1).tolist()
    mus = np.broadcast_to(mu, x.shape).reshape(n, c, -1).tolist()
    vs = np.broadcast_to(var, x.shape).reshape(n, c, -1).tolist()
    groups = []
    for i in range(n):
        for j in range(c):
            terms = [rf"\frac{{{_num(v)} - {_par(m_)}}}{{\sqrt{{{_num(s_)}}}}}"
                     for v, m_, s_ in zip(xs[i][j], mus[i][j], vs[i][j])]
            groups.append(rf"x_{{{i + 1},{j + 1}}}\!: " + r",\ ".join(terms))
    return r";\quad ".join(groups)


@lru_cache(maxsize=None)
def _set_index(shape: tuple[int, ...], focus: str, groups: int | None) -> np.ndarray:
    """Flat indices of the values of each set the focus normalisation pools, shape (sets, m)."""
    index = _sets(np.arange(int(np.prod(shape))).reshape(shape), focus, groups)
    return index.reshape(-1, index.shape[-1])


NICE_ARRAYS = {m: np.array(sets, dtype=float) for m, sets in NICE_SETS.items()}


def _channel(ch: list[list[float]]) -> str:
    """One channel's H x W map: a row ``(1, 3)`` when H = 1, else a matrix."""
    if len(ch) == 1:
        return "(" + ", ".join(map(_num, ch[0])) + ")"
    body = r" \\ ".join(" & ".join(map(_num, r)) for r in ch)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _feature_map(x: list) -> str:
    return "\n".join(f"- sample $n = {i}$: " + ", ".join(f"$x_{{{i},{j}}} = {_channel(ch)}$"
                                                          for j, ch in enumerate(sample, 1))
                     for i, sample in enumerate(x, 1))


@generator(id="normalization_axes", topic="training", goal="07.3", version=2,
           title="Batch, layer, instance and group normalisation of a feature map")
class NormalizationAxes(Generator):
    """Which values share statistics in batch, layer, instance and group norm; the batch-norm
    statistics per channel; the statistics and the output of one of the four."""

    Givens = NormAxesGivens

    def draw(self, rng):
        focus = pick(rng, ["batch", "layer", "instance", "group"])
        groups = None
        if focus == "batch":
            shape = (pick(rng, [2, 3]), 2, 1, 2)
        elif focus == "layer":
            shape = (2, pick(rng, [2, 3]), 1, 2)
        elif focus == "instance":
            shape = (2, 2, 2, 2)
        else:
            shape, groups = (2, 4, 1, 2), 2
        index = _set_index(shape, focus, groups)
        k, m = index.shape
        size = math.prod(shape)
        while True:
            devs = rng.permuted(NICE_ARRAYS[m][rng.integers(len(NICE_ARRAYS[m]), size=k)], axis=1)
            small = np.abs(devs).max(axis=1) <= 3
            scale = np.where(small & (rng.random(k) < 1 / 3), 0.5, 1.0)
            flat = np.empty(size)
            flat[index] = rng.integers(-2, 4, size=k)[:, None] + scale[:, None] * devs
            x = flat.reshape(shape)
            by_channel = x.transpose(1, 0, 2, 3).reshape(shape[1], -1)
            if not (by_channel.max(axis=1) > by_channel.min(axis=1)).all():
                continue  # a constant channel: batch norm's variance would be 0
            by_map = x.reshape(shape[0] * shape[1], -1)
            if focus == "batch" and not (by_map.max(axis=1) > by_map.min(axis=1)).all():
                continue  # the instance-norm mistake would divide by 0
            return NormAxesGivens(x=x.tolist(), focus=focus, groups=groups)

    def stem(self, g):
        x = np.array(g.x)
        n, c, h, w = x.shape
        gn = ""
        if g.groups is not None:
            per = c // g.groups
            gn = (f" Group norm uses $G = {g.groups}$ groups of {per} consecutive channels (channels "
                  + ", ".join(f"{k * per + 1}–{(k + 1) * per}" for k in range(g.groups)) + " form groups "
                  + ", ".join(str(k + 1) for k in range(g.groups)) + ").")
        return (
            f"A convolutional layer outputs a feature map $x$ of shape $N \\times C \\times H \\times W = "
            f"{n} \\times {c} \\times {h} \\times {w}$ ({n} samples, {c} channels, ${h} \\times {w}$ "
            "positions); $x_{n,c}$ is channel $c$ of sample $n$:\n\n" + _feature_map(g.x) + "\n\n"
            "Batch, layer, instance and group normalisation each split the values into sets, and "
            r"normalise every value with the mean $\mu$ and the population variance $\sigma^2 = "
            r"\frac{1}{m}\sum (x - \mu)^2$ of its own set of $m$ values (divide by $m$): "
            r"$\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}$, with $\epsilon = 0$ and no scale or shift "
            r"($\gamma = 1$, $\beta = 0$). Batch norm uses the statistics of the whole minibatch, as in "
            "training; layer norm normalises over all of a sample's channels and positions." + gn +
            " Number samples and channels from 1; give means, variances and normalised values to 3 "
            "decimals, matrices with one row per sample and the normalised tensor as nested lists "
            "$[n][c][h][w]$."
        )

    def solve(self, s: Steps, g: NormAxesGivens):
        x = np.array(g.x, dtype=float)
        n, c, h, w = x.shape
        G, focus = g.groups, g.focus
        s.part("How many values $m$ does one mean (and variance) pool over in batch norm, layer norm"
               + (", instance norm and group norm?" if G else " and instance norm?"))
        swapped = s.mistake("batch_layer_swapped", "swapped batch and layer norm: batch norm pools one "
                                                   "channel over all samples and positions, layer norm one "
                                                   "sample over all channels and positions")
        spatial = s.mistake("spatial_axes_missing", "left out the positions: on a feature map every "
                                                    "normalisation also pools over H x W")
        hw = 1 if spatial else h * w
        m = {"batch": s.step("m_batch", (c if swapped else n) * hw, r"m = N \cdot H \cdot W",
                             lambda: rf"{n} \cdot {h} \cdot {w}", label="$m$ of batch norm", answer=True),
             "layer": s.step("m_layer", (n if swapped else c) * hw, r"m = C \cdot H \cdot W",
                             lambda: rf"{c} \cdot {h} \cdot {w}", label="$m$ of layer norm", answer=True),
             "instance": s.step("m_instance", hw, r"m = H \cdot W", lambda: rf"{h} \cdot {w}",
                                label="$m$ of instance norm", answer=True)}
        if G:
            m["group"] = s.step("m_group", c // G * hw, r"m = \frac{C}{G} \cdot H \cdot W",
                                lambda: rf"\frac{{{c}}}{{{G}}} \cdot {h} \cdot {w}", label="$m$ of group norm",
                                answer=True)
        for k in m:
            m[k] = np.float64(m[k])

        def statistics(kind: str, names: tuple[str, str], labels: tuple[str, str]):
            interleaved = kind == "group" and s.mistake(
                "groups_interleaved", "put channels c and c + G in one group; group norm groups "
                                      "consecutive channels")
            sets = _sets(x, kind, G, interleaved)
            mk = m[kind]
            mean = s.step(names[0], sets.sum(axis=-1) / mk, r"\mu = \frac{1}{m}\sum x",
                          lambda: _sums(sets, num(mk)), label=labels[0], tol=STAT, answer=True)
            mean = np.asarray(mean, dtype=float)
            sample = s.mistake(SAMPLE_VARIANCE)
            var = ((sets - mean[..., None]) ** 2).sum(axis=-1) / (mk - (1 if sample else 0))
            if s.mistake("std_for_variance", "gave the standard deviation; the variance is its square"):
                var = np.sqrt(var)
            var = s.step(names[1], var, r"\sigma^2 = \frac{1}{m}\sum (x - \mu)^2",
                         lambda: _squares(sets, mean, num(mk)), label=labels[1], tol=STAT, answer=True)
            return mean, np.asarray(var, dtype=float)

        s.part(r"Batch norm: compute the mean $\mu_c$ and the variance $\sigma_c^2$ of every channel $c$.")
        mean_b, var_b = statistics("batch", ("mean_batch", "var_batch"),
                                   (r"$\mu_c$ (batch norm)", r"$\sigma_c^2$ (batch norm)"))
        if focus == "batch":
            mean, var = mean_b, var_b
        else:
            what = {"layer": r"of every sample $n$ (a vector of $N$ values)",
                    "instance": r"of every sample $n$ and channel $c$ (an $N \times C$ matrix)",
                    "group": r"of every sample $n$ and group $g$ (an $N \times G$ matrix)"}[focus]
            sub = {"layer": "n", "instance": "n,c", "group": "n,g"}[focus]
            s.part(f"{NORM_NAMES[focus].capitalize()}: compute the mean and the variance {what}.")
            mean, var = statistics(focus, (f"mean_{focus}", f"var_{focus}"),
                                   (rf"$\mu_{{{sub}}}$ ({NORM_NAMES[focus]})",
                                    rf"$\sigma_{{{sub}}}^2$ ({NORM_NAMES[focus]})"))

        s.part(rf"Compute the output $\hat x$ of {NORM_NAMES[focus]} (a ${n} \times {c} \times {h} \times {w}$ "
               "tensor).")
        kind = focus
        if focus != "batch" and s.mistake("used_batch_statistics", "normalised with the batch-norm "
                                                                   "statistics; each normalisation uses "
                                                                   "the statistics of its own sets"):
            mean, var, kind = mean_b, var_b, "batch"
        elif focus == "batch" and s.mistake("used_instance_statistics",
                                            "normalised each sample's channel on its own (instance norm); "
                                            "batch norm pools the channel over the whole minibatch"):
            sets = _sets(x, "instance")
            mean, var, kind = sets.mean(axis=-1), sets.var(axis=-1), "instance"
        mu_x, var_x = _expand(mean, kind, x.shape, G), _expand(var, kind, x.shape, G)
        if s.mistake(DIVIDED_BY_VARIANCE):
            out = (x - mu_x) / var_x
        else:
            out = (x - mu_x) / np.sqrt(var_x)
        s.step("x_hat", out, r"\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}",
               lambda: _normalised_work(x, mu_x, var_x),
               label=r"$\hat x$", tol=STAT)
