"""``--jobs 2`` against ``--jobs 1`` (issue 15: goal >= 1.7 x on 2 cores), with a baseline commit in the same run.

``score_file(explain=3)`` of ``--n`` simulated patients (Parquet in and out,
the 300-tree depth-4 XGBoost model of ``bench_score.py``), ``jobs=1`` and
``jobs=2``, with this source tree and with ``--baseline``'s ``src/`` (git
archive), each run in a fresh subprocess, interleaved (baseline j1, j2, now
j1, j2; ``--repeat`` rounds). Prints per run the wall seconds and CPU seconds
of the scoring process (``RUSAGE_SELF``: for ``jobs=1`` all the work; for
``jobs=2`` the caller's share only) and of all its processes (the worker
server and workers included: the server's CPU and its reaped children's, from
``/proc``), then per tree the mean wall of each ``jobs``, the speed-up, the
2-core bound (half of ``jobs=1``'s CPU seconds: the best ``jobs=2`` can do on
2 cores without doing less work) and ``jobs=2``'s total CPU (half of it is
its own wall-time floor on 2 cores; it counts less than wall time on a
loaded machine). And whether ``jobs=2`` wrote the same bytes as ``jobs=1``.

The machine is shared: the load average is printed beside the figures. Never a
timed assertion.

Run from the repository root::

    .venv/bin/python benchmarks/bench_jobs.py --baseline b5f7d69
    .venv/bin/python benchmarks/bench_jobs.py --n 200000 --repeat 1       # quick
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Runs in a fresh interpreter with the tree under test first on PYTHONPATH.
_RUN = """
import json, resource, sys, time
from rairpredict.models.risk_model import RiskModel
from rairpredict.scoring import score_file

model = RiskModel.load(sys.argv[1])
cpu0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
score_file(model, sys.argv[2], sys.argv[3], explain=3, jobs=int(sys.argv[4]), progress=False, report=None)
wall = time.perf_counter() - t0
cpu1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
# The worker server has reaped the workers: its own CPU and its children's (Linux /proc).
import os
from multiprocessing import forkserver
server = getattr(forkserver._forkserver, "_forkserver_pid", None)
others = 0.0
if server is not None:
    with open(f"/proc/{server}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    others = sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
print(json.dumps({"wall": wall, "cpu": cpu, "all": cpu + others}))
"""


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _run(src: Path, model: Path, cohort: Path, out: Path, jobs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", _RUN, str(model), str(cohort), str(out), str(jobs)],
                          env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="patients scored (default 1M)")
    p.add_argument("--baseline", default="b5f7d69", help="git commit whose src/ is the baseline ('' for none)")
    p.add_argument("--repeat", type=int, default=2, help="interleaved rounds")
    args = p.parse_args()

    sys.path.insert(0, str(HERE))
    from bench_pipeline import _baseline_tree
    from bench_score import OUT, _cohort, _fit

    cohort = _cohort(args.n)
    _fit(300, 4)
    model = OUT / "bench_model_300x4.zip"
    trees = {"now": ROOT / "src"}
    if args.baseline:
        trees = {args.baseline: _baseline_tree(args.baseline), **trees}
    runs: dict = {}
    outputs: dict = {}
    for r in range(args.repeat):
        for name, src in trees.items():
            for jobs in (1, 2):
                out = OUT / f"jobs_{name}_j{jobs}.parquet"
                got = _run(src, model, cohort, out, jobs)
                runs.setdefault((name, jobs), []).append(got)
                outputs[name, jobs] = out.read_bytes()
                print(f"round {r + 1}, {name:>8}, jobs {jobs}: wall {got['wall']:.1f} s, CPU: scoring "
                      f"process {got['cpu']:.1f} s, all processes {got['all']:.1f} s  [{_load()}]", flush=True)
    print(f"--explain 3, {args.n} rows, 300 trees depth 4; mean of {args.repeat} interleaved rounds:")
    walls = {}
    for name in trees:
        w1 = sum(g["wall"] for g in runs[name, 1]) / args.repeat
        w2 = sum(g["wall"] for g in runs[name, 2]) / args.repeat
        cpu1 = sum(g["cpu"] for g in runs[name, 1]) / args.repeat
        all2 = sum(g["all"] for g in runs[name, 2]) / args.repeat
        walls[name] = w2
        same = outputs[name, 1] == outputs[name, 2]
        print(f"  {name:>8}: jobs 1 {w1:.1f} s (CPU {cpu1:.1f} s), jobs 2 {w2:.1f} s: speed-up {w1 / w2:.2f} x "
              f"(goal >= 1.7); 2-core bound cpu1/2 = {cpu1 / 2:.1f} s ({w1 / (cpu1 / 2):.2f} x); "
              f"jobs 2 CPU, all processes {all2:.1f} s (2 cores: >= {all2 / 2:.1f} s wall, "
              f"<= {w1 / (all2 / 2):.2f} x); jobs 2 bytes == jobs 1: {same}")
        speedups = ", ".join(f"{a['wall'] / b['wall']:.2f}" for a, b in zip(runs[name, 1], runs[name, 2]))
        print(f"  {'':>8}  speed-up per round: {speedups}")
    if args.baseline:
        print(f"  jobs 2 wall, {args.baseline} / now: {walls[args.baseline] / walls['now']:.2f} x; same bytes as "
              f"the baseline: {outputs[args.baseline, 2] == outputs['now', 2]}  [{_load()}]")


if __name__ == "__main__":
    main()
