"""Oracles for lectures 09 (detection, segmentation) and 10 (visualization, adversarial examples):
every step of every generator against an independent computation over ORACLE_SEEDS seeds
(default 200): PyTorch in float64 (autograd, torch.nn.functional) where torch has the operation,
otherwise a different route to the same number (raw predictions instead of a confusion matrix,
explicit pixel sets instead of box arithmetic, the PASCAL VOC devkit's AP loop with exact
fractions)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ..conftest import SEEDS, close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402

from examgen import registry  # noqa: E402
from examgen.registry import GivenError  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


def t(x):
    return torch.tensor(x, dtype=DT)


# --- classification_metrics: from the raw predictions, not the confusion matrix -----------------

def _raw_predictions(g):
    """(labels, predictions) as 0/1 tensors, one entry per test example."""
    if g.scores is not None:
        return t(g.labels), (t(g.scores) >= g.threshold).to(DT)
    labels = [1] * g.tp + [1] * g.fn + [0] * g.fp + [0] * g.tn
    preds = [1] * g.tp + [0] * g.fn + [1] * g.fp + [0] * g.tn
    return t(labels), t(preds)


def test_classification_metrics_from_raw_predictions():
    modes = set()
    for q, g, v in questions("classification_metrics"):
        y, yhat = _raw_predictions(g)
        pos, neg = y == 1, y == 0
        if g.scores is not None:
            modes.add("scores")
            assert v["tp"] == int((yhat[pos] == 1).sum()) and v["fn"] == int((yhat[pos] == 0).sum()), f"seed {q.seed}"
            assert v["fp"] == int((yhat[neg] == 1).sum()) and v["tn"] == int((yhat[neg] == 0).sum()), f"seed {q.seed}"
        else:
            modes.add("counts")
        sens = yhat[pos].mean().item()                    # recall of the positives
        spec = (1 - yhat[neg]).mean().item()              # recall of the negatives
        prec = y[yhat == 1].mean().item()                 # share of predicted positives that are positive
        close(v["sensitivity"], sens, msg=f"seed {q.seed}")
        close(v["specificity"], spec, msg=f"seed {q.seed}")
        close(v["precision"], prec, msg=f"seed {q.seed}")
        close(v["accuracy"], (yhat == y).to(DT).mean().item(), msg=f"seed {q.seed}")
        close(v["balanced_accuracy"], np.mean([(yhat[y == c] == c).to(DT).mean().item() for c in (0, 1)]),
              msg=f"seed {q.seed}")
        tp, fp, fn = (y * yhat).sum().item(), ((1 - y) * yhat).sum().item(), (y * (1 - yhat)).sum().item()
        close(v["f1"], 2 * tp / (2 * tp + fp + fn), msg=f"seed {q.seed}")     # the count form of the harmonic mean
    assert modes == {"scores", "counts"}


# --- overlap_metrics: explicit pixel sets ------------------------------------------------------

def _pixels(mask):
    if not isinstance(mask[0], list):  # a 1-D mask: the set of its samples
        return {i for i, x in enumerate(mask) if x}
    return {(i, j) for i, r in enumerate(mask) for j, x in enumerate(r) if x}


def _typed_in_masks():
    """Masks a teacher may type, larger than the draws: 1-D masks of up to 64 samples, 12×12 masks."""
    rng = np.random.default_rng(9)
    gen = registry.get("overlap_metrics")
    for _ in range(max(20, len(SEEDS) // 4)):
        shape = (int(rng.integers(1, 65)),) if rng.random() < 0.5 else tuple(int(n) for n in rng.integers(1, 13, 2))
        a, b = (rng.random(shape) < rng.uniform(0.2, 0.8) for _ in range(2))
        if not a.any() or not b.any():
            continue
        g = gen.givens(dict(mask_a=a.astype(int).tolist(), mask_b=b.astype(int).tolist()))
        yield None, g, {st.name: st.value for st in gen.build(g).steps}


def _box_cells(box, fmt, step=0.5):
    """The box rasterised: the set of grid cells (of side ``step``) whose centre lies inside it; a
    pixel box is the set of its pixels, both end indices included."""
    if fmt == "pixels":
        x1, y1, x2, y2 = map(int, box)
        return {(i, j) for i in range(x1, x2 + 1) for j in range(y1, y2 + 1)}, 1.0
    if fmt == "centre":
        xc, yc, w, h = box
        x1, y1, x2, y2 = xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2
    else:
        x1, y1, x2, y2 = box
    n = int(40 / step)
    return {(i, j) for i in range(-n, n) for j in range(-n, n)
            if x1 < (i + 0.5) * step < x2 and y1 < (j + 0.5) * step < y2}, step


def test_overlap_metrics_by_explicit_set_operations():
    modes = set()
    for q, g, v in [*questions("overlap_metrics"), *_typed_in_masks()]:
        if g.mask_a is not None:
            a, b = _pixels(g.mask_a), _pixels(g.mask_b)
            unit = 1.0
            modes.add("masks" if isinstance(g.mask_a[0], list) else "1-D masks")
        else:
            a, unit = _box_cells(g.box_a, g.box_format)
            b, _ = _box_cells(g.box_b, g.box_format)
            inter = a & b
            close(v["inter_w"], len({i for i, _ in inter}) * unit, msg=f"seed {q.seed}")
            close(v["inter_h"], len({j for _, j in inter}) * unit, msg=f"seed {q.seed}")
            if g.box_format == "centre":  # the corners are the extreme cell edges of the rasterised box
                for name, cells in (("corners_a", a), ("corners_b", b)):
                    xs, ys = [i for i, _ in cells], [j for _, j in cells]
                    close(v[name], [min(xs) * unit, min(ys) * unit, (max(xs) + 1) * unit, (max(ys) + 1) * unit],
                          msg=f"seed {q.seed}")
            modes.add(g.box_format)
        area = unit * unit
        close(v["area_a"], len(a) * area)
        close(v["area_b"], len(b) * area)
        close(v["inter"], len(a & b) * area)
        close(v["union"], len(a | b) * area)
        close(v["iou"], len(a & b) / len(a | b))
        close(v["dice"], 2 * len(a & b) / (len(a) + len(b)))
    assert modes == {"masks", "1-D masks", "corners", "centre", "pixels"}


def test_overlap_box_formats_agree():
    """The same two boxes written in the three formats give the same IoU (a pixel box [x1, x2]
    covers the continuous span [x1, x2 + 1])."""
    gen = registry.get("overlap_metrics")
    a, b = (2, 3, 8, 7), (5, 1, 11, 6)   # corners
    qs = [gen.build(gen.givens(dict(box_format="corners", box_a=list(a), box_b=list(b)))),
          gen.build(gen.givens(dict(box_format="centre", box_a=[5, 5, 6, 4], box_b=[8, 3.5, 6, 5]))),
          gen.build(gen.givens(dict(box_format="pixels", box_a=[2, 3, 7, 6], box_b=[5, 1, 10, 5])))]
    ious = [q.step("iou").value for q in qs]
    # |A| = 24, |B| = 30, overlap [5, 8] x [3, 6] = 9: IoU = 9 / 45
    assert ious == pytest.approx([0.2] * 3)


# --- average_precision: the PASCAL VOC devkit's loops, with exact fractions ---------------------

def voc_ap(rec, prec, eleven):
    """AP as in the VOC devkit's voc_ap (VOC 2007: 11 points; VOC 2010+: all points with
    sentinels), on exact fractions so that recall 3/10 does reach the level 0.3."""
    if eleven:
        ap = Fraction(0)
        for j in range(11):
            level = Fraction(j, 10)
            reached = [p for r, p in zip(rec, prec) if r >= level]
            ap += max(reached) if reached else 0
        return ap / 11
    mrec = [Fraction(0), *rec, Fraction(1)]
    mpre = [Fraction(0), *prec, Fraction(0)]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return sum((mrec[i + 1] - mrec[i]) * mpre[i + 1] for i in range(len(mrec) - 1) if mrec[i + 1] != mrec[i])


def test_average_precision_matches_the_voc_devkit():
    kinds = set()
    for q, g, v in questions("average_precision"):
        eleven = g.interpolation == "11-point"
        kinds.add(g.interpolation)
        aps = []
        for c, (h, n) in enumerate(zip(g.hits, g.n_gt), 1):
            tp = torch.cumsum(t(h), 0)
            k = torch.arange(1, len(h) + 1, dtype=DT)
            close(v[f"prec{c}"], (tp / k).numpy(), msg=f"seed {q.seed}")
            close(v[f"rec{c}"], (tp / n).numpy(), msg=f"seed {q.seed}")
            prec = [Fraction(int(a), i) for i, a in enumerate(tp.tolist(), 1)]
            rec = [Fraction(int(a), n) for a in tp.tolist()]
            if eleven:
                levels = [max([p for r, p in zip(rec, prec) if r >= Fraction(j, 10)], default=0) for j in range(11)]
                close(v[f"pint{c}"], [float(x) for x in levels], msg=f"seed {q.seed}")
                shape = {x for x in levels if x > 0}
            else:  # the envelope: a running maximum from the last rank backwards
                env = torch.flip(torch.cummax(torch.flip(tp / k, [0]), 0).values, [0])
                close(v[f"pint{c}"], env.numpy(), msg=f"seed {q.seed}")
                shape = {round(e, 9) for e, hit in zip(env.tolist(), h) if hit}
            assert len(shape) >= 2, (q.seed, c, "a flat interpolated precision: AP is one product")
            ap = voc_ap(rec, prec, eleven)
            close(v[f"ap{c}"], float(ap), msg=f"seed {q.seed}")
            aps.append(ap)
        close(v["map"], float(sum(aps) / len(aps)), msg=f"seed {q.seed}")
    assert kinds == {"all-point", "11-point"}


# --- detection_label ---------------------------------------------------------------------------

def test_detection_label_and_loss_match_torch():
    for q, g, v in questions("detection_label"):
        x0, y0, x1, y1 = g.box
        w, h = x1 - x0, y1 - y0
        k = len(g.classes)
        y = torch.cat([t([1.0, (x0 + w / 2) / g.width, (y0 + h / 2) / g.height, h / g.height, w / g.width]),
                       F.one_hot(torch.tensor(g.obj_class), k).to(DT)])
        close([v["bx"], v["by"], v["bh"], v["bw"]], y[1:5].numpy(), msg=f"seed {q.seed}")
        close(v["y"], y.numpy(), msg=f"seed {q.seed}")
        pred = t(g.pred)
        close(v["sqerr"], F.mse_loss(pred, y, reduction="none").numpy(), msg=f"seed {q.seed}")
        close(v["loss_obj"], F.mse_loss(pred, y, reduction="sum").item(), msg=f"seed {q.seed}")
        empty = t(g.pred_empty)
        close(v["loss_empty"], F.mse_loss(empty[:1], torch.zeros(1, dtype=DT), reduction="sum").item(),
              msg=f"seed {q.seed}")
        # centre/size (relative) -> corners in pixels
        cx, cy, bh, bw = g.pred[1:5]
        scale = t([g.width, g.height, g.width, g.height])
        box = torch.stack([t(cx) - t(bw) / 2, t(cy) - t(bh) / 2, t(cx) + t(bw) / 2, t(cy) + t(bh) / 2]) * scale
        close(v["pred_box"], box.numpy(), msg=f"seed {q.seed}")


# --- upsampling: torch's pooling, unpooling, interpolation and transposed convolution ------------

def _upsampling_cases():
    """Each drawn question, and typed-in transposed convolutions larger than the draws: maps up to
    12×12 (or 1-D signals up to 12), rectangular kernels up to 5×5, stride up to 4, padding up to 3."""
    for q, g, v in questions("upsampling"):
        yield f"seed {q.seed}", g, v
    rng = np.random.default_rng(7)
    gen = registry.get("upsampling")
    for _ in range(max(20, len(SEEDS) // 4)):
        shape = (int(rng.integers(1, 13)),) if rng.random() < 0.3 else tuple(int(n) for n in rng.integers(1, 13, 2))
        kshape = tuple(int(n) for n in rng.integers(1, 6, len(shape)))
        d = dict(input=rng.normal(0, 3, shape).round(2).tolist(), kernel=rng.integers(-3, 4, kshape).tolist(),
                 stride=int(rng.integers(1, 5)), padding=int(rng.integers(0, 4)))
        try:
            g = gen.givens(d)
        except GivenError:  # the padding leaves no output: refused, as it should be
            continue
        yield f"typed-in givens {d}", g, {st.name: st.value for st in gen.build(g).steps}


def test_upsampling_matches_torch():
    methods, configs = set(), set()
    for where, g, v in _upsampling_cases():
        if g.x is not None:
            x = t(g.x)[None, None]
            pooled, idx = F.max_pool2d(x, 2, stride=2, return_indices=True)
            close(v["pool"], pooled[0, 0].numpy(), msg=where)
            if g.method == "nearest":
                up = F.interpolate(pooled, scale_factor=2, mode="nearest")
            else:  # bed of nails: a stride-2 transposed convolution with a single 1 in the top-left corner
                up = F.conv_transpose2d(pooled, t([[1.0, 0.0], [0.0, 0.0]])[None, None], stride=2)
            close(v["up"], up[0, 0].numpy(), msg=where)
            close(v["unpool"], F.max_unpool2d(pooled, idx, 2, stride=2)[0, 0].numpy(), msg=where)
            methods.add(g.method)
        a = t(g.input)[None, None] if g.input is not None else pooled
        k = t(g.kernel)
        tconv = F.conv_transpose1d if a.dim() == 3 else F.conv_transpose2d
        out = tconv(a, k[None, None], stride=g.stride, padding=g.padding)[0, 0]
        assert v["size"] == out.shape[0]
        if out.dim() == 2 and (a.shape[-1] != a.shape[-2] or k.shape[0] != k.shape[1]):
            assert v["size_w"] == out.shape[1]
        else:
            assert "size_w" not in v
        close(v["tconv"], out.numpy(), msg=where)
        configs.add((g.x is None, out.dim(), tuple(k.shape), g.stride, g.padding))
    assert methods == {"nearest", "bed_of_nails"} and len(configs) >= 20
    assert {(x_none, dim) for x_none, dim, *_ in configs} == {(False, 2), (True, 2), (True, 1)}


# --- saliency: autograd, and guided backprop as a custom ReLU ------------------------------------

class GuidedReLU(torch.autograd.Function):
    """ReLU whose backward pass keeps only positive gradients at positive inputs (Springenberg et al.)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad.clamp(min=0) * (z > 0).to(grad.dtype)


