"""VAE: sampling latent codes and interpolating between two images."""

import math
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._maths import relu
from .._givens import Number
from .._mistakes import BIAS_FORGOTTEN, RELU_FORGOTTEN, SAMPLE_SCALED_BY_VARIANCE, SIGMA_IS_EXP_LOGVAR
from .._stems import given_values

Positive = Annotated[float, Field(gt=0, le=100)]


LogVariance = Annotated[float, Field(ge=-20, le=20)]


class VaeLatentGivens(Givens):
    mu_a: list[Number] = Field(min_length=1, max_length=6, description="encoder means of image A")
    sigma_a: list[Positive] | None = Field(None, description="encoder standard deviations of image A "
                                                             "(give sigma_a or logvar_a)")
    logvar_a: list[LogVariance] | None = Field(None, description="encoder log-variances log(sigma^2) of image A")
    eps_a: list[Number] = Field(description="standard-normal sample for image A")
    mu_b: list[Number] = Field(description="encoder means of image B")
    sigma_b: list[Positive] | None = Field(None, description="encoder standard deviations of image B "
                                                             "(give sigma_b or logvar_b)")
    logvar_b: list[LogVariance] | None = Field(None, description="encoder log-variances log(sigma^2) of image B")
    eps_b: list[Number] = Field(description="standard-normal sample for image B")
    alpha: float = Field(ge=0, le=1, description="interpolation weight: 0 gives z_A, 1 gives z_B")
    W: list[list[Number]] = Field(min_length=1, max_length=6, description="decoder's first layer: weights (k x d)")
    b: list[Number] = Field(description="decoder's first layer: biases (k)")

    @model_validator(mode="after")
    def _valid(self):
        for image, sigma, logvar in (("A", self.sigma_a, self.logvar_a), ("B", self.sigma_b, self.logvar_b)):
            if (sigma is None) == (logvar is None):
                raise ValueError(f"give exactly one of sigma_{image.lower()} and logvar_{image.lower()}")
        d = len(self.mu_a)
        spreads = tuple(sigma if sigma is not None else logvar  # an empty list is a given too
                        for sigma, logvar in ((self.sigma_a, self.logvar_a), (self.sigma_b, self.logvar_b)))
        if any(len(v) != d for v in (self.eps_a, self.mu_b, self.eps_b, *spreads)):
            raise ValueError(f"mu, sigma and eps of both images need one entry per latent dimension ({d})")
        if any(len(r) != d for r in self.W):
            raise ValueError(f"every row of W needs {d} entries (one per latent dimension)")
        if len(self.b) != len(self.W):
            raise ValueError("b needs one entry per row of W")
        return self


@generator(id="vae_latent", topic="unsupervised", goal="12.15", version=2,
           title="VAE: sampling latent codes and interpolating between two images")
