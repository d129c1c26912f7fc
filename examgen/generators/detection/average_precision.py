"""Precision, recall, average precision and mAP of ranked detections."""

from itertools import accumulate
from typing import Literal

from pydantic import Field, model_validator

from ...fmt import num
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import Draws
from .._mistakes import PRECISION_RECALL_SWAPPED
from ._tables import _floats, _table

Interpolation = Literal["all-point", "11-point"]
CLASS_NAMES = ("car", "person", "dog", "bicycle", "cat", "bus", "bird", "boat")


class AveragePrecisionGivens(Givens):
    classes: list[str] = Field(min_length=2, max_length=3, description="class names")
    hits: list[list[int]] = Field(min_length=2, max_length=3,
                                  description="per class, the ranked detections: 1 = true positive, 0 = false "
                                              "positive, in order of decreasing score")
    scores: list[list[float]] = Field(min_length=2, max_length=3,
                                      description="per class, the detections' scores (non-increasing)")
    n_gt: list[int] = Field(min_length=2, max_length=3, description="per class, the number of ground-truth objects")
    interpolation: Interpolation = Field(description="all-point (VOC 2010+) or 11-point (VOC 2007)")

    @model_validator(mode="after")
    def _consistent(self):
        c = len(self.classes)
        if not (len(self.hits) == len(self.scores) == len(self.n_gt) == c):
            raise ValueError("classes, hits, scores and n_gt need one entry per class")
        for name, h, sc, n in zip(self.classes, self.hits, self.scores, self.n_gt):
            if not 1 <= len(h) <= 30 or len(sc) != len(h):
                raise ValueError(f"class {name!r}: give 1-30 detections, each with a score and a hit")
            if any(v not in (0, 1) for v in h):
                raise ValueError(f"class {name!r}: hits must be 1 (true positive) or 0 (false positive)")
            if any(a < b for a, b in zip(sc, sc[1:])):
                raise ValueError(f"class {name!r}: the detections must be ranked by decreasing score")
            if not sum(h) <= n <= 1000 or n < 1:
                raise ValueError(f"class {name!r}: n_gt must be at least 1 and at least the number of true "
                                 "positives")
        return self


def _pr(hits, n_gt) -> tuple[list[float], list[float]]:
    """Precision and recall after each rank."""
    prec, rec, tp = [], [], 0
    for k, h in enumerate(hits, 1):
        tp += h
        prec.append(tp / k)
        rec.append(tp / n_gt)
    return prec, rec


def _envelope(prec) -> list[float]:
    """The interpolated precision at each rank: the best precision at this or any later rank."""
    out = [float(p) for p in prec]
    for i in range(len(out) - 2, -1, -1):
        out[i] = max(out[i], out[i + 1])
    return out


_LEVELS = tuple(j / 10 - 1e-9 for j in range(11))


def _eleven(prec, rec, interpolate: bool = True) -> list[float]:
    """p_interp(r) at r = 0, 0.1, ..., 1: the best precision at recall >= r (0 if never reached);
    without interpolation (a mistake), the precision where the recall first reaches r."""
    pairs = list(zip(rec, prec))
    out = []
    for level in _LEVELS:
        reached = [p for r, p in pairs if r >= level]
        out.append(float(max(reached) if interpolate else reached[0]) if reached else 0.0)
    return out


@generator(id="average_precision", topic="detection", goal="09.7", version=2,
           title="Precision, recall, average precision and mAP of ranked detections")
