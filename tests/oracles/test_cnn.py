"""Oracles for the lecture-05 value generators (conv2d_values, pooling_values, receptive_field,
separable_params): every step against an independent PyTorch computation in float64 over
ORACLE_SEEDS seeds (default 200), plus the mistakes whose values torch can also produce."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import SEEDS, close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from examgen import registry  # noqa: E402
from examgen.registry import GivenError  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


def drawn(gid):
    """(where, givens, step values) of each seed's question; ``where`` names the seed."""
    for q, g, v in questions(gid):
        yield f"seed {q.seed}", g, v


def values_of(gid, givens):
    gen = registry.get(gid)
    return {s.name: s.value for s in gen.build(gen.givens(givens)).steps}


def mistake_values(gid, g, name):
    return registry.get(gid).run(g, mistake=name).values


def size_steps(v, h, w):
    """The solver asks one size for a square map ('n_...') and height and width otherwise."""
    return {"n": h} if h == w else {"h": h, "w": w}


# --- conv2d_values --------------------------------------------------------------------------


def _conv_cases():
    """Each drawn question, and a variant: one column dropped (non-square), values halved."""
    rng = np.random.default_rng(0)
    for where, g, v in drawn("conv2d_values"):
        yield where, g, v
        x = [[xx / 2 for xx in r[:-1]] for r in g.x]
        if min(len(x), len(x[0])) + 2 * g.padding >= len(g.kernel):
            d = g.model_dump()
            d.update(x=x, bias=g.bias + float(rng.integers(-2, 3)) / 4, relu=not g.relu)
            yield (f"{where}, one column less, halved", registry.get("conv2d_values").Givens.model_validate(d),
                   values_of("conv2d_values", d))


def torch_conv(g, kernel=None, bias=None):
    x = torch.tensor(g.x, dtype=DT)[None, None]
    k = torch.tensor(g.kernel if kernel is None else kernel, dtype=DT)[None, None]
    b = torch.tensor([g.bias if bias is None else bias], dtype=DT)
    return F.conv2d(x, k, b, stride=g.stride, padding=g.padding)[0, 0]


def test_conv2d_values_match_torch_conv2d():
    rectangular = 0
    for where, g, v in _conv_cases():
        x = torch.tensor(g.x, dtype=DT)
        padded = F.pad(x, (g.padding,) * 4)
        z = torch_conv(g)
        sizes = size_steps(v, *x.shape)
        rectangular += len(sizes) == 2
        for d, axis in zip(sizes, (0, 1)):
            assert v[f"{d}_pad"] == padded.shape[axis], where
            assert v[f"{d}_out"] == z.shape[axis], where
        close(v["z"], z.numpy(), msg=where)
        if g.relu:
            close(v["a"], F.relu(z).numpy(), msg=where)
        else:
            assert "a" not in v, where
    assert rectangular > 0


def test_conv2d_mistakes_match_torch():
    """The simulated mistakes are what they claim: torch's true convolution (flipped kernel),
    conv2d without bias, without padding, with stride 1."""
    gid = "conv2d_values"
    for where, g, v in _conv_cases():
        d = next(iter(size_steps(v, len(g.x), len(g.x[0]))))
        flipped = torch.flip(torch.tensor(g.kernel, dtype=DT), (0, 1)).tolist()
        close(mistake_values(gid, g, "kernel_flipped")["z"], torch_conv(g, kernel=flipped).numpy(), msg=where)
        if g.bias:
            close(mistake_values(gid, g, "bias_forgotten")["z"], torch_conv(g, bias=0.0).numpy(), msg=where)
        if g.padding:
            assert mistake_values(gid, g, "padding_forgotten")[f"{d}_pad"] == torch.tensor(g.x).shape[0], where
        if g.stride > 1:
            ones = torch.ones(1, 1, len(g.x) + 2 * g.padding, len(g.x[0]) + 2 * g.padding, dtype=DT)
            k = torch.ones(1, 1, len(g.kernel), len(g.kernel), dtype=DT)
            assert mistake_values(gid, g, "stride_ignored")[f"{d}_out"] == F.conv2d(ones, k).shape[2], where
        if g.relu:
            close(mistake_values(gid, g, "relu_forgotten")["a"], torch_conv(g).numpy(), msg=where)


