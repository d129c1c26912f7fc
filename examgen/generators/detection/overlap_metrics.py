"""Intersection, union, Jaccard index (IoU) and Dice of two masks or boxes."""

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ...fmt import matrix as mat, num, par, row
from ...registry import Generator, Givens, generator
from ...render.figures import boxes, masks
from ...steps import Steps
from .._draw import Draws
from ._tables import _floats

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
        s.part(("Convert both boxes to corners $(x_1, y_1, x_2, y_2)$, then compute " if g.box_format == "centre"
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

        s.part("Compute the area of the union $|A ∪ B|$ and the Jaccard index (IoU).")
        if s.mistake("union_is_sum", "added the two areas; the intersection is then counted twice and "
                                     "must be subtracted once"):
            union = area_a + area_b
        else:
            union = area_a + area_b - inter
        union = s.step("union", union, r"|A ∪ B| = |A| + |B| - |A ∩ B|",
                       lambda: rf"{num(area_a)} + {num(area_b)} - {num(inter)}", label="$|A ∪ B|$")
        iou = s.step("iou", inter / union, r"\mathrm{IoU} = \frac{|A ∩ B|}{|A ∪ B|}",
                     lambda: rf"\frac{{{num(inter)}}}{{{num(union)}}}", label="IoU", answer=True)

        s.part("Compute the Dice coefficient.")
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
