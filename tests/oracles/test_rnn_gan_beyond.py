"""Oracles for the lecture 11, 13 and 15 generators (rnn_forward, gru_step, rnn_params, bptt_gradient,
gan_losses, significance): every step against an independent computation over ORACLE_SEEDS seeds:
torch.nn modules and autograd in float64, SciPy, or a closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ..conftest import SEEDS, close, needs_module, questions

torch = needs_module("torch")
import torch.nn.functional as F  # noqa: E402
from scipy import stats  # noqa: E402
from scipy.spatial.distance import jensenshannon  # noqa: E402

from examgen import registry  # noqa: E402

pytestmark = pytest.mark.slow  # every oracle runs over ORACLE_SEEDS seeds (default 200)

DT = torch.float64


def t(x):
    return torch.tensor(x, dtype=DT)


def flat(x):
    """A step value (a number for a 1-d state) as a 1-d array."""
    return np.atleast_1d(np.asarray(x, dtype=float))


# --- rnn_forward: torch.nn.RNNCell --------------------------------------------------------------


def test_rnn_forward_matches_torch_rnn_cell():
    seen_shapes = set()
    for q, g, v in questions("rnn_forward"):
        H, D = len(g.W), len(g.U[0])
        seen_shapes.add((H, D))
        cell = torch.nn.RNNCell(D, H, nonlinearity="tanh", dtype=DT)
        pre = torch.nn.Linear(H + D, H, dtype=DT)  # [W | U] [h; x] + b: the pre-activation
        out = torch.nn.Linear(H, 1, dtype=DT)
        with torch.no_grad():
            cell.weight_hh.copy_(t(g.W))
            cell.weight_ih.copy_(t(g.U))
            cell.bias_ih.copy_(t(g.b))
            cell.bias_hh.zero_()  # the course's RNN has one bias
            pre.weight.copy_(torch.cat([t(g.W), t(g.U)], dim=1))
            pre.bias.copy_(t(g.b))
            out.weight.copy_(t([g.v]))
            out.bias.fill_(g.c)
            h = t(g.h0)[None]
            for step, x in enumerate(g.x, 1):
                x = t(x)[None]
                close(flat(v[f"a{step}"]), pre(torch.cat([h, x], dim=1))[0].numpy(), msg=f"seed {q.seed}")
                h = cell(x, h)
                close(flat(v[f"h{step}"]), h[0].numpy(), msg=f"seed {q.seed}")
            close(v["y"], out(h).item(), msg=f"seed {q.seed}")
    assert {(1, 1), (2, 1), (2, 2)} <= seen_shapes


# --- gru_step: the course's GRU mapped onto torch.nn.GRUCell --------------------------------------


def gru_cell(g, *, reset=None, update=None):
    """A torch.nn.GRUCell holding the question's weights. PyTorch stacks its gates as (r, z, n) and
    computes n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h. ``reset`` /
    ``update`` force a gate to 1 / 0 (zero weights, bias +-50: sigmoid(50) = 1 in float64)."""
    H, D = len(g.h_prev), len(g.x)
    cell = torch.nn.GRUCell(D, H, dtype=DT)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([t(g.Wr), t(g.Wz), t(g.Wh)]))
        cell.weight_hh.copy_(torch.cat([t(g.Ur), t(g.Uz), t(g.Uh)]))
        cell.bias_ih.copy_(torch.cat([t(g.br), t(g.bz), t(g.bh)]))
        cell.bias_hh.zero_()
        if reset is not None:
            cell.weight_ih[:H] = 0
            cell.weight_hh[:H] = 0
            cell.bias_ih[:H] = reset
        if update is not None:
            cell.weight_ih[H:2 * H] = 0
            cell.weight_hh[H:2 * H] = 0
            cell.bias_ih[H:2 * H] = update
    return cell


def test_gru_step_matches_torch_gru_cell():
    gen = registry.get("gru_step")
    dims = set()
    for q, g, v in questions("gru_step"):
        H = len(g.h_prev)
        dims.add(H)
        x, hp = t(g.x)[None], t(g.h_prev)[None]
        with torch.no_grad():
            xh = torch.cat([x, hp], dim=1)
            z = torch.sigmoid(F.linear(xh, torch.cat([t(g.Wz), t(g.Uz)], dim=1), t(g.bz)))[0]
            r = torch.sigmoid(F.linear(xh, torch.cat([t(g.Wr), t(g.Ur)], dim=1), t(g.br)))[0]
            close(flat(v["z"]), z.numpy(), msg=f"seed {q.seed}")
            close(flat(v["r"]), r.numpy(), msg=f"seed {q.seed}")
            close(flat(v["rh"]), (r * hp[0]).numpy(), msg=f"seed {q.seed}")
            # the course resets h_{t-1} before the product with U_h: feed r * h_{t-1} as the hidden
            # state of a GRUCell whose reset gate is 1 and update gate 0, so h' = n = candidate
            cand = gru_cell(g, reset=50.0, update=-50.0)(x, (r * hp[0])[None])[0]
            close(flat(v["h_tilde"]), cand.numpy(), msg=f"seed {q.seed}")
            close(flat(v["h"]), torch.lerp(cand, hp[0], z).numpy(), msg=f"seed {q.seed}")  # z h_{t-1} + (1 - z) h~
            # PyTorch's own GRU applies r after the product: the same as the course's for a scalar
            # state, and exactly the named mistake 'reset_after_product' otherwise
            ref = gru_cell(g)(x, hp)[0].numpy()
            if H == 1:
                close(flat(v["h"]), ref, msg=f"seed {q.seed}")
            else:
                close(gen.run(g, mistake="reset_after_product").values["h"], ref, msg=f"seed {q.seed}")
    assert dims == {1, 2}


# --- rnn_params: torch.nn.RNN / torch.nn.GRU -----------------------------------------------------


def test_rnn_params_match_torch_modules():
    kinds = set()
    for q, g, v in questions("rnn_params"):
        kinds.add((g.cell, g.num_layers, g.bidirectional))
        cls = torch.nn.GRU if g.cell == "GRU" else torch.nn.RNN
        m = cls(g.input_size, g.hidden_size, num_layers=g.num_layers, bidirectional=g.bidirectional)
        per_layer = [0] * g.num_layers
        for name, p in m.named_parameters():
            layer = int(name.split("_l")[1].split("_")[0])
            per_layer[layer] += p.numel()
        for layer in range(1, g.num_layers + 1):
            assert v[f"params{layer}"] == per_layer[layer - 1], (q.seed, layer)
            if layer > 1:
                assert v[f"in{layer}"] == getattr(m, f"weight_ih_l{layer - 1}").shape[1], f"seed {q.seed}"
        if g.num_layers > 1:
            assert v["total"] == sum(p.numel() for p in m.parameters()), f"seed {q.seed}"
        else:
            assert v["params1"] == sum(p.numel() for p in m.parameters()), f"seed {q.seed}"
        with torch.no_grad():  # F and K do not depend on T: two steps keep the test fast
            output, h_n = m(torch.zeros(2, g.batch, g.input_size))
        assert tuple(output.shape) == (2, g.batch, v["out_size"]), f"seed {q.seed}"
        assert tuple(h_n.shape) == (v["hn_size"], g.batch, g.hidden_size), f"seed {q.seed}"
    assert {c for c, _, _ in kinds} == {"RNN", "GRU"} and {b for _, _, b in kinds} == {True, False}
    assert {n for _, n, _ in kinds} >= {1, 2, 3}


# --- bptt_gradient: autograd through the unrolled network; clip_grad_norm_ -----------------------


def _bptt_cases():
    """Each drawn question (clipping always changes the gradient there), and typed-in ones: longer
    sequences, any weights, and thresholds above the norm (nothing to clip)."""
    for q, g, v in questions("bptt_gradient"):
        yield f"seed {q.seed}", g, v
    gen = registry.get("bptt_gradient")
    rng = np.random.default_rng(23)
    for _ in range(max(20, len(SEEDS) // 4)):
        d = dict(w=float(rng.uniform(-4, 4)), u=float(rng.uniform(-3, 3)), b=float(rng.uniform(-1, 1)),
                 h0=float(rng.uniform(-1, 1)), x=rng.normal(0, 1, int(rng.integers(1, 6))).tolist(),
                 grad=rng.normal(0, 5, int(rng.integers(2, 5))).tolist(), clip=float(rng.uniform(0.1, 20)))
        g = gen.givens(d)
        yield f"typed-in givens {d}", g, {st.name: st.value for st in gen.build(g).steps}


def test_bptt_gradient_matches_autograd():
    verdicts, clipped = set(), set()
    for where, g, v in _bptt_cases():
        h0 = torch.tensor(g.h0, dtype=DT, requires_grad=True)
        hs = [h0]
        for x in g.x:
            hs.append(torch.tanh(g.w * hs[-1] + g.u * x + g.b))
        T = len(g.x)
        for step in range(1, T + 1):
            close(v[f"h{step}"], hs[step].item(), msg=where)
            (d,) = torch.autograd.grad(hs[step], hs[step - 1], retain_graph=True)
            close(v[f"d{step}"], d.item(), msg=where)
        (total,) = torch.autograd.grad(hs[T], h0)
        close(v["dhT_dh0"], total.item(), msg=where)
        assert v["verdict"] == ("exploding" if abs(total.item()) > 1 else "vanishing"), where
        verdicts.add(v["verdict"])

        grad = t(g.grad)
        close(v["norm"], torch.linalg.vector_norm(grad).item(), msg=where)
        p = torch.nn.Parameter(torch.zeros_like(grad))
        p.grad = grad.clone()
        norm = torch.nn.utils.clip_grad_norm_([p], max_norm=g.clip)
        close(v["norm"], norm.item(), msg=where)
        # PyTorch scales by c / (||g|| + 1e-6): equal to the course's rule up to that epsilon
        close(v["g_clipped"], p.grad.numpy(), 1e-5, msg=where)
        close(v["g_clipped"], (grad * min(1.0, g.clip / norm.item())).numpy(), msg=where)
        clipped.add(norm.item() > g.clip)
        assert where.startswith("typed-in") or norm.item() > g.clip, (where, "a drawn question asks to clip: it must change g")
    assert verdicts == {"vanishing", "exploding"} and clipped == {True, False}


# --- gan_losses: binary cross-entropy and autograd; the optimal discriminator -------------------


def test_gan_losses_match_bce_and_autograd():
    answers = set()
    for q, g, v in questions("gan_losses"):
        dr, df = t(g.d_real), t(g.d_fake)
        ones, zeros = torch.ones_like(df), torch.zeros_like(df)
        close(v["real_term"], -F.binary_cross_entropy(dr, torch.ones_like(dr)).item(), msg=f"seed {q.seed}")
        close(v["fake_term"], -F.binary_cross_entropy(df, zeros).item(), msg=f"seed {q.seed}")
        close(v["loss_D"], (F.binary_cross_entropy(dr, torch.ones_like(dr)) + F.binary_cross_entropy(df, zeros)).item(),
              msg=f"seed {q.seed}")
        close(v["loss_G_mm"], -F.binary_cross_entropy(df, zeros).item(), msg=f"seed {q.seed}")
        close(v["loss_G_ns"], F.binary_cross_entropy(df, ones).item(), msg=f"seed {q.seed}")

        d = torch.tensor(g.d_fake[g.sample - 1], dtype=DT, requires_grad=True)
        (g_mm,) = torch.autograd.grad(-F.binary_cross_entropy(d, torch.zeros((), dtype=DT)), d)
        (g_ns,) = torch.autograd.grad(F.binary_cross_entropy(d, torch.ones((), dtype=DT)), d)
        close(v["grad_mm"], g_mm.item(), msg=f"seed {q.seed}")
        close(v["grad_ns"], g_ns.item(), msg=f"seed {q.seed}")
        assert v["larger"] == ("non-saturating" if abs(g_ns) > abs(g_mm) else "minimax"), f"seed {q.seed}"
        answers.add(v["larger"])

        # D* maximises p_data log D + p_g log(1 - D) at every point: zero derivative, a maximum
        pd, pg = t(g.p_data), t(g.p_g)
        dstar = torch.tensor(v["d_star"], dtype=DT, requires_grad=True)
        (slope,) = torch.autograd.grad((pd * torch.log(dstar) + pg * torch.log(1 - dstar)).sum(), dstar)
        close(slope.numpy(), np.zeros(len(g.p_data)), msg=f"seed {q.seed}")
        for k in range(len(g.p_data)):
            for step in (-1e-3, 1e-3):
                moved = v["d_star"][k] + step
                assert (g.p_data[k] * math.log(moved) + g.p_g[k] * math.log(1 - moved)
                        < g.p_data[k] * math.log(v["d_star"][k]) + g.p_g[k] * math.log(1 - v["d_star"][k])), \
                    f"seed {q.seed}"
        # C(G) = -log 4 + 2 JSD(p_data || p_g)  (Goodfellow et al., theorem 1)
        close(v["c_g"], -math.log(4) + 2 * jensenshannon(g.p_data, g.p_g) ** 2, msg=f"seed {q.seed}")
        assert v["c_g"] > -math.log(4), f"seed {q.seed}"
    assert answers == {"minimax", "non-saturating"}


# --- significance: SciPy's chi^2 and normal distributions; a search for n ------------------------


def test_significance_matches_scipy():
    decisions, corrections = set(), set()
    z = stats.norm.ppf(0.975)
    assert abs(z - 1.96) < 1e-4
    for q, g, v in questions("significance"):
        # the paired outcomes of A and B on every test image
        a = np.repeat([1, 1, 0, 0], [g.n11, g.n10, g.n01, g.n00])
        b = np.repeat([1, 0, 1, 0], [g.n11, g.n10, g.n01, g.n00])
        n = a.size
        assert v["correct"] == int(a.sum()), f"seed {q.seed}"
        close(v["acc"], a.mean(), msg=f"seed {q.seed}")
        se = a.std() / math.sqrt(n)  # population std of the 0/1 outcomes: sqrt(p(1-p))
        close(v["se"], se, msg=f"seed {q.seed}")
        close(v["half"], 1.96 * se, msg=f"seed {q.seed}")
        close(v["lower"], a.mean() - 1.96 * se, msg=f"seed {q.seed}")
        close(v["upper"], a.mean() + 1.96 * se, msg=f"seed {q.seed}")

        ns = np.arange(1, 1_000_000)
        first = int(ns[np.argmax(1.96 * np.sqrt(a.mean() * (1 - a.mean()) / ns) <= g.half_width)])
        assert v["n_needed"] == first, q.seed

        disc_ab, disc_ba = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
        stat = (abs(disc_ab - disc_ba) - (1 if g.continuity else 0)) ** 2 / (disc_ab + disc_ba)
        close(v["stat"], stat, msg=f"seed {q.seed}")
        close(v["p_value"], stats.chi2.sf(stat, df=1), msg=f"seed {q.seed}")
        close(v["p_value"], 2 * stats.norm.sf(math.sqrt(stat)), msg=f"seed {q.seed}")
        assert v["significant"] == ("yes" if stat > stats.chi2.ppf(0.95, df=1) else "no"), f"seed {q.seed}"
        assert abs(stats.chi2.ppf(0.95, df=1) - 3.841) < 1e-3, f"seed {q.seed}"
        decisions.add(v["significant"])
        corrections.add(g.continuity)
    assert decisions == {"yes", "no"} and corrections == {True, False}
