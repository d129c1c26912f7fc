"""Statistical significance: confidence interval, McNemar's test, test-set size."""

import math

from pydantic import Field, model_validator

from ...fmt import num
from ...model import Tolerance
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import quick_int, quick_pick

FOUR = Tolerance.places(4)
Z95 = 1.96
CRITICAL = 3.841  # chi^2 with 1 degree of freedom, 5 % level

# (accuracy, n) with sqrt(p(1-p)/n) a short decimal: the interval can be done by hand
NICE = ((0.8, 100), (0.8, 400), (0.8, 900), (0.8, 1600), (0.8, 2500), (0.9, 100), (0.9, 400), (0.9, 900),
        (0.9, 1600), (0.9, 2500), (0.64, 100), (0.64, 400), (0.64, 2500), (0.98, 100), (0.98, 400),
        (0.98, 1600), (0.98, 2500))


def mcnemar(b: int, c: int, corrected: bool) -> float:
    """McNemar's statistic from the discordant counts, with or without continuity correction."""
    return (abs(b - c) - (1 if corrected else 0)) ** 2 / (b + c)


def chi2_1_sf(x: float) -> float:
    """P(X >= x) for X ~ chi^2 with 1 degree of freedom: 2 (1 - Phi(sqrt x)) = erfc(sqrt(x / 2))."""
    return math.erfc(math.sqrt(x / 2)) if x > 0 else 1.0


def needed_n(p: float, half: float) -> float:
    """The (real) test-set size whose 95 % half-width 1.96 sqrt(p(1-p)/n) is ``half``."""
    return Z95 ** 2 * p * (1 - p) / half ** 2


class SignificanceGivens(Givens):
    n11: int = Field(ge=0, le=1_000_000, description="test images both classifiers get right")
    n10: int = Field(ge=0, le=1_000_000, description="A right, B wrong")
    n01: int = Field(ge=0, le=1_000_000, description="A wrong, B right")
    n00: int = Field(ge=0, le=1_000_000, description="both wrong")
    continuity: bool = Field(description="McNemar's statistic with the continuity correction (|b - c| - 1)^2")
    half_width: float = Field(gt=0, le=0.5, description="the wanted half-width of the 95 % interval")

    @model_validator(mode="after")
    def _valid(self):
        n = self.n11 + self.n10 + self.n01 + self.n00
        k = self.n11 + self.n10
        if k == 0 or k == n:
            raise ValueError("classifier A must be neither always right nor always wrong "
                             "(the standard error would be 0)")
        if self.n10 == self.n01:
            raise ValueError("the discordant counts n10 and n01 must differ (McNemar's statistic would be 0)")
        if self.n11 + self.n00 == 0:
            raise ValueError("some test images must be classified alike by both classifiers")
        return self


@generator(id="significance", topic="beyond", goal="15.3", version=1,
           title="Statistical significance: confidence interval, McNemar's test, test-set size")
