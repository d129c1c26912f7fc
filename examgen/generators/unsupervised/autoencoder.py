"""Autoencoders: parameters, compression, denoising and the sparsity penalty."""

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par, row
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick, subset
from .._givens import Number
from .._mistakes import BIASES_NOT_COUNTED, KL_REVERSED, RATIO_INVERTED, SAMPLE_SCALED_BY_VARIANCE

SMALL = Tolerance.significant(3)  # KL terms are often below 0.01


class AutoencoderGivens(Givens):
    sizes: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        min_length=2, max_length=5, description="encoder layer sizes from the input to the code, e.g. [784, 128, 32]")
    tied: bool = Field(False, description="the decoder reuses the transposed encoder weights (own biases only)")
    x: list[Number] = Field(min_length=2, max_length=8, description="a clean input for the denoising part")
    noise: Literal["mask", "gaussian"] = Field(description="masking noise or additive Gaussian noise")
    nu: float | None = Field(None, gt=0, lt=1, description="mask: the probability of zeroing an input")
    u: list[Annotated[float, Field(ge=0, le=1)]] | None = Field(None, description="mask: uniform draws u_i")
    noise_std: float | None = Field(None, gt=0, le=100, description="gaussian: the noise's standard deviation")
    eps: list[Number] | None = Field(None, description="gaussian: standard-normal draws")
    x_hat: list[Number] = Field(description="the decoder's output for the corrupted input")
    rho: float = Field(gt=0, lt=1, description="sparsity target rho")
    activations: list[list[Annotated[float, Field(gt=0, lt=1)]]] = Field(
        min_length=1, max_length=8, description="hidden activations, one row per example, one column per unit")

    @model_validator(mode="after")
    def _valid(self):
        if self.sizes[-1] >= self.sizes[0]:
            raise ValueError("the code must be smaller than the input")
        d = len(self.x)
        if self.noise == "mask":
            if self.nu is None or self.u is None or self.noise_std is not None or self.eps is not None:
                raise ValueError("masking noise takes nu and u (and no noise_std or eps)")
            draws = self.u
        else:
            if self.noise_std is None or self.eps is None or self.nu is not None or self.u is not None:
                raise ValueError("gaussian noise takes noise_std and eps (and no nu or u)")
            draws = self.eps
        if len(draws) != d or len(self.x_hat) != d:
            raise ValueError(f"the noise draws and x_hat need one entry per input ({d})")
        s = len(self.activations[0])
        if not 1 <= s <= 8 or any(len(r) != s for r in self.activations):
            raise ValueError("activations must have the same 1 to 8 units in every row")
        return self


def layer_params(sizes: list[int], biases: bool = True) -> int:
    return sum(a * b + (b if biases else 0) for a, b in zip(sizes, sizes[1:]))


@generator(id="autoencoder", topic="unsupervised", goal="12.10", version=2,
           title="Autoencoders: parameters, compression, denoising and the sparsity penalty")
