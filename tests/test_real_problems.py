"""Real problems, typed in: worked examples and exercises from textbooks and published course
material, posed through ``examgen.solve`` and checked against the answer the source publishes.

Every expected value below is copied from the source named with it (book section, lecture or
URL), never computed by examgen. Sources print rounded numbers, so each problem is checked to
the precision the source prints (``tol``: half a unit of its last digit, or one unit where the
source rounds its intermediate results first). A problem whose source needs a form the
generators cannot pose yet is listed in the report of issue 15, not here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import examgen


@dataclass(frozen=True)
class Problem:
    id: str
    source: str
    generator: str
    cases: list[tuple[dict, dict]]  # (givens, {step: published value})
    tol: float = 0.0
    needs_torch: bool = False
    note: str = field(default="", compare=False)


ARANGE9 = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
ARANGE16 = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]
D2L_K = [[0, 1], [2, 3]]
# d2l's transposed-convolution input is X = [[0, 1], [2, 3]]; the upsampling generator starts
# from the map before 2x2 max pooling, so it is typed in as a map whose window maxima are X.
POOLS_TO_D2L_X = [[0, -1, 1, 0], [-1, -2, 0, -1], [2, 1, 3, 2], [1, 0, 2, 1]]
SB_GRID = dict(rows=4, cols=4, terminals=[[0, 0], [3, 3]], gamma=1.0, reward=-1.0)


def conv(k, filters, stride=1, padding=0):
    return dict(type="conv", kernel=k, filters=filters, stride=stride, padding=padding)


def pool(kind, k, stride):
    return dict(type=kind, kernel=k, stride=stride)


PROBLEMS = [
    # --- convolutions and pooling ------------------------------------------------------------
    Problem("d2l-7.2-cross-correlation",
            "Zhang et al., Dive into Deep Learning, 7.2.1 The Cross-Correlation Operation "
            "(https://d2l.ai/chapter_convolutional-neural-networks/conv-layer.html)",
            "conv2d_values", [(dict(x=ARANGE9, kernel=D2L_K, bias=0), {"z": [[19, 25], [37, 43]]})]),
    Problem("d2l-14.10-corr2d-as-matrix",
            "Dive into Deep Learning, 14.10.3 Connection to Matrix Transposition: corr2d of "
            "arange(9) with [[1, 2], [3, 4]] (https://d2l.ai/chapter_computer-vision/transposed-conv.html)",
            "conv2d_values", [(dict(x=ARANGE9, kernel=[[1, 2], [3, 4]], bias=0), {"z": [[27, 37], [57, 67]]})]),
    Problem("d2l-7.5-max-pooling",
            "Dive into Deep Learning, 7.5.1 Maximum Pooling and Average Pooling: pool2d(X, (2, 2)) "
            "(https://d2l.ai/chapter_convolutional-neural-networks/pooling.html)",
            "pooling_values", [(dict(x=ARANGE9, pool="max", kernel=2, stride=1), {"y": [[4, 5], [7, 8]]})]),
    Problem("d2l-7.5-average-pooling",
            "Dive into Deep Learning, 7.5.1: pool2d(X, (2, 2), 'avg')",
            "pooling_values", [(dict(x=ARANGE9, pool="average", kernel=2, stride=1), {"y": [[2, 3], [5, 6]]})]),
    Problem("d2l-7.5-default-stride",
            "Dive into Deep Learning, 7.5.2 Padding and Stride: nn.MaxPool2d(3) on arange(16) "
            "(the stride defaults to the window) gives [[10.]]",
            "pooling_values", [(dict(x=ARANGE16, pool="max", kernel=3, stride=3), {"n_out": 1, "y": [[10]]})]),
    Problem("cs231n-max-pool-figure",
            "CS231n notes, Convolutional Networks, Pooling Layer: max pooling with 2x2 filters and "
            "stride 2 on one depth slice (https://cs231n.github.io/convolutional-networks/#pool)",
            "pooling_values", [(dict(x=[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], pool="max",
                                     kernel=2, stride=2), {"y": [[6, 8], [3, 4]]})]),
    Problem("cs231n-pool-volume",
            "CS231n notes, Pooling Layer: an input volume of size [224x224x64] pooled with filter "
            "size 2, stride 2 into an output volume of size [112x112x64]",
            "conv_output", [(dict(height=224, width=224, channels=64, layers=[pool("maxpool", 2, 2)]),
                             {"h1": 112, "w1": 112, "c1": 64, "params1": 0})]),
    Problem("cs231n-7x7-stride-1",
            "CS231n notes, Convolutional Layer, Spatial arrangement: a 7x7 input and a 3x3 filter "
            "with stride 1 and pad 0 give a 5x5 output",
            "conv_output", [(dict(height=7, width=7, channels=1, layers=[conv(3, 1)]), {"h1": 5, "w1": 5})]),
    Problem("cs231n-7x7-stride-2",
            "CS231n notes, Spatial arrangement: with stride 2 the 7x7 input gives a 3x3 output",
            "conv_output", [(dict(height=7, width=7, channels=1, layers=[conv(3, 1, stride=2)]),
                             {"h1": 3, "w1": 3})]),
    Problem("cs231n-alexnet-conv1",
            "CS231n notes, Real-world example and Parameter Sharing: AlexNet's first layer on "
            "[227x227x3] with F=11, S=4, P=0, K=96 gives [55x55x96]; 96*11*11*3 = 34,848 weights, "
            "or 34,944 parameters (+96 biases)",
            "conv_output", [(dict(height=227, width=227, channels=3, layers=[conv(11, 96, stride=4)]),
                             {"h1": 55, "w1": 55, "c1": 96, "params1": 34944})]),
    Problem("cs231n-conv-demo",
            "CS231n notes, Convolution Demo: input W1=5, H1=5, D1=3, K=2 filters, F=3, S=2, P=1: "
            "the output volume has spatial size (5 - 3 + 2)/2 + 1 = 3 and depth 2",
            "conv_output", [(dict(height=5, width=5, channels=3, layers=[conv(3, 2, stride=2, padding=1)]),
                             {"h1": 3, "w1": 3, "c1": 2})]),
    Problem("cs231n-stacked-3x3",
            "CS231n notes, ConvNet Architectures, 'Prefer a stack of small filter CONV': three "
            "stacked 3x3 CONV layers see 3x3, then 5x5, then 7x7 of the input",
            "receptive_field", [(dict(layers=[dict(type="conv", kernel=3)] * 3), {"rf1": 3, "rf2": 5, "rf3": 7})]),
    Problem("lecun-1998-lenet5",
            "LeCun, Bottou, Bengio, Haffner, Gradient-Based Learning Applied to Document Recognition "
            "(Proc. IEEE 1998), II.B LeNet-5: C1 6@28x28 with 156 trainable parameters, S2 6@14x14, "
            "C3 16@10x10, S4 16@5x5, C5 120 maps of 1x1 with 48,120 trainable connections",
            "conv_output", [(dict(height=32, width=32, channels=1,
                                  layers=[conv(5, 6), pool("avgpool", 2, 2), conv(5, 16), pool("avgpool", 2, 2),
                                          conv(5, 120)]),
                             {"h1": 28, "c1": 6, "params1": 156, "h2": 14, "c2": 6, "h3": 10, "c3": 16,
                              "h4": 5, "c4": 16, "h5": 1, "w5": 1, "c5": 120, "params5": 48120})],
            note="C3's 1,516 parameters come from its partial connection table, which no generator poses"),
    Problem("chollet-dlwp-5.1-convnet",
            "Chollet, Deep Learning with Python (1st ed.), 5.1 Introduction to convnets: "
            "model.summary() of Conv2D(32, 3) - MaxPooling2D(2) - Conv2D(64, 3) - MaxPooling2D(2) - "
            "Conv2D(64, 3) on (28, 28, 1): 320, 18,496 and 36,928 parameters, total 55,744 "
            "(github.com/fchollet/deep-learning-with-python-notebooks, 5.1-introduction-to-convnets.ipynb)",
            "conv_output", [(dict(height=28, width=28, channels=1,
                                  layers=[conv(3, 32), pool("maxpool", 2, 2), conv(3, 64), pool("maxpool", 2, 2),
                                          conv(3, 64)]),
                             {"h1": 26, "c1": 32, "params1": 320, "h2": 13, "h3": 11, "c3": 64, "params3": 18496,
                              "h4": 5, "h5": 3, "w5": 3, "c5": 64, "params5": 36928, "total_params": 55744})]),
    Problem("d2l-7.3-padding",
            "Dive into Deep Learning, 7.3.1 Padding: an 8x8 input, a 3x3 kernel and padding 1 give "
            "an 8x8 output (https://d2l.ai/chapter_convolutional-neural-networks/padding-and-strides.html)",
            "conv_output", [(dict(height=8, width=8, channels=1, layers=[conv(3, 1, padding=1)]),
                             {"h1": 8, "w1": 8})]),
    Problem("d2l-7.3-stride",
            "Dive into Deep Learning, 7.3.2 Stride: the same layer with stride 2 gives 4x4",
            "conv_output", [(dict(height=8, width=8, channels=1, layers=[conv(3, 1, stride=2, padding=1)]),
                             {"h1": 4, "w1": 4})]),
    # --- transposed convolution ----------------------------------------------------------------
    Problem("d2l-14.10-transposed-conv",
            "Dive into Deep Learning, 14.10.1 Basic Operation: trans_conv([[0, 1], [2, 3]], "
            "[[0, 1], [2, 3]]) (https://d2l.ai/chapter_computer-vision/transposed-conv.html)",
            "upsampling", [(dict(x=POOLS_TO_D2L_X, method="nearest", kernel=D2L_K, stride=1),
                            {"pool": [[0, 1], [2, 3]], "size": 3, "tconv": [[0, 0, 1], [0, 4, 6], [4, 12, 9]]})]),
    Problem("d2l-14.10-transposed-conv-stride",
            "Dive into Deep Learning, 14.10.2 Padding, Strides, and Multiple Channels: stride 2",
            "upsampling", [(dict(x=POOLS_TO_D2L_X, method="nearest", kernel=D2L_K, stride=2),
                            {"size": 4, "tconv": [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]})]),
    Problem("d2l-14.10-transposed-conv-padding",
            "Dive into Deep Learning, 14.10.2: padding 1 removes the first and last rows and "
            "columns, leaving [[4.]]",
            "upsampling", [(dict(x=POOLS_TO_D2L_X, method="nearest", kernel=D2L_K, stride=1, padding=1),
                            {"size": 1, "tconv": [[4]]})]),
    # --- reinforcement learning ----------------------------------------------------------------
    Problem("sutton-barto-fig-4.1-k2",
            "Sutton & Barto, Reinforcement Learning (2nd ed.), Example 4.1 and Figure 4.1: iterative "
            "policy evaluation of the random policy on the 4x4 grid, v_1 and v_2",
            "bellman", [(dict(SB_GRID, sweeps=3, cell=[0, 1]),
                         {"v1": [[0, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, 0]],
                          "v2": [[0, -1.7, -2.0, -2.0], [-1.7, -2.0, -2.0, -2.0], [-2.0, -2.0, -2.0, -1.7],
                                 [-2.0, -2.0, -1.7, 0]]})],
            tol=0.05 + 1e-9, note="the figure prints one decimal (-1.75 appears as -1.7)"),
    Problem("sutton-barto-fig-4.1-k3",
            "Sutton & Barto, Figure 4.1, k = 3: row 1 reads 0.0, -2.4, -2.9, -3.0 and row 2 -2.4, -2.9, -3.0, -2.9",
            "bellman", [(dict(SB_GRID, sweeps=3, cell=c), {"v3_cell": v}) for c, v in
                        [([0, 1], -2.4), ([0, 2], -2.9), ([0, 3], -3.0), ([1, 1], -2.9), ([1, 2], -3.0),
                         ([1, 3], -2.9)]],
            tol=0.05 + 1e-9),
    Problem("sutton-barto-ex-3.8",
            "Sutton & Barto, Exercise 3.8: gamma = 0.5, R1..R5 = -1, 2, 6, 3, 2, T = 5: "
            "G0..G4 = 2, 6, 8, 4, 2 (worked solution: github.com/DavidBellamy/suttonbarto, ch03_ex03-08)",
            "discounted_return", [(dict(rewards=[-1, 2, 6, 3, 2], gamma=0.5),
                                   {"G0": 2, "G1": 6, "G2": 8, "G3": 4, "G4": 2})]),
    Problem("sutton-barto-ex-3.9",
            "Sutton & Barto, Exercise 3.9: gamma = 0.9, R1 = 2 followed by an infinite sequence of "
            "7s: G1 = 70, G0 = 65",
            "discounted_return", [(dict(rewards=[2], gamma=0.9, tail=7), {"G1": 70, "G0": 65})], tol=1e-9),
    Problem("sutton-barto-ex-2.1",
            "Sutton & Barto, Exercise 2.1: epsilon-greedy with two actions and epsilon = 0.5 selects "
            "the greedy action with probability 0.75 (1 - eps + eps/k)",
            "epsilon_greedy", [(dict(q=[1.0, 0.0], epsilon=0.5), {"probs": [0.75, 0.25]})], tol=1e-12),
    Problem("silver-lecture-2-return-1",
            "D. Silver, UCL RL course, Lecture 2 (MDPs), 'Example: Student MRP Returns', gamma = 1/2: "
            "C1 C2 C3 Pass Sleep: v1 = -2 - 2/2 - 2/4 + 10/8 = -2.25",
            "discounted_return", [(dict(rewards=[-2, -2, -2, 10], gamma=0.5), {"G0": -2.25})]),
    Problem("silver-lecture-2-return-2",
            "Silver, Lecture 2, Student MRP returns: C1 FB FB C1 C2 Sleep: -3.125",
            "discounted_return", [(dict(rewards=[-2, -1, -1, -2, -2], gamma=0.5), {"G0": -3.125})]),
    Problem("silver-lecture-2-return-3",
            "Silver, Lecture 2, Student MRP returns: C1 C2 C3 Pub C2 C3 Pass Sleep: -3.41",
            "discounted_return", [(dict(rewards=[-2, -2, -2, 1, -2, -2, 10], gamma=0.5), {"G0": -3.41})],
            tol=0.005),
    Problem("silver-lecture-3-shortest-path",
            "Silver, Lecture 3 (Planning by Dynamic Programming), 'Example: Shortest Path': value "
            "iteration on a 4x4 grid, goal in the top-left corner, reward -1 per step: V2, V3, V4",
            "value_iteration", [(dict(rows=4, cols=4, terminals=[[0, 0]], rewards=[[-1] * 4] * 4, gamma=1.0,
                                      sweeps=3, cells=[[0, 1]]),
                                 {"v1": [[0, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, -1]],
                                  "v2": [[0, -1, -2, -2], [-1, -2, -2, -2], [-2, -2, -2, -2], [-2, -2, -2, -2]],
                                  "v3": [[0, -1, -2, -3], [-1, -2, -3, -3], [-2, -3, -3, -3], [-3, -3, -3, -3]]})]),
    Problem("sutton-barto-fig-4.1-converged",
            "Sutton & Barto, Figure 4.1, k = infinity: v_pi of the random policy reads 0, -14, -20, "
            "-22 / -14, -18, -20, -20 / -20, -20, -18, -14 / -22, -20, -14, 0; the Bellman equation "
            "in a cell gives back its own value",
            "bellman", [(dict(SB_GRID, form="converged", cell=c), {"rhs": v}) for c, v in
                        [([0, 1], -14), ([0, 3], -22), ([1, 1], -18), ([1, 2], -20), ([2, 2], -18),
                         ([3, 1], -20)]],
            tol=1e-9),
    # --- linear models, dense networks, autograd ----------------------------------------------------
    Problem("d2l-4.1-softmax-regression",
            "Dive into Deep Learning, 4.1.1 Softmax Regression: 4 features and 3 output categories "
            "need 12 scalars for the weights and 3 for the biases "
            "(https://d2l.ai/chapter_linear-classification/softmax-regression.html)",
            "vectorized_shapes", [(dict(m=1, widths=[4, 3], model="softmax_regression"),
                                   {"W1_rows": 3, "W1_cols": 4, "b1_rows": 3, "params1": 15})]),
    Problem("d2l-4.4-fashion-mnist-softmax",
            "Dive into Deep Learning, 4.4 Softmax Regression Implementation from Scratch: 28x28 "
            "images flattened to 784 inputs, 10 classes: a 784 x 10 weight matrix and 10 biases "
            "(stored transposed here: W is (outputs, inputs))",
            "vectorized_shapes", [(dict(m=256, widths=[784, 10], model="softmax_regression"),
                                   {"W1_rows": 10, "W1_cols": 784, "b1_rows": 10, "params1": 7850})]),
    Problem("mazur-step-by-step-backprop",
            "M. Mazur, 'A Step by Step Backpropagation Example' (2015, mattmazur.com): inputs 0.05, "
            "0.10, sigmoid hidden and output layers, targets 0.01, 0.99, E = sum 1/2 (target - out)^2, "
            "learning rate 0.5: out_o1 = 0.75136507, E_total = 0.298371109; w5..w8 become 0.35891648, "
            "0.408666186, 0.511301270, 0.561370121 and w1..w4 0.149780716, 0.19956143, 0.24975114, "
            "0.29950229",
            "backprop", [(dict(x=[0.05, 0.10], W1=[[0.15, 0.20], [0.25, 0.30]], b1=[0.35, 0.35],
                               W2=[[0.40, 0.45], [0.50, 0.55]], b2=[0.60, 0.60], activation="sigmoid",
                               output="sigmoid", loss="half_squared", y=[0.01, 0.99], lr=0.5),
                          {"a1": [0.593269992, 0.596884378], "yhat": [0.75136507, 0.772928465],
                           "loss": 0.298371109,
                           "W2_new": [[0.35891648, 0.408666186], [0.511301270, 0.561370121]],
                           "W1_new": [[0.149780716, 0.19956143], [0.24975114, 0.29950229]]})],
            tol=5e-9, note="the post keeps the biases fixed; here they are updated too, which does "
                           "not change the weights' new values"),
    Problem("cs231n-softmax-example",
            "CS231n notes, Linear classification, Softmax classifier figure: scores -2.85, 0.86, "
            "0.28 (true class the third) normalise to 0.016, 0.631, 0.353; loss -ln(0.353) = 1.04 "
            "(https://cs231n.github.io/linear-classify/)",
            "softmax_ce", [(dict(x=[-2.85, 0.86, 0.28], W=[[1, 0, 0], [0, 1, 0], [0, 0, 1]], b=[0, 0, 0],
                                 true_class=3, lr=0.1), {"p": [0.016, 0.631, 0.353], "loss": 1.04})],
            tol=0.001 + 1e-9, note="the notes round the exponentials before normalising: one unit in the last digit"),
    Problem("goodfellow-6.1-xor",
            "Goodfellow, Bengio, Courville, Deep Learning, 6.1 Example: Learning XOR: W = [[1, 1], "
            "[1, 1]], c = [0, -1], w = [1, -2]: h = max(0, W^T x + c) is [0,0], [1,0], [1,0], [2,1] "
            "and w^T h = 0, 1, 1, 0 (here the first of two softmax logits)",
            "dense_forward", [(dict(x=x, W=[[[1, 1], [1, 1]], [[1, -2], [0, 0]]], b=[[0, -1], [0, 0]],
                                    activations=["relu"], layer=1, node=1), {"a1": h, "z2": [f, 0]})
                              for x, h, f in [([0, 0], [0, 0], 0), ([0, 1], [1, 0], 1), ([1, 0], [1, 0], 1),
                                              ([1, 1], [2, 1], 0)]]),
    Problem("ng-matrix-dimensions",
            "A. Ng, Deep Learning Specialization (Course 1, Week 4), 'Getting your matrix dimensions "
            "right': n = 2, 3, 5, 4, 2, 1; W[l] is (n[l], n[l-1]), b[l] is (n[l], 1), Z[l] is (n[l], m)",
            "vectorized_shapes", [(dict(m=10, widths=[2, 3, 5, 4, 2, 1], layer=l),
                                   {f"W{l}_rows": r, f"W{l}_cols": c, f"b{l}_rows": r, f"b{l}_cols": 1,
                                    f"Z{l}_rows": r, f"Z{l}_cols": 10, f"dW{l}_rows": r, f"dW{l}_cols": c})
                                  for l, r, c in [(1, 3, 2), (2, 5, 3), (3, 4, 5), (4, 2, 4), (5, 1, 2)]]),
    Problem("pytorch-blitz-autograd",
            "PyTorch 60-minute blitz, 'Autograd: Automatic Differentiation': x = ones(2, 2), "
            "y = x + 2, z = y * y * 3, out = z.mean(), out.backward(): x.grad is 4.5 everywhere",
            "autograd_trace", [(dict(tensors=[dict(name="x", value=[1, 1, 1, 1])],
                                     lines=[dict(name="y", expr=["+", "x", 2]),
                                            dict(name="z", expr=["*", ["*", "y", "y"], 3]),
                                            dict(name="out", expr=["mean", "z"]), dict(backward="out")]),
                                {"x_grad": [4.5, 4.5, 4.5, 4.5]})],
            needs_torch=True, note="the 2x2 tensor is typed in as its 4 entries (an elementwise graph)"),
    Problem("pytorch-gentle-intro-autograd",
            "PyTorch tutorial 'A Gentle Introduction to torch.autograd': a = [2, 3], b = [6, 4], "
            "Q = 3a^3 - b^2, Q.backward(gradient=ones): a.grad == 9a^2, b.grad == -2b",
            "autograd_trace", [(dict(tensors=[dict(name="a", value=[2, 3]), dict(name="b", value=[6, 4])],
                                     lines=[dict(name="Q", expr=["sum", ["-", ["*", 3, ["**", "a", 3]],
                                                                         ["**", "b", 2]]]),
                                            dict(backward="Q")]),
                                {"a_grad": [36, 81], "b_grad": [-12, -8]})],
            needs_torch=True, note="backward with a gradient of ones is the backward of the sum"),
    Problem("cs231n-backprop-simple",
            "CS231n notes, Backpropagation, Intuitions: f(x, y, z) = (x + y) z at x = -2, y = 5, "
            "z = -4: df/dx = -4, df/dy = -4, df/dz = 3 (https://cs231n.github.io/optimization-2/)",
            "autograd_trace", [(dict(tensors=[dict(name="x", value=-2), dict(name="y", value=5),
                                              dict(name="z", value=-4)],
                                     lines=[dict(name="q", expr=["+", "x", "y"]), dict(name="f", expr=["*", "q", "z"]),
                                            dict(backward="f")]),
                                {"x_grad": -4, "y_grad": -4, "z_grad": 3})],
            needs_torch=True),
    # --- detection and evaluation ---------------------------------------------------------------
    Problem("google-mlcc-precision-recall",
            "Google Machine Learning Crash Course, Classification: Accuracy / Precision and Recall: "
            "the tumour classifier with TP = 1, FP = 1, FN = 8, TN = 90 has accuracy 0.91, "
            "precision 0.5, recall 0.11",
            "classification_metrics", [(dict(tp=1, fp=1, fn=8, tn=90),
                                        {"accuracy": 0.91, "precision": 0.5, "sensitivity": 0.11})], tol=0.005),
    Problem("ng-yolo-iou",
            "A. Ng, Deep Learning Specialization (Course 4, Week 3), programming assignment "
            "'Autonomous driving - Car detection', iou(): box1 = (2, 1, 4, 3), box2 = (1, 2, 3, 4) "
            "(corners x1, y1, x2, y2): iou = 0.14285714285714285",
            "overlap_metrics", [(dict(box_format="corners", box_a=[2, 1, 4, 3], box_b=[1, 2, 3, 4]),
                                 {"iou": 0.14285714285714285})], tol=1e-12),
    Problem("hui-map-apples",
            "J. Hui, 'mAP (mean Average Precision) for Object Detection' (2018): 5 apples, 10 ranked "
            "predictions (correct: 1, 2, 6, 7, 10); rank 3 has precision 2/3 = 0.67 and recall "
            "2/5 = 0.4; the 11-point AP is (5 x 1.0 + 4 x 0.57 + 2 x 0.5)/11",
            "average_precision", [(dict(classes=["apple", "pear"], hits=[[1, 1, 0, 0, 0, 1, 1, 0, 0, 1], [1]],
                                        scores=[[0.99 - 0.01 * i for i in range(10)], [0.9]], n_gt=[5, 1],
                                        interpolation="11-point"),
                                   {"prec1": [1.0, 1.0, 0.67, 0.5, 0.4, 0.5, 0.57, 0.5, 0.44, 0.5],
                                    "rec1": [0.2, 0.4, 0.4, 0.4, 0.4, 0.6, 0.8, 0.8, 0.8, 1.0],
                                    "pint1": [1.0] * 5 + [0.57] * 4 + [0.5] * 2,
                                    "ap1": (5 * 1.0 + 4 * 0.57 + 2 * 0.5) / 11})],
            tol=0.005, note="the article's table is an image; the second class only completes the givens"),
    # --- statistics, GANs -----------------------------------------------------------------------
    Problem("wikipedia-mcnemar",
            "Wikipedia, McNemar's test, Examples: drug vs placebo, b = 121, c = 59: "
            "chi^2 = (121 - 59)^2 / (121 + 59) = 21.35",
            "significance", [(dict(n11=101, n10=121, n01=59, n00=33, continuity=False, half_width=0.05),
                              {"stat": 21.35})], tol=0.01, note="the article cuts 21.356 to 21.35: one unit"),
    Problem("cardillo-mcnemar-yates",
            "G. Cardillo, McNemar test for MATLAB (MathWorks File Exchange 15472, "
            "github.com/dnafinder/mcnemar), example x = [101 59; 121 33]: chi-square with Yates's "
            "correction = 20.672222",
            "significance", [(dict(n11=101, n10=121, n01=59, n00=33, continuity=True, half_width=0.05),
                              {"stat": 20.672222})], tol=5e-7),
    Problem("goodfellow-2014-gan-optimum",
            "Goodfellow et al., Generative Adversarial Nets (NeurIPS 2014), Proposition 1 and "
            "Theorem 1: D*(x) = p_data / (p_data + p_g), which is 1/2 when p_g = p_data, where "
            "C(G) reaches its global minimum -log 4",
            "gan_losses", [(dict(d_real=[0.8], d_fake=[0.3], sample=1, p_data=[0.25, 0.25, 0.5],
                                 p_g=[0.25, 0.25, 0.5]),
                            {"d_star": [0.5, 0.5, 0.5], "c_g": -math.log(4), "c_min": -math.log(4)})],
            tol=1e-12, note="the discriminator outputs only complete the givens"),
]


def test_at_least_thirty_problems_from_distinct_sources():
    assert len(PROBLEMS) >= 30 and len({p.id for p in PROBLEMS}) == len(PROBLEMS)
    assert all(p.source and p.cases for p in PROBLEMS)


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.id for p in PROBLEMS])
def test_published_answer(problem):
    if problem.needs_torch:
        pytest.importorskip("torch")
    for givens, published in problem.cases:
        q = examgen.solve(problem.generator, givens)
        for step, expected in published.items():
            ours = np.asarray(q.step(step).value, dtype=float)
            diff = np.max(np.abs(ours - np.asarray(expected, dtype=float)))
            assert diff <= problem.tol, (f"{problem.id}: {step} = {q.step(step).value}, published {expected} "
                                         f"(givens {givens}; source: {problem.source})")
