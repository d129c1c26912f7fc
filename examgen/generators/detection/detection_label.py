"""The object-detection label vector and its multi-task loss."""

import numpy as np
from pydantic import Field, model_validator

from ...fmt import num, par, row
from ...registry import Generator, Givens, generator
from ...render.figures import boxes
from ...steps import Steps
from .._draw import Draws

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
        s.part("Give $b_x$, $b_y$, $b_h$, $b_w$ and the label vector $y$ of image 1.")
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

        s.part(r"Compute the squared error $(\hat y_i - y_i)^2$ of every component and the loss "
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

        s.part("Compute the loss of image 2 (no object).")
        e = np.array(g.pred_empty)
        if s.mistake("box_terms_without_object", "included the box and class terms; without an object only "
                                                 "p_c is compared, the other components are 'don't care'"):
            loss0 = float(e[0] ** 2 + np.sum(e[1:] ** 2))
        else:
            loss0 = float(e[0] ** 2)
        s.step("loss_empty", loss0, r"L = (\hat y_1 - 0)^2", lambda: rf"({num(e[0])} - 0)^2",
               label="$L$ (image 2)")

        s.part(r"Decode the box predicted for image 1 into pixel corners "
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