class Significance(Generator):
    """Accuracy, standard error and 95 % interval of one classifier; McNemar's test of two on the same
    test set; the test-set size for a wanted half-width."""

    Givens = SignificanceGivens

    def draw(self, rng):
        while True:
            if rng.random() < 0.6:
                acc, n = quick_pick(rng, NICE)
            else:
                n = quick_pick(rng, (120, 150, 200, 250, 300, 400, 500, 800, 1000))
                acc = quick_int(rng, int(0.6 * n), int(0.97 * n)) / n
            k = round(acc * n)
            b, c = quick_int(rng, 2, 40), quick_int(rng, 2, 40)
            if b + c < 10 or abs(b - c) < 2 or b > k or c > n - k - 1:
                continue
            corrected = rng.random() < 0.5
            stat = mcnemar(b, c, corrected)
            if 3.3 < stat < 4.5 or not 0.2 < stat < 12:
                continue  # a clear decision at the 5 % level, and a p-value that shows in 3 decimals
            if abs(mcnemar(b, c, not corrected) - stat) < 0.002:
                continue
            half = quick_pick(rng, (0.01, 0.02, 0.025, 0.03, 0.05))
            need = needed_n(k / n, half)
            if not 0.02 < need - math.floor(need) < 0.98 or need < 10:
                continue  # no doubt about rounding up
            return SignificanceGivens(n11=k - b, n10=b, n01=c, n00=n - k - c, continuity=corrected,
                                      half_width=half)

    def stem(self, g):
        n = g.n11 + g.n10 + g.n01 + g.n00
        stat = ("with the continuity correction:\n\n"
                r"$$\chi^2 = \frac{\left(|n_{10} - n_{01}| - 1\right)^2}{n_{10} + n_{01}}$$" if g.continuity else
                "without continuity correction:\n\n"
                r"$$\chi^2 = \frac{\left(n_{10} - n_{01}\right)^2}{n_{10} + n_{01}}$$")
        return (
            f"Two image classifiers A and B are evaluated on the same test set of $n = {n}$ images:"
            "\n\n"
            f"- both are right on $n_{{11}} = {g.n11}$ images\n"
            f"- A is right and B wrong on $n_{{10}} = {g.n10}$ images\n"
            f"- A is wrong and B right on $n_{{01}} = {g.n01}$ images\n"
            f"- both are wrong on $n_{{00}} = {g.n00}$ images"
            "\n\n"
            r"For the accuracy $\hat p$ of A use the normal approximation: standard error "
            r"$SE = \sqrt{\hat p(1-\hat p)/n}$ and the 95 % confidence interval $\hat p \pm 1.96\,SE$. "
            "To test whether A and B differ, use McNemar's test " + stat + "\n\n"
            r"Under $H_0$ (no difference) it follows a $\chi^2$ distribution with 1 degree of freedom: "
            r"the p-value is $P(\chi^2_1 \ge \chi^2) = 2\left(1 - \Phi(\sqrt{\chi^2})\right)$ with $\Phi$ the "
            r"standard normal distribution function, and the 5 % critical value is "
            f"${num(CRITICAL)}$. A calculator may be used. Give the accuracy, the standard error and the "
            "interval to 4 decimals, the statistic and the p-value to 3 decimals."
        )

    def solve(self, s: Steps, g: SignificanceGivens):
        n = g.n11 + g.n10 + g.n01 + g.n00
        s.part("How many test images does A classify correctly, and what is its accuracy $\\hat p$?")
        k = s.step("correct", g.n11 + g.n10, r"k = n_{11} + n_{10}", lambda: f"{g.n11} + {g.n10}",
                   label="images A gets right")
        p = s.step("acc", k / n, r"\hat p = \frac{k}{n}", lambda: rf"\frac{{{k}}}{{{n}}}", label=r"$\hat p$",
                   tol=FOUR)

        s.part(r"Compute the standard error of $\hat p$, the half-width $1.96\,SE$ and the 95 % "
               "confidence interval.")
        var = p * (1 - p)
        # dividing by n - 1 is only a visible mistake when it changes SE in its 4th decimal
        visible = var > 0 and math.sqrt(var / (n - 1)) - math.sqrt(var / n) > 1.5e-4
        if visible and s.mistake("se_n_minus_1", "divided by n - 1; the standard error of a proportion is "
                                                 "sqrt(p(1-p)/n)"):
            se = math.sqrt(var / (n - 1))
        elif s.mistake("se_no_sqrt", "left out the square root: p(1-p)/n is the variance, SE its root"):
            se = var / n
        else:
            se = math.sqrt(var / n) if var >= 0 else math.nan
        se = s.step("se", se, r"SE = \sqrt{\frac{\hat p (1 - \hat p)}{n}}",
                    lambda: rf"\sqrt{{\frac{{{num(p)} \cdot {num(1 - p)}}}{{{n}}}}}", label="$SE$", tol=FOUR)
        z = 1.0 if s.mistake("se_as_half_width", "used plus-minus one SE (about a 68 % interval); the 95 % "
                                                 "interval is plus-minus 1.96 SE") else Z95
        half = s.step("half", z * se, r"1.96\,SE", lambda: rf"1.96 \cdot {num(se)}", label="half-width",
                      tol=FOUR)
        s.step("lower", p - half, r"\hat p - 1.96\,SE", lambda: rf"{num(p)} - {num(half)}", label="lower end",
               tol=FOUR, answer=True)
        s.step("upper", p + half, r"\hat p + 1.96\,SE", lambda: rf"{num(p)} + {num(half)}", label="upper end",
               tol=FOUR, answer=True)

        s.part(r"How many test images $n$ would be needed for a 95 % interval of half-width at most "
               f"${num(g.half_width)}$, for an accuracy like $\\hat p$? (Round up to a whole number.)")
        E = g.half_width
        need = needed_n(p, E)
        if s.mistake("n_not_squared", "solved 1.96 sqrt(p(1-p)/n) = E for n without squaring: "
                                      "n = 1.96^2 p(1-p) / E^2"):
            need = Z95 * math.sqrt(max(p * (1 - p), 0.0)) / E
        if s.mistake("n_rounded_down", "rounded down; a smaller n gives a wider interval, so round up"):
            whole = math.floor(need)
        else:
            whole = math.ceil(need)
        s.step("n_needed", int(whole) if math.isfinite(whole) else 0,
               r"n = \left\lceil \frac{1.96^2\,\hat p (1 - \hat p)}{E^2} \right\rceil",
               lambda: rf"\left\lceil \frac{{3.8416 \cdot {num(p)} \cdot {num(1 - p)}}}{{{num(E)}^2}} \right\rceil "
                       rf"= \lceil {num(need)} \rceil", label="test images needed")

        s.part("McNemar's test: compute the statistic and its p-value. Is the difference between A "
               "and B significant at the 5 % level?")
        b, c = g.n10, g.n01
        corrected = g.continuity
        if s.mistake("continuity_mixup", "applied the continuity correction the other way round than the "
                                         "question states"):
            corrected = not corrected
        if s.mistake("concordant_counts", "used the concordant counts n11 and n00; McNemar's test uses only "
                                          "the images the classifiers disagree on, n10 and n01"):
            b, c = g.n11, g.n00
        stat = s.step("stat", mcnemar(b, c, corrected),
                      (r"\chi^2 = \frac{\left(|n_{10} - n_{01}| - 1\right)^2}{n_{10} + n_{01}}" if g.continuity
                       else r"\chi^2 = \frac{\left(n_{10} - n_{01}\right)^2}{n_{10} + n_{01}}"),
                      lambda: (rf"\frac{{\left(|{g.n10} - {g.n01}| - 1\right)^2}}{{{g.n10} + {g.n01}}}" if g.continuity
                               else rf"\frac{{\left({g.n10} - {g.n01}\right)^2}}{{{g.n10} + {g.n01}}}"),
                      label=r"$\chi^2$")
        pv = chi2_1_sf(stat)
        if s.mistake("p_value_halved", "took the one-sided normal tail 1 - Phi(sqrt(chi^2)); the chi^2 "
                                       "tail is twice that"):
            pv /= 2
        pv = s.step("p_value", pv, r"p = P(\chi^2_1 \ge \chi^2) = 2\left(1 - \Phi\left(\sqrt{\chi^2}\right)\right)",
                    lambda: rf"2\left(1 - \Phi\left(\sqrt{{{num(stat)}}}\right)\right)", label="p-value",
                    answer=True)
        lt, gt = ("<", ">") if pv < 0.05 else (r"\ge", r"\le")
        s.step("significant", "yes" if pv < 0.05 else "no", None,
               lambda: rf"p = {num(pv)} {lt} 0.05,\ \text{{so significant:}}",
               label="significant at 5 %", options=["yes", "no"], answer=True)