# --- pooling_values -------------------------------------------------------------------------


def _pool_cases():
    """Each drawn question, and a variant: the other pooling type on a non-square crop."""
    for where, g, v in drawn("pooling_values"):
        yield where, g, v
        x = [r[:-1] for r in g.x]
        if min(len(x), len(x[0])) >= g.kernel:
            d = g.model_dump()
            d.update(x=x, pool="max" if g.pool == "average" else "average", channels=g.channels + 1)
            yield (f"{where}, the other pooling on a crop", registry.get("pooling_values").Givens.model_validate(d),
                   values_of("pooling_values", d))


def torch_pool(g, kind=None, ceil_mode=False):
    """Pool a (1, C, H, W) map whose channel 0 is the one shown (the others random)."""
    x = torch.rand(1, g.channels, len(g.x), len(g.x[0]), dtype=DT, generator=torch.Generator().manual_seed(0))
    x[0, 0] = torch.tensor(g.x, dtype=DT)
    pool = F.max_pool2d if (kind or g.pool) == "max" else F.avg_pool2d
    return pool(x, g.kernel, g.stride, padding=0, ceil_mode=ceil_mode)


def test_pooling_values_match_torch_pooling():
    rectangular = 0
    for where, g, v in _pool_cases():
        out = torch_pool(g)
        sizes = size_steps(v, len(g.x), len(g.x[0]))
        rectangular += len(sizes) == 2
        for d, axis in zip(sizes, (2, 3)):
            assert v[f"{d}_out"] == out.shape[axis], where
        assert v["values"] == out.numel(), where
        close(v["y"], out[0, 0].numpy(), msg=where)
    assert rectangular > 0


def test_pooling_mistakes_match_torch():
    gid = "pooling_values"
    for where, g, v in _pool_cases():
        other = "average" if g.pool == "max" else "max"
        close(mistake_values(gid, g, "wrong_pool_type")["y"], torch_pool(g, kind=other)[0, 0].numpy(), msg=where)
        d = next(iter(size_steps(v, len(g.x), len(g.x[0]))))
        n = len(g.x)
        if (n - g.kernel) % g.stride:
            assert mistake_values(gid, g, "ceil_instead_of_floor")[f"{d}_out"] == \
                torch_pool(g, ceil_mode=True).shape[2], where
        if g.pool == "average":
            close(mistake_values(gid, g, "sum_instead_of_mean")["y"], torch_pool(g)[0, 0].numpy() * g.kernel ** 2,
                  msg=where)
        if g.channels > 1:
            assert mistake_values(gid, g, "channels_forgotten")["values"] == torch_pool(g)[0, 0].numel(), where


# --- receptive_field ------------------------------------------------------------------------


def _stack(layers):
    """The layers in torch: all-ones conv kernels without bias, average pooling (its gradient
    reaches every input of a window, unlike max pooling's), no padding."""
    def run(x):
        for layer in layers:
            if layer.type == "conv":
                w = torch.ones(1, 1, layer.kernel, layer.kernel, dtype=DT)
                x = F.conv2d(x, w, stride=layer.stride, dilation=layer.dilation)
            else:
                x = F.avg_pool2d(x, layer.kernel, layer.stride)
        return x
    return run


