"""Hand-worked cases for lectures 09 and 10: reference values, follow-through and named mistakes,
with every expected number computed by hand from the course's formulas (shown in the comments),
and average precision checked against a published worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examgen import registry, solve
from examgen.grading.mark import grade_question
from examgen.registry import GivenError

from .conftest import grade, key_answers, status, values

def sigmoid(z):
    return 1 / (1 + math.exp(-z))


@pytest.mark.parametrize("gid, givens", [
    ("classification_metrics", {"tp": 30, "fp": 20, "fn": 10, "tn": 140}),
    ("overlap_metrics", {"mask_a": [[1, 1, 0], [1, 1, 0], [0, 0, 0]], "mask_b": [[0, 1, 1], [0, 1, 1], [0, 0, 0]]}),
    ("detection_label", {"width": 200, "height": 100, "classes": ["pedestrian", "car", "motorcycle"],
                         "obj_class": 1, "box": [40, 20, 120, 80], "pred": [0.9, 0.5, 0.5, 0.5, 0.4, 0.1, 0.7, 0.2],
                         "pred_empty": [0.3, 0.2, 0.6, 0.1, 0.5, 0.4, 0.1, 0.2]}),
])
def test_the_key_of_a_typed_in_question_scores_full_marks(gid, givens):
    q = solve(gid, givens)
    assert grade_question(q, key_answers(q)).score == 10 * len(q.parts)


# --- classification_metrics -------------------------------------------------------------------
# TP = 30, FN = 10 (40 positives), FP = 20, TN = 140 (160 negatives)
CM = {"tp": 30, "fp": 20, "fn": 10, "tn": 140}


def test_classification_metrics_by_hand():
    v = values("classification_metrics", CM)
    assert v["sensitivity"] == pytest.approx(0.75)      # 30 / 40
    assert v["specificity"] == pytest.approx(0.875)     # 140 / 160
    assert v["precision"] == pytest.approx(0.6)         # 30 / 50
    assert v["accuracy"] == pytest.approx(0.85)         # 170 / 200
    assert v["balanced_accuracy"] == pytest.approx(0.8125)  # (0.75 + 0.875) / 2
    assert v["f1"] == pytest.approx(2 / 3)              # 2 * 0.6 * 0.75 / 1.35 = 0.9 / 1.35


def test_classification_metrics_follow_through():
    # sensitivity 0.8 (wrong): balanced (0.8 + 0.875) / 2 = 0.8375, F1 = 2 * 0.6 * 0.8 / 1.4 = 0.685714
    q, r = grade("classification_metrics", CM, {"a": {"sensitivity": 0.8},
                                                "b": {"balanced_accuracy": 0.8375, "f1": 0.6857}})
    assert status(r, "sensitivity")[0] == "wrong"
    assert status(r, "balanced_accuracy")[0] == "follow_through"
    assert status(r, "f1")[0] == "follow_through"
    assert r.parts[1].score < 10


def test_classification_metrics_mistakes_are_named():
    q, r = grade("classification_metrics", CM, {"a": {"sensitivity": 0.875, "specificity": 0.75, "precision": 0.75},
                                                "b": {"balanced_accuracy": 0.85}})
    assert status(r, "sensitivity") == ("mistake", ["sens_spec_swapped"])
    assert status(r, "specificity") == ("mistake", ["sens_spec_swapped"])
    assert status(r, "precision") == ("mistake", ["precision_recall_swapped"])  # the recall 30 / 40
    assert status(r, "balanced_accuracy") == ("mistake", ["balanced_as_accuracy"])
    q, r = grade("classification_metrics", CM, {"b": {"f1": 0.675}})  # (0.6 + 0.75) / 2
    assert status(r, "f1") == ("mistake", ["f1_arithmetic_mean"])


# Scores, labels and a threshold: image 6 sits exactly at t = 0.5 and is predicted positive.
SC = {"scores": [0.95, 0.85, 0.75, 0.65, 0.55, 0.5, 0.45, 0.35, 0.25, 0.15],
      "labels": [1, 1, 0, 1, 0, 0, 1, 0, 0, 0], "threshold": 0.5}


def test_classification_counts_from_scores_by_hand():
    v = values("classification_metrics", SC)
    # predicted positive: images 1-6; TP = {1, 2, 4}, FP = {3, 5, 6}, FN = {7}, TN = {8, 9, 10}
    assert (v["tp"], v["fp"], v["fn"], v["tn"]) == (3, 3, 1, 3)
    assert v["sensitivity"] == pytest.approx(0.75) and v["specificity"] == pytest.approx(0.5)
    assert v["accuracy"] == pytest.approx(0.6) and v["f1"] == pytest.approx(0.6)  # 2 * 0.5 * 0.75 / 1.25


def test_classification_counts_mistakes_and_follow_through():
    # score > t instead of >= t: image 6 becomes a true negative (FP 2, TN 4)
    q, r = grade("classification_metrics", SC, {"a": {"fp": 2, "tn": 4}})
    assert status(r, "fp") == ("mistake", ["threshold_strict"])
    q, r = grade("classification_metrics", SC, {"a": {"fp": 1, "fn": 3}})
    assert status(r, "fp") == ("mistake", ["fp_fn_swapped"])
    # TP = 4 (wrong), then sensitivity 4 / (4 + 1) = 0.8 follows through
    q, r = grade("classification_metrics", SC, {"a": {"tp": 4}, "b": {"sensitivity": 0.8}})
    assert status(r, "tp")[0] == "wrong" and status(r, "sensitivity")[0] == "follow_through"


# --- overlap_metrics ---------------------------------------------------------------------------
# A covers columns 0-1 of rows 0-1, B columns 1-2 of rows 0-1: they share column 1 (2 pixels).
MASKS = {"mask_a": [[1, 1, 0], [1, 1, 0], [0, 0, 0]], "mask_b": [[0, 1, 1], [0, 1, 1], [0, 0, 0]]}


def test_overlap_masks_by_hand():
    v = values("overlap_metrics", MASKS)
    assert (v["area_a"], v["area_b"], v["inter"], v["union"]) == (4, 4, 2, 6)
    assert v["iou"] == pytest.approx(1 / 3)      # 2 / 6
    assert v["dice"] == pytest.approx(0.5)       # 2 * 2 / (4 + 4)


def test_overlap_union_as_sum_is_named_and_iou_follows():
    # union 4 + 4 = 8, then IoU 2 / 8 = 0.25 from it
    q, r = grade("overlap_metrics", MASKS, {"b": {"union": 8, "iou": 0.25}})
    assert status(r, "union") == ("mistake", ["union_is_sum"])
    assert status(r, "iou")[0] == "follow_through"


def test_overlap_dice_mistakes_are_named():
    q, r = grade("overlap_metrics", MASKS, {"c": {"dice": "1/3"}})
    assert status(r, "dice") == ("mistake", ["dice_equals_iou"])
    q, r = grade("overlap_metrics", MASKS, {"c": {"dice": 0.25}})  # 2 / (4 + 4)
    assert status(r, "dice") == ("mistake", ["dice_missing_two"])


# Pixel boxes: columns 2-7, rows 3-6 (6 x 4 pixels) and columns 5-10, rows 1-5 (6 x 5 pixels).
PIX = {"box_format": "pixels", "box_a": [2, 3, 7, 6], "box_b": [5, 1, 10, 5]}


def test_overlap_pixel_boxes_by_hand():
    v = values("overlap_metrics", PIX)
    assert (v["area_a"], v["area_b"]) == (24, 30)
    assert (v["inter_w"], v["inter_h"], v["inter"]) == (3, 3, 9)  # columns 5-7, rows 3-5
    assert v["union"] == 45 and v["iou"] == pytest.approx(0.2) and v["dice"] == pytest.approx(18 / 54)


def test_overlap_box_mistakes_are_named():
    q, r = grade("overlap_metrics", PIX, {"a": {"area_a": 15}})  # (7 - 2)(6 - 3) without the +1
    assert status(r, "area_a") == ("mistake", ["pixels_not_inclusive"])
    # centre (5, 5) size 6 x 4 and centre (8, 3.5) size 6 x 5: corners (2, 3, 8, 7) and (5, 1, 11, 6);
    # read as top-left corners the boxes are (5, 5, 11, 9) and (8, 3.5, 14, 8.5), overlapping 3 x 3.5
    centre = {"box_format": "centre", "box_a": [5, 5, 6, 4], "box_b": [8, 3.5, 6, 5]}
    v = values("overlap_metrics", centre)
    assert v["corners_a"] == [2, 3, 8, 7] and v["corners_b"] == [5, 1, 11, 6]
    assert (v["inter_w"], v["inter_h"]) == (3, 3)  # [5, 8] and [3, 6]
    q, r = grade("overlap_metrics", centre, {"a": {"corners_a": [5, 5, 11, 9], "corners_b": [8, 3.5, 14, 8.5],
                                                   "inter_w": 3, "inter_h": 3.5, "inter": 10.5}})
    assert status(r, "corners_a") == ("mistake", ["centre_as_corner"])
    assert status(r, "corners_b") == ("mistake", ["centre_as_corner"])
    assert status(r, "inter_h")[0] == "follow_through" and status(r, "inter")[0] == "follow_through"


# --- average_precision -------------------------------------------------------------------------
# Class 1 is the worked example of R. Padilla, S. L. Netto, E. A. B. da Silva, "A Survey on
# Performance Metrics for Object-Detection Algorithms" (IWSSIP 2020) and its repository
# github.com/rafaelpadilla/Object-Detection-Metrics: 24 detections of 15 ground-truth objects,
# ranked R Y J A U C M F D B H P E X N T K Q V I L S G O, of which R J B P E X G are true positives.
# The paper reports AP = 26.84 % with 11-point and 24.56 % with all-point interpolation.
PADILLA_HITS = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
PADILLA_SCORES = [0.95, 0.95, 0.91, 0.88, 0.84, 0.80, 0.78, 0.74, 0.71, 0.70, 0.67, 0.62, 0.54, 0.48, 0.45,
                  0.45, 0.44, 0.44, 0.43, 0.38, 0.35, 0.23, 0.18, 0.14]


def ap_givens(interpolation):
    return {"classes": ["object", "car"], "hits": [PADILLA_HITS, [1, 0, 1]],
            "scores": [PADILLA_SCORES, [0.9, 0.8, 0.7]], "n_gt": [15, 2], "interpolation": interpolation}


def test_average_precision_published_example_all_point():
    v = values("average_precision", ap_givens("all-point"))
    # recall steps of 1/15 at the true positives (ranks 1, 3, 10, 12, 13, 14, 23), where the
    # envelope is 1, 2/3, 3/7 (rank 14: 6/14, the best precision from rank 10 on) four times, 7/23
    ap1 = (1 + 2 / 3 + 4 * 3 / 7 + 7 / 23) / 15
    assert v["ap1"] == pytest.approx(ap1) and v["ap1"] == pytest.approx(0.2456, abs=2e-4)
    assert v["prec1"][9] == pytest.approx(0.3) and v["rec1"][9] == pytest.approx(0.2)     # rank 10: 3/10, 3/15
    assert v["pint1"][9] == pytest.approx(3 / 7)
    # class 2: p = (1, 1/2, 2/3), r = (1/2, 1/2, 1), envelope (1, 2/3, 2/3): AP = 1/2 + 1/2 * 2/3
    assert v["pint2"] == pytest.approx([1, 2 / 3, 2 / 3]) and v["ap2"] == pytest.approx(5 / 6)
    assert v["map"] == pytest.approx((ap1 + 5 / 6) / 2)


def test_average_precision_published_example_eleven_point():
    v = values("average_precision", ap_givens("11-point"))
    # r = 0: 1; r = 0.1: 2/3 (from rank 3); r = 0.2, 0.3, 0.4: 3/7 (recall 6/15 = 0.4 is reached at
    # rank 14); r >= 0.5: 0 (the recall never exceeds 7/15)
    assert v["pint1"] == pytest.approx([1, 2 / 3, 3 / 7, 3 / 7, 3 / 7, 0, 0, 0, 0, 0, 0])
    assert v["ap1"] == pytest.approx((1 + 2 / 3 + 9 / 7) / 11) and v["ap1"] == pytest.approx(0.2684, abs=1e-4)
    # class 2: 1 at r = 0 ... 0.5 (six levels), 2/3 at r = 0.6 ... 1 (five levels)
    assert v["ap2"] == pytest.approx((6 + 5 * 2 / 3) / 11)


def test_average_precision_mistakes_are_named():
    g = ap_givens("all-point")
    q, r = grade("average_precision", g, {"b": {"pint2": [1, 0.5, 0.6667]}})  # the raw precision
    assert status(r, "pint2") == ("mistake", ["ap_no_interpolation"])
    q, r = grade("average_precision", g, {"b": {"prec2": [0.5, 0.5, 1]}})  # the recall
    assert status(r, "prec2") == ("mistake", ["precision_recall_swapped"])
    # recall over the 7 objects found instead of the 15 in the ground truth
    q = solve("average_precision", g)
    found = [sum(PADILLA_HITS[:k]) / 7 for k in range(1, 25)]
    q, r = grade("average_precision", g, {"a": {"rec1": found}})
    assert status(r, "rec1") == ("mistake", ["recall_over_found"])


def test_average_precision_follow_through():
    # p = (1, 0.5, 0.5) for class 2 (last entry wrong): envelope (1, 0.5, 0.5), AP = 0.5 + 0.5 * 0.5
    q, r = grade("average_precision", ap_givens("all-point"),
                 {"b": {"prec2": [1, 0.5, 0.5], "pint2": [1, 0.5, 0.5], "ap2": 0.75}, "c": {}})
    assert status(r, "prec2")[0] == "partial"
    assert status(r, "pint2")[0] == "follow_through" and status(r, "ap2")[0] == "follow_through"
    # mAP from the student's AP 0.75 and the right class-1 AP
    ap1 = q.step("ap1").value
    q, r = grade("average_precision", ap_givens("all-point"), {"b": {"ap2": 0.75}, "c": {"map": (ap1 + 0.75) / 2}})
    assert status(r, "map")[0] == "follow_through"


# --- detection_label ---------------------------------------------------------------------------
# A car in the box (40, 20)-(120, 80) of a 200 x 100 image: centre (80, 50), size 80 x 60.
DL = {"width": 200, "height": 100, "classes": ["pedestrian", "car", "motorcycle"], "obj_class": 1,
      "box": [40, 20, 120, 80], "pred": [0.9, 0.5, 0.5, 0.5, 0.4, 0.1, 0.7, 0.2],
      "pred_empty": [0.3, 0.2, 0.6, 0.1, 0.5, 0.4, 0.1, 0.2]}


def test_detection_label_by_hand():
    v = values("detection_label", DL)
    assert (v["bx"], v["by"], v["bh"], v["bw"]) == pytest.approx((0.4, 0.5, 0.6, 0.4))  # 80/200, 50/100, 60/100, 80/200
    assert v["y"] == pytest.approx([1, 0.4, 0.5, 0.6, 0.4, 0, 1, 0])
    # (0.9-1)^2, (0.5-0.4)^2, 0, (0.5-0.6)^2, 0, 0.1^2, (0.7-1)^2, 0.2^2
    assert v["sqerr"] == pytest.approx([0.01, 0.01, 0, 0.01, 0, 0.01, 0.09, 0.04])
    assert v["loss_obj"] == pytest.approx(0.17)
    assert v["loss_empty"] == pytest.approx(0.09)   # only (0.3 - 0)^2
    # centre (0.5, 0.5), size h 0.5, w 0.4: x 0.3..0.7 of 200, y 0.25..0.75 of 100
    assert v["pred_box"] == pytest.approx([60, 25, 140, 75])


def test_detection_label_mistakes_are_named():
    q, r = grade("detection_label", DL, {"a": {"bx": 0.2}})    # the corner 40 / 200
    assert status(r, "bx") == ("mistake", ["corners_in_label"])
    q, r = grade("detection_label", DL, {"a": {"bx": 80}})     # in pixels
    assert status(r, "bx") == ("mistake", ["not_normalised"])
    q, r = grade("detection_label", DL, {"a": {"y": [1, 0.4, 0.5, 0.4, 0.6, 0, 1, 0]}})
    assert status(r, "y") == ("mistake", ["h_w_swapped"])
    q, r = grade("detection_label", DL, {"b": {"loss_obj": 0.17 / 8}})
    assert status(r, "loss_obj") == ("mistake", ["mean_instead_of_sum"])
    # all eight components against 0: 0.09 + 0.04 + 0.36 + 0.01 + 0.25 + 0.16 + 0.01 + 0.04
    q, r = grade("detection_label", DL, {"c": {"loss_empty": 0.96}})
    assert status(r, "loss_empty") == ("mistake", ["box_terms_without_object"])


def test_detection_label_follow_through():
    # b_x = 0.45 (wrong): y carries it, (0.5 - 0.45)^2 = 0.0025 replaces 0.01, loss 0.1625
    q, r = grade("detection_label", DL, {"a": {"bx": 0.45, "y": [1, 0.45, 0.5, 0.6, 0.4, 0, 1, 0]},
                                         "b": {"sqerr": [0.01, 0.0025, 0, 0.01, 0, 0.01, 0.09, 0.04],
                                               "loss_obj": 0.1625}})
    assert status(r, "bx")[0] == "wrong"
    assert status(r, "y")[0] == "follow_through"
    assert status(r, "sqerr")[0] == "follow_through" and status(r, "loss_obj")[0] == "follow_through"
    assert r.parts[0].score < 10 and r.parts[1].score < 10


# --- overlap_metrics: 1-D masks --------------------------------------------------------------------
# A = (0 1 1 1 0 0 1), B = (0 0 1 1 1 0 0): |A| = 4, |B| = 3, both at samples 2 and 3: |A ∩ B| = 2;
# |A ∪ B| = 4 + 3 - 2 = 5, IoU = 2/5, Dice = 2·2/(4 + 3) = 4/7
MASK1D = {"mask_a": [0, 1, 1, 1, 0, 0, 1], "mask_b": [0, 0, 1, 1, 1, 0, 0]}


def test_overlap_one_d_masks_by_hand():
    v = values("overlap_metrics", MASK1D)
    assert (v["area_a"], v["area_b"], v["inter"], v["union"]) == (4, 3, 2, 5)
    assert v["iou"] == pytest.approx(0.4) and v["dice"] == pytest.approx(4 / 7)


def test_overlap_one_d_masks_follow_through_and_mistakes():
    # |A ∩ B| = 3 (wrong): union 4 + 3 - 3 = 4 and IoU 3/4 follow through
    q, r = grade("overlap_metrics", MASK1D, {"a": {"inter": 3}, "b": {"union": 4, "iou": 0.75}})
    assert status(r, "inter")[0] == "wrong"
    assert status(r, "union")[0] == "follow_through" and status(r, "iou")[0] == "follow_through"
    q, r = grade("overlap_metrics", MASK1D, {"b": {"union": 7}})  # 4 + 3
    assert status(r, "union") == ("mistake", ["union_is_sum"])
    q, r = grade("overlap_metrics", MASK1D, {"c": {"dice": 2 / 7}})  # 2 / (4 + 3)
    assert status(r, "dice") == ("mistake", ["dice_missing_two"])


@pytest.mark.parametrize("givens, words", [
    ({"mask_a": [0, 1, 1], "mask_b": [1, 1]}, "same length"),
    ({"mask_a": [0, 1], "mask_b": [[1, 1]]}, "both as rows"),
    ({"mask_a": [0, 2], "mask_b": [1, 1]}, "0 or 1"),
    ({"mask_a": [0, 0], "mask_b": [1, 1]}, "at least one pixel"),
])
def test_overlap_one_d_givens_errors(givens, words):
    with pytest.raises(GivenError) as e:
        registry.get("overlap_metrics").givens(givens)
    assert words in str(e.value) and "\n" not in str(e.value)


# --- upsampling --------------------------------------------------------------------------------
# Windows of X: [1 5; 3 4] max 5 at (0, 1); [2 0; 8 6] max 8 at (1, 2); [7 2; 0 9] max 9 at (3, 1);
# [1 3; 4 2] max 4 at (3, 2).
UP = {"x": [[1, 5, 2, 0], [3, 4, 8, 6], [7, 2, 1, 3], [0, 9, 4, 2]], "method": "nearest",
      "kernel": [[1, 0, -1], [0, 2, 0], [1, 1, 0]], "stride": 2, "padding": 0}
# Y[2i + a, 2j + b] += P[i, j] K[a, b] with P = [5 8; 9 4]: 5K at (0, 0), 8K at (0, 2), 9K at (2, 0),
# 4K at (2, 2); row 2, column 2 collects 5 * 0 + 8 * 1 + 9 * (-1) + 4 * 1 = 3.
FULL = [[5, 0, 3, 0, -8], [0, 10, 0, 16, 0], [14, 5, 3, 8, -4], [0, 18, 0, 8, 0], [9, 9, 4, 4, 0]]


def test_upsampling_by_hand():
    v = values("upsampling", UP)
    assert v["pool"] == [[5, 8], [9, 4]]
    assert v["up"] == [[5, 5, 8, 8], [5, 5, 8, 8], [9, 9, 4, 4], [9, 9, 4, 4]]
    assert v["unpool"] == [[0, 5, 0, 0], [0, 0, 8, 0], [0, 0, 0, 0], [0, 9, 4, 0]]
    assert v["size"] == 5 and v["tconv"] == FULL           # (2 - 1) * 2 - 0 + 3
    v = values("upsampling", {**UP, "method": "bed_of_nails", "padding": 1})
    assert v["up"] == [[5, 0, 8, 0], [0, 0, 0, 0], [9, 0, 4, 0], [0, 0, 0, 0]]
    assert v["size"] == 3 and v["tconv"] == [r[1:4] for r in FULL[1:4]]   # one row/column cropped per side


def test_upsampling_mistakes_are_named():
    bed = [[5, 0, 8, 0], [0, 0, 0, 0], [9, 0, 4, 0], [0, 0, 0, 0]]
    # overwriting instead of summing, in the order 5K, 8K, 9K, 4K
    overwritten = [[5, 0, 8, 0, -8], [0, 10, 0, 16, 0], [9, 0, 4, 0, -4], [0, 18, 0, 8, 0], [9, 9, 4, 4, 0]]
    q, r = grade("upsampling", UP, {"b": {"up": bed}, "c": {"unpool": bed}, "d": {"tconv": overwritten}})
    assert status(r, "up") == ("mistake", ["nearest_vs_bed_of_nails"])
    assert status(r, "unpool") == ("mistake", ["unpool_to_top_left"])
    assert status(r, "tconv") == ("mistake", ["overlap_not_summed"])
    q, r = grade("upsampling", {**UP, "padding": 1}, {"d": {"size": 7}})  # (2 - 1) * 2 + 2 + 3
    assert status(r, "size") == ("mistake", ["padding_added"])


def test_upsampling_follow_through_from_a_wrong_pooling():
    # P = [5 8; 9 3] (wrong bottom-right): nearest, unpooling and the transposed convolution follow
    wrong = [[5, 8], [9, 3]]
    full = [row[:] for row in FULL]
    for a in range(3):            # 3K instead of 4K at offset (2, 2)
        for b in range(3):
            full[2 + a][2 + b] -= UP["kernel"][a][b]
    q, r = grade("upsampling", UP, {"a": {"pool": wrong},
                                    "b": {"up": [[5, 5, 8, 8], [5, 5, 8, 8], [9, 9, 3, 3], [9, 9, 3, 3]]},
                                    "c": {"unpool": [[0, 5, 0, 0], [0, 0, 8, 0], [0, 0, 0, 0], [0, 9, 3, 0]]},
                                    "d": {"tconv": full}})
    assert status(r, "pool")[0] == "partial"
    for name in ("up", "unpool", "tconv"):
        assert status(r, name)[0] == "follow_through", name


# a = (1, 2, -1), k = (1, 0, 2), stride 2: y[0:3] += 1k, y[2:5] += 2k, y[4:7] += -1k
#   = (1, 0, 2 + 2, 0, 4 - 1, 0, -2) = (1, 0, 4, 0, 3, 0, -2), length (3 - 1)·2 + 3 = 7
SIGNAL = {"input": [1, 2, -1], "kernel": [1, 0, 2], "stride": 2}
# A = [1 2; -1 1], K = [1 0 2; 1 1 0] (2×3), stride 1: 1K at (0, 0), 2K at (0, 1), -1K at (1, 0), 1K at (1, 1)
#   row 0: (1, 0, 2, 0) + (0, 2, 0, 4)                                 = (1, 2, 2, 4)
#   row 1: (1, 1, 0, 0) + (0, 2, 2, 0) + (-1, 0, -2, 0) + (0, 1, 0, 2) = (0, 4, 0, 2)
#   row 2: (-1, -1, 0, 0) + (0, 1, 1, 0)                               = (-1, 0, 1, 0)
RECT = {"input": [[1, 2], [-1, 1]], "kernel": [[1, 0, 2], [1, 1, 0]], "stride": 1}


def test_transposed_convolution_of_a_signal_by_hand():
    v = values("upsampling", SIGNAL)
    assert v["size"] == 7 and v["tconv"] == [1, 0, 4, 0, 3, 0, -2]
    assert not {"pool", "up", "unpool", "size_w"} & set(v)
    v = values("upsampling", {**SIGNAL, "padding": 1})  # one entry cropped at each end: (3 - 1)·2 - 2 + 3 = 5
    assert v["size"] == 5 and v["tconv"] == [0, 4, 0, 3, 0]


def test_transposed_convolution_with_a_rectangular_kernel_by_hand():
    v = values("upsampling", RECT)
    assert (v["size"], v["size_w"]) == (3, 4)  # (2 - 1) + 2, (2 - 1) + 3
    assert v["tconv"] == [[1, 2, 2, 4], [0, 4, 0, 2], [-1, 0, 1, 0]]
    # given both: the pooling parts use x, the transposed convolution the given input
    v = values("upsampling", {**UP, **RECT})
    assert v["pool"] == [[5, 8], [9, 4]] and v["tconv"] == [[1, 2, 2, 4], [0, 4, 0, 2], [-1, 0, 1, 0]]


def test_transposed_convolution_mistakes_are_named_for_the_new_forms():
    # overwriting in the order A00, A01, A10, A11: row 0 keeps 2K's (1, 2, 0, 4) ...
    overwritten = [[1, 2, 0, 4], [-1, 1, 0, 2], [-1, 1, 1, 0]]
    q, r = grade("upsampling", RECT, {"a": {"tconv": overwritten}})
    assert status(r, "tconv") == ("mistake", ["overlap_not_summed"])
    # the kernel flipped (rows and columns): [0 1 1; 2 0 1]
    q, r = grade("upsampling", RECT, {"a": {"tconv": [[0, 1, 3, 2], [2, 3, 1, 3], [-2, 2, -1, 1]]}})
    assert status(r, "tconv") == ("mistake", ["kernel_flipped"])
    q, r = grade("upsampling", {**SIGNAL, "padding": 1}, {"a": {"size": 9}})  # (3 - 1)·2 + 2 + 3
    assert status(r, "size") == ("mistake", ["padding_added"])
    # 1-D, overwriting: y[0:3] = 1k, then y[2:5] = 2k = (2, 0, 4), then y[4:7] = -1k = (-1, 0, -2)
    q, r = grade("upsampling", SIGNAL, {"a": {"tconv": [1, 0, 2, 0, -1, 0, -2]}})
    assert status(r, "tconv") == ("mistake", ["overlap_not_summed"])
    # one wrong entry of seven (a sign slip): partial credit
    q, r = grade("upsampling", SIGNAL, {"a": {"tconv": [1, 0, 4, 0, 3, 0, 2]}})
    assert status(r, "tconv")[0] == "partial"


@pytest.mark.parametrize("givens, words", [
    ({"kernel": [1, 2], "stride": 1}, "give x"),
    ({**SIGNAL, "kernel": [[1, 2], [3, 4]]}, "the kernel must be 1-D"),
    ({**RECT, "kernel": [1, 2]}, "the kernel must be 2-D"),
    ({**SIGNAL, "method": "nearest"}, "method goes with x"),
    ({**RECT, "input": [[1, 2], [3]]}, "rectangular"),
    ({"input": [1], "kernel": [1], "stride": 1, "padding": 1}, "leaves no output"),
])
def test_upsampling_givens_errors_are_one_line(givens, words):
    with pytest.raises(GivenError) as e:
        registry.get("upsampling").givens(givens)
    assert words in str(e.value) and "\n" not in str(e.value)


# --- saliency ----------------------------------------------------------------------------------
# z1 = W1 x + b1 = (1 + 1.5, -1 + 0.5 + 0.2, -1 + 1 + 0.5) = (2.5, -0.3, 0.5); h = (2.5, 0, 0.5)
# s = W2 h + b2 = (2.5 - 0.5, -2.5 + 1 + 0.1) = (2, -1.4): class 1, whose weights are (1, 2, -1)
SAL = {"x": [1, 0.5, 0.5, 0], "W1": [[1, 3, 0, 0], [0, -2, 1, 0], [-1, 0, 2, 1]], "b1": [0, 0.2, 0.5],
       "W2": [[1, 2, -1], [-1, 1, 2]], "b2": [0, 0.1]}


def test_saliency_by_hand():
    v = values("saliency", SAL)
    assert v["z1"] == pytest.approx([2.5, -0.3, 0.5])
    assert v["scores"] == pytest.approx([2, -1.4]) and v["pred"] == 1
    assert v["dz1"] == [1, 0, -1]                       # (1, 2, -1) * ReLU'(z1) = (1, 2, -1) * (1, 0, 1)
    assert v["grad"] == [2, 3, -2, -1]                  # 1 * row 1 of W1 - 1 * row 3
    assert v["saliency"] == [2, 3, 2, 1] and v["top"] == 2
    assert v["guided_dz1"] == [1, 0, 0]                 # only unit 1 is active with a positive gradient
    assert v["guided"] == [1, 3, 0, 0]


def test_saliency_mistakes_are_named():
    q, r = grade("saliency", SAL, {"b": {"dz1": [1, 2, -1]}, "c": {"guided_dz1": [1, 0, -1]}})
    assert status(r, "dz1") == ("mistake", ["relu_mask_missing"])
    assert status(r, "guided_dz1") == ("mistake", ["guided_passes_negative"])
    q, r = grade("saliency", SAL, {"b": {"saliency": [2, 3, -2, -1]}, "c": {"guided_dz1": [1, 2, 0]}})
    assert status(r, "saliency") == ("mistake", ["saliency_no_abs"])
    assert status(r, "guided_dz1") == ("mistake", ["deconvnet_rule"])


def test_saliency_follow_through_from_a_wrong_forward_pass():
    # z1 = (2.5, 0.3, 0.5) (sign slip): h = (2.5, 0.3, 0.5), s = (2.6, -1.1), still class 1;
    # unit 2 now passes its gradient: dz1 = (1, 2, -1), grad = (2, -1, 0, -1), top pixel 1;
    # guided: (1, 2, 0) -> W1^T (1, 2, 0) = (1, -1, 2, 0)
    q, r = grade("saliency", SAL, {"a": {"z1": [2.5, 0.3, 0.5], "scores": [2.6, -1.1]},
                                   "b": {"dz1": [1, 2, -1], "grad": [2, -1, 0, -1], "saliency": [2, 1, 0, 1],
                                         "top": 1},
                                   "c": {"guided_dz1": [1, 2, 0], "guided": [1, -1, 2, 0]}})
    assert status(r, "z1")[0] == "partial"
    assert status(r, "pred")[0] == "correct"
    for name in ("scores", "dz1", "grad", "saliency", "top", "guided_dz1", "guided"):
        assert status(r, name)[0] == "follow_through", name


def test_saliency_linear_model_by_hand():
    lin = {"x": [1, 0, 0.5, 0.5], "W2": [[0.5, -1, 0.2, 0.4], [-0.6, 0.3, 0.8, -0.2]], "b2": [0, 0.1]}
    v = values("saliency", lin)
    assert v["scores"] == pytest.approx([0.8, -0.2]) and v["pred"] == 1   # 0.5 + 0.1 + 0.2; -0.6 + 0.4 - 0.1 + 0.1
    assert v["grad"] == [0.5, -1, 0.2, 0.4] and v["saliency"] == [0.5, 1, 0.2, 0.4] and v["top"] == 2
    # the signed gradient as saliency is named; its arg max (pixel 1) then follows through
    q, r = grade("saliency", lin, {"b": {"saliency": [0.5, -1, 0.2, 0.4], "top": 1}})
    assert status(r, "saliency") == ("mistake", ["saliency_no_abs"])
    assert status(r, "top")[0] == "follow_through"


# A tie for the highest score: class 2's weights (0, 5, 4) give s_2 = 0 + 0 + 4 · 0.5 = 2 = s_1.
# Class 2 then: dz1 = (0, 5, 4) * (1, 0, 1) = (0, 0, 4), grad = 4 · row 3 of W1 = (-4, 0, 8, 4),
# saliency (4, 0, 8, 4), top pixel 3; guided (0, 0, 4) gives the same (-4, 0, 8, 4).
SAL_TIE = {**SAL, "W2": [[1, 2, -1], [0, 5, 4]], "b2": [0, 0]}


def test_saliency_tied_classes_are_both_right():
    q = solve("saliency", SAL_TIE)
    assert q.step("pred").value == 1 and q.step("pred").alternatives == [2]
    q, r = grade("saliency", SAL_TIE, {"a": {"pred": 2},
                                       "b": {"dz1": [0, 0, 4], "grad": [-4, 0, 8, 4], "saliency": [4, 0, 8, 4],
                                             "top": 3},
                                       "c": {"guided_dz1": [0, 0, 4], "guided": [-4, 0, 8, 4]}})
    assert r.score == r.points  # the other tied class, and everything that follows from it, is right


def test_saliency_tied_pixels_are_both_right():
    # linear model: grad = row 1 = (0.5, -1, 1, 0.4), |grad| = (0.5, 1, 1, 0.4): pixels 2 and 3 tie
    lin = {"x": [1, 0, 0.5, 0.5], "W2": [[0.5, -1, 1, 0.4], [-0.6, 0.3, 0.8, -0.2]], "b2": [0, 0.1]}
    q = solve("saliency", lin)
    assert q.step("top").value == 2 and q.step("top").alternatives == [3]
    q, r = grade("saliency", lin, {"b": {"top": 3}})
    assert status(r, "top")[0] == "correct"
    q, r = grade("saliency", lin, {"b": {"top": 1}})
    assert status(r, "top")[0] == "wrong"


# --- class_activation_map ----------------------------------------------------------------------
# F = (4/4, 6/4) = (1, 1.5); S = (1 - 0.75, -1 + 1.5) = (0.25, 0.5): class 2;
# M_2 = -f_1 + f_2 = [-1 2; 0 1], whose mean 0.5 is S_2; rescaled (M + 1) / 3
CAM = {"maps": [[[1, 0], [1, 2]], [[0, 2], [1, 3]]], "weights": [[1, -0.5], [-1, 1]]}


def test_cam_by_hand():
    v = values("class_activation_map", CAM)
    assert v["gap"] == [1, 1.5] and v["scores"] == pytest.approx([0.25, 0.5]) and v["pred"] == 2
    assert v["cam"] == [[-1, 2], [0, 1]]
    assert np.array(v["cam_norm"]) == pytest.approx(np.array([[0, 1], [1 / 3, 2 / 3]]))


def test_cam_mistakes_are_named():
    q, r = grade("class_activation_map", CAM, {"a": {"gap": [4, 6]}, "c": {"cam_norm": [[-0.5, 1], [0, 0.5]]}})
    assert status(r, "gap") == ("mistake", ["gap_sum"])
    assert status(r, "cam_norm") == ("mistake", ["normalised_by_max"])
    # W^T F = (1 - 1.5, -0.5 + 1.5) = (-0.5, 1)
    q, r = grade("class_activation_map", CAM, {"a": {"scores": [-0.5, 1]}})
    assert status(r, "scores") == ("mistake", ["weights_transposed"])


def test_cam_follow_through_to_another_class():
    # F = (1, 0.5) (wrong): S = (0.75, -0.5), class 1; M_1 = f_1 - 0.5 f_2 = [1 -1; 0.5 0.5];
    # rescaled (M + 1) / 2 = [1 0; 0.75 0.75]
    q, r = grade("class_activation_map", CAM, {"a": {"gap": [1, 0.5], "scores": [0.75, -0.5], "pred": 1},
                                               "b": {"cam": [[1, -1], [0.5, 0.5]]},
                                               "c": {"cam_norm": [[1, 0], [0.75, 0.75]]}})
    assert status(r, "gap")[0] == "partial"
    for name in ("scores", "pred", "cam", "cam_norm"):
        assert status(r, name)[0] == "follow_through", name


def test_cam_tied_classes_are_both_right():
    # F = (2/4, 2/4) = (0.5, 0.5); S = (0.5, 0.5, -0.5): classes 1 and 2 tie. M_1 = f_1, M_2 = f_2;
    # class 2: M_2 = [2 0; 0 0], rescaled M_2 / 2 = [1 0; 0 0]
    tie = {"maps": [[[1, 0], [0, 1]], [[2, 0], [0, 0]]], "weights": [[1, 0], [0, 1], [-1, 0]]}
    q = solve("class_activation_map", tie)
    assert q.step("pred").value == 1 and q.step("pred").alternatives == [2]
    q, r = grade("class_activation_map", tie, {"a": {"pred": 2}, "b": {"cam": [[2, 0], [0, 0]]},
                                               "c": {"cam_norm": [[1, 0], [0, 0]]}})
    assert r.score == r.points


# --- fgsm --------------------------------------------------------------------------------------
# z = 2 * 0.5 - 0.2 + 0.4 - 0.5 = 0.7, predicted 1 = y; grad = (sigma(0.7) - 1) w, signs (-, +, -);
# x_adv = x + 0.2 (-1, 1, -1) = (0.3, 0.4, 0.2); z_adv = 0.7 - 0.2 * (2 + 1 + 1) = -0.1: it flips
FG = {"w": [2, -1, 1], "b": -0.5, "x": [0.5, 0.2, 0.4], "y": 1, "eps": 0.2}


def test_fgsm_by_hand():
    v = values("fgsm", FG)
    p = sigmoid(0.7)
    assert v["z"] == pytest.approx(0.7) and v["p"] == pytest.approx(p) and v["pred"] == 1
    assert v["grad"] == pytest.approx([2 * (p - 1), -(p - 1), p - 1])
    assert v["sign"] == [-1, 1, -1]
    assert v["x_adv"] == pytest.approx([0.3, 0.4, 0.2])
    assert v["z_adv"] == pytest.approx(-0.1) and v["p_adv"] == pytest.approx(sigmoid(-0.1))
    assert v["flips"] == "yes"


def test_fgsm_mistakes_are_named():
    p = sigmoid(0.7)
    q, r = grade("fgsm", FG, {"b": {"grad": [(p - 1) * 0.5, (p - 1) * 0.2, (p - 1) * 0.4]}})
    assert status(r, "grad") == ("mistake", ["grad_wrt_weights"])
    q, r = grade("fgsm", FG, {"b": {"grad": [2 * (1 - p), p - 1, 1 - p]}})
    assert status(r, "grad") == ("mistake", ["error_sign"])
    q, r = grade("fgsm", FG, {"b": {"x_adv": [0.7, 0.0, 0.6]}})     # x - 0.2 sign
    assert status(r, "x_adv") == ("mistake", ["gradient_sign_flipped"])
    g = 0.2 * (p - 1)
    q, r = grade("fgsm", FG, {"b": {"x_adv": [0.5 + 2 * g, 0.2 - g, 0.4 + g]}})   # x + 0.2 grad
    assert status(r, "x_adv") == ("mistake", ["no_sign"])


def test_fgsm_follow_through_and_a_wrong_flip():
    # z = 0.5 (wrong): sigma(0.5) = 0.622459, the gradient (0.622459 - 1) w follows; its signs are
    # unchanged, so x_adv and everything after it are simply right
    p = sigmoid(0.5)
    q, r = grade("fgsm", FG, {"a": {"z": 0.5, "p": p}, "b": {"grad": [2 * (p - 1), 1 - p, p - 1]}})
    assert status(r, "z")[0] == "wrong"
    assert status(r, "p")[0] == "follow_through" and status(r, "grad")[0] == "follow_through"
    assert status(r, "x_adv")[0] == "correct"
    q, r = grade("fgsm", FG, {"c": {"flips": "no"}})
    assert status(r, "flips")[0] == "wrong" and r.parts[2].score < 10


# --- givens typed in by a teacher: one-line errors ---------------------------------------------

@pytest.mark.parametrize("gid, givens, words", [
    ("classification_metrics", {"tp": 3, "fp": 1, "fn": 1}, "give either"),
    ("classification_metrics", {"tp": 0, "fp": 1, "fn": 1, "tn": 3}, "true positive"),
    ("overlap_metrics", {"mask_a": [[1, 0]], "mask_b": [[1, 0, 1]]}, "same size"),
    ("overlap_metrics", {"box_format": "corners", "box_a": [3, 0, 1, 2], "box_b": [0, 0, 1, 1]}, "x1 < x2"),
    ("average_precision", {**ap_givens("all-point"), "scores": [PADILLA_SCORES, [0.5, 0.8, 0.7]]}, "decreasing"),
    ("average_precision", {**ap_givens("all-point"), "n_gt": [6, 2]}, "n_gt"),
    ("detection_label", {**DL, "box": [40, 20, 220, 80]}, "inside the image"),
    ("detection_label", {**DL, "pred": [0.9, 0.5]}, "5 + K"),
    ("upsampling", {**UP, "x": [[1, 1, 0, 0], [0, 0, 0, 0], [1, 2, 3, 4], [5, 6, 7, 8]]}, "unique maximum"),
    ("class_activation_map", {**CAM, "weights": [[1, 1]]}, "at least 2"),
    ("fgsm", {**FG, "w": [2, 0, 1]}, "zero weight"),
    ("fgsm", {**FG, "eps": 0}, "eps"),
    ("fgsm", {**FG, "delta": 1}, "not a known field"),
])
def test_bad_givens_give_a_one_line_error(gid, givens, words):
    with pytest.raises(GivenError) as e:
        solve(gid, givens)
    msg = str(e.value)
    assert words in msg and "\n" not in msg and msg.startswith(f"{gid} givens")
