"""Show that a refactoring leaves every question unchanged: a digest per generator over seeds 0-199.

    python tools/question_digests.py write   # before the change: tools/question_digests.json
    python tools/question_digests.py check   # after it: every generator whose questions differ

A question's digest covers what a student and the grader see: version, stem, givens, parts,
steps (label, kind, value, formula, work, tolerance, shape, options, variables, asked,
feedback, explanation), mistakes, and the figure (SVG). ``check`` prints, per differing
generator, the first seed that differs and the fields that differ, so an intended change
(named in the closing note, with ``version`` bumped) can be told from an accidental one.
Mistake renames listed in RENAMED are undone on the new side before comparing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

SEEDS = range(200)
HERE = Path(__file__).with_name("question_digests.json")
RENAMED: dict[str, dict[str, str]] = {  # issue 11: one name per mistake (generators/_mistakes.py)
    "autoencoder": {"biases_not_counted": "biases_forgotten", "sample_scaled_by_variance": "noise_variance"},
    "backprop": {"error_sign": "delta_sign"},
    "conv2d_values": {"kernel_flipped": "flipped_kernel"},
    "conv_output": {"biases_not_counted": "bias_missing"},
    "dense_forward": {"bias_forgotten": "bias_missing", "weights_transposed": "not_transposed"},
    "derive": {"error_sign": "loss_sign", "sigmoid_derivative_for_tanh": "sigmoid_derivative",
               "tanh_derivative_for_sigmoid": "tanh_derivative", "half_forgotten": "half_ignored"},
    "derive_softmax": {"error_sign": "y_minus_p"},
    "discounted_return": {"discount_ignored": "no_discount"},
    "fgsm": {"error_sign": "grad_y_minus_p"},
    "logreg_step": {"sigmoid_derivative_twice": "sigmoid_derivative"},
    "reinforce": {"discount_ignored": "no_discount"},
    "separable_params": {"biases_not_counted": "bias_forgotten"},
    "softmax_ce": {"error_sign": "delta_sign"},
    "transfer_params": {"biases_not_counted": "bias_forgotten"},
    "vae_kl": {"sample_scaled_by_variance": "z_uses_variance", "half_forgotten": "missing_half"},
    "vae_latent": {"sample_scaled_by_variance": "z_uses_variance"},
    "vectorized_shapes": {"weights_transposed": "W_transposed"},
    "weight_init": {"flatten_spatial_ignored": "spatial_size_ignored"},
}
"""generator id -> {new mistake name: old name}: renames (one name per mistake across generators)
are undone on the new side, so a rename alone shows only as changed mistake descriptions."""


def _figure(q) -> str | None:
    fig = getattr(q, "figure", None)
    if fig is not None or "figure" in type(q).model_fields:
        return fig
    from examgen.render.html import figure  # before figures were stored with the question

    return figure(q)


STEP_FIELDS = ("name", "label", "kind", "value", "formula", "work", "tolerance", "shape", "options",
               "variables", "asked", "feedback", "explanation")
"""A step's fields when the digests were written: a field added since counts only where it is set."""


def _step(step: dict) -> dict:
    return {k: v for k, v in step.items() if k in STEP_FIELDS or v is not None}


def fields(q) -> dict:
    data = q.model_dump(mode="json")
    renamed = RENAMED.get(q.generator, {})
    mistakes = [{**m, "name": renamed.get(m["name"], m["name"])} for m in data["mistakes"]]
    return {"version": data["version"], "stem": data["stem"], "givens": data["givens"],
            "parts": data["parts"], "steps": [_step(st) for st in data["steps"]],
            "mistake names": [(m["name"], m["credit"], m["values"]) for m in mistakes],
            "mistake descriptions": [m["description"] for m in mistakes], "figure": _figure(q)}


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def digests() -> dict[str, dict]:
    """generator id -> {"seeds": a digest per seed, "fields": field -> digest over all seeds}."""
    from examgen import registry

    out = {}
    for gen in registry.all_generators():
        if gen.needs_torch:
            try:
                import torch  # noqa: F401
            except ImportError:
                continue
        per_seed = [fields(gen.generate(seed)) for seed in SEEDS]
        out[gen.id] = {"seeds": [_digest(f) for f in per_seed],
                       "fields": {k: _digest([f[k] for f in per_seed]) for k in per_seed[0]}}
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["write"]:
        HERE.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {HERE}")
        return 0
    if argv[:1] != ["check"]:
        print(__doc__)
        return 2
    before = json.loads(HERE.read_text())
    after = digests()
    changed = 0
    for gid in sorted(set(before) | set(after)):
        if gid not in after or gid not in before:
            print(f"{gid}: {'gone' if gid not in after else 'new'}")
            changed += 1
            continue
        seeds = [i for i, (a, b) in enumerate(zip(before[gid]["seeds"], after[gid]["seeds"])) if a != b]
        if seeds:
            changed += 1
            what = sorted(k for k, v in before[gid]["fields"].items() if after[gid]["fields"].get(k) != v)
            print(f"{gid}: {len(seeds)} of {len(SEEDS)} seeds differ (first: seed {seeds[0]}), in: {', '.join(what)}")
    print(f"{changed} generator(s) differ" if changed else "every generator's questions are unchanged")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main(sys.argv[1:]))