def _saliency_torch(g, guided: bool):
    x = t(g.x).requires_grad_(True)
    if g.W1 is None:
        s = t(g.W2) @ x + t(g.b2)
        z1 = None
    else:
        z1 = t(g.W1) @ x + t(g.b1)
        z1.retain_grad()
        h = GuidedReLU.apply(z1) if guided else torch.relu(z1)
        s = t(g.W2) @ h + t(g.b2)
    c = int(torch.argmax(s))
    s[c].backward()
    return s.detach(), c, x.grad, (z1.grad if z1 is not None else None), z1


def test_saliency_matches_autograd_and_guided_backprop():
    models = set()
    for q, g, v in questions("saliency"):
        s, c, grad, dz1, z1 = _saliency_torch(g, guided=False)
        close(v["scores"], s.numpy(), msg=f"seed {q.seed}")
        assert v["pred"] == c + 1
        close(v["grad"], grad.numpy(), msg=f"seed {q.seed}")
        close(v["saliency"], grad.abs().numpy(), msg=f"seed {q.seed}")
        assert v["top"] == int(torch.argmax(grad.abs())) + 1
        top2 = torch.topk(grad.abs(), 2).values
        assert top2[0] - top2[1] > 1e-9, (q.seed, "drawn questions have one most salient pixel")
        if g.W1 is None:
            models.add("linear")
            continue
        models.add("relu")
        close(v["z1"], z1.detach().numpy(), msg=f"seed {q.seed}")
        close(v["dz1"], dz1.numpy(), msg=f"seed {q.seed}")
        _, cg, ggrad, gdz1, _ = _saliency_torch(g, guided=True)
        assert cg == c, f"seed {q.seed}"
        close(v["guided_dz1"], gdz1.numpy(), msg=f"seed {q.seed}")
        close(v["guided"], ggrad.numpy(), msg=f"seed {q.seed}")
        assert not np.allclose(v["guided"], v["grad"]), f"seed {q.seed}: guided backprop must differ from the gradient"
    assert models == {"linear", "relu"}