class Autoencoder(Generator):
    """A fully connected autoencoder: parameter counts (optionally tied weights) and compression
    ratio; a denoising corruption and its loss; the sparse autoencoder's KL penalty."""

    Givens = AutoencoderGivens

    def draw(self, rng):
        while True:
            side = pick(rng, [8, 16, 28, 32])
            d = side * side
            hidden = [h for h in (512, 256, 128, 64, 32) if h < d]
            depth = pick(rng, [1, 1, 2]) if len(hidden) >= 2 else 1
            layers = sorted((hidden[j] for j in subset(rng, len(hidden), depth)), reverse=True)
            code = pick(rng, [c for c in (2, 8, 16, 32) if c < layers[-1]])
            sizes = [d, *layers, code]
            k = pick(rng, [4, 5, 6])
            x = (rng.integers(0, 11, size=k) / 10).tolist()
            u = v = None
            if rng.random() < 0.5:
                nu = pick(rng, [0.25, 0.3, 0.4, 0.5])
                u = (rng.integers(0, 100, size=k) / 100).tolist()
                masked = [ui < nu for ui in u]
                # some inputs zeroed and some kept, none of them already 0, no draw exactly at nu
                if all(masked) or not any(masked) or nu in u or not all(x[i] for i in range(k) if masked[i]):
                    continue
                noise = dict(noise="mask", nu=nu, u=u)
                corrupted = [0.0 if m else xi for xi, m in zip(x, masked)]
            else:
                std = pick(rng, [0.1, 0.2, 0.5])
                v = (rng.integers(-20, 21, size=k) / 10).tolist()
                if not all(v):
                    continue
                noise = dict(noise="gaussian", noise_std=std, eps=v)
                corrupted = [xi + std * e for xi, e in zip(x, v)]
            x_hat = np.round(np.array(x) + rng.integers(-2, 3, size=k) / 10, 1)
            if np.abs(x_hat - x).max() < 1e-9 or np.abs(x_hat - corrupted).max() < 1e-9:
                continue
            s_units, m_ex = pick(rng, [2, 3, 3]), pick(rng, [3, 4, 4])
            acts = rng.integers(1, 61, size=(m_ex, s_units)) / 100
            return AutoencoderGivens(sizes=sizes, tied=bool(rng.random() < 0.3), x=x, x_hat=x_hat.tolist(),
                                     rho=pick(rng, [0.05, 0.1, 0.1, 0.2]), activations=acts.tolist(), **noise)

    def stem(self, g):
        sizes, d = g.sizes, g.sizes[0]
        side = math.isqrt(d)
        what = (f"flattened {side}×{side} grey-scale images ($d = {d}$ inputs)" if side * side == d
                else f"inputs of size {d}")
        chain = " \\to ".join(map(str, sizes))
        back = " \\to ".join(map(str, sizes[::-1]))
        tied = ("The decoder uses tied weights: each decoder layer's weight matrix is the transpose of the "
                "matching encoder layer's, so only its biases are new parameters."
                if g.tied else "The decoder has its own weights and biases.")
        if g.noise == "mask":
            noise = (f"masking noise: every input is set to 0 where its uniform draw $u_i < \\nu = {num(g.nu)}$, and "
                     f"kept otherwise; the draws are $u = {row(g.u)}$")
        else:
            noise = (r"additive Gaussian noise $\tilde x = x + \sigma \epsilon$ with "
                     f"$\\sigma = {num(g.noise_std)}$ and "
                     f"the standard-normal draws $\\epsilon = {row(g.eps)}$")
        m, s = len(g.activations), len(g.activations[0])
        acts = mat(g.activations)
        return (
            f"A fully connected autoencoder for {what} has the encoder ${chain}$ and the mirrored decoder "
            f"${back}$ (the numbers are layer sizes; the last encoder layer is the code). Every layer is "
            f"fully connected with a bias per output unit. {tied} The compression ratio is the number of input "
            "values divided by the number of code values."
            "\n\n"
            f"Denoising: a clean input $x = {row(g.x)}$ is corrupted with {noise}. The decoder's output for the "
            f"corrupted input is $\\hat x = {row(g.x_hat)}$, and the reconstruction loss is the sum of squared "
            r"errors against the clean input, $L = \sum_i (\hat x_i - x_i)^2$."
            "\n\n"
            f"Sparsity: for a minibatch of {m} examples the {s} hidden units have the sigmoid activations "
            "(row: example, column: unit)"
            "\n\n"
            f"$$A = {acts}$$"
            "\n\n"
            f"The sparse autoencoder's penalty with target $\\rho = {num(g.rho)}$ is"
            "\n\n"
            r"$$\Omega = \sum_j KL(\rho \| \hat\rho_j) = \sum_j \left[ \rho \ln \frac{\rho}{\hat\rho_j} + "
            r"(1 - \rho) \ln \frac{1 - \rho}{1 - \hat\rho_j} \right]$$"
            "\n\n"
            r"where $\hat\rho_j$ is unit $j$'s mean activation over the minibatch (natural log). Give "
            "counts exactly, the KL terms and $\\Omega$ to 3 significant figures, other answers to 3 decimals."
        )

    def solve(self, s: Steps, g: AutoencoderGivens):
        sizes = list(g.sizes)
        back = sizes[::-1]
        s.part("Count the parameters of the encoder, of the decoder and of the whole autoencoder.")
        biases = not s.mistake(BIASES_NOT_COUNTED)
        enc = s.step("enc_params", layer_params(sizes, biases), r"\sum_l (n_{l} n_{l+1} + n_{l+1})",
                     lambda: " + ".join(f"({a} \\cdot {b} + {b})" for a, b in zip(sizes, sizes[1:])),
                     label="encoder parameters", answer=True)
        if g.tied and not s.mistake("tied_weights_counted",
                                    "counted the decoder's weights; with tied weights the decoder reuses the "
                                    "encoder's, only its biases are new"):
            dec = sum(back[1:]) if biases else 0
            formula, work = r"\sum_l n_{l+1} \text{ (biases only)}", lambda: " + ".join(map(str, back[1:]))
        else:
            dec = layer_params(back, biases)
            formula = r"\sum_l (n_{l} n_{l+1} + n_{l+1})"
            work = lambda: " + ".join(f"({a} \\cdot {b} + {b})" for a, b in zip(back, back[1:]))
        dec = s.step("dec_params", dec, formula, work, label="decoder parameters", answer=True)
        s.step("total_params", int(enc) + int(dec), r"\text{encoder} + \text{decoder}", lambda: f"{enc} + {dec}",
               label="total parameters", answer=True)

        s.part("What is the compression ratio of the code?")
        if s.mistake(RATIO_INVERTED):
            ratio = sizes[-1] / sizes[0]
        elif len(sizes) > 2 and s.mistake("ratio_first_hidden", "used the first hidden layer; the compressed "
                                                                "representation is the code, the last encoder layer"):
            ratio = sizes[0] / sizes[1]
        else:
            ratio = sizes[0] / sizes[-1]
        s.step("ratio", float(ratio), r"\frac{d}{\text{code size}}", lambda: rf"\frac{{{sizes[0]}}}{{{sizes[-1]}}}",
               label="compression ratio")

        s.part(r"Give the corrupted input $\tilde x$ and the reconstruction loss $L$.")
        x = np.array(g.x, dtype=float)
        if g.noise == "mask":
            u = np.array(g.u)
            keep = u < g.nu if s.mistake("mask_inverted", "zeroed the inputs with u_i >= nu; an input is zeroed "
                                                          "(with probability nu) when u_i < nu") else u >= g.nu
            x_tilde = np.where(keep, x, 0.0)
            formula = r"\tilde x_i = 0 \text{ if } u_i < \nu, \text{ else } x_i"
            work = lambda: r"\text{zeroed: }" + ", ".join(f"x_{i + 1}" for i in np.flatnonzero(~keep))
        else:
            std = g.noise_std
            if std != 1 and s.mistake(SAMPLE_SCALED_BY_VARIANCE):
                std = std ** 2
            eps = np.array(g.eps)
            x_tilde = x + std * eps
            formula = r"\tilde x_i = x_i + \sigma \epsilon_i"
            work = lambda: ", ".join(f"{num(a)} + {num(std)} \\cdot {par(e)}" for a, e in zip(x, eps))
        x_tilde = s.step("x_tilde", x_tilde, formula, work, label=r"$\tilde x$", answer=True)
        x_hat = np.array(g.x_hat)
        target = x
        if s.mistake("loss_vs_corrupted", "compared the output with the corrupted input; a denoising "
                                          "autoencoder is trained to reproduce the clean x"):
            target = np.asarray(x_tilde, dtype=float)
        s.step("loss", float(np.sum((x_hat - target) ** 2)), r"L = \sum_i (\hat x_i - x_i)^2",
               lambda: " + ".join(f"({num(a)} - {par(b)})^2" for a, b in zip(x_hat, target)), label="$L$",
               answer=True)

        s.part(r"Compute the mean activations $\hat\rho_j$, the terms $KL(\rho \| \hat\rho_j)$ and the "
               r"penalty $\Omega$.")
        A = np.array(g.activations)
        m = len(A)
        rho_hat = s.step("rho_hat", A.mean(axis=0), r"\hat\rho_j = \frac{1}{m}\sum_{i=1}^{m} a_j^{(i)}",
                         lambda: ", ".join(rf"\frac{{{' + '.join(num(a) for a in col)}}}{{{m}}}" for col in A.T),
                         label=r"$\hat\rho$")
        rho, rh = g.rho, np.asarray(rho_hat, dtype=float)
        if s.mistake(KL_REVERSED):
            kl = rh * np.log(rh / rho) + (1 - rh) * np.log((1 - rh) / (1 - rho))
        elif s.mistake("kl_first_term_only", "kept only rho ln(rho / rho_hat); the KL divergence of two "
                                             "Bernoulli distributions also has the (1 - rho) term"):
            kl = rho * np.log(rho / rh)
        else:
            kl = rho * np.log(rho / rh) + (1 - rho) * np.log((1 - rho) / (1 - rh))
        kl = s.step("kl", kl, r"KL(\rho \| \hat\rho_j) = \rho \ln \frac{\rho}{\hat\rho_j} + (1 - \rho) \ln "
                              r"\frac{1 - \rho}{1 - \hat\rho_j}",
                    lambda: r",\ ".join(rf"{num(rho)} \ln \frac{{{num(rho)}}}{{{num(r)}}} + {num(1 - rho)} \ln "
                                        rf"\frac{{{num(1 - rho)}}}{{{num(1 - r)}}}" for r in rh),
                    label=r"$KL(\rho \| \hat\rho_j)$", tol=SMALL, answer=True)
        s.step("omega", float(np.sum(kl)), r"\Omega = \sum_j KL(\rho \| \hat\rho_j)",
               lambda: " + ".join(par(v) for v in np.asarray(kl)), label=r"$\Omega$", tol=SMALL, answer=True)