class AveragePrecision(Generator):
    """Ranked detections of two (or three) classes: precision and recall at each rank, the
    interpolated precision (all-point or 11-point), AP per class and mAP."""

    Givens = AveragePrecisionGivens

    def draw(self, rng):
        r = Draws(rng)
        interp = r.pick(("all-point", "all-point", "11-point"))
        names = r.sample(CLASS_NAMES, 2)
        while True:
            classes = [self._draw_class(r) for _ in names]
            for h, n in classes:  # interpolation must change the AP of at least one class
                p, rc = _pr(h, n)
                if (any(e - q > 1e-9 for e, q, v in zip(_envelope(p), p, h) if v) if interp == "all-point"
                        else _eleven(p, rc) != _eleven(p, rc, False)):
                    scores = []
                    for h, _ in classes:  # distinct scores, decreasing
                        sc = [r.int(90, 100)]
                        for _ in h[1:]:
                            sc.append(sc[-1] - r.int(1, 15))
                        scores.append([v / 100 for v in sc])
                    return AveragePrecisionGivens.model_construct(
                        classes=names, hits=[h for h, _ in classes], scores=scores,
                        n_gt=[n for _, n in classes], interpolation=interp)

    @staticmethod
    def _draw_class(r: Draws) -> tuple[list[int], int]:
        """Ranked hits with 2 .. k-2 true positives and a false positive before the last one (else
        AP = 1), and the number of ground-truth objects (some may never be found)."""
        while True:
            k = r.pick((5, 5, 6))
            h = [0] * k
            for i in r.sample(range(k), r.int(2, k - 1)):
                h[i] = 1
            if h.index(0) < k - 1 - h[::-1].index(1):
                return h, sum(h) + r.pick((0, 1, 1, 2))

    def stem(self, g):
        tables = []
        for name, h, sc, n in zip(g.classes, g.hits, g.scores, g.n_gt):
            tables.append(f"Class \"{name}\": {n} ground-truth objects, {len(h)} detections.\n\n" + _table(
                [("rank k", [str(i) for i in range(1, len(h) + 1)]),
                 ("score", [f"{x:.2f}" for x in sc]),
                 ("TP/FP", ["TP" if v else "FP" for v in h])]))
        if g.interpolation == "all-point":
            interp = (
                "Use all-point interpolation (as in PASCAL VOC from 2010): the interpolated precision at "
                r"rank $k$ is the best precision at this or any later rank, $\hat p_k = \max_{k' \ge k} p_{k'}$, "
                "and AP is the area under the interpolated precision-recall curve,\n\n"
                r"$$\mathrm{AP} = \sum_{k=1}^{K} (r_k - r_{k-1})\, \hat p_k, \qquad r_0 = 0.$$")
        else:
            interp = (
                "Use 11-point interpolation (as in PASCAL VOC 2007): at each recall level "
                r"$r \in \{0, 0.1, \dots, 1\}$ the interpolated precision is the best precision at any rank "
                r"whose recall is at least $r$, $\hat p(r) = \max_{k:\, r_k \ge r} p_k$ ($0$ if the recall "
                "never reaches $r$), and\n\n"
                r"$$\mathrm{AP} = \frac{1}{11} \sum_{r \in \{0, 0.1, \dots, 1\}} \hat p(r).$$")
        return (
            "An object detector is evaluated on a test set. For each class, its detections are ranked by "
            "decreasing score and each is marked a true positive (TP: it matches a ground-truth object "
            "not matched before, with IoU at least 0.5) or a false positive (FP).\n\n"
            + "\n\n".join(tables) + "\n\n"
            r"After the top $k$ detections of a class, the precision is $p_k = TP_k / k$ and the recall "
            r"is $r_k = TP_k / N_{GT}$, where $TP_k$ counts the true positives among them and $N_{GT}$ is "
            "the number of ground-truth objects of the class. " + interp + "\n\n"
            "The mean average precision (mAP) is the mean of the classes' APs. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: AveragePrecisionGivens):
        eleven = g.interpolation == "11-point"
        aps = []
        for c, (name, h, n) in enumerate(zip(g.classes, g.hits, g.n_gt), 1):
            k = len(h)
            tp = list(accumulate(h))
            interp_what = r"$\hat p(r)$ at $r = 0, 0.1, \dots, 1$" if eleven else r"$\hat p_k$ at every rank"
            s.part(lambda: f"Class \"{name}\": compute the precision $p_k$ and the recall "
                           f"$r_k$ at every rank $k = 1, \\dots, {k}$, the interpolated "
                           f"precision {interp_what}, and the AP of the class.")
            prec_v, rec_v = [t_ / i for i, t_ in enumerate(tp, 1)], [t_ / n for t_ in tp]
            if s.mistake(PRECISION_RECALL_SWAPPED):
                prec_v, rec_v = rec_v, prec_v
            prec = s.step(f"prec{c}", prec_v, r"p_k = \frac{TP_k}{k}",
                          lambda: r",\ ".join(rf"\tfrac{{{t_}}}{{{i}}}" for i, t_ in enumerate(tp, 1)),
                          label=f"$p_k$ ({name})")
            if tp[-1] != n and s.mistake(
                    "recall_over_found", "divided by the number of true positives found; recall divides by "
                                         "all ground-truth objects, including the ones never detected"):
                rec_v = [t_ / tp[-1] for t_ in tp]
            rec = s.step(f"rec{c}", rec_v, r"r_k = \frac{TP_k}{N_{GT}}",
                         lambda: r",\ ".join(rf"\tfrac{{{t_}}}{{{n}}}" for t_ in tp),
                         label=f"$r_k$ ({name})")
            prec, rec = _floats(prec), _floats(rec)
            no_interp = s.mistake("ap_no_interpolation",
                                  "used the raw precision; the interpolated precision is the best precision "
                                  "at the same or a higher recall (a later rank)")
            if eleven:
                pint = s.step(f"pint{c}", _eleven(prec, rec, not no_interp),
                              r"\hat p(r) = \max_{k:\, r_k \ge r} p_k", lambda: self._eleven_work(rec),
                              label=rf"$\hat p(r)$ ({name})")
                pint = _floats(pint)
                ap = s.step(f"ap{c}", sum(pint) / 11, r"\mathrm{AP} = \frac{1}{11} \sum_r \hat p(r)",
                            lambda: r"\frac{1}{11}(" + " + ".join(num(x) for x in pint) + ")",
                            label=f"AP ({name})", answer=True)
            else:
                pint = s.step(f"pint{c}", prec if no_interp else _envelope(prec),
                              r"\hat p_k = \max(p_k, \hat p_{k+1})",
                              lambda: self._envelope_work(prec), label=rf"$\hat p_k$ ({name})")
                pint = _floats(pint)
                prev = [0.0] + rec[:-1]
                ap = s.step(f"ap{c}", sum((r - r0) * q for r, r0, q in zip(rec, prev, pint)),
                            r"\mathrm{AP} = \sum_k (r_k - r_{k-1})\, \hat p_k",
                            lambda: self._all_point_work(rec, pint), label=f"AP ({name})", answer=True)
            aps.append(ap)

        s.part("Compute the mean average precision (mAP) over the classes.")
        s.step("map", float(sum(aps)) / len(aps), r"\mathrm{mAP} = \frac{1}{C} \sum_c \mathrm{AP}_c",
               lambda: rf"\frac{{1}}{{{len(aps)}}}(" + " + ".join(num(a) for a in aps) + ")", label="mAP")

    @staticmethod
    def _envelope_work(prec):
        """From the last rank backwards: max(p_k, p_hat_{k+1})."""
        env = _envelope(prec)
        terms = [rf"\max({num(p, 3)}, {num(q, 3)})" for p, q in zip(prec[:-1], env[1:])]
        return r",\ ".join(terms + [num(prec[-1], 3)])

    @staticmethod
    def _all_point_work(rec, pint):
        prev = [0.0] + rec[:-1]
        terms = [rf"({num(r, 3)} - {num(r0, 3)}) \cdot {num(q, 3)}"
                 for r, r0, q in zip(rec, prev, pint) if abs(r - r0) > 1e-12]
        return " + ".join(terms) if terms else "0"

    @staticmethod
    def _eleven_work(rec):
        """Levels grouped by the first rank that reaches them: p(0, ..., 0.3) = max_{k >= 1} p_k, ..."""
        groups: dict[int, list[int]] = {}
        for j in range(11):
            first = next((i for i, r in enumerate(rec, 1) if r >= j / 10 - 1e-9), 0)
            groups.setdefault(first, []).append(j)
        out = []
        for first, js in groups.items():
            r = num(js[0] / 10) if len(js) == 1 else rf"{num(js[0] / 10)}, \dots, {num(js[-1] / 10)}"
            value = rf"\max_{{k \ge {first}}} p_k" if first else "0"
            out.append(rf"\hat p({r}) = {value}")
        return r",\ ".join(out)