# --- class_activation_map ----------------------------------------------------------------------

def test_cam_matches_torch():
    for q, g, v in questions("class_activation_map"):
        f = t(g.maps)[None]                                  # 1 x K x H x W
        gap = F.adaptive_avg_pool2d(f, 1).flatten()
        close(v["gap"], gap.numpy(), msg=f"seed {q.seed}")
        scores = F.linear(gap, t(g.weights))
        close(v["scores"], scores.numpy(), msg=f"seed {q.seed}")
        c = int(torch.argmax(scores))
        assert v["pred"] == c + 1, f"seed {q.seed}"
        cam = F.conv2d(f, t(g.weights)[c].view(1, -1, 1, 1))[0, 0]   # a 1x1 convolution with class c's weights
        close(v["cam"], cam.numpy(), msg=f"seed {q.seed}")
        close(cam.mean().item(), scores[c].item(), msg=f"seed {q.seed}")  # the CAM averages to the class score
        close(v["cam_norm"], ((cam - cam.min()) / (cam.max() - cam.min())).numpy(), msg=f"seed {q.seed}")


# --- fgsm: autograd on the binary cross-entropy ---------------------------------------------------

def test_fgsm_matches_autograd():
    flips = set()
    for q, g, v in questions("fgsm"):
        x = t(g.x).requires_grad_(True)
        w = t(g.w)
        z = w @ x + g.b
        loss = F.binary_cross_entropy_with_logits(z, t(float(g.y)))
        loss.backward()
        close(v["z"], z.item(), msg=f"seed {q.seed}")
        close(v["p"], torch.sigmoid(z).item(), msg=f"seed {q.seed}")
        assert v["pred"] == int(torch.sigmoid(z).item() >= 0.5), f"seed {q.seed}"
        close(v["grad"], x.grad.numpy(), msg=f"seed {q.seed}")
        close(v["sign"], torch.sign(x.grad).numpy(), msg=f"seed {q.seed}")
        x_adv = x.detach() + g.eps * torch.sign(x.grad)
        close(v["x_adv"], x_adv.numpy(), msg=f"seed {q.seed}")
        z_adv = w @ x_adv + g.b
        close(v["z_adv"], z_adv.item(), msg=f"seed {q.seed}")
        close(v["p_adv"], torch.sigmoid(z_adv).item(), msg=f"seed {q.seed}")
        flipped = int(torch.sigmoid(z_adv).item() >= 0.5) != v["pred"]
        assert v["flips"] == ("yes" if flipped else "no"), f"seed {q.seed}"
        # the attack raises the loss
        assert F.binary_cross_entropy_with_logits(z_adv, t(float(g.y))) > loss, f"seed {q.seed}"
        flips.add(v["flips"])
    assert flips == {"yes", "no"}
