"""The demo's wall and CPU time (issue 15: under 45 s on an idle 2-core machine), beside a baseline commit.

    .venv/bin/python benchmarks/bench_demo.py --baseline b5f7d69 [--runs 2]

Runs ``python -m rairpredict demo`` (the README's main job: 3 targets, nested
2 x 5-fold CV, 10 Optuna trials per outer fold, 5 optimism replicates) with this
tree's ``src/`` and, interleaved, with ``--baseline``'s (git archive), each in a
fresh package home, and prints per run the wall seconds and the CPU seconds of
the whole process tree (user + system, children included), then the medians
and the ratios baseline / now. The machine's load average is printed beside
each run: the goal is stated for an idle machine, so compare the columns of
one run, not runs of different days. Also checks that both trees print the
same results table (same numbers: the speed-ups must not change the models).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import ROOT, _baseline_tree, _load  # noqa: E402


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _table(text: str) -> str:
    """The results table of the demo's output (from its header to the protocol line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("target"))
    end = next(i for i, line in enumerate(lines) if line.startswith("protocol:") or line.startswith("Protocol:"))
    return "\n".join(lines[start:end])


def run(src: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (process tree) and the results table of one demo with ``src``."""
    home = tempfile.mkdtemp(prefix="bench_demo_")
    env = {**os.environ, "PYTHONPATH": str(src), "RAIRPREDICT_HOME": home}
    cpu0, t0 = _children_cpu(), time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "rairpredict", "demo"], env=env, capture_output=True, text=True,
                         check=True)
    return time.perf_counter() - t0, _children_cpu() - cpu0, _table(out.stdout + out.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="git commit to compare with")
    ap.add_argument("--runs", type=int, default=2, help="runs per tree, interleaved")
    args = ap.parse_args()
    trees = {f"baseline {args.baseline}": _baseline_tree(args.baseline), "this tree": ROOT / "src"}
    got: dict = {name: [] for name in trees}
    tables = {}
    print(f"cores {len(os.sched_getaffinity(0))}; {_load()}")
    for i in range(args.runs):
        for name, src in trees.items():
            wall, cpu, table = run(src)
            got[name].append((wall, cpu))
            tables[name] = table
            print(f"run {i + 1}, {name}: wall {wall:.1f} s, CPU {cpu:.1f} s  [{_load()}]", flush=True)
    med = {name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for name, v in got.items()}
    (bw, bc), (nw, nc) = med.values()
    print(f"median wall: baseline {bw:.1f} s, now {nw:.1f} s (ratio {bw / nw:.2f}; goal < 45 s on an idle "
          f"2-core machine); median CPU: {bc:.1f} -> {nc:.1f} s (ratio {bc / nc:.2f})")
    same = len(set(tables.values())) == 1
    print(f"results tables identical: {same}")
    if not same:
        for name, table in tables.items():
            print(f"--- {name}\n{table}")


if __name__ == "__main__":
    main()