def torch_receptive_field(layers):
    """(receptive field, jump) of the stack: backprop from one central output unit (and its right
    neighbour) to a zero input and measure the extent of the non-zero input gradient."""
    bound, jump = 1, 1  # a generous bound on the receptive field: each layer adds at most d·k·jump
    for layer in layers:
        bound += layer.dilation * layer.kernel * jump
        jump *= layer.stride
    size = bound + 4 * jump + 8  # room for three output units in a row, away from the border
    x = torch.zeros(1, 1, size, size, dtype=DT, requires_grad=True)
    out = _stack(layers)(x)
    rows, cols = out.shape[2], out.shape[3]
    assert rows >= 3, "input too small for the oracle"
    i = rows // 2
    extents, starts = [], []
    for j in (cols // 2, cols // 2 + 1):
        (grad,) = torch.autograd.grad(out[0, 0, i, j], x, retain_graph=True)
        nz_rows = torch.nonzero(grad[0, 0].abs().sum(1)).flatten()
        nz_cols = torch.nonzero(grad[0, 0].abs().sum(0)).flatten()
        assert 0 < nz_rows.min() and nz_rows.max() < size - 1, "receptive field touches the border"
        height = int(nz_rows.max() - nz_rows.min() + 1)
        width = int(nz_cols.max() - nz_cols.min() + 1)
        assert height == width
        extents.append(width)
        starts.append(int(nz_cols.min()))
    assert extents[0] == extents[1]
    return extents[0], starts[1] - starts[0]


def effective_kernel(k, d):
    """The size of the ordinary kernel (zeros between the taps) that computes the same as the
    dilated one, checked by running both in torch."""
    w = torch.arange(1, k * k + 1, dtype=DT).reshape(1, 1, k, k)
    filled = torch.zeros(1, 1, d * (k - 1) + 1, d * (k - 1) + 1, dtype=DT)
    filled[..., ::d, ::d] = w
    x = torch.rand(1, 1, 40, 40, dtype=DT, generator=torch.Generator().manual_seed(k * 100 + d))
    assert torch.allclose(F.conv2d(x, w, dilation=d), F.conv2d(x, filled))
    return filled.shape[-1]


def test_receptive_field_matches_torch_gradients():
    for where, g, v in drawn("receptive_field"):
        layers = g.layers
        for i in range(1, len(layers) + 1):
            layer = layers[i - 1]
            rf, jump = torch_receptive_field(layers[:i])
            assert v[f"rf{i}"] == rf, (where, layers, i)
            if layer.dilation > 1:
                assert v[f"k_eff{i}"] == effective_kernel(layer.kernel, layer.dilation), where
            else:
                assert f"k_eff{i}" not in v, where
            if layer.stride > 1 and i < len(layers):
                assert v[f"jump{i}"] == jump, where
            else:
                assert f"jump{i}" not in v, where


def test_receptive_field_variants_match_torch_gradients():
    """Stacks the draw does not make: large kernels, dilated pooling-free stacks, stride 3."""
    rng = np.random.default_rng(5)
    for _ in range(max(20, len(SEEDS) // 4)):
        layers = []
        for _ in range(int(rng.integers(1, 5))):
            if rng.random() < 0.3:
                layers.append(dict(type="maxpool", kernel=int(rng.integers(2, 4)), stride=int(rng.integers(1, 4))))
            else:
                layers.append(dict(type="conv", kernel=int(rng.integers(1, 6)), stride=int(rng.integers(1, 4)),
                                   dilation=int(rng.integers(1, 4))))
        v = values_of("receptive_field", {"layers": layers})
        g = registry.get("receptive_field").givens({"layers": layers})
        for i in range(1, len(layers) + 1):
            assert v[f"rf{i}"] == torch_receptive_field(g.layers[:i])[0], (layers, i)


# --- separable_params -----------------------------------------------------------------------


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _separable_cases():
    rng = np.random.default_rng(1)
    for where, g, v in drawn("separable_params"):
        yield where, g, v
        d = dict(c_in=int(rng.integers(1, 40)), c_out=int(rng.integers(1, 40)), kernel=int(rng.integers(1, 8)),
                 bias=bool(rng.random() < 0.5), height=int(rng.integers(1, 12)), width=int(rng.integers(1, 12)),
                 classes=int(rng.integers(2, 50)), head=str(rng.choice(["gap_dense", "conv1x1_gap"])))
        yield f"{where}, random variant {d}", registry.get("separable_params").Givens.model_validate(d), \
            values_of("separable_params", d)


def test_separable_params_match_torch_modules():
    meta = dict(device="meta", dtype=DT)
    for where, g, v in _separable_cases():
        ci, co, k, b = g.c_in, g.c_out, g.kernel, g.bias
        standard = nn.Conv2d(ci, co, k, padding=k // 2, bias=b, **meta)
        depthwise = nn.Conv2d(ci, ci, k, padding=k // 2, groups=ci, bias=b, **meta)
        pointwise = nn.Conv2d(ci, co, 1, bias=b, **meta)
        x = torch.empty(1, ci, 9, 9, **meta)
        assert standard(x).shape == pointwise(depthwise(x)).shape, where  # the same map, either way
        assert v["per_filter"] == standard.weight[0].numel() + (1 if b else 0), where
        assert v["standard"] == count(standard), where
        assert v["depthwise"] == count(depthwise), where
        assert v["pointwise"] == count(pointwise), where
        assert v["separable"] == count(depthwise) + count(pointwise), where
        close(v["ratio"], count(standard) / (count(depthwise) + count(pointwise)), msg=where)

        feat = torch.empty(1, co, g.height, g.width, **meta)
        dense = nn.Sequential(nn.Flatten(), nn.Linear(g.height * g.width * co, g.classes, bias=b, **meta))
        if g.head == "gap_dense":
            compact = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(co, g.classes, bias=b, **meta))
        else:
            compact = nn.Sequential(nn.Conv2d(co, g.classes, 1, bias=b, **meta), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        assert dense(feat).shape == compact(feat).shape == (1, g.classes), where
        assert v["dense_head"] == count(dense), where
        assert v["gap_head"] == count(compact), where


def test_separable_mistakes_match_torch_modules():
    gid = "separable_params"
    meta = dict(device="meta", dtype=DT)
    for where, g, v in _separable_cases():
        ci, co, k, b = g.c_in, g.c_out, g.kernel, g.bias
        full_dw = nn.Conv2d(ci, ci, k, bias=b, **meta)  # depthwise filters that span all channels
        assert mistake_values(gid, g, "depthwise_full")["depthwise"] == count(full_dw), where
        assert mistake_values(gid, g, "no_pointwise")["separable"] == v["depthwise"], where
        if k > 1:
            pointwise_k = nn.Conv2d(ci, co, k, bias=b, **meta)
            assert mistake_values(gid, g, "pointwise_kernel_k")["pointwise"] == count(pointwise_k), where
        if b:
            m = mistake_values(gid, g, "biases_not_counted")
            assert m["standard"] == count(nn.Conv2d(ci, co, k, bias=False, **meta)), where
            assert m["depthwise"] == count(nn.Conv2d(ci, ci, k, groups=ci, bias=False, **meta)), where
            assert m["pointwise"] == count(nn.Conv2d(ci, co, 1, bias=False, **meta)), where


# --- conv_output ----------------------------------------------------------------------------


def torch_layer(g, layer, x, bias=True) -> nn.Module:
    """One layer of the givens as a torch module for the input ``x`` (2-D or 1-D maps)."""
    if layer.type == "conv":
        conv = nn.Conv1d if g.one_d else nn.Conv2d
        return conv(x.shape[1], layer.filters, layer.kernel, stride=layer.stride, padding=layer.padding,
                    dilation=layer.dilation, bias=bias, device="meta", dtype=DT)
    if layer.type in ("maxpool", "avgpool"):
        pool = {(True, "maxpool"): nn.MaxPool1d, (True, "avgpool"): nn.AvgPool1d,
                (False, "maxpool"): nn.MaxPool2d, (False, "avgpool"): nn.AvgPool2d}[g.one_d, layer.type]
        return pool(layer.kernel, stride=layer.stride, padding=layer.padding)
    if layer.type == "flatten":
        return nn.Flatten()
    if layer.type == "gap":
        return nn.Sequential(nn.AdaptiveAvgPool1d(1) if g.one_d else nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Linear(x.shape[1], layer.units, bias=bias, device="meta", dtype=DT)


def run_stack(g, bias=True):
    """Each layer's output shape (without the batch) and parameter count, from torch."""
    shape = (1, g.channels, g.length) if g.one_d else (1, g.channels, g.height, g.width)
    x = torch.empty(*shape, device="meta", dtype=DT)
    out = []
    for layer in g.layers:
        m = torch_layer(g, layer, x, bias)
        x = m(x)
        out.append((tuple(x.shape[1:]), count(m)))
    return out


def _conv_output_cases():
    """Each drawn question, and typed-in networks larger than the draws: VGG- and AlexNet-like
    stacks with their heads, long 1-D signals."""
    yield from drawn("conv_output")
    rng = np.random.default_rng(3)
    for _ in range(max(20, len(SEEDS) // 4)):
        one_d = rng.random() < 0.3
        layers = []
        for _ in range(int(rng.integers(1, 5))):
            if rng.random() < 0.6:
                k = int(rng.integers(1, 12))
                layers.append(dict(type="conv", kernel=k, stride=int(rng.integers(1, 5)), padding=int(rng.integers(0, 6)),
                                   dilation=int(rng.integers(1, 4)), filters=int(rng.integers(1, 513))))
            else:
                layers.append(dict(type=str(rng.choice(["maxpool", "avgpool"])), kernel=2 + int(rng.integers(0, 2)),
                                   stride=2, padding=int(rng.integers(0, 2))))
        if rng.random() < 0.7:
            layers.append(dict(type=str(rng.choice(["flatten", "gap"]))))
            layers += [dict(type="dense", units=int(rng.integers(1, 5000))) for _ in range(int(rng.integers(1, 3)))]
        d = dict(channels=int(rng.integers(1, 64)), layers=layers)
        d.update(length=int(rng.integers(200, 20000))) if one_d else d.update(height=int(rng.integers(100, 1024)),
                                                                             width=int(rng.integers(100, 1024)))
        try:
            g = registry.get("conv_output").givens(d)
        except GivenError:  # a stack that leaves no output: refused, as it should be
            continue
        yield f"typed-in givens {d}", g, values_of("conv_output", d)


def test_conv_output_matches_torch_layers():
    forms = set()
    for where, g, v in _conv_output_cases():
        total = 0
        for i, (layer, (shape, n)) in enumerate(zip(g.layers, run_stack(g)), 1):
            forms.add((g.one_d, layer.type))
            total += n
            if layer.type == "flatten":
                assert v[f"flat{i}"] == shape[0], where
                assert f"params{i}" not in v
                continue
            if layer.type == "gap":
                assert v[f"c{i}"] == shape[0], where
            elif layer.type != "dense":
                sizes = (v[f"n{i}"],) if g.one_d else (v[f"h{i}"], v[f"w{i}"])
                assert (v[f"c{i}"], *sizes) == shape, (where, i)
            assert v[f"params{i}"] == n, (where, i)
        assert v["total_params"] == total, where
    assert {(d, t) for d in (False, True) for t in ("conv", "maxpool", "avgpool", "flatten", "gap", "dense")} <= forms


def test_conv_output_bias_mistake_matches_torch_without_biases():
    for where, g, v in _conv_output_cases():
        m = mistake_values("conv_output", g, "biases_not_counted")
        for i, (layer, (_, n)) in enumerate(zip(g.layers, run_stack(g, bias=False)), 1):
            if layer.type in ("conv", "dense"):
                assert m[f"params{i}"] == n, where
