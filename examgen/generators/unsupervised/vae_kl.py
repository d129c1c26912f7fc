"""VAE latent loss and the reparameterisation trick."""

import math

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import decimals, pick
from .._mistakes import HALF_FORGOTTEN, SAMPLE_SCALED_BY_VARIANCE


class VaeKlGivens(Givens):
    mu: list[float] = Field(min_length=1, max_length=8, description="encoder means, one per latent dimension")
    sigma: list[float] | None = Field(None, description="encoder standard deviations (give sigma or logvar)")
    logvar: list[float] | None = Field(None, description="encoder log-variances log(sigma^2)")
    eps: list[float] = Field(description="standard-normal sample for the reparameterisation")

    @model_validator(mode="after")
    def _one_representation(self):
        if (self.sigma is None) == (self.logvar is None):
            raise ValueError("give exactly one of sigma and logvar")
        spread = self.sigma if self.sigma is not None else self.logvar
        if not (len(spread) == len(self.mu) == len(self.eps)):
            raise ValueError("mu, sigma/logvar and eps must have one entry per latent dimension")
        if self.sigma is not None and min(self.sigma) <= 0:
            raise ValueError("every sigma must be positive")
        if self.logvar is not None and max(map(abs, self.logvar)) > 20:
            raise ValueError("logvar entries must lie in [-20, 20]")
        return self


@generator(id="vae_kl", topic="unsupervised", goal="12.13", version=2,
           title="VAE latent loss and the reparameterisation trick")
class VaeKl(Generator):
    """KL(N(mu, sigma^2) || N(0, 1)) per latent dimension and in total; z = mu + sigma * eps."""

    Givens = VaeKlGivens

    def draw(self, rng):
        d = pick(rng, [2, 2, 3, 4])
        mu = decimals(rng, d, -1.5, 1.5)
        eps = decimals(rng, d, -2, 2, nonzero=True)
        if rng.random() < 0.6:
            return VaeKlGivens(mu=mu, sigma=[pick(rng, [0.5, 1.0, 2.0, 1.5, 3.0]) for _ in range(d)], eps=eps)
        return VaeKlGivens(mu=mu, logvar=[float(pick(rng, [-2, -1, 0, 1, 2])) for _ in range(d)], eps=eps)

    def stem(self, g):
        d = len(g.mu)
        if g.sigma is not None:
            spread = f"standard deviations $\\sigma = {row(g.sigma)}$"
            hint = r"You may use $\ln 2 = 0.6931$ and $\ln 3 = 1.0986$."
        else:
            spread = f"log-variances $\\log\\sigma^2 = {row(g.logvar)}$"
            exps = sorted({x for lv in g.logvar for x in (lv, lv / 2)})
            hint = "You may use " + ", ".join(f"$e^{{{num(x)}}} = {num(math.exp(x))}$" for x in exps) + "."
        return (
            f"The encoder of a variational autoencoder maps an image $x$ to a {d}-dimensional Gaussian "
            f"$q = \\mathcal{{N}}(\\mu, \\sigma^2)$ with means $\\mu = {row(g.mu)}$ and {spread} "
            "(independent dimensions). The latent loss of one dimension is, as in the course,"
            "\n\n"
            r"$$D_{KL} = \frac{1}{2}\left(\mu^2 + \sigma^2 - \log\sigma^2 - 1\right)$$"
            "\n\n"
            "with the natural logarithm, and the latent loss of the image is the sum over the "
            "dimensions. To sample, the decoder's input is built with the reparameterisation "
            r"trick $z = \mu + \tilde z \cdot \sigma$ from a standard-normal sample "
            f"$\\tilde z = {row(g.eps)}$. {hint} Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: VaeKlGivens):
        mu, eps = np.array(g.mu), np.array(g.eps)
        s.part(r"Compute $\sigma_i^2$, the latent loss $D_{KL,i}$ of every dimension, and the total latent loss.")
        if g.sigma is not None:
            sigma = np.array(g.sigma)
            if s.mistake("sigma_for_variance", "used sigma where sigma^2 belongs"):
                var = sigma
            else:
                var = sigma ** 2
            var = s.step("sigma2", var, r"\sigma_i^2", lambda: rf"{row(sigma)}^2", label=r"$\sigma^2$")
        else:
            logvar = np.array(g.logvar)
            if s.mistake("logvar_as_variance", "took log(sigma^2) for sigma^2; sigma^2 = exp(log sigma^2)"):
                var = logvar
            else:
                var = np.exp(logvar)
            var = s.step("sigma2", var, r"\sigma_i^2 = e^{\log\sigma_i^2}",
                         lambda: ", ".join(f"e^{{{num(x)}}}" for x in logvar), label=r"$\sigma^2$")
        half = 1.0 if s.mistake(HALF_FORGOTTEN) else 0.5
        if s.mistake("log_of_sigma", "used log(sigma) where log(sigma^2) belongs"):
            logs = np.log(var) / 2
        else:
            logs = np.log(var)
        kl = s.step("kl", half * (mu ** 2 + var - logs - 1),
                    r"D_{KL,i} = \frac{1}{2}\left(\mu_i^2 + \sigma_i^2 - \log\sigma_i^2 - 1\right)",
                    lambda: r",\ ".join(rf"\tfrac12({par(m)}^2 + {num(v)} - \log {num(v)} - 1)"
                                       for m, v in zip(mu, var)),
                    label=r"$D_{KL,i}$ per dimension")
        s.step("kl_total", float(np.sum(kl)), r"D_{KL} = \sum_i D_{KL,i}",
               lambda: " + ".join(par(k) for k in kl), label=r"$D_{KL}$ total", answer=True)

        s.part(r"Compute the decoder input $z$ for the given sample $\tilde z$.")
        if g.sigma is not None:
            sigma = np.array(g.sigma)
        else:
            if s.mistake("sigma_is_exp_logvar", "took exp(log sigma^2) = sigma^2 as sigma; "
                                                "sigma = exp(log(sigma^2) / 2)"):
                sigma = var
            else:
                sigma = np.sqrt(var)
            sigma = s.step("sigma", sigma, r"\sigma_i = \sqrt{\sigma_i^2} = e^{\frac12\log\sigma_i^2}",
                           lambda: ", ".join(f"e^{{{num(x / 2)}}}" for x in g.logvar), label=r"$\sigma$")
        if s.mistake(SAMPLE_SCALED_BY_VARIANCE):
            spread = sigma ** 2
        else:
            spread = sigma
        s.step("z", mu + eps * spread, r"z_i = \mu_i + \tilde z_i \cdot \sigma_i",
               lambda: r",\ ".join(rf"{par(m)} + {par(e)} \cdot {par(sd)}" for m, e, sd in zip(mu, eps, spread)),
               label="$z$")
