"""examgen benchmarks: generation and grading throughput, and cold start-up of the CLI.

    python benchmarks/bench.py            # everything
    python benchmarks/bench.py --quick    # shorter runs

Targets (from the issues): >= 2,000 questions/s for every generator (autograd_trace excepted:
reported), >= 5,000 parts graded/s, and `examgen make --topics rl,cnn` within 0.5 s of a bare
`python -c "import numpy, pydantic, jinja2, click"`. Each line says whether its target is met.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from examgen import registry
from examgen.grading import compare
from examgen.grading.mark import grade_question
from examgen.steps import to_json

Q_TARGET, PARTS_TARGET, START_MARGIN = 2000, 5000, 0.5


def rate(fn, seconds: float) -> float:
    """Calls per second of ``fn`` (called with a running index) over about ``seconds``."""
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or n < 20:
        fn(n)
        n += 1
    return n / elapsed


def answer_mix(gen, seed: int) -> list[tuple]:
    """Realistic sheets for one question: the key, a follow-through chain from a wrong first step,
    answers made with each named mistake, garbage, and a blank sheet."""
    q = gen.generate(seed)
    key = {p.id: {n: q.step(n).value for n in p.steps} for p in q.parts}
    sheets = [key, {p.id: {n: "x" for n in p.steps} for p in q.parts}, {}]
    g = gen.Givens.model_validate(q.givens)
    first = q.step(q.parts[0].steps[0])
    if first.kind in ("scalar", "vector", "matrix", "tensor") and gen.rerun:
        wrong = np.asarray(first.value, dtype=float) + 1.37
        values = gen.run(g, substitute={first.name: wrong if wrong.ndim else float(wrong)}).values
        values[first.name] = wrong
        sheets.append({p.id: {n: to_json(values[n]) for n in p.steps if n in values} for p in q.parts})
    for m in q.mistakes[:2]:
        values = gen.run(g, mistake=m.name).values if gen.rerun else {}
        sheets.append({p.id: {n: to_json(values[n]) for n in p.steps if n in values} for p in q.parts})
    return [(q, s) for s in sheets]


def cold(cmd: list[str], runs: int, cwd: str) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    secs = 0.15 if args.quick else 0.6
    ok = True

    print(f"{'generator':<24} {'questions/s':>12} {'parts graded/s':>15}")
    total_parts, total_time = 0, 0.0
    for gen in registry.all_generators():
        if gen.needs_torch:
            qps = rate(lambda i: gen.generate(i), secs)
            print(f"{gen.id:<24} {qps:>12,.0f} {'(needs torch)':>15}")
            continue
        qps = rate(lambda i: gen.generate(i), secs)
        mix = [pair for seed in range(4) for pair in answer_mix(gen, seed)]
        parts = sum(len(q.parts) for q, _ in mix)
        start, rounds = time.perf_counter(), 0
        while time.perf_counter() - start < secs or rounds < 2:
            for q, sheet in mix:
                grade_question(q, sheet)
            rounds += 1
        elapsed = time.perf_counter() - start
        pps = rounds * parts / elapsed
        total_parts, total_time = total_parts + rounds * parts, total_time + elapsed
        flag = "" if qps >= Q_TARGET else "  < target"
        ok &= qps >= Q_TARGET
        print(f"{gen.id:<24} {qps:>12,.0f} {pps:>15,.0f}{flag}")
    overall = total_parts / total_time
    ok &= overall >= PARTS_TARGET
    print(f"{'all (mixed answers)':<24} {'':>12} {overall:>15,.0f}  target >= {PARTS_TARGET:,}: "
          f"{'met' if overall >= PARTS_TARGET else 'NOT met'}")

    exe = shutil.which("examgen") or str(Path(sys.executable).with_name("examgen"))
    runs = 3 if args.quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        floor = cold([sys.executable, "-c", "import numpy, pydantic, jinja2, click"], runs, tmp)
        make = cold([exe, "make", "--topics", "rl,cnn", "--seed", "1", "--out", "b", "--force"], runs, tmp)
    met = make - floor <= START_MARGIN
    ok &= met
    print(f"cold `examgen make --topics rl,cnn`: {make:.3f} s; bare import floor: {floor:.3f} s; "
          f"difference {make - floor:.3f} s (target <= {START_MARGIN} s: {'met' if met else 'NOT met'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
