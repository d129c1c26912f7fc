"""Lecture 09: segmentation and object detection (evaluation metrics, overlap, average precision,
the detection label vector and its loss, spatial upsampling)."""


from itertools import accumulate
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..fmt import matrix as mat, num, par, row
from ..registry import Generator, Givens, generator
from ..render.figures import boxes, grids, masks
from ..steps import Steps
from ._draw import Draws


LETTERS = "abcdefgh"


# Drawn givens are built with ``model_construct``: each draw is valid by construction, and skipping
# pydantic's validation (and the model validators' checks) saves a third of the generation time.
# tests/test_hand_detection_visualization.py checks that every drawn question's givens validate
# and round-trip unchanged.


def _table(rows: list[tuple[str, list[str]]]) -> str:
    """A small table as a code block (four-space indent): one label column, then the cells."""
    width = max([len(label) for label, _ in rows])
    cells = max([len(c) for _, cs in rows for c in cs])
    return "\n".join(["    " + label.ljust(width) + "  " + "  ".join([c.rjust(cells) for c in cs])
                      for label, cs in rows])


# ---------------------------------------------------------------------------------------------
# classification_metrics


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


@generator(id="classification_metrics", topic="detection", goal="09.1", version=1,
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
        parts = iter(LETTERS)
        if g.scores is not None:
            s.part(next(parts), "Count the true positives $TP$, false positives $FP$, false negatives "
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

        s.part(next(parts), "Compute the sensitivity, the specificity, the precision and the accuracy.")
        swap = s.mistake("sens_spec_swapped", "swapped sensitivity and specificity: sensitivity is the "
                                              "recall of the positives, TP / (TP + FN)")
        sens_v, spec_v = tp / (tp + fn), tn / (tn + fp)
        if swap:
            sens_v, spec_v = spec_v, sens_v
        sens = s.step("sensitivity", sens_v, r"\text{sensitivity} = \frac{TP}{TP + FN}",
                      lambda: rf"\frac{{{tp}}}{{{tp} + {fn}}}", label="sensitivity")
        spec = s.step("specificity", spec_v, r"\text{specificity} = \frac{TN}{TN + FP}",
                      lambda: rf"\frac{{{tn}}}{{{tn} + {fp}}}", label="specificity")
        if s.mistake("precision_recall_swapped", "computed the recall TP / (TP + FN) for the precision; "
                                                 "precision is TP / (TP + FP), the share of predicted "
                                                 "positives that are right"):
            prec_v = tp / (tp + fn)
        else:
            prec_v = tp / (tp + fp)
        prec = s.step("precision", prec_v, r"\text{precision} = \frac{TP}{TP + FP}",
                      lambda: rf"\frac{{{tp}}}{{{tp} + {fp}}}", label="precision")
        acc = s.step("accuracy", (tp + tn) / (tp + fp + fn + tn),
                     r"\text{accuracy} = \frac{TP + TN}{TP + FP + FN + TN}",
                     lambda: rf"\frac{{{tp} + {tn}}}{{{tp} + {fp} + {fn} + {tn}}}", label="accuracy",
                     answer=True)

        s.part(next(parts), "Compute the balanced accuracy and the F1 score.")
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


# ---------------------------------------------------------------------------------------------
# overlap_metrics

BoxFormat = Literal["corners", "centre", "pixels"]


class OverlapGivens(Givens):
    mask_a: list[list[int]] | None = Field(None, description="predicted binary mask (rows of 0/1)")
    mask_b: list[list[int]] | None = Field(None, description="ground-truth binary mask (rows of 0/1)")
    box_format: BoxFormat | None = Field(
        None, description="corners: (x1, y1, x2, y2) in continuous coordinates; centre: (xc, yc, w, h); "
                          "pixels: (x1, y1, x2, y2) as pixel indices, both ends included")
    box_a: list[float] | None = Field(None, min_length=4, max_length=4, description="predicted box")
    box_b: list[float] | None = Field(None, min_length=4, max_length=4, description="ground-truth box")

    @model_validator(mode="after")
    def _one_form(self):
        masks = self.mask_a is not None and self.mask_b is not None
        boxes = self.box_format is not None and self.box_a is not None and self.box_b is not None
        if masks == boxes or (masks and any(v is not None for v in (self.box_format, self.box_a, self.box_b))) \
                or (boxes and any(v is not None for v in (self.mask_a, self.mask_b))):
            raise ValueError("give either mask_a and mask_b, or box_format, box_a and box_b")
        if masks:
            a, b = self.mask_a, self.mask_b
            if not a or not a[0] or len(a) > 12 or len(a[0]) > 12:
                raise ValueError("masks must have 1-12 rows and 1-12 columns")
            if any(len(r) != len(a[0]) for r in a + b) or len(a) != len(b):
                raise ValueError("both masks must be rectangular and of the same size")
            if any(v not in (0, 1) for r in a + b for v in r):
                raise ValueError("mask entries must be 0 or 1")
            if not any(map(any, a)) or not any(map(any, b)):
                raise ValueError("each mask must contain at least one pixel")
        else:
            for name, box in (("box_a", self.box_a), ("box_b", self.box_b)):
                if any(abs(v) > 10_000 for v in box):
                    raise ValueError(f"{name}: coordinates must lie in [-10000, 10000]")
                if self.box_format == "centre":
                    if box[2] <= 0 or box[3] <= 0:
                        raise ValueError(f"{name}: width and height must be positive")
                elif self.box_format == "corners":
                    if box[2] <= box[0] or box[3] <= box[1]:
                        raise ValueError(f"{name}: need x1 < x2 and y1 < y2")
                else:
                    if any(v != int(v) for v in box):
                        raise ValueError(f"{name}: pixel indices must be whole numbers")
                    if box[2] < box[0] or box[3] < box[1]:
                        raise ValueError(f"{name}: need x1 <= x2 and y1 <= y2")
        return self


def _corners(box, fmt: str, centre_as_corner: bool = False):
    """(x1, y1, x2, y2) in continuous coordinates; pixel boxes keep their indices."""
    if fmt == "centre":
        xc, yc, w, h = box
        if centre_as_corner:
            return xc, yc, xc + w, yc + h
        return xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2
    return tuple(box)


@generator(id="overlap_metrics", topic="detection", goal="09.6", version=1,
           title="Intersection, union, Jaccard index (IoU) and Dice of two masks or boxes")
class OverlapMetrics(Generator):
    """Two binary masks or two axis-aligned boxes (corners, centre+size, or inclusive pixel
    indices): areas, intersection, union, IoU and Dice."""

    Givens = OverlapGivens

    def draw(self, rng):
        r = Draws(rng)
        if r.u() < 0.4:
            return self._draw_masks(r)
        fmt = r.pick(("corners", "centre", "pixels"))
        while True:
            boxes = []
            for _ in range(2):
                w, h = r.int(3, 9), r.int(3, 9)
                x1, y1 = r.int(0, 9), r.int(0, 9)
                if fmt == "centre":
                    w, h = 2 * (w // 2 + 1), 2 * (h // 2 + 1)
                    boxes.append([float(x1 + w // 2), float(y1 + h // 2), float(w), float(h)])
                elif fmt == "corners":
                    boxes.append([float(x1), float(y1), float(x1 + w), float(y1 + h)])
                else:
                    boxes.append([float(x1), float(y1), float(x1 + w - 1), float(y1 + h - 1)])
            a = _corners(boxes[0], fmt)
            b = _corners(boxes[1], fmt)
            ow = min(a[2], b[2]) - max(a[0], b[0])
            oh = min(a[3], b[3]) - max(a[1], b[1])
            contained = all(a[i] <= b[i] for i in (0, 1)) and all(a[i] >= b[i] for i in (2, 3)) or \
                all(b[i] <= a[i] for i in (0, 1)) and all(b[i] >= a[i] for i in (2, 3))
            if ow >= 1 and oh >= 1 and not contained:
                return OverlapGivens.model_construct(box_format=fmt, box_a=boxes[0], box_b=boxes[1])

    @staticmethod
    def _draw_masks(r: Draws):
        rows, cols = r.pick(((5, 5), (5, 6), (6, 6), (6, 5)))
        while True:
            ms = []
            for _ in range(2):
                m = [[0] * cols for _ in range(rows)]
                h, w = r.int(2, 5), r.int(2, 5)
                i0, j0 = r.int(0, rows - h + 1), r.int(0, cols - w + 1)
                for i in range(i0, i0 + h):
                    m[i][j0:j0 + w] = [1] * w
                for _ in range(r.int(0, 3)):  # a ragged edge, like a real segmentation
                    i, j = r.int(0, rows), r.int(0, cols)
                    m[i][j] ^= 1
                ms.append(m)
            a, b = ms
            sa, sb = sum(map(sum, a)), sum(map(sum, b))
            inter = sum(u & v for ra, rb in zip(a, b) for u, v in zip(ra, rb))
            if 2 <= inter < min(sa, sb) and sa <= 16 and sb <= 16:
                return OverlapGivens.model_construct(mask_a=a, mask_b=b)

    def figure(self, g):
        if g.mask_a is not None:
            return masks(g.mask_a, g.mask_b, names=("A (predicted)", "B (truth)"))
        a, b = g.box_a, g.box_b
        if g.box_format == "centre":  # the corners are what part (a) asks for: draw, do not label
            a = [a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2]
            b = [b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2]
        end = 1 if g.box_format == "pixels" else 0  # inclusive pixel indices cover one more pixel
        width = max(a[2], b[2]) + end + 1
        height = max(a[3], b[3]) + end + 1
        return boxes(width, height, [("A", a[0], a[1], a[2] + end, a[3] + end),
                                     ("B", b[0], b[1], b[2] + end, b[3] + end)],
                     corners=g.box_format == "corners", size=False)

    def stem(self, g):
        tail = (r"The Jaccard index is $J(A, B) = \mathrm{IoU} = \frac{|A ∩ B|}{|A ∪ B|}$ and the Dice "
                r"coefficient is $\mathrm{Dice}(A, B) = \frac{2|A ∩ B|}{|A| + |B|}$. ")
        if g.mask_a is not None:
            return (
                "A segmentation network predicts the binary mask $A$ of an object (1 = object pixel); "
                "the ground-truth mask is $B$. Each pixel counts as one unit of area.\n\n"
                f"$$A = {mat(g.mask_a)}, \\qquad B = {mat(g.mask_b)}$$\n\n" + tail + "Give IoU and Dice "
                "to 3 decimals."
            )
        fa, fb = row(g.box_a), row(g.box_b)
        if g.box_format == "corners":
            conv = ("Boxes are given by their corners $(x_1, y_1, x_2, y_2)$: top-left $(x_1, y_1)$ and "
                    "bottom-right $(x_2, y_2)$, in continuous image coordinates (pixel units, $x$ to the "
                    "right, $y$ down), so a box has width $x_2 - x_1$ and height $y_2 - y_1$.")
        elif g.box_format == "centre":
            conv = ("Boxes are given as centre and size $(x_c, y_c, w, h)$: the box spans "
                    r"$x_c \pm \frac{w}{2}$ horizontally and $y_c \pm \frac{h}{2}$ vertically, in continuous "
                    "image coordinates (pixel units, $x$ to the right, $y$ down).")
        else:
            conv = ("Boxes are given as pixel indices $(x_1, y_1, x_2, y_2)$: the box covers the pixel "
                    "columns $x_1$ to $x_2$ and the pixel rows $y_1$ to $y_2$, both ends included, and its "
                    "area is its number of pixels.")
        return (
            f"An object detector predicts the box $A = {fa}$ for an object whose ground-truth box is "
            f"$B = {fb}$. {conv}\n\n" + tail + "Give the areas exactly and IoU and Dice to 3 decimals."
        )

    def solve(self, s: Steps, g: OverlapGivens):
        s.part("a", ("Convert both boxes to corners $(x_1, y_1, x_2, y_2)$, then compute " if g.box_format == "centre"
                     else "Compute ") + "the areas $|A|$ and $|B|$ and the area of the intersection $|A ∩ B|$.")
        if g.mask_a is not None:
            a, b = np.array(g.mask_a), np.array(g.mask_b)
            area_a = s.step("area_a", int(a.sum()), r"|A| = \sum_{ij} A_{ij}", label="$|A|$")
            area_b = s.step("area_b", int(b.sum()), r"|B| = \sum_{ij} B_{ij}", label="$|B|$")
            inter = s.step("inter", int((a * b).sum()), r"|A ∩ B| = \sum_{ij} A_{ij} B_{ij}",
                           lambda: r"\#\{\text{pixels with } A_{ij} = B_{ij} = 1\}", label="$|A ∩ B|$",
                           answer=True)
        else:
            area_a, area_b, inter = self._boxes(s, g)

        s.part("b", "Compute the area of the union $|A ∪ B|$ and the Jaccard index (IoU).")
        if s.mistake("union_is_sum", "added the two areas; the intersection is then counted twice and "
                                     "must be subtracted once"):
            union = area_a + area_b
        else:
            union = area_a + area_b - inter
        union = s.step("union", union, r"|A ∪ B| = |A| + |B| - |A ∩ B|",
                       lambda: rf"{num(area_a)} + {num(area_b)} - {num(inter)}", label="$|A ∪ B|$")
        iou = s.step("iou", inter / union, r"\mathrm{IoU} = \frac{|A ∩ B|}{|A ∪ B|}",
                     lambda: rf"\frac{{{num(inter)}}}{{{num(union)}}}", label="IoU", answer=True)

        s.part("c", "Compute the Dice coefficient.")
        if s.mistake("dice_equals_iou", "gave the IoU; Dice counts the intersection twice over the sum of "
                                        "the areas, so Dice = 2 IoU / (1 + IoU) >= IoU"):
            dice = iou
        elif s.mistake("dice_missing_two", "left out the factor 2 in Dice = 2|A ∩ B| / (|A| + |B|)"):
            dice = inter / (area_a + area_b)
        else:
            dice = 2 * inter / (area_a + area_b)
        s.step("dice", dice, r"\mathrm{Dice} = \frac{2|A ∩ B|}{|A| + |B|}",
               lambda: rf"\frac{{2 \cdot {num(inter)}}}{{{num(area_a)} + {num(area_b)}}}", label="Dice")

    @staticmethod
    def _boxes(s: Steps, g: OverlapGivens):
        fmt = g.box_format
        pixels = fmt == "pixels"
        plus = 1.0
        if pixels and s.mistake("pixels_not_inclusive", "forgot that both end pixels belong to the box: "
                                                        "a box from column x1 to x2 is x2 - x1 + 1 pixels wide"):
            plus = 0.0
        extra = plus if pixels else 0.0
        one = " + 1" if pixels else ""
        if fmt == "centre":
            shift = s.mistake("centre_as_corner", "read (x_c, y_c) as the top-left corner; in this format it is "
                                                  "the box's centre")
            boxes = []
            for name, box in (("A", g.box_a), ("B", g.box_b)):
                xc, yc, w, h = box
                work = (lambda xc=xc, yc=yc, w=w, h=h:  # noqa: E731
                        rf"({num(xc)} - \tfrac{{{num(w)}}}{{2}},\ {num(yc)} - \tfrac{{{num(h)}}}{{2}},\ "
                        rf"{num(xc)} + \tfrac{{{num(w)}}}{{2}},\ {num(yc)} + \tfrac{{{num(h)}}}{{2}})")
                boxes.append(_floats(s.step(
                    f"corners_{name.lower()}", _corners(box, fmt, shift),
                    rf"(x_1^{name}, y_1^{name}, x_2^{name}, y_2^{name}) = (x_c - \tfrac{{w}}{{2}},\ "
                    rf"y_c - \tfrac{{h}}{{2}},\ x_c + \tfrac{{w}}{{2}},\ y_c + \tfrac{{h}}{{2}})",
                    work, label=f"corners of ${name}$")))
            a, b = boxes
            wa, ha, wb, hb = g.box_a[2], g.box_a[3], g.box_b[2], g.box_b[3]
            fa, fb = r"|A| = w_A h_A", r"|B| = w_B h_B"
            wka = lambda: rf"{num(wa)} \cdot {num(ha)}"  # noqa: E731
            wkb = lambda: rf"{num(wb)} \cdot {num(hb)}"  # noqa: E731
        else:
            a = _corners(g.box_a, fmt)
            b = _corners(g.box_b, fmt)
            wa, ha = a[2] - a[0] + extra, a[3] - a[1] + extra
            wb, hb = b[2] - b[0] + extra, b[3] - b[1] + extra
            fa = rf"|A| = (x_2^A - x_1^A{one})(y_2^A - y_1^A{one})"
            fb = rf"|B| = (x_2^B - x_1^B{one})(y_2^B - y_1^B{one})"
            wka = lambda: rf"({num(a[2])} - {par(a[0])}{one})({num(a[3])} - {par(a[1])}{one})"  # noqa: E731
            wkb = lambda: rf"({num(b[2])} - {par(b[0])}{one})({num(b[3])} - {par(b[1])}{one})"  # noqa: E731
        area_a = s.step("area_a", float(wa * ha), fa, wka, label="$|A|$")
        area_b = s.step("area_b", float(wb * hb), fb, wkb, label="$|B|$")
        lo_x, hi_x, lo_y, hi_y = max(a[0], b[0]), min(a[2], b[2]), max(a[1], b[1]), min(a[3], b[3])
        iw = s.step("inter_w", float(max(0.0, hi_x - lo_x + extra)),
                    rf"w_{{A ∩ B}} = \max(0,\ \min(x_2^A, x_2^B) - \max(x_1^A, x_1^B){one})",
                    lambda: rf"\max(0,\ {num(hi_x)} - {par(lo_x)}{one})", label=r"$w_{A ∩ B}$")
        ih = s.step("inter_h", float(max(0.0, hi_y - lo_y + extra)),
                    rf"h_{{A ∩ B}} = \max(0,\ \min(y_2^A, y_2^B) - \max(y_1^A, y_1^B){one})",
                    lambda: rf"\max(0,\ {num(hi_y)} - {par(lo_y)}{one})", label=r"$h_{A ∩ B}$")
        inter = s.step("inter", iw * ih, r"|A ∩ B| = w_{A ∩ B} \, h_{A ∩ B}",
                       lambda: rf"{num(iw)} \cdot {num(ih)}", label="$|A ∩ B|$", answer=True)
        return area_a, area_b, inter


# ---------------------------------------------------------------------------------------------
# average_precision

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


def _floats(a) -> list[float]:
    """A step's value (an array, maybe a student's) as a list of floats."""
    return a.tolist() if isinstance(a, np.ndarray) else [float(v) for v in a]


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


@generator(id="average_precision", topic="detection", goal="09.7", version=1,
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
            s.part(LETTERS[c - 1], lambda: f"Class \"{name}\": compute the precision $p_k$ and the recall "
                                           f"$r_k$ at every rank $k = 1, \\dots, {k}$, the interpolated "
                                           f"precision {interp_what}, and the AP of the class.")
            prec_v, rec_v = [t_ / i for i, t_ in enumerate(tp, 1)], [t_ / n for t_ in tp]
            if s.mistake("precision_recall_swapped", "swapped precision and recall: precision divides by "
                                                     "the number of detections so far (k), recall by the "
                                                     "number of ground-truth objects"):
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

        s.part(LETTERS[len(g.classes)], "Compute the mean average precision (mAP) over the classes.")
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


# ---------------------------------------------------------------------------------------------
# detection_label

OBJECT_CLASSES = (("pedestrian", "car", "motorcycle"), ("pedestrian", "car", "motorcycle", "bicycle"),
                  ("cat", "dog", "horse"), ("person", "car", "bus", "truck"))


class DetectionLabelGivens(Givens):
    width: int = Field(ge=1, le=10_000, description="image width W in pixels")
    height: int = Field(ge=1, le=10_000, description="image height H in pixels")
    classes: list[str] = Field(min_length=2, max_length=6, description="the K class names, in label order")
    obj_class: int = Field(ge=0, description="index of the object's class in classes (from 0)")
    box: list[float] = Field(min_length=4, max_length=4,
                             description="the object's box (x_min, y_min, x_max, y_max) in pixels")
    pred: list[float] = Field(description="the network's output for the image with the object (5 + K values)")
    pred_empty: list[float] = Field(description="the network's output for an image without an object (5 + K values)")

    @model_validator(mode="after")
    def _consistent(self):
        k = len(self.classes)
        if self.obj_class >= k:
            raise ValueError(f"obj_class must be a class index below {k}")
        x0, y0, x1, y1 = self.box
        if not (0 <= x0 < x1 <= self.width and 0 <= y0 < y1 <= self.height):
            raise ValueError("the box must have x_min < x_max and y_min < y_max and lie inside the image")
        for name in ("pred", "pred_empty"):
            v = getattr(self, name)
            if len(v) != 5 + k:
                raise ValueError(f"{name} must have 5 + K = {5 + k} values")
            if any(abs(x) > 100 for x in v):
                raise ValueError(f"{name} values must lie in [-100, 100]")
        return self


@generator(id="detection_label", topic="detection", goal="09.8", version=1,
           title="The object-detection label vector and its multi-task loss")
class DetectionLabel(Generator):
    """Classification with localisation: the label vector (p_c, b_x, b_y, b_h, b_w, c_1..c_K), the
    squared-error multi-task loss with and without an object, and decoding a predicted box."""

    Givens = DetectionLabelGivens

    def draw(self, rng):
        r = Draws(rng)
        classes = list(r.pick(OBJECT_CLASSES))
        k = len(classes)
        w, h = r.pick(((100, 100), (200, 100), (200, 200), (400, 200), (300, 200), (400, 300), (200, 150)))
        ux, uy = w // 50, h // 50  # grid units: b_x, b_y to 0.01 and b_w, b_h to 0.02
        while True:
            i0, j0 = r.int(0, 40), r.int(0, 40)
            i1, j1 = i0 + r.int(5, 26), j0 + r.int(5, 26)
            if i1 <= 50 and j1 <= 50 and i1 - i0 != j1 - j0:
                break
        box = [float(i0 * ux), float(j0 * uy), float(i1 * ux), float(j1 * uy)]
        c = r.int(0, k)
        truth = [(i0 + i1) / 100, (j0 + j1) / 100, (j1 - j0) / 50, (i1 - i0) / 50]
        noisy = [round(min(max(v + r.int(-10, 11) / 100, 0.0), 1.0), 2) for v in truth]
        cls = [r.int(0, 4) / 10 for _ in range(k)]
        cls[c] = r.int(5, 10) / 10
        pred = [r.int(6, 10) / 10] + noisy + cls
        empty = [r.int(1, 6) / 10] + [r.int(0, 101) / 100 for _ in range(4)] + [r.int(0, 6) / 10 for _ in range(k)]
        return DetectionLabelGivens.model_construct(width=w, height=h, classes=classes, obj_class=c, box=box,
                                                    pred=pred, pred_empty=empty)

    def figure(self, g):
        x1, y1, x2, y2 = g.box
        return boxes(g.width, g.height, [(g.classes[g.obj_class], x1, y1, x2, y2)])

    def stem(self, g):
        k = len(g.classes)
        names = ", ".join(f"$c_{i}$ = {n}" for i, n in enumerate(g.classes, 1))
        x0, y0, x1, y1 = (num(v) for v in g.box)
        return (
            f"A network for classification with localisation sees images of $W \\times H = {g.width} \\times "
            f"{g.height}$ pixels. Its label vector is\n\n"
            f"$$y = (p_c,\\ b_x,\\ b_y,\\ b_h,\\ b_w,\\ c_1, \\dots, c_{k})$$\n\n"
            "where $p_c = 1$ if there is an object (else 0); $(b_x, b_y)$ is the centre of the object's box "
            "and $b_h$, $b_w$ its height and width, all relative to the image: the top-left corner of the "
            "image is $(0, 0)$ and the bottom-right corner $(1, 1)$, so $b_x$ and $b_w$ are divided by $W$, "
            f"$b_y$ and $b_h$ by $H$; and $c_1, \\dots, c_{k}$ one-hot encode the class ({names}). "
            "The loss compares the network's output $\\hat y$ with $y$:\n\n"
            r"$$L(\hat y, y) = \begin{cases} \sum_{i=1}" + f"^{{{5 + k}}}"
            + r" (\hat y_i - y_i)^2 & \text{if } p_c = 1 \\ "
            r"(\hat y_1 - y_1)^2 & \text{if } p_c = 0 \end{cases}$$"
            "\n\n"
            f"Image 1 shows a {g.classes[g.obj_class]} in the box with top-left corner $({x0}, {y0})$ and "
            f"bottom-right corner $({x1}, {y1})$ in pixels ($x$ to the right, $y$ down). For it the network "
            f"outputs $\\hat y = {row(g.pred)}$. Image 2 contains no object, and the network outputs "
            f"$\\hat y = {row(g.pred_empty)}$. Give answers to 3 decimals."
        )

    def solve(self, s: Steps, g: DetectionLabelGivens):
        W, H = g.width, g.height
        x0, y0, x1, y1 = g.box
        k = len(g.classes)
        s.part("a", "Give $b_x$, $b_y$, $b_h$, $b_w$ and the label vector $y$ of image 1.")
        corner = s.mistake("corners_in_label", "used the box's top-left corner; b_x, b_y are the centre of "
                                               "the box")
        scale_w, scale_h = float(W), float(H)
        if s.mistake("not_normalised", "gave pixel values; b_x, b_y, b_h, b_w are relative to the image "
                                       "size (divided by W or H)"):
            scale_w = scale_h = 1.0
        bx = s.step("bx", (x0 if corner else (x0 + x1) / 2) / scale_w, r"b_x = \frac{x_{min} + x_{max}}{2W}",
                    lambda: rf"\frac{{{num(x0)} + {num(x1)}}}{{2 \cdot {W}}}", label="$b_x$")
        by = s.step("by", (y0 if corner else (y0 + y1) / 2) / scale_h, r"b_y = \frac{y_{min} + y_{max}}{2H}",
                    lambda: rf"\frac{{{num(y0)} + {num(y1)}}}{{2 \cdot {H}}}", label="$b_y$")
        bh = s.step("bh", (y1 - y0) / scale_h, r"b_h = \frac{y_{max} - y_{min}}{H}",
                    lambda: rf"\frac{{{num(y1)} - {num(y0)}}}{{{H}}}", label="$b_h$")
        bw = s.step("bw", (x1 - x0) / scale_w, r"b_w = \frac{x_{max} - x_{min}}{W}",
                    lambda: rf"\frac{{{num(x1)} - {num(x0)}}}{{{W}}}", label="$b_w$")
        onehot = [0.0] * k
        onehot[g.obj_class] = 1.0
        swap = s.mistake("h_w_swapped", "put the width before the height; the course's order is "
                                        "(b_x, b_y, b_h, b_w)")
        y = np.array([1.0, bx, by, bw, bh] + onehot if swap else [1.0, bx, by, bh, bw] + onehot)
        y = s.step("y", y, r"y = (1,\ b_x,\ b_y,\ b_h,\ b_w,\ c_1, \dots, c_K)",
                   label="$y$ (image 1)", answer=True)

        s.part("b", r"Compute the squared error $(\hat y_i - y_i)^2$ of every component and the loss "
                    r"$L(\hat y, y)$ of image 1.")
        yhat = np.array(g.pred)
        sq = s.step("sqerr", (yhat - y) ** 2, r"(\hat y_i - y_i)^2",
                    lambda: r",\ ".join(rf"({num(a)} - {par(b)})^2" for a, b in zip(yhat, y)),
                    label=r"$(\hat y_i - y_i)^2$")
        if s.mistake("mean_instead_of_sum", "averaged the squared errors; the loss is their sum"):
            loss = float(np.mean(sq))
        else:
            loss = float(np.sum(sq))
        s.step("loss_obj", loss, rf"L = \sum_{{i=1}}^{{{5 + k}}} (\hat y_i - y_i)^2",
               lambda: " + ".join(num(v) for v in sq), label="$L$ (image 1)", answer=True)

        s.part("c", "Compute the loss of image 2 (no object).")
        e = np.array(g.pred_empty)
        if s.mistake("box_terms_without_object", "included the box and class terms; without an object only "
                                                 "p_c is compared, the other components are 'don't care'"):
            loss0 = float(e[0] ** 2 + np.sum(e[1:] ** 2))
        else:
            loss0 = float(e[0] ** 2)
        s.step("loss_empty", loss0, r"L = (\hat y_1 - 0)^2", lambda: rf"({num(e[0])} - 0)^2",
               label="$L$ (image 2)")

        s.part("d", r"Decode the box predicted for image 1 into pixel corners "
                    r"$(x_{min}, y_{min}, x_{max}, y_{max})$.")
        pbx, pby, pbh, pbw = g.pred[1:5]
        if swap:
            pbh, pbw = pbw, pbh
        if corner:
            box = [pbx * scale_w, pby * scale_h, (pbx + pbw) * scale_w, (pby + pbh) * scale_h]
        else:
            box = [(pbx - pbw / 2) * scale_w, (pby - pbh / 2) * scale_h,
                   (pbx + pbw / 2) * scale_w, (pby + pbh / 2) * scale_h]
        s.step("pred_box", np.array(box),
               r"\left((\hat b_x - \tfrac{\hat b_w}{2}) W,\ (\hat b_y - \tfrac{\hat b_h}{2}) H,\ "
               r"(\hat b_x + \tfrac{\hat b_w}{2}) W,\ (\hat b_y + \tfrac{\hat b_h}{2}) H\right)",
               lambda: (rf"\left(({num(pbx)} - \tfrac{{{num(pbw)}}}{{2}}) \cdot {W},\ "
                        rf"({num(pby)} - \tfrac{{{num(pbh)}}}{{2}}) \cdot {H},\ "
                        rf"({num(pbx)} + \tfrac{{{num(pbw)}}}{{2}}) \cdot {W},\ "
                        rf"({num(pby)} + \tfrac{{{num(pbh)}}}{{2}}) \cdot {H}\right)"),
               label=r"predicted box in pixels")


# ---------------------------------------------------------------------------------------------
# upsampling

UpMethod = Literal["nearest", "bed_of_nails"]


class UpsamplingGivens(Givens):
    x: list[list[float]] = Field(min_length=2, max_length=8,
                                 description="the feature map before 2x2 max pooling (even height and width)")
    method: UpMethod = Field(description="the fixed 2x upsampling asked for: nearest or bed_of_nails")
    kernel: list[list[float]] = Field(min_length=1, max_length=4, description="the transposed convolution's kernel")
    stride: int = Field(ge=1, le=4)
    padding: int = Field(0, ge=0, le=3)

    @model_validator(mode="after")
    def _consistent(self):
        x = np.array(self.x, dtype=float) if all(len(r) == len(self.x[0]) for r in self.x) else None
        if x is None or x.shape[0] % 2 or x.shape[1] % 2 or x.shape[1] > 8 or not x.size:
            raise ValueError("x must be a rectangular map with an even number (2-8) of rows and columns")
        if np.abs(x).max() > 1000 or np.abs(self.kernel).max() > 1000:
            raise ValueError("values must lie in [-1000, 1000]")
        blocks = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).transpose(0, 2, 1, 3).reshape(-1, 4)
        if any(int((b == b.max()).sum()) > 1 for b in blocks):
            raise ValueError("every 2x2 pooling window needs a unique maximum (else the switch is ambiguous)")
        k = len(self.kernel)
        if any(len(r) != k for r in self.kernel):
            raise ValueError("the kernel must be square")
        n = min(x.shape) // 2
        if (n - 1) * self.stride - 2 * self.padding + k < 1:
            raise ValueError("the transposed convolution's padding leaves no output")
        return self


def _switches(x: np.ndarray) -> np.ndarray:
    """A 0/1 map with a 1 at the position of each 2x2 window's maximum."""
    h, w = x.shape
    blocks = x.reshape(h // 2, 2, w // 2, 2)
    m = (blocks == blocks.max(axis=(1, 3), keepdims=True)).astype(float)
    return m.reshape(h, w)


def _conv_transpose(p, k, stride, pad, summed: bool = True) -> np.ndarray:
    """Scatter each input value times the kernel into the output at offset stride*(i, j), then crop
    ``pad`` from every border; ``summed=False`` overwrites overlaps instead (a mistake)."""
    p, k = np.asarray(p, dtype=float), np.asarray(k, dtype=float)
    (h, w), n = p.shape, k.shape[0]
    full = np.zeros(((h - 1) * stride + n, (w - 1) * stride + n))
    for i in range(h):
        for j in range(w):
            view = full[i * stride:i * stride + n, j * stride:j * stride + n]
            if summed:
                view += p[i, j] * k
            else:
                view[...] = p[i, j] * k
    return full[pad:full.shape[0] - pad, pad:full.shape[1] - pad]


def _up_nearest(p) -> np.ndarray:
    return np.repeat(np.repeat(np.asarray(p, dtype=float), 2, axis=0), 2, axis=1)


def _up_nails(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    out = np.zeros((2 * p.shape[0], 2 * p.shape[1]))
    out[::2, ::2] = p
    return out


@generator(id="upsampling", topic="detection", goal="09.11", version=1,
           title="Unpooling and transposed convolution for segmentation")
class Upsampling(Generator):
    """A 4x4 map is max-pooled 2x2; the pooled map is upsampled by nearest neighbour or bed of
    nails, by max-unpooling with the remembered switches, and by a transposed convolution."""

    Givens = UpsamplingGivens

    def draw(self, rng):
        r = Draws(rng)
        while True:
            # four 2x2 windows of distinct digits with distinct maxima, at least two of them away from
            # the window's top-left corner (else max-unpooling looks like bed of nails)
            blocks = []
            for m in r.sample(range(3, 10), 4):
                b = r.sample(range(m), 3)
                b.insert(r.int(0, 4), m)
                blocks.append(b)
            if sum(b[0] == max(b) for b in blocks) <= 2:
                break
        x = [[0.0] * 4 for _ in range(4)]
        for n, b in enumerate(blocks):
            i, j = 2 * (n // 2), 2 * (n % 2)
            x[i][j], x[i][j + 1], x[i + 1][j], x[i + 1][j + 1] = map(float, b)
        k, stride, pad = r.pick(((3, 2, 0), (3, 2, 0), (3, 2, 1), (3, 1, 0), (3, 1, 1), (2, 1, 0), (2, 2, 0)))
        while True:
            kern = [[float(r.int(-1, 3)) for _ in range(k)] for _ in range(k)]
            flat = [v for rw in kern for v in rw]
            if sum(v != 0 for v in flat) >= k * k - 2 and flat != flat[::-1] and len(set(flat)) > 1:
                break
        return UpsamplingGivens.model_construct(x=x, method=r.pick(("nearest", "bed_of_nails")), kernel=kern,
                                                stride=stride, padding=pad)

    def figure(self, g):
        return grids([("X", g.x, 0), ("kernel K", g.kernel, 0)], ["  "],
                     label="the input map and the kernel")

    def stem(self, g):
        h, w = len(g.x), len(g.x[0])
        up = ("nearest-neighbour upsampling by 2 (each value is copied into its 2×2 block)"
              if g.method == "nearest" else
              "bed-of-nails upsampling by 2 (each value goes to the top-left position of its 2×2 block, "
              "the other three positions are 0)")
        return (
            "In an encoder-decoder network for semantic segmentation, the encoder max-pools the feature map\n\n"
            f"$$X = {mat(g.x)}$$\n\n"
            "with 2×2 windows and stride 2, and remembers the position of each window's maximum (the "
            "switches). The decoder upsamples the pooled map $P$ in several ways:\n\n"
            f"- {up};\n"
            "- max-unpooling: each value of $P$ goes back to the position its maximum came from in $X$ "
            "(its switch); all other positions are 0;\n"
            f"- a transposed convolution with the kernel $K = {mat(g.kernel)}$, stride {g.stride} and padding "
            f"{g.padding}: each input value $P_{{ij}}$ multiplies the whole kernel, which is added into the "
            f"output with its top-left corner at row {g.stride}i, column {g.stride}j (counting from 0); "
            "overlapping contributions are summed and the kernel is not flipped; "
            + (f"the padding removes {g.padding} row{'s' if g.padding > 1 else ''} and "
               f"column{'s' if g.padding > 1 else ''} at every border of the result"
               if g.padding else "with padding 0 nothing is removed from the result")
            + " (PyTorch's ConvTranspose2d, no output padding).\n\n"
            f"The input $X$ is {h}×{w}."
        )

    def solve(self, s: Steps, g: UpsamplingGivens):
        x = np.array(g.x, dtype=float)
        h, w = x.shape
        s.part("a", "Compute the max-pooled map $P$ (2×2 windows, stride 2).")
        blocks = x.reshape(h // 2, 2, w // 2, 2)
        p = s.step("pool", blocks.max(axis=(1, 3)), r"P_{ij} = \max_{a, b \in \{0, 1\}} X_{2i+a,\, 2j+b}",
                   label="$P$")

        nails = g.method == "bed_of_nails"
        name = "bed of nails" if nails else "nearest neighbour"
        s.part("b", f"Upsample $P$ by 2 with {name}.")
        if s.mistake("nearest_vs_bed_of_nails", "mixed up the two: nearest neighbour copies each value into "
                                                "its whole 2×2 block, bed of nails puts it in the top-left "
                                                "position and zeros elsewhere"):
            nails = not nails
        up = _up_nails(p) if nails else _up_nearest(p)
        s.step("up", up, r"U_{2i+a,\, 2j+b} = P_{ij}\,[a = b = 0]" if g.method == "bed_of_nails"
               else r"U_{2i+a,\, 2j+b} = P_{ij}", label=f"{name} output")

        s.part("c", "Max-unpool $P$ with the switches remembered from the pooling.")
        sw = _switches(x)
        if s.mistake("unpool_to_top_left", "put each value in the top-left corner of its window (bed of "
                                           "nails); max-unpooling puts it where the maximum was"):
            unpool = _up_nails(p)
        else:
            unpool = _up_nearest(p) * sw
        switches = [f"({2 * i + a}, {2 * j + b})" for i in range(h // 2) for j in range(w // 2)
                    for a in range(2) for b in range(2) if sw[2 * i + a, 2 * j + b]]
        s.step("unpool", unpool, r"\text{value } P_{ij} \text{ at the switch of window } (i, j)",
               lambda: r"\text{switches (row, column): } " + ", ".join(switches), label="max-unpooled map")

        k, st, pad = len(g.kernel), g.stride, g.padding
        n_in = h // 2
        s.part("d", "Apply the transposed convolution to $P$: give the output height and the output.")
        if pad and s.mistake("padding_added", "added the padding; in a transposed convolution the padding "
                                              "is removed from the output: (n - 1)s - 2p + k"):
            size = (n_in - 1) * st + 2 * pad + k
        else:
            size = (n_in - 1) * st - 2 * pad + k
        s.step("size", int(size), r"n_{out} = (n_{in} - 1)\,s - 2p + k",
               lambda: rf"({n_in} - 1) \cdot {st} - 2 \cdot {pad} + {k}", label="output height")
        kern = np.array(g.kernel, dtype=float)
        summed = not (k > st and s.mistake("overlap_not_summed", "overwrote overlapping contributions; a "
                                                                 "transposed convolution sums them"))
        if s.mistake("kernel_flipped", "flipped the kernel; the transposed convolution scatters the kernel "
                                       "as it is"):
            kern = kern[::-1, ::-1]
        s.step("tconv", _conv_transpose(p, kern, st, pad, summed),
               r"Y_{s i + a - p,\, s j + b - p} \leftarrow Y_{s i + a - p,\, s j + b - p} + P_{ij} K_{ab}",
               (lambda: rf"\text{{crop {pad} from }} {mat(_conv_transpose(p, kern, st, 0))}") if pad else None,
               label="transposed-convolution output", answer=True)
