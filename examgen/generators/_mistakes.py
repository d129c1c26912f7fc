"""The catalogue of common mistakes: one name and one description for a mistake that several
generators detect, so a report (and an item analysis across generators) counts it as one.

A generator declares one with ``s.mistake(GRADIENT_ASCENT)``; a mistake only one generator can
make keeps a local name and description (``s.mistake("no_bias_correction", "why ...")``). A
catalogue name cannot be given another description (``Steps.mistake`` refuses), and
``tests/test_mistakes.py`` checks that every name two generators use is here and that no two
mistakes are near-duplicates. Descriptions are plain text, one line: what the student did, then
why it is wrong, in the course's notation.
"""

from ..steps import CommonMistake

# --- calculus and gradient descent ---------------------------------------------------------------
ACTIVATION_DERIVATIVE_MISSING = CommonMistake(
    "activation_derivative_missing", "left out the activation's derivative f'(z) in the chain rule")
ERROR_SIGN = CommonMistake(
    "error_sign", "used y - y_hat instead of y_hat - y (prediction minus target): the gradient has the "
                  "wrong sign")
GRADIENT_ASCENT = CommonMistake("gradient_ascent", "added the gradient; gradient descent subtracts it")
GRADIENT_NOT_AVERAGED = CommonMistake(
    "gradient_not_averaged", "summed over the examples without the 1/N of the mean")
INNER_DERIVATIVE_MISSING = CommonMistake("inner_derivative_missing", "left out dz/dw = x at the end of the chain")
HALF_FORGOTTEN = CommonMistake(
    "half_forgotten", "left out the factor 1/2 (when a squared term is differentiated, it cancels the power "
                      "rule's 2)")
POWER_RULE_FACTOR = CommonMistake(
    "power_rule_factor", "left out the factor k of the power rule: d(u^k)/du = k u^(k-1)")

# --- activations and losses ----------------------------------------------------------------------
LOG10 = CommonMistake("log10", "used the base-10 logarithm; the cross-entropy uses the natural logarithm")
LOSS_SIGN = CommonMistake(
    "loss_sign", "left out the minus sign of the cross-entropy: the loss -log p is positive")
RELU_FORGOTTEN = CommonMistake("relu_forgotten", "left out the ReLU: negative pre-activations become 0")
SIGMOID_DERIVATIVE_OF_Z = CommonMistake(
    "sigmoid_derivative_of_z", "used z(1 - z); the sigmoid's derivative is sigma(z)(1 - sigma(z)), in terms "
                               "of its output")
SIGMOID_DERIVATIVE_TWICE = CommonMistake(
    "sigmoid_derivative_twice", "multiplied by the sigmoid's derivative again: with the cross-entropy loss "
                                "it cancels, so dL/dz = prediction - target")
TANH_SQUARE_MISSING = CommonMistake("tanh_square_missing", "wrote 1 - a: tanh'(z) = 1 - tanh(z)^2")
SIGMOID_SIGN = CommonMistake(
    "sigmoid_sign", "used 1/(1 + e^z); the sigmoid is 1/(1 + e^-z), above 1/2 for positive z")

# --- layers and their parameters -----------------------------------------------------------------
BIAS_FORGOTTEN = CommonMistake("bias_forgotten", "left out the bias b, which is added to every weighted sum")
BIASES_NOT_COUNTED = CommonMistake(
    "biases_not_counted", "counted only the weights; every filter (or unit) also has a bias")
FLATTEN_SPATIAL_IGNORED = CommonMistake(
    "flatten_spatial_ignored", "counted only the channels; the flattened feature map has H·W·C inputs "
                               "(every position of every channel)")
INPUT_CHANNELS_IGNORED = CommonMistake(
    "input_channels_ignored", "counted one input channel per filter; a filter spans all input channels "
                              "(k·k·C_in weights)")
WEIGHTS_TRANSPOSED = CommonMistake(
    "weights_transposed", "used the weight matrix transposed; W has one row per unit of its layer, holding "
                          "the weights into that unit (z = W a + b)")

# --- convolution and pooling ---------------------------------------------------------------------
CEIL_INSTEAD_OF_FLOOR = CommonMistake(
    "ceil_instead_of_floor", "rounded up; windows that do not fit are dropped, so the output size rounds down")
DILATION_IGNORED = CommonMistake(
    "dilation_ignored", "ignored the dilation; a dilated kernel spans d(k-1)+1 inputs")
KERNEL_FLIPPED = CommonMistake(
    "kernel_flipped", "flipped the kernel (true convolution); CNN layers and transposed convolutions use the "
                      "kernel as it is given")
MISSING_PLUS_ONE = CommonMistake(
    "missing_plus_one", "left out the +1 of the output-size formula: the first window, then one more for "
                        "every s steps")
PADDING_ONCE = CommonMistake("padding_once", "added the padding once; it is added on both sides (2p)")
STRIDE_IGNORED = CommonMistake(
    "stride_ignored", "ignored the stride: the window moves s positions at a time, so only every s-th "
                      "window is kept")

# --- statistics and normalisation ----------------------------------------------------------------
DIVIDED_BY_VARIANCE = CommonMistake(
    "divided_by_variance", "divided by the variance sigma^2 instead of the standard deviation (its square "
                           "root)")
KL_REVERSED = CommonMistake(
    "kl_reversed", "computed the KL divergence the wrong way round; the target distribution comes first: "
                   "KL(P || Q) = sum p ln(p / q)")
NO_SQUARE_ROOT = CommonMistake(
    "no_square_root", "divided by the average (or sum) of the squared gradients instead of its square root")
PRECISION_RECALL_SWAPPED = CommonMistake(
    "precision_recall_swapped", "swapped precision and recall: precision TP / (TP + FP) is the share of the "
                                "detections that are right, recall TP / (TP + FN) the share of the objects "
                                "found")
RATIO_INVERTED = CommonMistake(
    "ratio_inverted", "divided the other way round: the inverse of the ratio the question asks for")
SAMPLE_SCALED_BY_VARIANCE = CommonMistake(
    "sample_scaled_by_variance", "multiplied the standard-normal sample by the variance sigma^2; it is "
                                 "scaled by the standard deviation sigma")
SAMPLE_VARIANCE = CommonMistake(
    "sample_variance", "divided by N - 1 (the sample variance); normalisation uses the population variance "
                       "of the values it pools (divide by N)")

# --- reinforcement learning ----------------------------------------------------------------------
DISCOUNT_IGNORED = CommonMistake(
    "discount_ignored", "left out the discount factor gamma: a reward k steps ahead is weighted gamma^k")
IN_PLACE_SWEEP = CommonMistake(
    "in_place_sweep", "updated the grid in place; the question asks for synchronous sweeps, each computed "
                      "from v_k only")
TERMINAL_UPDATED = CommonMistake(
    "terminal_updated", "updated a terminal state; terminal states keep value 0")

CATALOGUE: dict[str, CommonMistake] = {m.name: m for m in list(globals().values()) if isinstance(m, CommonMistake)}
"""Every entry, by name."""
