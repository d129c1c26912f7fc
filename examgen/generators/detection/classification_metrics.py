"""Sensitivity, specificity, precision, accuracy, balanced accuracy and F1."""

from pydantic import Field, model_validator

from ...fmt import num
from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import Draws
from .._mistakes import PRECISION_RECALL_SWAPPED
from ._tables import _table


class ClassificationMetricsGivens(Givens):
    tp: int | None = Field(None, ge=0, le=1_000_000, description="true positives (confusion-matrix form)")
    fp: int | None = Field(None, ge=0, le=1_000_000, description="false positives")
    fn: int | None = Field(None, ge=0, le=1_000_000, description="false negatives")
    tn: int | None = Field(None, ge=0, le=1_000_000, description="true negatives")
    scores: list[float] | None = Field(None, min_length=2, max_length=30,
                                       description="predicted probability of the positive class, per example")
    labels: list[int] | None = Field(None, min_length=2, max_length=30, description="true labels, 1 = positive")
    threshold: float | None = Field(None, gt=0, le=1, description="predict positive when score >= threshold")

    @model_validator(mode="after")
    def _one_form(self):
        counts = (self.tp, self.fp, self.fn, self.tn)
        raw = (self.scores, self.labels, self.threshold)
        if all(c is not None for c in counts) and all(r is None for r in raw):
            pass
        elif all(c is None for c in counts) and all(r is not None for r in raw):
            if len(self.scores) != len(self.labels):
                raise ValueError("scores and labels must have one entry per example")
            if any(y not in (0, 1) for y in self.labels):
                raise ValueError("labels must be 0 or 1")
            if any(not 0 <= x <= 1 for x in self.scores):
                raise ValueError("scores must lie in [0, 1]")
        else:
            raise ValueError("give either tp, fp, fn and tn, or scores, labels and threshold")
        tp, fp, fn, tn = self.counts()
        if tp < 1:
            raise ValueError("there must be at least one true positive (else precision and F1 are undefined)")
        if tn + fp < 1:
            raise ValueError("there must be at least one negative example")
        return self

    def counts(self, strict: bool = False) -> tuple[int, int, int, int]:
        """(TP, FP, FN, TN); ``strict`` predicts positive only above the threshold (a mistake)."""
        if self.tp is not None:
            return self.tp, self.fp, self.fn, self.tn
        return _count(self.scores, self.labels, self.threshold, strict)


def _count(scores, labels, t, strict=False):
    tp = fp = fn = tn = 0
    for x, y in zip(scores, labels):
        if x > t if strict else x >= t:
            tp, fp = tp + y, fp + 1 - y
        else:
            fn, tn = fn + y, tn + 1 - y
    return tp, fp, fn, tn


def _metrics(tp, fp, fn, tn):
    sens, spec = tp / (tp + fn), tn / (tn + fp)
    prec, acc = tp / (tp + fp), (tp + tn) / (tp + fp + fn + tn)
    return sens, spec, prec, acc, (sens + spec) / 2, 2 * prec * sens / (prec + sens)


def _metrics_distinct(tp, fp, fn, tn) -> bool:
    """Every named mistake gives a value different from the right one (by more than rounding)."""
    sens, spec, prec, acc, bal, f1 = _metrics(tp, fp, fn, tn)
    return (min(abs(sens - spec), abs(prec - sens), abs(bal - acc)) >= 0.01
            and abs(f1 - (prec + sens) / 2) >= 0.003 and sens >= 0.4 and spec >= 0.4)


@generator(id="classification_metrics", topic="detection", goal="09.1", version=2,
           title="Sensitivity, specificity, precision, accuracy, balanced accuracy and F1")