class VaeLatent(Generator):
    """Sample z_A and z_B with the reparameterisation trick, interpolate between them, and put the
    interpolated code through the decoder's first (ReLU) layer."""

    Givens = VaeLatentGivens

    def draw(self, rng):
        while True:
            d, k = pick(rng, [2, 2, 3]), pick(rng, [2, 3])
            sig = np.array([0.5, 1.0, 2.0, 1.5, 0.5])
            mu = rng.integers(-15, 16, size=(2, d)) / 10
            sigma = sig[rng.integers(len(sig), size=(2, d))]
            eps = rng.integers(-20, 21, size=(2, d)) / 10
            if not eps.all() or np.all(sigma == 1):
                continue
            alpha = pick(rng, [0.25, 0.75, 0.2, 0.4, 0.6, 0.8, 0.5])
            W = rng.integers(-10, 11, size=(k, d)) / 10
            z = mu + eps * sigma
            wz = W @ ((1 - alpha) * z[0] + alpha * z[1])
            for b in rng.integers(-10, 11, size=(8, k)) / 10:
                pre = wz + b
                # the ReLU must matter and nothing may sit on its kink
                if pre.min() < -0.05 and pre.max() > 0.05 and np.abs(pre).min() >= 0.05:
                    break
            else:
                continue
            return VaeLatentGivens(mu_a=mu[0].tolist(), sigma_a=sigma[0].tolist(), eps_a=eps[0].tolist(),
                                   mu_b=mu[1].tolist(), sigma_b=sigma[1].tolist(), eps_b=eps[1].tolist(),
                                   alpha=alpha, W=W.tolist(), b=b.tolist())

    def stem(self, g):
        d = len(g.mu_a)

        def spread(name, sigma, logvar):
            return (f"$\\sigma_{name} = {row(sigma)}$" if sigma is not None else
                    f"the log-variances $\\log\\sigma_{name}^2 = {row(logvar)}$")
        logvars = sorted({x for lv in (g.logvar_a or []) + (g.logvar_b or []) for x in [lv / 2]})
        hint = (" " + given_values([f"e^{{{num(x)}}} = {num(math.exp(x))}" for x in logvars])) if logvars else ""
        return (
            f"A variational autoencoder with a {d}-dimensional latent space encodes two images. For image A the "
            f"encoder gives $\\mu_A = {row(g.mu_a)}$ and {spread('A', g.sigma_a, g.logvar_a)}; for image B, "
            f"$\\mu_B = {row(g.mu_b)}$ and {spread('B', g.sigma_b, g.logvar_b)} (independent dimensions, "
            r"$q = \mathcal{N}(\mu, \sigma^2)$). Latent codes are sampled with the reparameterisation trick, "
            r"as in the course, $z = \mu + \tilde z \cdot \sigma$ (elementwise), with the standard-normal samples "
            f"$\\tilde z_A = {row(g.eps_a)}$ and $\\tilde z_B = {row(g.eps_b)}$."
            "\n\n"
            "To generate an image between the two, the decoder gets the linear interpolation of the two "
            r"sampled codes, $z_\alpha = (1 - \alpha) z_A + \alpha z_B$, here with "
            f"$\\alpha = {num(g.alpha)}$. The decoder's first layer is $h = \\mathrm{{ReLU}}(W z + b)$ with"
            "\n\n"
            f"$$W = {mat(g.W)}, \\qquad b = {mat(g.b)}.$$"
            "\n\n"
            "Give answers to 3 decimals." + hint
        )

    def solve(self, s: Steps, g: VaeLatentGivens):
        logvar = g.logvar_a is not None or g.logvar_b is not None
        s.part((r"Compute $\sigma$ from the log-variances, then sample" if logvar else "Sample")
               + r" the latent codes $z_A$ and $z_B$.")
        spread = {}
        variance = s.mistake(SAMPLE_SCALED_BY_VARIANCE)
        codes = {}
        for name, mu, sigma, lv, eps in (("A", g.mu_a, g.sigma_a, g.logvar_a, g.eps_a),
                                         ("B", g.mu_b, g.sigma_b, g.logvar_b, g.eps_b)):
            if sigma is None:  # sigma = e^{log(sigma^2) / 2}: a step of its own
                lv = np.array(lv)
                sigma = s.step(f"sigma_{name.lower()}", np.exp(lv) if s.mistake(SIGMA_IS_EXP_LOGVAR) else np.exp(lv / 2),
                               rf"\sigma_{name} = e^{{\frac12\log\sigma_{name}^2}}",
                               lambda: ", ".join(f"e^{{{num(x / 2)}}}" for x in lv), label=rf"$\sigma_{name}$")
            mu, sigma, eps = np.array(mu), np.asarray(sigma, dtype=float), np.array(eps)
            sd = sigma ** 2 if variance else sigma
            spread[name] = sd
            codes[name] = s.step(f"z_{name.lower()}", mu + eps * sd,
                                 rf"z_{name} = \mu_{name} + \tilde z_{name} \cdot \sigma_{name}",
                                 lambda: ", ".join(rf"{num(m)} + {par(e)} \cdot {num(v)}" for m, e, v in zip(mu, eps, sd)),
                                 label=f"$z_{name}$", answer=True)
        alpha = g.alpha
        s.part(rf"Compute the interpolated code $z_\alpha$ for $\alpha = {num(alpha)}$.")
        za, zb = np.asarray(codes["A"], dtype=float), np.asarray(codes["B"], dtype=float)
        if alpha != 0.5 and s.mistake("alpha_swapped", "swapped the weights: alpha = 0 must give z_A, so z_A is "
                                                       "weighted by 1 - alpha"):
            wa, wb = alpha, 1 - alpha
        else:
            wa, wb = 1 - alpha, alpha
        if s.mistake("interpolated_means", "interpolated the means mu_A, mu_B; the question interpolates the "
                                           "sampled codes z_A, z_B"):
            za, zb = np.array(g.mu_a), np.array(g.mu_b)
        z = s.step("z_alpha", wa * za + wb * zb, r"z_\alpha = (1 - \alpha) z_A + \alpha z_B",
                   lambda: rf"{num(wa)} {row(za)} + {num(wb)} {row(zb)}", label=r"$z_\alpha$")

        s.part(r"Compute the decoder's first layer for $z_\alpha$: the pre-activation $W z_\alpha + b$ "
               r"and the output $h$.")
        W, b = np.array(g.W), np.array(g.b)
        z = np.asarray(z, dtype=float)
        bias = b
        if s.mistake(BIAS_FORGOTTEN):
            bias = np.zeros_like(b)
        pre = s.step("pre", W @ z + bias, r"W z_\alpha + b",
                     lambda: rf"{mat(W)} {mat(z)} + {mat(b)}", label=r"$W z_\alpha + b$", answer=True)
        pre = np.asarray(pre, dtype=float)
        if s.mistake(RELU_FORGOTTEN):
            h = pre
        else:
            h = relu(pre)
        s.step("h", h, r"h = \mathrm{ReLU}(W z_\alpha + b) = \max(0, W z_\alpha + b)",
               lambda: rf"\max\left(0, {row(pre)}\right)", label="$h$", answer=True)