class ClassificationMetrics(Generator):
    """A binary classifier's confusion matrix (given, or counted from scores, labels and a
    threshold): the course's evaluation metrics."""

    Givens = ClassificationMetricsGivens

    def draw(self, rng):
        r = Draws(rng)
        if r.u() < 0.5:
            while True:
                p, n = r.pick((10, 20, 20, 25, 40, 50)), r.pick((50, 80, 100, 100, 150, 200))
                if r.u() < 0.2:
                    p, n = n, p
                tp, tn = r.int(1, p), r.int(1, n)
                if _metrics_distinct(tp, p - tp, n - tn, tn):
                    return ClassificationMetricsGivens.model_construct(tp=tp, fp=n - tn, fn=p - tp, tn=tn)
        while True:
            n = r.pick((10, 10, 12))
            npos = r.int(3, 6)
            labels = r.shuffle([1] * npos + [0] * (n - npos))
            t = r.pick((0.3, 0.4, 0.5, 0.5, 0.6, 0.7))
            used = set()
            scores = []
            for y in labels:
                while True:
                    k = r.int(20, 100) if y else r.int(1, 81)
                    if k not in used:
                        break
                used.add(k)
                scores.append(k / 100)
            if r.u() < 0.4 and round(t * 100) not in used:  # an image exactly at the threshold: ">=" matters
                scores[r.int(0, n)] = t
            tp, fp, fn, tn = _count(scores, labels, t)
            if min(tp, fp, fn, tn) >= 1 and _metrics_distinct(tp, fp, fn, tn):
                return ClassificationMetricsGivens.model_construct(scores=scores, labels=labels, threshold=t)

    def stem(self, g):
        if g.scores is None:
            intro = (
                "A classifier screens medical images for a disease (the positive class). On a test "
                "set it gives this confusion matrix:\n\n"
                + _table([("", ["predicted positive", "predicted negative"]),
                          ("actual positive", [str(g.tp), str(g.fn)]),
                          ("actual negative", [str(g.fp), str(g.tn)])])
                + "\n\n")
        else:
            n = len(g.scores)
            intro = (
                f"A classifier outputs, for each of {n} test images, a score: its estimated "
                "probability that the image shows the disease (the positive class, label 1). "
                f"An image is predicted positive when its score is at least the threshold "
                f"$t = {num(g.threshold)}$ (score $\\ge t$), and negative otherwise.\n\n"
                + _table([("image", [str(i) for i in range(1, n + 1)]),
                          ("score", [f"{x:.2f}" for x in g.scores]),
                          ("label", [str(y) for y in g.labels])])
                + "\n\n")
        return (
            intro + "Sensitivity is also called recall. Balanced accuracy is the mean of the recalls of the two "
            "classes, and the F1 score is the harmonic mean of precision and sensitivity:\n\n"
            r"$$\text{balanced accuracy} = \frac{1}{2}(\text{sensitivity} + \text{specificity}), \qquad "
            r"F_1 = \frac{2 \cdot \text{precision} \cdot \text{sensitivity}}{\text{precision} + \text{sensitivity}}$$"
            "\n\nGive answers to 3 decimals."
        )

    def solve(self, s: Steps, g: ClassificationMetricsGivens):
        if g.scores is not None:
            s.part("Count the true positives $TP$, false positives $FP$, false negatives "
                   "$FN$ and true negatives $TN$.")
            at_threshold = any(x == g.threshold for x in g.scores)
            strict = at_threshold and s.mistake(
                "threshold_strict", "predicted positive only above the threshold; an image whose score "
                                    "equals t is positive (score >= t)")
            tp, fp, fn, tn = g.counts(strict)
            if fp != fn and s.mistake("fp_fn_swapped", "swapped FP and FN: a false positive is a negative "
                                                       "image predicted positive"):
                fp, fn = fn, fp
            t = num(g.threshold)
            pos = [i for i, x in enumerate(g.scores, 1) if x >= g.threshold]
            neg = [i for i, x in enumerate(g.scores, 1) if x < g.threshold]

            def which(pred, label):
                idx = [i for i in (pos if pred else neg) if g.labels[i - 1] == label]
                return r"\text{images } " + ", ".join(map(str, idx)) if idx else r"\text{none}"

            tp = s.step("tp", tp, rf"TP = \#\{{s_i \ge {t},\ y_i = 1\}}", lambda: which(True, 1), label="$TP$")
            fp = s.step("fp", fp, rf"FP = \#\{{s_i \ge {t},\ y_i = 0\}}", lambda: which(True, 0), label="$FP$")
            fn = s.step("fn", fn, rf"FN = \#\{{s_i < {t},\ y_i = 1\}}", lambda: which(False, 1), label="$FN$")
            tn = s.step("tn", tn, rf"TN = \#\{{s_i < {t},\ y_i = 0\}}", lambda: which(False, 0), label="$TN$")
        else:
            tp, fp, fn, tn = g.tp, g.fp, g.fn, g.tn

        s.part("Compute the sensitivity, the specificity, the precision and the accuracy.")
        swap = s.mistake("sens_spec_swapped", "swapped sensitivity and specificity: sensitivity is the "
                                              "recall of the positives, TP / (TP + FN)")
        sens_v, spec_v = tp / (tp + fn), tn / (tn + fp)
        if swap:
            sens_v, spec_v = spec_v, sens_v
        sens = s.step("sensitivity", sens_v, r"\text{sensitivity} = \frac{TP}{TP + FN}",
                      lambda: rf"\frac{{{tp}}}{{{tp} + {fn}}}", label="sensitivity")
        spec = s.step("specificity", spec_v, r"\text{specificity} = \frac{TN}{TN + FP}",
                      lambda: rf"\frac{{{tn}}}{{{tn} + {fp}}}", label="specificity")
        if s.mistake(PRECISION_RECALL_SWAPPED):
            prec_v = tp / (tp + fn)
        else:
            prec_v = tp / (tp + fp)
        prec = s.step("precision", prec_v, r"\text{precision} = \frac{TP}{TP + FP}",
                      lambda: rf"\frac{{{tp}}}{{{tp} + {fp}}}", label="precision")
        acc = s.step("accuracy", (tp + tn) / (tp + fp + fn + tn),
                     r"\text{accuracy} = \frac{TP + TN}{TP + FP + FN + TN}",
                     lambda: rf"\frac{{{tp} + {tn}}}{{{tp} + {fp} + {fn} + {tn}}}", label="accuracy",
                     answer=True)

        s.part("Compute the balanced accuracy and the F1 score.")
        if s.mistake("balanced_as_accuracy", "gave the plain accuracy; balanced accuracy averages the "
                                             "sensitivity and the specificity, so each class counts equally"):
            bal_v = acc
        else:
            bal_v = (sens + spec) / 2
        s.step("balanced_accuracy", bal_v,
               r"\text{balanced accuracy} = \frac{1}{2}(\text{sensitivity} + \text{specificity})",
               lambda: rf"\frac{{1}}{{2}}({num(sens)} + {num(spec)})", label="balanced accuracy")
        if s.mistake("f1_arithmetic_mean", "took the arithmetic mean of precision and sensitivity; F1 is "
                                           "their harmonic mean"):
            f1 = (prec + sens) / 2
        else:
            f1 = 2 * prec * sens / (prec + sens)
        s.step("f1", f1, r"F_1 = \frac{2 \cdot \text{precision} \cdot \text{sensitivity}}"
                         r"{\text{precision} + \text{sensitivity}}",
               lambda: rf"\frac{{2 \cdot {num(prec)} \cdot {num(sens)}}}{{{num(prec)} + {num(sens)}}}",
               label="$F_1$", answer=True)
